/* headerbody.c: a message's header fields and body lines (see headerbody.h). */
#include <string.h>
#include "headerbody.h"
#include "headers.h"
#include "str.h"

/* Read one line into line (emptied first), ending it with '\n' if the
 * file ends without one; a line longer than HEADERBODY_MAX keeps its first
 * HEADERBODY_MAX bytes, gets no '\n', and sets *cut. Returns 1, 0 at the
 * end of the file, -1 on error. */
static int get_line(iobuf *in, str *line, int *cut)
{
  line->len = 0;
  *cut = 0;
  switch (io_getline(in, line, '\n', HEADERBODY_MAX)) {
  case IO_LINE:
    return 1;
  case IO_EOF:
    if (!line->len) return 0;
    return str_putc(line, '\n') ? 1 : -1;
  case IO_TOOLONG:
    *cut = 1;
    for (;;) {
      ssize_t r = io_feed(in);
      char *nl;
      if (r <= 0) return r < 0 ? -1 : 1;
      nl = memchr(io_peek(in), '\n', (size_t)r);
      if (nl) {
        io_skip(in, (size_t)(nl - io_peek(in)) + 1);
        return 1;
      }
      io_skip(in, (size_t)r);
    }
  default:
    return -1;
  }
}

/* Append line to field, keeping at most HEADERBODY_MAX bytes. */
static int add(str *field, const str *line, int *whole)
{
  size_t room = HEADERBODY_MAX - field->len; /* field->len <= HEADERBODY_MAX */
  size_t n = line->len;
  if (n > room) {
    n = room;
    *whole = 0;
  }
  return str_cat(field, line->s, n);
}

int headerbody(iobuf *in, const struct headerbody *h)
{
  str line = STR_INIT, field = STR_INIT;
  int have = 0, whole = 1, cut, r, ret = 0;

  /* The header. */
  for (;;) {
    r = get_line(in, &line, &cut);
    if (r == -1) goto fail;
    if (r == 0) {
      if (have) h->field(h->ctx, field.s, field.len, whole);
      goto done;
    }
    if (have && (line.s[0] == ' ' || line.s[0] == '\t')) {
      if (cut) whole = 0;
      if (!add(&field, &line, &whole)) goto fail;
      continue;
    }
    if (have) h->field(h->ctx, field.s, field.len, whole);
    have = 0;
    if (line.len == 1) { /* the empty line */
      if (!h->body(h->ctx, "\n", 1)) goto done;
      break;
    }
    whole = !cut;
    field.len = 0;
    if (line.len >= 5 && !memcmp(line.s, "From ", 5)) {
      if (!str_copys(&field, "MBOX-Line: ") || !add(&field, &line, &whole)) goto fail;
    } else if (header_valid(line.s, line.len)) {
      if (!add(&field, &line, &whole)) goto fail;
    } else {
      if (!h->body(h->ctx, "\n", 1) || !h->body(h->ctx, line.s, line.len)) goto done;
      break;
    }
    have = 1;
  }

  /* The body. */
  for (;;) {
    r = get_line(in, &line, &cut);
    if (r == -1) goto fail;
    if (r == 0 || !h->body(h->ctx, line.s, line.len)) break;
  }
  goto done;
fail:
  ret = -1;
done:
  str_free(&line);
  str_free(&field);
  return ret;
}

static int lower(unsigned char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

int headerbody_is(const char *s, size_t n, const char *name)
{
  size_t i = 0;
  for (; name[i]; ++i)
    if (i >= n || lower((unsigned char)s[i]) != lower((unsigned char)name[i])) return 0;
  for (; i < n; ++i) {
    if (s[i] == ':') return 1;
    if (s[i] != ' ' && s[i] != '\t') return 0;
  }
  return 0;
}

size_t headerbody_skipname(const char *s, size_t n)
{
  const char *colon = memchr(s, ':', n);
  size_t i = colon ? (size_t)(colon - s) + 1 : n;
  while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) ++i;
  return i;
}
