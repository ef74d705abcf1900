/* wait.h: waiting for children. */
#ifndef WAIT_H
#define WAIT_H

#include <sys/types.h>

/* Wait for pid (retrying after EINTR); store the raw status. Returns pid
 * or -1. */
pid_t wait_pid(pid_t pid, int *status);
/* Reap any child without blocking: pid, 0 if none is done, -1 if none. */
pid_t wait_nohang(int *status);

/* 1 if the child was killed by a signal (a crash). */
int wait_crashed(int status);
/* The child's exit code (meaningful when it did not crash). */
int wait_exitcode(int status);

#endif
