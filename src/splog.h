/* splog.h: how splogger turns its input into syslog messages, with no
 * I/O of its own (splogger.c feeds it and hands the messages to syslog).
 * Each input line becomes one message "STAMP TEXT", STAMP being the time
 * the message is made as seconds.microseconds ("901234567.000042").
 * Bytes outside printable ASCII become '?'; empty lines make nothing.
 * A line longer than SPLOG_PIECE bytes is folded: each further piece of
 * it becomes "STAMP+TEXT", with the first piece's stamp and priority.
 * The priority is LOG_ALERT for a line starting "alert:", LOG_WARNING
 * for "warning:", else LOG_INFO. Bytes after the last newline are held
 * until a newline comes (splogger drops them at end of input). */
#ifndef SPLOG_H
#define SPLOG_H

#include <stddef.h>
#include "num.h"

#define SPLOG_PIECE 799
#define SPLOG_STAMP_MAX (NUM_ULL_DIGITS + 1 + 6)
/* A whole message: stamp, separator, piece, NUL. */
#define SPLOG_MSG_MAX (SPLOG_STAMP_MAX + 1 + SPLOG_PIECE + 1)

/* The time now, for the stamp. */
typedef void (*splog_clock)(unsigned long long *sec, unsigned long *usec);
/* One message ready for syslog(priority, "%s", msg). */
typedef void (*splog_emit)(void *arg, int priority, const char *msg);

struct splog {
  char piece[SPLOG_PIECE];
  size_t len;   /* bytes in piece */
  int cont;     /* a piece of the current line has gone out */
  int priority; /* the current line's, when cont */
  char stamp[SPLOG_STAMP_MAX];
  size_t stamplen; /* the current line's stamp, when cont */
  char msg[SPLOG_MSG_MAX];
  splog_clock clock;
  splog_emit emit;
  void *arg;
};

void splog_init(struct splog *s, splog_clock clock, splog_emit emit, void *arg);
/* Take len more bytes of input; emits every message they complete. */
void splog_put(struct splog *s, const char *buf, size_t len);

/* The stamp for sec.usec (usec taken modulo one million), not
 * NUL-terminated; returns its length (at most SPLOG_STAMP_MAX). */
size_t splog_stamp(char *out, unsigned long long sec, unsigned long usec);

/* The facility argument, a number as syslog counts them (2 is mail), as
 * the code openlog() takes; 0 (the C library's default) when it is 0,
 * does not start with a digit, or is above the largest facility. */
int splog_facility(const char *arg);

#endif
