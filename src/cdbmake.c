/* cdbmake.c: writing constant databases (see cdb.h). Records go out
 * through a buffer as they are added, after 2048 bytes reserved for the
 * header; the (hash, position) of each is kept in memory until
 * cdb_make_finish writes the 256 hash tables and then the header. The
 * output is byte-identical to that of cdbmake for the same records in
 * the same order. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cdb.h"
#include "safemath.h"

#define CDB_HEADER 2048

static void pack(unsigned char *b, uint32_t n)
{
  b[0] = (unsigned char)n;
  b[1] = (unsigned char)(n >> 8);
  b[2] = (unsigned char)(n >> 16);
  b[3] = (unsigned char)(n >> 24);
}

static int overflow(void)
{
  errno = EOVERFLOW;
  return -1;
}

int cdb_make_start(struct cdb_make *m, int fd)
{
  char zero[CDB_HEADER];

  m->hp = 0;
  m->hplen = m->hpcap = 0;
  m->pos = CDB_HEADER;
  m->fd = fd;
  io_init(&m->b, io_write, fd, m->space, sizeof m->space);
  if (lseek(fd, 0, SEEK_SET) == -1) return -1;
  memset(zero, 0, sizeof zero);
  return io_put(&m->b, zero, sizeof zero);
}

int cdb_make_add(struct cdb_make *m, const void *key, size_t klen,
                 const void *data, size_t dlen)
{
  unsigned char head[8];
  size_t end, entries, tables, total;

  /* The record and, later, 16 bytes of hash table for every record must
   * all fit below 4 GiB, so that cdb_make_finish cannot overflow. */
  if (!size_add(m->pos, 8, &end) || !size_add(end, klen, &end) ||
      !size_add(end, dlen, &end) || !size_add(m->hplen, 1, &entries) ||
      !size_mul(entries, 16, &tables) || !size_add(end, tables, &total) ||
      total > UINT32_MAX)
    return overflow();

  if (m->hplen == m->hpcap) {
    size_t cap, bytes;
    struct cdb_make_hp *p;
    if (!size_add(m->hpcap, m->hpcap / 2 + 64, &cap) ||
        !size_mul(cap, sizeof *p, &bytes)) {
      errno = ENOMEM;
      return -1;
    }
    p = realloc(m->hp, bytes);
    if (!p) {
      errno = ENOMEM;
      return -1;
    }
    m->hp = p;
    m->hpcap = cap;
  }

  pack(head, (uint32_t)klen);
  pack(head + 4, (uint32_t)dlen);
  if (io_put(&m->b, head, sizeof head) == -1) return -1;
  if (klen && io_put(&m->b, key, klen) == -1) return -1;
  if (dlen && io_put(&m->b, data, dlen) == -1) return -1;

  m->hp[m->hplen].h = cdb_hash(key, klen);
  m->hp[m->hplen].p = m->pos;
  m->hplen++;
  m->pos = (uint32_t)end;
  return 0;
}

/* The tables, then the header; the hash-pointer list is still held. */
static int finish(struct cdb_make *m)
{
  uint32_t count[256], fill[256];
  unsigned char header[CDB_HEADER];
  struct cdb_make_hp *split = 0, *table = 0;
  size_t i, most = 0, bytes, pos = m->pos;
  int result = -1;

  memset(count, 0, sizeof count);
  for (i = 0; i < m->hplen; i++) count[m->hp[i].h & 255]++;

  /* Group the records by bucket, keeping the order they were added. */
  for (i = 0; i < 256; i++) {
    fill[i] = i ? fill[i - 1] + count[i - 1] : 0;
    if (count[i] > most) most = count[i];
  }
  if (!size_mul(m->hplen ? m->hplen : 1, sizeof *split, &bytes)) goto nomem;
  split = malloc(bytes);
  if (!split) goto nomem;
  for (i = 0; i < m->hplen; i++) split[fill[m->hp[i].h & 255]++] = m->hp[i];

  /* Each table has twice as many slots as its bucket has records. */
  if (!size_mul(most ? most : 1, 2 * sizeof *table, &bytes)) goto nomem;
  table = malloc(bytes);
  if (!table) goto nomem;

  for (i = 0; i < 256; i++) {
    const struct cdb_make_hp *e = split + (fill[i] - count[i]);
    size_t slots = (size_t)count[i] * 2, u, where;
    size_t tbytes;

    if (!size_mul(slots, 8, &tbytes) || !size_add(pos, tbytes, &tbytes) ||
        tbytes > UINT32_MAX) {
      overflow();
      goto done;
    }
    pack(header + 8 * i, (uint32_t)pos);
    pack(header + 8 * i + 4, (uint32_t)slots);
    for (u = 0; u < slots; u++) table[u].h = table[u].p = 0;
    for (u = 0; u < count[i]; u++, e++) {
      where = (e->h >> 8) % slots;
      while (table[where].p)
        if (++where == slots) where = 0;
      table[where] = *e;
    }
    for (u = 0; u < slots; u++) {
      unsigned char slot[8];
      pack(slot, table[u].h);
      pack(slot + 4, table[u].p);
      if (io_put(&m->b, slot, sizeof slot) == -1) goto done;
    }
    pos = tbytes;
  }
  if (io_flush(&m->b) == -1) goto done;
  if (lseek(m->fd, 0, SEEK_SET) == -1) goto done;
  if (io_putflush(&m->b, header, sizeof header) == -1) goto done;
  m->pos = (uint32_t)pos;
  result = 0;
  goto done;

nomem:
  errno = ENOMEM;
done:
  free(split);
  free(table);
  return result;
}

int cdb_make_finish(struct cdb_make *m)
{
  int r = finish(m);
  int saved = errno;
  cdb_make_free(m);
  errno = saved;
  return r;
}

void cdb_make_free(struct cdb_make *m)
{
  free(m->hp);
  m->hp = 0;
  m->hplen = m->hpcap = 0;
}
