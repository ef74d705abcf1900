/* lock.c: flock-based locks (see lock.h). */
#include <errno.h>
#include <sys/file.h>
#include "lock.h"

static int do_flock(int fd, int op)
{
  int r;
  do r = flock(fd, op); while (r == -1 && errno == EINTR && !(op & LOCK_NB));
  return r;
}

int lock_ex(int fd) { return do_flock(fd, LOCK_EX); }
int lock_exnb(int fd) { return do_flock(fd, LOCK_EX | LOCK_NB); }
int lock_un(int fd) { return do_flock(fd, LOCK_UN); }
