/* cmdline.h: the command-line reader shared by qmail-smtpd and the POP3
 * servers. A line ends at LF and a CR just before the LF is dropped. The
 * bytes go into the caller's fixed buffer line, of max + 2 bytes (the
 * line, its CR, a NUL); whatever does not fit is read and discarded and
 * the line is marked overlong, so no client can make memory grow. */
#ifndef CMDLINE_H
#define CMDLINE_H

#include <stddef.h>

/* Take bytes from buf (len of them) into line; *used says how many were
 * taken. Returns 1 when the LF ending the line was taken, 0 when more is
 * needed. *len, *overlong and *complete are the reader's state: all zero
 * to start; after a complete line the next call starts a new one. */
int cmdline_take(char *line, size_t max, size_t *len, int *overlong, int *complete,
                 const char *buf, size_t buflen, size_t *used);

#endif
