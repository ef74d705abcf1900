/* wait.c: child reaping (see wait.h). */
#include <errno.h>
#include <sys/wait.h>
#include "wait.h"

pid_t wait_pid(pid_t pid, int *status)
{
  pid_t r;
  do r = waitpid(pid, status, 0); while (r == -1 && errno == EINTR);
  return r;
}

pid_t wait_nohang(int *status) { return waitpid(-1, status, WNOHANG); }
int wait_crashed(int status) { return !WIFEXITED(status); }
int wait_exitcode(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 0; }
