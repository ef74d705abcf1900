/* cdb.h: constant databases in D. J. Bernstein's cdb format (the format
 * of qmail's users/cdb, control/morercpthosts.cdb and tcprules files).
 *
 * Layout: a 2048-byte header of 256 (pos, len) pairs; the records, each
 * (klen, dlen, key, data); then 256 hash tables of len (hash, pos) slots.
 * All numbers are 32-bit little-endian, so a database is < 4 GiB.
 *
 * Reading: every position and length taken from the file is checked
 * against the file's size, so a corrupt or hostile database gives -1
 * with errno = EPROTO, never a read out of range; a lookup probes at most
 * one table's slot count. The file must not shrink while it is open
 * (databases are replaced by rename, never rewritten in place).
 *
 * Writing (cdbmake.c): cdb_make_start on an empty regular file opened
 * for writing, cdb_make_add for each record in order, cdb_make_finish;
 * then the caller fsyncs, closes and renames. */
#ifndef CDB_H
#define CDB_H

#include <stddef.h>
#include <stdint.h>
#include "io.h"

#define CDB_HASHSTART 5381

/* The cdb hash of len bytes: h = 5381; h = ((h << 5) + h) ^ c, 32-bit. */
uint32_t cdb_hash(const void *buf, size_t len);

/* ---- Reader ---- */

struct cdb {
  const unsigned char *map; /* the file mapped read-only, or 0: pread */
  size_t size;              /* file size in bytes (at most SIZE_MAX) */
  int fd;
  /* Lookup state (private). */
  uint32_t loop;   /* slots probed so far; 0 before the first probe */
  uint32_t khash;  /* hash of the key being looked up */
  uint32_t hslots; /* slots in its table */
  size_t hpos;     /* offset of its table */
  size_t kpos;     /* offset of the next slot to probe */
  /* The last record found. */
  uint32_t dpos;
  uint32_t dlen;
};

/* Open a database on fd (which stays the caller's: cdb_free does not
 * close it). 0, or -1 with errno if fd could not be examined. */
int cdb_init(struct cdb *c, int fd);
/* Release the mapping. c may be given to cdb_init again. */
void cdb_free(struct cdb *c);

/* Start a new lookup: the next cdb_findnext returns the first record. */
void cdb_findstart(struct cdb *c);
/* The next record (after cdb_findstart or a previous cdb_findnext with
 * the same key) whose key is these len bytes: 1 found (cdb_datapos and
 * cdb_datalen tell where its data is), 0 no more, -1 read error or
 * corrupt database (errno; EPROTO for corruption). */
int cdb_findnext(struct cdb *c, const void *key, size_t len);
/* cdb_findstart, then cdb_findnext: the first record with this key. */
int cdb_find(struct cdb *c, const void *key, size_t len);

static inline uint32_t cdb_datapos(const struct cdb *c) { return c->dpos; }
static inline uint32_t cdb_datalen(const struct cdb *c) { return c->dlen; }

/* Copy the len bytes at pos into buf: 0, or -1 with errno (EPROTO if
 * they do not all lie inside the file). */
int cdb_read(struct cdb *c, void *buf, size_t len, uint32_t pos);

/* ---- Writer (cdbmake.c) ---- */

struct cdb_make_hp {
  uint32_t h; /* hash of the key */
  uint32_t p; /* offset of the record */
};

struct cdb_make {
  iobuf b;
  char space[IO_OUTSIZE];
  struct cdb_make_hp *hp; /* one entry per record, in order of adding */
  size_t hplen;
  size_t hpcap;
  uint32_t pos; /* offset of the next record */
  int fd;
};

/* Begin a database on fd, an empty regular file opened for writing
 * (it is rewound to offset 0). 0, or -1 with errno. */
int cdb_make_start(struct cdb_make *m, int fd);
/* Append a record. 0, or -1 with errno: ENOMEM out of memory, EOVERFLOW
 * the database would reach 4 GiB, or a write error. The record is then
 * not added; the caller should give the database up (cdb_make_free). */
int cdb_make_add(struct cdb_make *m, const void *key, size_t klen,
                 const void *data, size_t dlen);
/* Write the hash tables and the header, and release memory (even on
 * failure). Does not fsync or close fd. 0, or -1 with errno. */
int cdb_make_finish(struct cdb_make *m);
/* Release memory without finishing (after a failure). Idempotent. */
void cdb_make_free(struct cdb_make *m);

#endif
