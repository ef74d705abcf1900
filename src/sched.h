/* sched.h: qmail-send's schedule: a priority queue of (time, message)
 * pairs, earliest first, and the quadratic retry arithmetic.
 *
 * Retry times: a message born at `birth` (the mtime of its info file)
 * and tried at `now` is next tried at
 *     birth + (floor(sqrt(now - birth)) + chanskip)^2
 * with chanskip SCHED_SKIP_LOCAL (10) or SCHED_SKIP_REMOTE (20), so a
 * remote message is tried at 0, 400, 1600, 3600, 6400 ... seconds of
 * age and a local one at 0, 100, 400, 900, 1600 ... The result never
 * overflows: it saturates at the largest time_t. */
#ifndef SCHED_H
#define SCHED_H

#include <stddef.h>
#include <time.h>

#define SCHED_SKIP_LOCAL 10
#define SCHED_SKIP_REMOTE 20

struct sched_item {
  time_t when;
  unsigned long long id;
};

struct sched {
  struct sched_item *x; /* a binary heap: x[i].when <= x[2i+1], x[2i+2] */
  size_t n;
  size_t cap;
};

#define SCHED_INIT { 0, 0, 0 }

/* Add (when, id). 1, or 0 out of memory (the queue is unchanged). */
int sched_insert(struct sched *q, time_t when, unsigned long long id);
/* The earliest item into *it: 1, or 0 when the queue is empty. */
int sched_min(const struct sched *q, struct sched_item *it);
/* Remove the earliest item (no-op when empty). */
void sched_delmin(struct sched *q);
/* Move every item to time when (qmail-send's "retry everything now"). */
void sched_setall(struct sched *q, time_t when);
void sched_free(struct sched *q);

/* floor(sqrt(x)). */
unsigned long long sched_isqrt(unsigned long long x);
/* The next retry time as above; a birth in the future counts as age 0. */
time_t sched_nextretry(time_t birth, time_t now, unsigned int chanskip);

#endif
