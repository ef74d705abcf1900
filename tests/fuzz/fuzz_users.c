/* fuzz_users.c: libFuzzer target for qmail-users(5) (users.h). The input
 * is taken as users/assign: its lines (those not starting with '.') go
 * through users_assign_parse, and the good ones are compiled into a cdb as
 * qmail-newu does. Invariants (abort() if not):
 *  - users_assign_parse agrees with a model of qmail-users(5) on every
 *    line: 0 for a NUL, no ':' after the first byte, or fewer than six
 *    ':' after the address; else the key "!" plus the lowered address
 *    (plus a NUL unless the line starts with '+'), the data the six
 *    fields with NULs for the first five colons, the wildcard character
 *    the lowered last byte of a nonempty '+' address;
 *  - users_wild_add keeps a set: every character once;
 *  - users_fields on a record's data plus a NUL agrees with a model (six
 *    fields, user and home nonempty, ids decimal and below (uid_t)-1),
 *    its strings pointing into the buffer;
 *  - users_lookup in the database built agrees with a model (the first
 *    exact record, else the first record of the longest wildcard prefix
 *    whose last character is in the set, its rest appended in its own
 *    case, then a NUL) for every address of the file and variants of it;
 *  - users_getpw_split gives the longest prefix that is the whole address
 *    or followed by the break character, shorter than USERS_NAME_MAX, that
 *    the callback takes (handed lowered and NUL-terminated), and passes a
 *    temporary failure (-1) on at once.
 * Build: make B=build-fuzz fuzz (see the Makefile); by hand:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc -o fuzz_users \
 *     tests/fuzz/fuzz_users.c src/users.c src/cdb.c src/cdbmake.c src/io.c \
 *     src/str.c src/num.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "cdb.h"
#include "users.h"
#include "fuzz_common.h"

#define MAXREC 64    /* records kept for the database */
#define MAXLOOK 96   /* lookups per input */

/* ---- records, as the model keeps them ---- */

struct rec {
  char *key;
  size_t klen;
  char *data;
  size_t dlen;
  const char *addr; /* the address in the input line */
  size_t alen;
};

static struct rec recs[MAXREC];
static size_t nrec;
static char wildset[256]; /* the model's set */
static size_t nwild;
static str wild = STR_INIT; /* the set users_wild_add keeps */

static char *copy_bytes(const char *s, size_t n)
{
  char *p = malloc(n ? n : 1);
  if (!p) abort();
  if (n) memcpy(p, s, n);
  return p;
}

/* ---- users_assign_parse ---- */

static void assign(const char *line, size_t len)
{
  static str key = STR_INIT, dat = STR_INIT;
  int wc = -2, r = users_assign_parse(line, len, &key, &dat, &wc);
  const char *colon = memchr(line, ':', len);
  size_t addr, colons = 0, i, end = 0;
  int want = 1;

  if (memchr(line, 0, len) || !colon || colon == line) want = 0;
  addr = colon ? (size_t)(colon - line) : 0;
  if (want) {
    for (i = addr + 1; i < len && colons < 6; ++i)
      if (line[i] == ':' && ++colons == 6) end = i;
    if (colons < 6) want = 0;
  }
  if (r != want) abort();
  if (!r) return;

  /* key */
  {
    size_t klen = addr + (line[0] != '+');
    if (key.len != klen || key.s[0] != '!') abort();
    for (i = 1; i < addr; ++i)
      if (key.s[i] != ascii_lower(line[i])) abort();
    if (line[0] != '+' && key.s[addr] != 0) abort();
  }
  /* wildcard character */
  if (line[0] == '+' && addr >= 2) {
    if (wc != (unsigned char)ascii_lower(line[addr - 1])) abort();
  } else if (wc != -1) {
    abort();
  }
  /* data: line[addr+1 .. end) with its colons as NULs */
  if (dat.len != end - addr - 1) abort();
  for (i = 0; i < dat.len; ++i) {
    char c = line[addr + 1 + i];
    if (dat.s[i] != (c == ':' ? 0 : c)) abort();
  }

  if (wc >= 0) {
    size_t before = wild.len;
    int had = memchr(wild.s, wc, wild.len) != 0;
    if (!users_wild_add(&wild, (char)wc)) abort();
    if (wild.len != before + !had || !memchr(wild.s, wc, wild.len)) abort();
    if (!had) wildset[nwild++] = (char)wc;
    if (wild.len != nwild || memcmp(wild.s, wildset, nwild)) abort();
  }
  if (nrec < MAXREC) {
    recs[nrec].key = copy_bytes(key.s, key.len);
    recs[nrec].klen = key.len;
    recs[nrec].data = copy_bytes(dat.s, dat.len);
    recs[nrec].dlen = dat.len;
    recs[nrec].addr = line + 1;
    recs[nrec].alen = addr - 1;
    ++nrec;
  }
}

