/* qq.h: the client side of qmail-queue(8): start it, feed it a message
 * on its fd 0 and an envelope on its fd 1, and turn its exit code into
 * the text every caller reports (first byte 'Z' temporary, 'D' permanent,
 * as in qmail; an empty string means queued). */
#ifndef QQ_H
#define QQ_H

#include <sys/types.h>
#include "io.h"

typedef struct {
  pid_t pid;
  int msgfd;        /* message pipe, -1 after qq_from */
  int envfd;        /* envelope pipe */
  int failed;       /* a write to either pipe failed */
  int startcode;    /* qmail-queue did not start: the exit code reported */
  iobuf out;        /* buffered writes to the current pipe */
  char space[8192];
} qq;

/* Start QMAILHOME/bin/qmail-queue. 0 on success, -1 (errno) if it could
 * not be started. SIGPIPE must be ignored by the caller. */
int qq_open(qq *q);
/* Message bytes. Errors are remembered and reported by qq_close. */
void qq_put(qq *q, const void *buf, size_t len);
void qq_puts(qq *q, const char *s);
/* End the message and start the envelope with the sender. */
void qq_from(qq *q, const char *sender);
void qq_to(qq *q, const char *recipient);
/* Abandon the message: nothing more is written, qmail-queue sees the
 * envelope end early and queues nothing (qq_close still waits for it). */
void qq_fail(qq *q);
/* Finish the envelope, wait for qmail-queue, return the result text. */
const char *qq_close(qq *q);
/* qmail-queue's pid (the "qp" of log lines and SMTP replies). */
unsigned long qq_pid(const qq *q);

/* The text for a qmail-queue exit code (0 gives ""). */
const char *qq_exittext(int code);

#endif
