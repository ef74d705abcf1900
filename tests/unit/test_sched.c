/* test_sched.c: unit tests for sched.c: the retry schedule (qmail-1.03's
 * table for both channels, saturation, future births) and the priority
 * queue (order, ties, growth, retry-everything-now). */
#include <stdint.h>
#include <stdlib.h>
#include "check.h"
#include "sched.h"

#define TIME_MAX ((time_t)((1ULL << (sizeof(time_t) * 8 - 1)) - 1))

static void test_isqrt(void)
{
  CHECK(sched_isqrt(0) == 0);
  CHECK(sched_isqrt(1) == 1);
  CHECK(sched_isqrt(3) == 1);
  CHECK(sched_isqrt(4) == 2);
  CHECK(sched_isqrt(399) == 19);
  CHECK(sched_isqrt(400) == 20);
  CHECK(sched_isqrt(401) == 20);
  CHECK(sched_isqrt(1000000) == 1000);
  CHECK(sched_isqrt(4294967295ULL * 4294967295ULL) == 4294967295ULL);
  CHECK(sched_isqrt(UINT64_MAX) == 4294967295ULL);
  for (unsigned long long x = 0; x < 100000; x += 7) {
    unsigned long long r = sched_isqrt(x);
    CHECK(r * r <= x && (r + 1) * (r + 1) > x);
  }
}

/* Tried exactly at each retry time, a message walks the table. */
static void walk(unsigned int skip, const long *table, size_t n)
{
  const time_t birth = 1000000000;
  time_t t = birth;
  for (size_t i = 0; i < n; ++i) {
    CHECK(t - birth == table[i]);
    t = sched_nextretry(birth, t, skip);
  }
}

static void test_tables(void)
{
  static const long remote[] = { 0, 400, 1600, 3600, 6400, 10000, 14400, 19600, 25600 };
  static const long local[] = { 0, 100, 400, 900, 1600, 2500, 3600, 4900, 6400 };

  walk(SCHED_SKIP_REMOTE, remote, sizeof remote / sizeof *remote);
  walk(SCHED_SKIP_LOCAL, local, sizeof local / sizeof *local);

  /* Between retry times: the next square after the current age. */
  CHECK(sched_nextretry(0, 1, SCHED_SKIP_REMOTE) == 441);        /* (1+20)^2 */
  CHECK(sched_nextretry(0, 399, SCHED_SKIP_REMOTE) == 39 * 39);  /* (19+20)^2 */
  CHECK(sched_nextretry(0, 3599, SCHED_SKIP_LOCAL) == 69 * 69);  /* (59+10)^2 */
  CHECK(sched_nextretry(5000, 5000 + 86400, SCHED_SKIP_REMOTE) == 5000 + (293 + 20) * (293 + 20));
  /* A week old: still about once every ten hours for remote mail. */
  CHECK(sched_nextretry(0, 604800, SCHED_SKIP_REMOTE) == (777 + 20) * (777 + 20));
}

static void test_edges(void)
{
  /* Born in the future (clock went back): age 0. */
  CHECK(sched_nextretry(2000, 1000, SCHED_SKIP_REMOTE) == 2400);
  CHECK(sched_nextretry(2000, 1000, SCHED_SKIP_LOCAL) == 2100);
  /* Always later than now. */
  for (time_t now = 0; now < 50000; now += 13) {
    CHECK(sched_nextretry(0, now, SCHED_SKIP_LOCAL) > now);
    CHECK(sched_nextretry(0, now, SCHED_SKIP_REMOTE) > now);
  }
  /* Saturates instead of wrapping. */
  CHECK(sched_nextretry(TIME_MAX - 10, TIME_MAX, SCHED_SKIP_REMOTE) == TIME_MAX);
  CHECK(sched_nextretry(0, TIME_MAX, SCHED_SKIP_REMOTE) == TIME_MAX);
  CHECK(sched_nextretry(-100, 0, SCHED_SKIP_LOCAL) == -100 + 400);
}

static void test_queue(void)
{
  struct sched q = SCHED_INIT;
  struct sched_item it;
  time_t last;
  size_t count;

  CHECK(!sched_min(&q, &it));
  sched_delmin(&q); /* empty: nothing happens */
  CHECK(sched_insert(&q, 50, 5));
  CHECK(sched_insert(&q, 10, 1));
  CHECK(sched_insert(&q, 30, 3));
  CHECK(sched_min(&q, &it) && it.when == 10 && it.id == 1);
  sched_delmin(&q);
  CHECK(sched_min(&q, &it) && it.when == 30 && it.id == 3);
  sched_delmin(&q);
  CHECK(sched_min(&q, &it) && it.when == 50 && it.id == 5);
  sched_delmin(&q);
  CHECK(!sched_min(&q, &it) && q.n == 0);

  /* Many items in scrambled order come out sorted; ids stay with times. */
  srand(12345);
  for (unsigned long long i = 0; i < 5000; ++i) {
    time_t when = rand() % 1000;
    CHECK(sched_insert(&q, when, (unsigned long long)when * 100000 + i));
  }
  last = -1;
  count = 0;
  while (sched_min(&q, &it)) {
    CHECK(it.when >= last);
    CHECK(it.id / 100000 == (unsigned long long)it.when);
    last = it.when;
    sched_delmin(&q);
    ++count;
  }
  CHECK(count == 5000);

  /* ALRM: everything due now, nothing lost. */
  for (unsigned long long i = 0; i < 100; ++i) CHECK(sched_insert(&q, 1000 + (time_t)i, i));
  sched_setall(&q, 7);
  count = 0;
  while (sched_min(&q, &it)) {
    CHECK(it.when == 7);
    sched_delmin(&q);
    ++count;
  }
  CHECK(count == 100);
  sched_free(&q);
  CHECK(q.n == 0 && q.x == 0);
}

int main(void)
{
  RUN(test_isqrt);
  RUN(test_tables);
  RUN(test_edges);
  RUN(test_queue);
  return check_report();
}
