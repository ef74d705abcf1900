/* headerbody.h: walking a message field by field, then line by line, as
 * qmail's small tools (qbiff, qreceipt, maildirwatch) read it.
 *
 * The header is the lines up to the first empty line. A line starting
 * with a space or tab continues the field before it; a line starting with
 * "From " is taken as a field "MBOX-Line: From ..."; the first line that
 * is none of these and does not start a field (see header_valid) ends the
 * header, and the body is then an empty line followed by that line. A
 * partial last line is treated as if it ended with '\n'.
 *
 * Memory is bounded: a field (or body line) longer than HEADERBODY_MAX
 * bytes is cut to its first HEADERBODY_MAX bytes, and the rest of it is
 * read and dropped. */
#ifndef HEADERBODY_H
#define HEADERBODY_H

#include <stddef.h>
#include "io.h"

#define HEADERBODY_MAX 65536

struct headerbody {
  /* A header field: its first line and any continuation lines, each
   * with its '\n'. whole is 0 when the field was cut to HEADERBODY_MAX
   * bytes (it then ends where it was cut). */
  void (*field)(void *ctx, const char *s, size_t n, int whole);
  /* A body line with its '\n' (a cut line ends where it was cut); the
   * first is an empty line standing for the end of the header. Return 1
   * for more, 0 to stop reading. */
  int (*body)(void *ctx, const char *s, size_t n);
  void *ctx;
};

/* Read in to its end (or until body asks to stop), calling h's functions
 * in order. 0, or -1 on a read error or when memory ran out (errno). */
int headerbody(iobuf *in, const struct headerbody *h);

/* 1 if the field at s (n bytes) is called name: the name compared without
 * regard to ASCII case, followed by optional spaces and tabs and a colon. */
int headerbody_is(const char *s, size_t n, const char *name);

/* Where the field's contents start: after the first colon and the spaces,
 * tabs, CRs and LFs that follow it (n if there is nothing more). */
size_t headerbody_skipname(const char *s, size_t n);

#endif
