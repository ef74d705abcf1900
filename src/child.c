/* child.c: run a program and collect its exit code (see child.h). */
#include <errno.h>
#include <unistd.h>
#include "child.h"
#include "err.h"
#include "wait.h"

int child_run(char *const *argv, const char *fatal)
{
  int status;
  pid_t pid = fork();

  if (pid == -1) err_die_sys(111, fatal, "unable to fork", (char *)0);
  if (pid == 0) {
    execvp(argv[0], argv);
    _exit(err_temp(errno) ? 111 : 100);
  }
  if (wait_pid(pid, &status) == -1) err_die(111, fatal, "wait failed", (char *)0);
  if (wait_crashed(status)) err_die(111, fatal, "child crashed", (char *)0);
  return wait_exitcode(status);
}
