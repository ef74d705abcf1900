/* rewrite.c: recipient classification and rewriting (see rewrite.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "control.h"
#include "rewrite.h"
#include "safemath.h"

static unsigned char lower(unsigned char c)
{
  return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* Compare two keys, ASCII case ignored; shorter first on a tie. */
static int keycmp(const char *a, size_t alen, const char *b, size_t blen)
{
  size_t n = alen < blen ? alen : blen;
  for (size_t i = 0; i < n; ++i) {
    unsigned char x = lower((unsigned char)a[i]), y = lower((unsigned char)b[i]);
    if (x != y) return x < y ? -1 : 1;
  }
  return alen == blen ? 0 : alen < blen ? -1 : 1;
}

static int entrycmp(const void *pa, const void *pb)
{
  const struct rewrite_entry *a = pa, *b = pb;
  int c = keycmp(a->key, a->keylen, b->key, b->keylen);
  if (c) return c;
  return a->line < b->line ? -1 : a->line > b->line;
}

static void table_free(struct rewrite_table *t)
{
  str_free(&t->data);
  free(t->e);
  t->e = 0;
  t->n = 0;
}

/* Index the NUL-ended lines of src; with colon, each is key:value. */
static int table_build(struct rewrite_table *t, const str *src, int colon)
{
  size_t lines = 0, pos, kept;
  size_t bytes;

  t->e = 0;
  t->n = 0;
  t->data.s = 0;
  t->data.len = t->data.cap = 0;
  if (!str_copy(&t->data, src->s ? src->s : "", src->len)) return 0;
  for (pos = 0; pos < t->data.len; ++pos)
    if (!t->data.s[pos]) ++lines;
  if (!size_mul(lines ? lines : 1, sizeof *t->e, &bytes) || !(t->e = malloc(bytes))) {
    str_free(&t->data);
    errno = ENOMEM;
    return 0;
  }
  pos = 0;
  for (size_t line = 0; pos < t->data.len; ++line) {
    const char *s = t->data.s + pos;
    size_t len = strlen(s); /* the line ends at its NUL, inside data */
    pos += len + 1;
    if (colon) {
      const char *c = memchr(s, ':', len);
      if (!c) continue;
      t->e[t->n].keylen = (size_t)(c - s);
      t->e[t->n].value = c + 1;
    } else {
      t->e[t->n].keylen = len;
      t->e[t->n].value = 0;
    }
    t->e[t->n].key = s;
    t->e[t->n].line = line;
    ++t->n;
  }
  if (t->n) qsort(t->e, t->n, sizeof *t->e, entrycmp);
  /* Of equal keys (now adjacent, in line order) keep the last. */
  kept = 0;
  for (size_t i = 0; i < t->n; ++i) {
    if (i + 1 < t->n && !keycmp(t->e[i].key, t->e[i].keylen, t->e[i + 1].key, t->e[i + 1].keylen))
      continue;
    t->e[kept++] = t->e[i];
  }
  t->n = kept;
  return 1;
}

static const struct rewrite_entry *table_find(const struct rewrite_table *t, const char *key, size_t len)
{
  size_t lo = 0, hi = t->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = keycmp(key, len, t->e[mid].key, t->e[mid].keylen);
    if (!c) return &t->e[mid];
    if (c < 0) hi = mid;
    else lo = mid + 1;
  }
  return 0;
}

int rewrite_set(struct rewrite *rw, const str *locals, const str *percenthack,
                const str *vdoms, const str *envnoathost)
{
  struct rewrite fresh = REWRITE_INIT;

  if (!table_build(&fresh.locals, locals, 0)) return 0;
  if (!table_build(&fresh.percenthack, percenthack, 0)) goto fail;
  if (!table_build(&fresh.vdoms, vdoms, 1)) goto fail;
  if (!str_copy(&fresh.envnoathost, envnoathost->s ? envnoathost->s : "", envnoathost->len)) goto fail;
  rewrite_free(rw);
  *rw = fresh;
  return 1;
fail:
  rewrite_free(&fresh);
  return 0;
}

