/* ctlset.c: sorted sets of control-file lines (see ctlset.h). */
#include <stdlib.h>
#include <string.h>
#include "ctlset.h"
#include "safemath.h"

struct key {
  const char *s;
  size_t len;
};

void ctlset_lower(char *s, size_t len)
{
  for (size_t i = 0; i < len; ++i)
    if (s[i] >= 'A' && s[i] <= 'Z') s[i] = (char)(s[i] + 32);
}

static int cmp_lines(const void *a, const void *b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Compare a counted key with a C-string entry, in strcmp's order. */
static int cmp_key(const void *k, const void *e)
{
  const struct key *key = k;
  const char *entry = *(const char *const *)e;
  size_t elen = strlen(entry);
  int c = memcmp(key->s, entry, key->len < elen ? key->len : elen);
  if (c) return c;
  return (key->len > elen) - (key->len < elen);
}

int ctlset_load(struct ctlset *s, str *lines)
{
  size_t count = 0, k = 0, bytes;

  ctlset_lower(lines->s, lines->len);
  for (size_t i = 0; i < lines->len; ++i)
    if (!lines->s[i]) ++count;
  if (!size_mul(count ? count : 1, sizeof *s->v, &bytes)) return 0;
  s->v = malloc(bytes);
  if (!s->v) return 0;
  for (size_t i = 0; i < lines->len; i += strlen(lines->s + i) + 1) s->v[k++] = lines->s + i;
  s->n = count;
  qsort(s->v, s->n, sizeof *s->v, cmp_lines);
  return 1;
}

int ctlset_has(const struct ctlset *s, const char *buf, size_t len)
{
  struct key key;
  key.s = buf;
  key.len = len;
  return bsearch(&key, s->v, s->n, sizeof *s->v, cmp_key) != 0;
}
