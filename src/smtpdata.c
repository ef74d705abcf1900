/* smtpdata.c: the SMTP DATA state machine (see smtpdata.h). Runs of
 * ordinary bytes are found with memchr and go to the sink in one piece;
 * only line starts and CRs are looked at one byte at a time. */
#include <limits.h>
#include <string.h>
#include "smtpdata.h"

enum {
  S_TEXT,   /* inside a line */
  S_START,  /* at the start of a line (after CR LF, or at the very start) */
  S_DOT,    /* line start, then "." */
  S_DOTCR,  /* line start, then "." CR */
  S_CR      /* a CR whose fate depends on the next byte */
};

void smtpdata_init(struct smtpdata *d, unsigned long long databytes, smtpdata_sink sink, void *arg)
{
  d->hops = 0;
  d->bytes = 0;
  d->toobig = 0;
  d->limit = databytes;
  d->state = S_START;
  d->inheader = 1;
  d->hpos = 0;
  d->maybe_received = d->maybe_delivered = d->maybe_blank = 1;
  d->sink = sink;
  d->arg = arg;
}

int smtpdata_looping(const struct smtpdata *d) { return d->hops >= SMTPDATA_MAXHOPS; }

static void emit(struct smtpdata *d, const char *buf, size_t len)
{
  if (!len) return;
  d->bytes = len > ULLONG_MAX - d->bytes ? ULLONG_MAX : d->bytes + len;
  if (d->limit && d->bytes > d->limit) d->toobig = 1;
  if (!d->toobig) d->sink(d->arg, buf, len);
}

/* 1 if c is the letter lower (a lower-case letter) in either case. */
static int letter(char c, char lower) { return (c | 0x20) == lower; }

static void next_hop(struct smtpdata *d)
{
  if (d->hops < ULONG_MAX) ++d->hops;
}

/* Header bookkeeping over raw bytes (before any unstuffing), as qmail-1.03
 * does it: the first 9 bytes of each header line decide. */
static void header(struct smtpdata *d, const char *buf, size_t len)
{
  size_t i = 0;

  while (i < len && d->inheader) {
    char c;
    if (d->hpos >= 9 || (d->hpos >= 2 && !d->maybe_received && !d->maybe_delivered)) {
      /* Nothing left to learn from this line: skip to its end. */
      const char *lf = memchr(buf + i, '\n', len - i);
      if (!lf) return;
      i = (size_t)(lf - buf) + 1;
      d->hpos = 0;
      d->maybe_received = d->maybe_delivered = d->maybe_blank = 1;
      continue;
    }
    c = buf[i++];
    if (!letter(c, "delivered"[d->hpos])) d->maybe_delivered = 0;
    if (d->maybe_delivered && d->hpos == 8) next_hop(d);
    if (d->hpos < 8) {
      if (!letter(c, "received"[d->hpos])) d->maybe_received = 0;
      if (d->maybe_received && d->hpos == 7) next_hop(d);
    }
    if (d->hpos < 2) {
      if (c != "\r\n"[d->hpos]) d->maybe_blank = 0;
      if (d->maybe_blank && d->hpos == 1) d->inheader = 0;
    }
    ++d->hpos;
    if (c == '\n') {
      d->hpos = 0;
      d->maybe_received = d->maybe_delivered = d->maybe_blank = 1;
    }
  }
}

static int finish(struct smtpdata *d, const char *buf, size_t used, size_t *usedp, int result)
{
  header(d, buf, used);
  *usedp = used;
  return result;
}

int smtpdata_feed(struct smtpdata *d, const char *buf, size_t len, size_t *used)
{
  size_t i = 0, lfpos = 0;
  int lfknown = 0; /* lfpos is the first LF at or after i (len: none) */

  while (i < len) {
    char c;
    if (d->state == S_TEXT) {
      const char *cr;
      size_t stop;
      if (!lfknown || lfpos < i) {
        const char *lf = memchr(buf + i, '\n', len - i);
        lfpos = lf ? (size_t)(lf - buf) : len;
        lfknown = 1;
      }
      cr = memchr(buf + i, '\r', lfpos - i);
      stop = cr ? (size_t)(cr - buf) : lfpos;
      emit(d, buf + i, stop - i);
      i = stop;
      if (i == len) break;
      if (buf[i] == '\n') return finish(d, buf, i + 1, used, SMTPDATA_BARELF);
      d->state = S_CR;
      ++i;
      continue;
    }
    c = buf[i];
    switch (d->state) {
    case S_START:
      if (c == '\n') return finish(d, buf, i + 1, used, SMTPDATA_BARELF);
      if (c == '.' || c == '\r') ++i;
      d->state = c == '.' ? S_DOT : c == '\r' ? S_CR : S_TEXT;
      break;
    case S_DOT:
      if (c == '\n') return finish(d, buf, i + 1, used, SMTPDATA_BARELF);
      if (c == '\r') ++i;
      d->state = c == '\r' ? S_DOTCR : S_TEXT; /* S_TEXT: the dot is dropped */
      break;
    case S_DOTCR:
      if (c == '\n') return finish(d, buf, i + 1, used, SMTPDATA_END);
      emit(d, ".\r", 2); /* not the end: the dot and CR stay */
      if (c == '\r') ++i;
      d->state = c == '\r' ? S_CR : S_TEXT;
      break;
    default: /* S_CR */
      if (c == '\n') {
        emit(d, "\n", 1);
        d->state = S_START;
        ++i;
      } else {
        emit(d, "\r", 1); /* a lone CR stays */
        if (c == '\r') ++i;
        else d->state = S_TEXT;
      }
      break;
    }
  }
  return finish(d, buf, len, used, SMTPDATA_MORE);
}
