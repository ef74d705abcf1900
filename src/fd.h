/* fd.h: descriptor plumbing. 0 on success, -1 on error. */
#ifndef FD_H
#define FD_H

int fd_copy(int to, int from);   /* make to a duplicate of from */
int fd_move(int to, int from);   /* fd_copy, then close from */
int fd_nonblock(int fd, int on); /* set or clear O_NONBLOCK */
int fd_cloexec(int fd, int on);  /* set or clear FD_CLOEXEC */
/* fsync the directory named dir: after link/rename/unlink in it, the
 * change is on disk when this returns 0. */
int fd_syncdir(const char *dir);

#endif