/* ---- users_fields ---- */

/* A decimal number below max; 0 if not one. */
static int id(const char *s, unsigned long long max, unsigned long long *v)
{
  *v = 0;
  if (!*s) return 0;
  for (; *s; ++s) {
    if (*s < '0' || *s > '9') return 0;
    if (*v > (max - (unsigned)(*s - '0')) / 10) return 0;
    *v = *v * 10 + (unsigned)(*s - '0');
  }
  return *v < max;
}

static void fields(const char *buf, size_t len)
{
  struct users_entry e;
  const char *f[7];
  size_t n = 0, start = 0;
  int want = 1, r;
  unsigned long long uid = 0, gid = 0;

  for (size_t i = 0; i < len; ++i) {
    if (buf[i]) continue;
    if (n < 7) f[n] = buf + start;
    ++n;
    start = i + 1;
  }
  if (n != 6 || start != len) want = 0;
  if (want && (!*f[0] || !*f[3])) want = 0;
  if (want && (!id(f[1], (uid_t)-1, &uid) || !id(f[2], (gid_t)-1, &gid))) want = 0;
  r = users_fields(buf, len, &e);
  if (r != want) abort();
  if (!r) return;
  if (e.user != f[0] || e.home != f[3] || e.dash != f[4] || e.ext != f[5]) abort();
  if (e.uid != (uid_t)uid || e.gid != (gid_t)gid) abort();
}

/* ---- the database ---- */

/* The model's users_lookup: 1 with out set, or 0. */
static int model_lookup(const char *local, size_t len, str *out)
{
  char *key = malloc(len + 2);
  int found = 0;

  if (!key) abort();
  key[0] = '!';
  for (size_t i = 0; i < len; ++i) key[i + 1] = ascii_lower(local[i]);
  key[len + 1] = 0;
  out->len = 0;
  for (size_t r = 0; r < nrec && !found; ++r)
    if (recs[r].klen == len + 2 && !memcmp(recs[r].key, key, len + 2)) {
      if (!str_cat(out, recs[r].data, recs[r].dlen) || !str_putc(out, 0)) abort();
      found = 1;
    }
  for (size_t p = len + 1; p > 0 && !found; --p) {
    size_t prefix = p - 1;
    if (prefix && !memchr(wildset, key[prefix], nwild)) continue;
    for (size_t r = 0; r < nrec && !found; ++r)
      if (recs[r].klen == prefix + 1 && !memcmp(recs[r].key, key, prefix + 1)) {
        if (!str_cat(out, recs[r].data, recs[r].dlen) || !str_cat(out, local + prefix, len - prefix) ||
            !str_putc(out, 0))
          abort();
        found = 1;
      }
  }
  free(key);
  return found;
}

static void lookup(struct cdb *c, const char *local, size_t len)
{
  static str got = STR_INIT, want = STR_INIT;
  int r = users_lookup(c, local, len, &got);
  int w = model_lookup(local, len, &want);

  if (r != w) abort();
  if (r == 1 && (got.len != want.len || memcmp(got.s, want.s, want.len))) abort();
}

/* ---- users_getpw_split ---- */

struct users_ctx {
  uint64_t salt;
  int plain;      /* the address has no NUL: names are whole prefixes */
  size_t calls;
  size_t lastlen;
};

static int is_user(const char *name, void *arg)
{
  struct users_ctx *u = arg;
  size_t n = strlen(name);
  uint64_t h = hash_bytes((const uint8_t *)name, n, u->salt);

  if (n >= USERS_NAME_MAX) abort();
  if (u->plain && (!n || (u->calls && n >= u->lastlen))) abort(); /* longest first */
  u->calls++;
  u->lastlen = n;
  for (size_t i = 0; i < n; ++i)
    if (name[i] >= 'A' && name[i] <= 'Z') abort();
  for (size_t r = 0; r < nrec; ++r) /* the users of the file are users */
    if (recs[r].dlen >= n && !memcmp(recs[r].data, name, n) && (recs[r].dlen == n || !recs[r].data[n]))
      return 1;
  if (h % 41 == 0) return -1;
  return h % 5 == 0;
}

