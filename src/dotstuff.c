/* dotstuff.c: the SMTP DATA encoder (see dotstuff.h for the rule). */
#include "dotstuff.h"

enum { DS_BOL, DS_MID, DS_CR };

void dotstuff_init(dotstuff *d) { d->state = DS_BOL; }

size_t dotstuff_encode(dotstuff *d, const char *in, size_t len, char *out)
{
  size_t n = 0;
  for (size_t i = 0; i < len; ++i) {
    char c = in[i];
    if (d->state == DS_CR) {
      /* The CR before this byte ends a line, alone or with this LF. */
      out[n++] = '\r';
      out[n++] = '\n';
      d->state = DS_BOL;
      if (c == '\n') continue;
    }
    if (c == '\r') {
      d->state = DS_CR;
    } else if (c == '\n') {
      out[n++] = '\r';
      out[n++] = '\n';
      d->state = DS_BOL;
    } else {
      if (c == '.' && d->state == DS_BOL) out[n++] = '.';
      out[n++] = c;
      d->state = DS_MID;
    }
  }
  return n;
}

int dotstuff_partial(const dotstuff *d) { return d->state == DS_MID; }

size_t dotstuff_finish(dotstuff *d, char *out)
{
  size_t n = 0;
  if (d->state != DS_BOL) {
    out[n++] = '\r';
    out[n++] = '\n';
  }
  out[n++] = '.';
  out[n++] = '\r';
  out[n++] = '\n';
  d->state = DS_BOL;
  return n;
}
