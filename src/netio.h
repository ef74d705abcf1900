/* netio.h: talking to a network client with a time limit on every wait,
 * for the servers (qmail-smtpd, qmail-popup, qmail-pop3d). netio_write is
 * an io_op for the output iobuf; each server's read op waits with
 * netio_wait after flushing its replies. */
#ifndef NETIO_H
#define NETIO_H

#include <sys/types.h>

extern unsigned long long netio_timeout; /* seconds per wait; default 1200 */
extern int netio_timedout;               /* a wait ran out of time */

/* Wait until fd is ready for events (POLLIN or POLLOUT): 0, or -1 with
 * errno ETIMEDOUT (and netio_timedout set) or poll's error. */
int netio_wait(int fd, short events);
/* Write without ever blocking past the time limit: send with MSG_DONTWAIT
 * on a socket, plain write on anything else (a pipe, under tests). */
ssize_t netio_write(int fd, void *buf, size_t len);

#endif
