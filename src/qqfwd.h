/* qqfwd.h: forwarding the message on fd 0 through qmail-queue, as forward
 * and condredirect do: $DTLINE first, then the message from where fd 0
 * stands, unchanged. */
#ifndef QQFWD_H
#define QQFWD_H

#include <stddef.h>

/* Queue the message from sender to the n addresses at to. Returns
 * qmail-queue's pid (the qp of the log line) once the message is queued.
 * Otherwise dies, printing fatal (e.g. "forward: fatal: ") and then
 * "unable to fork: ERR" or "unable to read message: ERR" (exit 111), or
 * qmail-queue's text (exit 100 if it is permanent, else 111). SIGPIPE
 * must be ignored. */
unsigned long qqfwd(const char *fatal, const char *dtline, const char *sender,
                    char *const *to, size_t n);

#endif
