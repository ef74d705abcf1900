/* cdb.c: reading constant databases (see cdb.h). The file is mapped when
 * possible and read with pread otherwise; either way every offset and
 * length taken from the file is checked against its size first. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cdb.h"
#include "safemath.h"

/* Largest single pread, well inside ssize_t on every host. */
#define CDB_READ_CHUNK ((size_t)1 << 30)

uint32_t cdb_hash(const void *buf, size_t len)
{
  const unsigned char *p = buf;
  uint32_t h = CDB_HASHSTART;

  while (len--) h = ((h << 5) + h) ^ *p++;
  return h;
}

static uint32_t unpack(const unsigned char *b)
{
  return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
         (uint32_t)b[3] << 24;
}

int cdb_init(struct cdb *c, int fd)
{
  struct stat st;

  c->map = 0;
  c->size = 0;
  c->fd = fd;
  c->dpos = c->dlen = 0;
  cdb_findstart(c);
  if (fstat(fd, &st) == -1) return -1;
  if (st.st_size > 0) {
    void *p;
    /* Offsets past SIZE_MAX cannot be named on this host anyway. */
    c->size = (uintmax_t)st.st_size > SIZE_MAX ? SIZE_MAX : (size_t)st.st_size;
    p = mmap(0, c->size, PROT_READ, MAP_SHARED, fd, 0);
    if (p != MAP_FAILED) c->map = p;
  }
  return 0;
}

void cdb_free(struct cdb *c)
{
  if (c->map) munmap((void *)c->map, c->size);
  c->map = 0;
}

void cdb_findstart(struct cdb *c) { c->loop = 0; }

/* 1 if the len bytes at pos lie inside the file. */
static int in_file(const struct cdb *c, size_t pos, size_t len)
{
  size_t end;
  return size_add(pos, len, &end) && end <= c->size;
}

static int get(struct cdb *c, void *buf, size_t len, size_t pos)
{
  unsigned char *to = buf;

  if (!in_file(c, pos, len)) {
    errno = EPROTO;
    return -1;
  }
  if (c->map) {
    if (len) memcpy(to, c->map + pos, len);
    return 0;
  }
  while (len) {
    size_t n = len < CDB_READ_CHUNK ? len : CDB_READ_CHUNK;
    ssize_t r = pread(c->fd, to, n, (off_t)pos);
    if (r == -1) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (r == 0) { /* the file shrank under us */
      errno = EPROTO;
      return -1;
    }
    to += r;
    pos += (size_t)r;
    len -= (size_t)r;
  }
  return 0;
}

int cdb_read(struct cdb *c, void *buf, size_t len, uint32_t pos)
{
  return get(c, buf, len, pos);
}

/* Compare the len bytes at pos (known to be inside the file) with key:
 * 1 equal, 0 different, -1 read error. */
static int match(struct cdb *c, const void *key, size_t len, size_t pos)
{
  const unsigned char *k = key;
  unsigned char buf[256];

  if (c->map) return !len || !memcmp(c->map + pos, k, len);
  while (len) {
    size_t n = len < sizeof buf ? len : sizeof buf;
    if (get(c, buf, n, pos) == -1) return -1;
    if (memcmp(buf, k, n)) return 0;
    k += n;
    pos += n;
    len -= n;
  }
  return 1;
}

static int corrupt(void)
{
  errno = EPROTO;
  return -1;
}

int cdb_findnext(struct cdb *c, const void *key, size_t len)
{
  unsigned char b[8];
  size_t tbytes;

  if (!c->loop) {
    uint32_t h = cdb_hash(key, len);
    if (c->size < 2048) return corrupt(); /* not even a whole header */
    if (get(c, b, 8, (h << 3) & 2047) == -1) return -1;
    c->hpos = unpack(b);
    c->hslots = unpack(b + 4);
    if (!c->hslots) return 0;
    if (!size_mul(c->hslots, 8, &tbytes) || !in_file(c, c->hpos, tbytes))
      return corrupt();
    c->khash = h;
    c->kpos = c->hpos + ((size_t)((h >> 8) % c->hslots) << 3);
  }
  /* The table lies inside the file (checked above), so these are exact. */
  tbytes = (size_t)c->hslots << 3;

  while (c->loop < c->hslots) {
    uint32_t h, rpos, klen, dlen;
    size_t kstart, dstart;
    int r;

    if (get(c, b, 8, c->kpos) == -1) return -1;
    h = unpack(b);
    rpos = unpack(b + 4);
    if (!rpos) return 0; /* an empty slot ends the chain */
    c->loop++;
    c->kpos += 8;
    if (c->kpos == c->hpos + tbytes) c->kpos = c->hpos;
    if (h != c->khash) continue;

    if (get(c, b, 8, rpos) == -1) return -1;
    klen = unpack(b);
    dlen = unpack(b + 4);
    if (klen != len) continue;
    if (!size_add(rpos, 8, &kstart) || !in_file(c, kstart, len)) return corrupt();
    r = match(c, key, len, kstart);
    if (r == -1) return -1;
    if (!r) continue;
    dstart = kstart + len; /* inside the file: cannot overflow */
    if (dstart > UINT32_MAX || !in_file(c, dstart, dlen)) return corrupt();
    c->dpos = (uint32_t)dstart;
    c->dlen = dlen;
    return 1;
  }
  return 0;
}

int cdb_find(struct cdb *c, const void *key, size_t len)
{
  cdb_findstart(c);
  return cdb_findnext(c, key, len);
}
