/* check.h: the unit-test harness. Each tests/unit/test_*.c is a program
 * whose main() runs its test cases, each a function, with RUN(name), and
 * ends with `return check_report();`. A case is made of CHECK(...)s and
 * fails if any of them does; checks made in main() itself, outside any
 * RUN, form one case more. check_report prints the number of checks,
 * then the line "N passed, M failed" counting cases (the line tests/run
 * adds up), and exits non-zero on any failure. */
#ifndef CHECK_H
#define CHECK_H

#include <stdio.h>
#include <string.h>

static unsigned long check_passed, check_failed;
static unsigned long case_passed, case_failed;
static int case_running;
static unsigned long loose_checks, loose_failed; /* outside any RUN */

#define CHECK(cond) check_one(!!(cond), #cond, __FILE__, __LINE__)
/* Compare len bytes at got with the C string want, byte for byte. */
#define CHECK_BYTES(got, len, want) \
  check_one((len) == strlen(want) && !memcmp((got), (want), (len)), \
            #got " == " #want, __FILE__, __LINE__)
#define CHECK_STR(got, want) check_one(!strcmp((got), (want)), #got " == " #want, __FILE__, __LINE__)
#define RUN(fn) check_case(fn, #fn)

static inline void check_one(int ok, const char *what, const char *file, int line)
{
  if (!case_running) {
    loose_checks++;
    loose_failed += !ok;
  }
  if (ok) {
    check_passed++;
    return;
  }
  check_failed++;
  fprintf(stderr, "FAIL %s:%d: %s\n", file, line, what);
}

static inline void check_case(void (*fn)(void), const char *name)
{
  unsigned long before = check_failed;
  case_running = 1;
  fn();
  case_running = 0;
  if (check_failed == before) {
    case_passed++;
    return;
  }
  case_failed++;
  fprintf(stderr, "FAIL case %s\n", name);
}

static inline int check_report(void)
{
  if (loose_checks) {
    if (loose_failed) case_failed++;
    else case_passed++;
  }
  printf("(%lu checks passed, %lu failed)\n", check_passed, check_failed);
  printf("%lu passed, %lu failed\n", case_passed, case_failed);
  return check_failed || case_failed ? 1 : 0;
}

#endif
