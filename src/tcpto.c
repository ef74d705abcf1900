/* tcpto.c: the table of hosts that time out (see tcpto.h). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "lock.h"
#include "tcpto.h"

#define OFF_COUNT 4
#define OFF_WHEN 8
#define EVICT_WEIGHT 1024 /* seconds one timeout adds to a record's age when one is evicted */

unsigned int tcpto_count(const unsigned char *rec) { return rec[OFF_COUNT]; }

unsigned long tcpto_when(const unsigned char *rec)
{
  const unsigned char *w = rec + OFF_WHEN;
  return (unsigned long)w[0] | (unsigned long)w[1] << 8 | (unsigned long)w[2] << 16 |
         (unsigned long)w[3] << 24;
}

static void set_when(unsigned char *rec, unsigned long long t)
{
  for (int i = 0; i < 4; ++i) rec[OFF_WHEN + i] = (unsigned char)(t >> (8 * i));
}

size_t tcpto_find(const unsigned char *buf, size_t n, const unsigned char ip[4])
{
  for (size_t i = 0; i < n; ++i)
    if (!memcmp(buf + i * TCPTO_RECLEN, ip, 4)) return i;
  return n;
}

unsigned long tcpto_window(unsigned long pid) { return (60 + (pid & 31)) << 6; }

int tcpto_isdown(const unsigned char *buf, size_t n, const unsigned char ip[4],
                 unsigned long long now, unsigned long window, int *known)
{
  size_t i = tcpto_find(buf, n, ip);
  const unsigned char *rec;
  unsigned long when;

  *known = i < n;
  if (i == n) return 0;
  rec = buf + i * TCPTO_RECLEN;
  if (tcpto_count(rec) < TCPTO_DOWN) return 0;
  when = tcpto_when(rec);
  return now >= when && now - when < window;
}

/* The slot a new record goes into: the first free one, else the one
 * whose time plus EVICT_WEIGHT per timeout is least. n > 0. */
static size_t slot_for_new(const unsigned char *buf, size_t n)
{
  size_t best = 0;
  unsigned long long bestkey = 0;

  for (size_t i = 0; i < n; ++i)
    if (!tcpto_count(buf + i * TCPTO_RECLEN)) return i;
  for (size_t i = 0; i < n; ++i) {
    const unsigned char *rec = buf + i * TCPTO_RECLEN;
    unsigned long long key = tcpto_when(rec) + (unsigned long long)tcpto_count(rec) * EVICT_WEIGHT;
    if (i == 0 || key < bestkey) {
      best = i;
      bestkey = key;
    }
  }
  return best;
}

int tcpto_update(unsigned char *buf, size_t n, const unsigned char ip[4], int timedout,
                 unsigned long long now, size_t *idx)
{
  size_t i = tcpto_find(buf, n, ip);
  unsigned char *rec;

  if (i < n) {
    rec = buf + i * TCPTO_RECLEN;
    if (!timedout) rec[OFF_COUNT] = 0;
    else {
      unsigned int count = tcpto_count(rec);
      if (count && now < (unsigned long long)tcpto_when(rec) + TCPTO_SPACING) return 0;
      rec[OFF_COUNT] = (unsigned char)(count >= TCPTO_COUNTMAX ? TCPTO_COUNTMAX : count + 1);
      set_when(rec, now);
    }
    *idx = i;
    return 1;
  }
  if (!timedout || !n) return 0;
  i = slot_for_new(buf, n);
  rec = buf + i * TCPTO_RECLEN;
  memcpy(rec, ip, 4);
  rec[OFF_COUNT] = 1;
  set_when(rec, now);
  *idx = i;
  return 1;
}

int tcpto_open(const char *fn) { return open(fn, O_RDWR | O_CLOEXEC); }

int tcpto_load(int fd, unsigned char buf[TCPTO_SIZE], size_t *n)
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
  *n = got / TCPTO_RECLEN;
  return 0;
}

/* Open and lock TCPTO_FILE and read it: the fd (locked; closing it
 * unlocks), or -1. */
static int grab(unsigned char buf[TCPTO_SIZE], size_t *n)
{
  int fd = tcpto_open(TCPTO_FILE);
  if (fd == -1) return -1;
  if (lock_ex(fd) == -1 || tcpto_load(fd, buf, n) == -1) {
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

int tcpto_skip(const unsigned char ip[4], int *known)
{
  unsigned char buf[TCPTO_SIZE];
  size_t n;
  int fd = grab(buf, &n);

  *known = 0;
  if (fd == -1) return 0;
  close(fd);
  return tcpto_isdown(buf, n, ip, now(), tcpto_window((unsigned long)getpid()), known);
}

int tcpto_result(const unsigned char ip[4], int timedout, int known)
{
  unsigned char buf[TCPTO_SIZE];
  size_t n, i;
  int fd, r = 0;

  if (!timedout && !known) return 0;
  fd = grab(buf, &n);
  if (fd == -1) return -1;
  if (tcpto_update(buf, n, ip, timedout, now(), &i) &&
      pwrite(fd, buf + i * TCPTO_RECLEN, TCPTO_RECLEN, (off_t)(i * TCPTO_RECLEN)) != TCPTO_RECLEN)
    r = -1;
  close(fd);
  return r;
}
