/* tcpto.c: the table of hosts that time out (see tcpto.h). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "lock.h"
#include "tcpto.h"

#define EVICT_WEIGHT 1024 /* seconds one timeout adds to a record's age when one is evicted */

static const struct tcpto_kind kind4 = { 0, 16, 4, 4, 8 };
static const struct tcpto_kind kind6 = { TCPTO_SIZE4, 32, 16, 16, 20 };

const struct tcpto_kind *tcpto_kind(int family) { return family == IPADDR_V6 ? &kind6 : &kind4; }

unsigned int tcpto_count(const struct tcpto_kind *k, const unsigned char *rec)
{
  return rec[k->off_count];
}

unsigned long tcpto_when(const struct tcpto_kind *k, const unsigned char *rec)
{
  const unsigned char *w = rec + k->off_when;
  return (unsigned long)w[0] | (unsigned long)w[1] << 8 | (unsigned long)w[2] << 16 |
         (unsigned long)w[3] << 24;
}

static void set_when(const struct tcpto_kind *k, unsigned char *rec, unsigned long long t)
{
  for (int i = 0; i < 4; ++i) rec[k->off_when + i] = (unsigned char)(t >> (8 * i));
}

size_t tcpto_find(const struct tcpto_kind *k, const unsigned char *recs, size_t n,
                  const unsigned char *ip)
{
  for (size_t i = 0; i < n; ++i)
    if (!memcmp(recs + i * k->reclen, ip, k->addrlen)) return i;
  return n;
}

unsigned long tcpto_window(unsigned long pid) { return (60 + (pid & 31)) << 6; }

int tcpto_isdown(const struct tcpto_kind *k, const unsigned char *recs, size_t n,
                 const unsigned char *ip, unsigned long long now, unsigned long window,
                 int *known)
{
  size_t i = tcpto_find(k, recs, n, ip);
  const unsigned char *rec;
  unsigned long when;

  *known = i < n;
  if (i == n) return 0;
  rec = recs + i * k->reclen;
  if (tcpto_count(k, rec) < TCPTO_DOWN) return 0;
  when = tcpto_when(k, rec);
  return now >= when && now - when < window;
}

/* The slot a new record goes into: the first free one, else the one
 * whose time plus EVICT_WEIGHT per timeout is least. n > 0. */
static size_t slot_for_new(const struct tcpto_kind *k, const unsigned char *recs, size_t n)
{
  size_t best = 0;
  unsigned long long bestkey = 0;

  for (size_t i = 0; i < n; ++i)
    if (!tcpto_count(k, recs + i * k->reclen)) return i;
  for (size_t i = 0; i < n; ++i) {
    const unsigned char *rec = recs + i * k->reclen;
    unsigned long long key = tcpto_when(k, rec) + (unsigned long long)tcpto_count(k, rec) * EVICT_WEIGHT;
    if (i == 0 || key < bestkey) {
      best = i;
      bestkey = key;
    }
  }
  return best;
}

int tcpto_update(const struct tcpto_kind *k, unsigned char *recs, size_t n,
                 const unsigned char *ip, int timedout, unsigned long long now, size_t *idx)
{
  size_t i = tcpto_find(k, recs, n, ip);
  unsigned char *rec;

  if (i < n) {
    rec = recs + i * k->reclen;
    if (!timedout) rec[k->off_count] = 0;
    else {
      unsigned int count = tcpto_count(k, rec);
      if (count && now < (unsigned long long)tcpto_when(k, rec) + TCPTO_SPACING) return 0;
      rec[k->off_count] = (unsigned char)(count >= TCPTO_COUNTMAX ? TCPTO_COUNTMAX : count + 1);
      set_when(k, rec, now);
    }
    *idx = i;
    return 1;
  }
  if (!timedout || !n) return 0;
  i = slot_for_new(k, recs, n);
  rec = recs + i * k->reclen;
  memcpy(rec, ip, k->addrlen);
  rec[k->off_count] = 1;
  set_when(k, rec, now);
  *idx = i;
  return 1;
}

int tcpto_open(const char *fn) { return open(fn, O_RDWR | O_CLOEXEC); }

/* Whole records of kind k in the first got bytes of the file. */
static size_t records(const struct tcpto_kind *k, size_t got)
{
  size_t n = got > k->start ? (got - k->start) / k->reclen : 0;
  return n < TCPTO_RECORDS ? n : TCPTO_RECORDS;
}

int tcpto_load(int fd, unsigned char buf[TCPTO_SIZE], size_t *n4, size_t *n6)
{
  size_t got = 0;

  while (got < TCPTO_SIZE) {
    ssize_t r = pread(fd, buf + got, TCPTO_SIZE - got, (off_t)got);
    if (r == -1) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (r == 0) break;
    got += (size_t)r;
  }
  memset(buf + got, 0, TCPTO_SIZE - got);
  *n4 = records(&kind4, got);
  *n6 = records(&kind6, got);
  return 0;
}

/* Open and lock TCPTO_FILE and read it: the fd (locked; closing it
 * unlocks), or -1. */
static int grab(unsigned char buf[TCPTO_SIZE], size_t *n4, size_t *n6)
{
  int fd = tcpto_open(TCPTO_FILE);
  if (fd == -1) return -1;
  if (lock_ex(fd) == -1 || tcpto_load(fd, buf, n4, n6) == -1) {
    close(fd);
    return -1;
  }
  return fd;
}

static unsigned long long now(void)
{
  time_t t = time(0);
  return t < 0 ? 0 : (unsigned long long)t;
}

int tcpto_skip(const struct ipaddr *a, int *known)
{
  unsigned char buf[TCPTO_SIZE];
  const struct tcpto_kind *k = tcpto_kind(a->family);
  size_t n4, n6;
  int fd = grab(buf, &n4, &n6);

  *known = 0;
  if (fd == -1) return 0;
  close(fd);
  return tcpto_isdown(k, buf + k->start, k == &kind6 ? n6 : n4, a->ip, now(),
                      tcpto_window((unsigned long)getpid()), known);
}

int tcpto_result(const struct ipaddr *a, int timedout, int known)
{
  unsigned char buf[TCPTO_SIZE];
  const struct tcpto_kind *k = tcpto_kind(a->family);
  size_t n4, n6, n, i;
  int fd, r = 0;

  if (!timedout && !known) return 0;
  fd = grab(buf, &n4, &n6);
  if (fd == -1) return -1;
  /* a file of qmail-1.03's size has no IPv6 records yet: all are free */
  n = k == &kind6 ? TCPTO_RECORDS : n4;
  if (tcpto_update(k, buf + k->start, n, a->ip, timedout, now(), &i)) {
    off_t at = (off_t)(k->start + i * k->reclen);
    if (pwrite(fd, buf + at, k->reclen, at) != (ssize_t)k->reclen) r = -1;
  }
  close(fd);
  return r;
}
