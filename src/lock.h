/* lock.h: whole-file advisory locks (flock). 0 on success, -1 on error. */
#ifndef LOCK_H
#define LOCK_H

int lock_ex(int fd);    /* wait for an exclusive lock */
int lock_exnb(int fd);  /* exclusive lock or fail at once (EWOULDBLOCK) */
int lock_un(int fd);

#endif
