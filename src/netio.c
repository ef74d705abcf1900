/* netio.c: client I/O with time limits (see netio.h). */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <sys/socket.h>
#include "io.h"
#include "netio.h"

unsigned long long netio_timeout = 1200;
int netio_timedout;

int netio_wait(int fd, short events)
{
  struct pollfd p;
  int ms = netio_timeout > INT_MAX / 1000 ? INT_MAX : (int)(netio_timeout * 1000);
  int r;

  p.fd = fd;
  p.events = events;
  do r = poll(&p, 1, ms); while (r == -1 && errno == EINTR);
  if (r == 0) {
    netio_timedout = 1;
    errno = ETIMEDOUT;
    return -1;
  }
  return r == -1 ? -1 : 0;
}

ssize_t netio_write(int fd, void *buf, size_t len)
{
  for (;;) {
    ssize_t w;
    if (netio_wait(fd, POLLOUT) == -1) return -1;
    w = send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (w == -1 && errno == ENOTSOCK) w = io_write(fd, buf, len);
    if (w == -1 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
    return w;
  }
}
