/* netstring.c: reading and writing netstrings (see netstring.h). */
#include <string.h>
#include "netstring.h"
#include "safemath.h"

enum {
  S_START,  /* nothing taken yet: a digit must come */
  S_ZERO,   /* the length began with '0': only ':' may follow */
  S_DIGITS, /* inside a length that began with 1..9 */
  S_DATA,   /* payload: left bytes to come */
  S_COMMA,  /* the payload is complete: ',' must come */
  S_DONE,
  S_SYNTAX,
  S_TOOBIG
};

void netstring_init(struct netstring *ns, size_t max)
{
  ns->len = 0;
  ns->left = 0;
  ns->max = max;
  ns->state = S_START;
}

int netstring_idle(const struct netstring *ns) { return ns->state == S_START; }

/* The end of the header: the payload (if any) comes next. */
static int header(struct netstring *ns, size_t *used, size_t i)
{
  ns->left = ns->len;
  ns->state = ns->len ? S_DATA : S_COMMA;
  *used = i + 1;
  return NETSTRING_HEADER;
}

static int fail(struct netstring *ns, int state, size_t *used, size_t i)
{
  ns->state = state;
  *used = i;
  return state == S_SYNTAX ? NETSTRING_SYNTAX : NETSTRING_TOOBIG;
}

int netstring_feed(struct netstring *ns, const char *buf, size_t len, size_t *used)
{
  size_t i;

  *used = 0;
  switch (ns->state) {
  case S_DONE: return NETSTRING_DONE;
  case S_SYNTAX: return NETSTRING_SYNTAX;
  case S_TOOBIG: return NETSTRING_TOOBIG;
  case S_DATA:
    if (!len) return NETSTRING_MORE;
    *used = len < ns->left ? len : ns->left;
    ns->left -= *used;
    if (!ns->left) ns->state = S_COMMA;
    return NETSTRING_DATA;
  case S_COMMA:
    if (!len) return NETSTRING_MORE;
    if (buf[0] != ',') return fail(ns, S_SYNTAX, used, 0);
    ns->state = S_DONE;
    *used = 1;
    return NETSTRING_DONE;
  default: /* the header: S_START, S_ZERO, S_DIGITS */
    break;
  }

  for (i = 0; i < len; ++i) {
    size_t d = (size_t)((unsigned char)buf[i] - '0');
    if (buf[i] == ':' && ns->state != S_START) return header(ns, used, i);
    if (d > 9 || ns->state == S_ZERO) return fail(ns, S_SYNTAX, used, i);
    if (ns->state == S_START && d == 0) {
      ns->state = S_ZERO;
      continue;
    }
    /* len * 10 + d <= max, asked without computing past max. */
    if (d > ns->max || ns->len > (ns->max - d) / 10) return fail(ns, S_TOOBIG, used, i);
    ns->len = ns->len * 10 + d;
    ns->state = S_DIGITS;
  }
  *used = len;
  return NETSTRING_MORE;
}

size_t netstring_fmthead(char *dst, size_t len)
{
  size_t n = num_fmt(dst, len);
  if (dst) dst[n] = ':';
  return n + 1;
}

int netstring_cat(str *sa, const void *buf, size_t len)
{
  char head[NETSTRING_HEADMAX];
  size_t hlen = netstring_fmthead(head, len), total;

  if (!size_add(hlen, len, &total) || !size_add(total, 1, &total) || !str_reserve(sa, total))
    return 0;
  /* Room is reserved: none of these can fail now. */
  return str_cat(sa, head, hlen) && str_cat(sa, buf, len) && str_putc(sa, ',');
}

int netstring_cats(str *sa, const char *s) { return netstring_cat(sa, s, strlen(s)); }
