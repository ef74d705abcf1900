/* child.c: run a program and collect its exit code (see child.h). */
#include <errno.h>
#include "child.h"
#include "err.h"
#include "spawn.h"
#include "wait.h"

int child_run(char *const *argv, const char *fatal)
{
  struct spawn sp;
  int status;
  pid_t pid;

  spawn_init(&sp, argv[0], argv);
  sp.search_path = 1;
  pid = spawn_start(&sp);
  if (pid == -1) {
    if (sp.failed == SPAWN_FORK) {
      errno = sp.error;
      err_die_sys(111, fatal, "unable to fork", (char *)0);
    }
    return err_temp(sp.error) ? 111 : 100;
  }
  if (wait_pid(pid, &status) == -1) err_die(111, fatal, "wait failed", (char *)0);
  if (wait_crashed(status)) err_die(111, fatal, "child crashed", (char *)0);
  return wait_exitcode(status);
}
