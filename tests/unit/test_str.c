/* test_str.c: unit tests for str.c (growth, exact bytes, NUL after len, overflow refusal). */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "str.h"

/* Compare the whole of a str with a string literal that may hold NULs. */
#define CHECK_MEM(sa, lit) \
  check_one((sa).len == sizeof(lit) - 1 && !memcmp((sa).s, (lit), sizeof(lit) - 1), \
            #sa " == " #lit, __FILE__, __LINE__)
/* The byte after the contents is always a NUL. */
#define CHECK_TERM(sa) check_one((sa).s && (sa).s[(sa).len] == 0, #sa " NUL-terminated", __FILE__, __LINE__)

static void test_empty_and_growth(void)
{
  str s = STR_INIT;
  size_t i;

  CHECK(s.s == 0 && s.len == 0 && s.cap == 0);
  /* Appending nothing still allocates room for the terminating NUL. */
  CHECK(str_cat(&s, "", 0) == 1);
  CHECK(s.s != 0);
  CHECK(s.len == 0);
  CHECK(s.cap >= 1);
  CHECK_TERM(s);
  CHECK(str_equals(&s, ""));
  str_free(&s);
  CHECK(s.s == 0 && s.len == 0 && s.cap == 0);

  /* reserve on an empty string */
  CHECK(str_reserve(&s, 100) == 1);
  CHECK(s.s != 0 && s.len == 0 && s.cap >= 101);
  str_free(&s);

  /* Grow one byte at a time past many reallocations. */
  for (i = 0; i < 10000; ++i) {
    if (!str_putc(&s, (char)('a' + i % 26))) break;
    if (s.s[s.len] != 0 || s.cap < s.len + 1) break;
  }
  CHECK(i == 10000);
  CHECK(s.len == 10000);
  CHECK(s.cap >= 10001);
  for (i = 0; i < 10000; ++i)
    if (s.s[i] != (char)('a' + i % 26)) break;
  CHECK(i == 10000);
  CHECK_TERM(s);
  str_free(&s);

  /* str_reserve keeps len and contents; reserving less than cap is a no-op. */
  CHECK(str_copys(&s, "hello"));
  {
    char *before = s.s;
    size_t cap = s.cap;
    CHECK(str_reserve(&s, 0) == 1);
    CHECK(s.s == before && s.cap == cap);
    CHECK(str_reserve(&s, cap - s.len - 1) == 1);
    CHECK(s.s == before && s.cap == cap);
    CHECK(str_reserve(&s, 5000) == 1);
    CHECK(s.cap >= 5006);
    CHECK_MEM(s, "hello");
    CHECK_TERM(s);
  }
  str_free(&s);
}

static void test_cat_copy(void)
{
  str s = STR_INIT, t = STR_INIT;

  CHECK(str_cats(&s, "abc") == 1);
  CHECK_MEM(s, "abc");
  CHECK_TERM(s);
  CHECK(str_cat(&s, "defXX", 3) == 1);
  CHECK_MEM(s, "abcdef");
  CHECK_TERM(s);
  CHECK(str_putc(&s, '!') == 1);
  CHECK_MEM(s, "abcdef!");
  CHECK_TERM(s);
  CHECK(str_cats(&s, "") == 1);
  CHECK_MEM(s, "abcdef!");

  CHECK(str_copys(&t, "xy") == 1);
  CHECK(str_catstr(&s, &t) == 1);
  CHECK_MEM(s, "abcdef!xy");
  CHECK_MEM(t, "xy");
  CHECK_TERM(s);

  /* copy replaces; shorter copy leaves a NUL right after */
  CHECK(str_copys(&s, "12") == 1);
  CHECK_MEM(s, "12");
  CHECK(s.s[2] == 0);
  CHECK(str_copy(&s, "", 0) == 1);
  CHECK(s.len == 0);
  CHECK_TERM(s);
  CHECK(str_copy(&s, "0123456789abcdef0123456789abcdef0123456789", 42) == 1);
  CHECK_MEM(s, "0123456789abcdef0123456789abcdef0123456789");
  CHECK_TERM(s);
  CHECK(str_copystr(&t, &s) == 1);
  CHECK_MEM(t, "0123456789abcdef0123456789abcdef0123456789");
  CHECK(t.s != s.s);
  CHECK_TERM(t);

  /* str_copy into an empty (never allocated) string */
  str_free(&t);
  CHECK(str_copys(&t, "z") == 1);
  CHECK_MEM(t, "z");
  CHECK_TERM(t);

  /* putc of a NUL byte counts it */
  CHECK(str_putc(&t, 0) == 1);
  CHECK(t.len == 2 && t.s[1] == 0 && t.s[2] == 0);
  CHECK_MEM(t, "z\0");

  str_free(&s);
  str_free(&t);
}

static void test_embedded_nul(void)
{
  str s = STR_INIT, t = STR_INIT;

  CHECK(str_cat(&s, "a\0b", 3) == 1);
  CHECK(s.len == 3);
  CHECK_MEM(s, "a\0b");
  CHECK_TERM(s);
  CHECK(str_cat(&s, "\0\0", 2) == 1);
  CHECK_MEM(s, "a\0b\0\0");
  CHECK_TERM(s);
  /* cats stops at the first NUL of its argument */
  CHECK(str_cats(&s, "c\0d") == 1);
  CHECK_MEM(s, "a\0b\0\0c");
  CHECK(str_copystr(&t, &s) == 1);
  CHECK_MEM(t, "a\0b\0\0c");
  CHECK(!str_equals(&s, "a"));
  CHECK(str_starts(&s, "a"));
  str_truncate(&s, 1);
  CHECK(str_equals(&s, "a"));
  str_free(&s);
  str_free(&t);
}

static void test_overlap(void)
{
  str s = STR_INIT;
  char *before;

  /* Copy a substring of the string onto itself (moves left). */
  CHECK(str_copys(&s, "0123456789"));
  before = s.s;
  CHECK(str_copy(&s, s.s + 3, 5) == 1);
  CHECK_MEM(s, "34567");
  CHECK_TERM(s);
  CHECK(s.s == before);

  /* Whole string onto itself. */
  CHECK(str_copy(&s, s.s, s.len) == 1);
  CHECK_MEM(s, "34567");
  CHECK_TERM(s);

  /* Suffix onto itself, the last byte only. */
  CHECK(str_copy(&s, s.s + 4, 1) == 1);
  CHECK_MEM(s, "7");
  CHECK_TERM(s);

  /* str_copystr of itself */
  CHECK(str_copys(&s, "same"));
  CHECK(str_copystr(&s, &s) == 1);
  CHECK_MEM(s, "same");
  CHECK_TERM(s);

  /* Appending a string to itself (buf points into the string that may be
   * reallocated by the append). Fill to exactly cap-1 first so the append
   * must grow. */
  str_free(&s);
  CHECK(str_copys(&s, "ab"));
  while (s.len + 1 < s.cap) str_putc(&s, (char)('c' + (s.len - 2) % 20));
  {
    size_t n = s.len;
    str copy = STR_INIT;
    CHECK(str_copystr(&copy, &s));
    CHECK(str_catstr(&s, &s) == 1);
    CHECK(s.len == 2 * n);
    CHECK(!memcmp(s.s, copy.s, n) && !memcmp(s.s + n, copy.s, n));
    CHECK_TERM(s);
    str_free(&copy);
  }
  /* A middle part of itself, again at a point where the append must grow. */
  CHECK(str_copys(&s, "0123456789"));
  while (s.len + 1 < s.cap) str_putc(&s, '.');
  {
    size_t n = s.len;
    CHECK(str_cat(&s, s.s + 2, 4) == 1);
    CHECK(s.len == n + 4);
    CHECK_BYTES(s.s + n, 4, "2345");
    CHECK(!memcmp(s.s, "0123456789", 10));
    CHECK_TERM(s);
  }
  str_free(&s);
}

static void test_catnum(void)
{
  str s = STR_INIT;

  CHECK(str_catnum(&s, 0) == 1);
  CHECK_MEM(s, "0");
  CHECK(str_catnum(&s, 10) == 1);
  CHECK_MEM(s, "010");
  CHECK(str_putc(&s, ' '));
  CHECK(str_catnum(&s, ULLONG_MAX) == 1);
  CHECK_MEM(s, "010 18446744073709551615");
  CHECK_TERM(s);

  s.len = 0;
  CHECK(str_catnum0(&s, 5, 3) == 1);
  CHECK_MEM(s, "005");
  s.len = 0;
  CHECK(str_catnum0(&s, 0, 2) == 1);
  CHECK_MEM(s, "00");
  s.len = 0;
  CHECK(str_catnum0(&s, 0, 0) == 1);
  CHECK_MEM(s, "0");
  s.len = 0;
  CHECK(str_catnum0(&s, 12345, 3) == 1);
  CHECK_MEM(s, "12345");
  s.len = 0;
  CHECK(str_catnum0(&s, 123, 3) == 1);
  CHECK_MEM(s, "123");
  s.len = 0;
  CHECK(str_catnum0(&s, 7, 1) == 1);
  CHECK_MEM(s, "7");
  s.len = 0;
  CHECK(str_cats(&s, "x="));
  CHECK(str_catnum0(&s, 42, 25) == 1);
  CHECK_MEM(s, "x=0000000000000000000000042");
  CHECK_TERM(s);
  str_free(&s);
}

static void test_truncate_free(void)
{
  str s = STR_INIT;

  CHECK(str_copys(&s, "abcdef"));
  str_truncate(&s, 10); /* longer: no change */
  CHECK_MEM(s, "abcdef");
  str_truncate(&s, 6);
  CHECK_MEM(s, "abcdef");
  str_truncate(&s, 2);
  CHECK_MEM(s, "ab");
  CHECK_TERM(s);
  str_truncate(&s, 0);
  CHECK(s.len == 0);
  CHECK_TERM(s);
  str_free(&s);
  str_truncate(&s, 0); /* on a freed string: no crash */
  CHECK(s.s == 0 && s.len == 0);
  str_free(&s); /* freeing twice is harmless */
  CHECK(s.s == 0 && s.cap == 0);
}

static void test_overflow(void)
{
  str s = STR_INIT;
  char *before;
  size_t len, cap;

  /* On an empty, unallocated string. */
  errno = 0;
  CHECK(str_reserve(&s, SIZE_MAX) == 0);
  CHECK(errno == ENOMEM);
  CHECK(s.s == 0 && s.len == 0 && s.cap == 0);

  /* On a string with contents. */
  CHECK(str_copys(&s, "keep me"));
  before = s.s;
  len = s.len;
  cap = s.cap;

  errno = 0;
  CHECK(str_reserve(&s, SIZE_MAX) == 0);
  CHECK(errno == ENOMEM);
  CHECK(s.s == before && s.len == len && s.cap == cap);
  CHECK_MEM(s, "keep me");
  CHECK_TERM(s);

  /* len + extra fits exactly in a size_t, but the NUL does not. */
  errno = 0;
  CHECK(str_reserve(&s, SIZE_MAX - s.len) == 0);
  CHECK(errno == ENOMEM);
  CHECK(s.s == before && s.len == len && s.cap == cap);
  CHECK_MEM(s, "keep me");

  /* The same limits through str_cat: refused before touching buf. */
  errno = 0;
  CHECK(str_cat(&s, "x", SIZE_MAX) == 0);
  CHECK(errno == ENOMEM);
  CHECK(s.s == before && s.len == len && s.cap == cap);
  CHECK_MEM(s, "keep me");
  errno = 0;
  CHECK(str_cat(&s, "x", SIZE_MAX - s.len) == 0);
  CHECK(errno == ENOMEM);
  CHECK_MEM(s, "keep me");
  CHECK_TERM(s);

#if !defined(__SANITIZE_ADDRESS__)
  /* A size that does not overflow but cannot be allocated: realloc fails
   * (sanitizers abort on such requests, so only in a plain build). */
  errno = 0;
  CHECK(str_reserve(&s, SIZE_MAX / 2) == 0);
  CHECK(errno == ENOMEM);
  CHECK(s.s == before && s.len == len && s.cap == cap);
  CHECK_MEM(s, "keep me");
#endif

  /* Still usable afterwards. */
  CHECK(str_cats(&s, "!") == 1);
  CHECK_MEM(s, "keep me!");
  str_free(&s);
}

static void test_starts_equals(void)
{
  str s = STR_INIT;

  CHECK(str_equals(&s, "")); /* never allocated */
  CHECK(str_starts(&s, ""));
  CHECK(!str_starts(&s, "a"));
  CHECK(str_copys(&s, "Hello, world"));
  CHECK(str_starts(&s, ""));
  CHECK(str_starts(&s, "H"));
  CHECK(str_starts(&s, "Hello"));
  CHECK(str_starts(&s, "Hello, world"));
  CHECK(!str_starts(&s, "Hello, world!"));
  CHECK(!str_starts(&s, "hello"));
  CHECK(!str_starts(&s, "ello"));
  CHECK(str_equals(&s, "Hello, world"));
  CHECK(!str_equals(&s, "Hello, World"));
  CHECK(!str_equals(&s, "Hello, worl"));
  CHECK(!str_equals(&s, "Hello, world "));
  CHECK(!str_equals(&s, ""));
  s.len = 0;
  CHECK(str_equals(&s, ""));
  str_free(&s);
}

int main(void)
{
  RUN(test_empty_and_growth);
  RUN(test_cat_copy);
  RUN(test_embedded_nul);
  RUN(test_overlap);
  RUN(test_catnum);
  RUN(test_truncate_free);
  RUN(test_overflow);
  RUN(test_starts_equals);
  return check_report();
}
