/* fd.c: descriptor plumbing (see fd.h). */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include "fd.h"

int fd_copy(int to, int from)
{
  if (to == from) return 0;
  if (fcntl(from, F_GETFL, 0) == -1) return -1;
  close(to);
  return fcntl(from, F_DUPFD, to) == -1 ? -1 : 0;
}

int fd_move(int to, int from)
{
  if (to == from) return 0;
  if (fd_copy(to, from) == -1) return -1;
  close(from);
  return 0;
}

int fd_nonblock(int fd, int on)
{
  int flags = fcntl(fd, F_GETFL, 0);
  if (flags == -1) return -1;
  flags = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
  return fcntl(fd, F_SETFL, flags);
}

int fd_cloexec(int fd, int on) { return fcntl(fd, F_SETFD, on ? FD_CLOEXEC : 0); }

int fd_syncdir(const char *dir)
{
  int fd = open(dir, O_RDONLY | O_DIRECTORY);
  int r, saved;
  if (fd == -1) return -1;
  do r = fsync(fd); while (r == -1 && errno == EINTR);
  saved = errno;
  close(fd);
  errno = saved;
  return r;
}
