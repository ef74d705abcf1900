/* test_cdb.c: unit tests for the cdb reader and writer (cdb.h): round
 * trips, duplicate/empty/binary keys, size limits, corrupt and hostile
 * files (read through both the mapping and pread), and interoperability
 * with freecdb's cdbmake/cdbget and ucspi-tcp's tcprules, which must be
 * installed (a missing tool is a failure, not a skip). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cdb.h"
#include "check.h"
#include "str.h"

#define CDBMAKE "/usr/bin/cdbmake"
#define CDBGET "/usr/bin/cdbget"
#define TCPRULES "/usr/bin/tcprules"

static char tmpdir[] = "/tmp/test_cdb.XXXXXX";
static int use_pread; /* read databases without the mapping */

/* ---- helpers ---- */

static void die(const char *what)
{
  perror(what);
  exit(2);
}

/* tmpdir/name, as a C string in a str (nothing here is fixed-size). */
static const char *path(str *sa, const char *name)
{
  if (!str_copys(sa, tmpdir) || !str_putc(sa, '/') || !str_cats(sa, name)) die("path");
  return sa->s;
}

static int write_file(const char *fn, const void *buf, size_t len)
{
  int fd = open(fn, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  const char *p = buf;
  if (fd == -1) return -1;
  while (len) {
    ssize_t w = write(fd, p, len);
    if (w <= 0) {
      close(fd);
      return -1;
    }
    p += w;
    len -= (size_t)w;
  }
  return close(fd);
}

static int read_file(const char *fn, str *sa)
{
  char buf[4096];
  int fd = open(fn, O_RDONLY);
  ssize_t r;
  if (fd == -1) return -1;
  sa->len = 0;
  if (!str_reserve(sa, 0)) die("read_file");
  while ((r = read(fd, buf, sizeof buf)) > 0)
    if (!str_cat(sa, buf, (size_t)r)) die("read_file");
  close(fd);
  return r == 0 ? 0 : -1;
}

/* A set of records, kept in order of adding. */
struct rec {
  str k, d;
};
struct recs {
  struct rec *r;
  size_t n, cap;
};

static void rec_add(struct recs *rs, const void *k, size_t klen, const void *d, size_t dlen)
{
  struct rec *e;
  if (rs->n == rs->cap) {
    rs->cap = rs->cap ? rs->cap * 2 : 16;
    rs->r = realloc(rs->r, rs->cap * sizeof *rs->r);
    if (!rs->r) die("realloc");
  }
  e = rs->r + rs->n++;
  memset(e, 0, sizeof *e);
  if (!str_copy(&e->k, k, klen) || !str_copy(&e->d, d, dlen)) die("rec_add");
}

static void rec_adds(struct recs *rs, const char *k, const char *d)
{
  rec_add(rs, k, strlen(k), d, strlen(d));
}

static void recs_free(struct recs *rs)
{
  size_t i;
  for (i = 0; i < rs->n; i++) {
    str_free(&rs->r[i].k);
    str_free(&rs->r[i].d);
  }
  free(rs->r);
  rs->r = 0;
  rs->n = rs->cap = 0;
}

/* Write the records with our writer. 0 or -1. */
static int make_ours(const char *fn, const struct recs *rs)
{
  struct cdb_make m;
  size_t i;
  int fd = open(fn, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd == -1) return -1;
  if (cdb_make_start(&m, fd) == -1) goto fail;
  for (i = 0; i < rs->n; i++)
    if (cdb_make_add(&m, rs->r[i].k.s, rs->r[i].k.len, rs->r[i].d.s, rs->r[i].d.len) == -1) {
      cdb_make_free(&m);
      goto fail;
    }
  if (cdb_make_finish(&m) == -1) goto fail;
  return close(fd);
fail:
  close(fd);
  return -1;
}

/* Write the records with /usr/bin/cdbmake. 0 or -1. */
static int make_theirs(const char *fn, const struct recs *rs)
{
  str in = STR_INIT, cmd = STR_INIT, infn = STR_INIT, tmpfn = STR_INIT;
  size_t i;
  int r;

  for (i = 0; i < rs->n; i++) {
    if (!str_putc(&in, '+') || !str_catnum(&in, rs->r[i].k.len) || !str_putc(&in, ',') ||
        !str_catnum(&in, rs->r[i].d.len) || !str_putc(&in, ':') || !str_catstr(&in, &rs->r[i].k) ||
        !str_cats(&in, "->") || !str_catstr(&in, &rs->r[i].d) || !str_putc(&in, '\n'))
      die("make_theirs");
  }
  if (!str_putc(&in, '\n')) die("make_theirs");
  path(&infn, "cdbmake.in");
  path(&tmpfn, "cdbmake.tmp");
  if (write_file(infn.s, in.s, in.len) == -1) die("write cdbmake.in");
  if (!str_copys(&cmd, CDBMAKE " '") || !str_cats(&cmd, fn) || !str_cats(&cmd, "' '") ||
      !str_catstr(&cmd, &tmpfn) || !str_cats(&cmd, "' < '") || !str_catstr(&cmd, &infn) ||
      !str_cats(&cmd, "'"))
    die("make_theirs");
  r = system(cmd.s);
  str_free(&in);
  str_free(&cmd);
  str_free(&infn);
  str_free(&tmpfn);
  return r == 0 ? 0 : -1;
}

/* Run cdbget key [skip] < fn; store its output and return its exit code
 * (-1 if it could not be run). key must not contain a single quote. */
static int run_cdbget(const char *fn, const char *key, int skip, str *out)
{
  str cmd = STR_INIT;
  char buf[4096];
  size_t n;
  FILE *f;
  int status;

  if (!str_copys(&cmd, CDBGET " '") || !str_cats(&cmd, key) || !str_cats(&cmd, "'"))
    die("cdbget");
  if (skip && (!str_putc(&cmd, ' ') || !str_catnum(&cmd, (unsigned)skip))) die("cdbget");
  if (!str_cats(&cmd, " < '") || !str_cats(&cmd, fn) || !str_cats(&cmd, "'")) die("cdbget");
  out->len = 0;
  if (!str_reserve(out, 0)) die("cdbget");
  f = popen(cmd.s, "r");
  str_free(&cmd);
  if (!f) return -1;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0)
    if (!str_cat(out, buf, n)) die("cdbget");
  status = pclose(f);
  if (status == -1 || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

/* Open fn for reading through cdb (mapped, or forced to pread). */
static int open_db(const char *fn, struct cdb *c)
{
  int fd = open(fn, O_RDONLY);
  if (fd == -1) die(fn);
  if (cdb_init(c, fd) == -1) die("cdb_init");
  if (use_pread && c->map) {
    munmap((void *)c->map, c->size);
    c->map = 0;
  }
  return fd;
}

static void close_db(struct cdb *c, int fd)
{
  cdb_free(c);
  close(fd);
}

/* The data of the record just found, into out. 0 or -1. */
static int get_data(struct cdb *c, str *out)
{
  uint32_t len = cdb_datalen(c);
  out->len = 0;
  if (!str_reserve(out, len)) return -1;
  if (cdb_read(c, out->s, len, cdb_datapos(c)) == -1) return -1;
  out->len = len;
  out->s[len] = 0;
  return 0;
}

/* 1 if the next record for key (find when first, else findnext) has
 * exactly the data want (wlen bytes). */
static int next_is(struct cdb *c, int first, const void *key, size_t klen,
                   const void *want, size_t wlen)
{
  str got = STR_INIT;
  int ok;
  int r = first ? cdb_find(c, key, klen) : cdb_findnext(c, key, klen);
  if (r != 1) return 0;
  ok = get_data(c, &got) == 0 && got.len == wlen && (!wlen || !memcmp(got.s, want, wlen));
  str_free(&got);
  return ok;
}

static int finds(struct cdb *c, const char *key, const char *want)
{
  return next_is(c, 1, key, strlen(key), want, strlen(want));
}

static void put32(str *sa, uint32_t n)
{
  char b[4];
  b[0] = (char)n;
  b[1] = (char)(n >> 8);
  b[2] = (char)(n >> 16);
  b[3] = (char)(n >> 24);
  if (!str_cat(sa, b, 4)) die("put32");
}

static void set32(str *sa, size_t at, uint32_t n)
{
  sa->s[at] = (char)n;
  sa->s[at + 1] = (char)(n >> 8);
  sa->s[at + 2] = (char)(n >> 16);
  sa->s[at + 3] = (char)(n >> 24);
}

static uint32_t get32(const str *sa, size_t at)
{
  const unsigned char *b = (const unsigned char *)sa->s + at;
  return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* A header whose 256 entries are all (pos, len). */
static void header_all(str *sa, uint32_t pos, uint32_t len)
{
  int i;
  sa->len = 0;
  for (i = 0; i < 256; i++) {
    put32(sa, pos);
    put32(sa, len);
  }
}

/* The records of the main round-trip set. */
static const char bin_key[] = { 'a', 0, 'b', 0 };
static const char bin_data[] = { 0, 1, 2, '\n', 0, (char)0xff };

static void build_main(struct recs *rs)
{
  char k[32], d[64];
  int i;

  rec_adds(rs, "one", "Hello");
  rec_adds(rs, "two", "Goodbye");
  rec_adds(rs, "one", "hi");
  rec_adds(rs, "", "empty key");
  rec_adds(rs, "nodata", "");
  rec_adds(rs, "", "");
  rec_add(rs, bin_key, sizeof bin_key, bin_data, sizeof bin_data);
  rec_add(rs, bin_key, 3, "three", 5); /* "a\0b": a prefix of the other */
  rec_adds(rs, "one", "third one");
  for (i = 0; i < 1000; i++) {
    snprintf(k, sizeof k, "key%d", i);
    snprintf(d, sizeof d, "value %d for key%d", i * 7, i);
    rec_adds(rs, k, d);
    if (i % 250 == 0) rec_adds(rs, "dup", k);
  }
  {
    /* A long key, to compare in several pread chunks. */
    char big[1000];
    memset(big, 'x', sizeof big);
    rec_add(rs, big, sizeof big, "big", 3);
    big[sizeof big - 1] = 'y';
    rec_add(rs, big, sizeof big, "big y", 5);
  }
}

/* ---- tests ---- */

static void test_hash(void)
{
  CHECK(cdb_hash("", 0) == 5381);
  CHECK(cdb_hash("a", 1) == 177604);                         /* (5381*33)^'a' */
  CHECK(cdb_hash("ab", 2) == (((uint32_t)177604 * 33) ^ 'b'));
  /* Wraps at 32 bits and treats bytes as unsigned. */
  {
    uint32_t h = 5381;
    int i;
    for (i = 0; i < 8; i++) h = ((h << 5) + h) ^ 0xffu;
    CHECK(cdb_hash("\xff\xff\xff\xff\xff\xff\xff\xff", 8) == h);
  }
}

static void test_roundtrip(const char *fn)
{
  struct cdb c;
  str big = STR_INIT;
  char k[32], d[64];
  int fd, i, ok;

  fd = open_db(fn, &c);
  CHECK(use_pread ? c.map == 0 : c.map != 0);

  /* Duplicates, in order, then no more. */
  CHECK(finds(&c, "one", "Hello"));
  CHECK(next_is(&c, 0, "one", 3, "hi", 2));
  CHECK(next_is(&c, 0, "one", 3, "third one", 9));
  CHECK(cdb_findnext(&c, "one", 3) == 0);
  CHECK(cdb_findnext(&c, "one", 3) == 0);
  CHECK(finds(&c, "one", "Hello")); /* cdb_find starts over */
  CHECK(finds(&c, "two", "Goodbye"));
  CHECK(cdb_findnext(&c, "two", 3) == 0);

  /* Empty key (twice) and empty data. */
  CHECK(finds(&c, "", "empty key"));
  CHECK(next_is(&c, 0, "", 0, "", 0));
  CHECK(cdb_findnext(&c, "", 0) == 0);
  CHECK(finds(&c, "nodata", ""));
  CHECK(cdb_datalen(&c) == 0);

  /* Binary keys, including one that is a prefix of another. */
  CHECK(next_is(&c, 1, bin_key, sizeof bin_key, bin_data, sizeof bin_data));
  CHECK(cdb_findnext(&c, bin_key, sizeof bin_key) == 0);
  CHECK(next_is(&c, 1, bin_key, 3, "three", 5));
  CHECK(cdb_find(&c, bin_key, 2) == 0);
  CHECK(cdb_find(&c, "a", 1) == 0);

  /* 1000 keys. */
  ok = 1;
  for (i = 0; i < 1000; i++) {
    snprintf(k, sizeof k, "key%d", i);
    snprintf(d, sizeof d, "value %d for key%d", i * 7, i);
    if (!finds(&c, k, d) || cdb_findnext(&c, k, strlen(k)) != 0) ok = 0;
  }
  CHECK(ok);
  CHECK(finds(&c, "dup", "key0"));
  CHECK(next_is(&c, 0, "dup", 3, "key250", 6));
  CHECK(next_is(&c, 0, "dup", 3, "key500", 6));
  CHECK(next_is(&c, 0, "dup", 3, "key750", 6));
  CHECK(cdb_findnext(&c, "dup", 3) == 0);

  /* Long keys differing in the last byte. */
  if (!str_reserve(&big, 1000)) die("big");
  memset(big.s, 'x', 1000);
  CHECK(next_is(&c, 1, big.s, 1000, "big", 3));
  big.s[999] = 'y';
  CHECK(next_is(&c, 1, big.s, 1000, "big y", 5));
  big.s[999] = 'z';
  CHECK(cdb_find(&c, big.s, 1000) == 0);
  str_free(&big);

  /* Missing keys. */
  CHECK(cdb_find(&c, "three", 5) == 0);
  CHECK(cdb_find(&c, "key1000", 7) == 0);
  CHECK(cdb_find(&c, "ONE", 3) == 0);
  CHECK(cdb_find(&c, "on", 2) == 0);
  CHECK(cdb_find(&c, "one\0", 4) == 0);

  /* cdb_read bounds. */
  {
    char b[8];
    CHECK(cdb_read(&c, b, 0, (uint32_t)c.size) == 0);
    errno = 0;
    CHECK(cdb_read(&c, b, 1, (uint32_t)c.size) == -1 && errno == EPROTO);
    errno = 0;
    CHECK(cdb_read(&c, b, SIZE_MAX, 1) == -1 && errno == EPROTO);
    errno = 0;
    CHECK(cdb_read(&c, b, 8, UINT32_MAX) == -1 && errno == EPROTO);
    CHECK(cdb_read(&c, b, 4, 2048) == 0 && !memcmp(b, "\3\0\0\0", 4));
  }
  close_db(&c, fd);
}

static void test_empty_db(void)
{
  str fn = STR_INIT, data = STR_INIT;
  struct recs none = { 0, 0, 0 };
  struct cdb c;
  int fd, i, ok = 1;

  path(&fn, "empty.cdb");
  CHECK(make_ours(fn.s, &none) == 0);
  CHECK(read_file(fn.s, &data) == 0 && data.len == 2048);
  for (i = 0; i < 256; i++)
    if (data.len != 2048 || get32(&data, 8 * i) != 2048 || get32(&data, 8 * i + 4) != 0) ok = 0;
  CHECK(ok);
  fd = open_db(fn.s, &c);
  CHECK(cdb_find(&c, "", 0) == 0);
  CHECK(cdb_find(&c, "x", 1) == 0);
  close_db(&c, fd);
  str_free(&fn);
  str_free(&data);
}

/* Look key up in a database with the given bytes: the cdb_find result,
 * and errno in *e. */
static int find_in(const str *bytes, const char *key, size_t klen, int *e)
{
  str fn = STR_INIT;
  struct cdb c;
  int fd, r;

  path(&fn, "corrupt.cdb");
  if (write_file(fn.s, bytes->s, bytes->len) == -1) die("write corrupt.cdb");
  fd = open_db(fn.s, &c);
  errno = 0;
  r = cdb_find(&c, key, klen);
  *e = errno;
  /* Once more, and a findnext after it: still no crash. */
  if (r == 1) (void)cdb_findnext(&c, key, klen);
  close_db(&c, fd);
  str_free(&fn);
  return r;
}

static void test_corrupt(const char *good)
{
  str db = STR_INIT, orig = STR_INIT;
  uint32_t h, t, slot0, kpos;
  size_t rec;
  int e;

  /* Truncated header, and an empty file. */
  if (!str_copys(&db, "short")) die("str");
  CHECK(find_in(&db, "one", 3, &e) == -1 && e == EPROTO);
  db.len = 0;
  CHECK(find_in(&db, "one", 3, &e) == -1 && e == EPROTO);
  header_all(&db, 2048, 0);
  db.len = 2047;
  CHECK(find_in(&db, "", 0, &e) == -1 && e == EPROTO);
  db.len = 2048; /* a complete header alone: an empty database */
  CHECK(find_in(&db, "", 0, &e) == 0);

  /* Hash tables out of range. */
  header_all(&db, 0xfffffff8u, 1);
  CHECK(find_in(&db, "one", 3, &e) == -1 && e == EPROTO);
  header_all(&db, 2048, 0xffffffffu);
  CHECK(find_in(&db, "one", 3, &e) == -1 && e == EPROTO);
  header_all(&db, 2048, 0x20000000u); /* 2^29 slots: 2^32 bytes */
  CHECK(find_in(&db, "one", 3, &e) == -1 && e == EPROTO);
  header_all(&db, 2048, 1); /* table one slot too long */
  CHECK(find_in(&db, "one", 3, &e) == -1 && e == EPROTO);

  /* Start from a good database: "one" is the first record, at 2048. */
  if (read_file(good, &orig) == -1) die("read good");
  rec = 2048;
  CHECK(get32(&orig, rec) == 3 && get32(&orig, rec + 4) == 5);
  CHECK(find_in(&orig, "one", 3, &e) == 1);

  /* A data length past the end of the file. */
  if (!str_copystr(&db, &orig)) die("str");
  set32(&db, rec + 4, 0xfffffff0u);
  CHECK(find_in(&db, "one", 3, &e) == -1 && e == EPROTO);
  set32(&db, rec + 4, (uint32_t)(db.len - (rec + 8 + 3)) + 1);
  CHECK(find_in(&db, "one", 3, &e) == -1 && e == EPROTO);
  set32(&db, rec + 4, (uint32_t)(db.len - (rec + 8 + 3))); /* exactly to the end */
  CHECK(find_in(&db, "one", 3, &e) == 1);
  /* A key length that does not match: the record is passed over. */
  if (!str_copystr(&db, &orig)) die("str");
  set32(&db, rec, 0xffffffffu);
  CHECK(find_in(&db, "one", 3, &e) == 1); /* the next "one" record */
  /* Cut inside the first record's key. */
  if (!str_copystr(&db, &orig)) die("str");
  db.len = rec + 9;
  CHECK(find_in(&db, "one", 3, &e) == -1 && e == EPROTO);
  /* Cut inside the hash table for "one". */
  if (!str_copystr(&db, &orig)) die("str");
  h = cdb_hash("one", 3);
  db.len = get32(&db, (h & 255) * 8) + get32(&db, (h & 255) * 8 + 4) * (size_t)8 - 1;
  CHECK(find_in(&db, "one", 3, &e) == -1 && e == EPROTO);

  /* A table whose every slot is full and points at itself, with the
   * key's hash: each probe reads a slot as a record header whose klen
   * (the hash) does not match, and the lookup ends after 4 probes. */
  h = cdb_hash("one", 3);
  t = 2048;
  header_all(&db, t, 4);
  for (slot0 = 0; slot0 < 4; slot0++) {
    put32(&db, h);
    put32(&db, t + 8 * slot0);
  }
  CHECK(find_in(&db, "one", 3, &e) == 0);
  CHECK(find_in(&db, "two", 3, &e) == 0);
  CHECK(find_in(&db, "", 0, &e) == 0);
  /* Every slot full with another hash, pointing into the header: all
   * 4 probes, then 0. */
  header_all(&db, t, 4);
  for (slot0 = 0; slot0 < 4; slot0++) {
    put32(&db, h ^ 0x100);
    put32(&db, 8);
  }
  CHECK(find_in(&db, "one", 3, &e) == 0);
  /* Full table, all slots the key's hash, pointing past the end. */
  header_all(&db, t, 4);
  for (slot0 = 0; slot0 < 4; slot0++) {
    put32(&db, h);
    put32(&db, 0xfffffffcu);
  }
  CHECK(find_in(&db, "one", 3, &e) == -1 && e == EPROTO);
  /* A slot pointing at a record whose header is cut by the end. */
  header_all(&db, t, 2);
  put32(&db, h);
  put32(&db, t + 12);
  put32(&db, h);
  put32(&db, t + 12);
  CHECK(find_in(&db, "one", 3, &e) == -1 && e == EPROTO);

  /* A slot with the right hash pointing at a record with another key of
   * the same length (a collision), then the real record. */
  header_all(&db, 0, 0);
  kpos = 2048;
  put32(&db, 3);
  put32(&db, 1);
  if (!str_cats(&db, "onX") || !str_cats(&db, "N")) die("str");
  put32(&db, 3);
  put32(&db, 1);
  if (!str_cats(&db, "one") || !str_cats(&db, "Y")) die("str");
  t = (uint32_t)db.len;
  {
    int i;
    for (i = 0; i < 256; i++) {
      set32(&db, 8 * (size_t)i, t);
      set32(&db, 8 * (size_t)i + 4, (uint32_t)(h & 255) == (uint32_t)i ? 2 : 0);
    }
  }
  slot0 = (h >> 8) % 2;
  put32(&db, h);
  put32(&db, slot0 == 0 ? kpos : kpos + 12);
  put32(&db, h);
  put32(&db, slot0 == 0 ? kpos + 12 : kpos);
  {
    str fn = STR_INIT;
    struct cdb c;
    int fd;
    path(&fn, "collide.cdb");
    if (write_file(fn.s, db.s, db.len) == -1) die("write collide.cdb");
    fd = open_db(fn.s, &c);
    CHECK(finds(&c, "one", "Y"));
    CHECK(cdb_findnext(&c, "one", 3) == 0);
    CHECK(cdb_find(&c, "onX", 3) == 0); /* its hash leads elsewhere */
    close_db(&c, fd);
    str_free(&fn);
  }

  str_free(&db);
  str_free(&orig);
}

static void test_writer_limits(void)
{
  str fn = STR_INIT;
  struct cdb_make m;
  char key[4] = "key";
  int fd, p[2];

  path(&fn, "limits.cdb");
  fd = open(fn.s, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd == -1) die("open limits.cdb");
  CHECK(cdb_make_start(&m, fd) == 0);
  /* The lengths are checked before any byte is read or written. */
  errno = 0;
  CHECK(cdb_make_add(&m, key, SIZE_MAX, key, 1) == -1 && errno == EOVERFLOW);
  errno = 0;
  CHECK(cdb_make_add(&m, key, 1, key, SIZE_MAX - 4) == -1 && errno == EOVERFLOW);
  errno = 0;
  CHECK(cdb_make_add(&m, key, UINT32_MAX, key, 0) == -1 && errno == EOVERFLOW);
  errno = 0;
  /* 2048 header + 8 + 16 of table: one byte too many. */
  CHECK(cdb_make_add(&m, key, 0, key, (size_t)UINT32_MAX - 2048 - 8 - 16 + 1) == -1 &&
        errno == EOVERFLOW);
  CHECK(cdb_make_add(&m, key, 3, key, 3) == 0);
  CHECK(m.pos == 2048 + 14);
  CHECK(cdb_make_finish(&m) == 0);
  CHECK(m.hp == 0);
  close(fd);
  {
    struct cdb c;
    fd = open_db(fn.s, &c);
    CHECK(finds(&c, "key", "key"));
    close_db(&c, fd);
  }

  /* Not seekable: refused at the start. */
  if (pipe(p) == -1) die("pipe");
  errno = 0;
  CHECK(cdb_make_start(&m, p[1]) == -1 && errno == ESPIPE);
  cdb_make_free(&m);
  close(p[0]);
  close(p[1]);

  /* A write error shows up at the latest in cdb_make_finish. */
  fd = open(fn.s, O_RDONLY);
  if (fd == -1) die("open limits.cdb");
  if (cdb_make_start(&m, fd) == 0) {
    int r = cdb_make_add(&m, key, 3, key, 3);
    if (r == 0) r = cdb_make_finish(&m);
    else cdb_make_free(&m);
    CHECK(r == -1 && errno == EBADF);
  } else {
    CHECK(errno == EBADF);
  }
  close(fd);
  str_free(&fn);
}

static int have(const char *prog)
{
  if (access(prog, X_OK) == 0) return 1;
  fprintf(stderr, "FAIL %s is not installed (install freecdb and ucspi-tcp)\n", prog);
  CHECK(!"the program is installed");
  return 0;
}

static void test_interop(const struct recs *rs, const char *ours)
{
  str theirs = STR_INIT, a = STR_INIT, b = STR_INIT, out = STR_INIT;
  struct recs bin = { 0, 0, 0 };
  struct cdb c;
  int fd, i, ok;

  if (!have(CDBMAKE) || !have(CDBGET)) return;

  /* Our database, read by cdbget. */
  CHECK(run_cdbget(ours, "one", 0, &out) == 0 && str_equals(&out, "Hello"));
  CHECK(run_cdbget(ours, "one", 1, &out) == 0 && str_equals(&out, "hi"));
  CHECK(run_cdbget(ours, "one", 2, &out) == 0 && str_equals(&out, "third one"));
  CHECK(run_cdbget(ours, "one", 3, &out) == 100 && out.len == 0);
  CHECK(run_cdbget(ours, "two", 0, &out) == 0 && str_equals(&out, "Goodbye"));
  CHECK(run_cdbget(ours, "nodata", 0, &out) == 0 && out.len == 0);
  CHECK(run_cdbget(ours, "dup", 3, &out) == 0 && str_equals(&out, "key750"));
  CHECK(run_cdbget(ours, "key999", 0, &out) == 0 && str_equals(&out, "value 6993 for key999"));
  CHECK(run_cdbget(ours, "missing", 0, &out) == 100 && out.len == 0);
  ok = 1;
  for (i = 0; i < 1000; i += 37) {
    char k[32], d[64];
    snprintf(k, sizeof k, "key%d", i);
    snprintf(d, sizeof d, "value %d for key%d", i * 7, i);
    if (run_cdbget(ours, k, 0, &out) != 0 || !str_equals(&out, d)) ok = 0;
  }
  CHECK(ok);

  /* Binary data (NUL, newline, "->", high bytes) both ways. */
  rec_add(&bin, "bin", 3, bin_data, sizeof bin_data);
  rec_add(&bin, "arrow", 5, "a->b\n\n+1,2:x->y\n", 16);
  rec_add(&bin, "k\n:,+", 5, "", 0);
  rec_add(&bin, "\xfe\xff", 2, "\xff", 1);
  path(&a, "bin-ours.cdb");
  path(&b, "bin-theirs.cdb");
  CHECK(make_ours(a.s, &bin) == 0);
  CHECK(make_theirs(b.s, &bin) == 0);
  CHECK(run_cdbget(a.s, "bin", 0, &out) == 0 && out.len == sizeof bin_data &&
        !memcmp(out.s, bin_data, sizeof bin_data));
  CHECK(run_cdbget(a.s, "arrow", 0, &out) == 0 && str_equals(&out, "a->b\n\n+1,2:x->y\n"));
  CHECK(run_cdbget(a.s, "\xfe\xff", 0, &out) == 0 && str_equals(&out, "\xff"));
  fd = open_db(b.s, &c);
  CHECK(next_is(&c, 1, "bin", 3, bin_data, sizeof bin_data));
  CHECK(finds(&c, "arrow", "a->b\n\n+1,2:x->y\n"));
  CHECK(finds(&c, "k\n:,+", ""));
  CHECK(finds(&c, "\xfe\xff", "\xff"));
  CHECK(cdb_find(&c, "\xfe", 1) == 0);
  close_db(&c, fd);
  CHECK(read_file(a.s, &out) == 0 && read_file(b.s, &theirs) == 0 && out.len == theirs.len &&
        !memcmp(out.s, theirs.s, out.len));

  /* The main set through cdbmake, read by us; and byte-identical. */
  path(&b, "main-theirs.cdb");
  CHECK(make_theirs(b.s, rs) == 0);
  test_roundtrip(b.s);
  CHECK(read_file(ours, &out) == 0 && read_file(b.s, &theirs) == 0);
  CHECK(out.len == theirs.len && !memcmp(out.s, theirs.s, out.len));

  /* An empty database. */
  recs_free(&bin);
  path(&a, "none-ours.cdb");
  path(&b, "none-theirs.cdb");
  CHECK(make_ours(a.s, &bin) == 0 && make_theirs(b.s, &bin) == 0);
  CHECK(read_file(a.s, &out) == 0 && read_file(b.s, &theirs) == 0 && out.len == 2048 &&
        theirs.len == 2048 && !memcmp(out.s, theirs.s, 2048));

  str_free(&theirs);
  str_free(&a);
  str_free(&b);
  str_free(&out);
}

static void test_tcprules(void)
{
  str rules = STR_INIT, cdbfn = STR_INIT, tmpfn = STR_INIT, cmd = STR_INIT, out = STR_INIT;
  struct cdb c;
  int fd;
  /* What tcprules 0.88 stores for "allow,RELAYCLIENT=\"\"": no 'A' byte,
   * just each variable as "+NAME=value\0"; "deny" is "D\0". */
  static const char relay[] = "+RELAYCLIENT=\0";

  if (!have(TCPRULES)) return;
  path(&rules, "rules");
  path(&cdbfn, "rules.cdb");
  path(&tmpfn, "rules.tmp");
  {
    static const char text[] = "127.0.0.1:allow,RELAYCLIENT=\"\"\n:deny\n";
    if (write_file(rules.s, text, sizeof text - 1) == -1) die("write rules");
  }
  if (!str_copys(&cmd, TCPRULES " '") || !str_catstr(&cmd, &cdbfn) || !str_cats(&cmd, "' '") ||
      !str_catstr(&cmd, &tmpfn) || !str_cats(&cmd, "' < '") || !str_catstr(&cmd, &rules) ||
      !str_cats(&cmd, "'"))
    die("tcprules");
  CHECK(system(cmd.s) == 0);

  /* cdbget says what tcprules stored ... */
  if (have(CDBGET)) {
    CHECK(run_cdbget(cdbfn.s, "127.0.0.1", 0, &out) == 0 && out.len == sizeof relay - 1 &&
          !memcmp(out.s, relay, out.len));
  }
  /* ... and we read the same bytes. */
  fd = open_db(cdbfn.s, &c);
  CHECK(next_is(&c, 1, "127.0.0.1", 9, relay, sizeof relay - 1));
  CHECK(cdb_findnext(&c, "127.0.0.1", 9) == 0);
  CHECK(next_is(&c, 1, "", 0, "D\0", 2));
  CHECK(cdb_find(&c, "127.0.0.2", 9) == 0);
  CHECK(cdb_find(&c, "127.0.0.", 8) == 0);
  close_db(&c, fd);

  str_free(&rules);
  str_free(&cdbfn);
  str_free(&tmpfn);
  str_free(&cmd);
  str_free(&out);
}

int main(void)
{
  struct recs rs = { 0, 0, 0 };
  str ours = STR_INIT, cmd = STR_INIT;

  if (!mkdtemp(tmpdir)) die("mkdtemp");
  build_main(&rs);
  path(&ours, "main-ours.cdb");

  RUN(test_hash);
  CHECK(make_ours(ours.s, &rs) == 0);
  for (use_pread = 0; use_pread < 2; use_pread++) {
    test_roundtrip(ours.s);
    RUN(test_empty_db);
    test_corrupt(ours.s);
  }
  use_pread = 0;
  RUN(test_writer_limits);
  test_interop(&rs, ours.s);
  RUN(test_tcprules);

  recs_free(&rs);
  str_free(&ours);
  if (str_copys(&cmd, "rm -rf '") && str_cats(&cmd, tmpdir) && str_cats(&cmd, "'"))
    (void)system(cmd.s);
  str_free(&cmd);
  return check_report();
}
