/* mbox.c: From-quoting writer for mbox files (see mbox.h). */
#include <string.h>
#include "mbox.h"

static const char from[] = "From ";

void mbox_start(mbox_quoter *m)
{
  m->atstart = 1;
  m->gts = 0;
  m->matched = 0;
}

/* Write n '>' characters. */
static int put_gts(iobuf *o, size_t n)
{
  char gts[64];

  memset(gts, '>', sizeof gts);
  while (n) {
    size_t k = n < sizeof gts ? n : sizeof gts;
    if (io_put(o, gts, k) == -1) return -1;
    n -= k;
  }
  return 0;
}

/* Write what the start of the line held back; the rest of the line is
 * copied as it comes. */
static int decided(mbox_quoter *m, iobuf *o)
{
  if (put_gts(o, m->gts) == -1 || io_put(o, from, m->matched) == -1) return -1;
  m->atstart = 0;
  m->gts = m->matched = 0;
  return 0;
}

int mbox_put(mbox_quoter *m, iobuf *o, const char *p, size_t n)
{
  while (n) {
    if (m->atstart) {
      if (!m->matched && *p == '>') {
        ++m->gts;
        ++p; --n;
        continue;
      }
      if (*p == from[m->matched]) {
        ++p; --n;
        if (++m->matched < sizeof from - 1) continue;
        if (io_put(o, ">", 1) == -1) return -1;
      }
      if (decided(m, o) == -1) return -1;
      continue;
    }
    {
      const char *nl = memchr(p, '\n', n);
      size_t take = nl ? (size_t)(nl - p) + 1 : n;
      if (io_put(o, p, take) == -1) return -1;
      p += take;
      n -= take;
      if (nl) m->atstart = 1;
    }
  }
  return 0;
}

int mbox_end(mbox_quoter *m, iobuf *o)
{
  if (m->atstart && (m->gts || m->matched) && decided(m, o) == -1) return -1;
  if (!m->atstart && io_put(o, "\n", 1) == -1) return -1;
  m->atstart = 1;
  return io_put(o, "\n", 1);
}

int mbox_copy(iobuf *out, iobuf *in)
{
  mbox_quoter m;

  mbox_start(&m);
  for (;;) {
    ssize_t r = io_feed(in);
    if (r < 0) return IO_COPY_RERR;
    if (r == 0) break;
    if (mbox_put(&m, out, io_peek(in), (size_t)r) == -1) return IO_COPY_WERR;
    io_skip(in, (size_t)r);
  }
  return mbox_end(&m, out) == -1 ? IO_COPY_WERR : 0;
}
