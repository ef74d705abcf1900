/* sched.c: qmail-send's priority queue and retry times (see sched.h). */
#include <errno.h>
#include <stdlib.h>
#include "safemath.h"
#include "sched.h"

/* The largest time_t (a signed type of at most 64 bits). */
#define TIME_MAX ((time_t)((1ULL << (sizeof(time_t) * 8 - 1)) - 1))

static int before(const struct sched_item *a, const struct sched_item *b)
{
  return a->when < b->when;
}

int sched_insert(struct sched *q, time_t when, unsigned long long id)
{
  size_t i;

  if (q->n == q->cap) {
    size_t cap, bytes;
    struct sched_item *x;
    if (!size_add(q->cap, q->cap / 2 + 16, &cap) || !size_mul(cap, sizeof *x, &bytes)) {
      errno = ENOMEM;
      return 0;
    }
    x = realloc(q->x, bytes);
    if (!x) return 0;
    q->x = x;
    q->cap = cap;
  }
  /* Sift up from the new leaf. */
  i = q->n++;
  while (i) {
    size_t parent = (i - 1) / 2;
    if (q->x[parent].when <= when) break;
    q->x[i] = q->x[parent];
    i = parent;
  }
  q->x[i].when = when;
  q->x[i].id = id;
  return 1;
}

int sched_min(const struct sched *q, struct sched_item *it)
{
  if (!q->n) return 0;
  *it = q->x[0];
  return 1;
}

void sched_delmin(struct sched *q)
{
  struct sched_item last;
  size_t i = 0;

  if (!q->n) return;
  last = q->x[--q->n];
  /* Sift the last leaf down from the root. */
  for (;;) {
    size_t child = 2 * i + 1;
    if (child >= q->n) break;
    if (child + 1 < q->n && before(&q->x[child + 1], &q->x[child])) ++child;
    if (!before(&q->x[child], &last)) break;
    q->x[i] = q->x[child];
    i = child;
  }
  if (q->n) q->x[i] = last;
}

void sched_setall(struct sched *q, time_t when)
{
  for (size_t i = 0; i < q->n; ++i) q->x[i].when = when; /* equal keys: still a heap */
}

void sched_free(struct sched *q)
{
  free(q->x);
  q->x = 0;
  q->n = q->cap = 0;
}

unsigned long long sched_isqrt(unsigned long long x)
{
  /* Bit by bit, from the highest possible bit of the root down. */
  unsigned long long root = 0;
  for (int bit = 31; bit >= 0; --bit) {
    unsigned long long trial = root | (1ULL << bit);
    if (trial * trial <= x) root = trial; /* trial < 2^32: no overflow */
  }
  return root;
}

time_t sched_nextretry(time_t birth, time_t now, unsigned int chanskip)
{
  unsigned long long age, n, delay;

  age = now > birth ? (unsigned long long)now - (unsigned long long)birth : 0;
  n = sched_isqrt(age) + chanskip; /* < 2^32 + 2^32 */
  if (n > 0xffffffffULL) return TIME_MAX;
  delay = n * n;
  if (delay > (unsigned long long)TIME_MAX) return TIME_MAX;
  if (birth > 0 && (time_t)delay > TIME_MAX - birth) return TIME_MAX;
  return birth + (time_t)delay;
}