void rewrite_free(struct rewrite *rw)
{
  table_free(&rw->locals);
  table_free(&rw->percenthack);
  table_free(&rw->vdoms);
  str_free(&rw->envnoathost);
}

/* Position of the last c in s[0..len), or len if none. */
static size_t last(const char *s, size_t len, char c)
{
  for (size_t i = len; i > 0; --i)
    if (s[i - 1] == c) return i - 1;
  return len;
}

/* Put prefix and '-' in front of sa's contents. */
static int prepend(str *sa, const char *prefix)
{
  size_t plen = strlen(prefix), add;
  if (!size_add(plen, 1, &add) || !str_reserve(sa, add)) return 0;
  memmove(sa->s + add, sa->s, sa->len + 1); /* with the NUL */
  memcpy(sa->s, prefix, plen);
  sa->s[plen] = '-';
  sa->len += add;
  return 1;
}

int rewrite_recipient(const struct rewrite *rw, const char *addr, size_t len, str *out)
{
  str *a = out; /* rewritten in place */
  size_t at;

  if (!str_copy(a, addr, len)) return 0;
  at = last(a->s, a->len, '@');
  if (at == a->len && !(str_putc(a, '@') && str_catstr(a, &rw->envnoathost))) return 0;

  /* The percent hack; at is the last '@' throughout. */
  while (table_find(&rw->percenthack, a->s + at + 1, a->len - at - 1)) {
    size_t pct = last(a->s, at, '%');
    if (pct == at) break;
    str_truncate(a, at);
    a->s[pct] = '@';
    at = pct;
  }

  if (table_find(&rw->locals, a->s + at + 1, a->len - at - 1)) return REWRITE_LOCAL;

  /* virtualdomains: the address, the domain, its dot-suffixes, "". */
  for (size_t i = 0; i <= a->len; ++i) {
    const struct rewrite_entry *e;
    if (!(i == 0 || i == at + 1 || i == a->len || (i > at && a->s[i] == '.'))) continue;
    e = table_find(&rw->vdoms, a->s + i, a->len - i);
    if (!e) continue;
    if (!*e->value) break; /* an exception: not a virtual domain */
    return prepend(a, e->value) ? REWRITE_LOCAL : 0;
  }
  return REWRITE_REMOTE;
}

int rewrite_isverp(const char *sender, size_t len)
{
  return len >= 4 && !memcmp(sender + len - 4, "-@[]", 4);
}

int rewrite_sender(str *out, const char *sender, size_t slen, const char *recip, size_t rlen)
{
  size_t base, at, rat;

  if (!rewrite_isverp(sender, slen)) return str_copy(out, sender, slen);
  base = slen - 4;              /* "prefix-@host" */
  at = last(sender, base, '@'); /* splits "prefix-" from "host" */
  rat = last(recip, rlen, '@');
  out->len = 0;
  if (!str_cat(out, sender, at)) return 0;
  if (!str_cat(out, recip, rat)) return 0;
  if (rat < rlen && !(str_putc(out, '=') && str_cat(out, recip + rat + 1, rlen - rat - 1))) return 0;
  if (at < base && !str_cat(out, sender + at, base - at)) return 0;
  return 1;
}

int rewrite_read(struct rewrite *rw)
{
  str locals = STR_INIT, percenthack = STR_INIT, vdoms = STR_INIT, envnoathost = STR_INIT;
  int ok = control_rldef(&envnoathost, "control/envnoathost", 1, "envnoathost") == 1 &&
           control_readfile(&locals, "control/locals", 1) != -1 &&
           control_readfile(&percenthack, "control/percenthack", 0) != -1 &&
           control_readfile(&vdoms, "control/virtualdomains", 0) != -1 &&
           rewrite_set(rw, &locals, &percenthack, &vdoms, &envnoathost);
  str_free(&locals);
  str_free(&percenthack);
  str_free(&vdoms);
  str_free(&envnoathost);
  return ok;
}
