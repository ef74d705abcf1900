/* test_num.c: unit tests for num.c (num_fmt, num_scan saturation, num_parse). */
#include <limits.h>
#include <string.h>
#include "check.h"
#include "num.h"

static void test_fmt(void)
{
  char buf[NUM_ULL_DIGITS + 4];
  size_t n;

  memset(buf, 'Z', sizeof buf);
  n = num_fmt(buf, 0);
  CHECK(n == 1);
  CHECK_BYTES(buf, n, "0");
  CHECK(buf[1] == 'Z'); /* no NUL written */

  n = num_fmt(buf, 9);
  CHECK_BYTES(buf, n, "9");
  n = num_fmt(buf, 10);
  CHECK_BYTES(buf, n, "10");
  n = num_fmt(buf, 99);
  CHECK_BYTES(buf, n, "99");
  n = num_fmt(buf, 100);
  CHECK_BYTES(buf, n, "100");
  n = num_fmt(buf, 4294967296ULL);
  CHECK_BYTES(buf, n, "4294967296");
  n = num_fmt(buf, 1000000000000000000ULL);
  CHECK_BYTES(buf, n, "1000000000000000000");

  memset(buf, 'Z', sizeof buf);
  n = num_fmt(buf, ULLONG_MAX);
  CHECK(n == NUM_ULL_DIGITS);
  CHECK_BYTES(buf, n, "18446744073709551615");
  CHECK(buf[NUM_ULL_DIGITS] == 'Z');

  /* length only */
  CHECK(num_fmt(0, 0) == 1);
  CHECK(num_fmt(0, 9) == 1);
  CHECK(num_fmt(0, 10) == 2);
  CHECK(num_fmt(0, 12345) == 5);
  CHECK(num_fmt(0, ULLONG_MAX) == 20);
}

static void test_scan(void)
{
  unsigned long long v;

  v = 77;
  CHECK(num_scan("", 0, &v) == 0);
  CHECK(v == 0);
  v = 77;
  CHECK(num_scan("x1", 2, &v) == 0);
  CHECK(v == 0);

  CHECK(num_scan("0", 1, &v) == 1);
  CHECK(v == 0);
  CHECK(num_scan("123abc", 6, &v) == 3);
  CHECK(v == 123);
  CHECK(num_scan("42 7", 4, &v) == 2);
  CHECK(v == 42);
  CHECK(num_scan("9/", 2, &v) == 1); /* '/' is just below '0' */
  CHECK(v == 9);
  CHECK(num_scan("9:", 2, &v) == 1); /* ':' is just above '9' */
  CHECK(v == 9);
  CHECK(num_scan("-5", 2, &v) == 0);
  CHECK(num_scan("+5", 2, &v) == 0);
  CHECK(num_scan(" 5", 2, &v) == 0);
  CHECK(num_scan("007", 3, &v) == 3);
  CHECK(v == 7);

  /* len limits how far it reads, even in the middle of digits */
  CHECK(num_scan("12345", 3, &v) == 3);
  CHECK(v == 123);
  CHECK(num_scan("12345", 0, &v) == 0);
  CHECK(v == 0);
  /* not NUL-dependent: bytes after len are not looked at */
  {
    char d[3] = { '1', '2', '3' };
    CHECK(num_scan(d, 2, &v) == 2);
    CHECK(v == 12);
  }

  /* no 32-bit wrap */
  CHECK(num_scan("4294967296", 10, &v) == 10);
  CHECK(v == 4294967296ULL);
  CHECK(num_scan("4294967297", 10, &v) == 10);
  CHECK(v == 4294967297ULL);

  /* the maximum exactly, then one more saturates */
  CHECK(num_scan("18446744073709551615", 20, &v) == 20);
  CHECK(v == ULLONG_MAX);
  CHECK(num_scan("18446744073709551614", 20, &v) == 20);
  CHECK(v == ULLONG_MAX - 1);
  CHECK(num_scan("18446744073709551616", 20, &v) == 20);
  CHECK(v == ULLONG_MAX);
  CHECK(num_scan("18446744073709551620", 20, &v) == 20);
  CHECK(v == ULLONG_MAX);
  CHECK(num_scan("99999999999999999999999", 23, &v) == 23);
  CHECK(v == ULLONG_MAX);
  CHECK(num_scan("1844674407370955161600000000000000x", 35, &v) == 34);
  CHECK(v == ULLONG_MAX);
  /* 10x the max, where a naive v*10 would wrap to a small number */
  CHECK(num_scan("184467440737095516150", 21, &v) == 21);
  CHECK(v == ULLONG_MAX);
}

static void test_parse(void)
{
  unsigned long long v;

  CHECK(num_parse("", &v) == 0);
  CHECK(num_parse("12a", &v) == 0);
  CHECK(num_parse("a12", &v) == 0);
  CHECK(num_parse("12 ", &v) == 0);
  CHECK(num_parse(" 12", &v) == 0);
  CHECK(num_parse("-1", &v) == 0);
  CHECK(num_parse("+1", &v) == 0);
  CHECK(num_parse("1.0", &v) == 0);

  v = 99;
  CHECK(num_parse("0", &v) == 1);
  CHECK(v == 0);
  CHECK(num_parse("7", &v) == 1);
  CHECK(v == 7);
  CHECK(num_parse("007", &v) == 1);
  CHECK(v == 7);
  CHECK(num_parse("4294967297", &v) == 1);
  CHECK(v == 4294967297ULL);
  CHECK(num_parse("18446744073709551614", &v) == 1);
  CHECK(v == ULLONG_MAX - 1);
  CHECK(num_parse("18446744073709551615", &v) == 1);
  CHECK(v == ULLONG_MAX);
  /* leading zeros do not change whether the value fits */
  CHECK(num_parse("018446744073709551615", &v) == 1);
  CHECK(v == ULLONG_MAX);
  CHECK(num_parse("00000000000000000000000000001", &v) == 1);
  CHECK(v == 1);

  CHECK(num_parse("18446744073709551616", &v) == 0);
  CHECK(num_parse("99999999999999999999999", &v) == 0);
  CHECK(num_parse("018446744073709551616", &v) == 0);
}

int main(void)
{
  RUN(test_fmt);
  RUN(test_scan);
  RUN(test_parse);
  return check_report();
}
