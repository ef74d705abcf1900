/* smtpreply.c: the SMTP reply parser (see smtpreply.h). */
#include "smtpreply.h"

enum { ST_CODE, ST_SEP, ST_TEXT, ST_DONE, ST_TOOLONG };

static void new_line(smtpreply *r)
{
  r->state = ST_CODE;
  r->last = 0;
  r->linecode = 0;
  r->pos = 0;
  r->linelen = 0;
}

void smtpreply_init(smtpreply *r)
{
  r->bad = 0;
  r->code = 0;
  r->lines = 0;
  r->textlen = 0;
  new_line(r);
}

/* A line has ended: the reply ends with it, or another line starts. */
static void end_line(smtpreply *r)
{
  r->lines++;
  if (r->last) r->state = ST_DONE;
  else if (r->lines >= SMTPREPLY_LINESMAX) r->state = ST_TOOLONG;
  else new_line(r);
}

/* One code byte (the pos'th of three). */
static void code_byte(smtpreply *r, char c)
{
  if (c < '0' || c > '9') r->bad = 1;
  else r->linecode = r->linecode * 10 + (unsigned int)(c - '0');
  if (++r->pos < 3) return;
  r->state = ST_SEP;
  if (r->bad) return;
  if (r->lines == 0) {
    r->code = r->linecode;
    if (r->code < 200 || r->code > 599) r->bad = 1;
  } else if (r->linecode != r->code) {
    r->bad = 1;
  }
}

static void step(smtpreply *r, char c)
{
  if (c != '\r' && r->textlen < SMTPREPLY_TEXTMAX) r->text[r->textlen++] = c;
  if (c == '\r') return;
  switch (r->state) {
  case ST_CODE:
    if (c == '\n') {
      r->bad = 1; /* the line ended inside its code */
      r->last = 1;
      end_line(r);
    } else {
      code_byte(r, c);
    }
    break;
  case ST_SEP:
    if (c == '\n') {
      r->last = 1;
      end_line(r);
      break;
    }
    if (c != '-') r->last = 1;
    if (c != '-' && c != ' ') r->bad = 1;
    r->state = ST_TEXT;
    break;
  default: /* ST_TEXT */
    if (c == '\n') end_line(r);
    break;
  }
}

int smtpreply_feed(smtpreply *r, const char *buf, size_t len, size_t *used)
{
  size_t i;
  for (i = 0; i < len; ++i) {
    if (r->state == ST_DONE || r->state == ST_TOOLONG) break;
    if (++r->linelen > SMTPREPLY_LINEMAX) {
      r->state = ST_TOOLONG;
      break;
    }
    step(r, buf[i]);
  }
  *used = i;
  if (r->state == ST_DONE) return SMTPREPLY_DONE;
  if (r->state == ST_TOOLONG) return SMTPREPLY_TOOLONG;
  return SMTPREPLY_MORE;
}

unsigned int smtpreply_code(const smtpreply *r)
{
  return r->bad ? 0 : r->code;
}
