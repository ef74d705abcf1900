/* mbox.h: writing a message into an mbox file the way mbox(5) says:
 * every line that starts with "From " after any number of '>'s gets one
 * more '>' in front, a partial last line is ended with '\n', and a blank
 * line follows the message. (The From_ line that comes before the message
 * is the caller's.) Only counters are kept for the start of the line
 * being written, so no line, however long, is ever held in memory.
 * Used by qmail-local and maildir2mbox. */
#ifndef MBOX_H
#define MBOX_H

#include <stddef.h>
#include "io.h"

typedef struct {
  int atstart;    /* the line's first bytes are still being examined */
  size_t gts;     /* '>'s seen at its start, not written yet */
  size_t matched; /* bytes of "From " seen after them, not written yet */
} mbox_quoter;

void mbox_start(mbox_quoter *m);
/* Write the n bytes at p (any piece of the message: lines may be split
 * anywhere) to out, quoted. 0, or -1 on a write error. */
int mbox_put(mbox_quoter *m, iobuf *out, const char *p, size_t n);
/* End the message: finish a partial last line and add the blank line.
 * 0, or -1 on a write error. out is not flushed. */
int mbox_end(mbox_quoter *m, iobuf *out);

/* The whole of in, from where it stands to its end, written quoted and
 * ended as above. Returns 0, IO_COPY_RERR or IO_COPY_WERR. */
int mbox_copy(iobuf *out, iobuf *in);

#endif
