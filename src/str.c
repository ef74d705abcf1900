/* str.c: growable byte strings with overflow-checked sizes (see str.h). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "safemath.h"
#include "str.h"
#include "num.h"

int str_reserve(str *sa, size_t extra)
{
  size_t need, grown;
  char *p;

  /* need = len + extra + 1 for the terminating NUL, all checked. */
  if (!size_add(sa->len, extra, &need) || !size_add(need, 1, &need)) {
    errno = ENOMEM;
    return 0;
  }
  if (need <= sa->cap) return 1;
  /* Grow by half again, so appending byte runs stays linear. */
  if (!size_add(need, need / 2, &grown)) grown = need;
  if (grown < 32) grown = 32;
  p = realloc(sa->s, grown);
  if (!p && grown > need) p = realloc(sa->s, grown = need);
  if (!p) {
    errno = ENOMEM;
    return 0;
  }
  sa->s = p;
  sa->cap = grown;
  return 1;
}

int str_cat(str *sa, const void *buf, size_t n)
{
  /* buf may lie inside sa itself (str_catstr(sa, sa)); growing may move
   * the bytes, so find them again by offset after str_reserve. */
  uintptr_t at = (uintptr_t)buf, base = (uintptr_t)sa->s;
  int inside = sa->s && at >= base && at < base + sa->cap;

  if (!str_reserve(sa, n)) return 0;
  if (inside) buf = sa->s + (at - base);
  if (n) memcpy(sa->s + sa->len, buf, n);
  sa->len += n;
  sa->s[sa->len] = 0;
  return 1;
}

int str_cats(str *sa, const char *s) { return str_cat(sa, s, strlen(s)); }
int str_catstr(str *sa, const str *from) { return str_cat(sa, from->s, from->len); }

int str_copy(str *sa, const void *buf, size_t n)
{
  if (!str_reserve(sa, n > sa->len ? n - sa->len : 0)) return 0;
  if (n) memmove(sa->s, buf, n);
  sa->len = n;
  sa->s[n] = 0;
  return 1;
}

int str_copys(str *sa, const char *s) { return str_copy(sa, s, strlen(s)); }
int str_copystr(str *sa, const str *from) { return str_copy(sa, from->s, from->len); }
int str_putc(str *sa, char c) { return str_cat(sa, &c, 1); }

int str_catnum(str *sa, unsigned long long n)
{
  char digits[NUM_ULL_DIGITS];
  return str_cat(sa, digits, num_fmt(digits, n));
}

int str_catnum0(str *sa, unsigned long long n, unsigned int width)
{
  char digits[NUM_ULL_DIGITS];
  size_t len = num_fmt(digits, n);
  while (width > len) {
    if (!str_putc(sa, '0')) return 0;
    --width;
  }
  return str_cat(sa, digits, len);
}

void str_truncate(str *sa, size_t len)
{
  if (len < sa->len) {
    sa->len = len;
    sa->s[len] = 0;
  }
}

void str_free(str *sa)
{
  free(sa->s);
  sa->s = 0;
  sa->len = sa->cap = 0;
}

int str_starts(const str *sa, const char *prefix)
{
  size_t n = strlen(prefix);
  return sa->len >= n && (!n || !memcmp(sa->s, prefix, n)); /* s may be 0 */
}

int str_equals(const str *sa, const char *s)
{
  size_t n = strlen(s);
  return sa->len == n && (!n || !memcmp(sa->s, s, n)); /* sa->s may be 0 */
}
