/* users.c: the users/assign and users/cdb formats and the getpw prefix
 * rule (see users.h). */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "num.h"
#include "open.h"
#include "users.h"

int users_assign_parse(const char *line, size_t len, str *key, str *data, int *wildchar)
{
  const char *colon;
  size_t addr, colons = 0, i;

  *wildchar = -1;
  if (memchr(line, 0, len)) return 0;
  colon = memchr(line, ':', len);
  if (!colon || colon == line) return 0;
  addr = (size_t)(colon - line); /* line[0] is the kind, line[1..addr) the address */

  key->len = 0;
  if (!str_putc(key, '!') || !str_cat(key, line + 1, addr - 1)) return -1;
  for (i = 1; i < key->len; ++i) key->s[i] = users_lower(key->s[i]);
  if (line[0] == '+') {
    if (addr >= 2) *wildchar = (unsigned char)users_lower(line[addr - 1]);
  } else if (!str_putc(key, 0)) {
    return -1;
  }

  /* The six fields after the address, each ended by ':' in the line. */
  if (!str_copy(data, line + addr + 1, len - addr - 1)) return -1;
  for (i = 0; i < data->len; ++i) {
    if (data->s[i] != ':') continue;
    data->s[i] = 0;
    if (++colons == 6) break;
  }
  if (colons < 6) return 0;
  str_truncate(data, i);
  return 1;
}

int users_wild_add(str *wild, char c)
{
  if (wild->len && memchr(wild->s, c, wild->len)) return 1;
  return str_putc(wild, c);
}

/* Read the data of the record just found into out (appended). */
static int get_data(struct cdb *c, str *out)
{
  uint32_t dlen = cdb_datalen(c);
  if (dlen > USERS_DATA_MAX) {
    errno = EPROTO;
    return -1;
  }
  if (!str_reserve(out, dlen)) return -1;
  if (cdb_read(c, out->s + out->len, dlen, cdb_datapos(c)) == -1) return -1;
  out->len += dlen;
  out->s[out->len] = 0;
  return 0;
}

int users_lookup(struct cdb *c, const char *local, size_t len, str *out)
{
  str wild = STR_INIT, key = STR_INIT;
  int r;

  out->len = 0;
  r = cdb_find(c, "", 0);
  if (r == 0) errno = EPROTO; /* every users/cdb has the wildcard set */
  if (r != 1 || get_data(c, &wild) == -1) goto fail;

  if (!str_putc(&key, '!') || !str_cat(&key, local, len) || !str_putc(&key, 0)) goto fail;
  for (size_t i = 1; i <= len; ++i) key.s[i] = users_lower(key.s[i]);

  /* The exact key "!local\0", then "!prefix" from the whole address down
   * to the empty prefix, skipping prefixes no wildcard ends with. */
  r = cdb_find(c, key.s, key.len);
  if (r == -1) goto fail;
  if (r == 1) {
    if (get_data(c, out) == -1 || !str_putc(out, 0)) goto fail;
    goto done;
  }
  for (size_t p = len + 1; p > 0; --p) {
    size_t prefix = p - 1;
    if (prefix && !(wild.len && memchr(wild.s, key.s[prefix], wild.len))) continue;
    r = cdb_find(c, key.s, prefix + 1);
    if (r == -1) goto fail;
    if (r == 1) {
      if (get_data(c, out) == -1 || !str_cat(out, local + prefix, len - prefix) ||
          !str_putc(out, 0))
        goto fail;
      goto done;
    }
  }
  r = 0;
done:
  str_free(&wild);
  str_free(&key);
  return r;
fail:
  str_free(&wild);
  str_free(&key);
  out->len = 0;
  return -1;
}

/* A decimal id that fits type's width and is not all ones. */
static int parse_id(const char *s, unsigned long long max, unsigned long long *v)
{
  return num_parse(s, v) && *v < max;
}

int users_cdb_lookup(const char *fn, const char *local, size_t len, str *out)
{
  struct cdb c;
  int fd = open_read(fn), r;

  if (fd == -1) {
    if (errno == ENOENT) return 0;
    errno = EPROTO;
    return -1;
  }
  if (cdb_init(&c, fd) == -1) {
    close(fd);
    errno = EPROTO;
    return -1;
  }
  r = users_lookup(&c, local, len, out);
  cdb_free(&c);
  close(fd);
  if (r == -1 && errno != ENOMEM) errno = EPROTO;
  return r;
}

int users_fields(const char *buf, size_t len, struct users_entry *e)
{
  const char *f[6];
  size_t n = 0, start = 0;
  unsigned long long uid, gid;

  for (size_t i = 0; i < len; ++i) {
    if (buf[i]) continue;
    if (n == 6) return 0;
    f[n++] = buf + start;
    start = i + 1;
  }
  if (n != 6 || start != len) return 0;
  if (!*f[0] || !*f[3]) return 0;
  if (!parse_id(f[1], (uid_t)-1, &uid) || !parse_id(f[2], (gid_t)-1, &gid)) return 0;
  e->user = f[0];
  e->uid = (uid_t)uid;
  e->gid = (gid_t)gid;
  e->home = f[3];
  e->dash = f[4];
  e->ext = f[5];
  return 1;
}

int users_getpw_split(const char *local, size_t len, char brk,
                      int (*is_user)(const char *name, void *ctx), void *ctx,
                      size_t *userlen)
{
  char name[USERS_NAME_MAX];

  for (size_t p = len; p > 0; --p) {
    int r;
    if (p >= USERS_NAME_MAX) continue;
    if (p < len && (!brk || local[p] != brk)) continue;
    for (size_t i = 0; i < p; ++i) name[i] = users_lower(local[i]);
    name[p] = 0;
    r = is_user(name, ctx);
    if (r == -1) return -1;
    if (r == 1) {
      *userlen = p;
      return 1;
    }
  }
  return 0;
}