static void getpw(const char *local, size_t len, char brk, uint64_t salt)
{
  int plain = !len || !memchr(local, 0, len);
  struct users_ctx u = { salt, plain, 0, 0 }, v = { salt, 0, 0, 0 };
  size_t userlen = (size_t)-1;
  int r = users_getpw_split(local, len, brk, is_user, &u, &userlen), want = 0;
  size_t wantlen = 0;

  for (size_t p = len; p > 0; --p) {
    char name[USERS_NAME_MAX];
    int k;
    if (p >= USERS_NAME_MAX) continue;
    if (p < len && (!brk || local[p] != brk)) continue;
    for (size_t i = 0; i < p; ++i) name[i] = ascii_lower(local[i]);
    name[p] = 0;
    k = is_user(name, &v);
    if (k == -1) {
      want = -1;
      break;
    }
    if (k == 1) {
      want = 1;
      wantlen = p;
      break;
    }
  }
  if (r != want || u.calls != v.calls) abort(); /* the same names asked, no more */
  if (r == 1 && (userlen != wantlen || !userlen || userlen >= USERS_NAME_MAX)) abort();
  if (r == 1 && userlen < len && local[userlen] != brk) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *in = (const char *)data;
  struct cdb_make m;
  struct cdb c;
  size_t start = 0, looks = 0;
  uint64_t salt = size ? data[0] * 0x9e3779b97f4a7c15ULL : 1;
  int fd;

  nrec = 0;
  nwild = 0;
  if (!str_copys(&wild, "")) abort();
  while (start < size) {
    const char *nl = memchr(in + start, '\n', size - start);
    size_t end = nl ? (size_t)(nl - in) : size;
    if (end > start && in[start] != '.') assign(in + start, end - start);
    start = nl ? end + 1 : size;
  }

  for (size_t r = 0; r < nrec; ++r) {
    char *buf = malloc(recs[r].dlen + 1);
    if (!buf) abort();
    memcpy(buf, recs[r].data, recs[r].dlen);
    buf[recs[r].dlen] = 0;
    fields(buf, recs[r].dlen + 1);
    free(buf);
  }
  fields(in, size);

  /* The database, as qmail-newu writes it. */
  fd = scratch_fd();
  if (fd == -1) abort();
  if (cdb_make_start(&m, fd) == -1) abort();
  for (size_t r = 0; r < nrec; ++r)
    if (cdb_make_add(&m, recs[r].key, recs[r].klen, recs[r].data, recs[r].dlen) == -1) abort();
  if (cdb_make_add(&m, "", 0, wildset, nwild) == -1) abort();
  if (cdb_make_finish(&m) == -1) abort();
  if (cdb_init(&c, fd) == -1) abort();

  for (size_t r = 0; r < nrec && looks < MAXLOOK; ++r) {
    const char *a = recs[r].addr;
    size_t n = recs[r].alen;
    char *v = malloc(n + 8);
    if (!v) abort();
    lookup(&c, a, n), ++looks;
    /* Capitals, an extension, a shorter address. */
    for (size_t i = 0; i < n; ++i) v[i] = a[i] >= 'a' && a[i] <= 'z' ? (char)(a[i] - 32) : a[i];
    lookup(&c, v, n), ++looks;
    memcpy(v, a, n);
    memcpy(v + n, "-Ext.x", 6);
    lookup(&c, v, n + 6), ++looks;
    if (n) lookup(&c, a, n - 1), ++looks;
    getpw(a, n, '-', salt);
    getpw(v, n + 6, '-', salt + 1);
    getpw(a, n, 0, salt + 2);
    free(v);
  }
  /* Addresses cut from the input. */
  for (size_t i = 0; i + 1 < size && looks < MAXLOOK; i += 1 + data[i] % 32, ++looks) {
    size_t n = data[i] % 40;
    if (n > size - i - 1) n = size - i - 1;
    lookup(&c, in + i + 1, n);
    getpw(in + i + 1, n, (char)data[i], salt + i);
  }
  cdb_free(&c);
  close(fd);
  for (size_t r = 0; r < nrec; ++r) {
    free(recs[r].key);
    free(recs[r].data);
  }
  return 0;
}
