/* check.h: the unit-test harness. Each tests/unit/test_*.c is a program
 * whose main() calls CHECK(...) and ends with `return check_report();`,
 * which prints "N passed, M failed" and exits non-zero on any failure. */
#ifndef CHECK_H
#define CHECK_H

#include <stdio.h>
#include <string.h>

static unsigned long check_passed, check_failed;

#define CHECK(cond) check_one(!!(cond), #cond, __FILE__, __LINE__)
/* Compare len bytes at got with the C string want, byte for byte. */
#define CHECK_BYTES(got, len, want) \
  check_one((len) == strlen(want) && !memcmp((got), (want), (len)), \
            #got " == " #want, __FILE__, __LINE__)
#define CHECK_STR(got, want) check_one(!strcmp((got), (want)), #got " == " #want, __FILE__, __LINE__)

static inline void check_one(int ok, const char *what, const char *file, int line)
{
  if (ok) {
    check_passed++;
    return;
  }
  check_failed++;
  fprintf(stderr, "FAIL %s:%d: %s\n", file, line, what);
}

static inline int check_report(void)
{
  printf("%lu passed, %lu failed\n", check_passed, check_failed);
  return check_failed ? 1 : 0;
}

#endif
