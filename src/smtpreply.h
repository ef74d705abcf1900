/* smtpreply.h: a parser for the replies of an SMTP server, as an explicit
 * state machine that is fed bytes as they arrive (any number at a time).
 *
 * A reply is one or more lines; each line is a three-digit code, then a
 * separator, then text, then LF. The separator '-' announces another
 * line; anything else (a space, or LF at once: "250\r\n") makes the line
 * the last. CR bytes are dropped wherever they appear, so CRLF and a bare
 * LF both end a line. Everything the reply held except CRs is kept as its
 * text (up to SMTPREPLY_TEXTMAX bytes; the rest is dropped).
 *
 * The reply is malformed (smtpreply_code gives 0) when a line ends before
 * its code, a code position holds a non-digit, a code does not start with
 * 2, 3, 4 or 5, a line's code differs from the first line's, or a
 * separator is neither '-' nor a space. A malformed reply still ends
 * where a line without the '-' separator ends, so the conversation stays
 * in step. A line longer than SMTPREPLY_LINEMAX bytes or a reply with
 * more than SMTPREPLY_LINESMAX lines stops the parser for good. */
#ifndef SMTPREPLY_H
#define SMTPREPLY_H

#include <stddef.h>

#define SMTPREPLY_LINEMAX 4096  /* bytes in one line, CR and LF counted */
#define SMTPREPLY_LINESMAX 100  /* lines in one reply */
#define SMTPREPLY_TEXTMAX 5000  /* bytes of text kept */

typedef struct {
  int state;            /* where in a line the parser is */
  int bad;              /* the reply is malformed */
  int last;             /* the current line is the reply's last */
  unsigned int code;    /* the first line's code */
  unsigned int linecode;/* the current line's code so far */
  unsigned int pos;     /* code bytes seen in the current line */
  size_t linelen;       /* bytes in the current line so far */
  size_t lines;         /* complete lines so far */
  size_t textlen;       /* bytes in text */
  char text[SMTPREPLY_TEXTMAX];
} smtpreply;

/* smtpreply_feed results. */
enum {
  SMTPREPLY_MORE,    /* every byte was used and the reply is not over */
  SMTPREPLY_DONE,    /* the reply is complete; *used bytes belonged to it */
  SMTPREPLY_TOOLONG  /* a limit was passed; the parser takes no more */
};

/* Start a new reply. */
void smtpreply_init(smtpreply *r);
/* Parse up to len bytes of buf; *used says how many were consumed (all
 * of them unless the reply ended inside buf). */
int smtpreply_feed(smtpreply *r, const char *buf, size_t len, size_t *used);
/* After SMTPREPLY_DONE: the code (200-599), or 0 if the reply was
 * malformed. */
unsigned int smtpreply_code(const smtpreply *r);

#endif
