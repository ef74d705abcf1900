/* splog.c: splogger's message framing (see splog.h). */
#include <string.h>
#include <syslog.h>
#include "splog.h"

void splog_init(struct splog *s, splog_clock clock, splog_emit emit, void *arg)
{
  s->len = 0;
  s->cont = 0;
  s->priority = LOG_INFO;
  s->stamplen = 0;
  s->clock = clock;
  s->emit = emit;
  s->arg = arg;
}

size_t splog_stamp(char *out, unsigned long long sec, unsigned long usec)
{
  size_t n = num_fmt(out, sec);
  usec %= 1000000;
  out[n++] = '.';
  for (int i = 5; i >= 0; --i) {
    out[n + (size_t)i] = (char)('0' + usec % 10);
    usec /= 10;
  }
  return n + 6;
}

static int starts(const struct splog *s, const char *prefix)
{
  size_t n = strlen(prefix);
  return s->len >= n && !memcmp(s->piece, prefix, n);
}

/* Send what the piece holds, if anything. */
static void flush(struct splog *s)
{
  size_t n;

  if (!s->len) return;
  if (!s->cont) {
    unsigned long long sec;
    unsigned long usec;
    s->clock(&sec, &usec);
    s->stamplen = splog_stamp(s->stamp, sec, usec);
    s->priority = LOG_INFO;
    if (starts(s, "warning:")) s->priority = LOG_WARNING;
    if (starts(s, "alert:")) s->priority = LOG_ALERT;
  }
  memcpy(s->msg, s->stamp, s->stamplen);
  n = s->stamplen;
  s->msg[n++] = s->cont ? '+' : ' ';
  memcpy(s->msg + n, s->piece, s->len);
  n += s->len;
  s->msg[n] = 0;
  s->emit(s->arg, s->priority, s->msg);
  s->cont = 1;
  s->len = 0;
}

void splog_put(struct splog *s, const char *buf, size_t len)
{
  for (size_t i = 0; i < len; ++i) {
    unsigned char c = (unsigned char)buf[i];
    if (c == '\n') {
      flush(s);
      s->cont = 0;
      continue;
    }
    if (s->len == SPLOG_PIECE) flush(s);
    s->piece[s->len++] = c < 32 || c > 126 ? '?' : (char)c;
  }
}

int splog_facility(const char *arg)
{
  unsigned long long n;
  num_scan(arg, strlen(arg), &n);
  if (n > (LOG_FACMASK >> 3)) return 0;
  return (int)(n << 3);
}
