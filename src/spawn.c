/* spawn.c: start a program with vfork (see spawn.h). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <unistd.h>
#include "sig.h"
#include "spawn.h"
#include "wait.h"

void spawn_init(struct spawn *s, const char *path, char *const *argv)
{
  s->path = path;
  s->argv = argv;
  s->search_path = 0;
  s->fd[0] = s->fd[1] = s->fd[2] = -1;
  s->set_ids = 0;
  s->uid = 0;
  s->gid = 0;
  s->dir = 0;
  s->dir_optional = 0;
  s->sigpipe_default = 0;
  s->failed = SPAWN_OK;
  s->error = 0;
}

/* The child between vfork and exec: system calls only, nothing that
 * allocates or writes the parent's memory but s->failed and s->error. */
static void child(struct spawn *s, const sigset_t *mask) __attribute__((noreturn));
static void child(struct spawn *s, const sigset_t *mask)
{
  struct sigaction sa;
  int tmp[3];

  /* Every handler is the parent's (sig.h installs them all): none may
   * run here, on the parent's memory; exec would reset them, too late. */
  sa.sa_handler = SIG_DFL;
  sa.sa_flags = 0;
  sigemptyset(&sa.sa_mask);
  for (int sig = 1; sig < NSIG; ++sig)
    if (sig_caught(sig) || (sig == SIGPIPE && s->sigpipe_default)) sigaction(sig, &sa, 0);
  sigprocmask(SIG_SETMASK, mask, 0);

  /* Lift every source above 2 first, so that no move clobbers a source
   * still to be moved; the lifted copies close at exec. */
  for (int i = 0; i < 3; ++i) {
    tmp[i] = -1;
    if (s->fd[i] != -1 && (tmp[i] = fcntl(s->fd[i], F_DUPFD_CLOEXEC, 3)) == -1) goto fd_failed;
  }
  for (int i = 0; i < 3; ++i)
    if (s->fd[i] > 2) close(s->fd[i]);
  for (int i = 0; i < 3; ++i)
    if (tmp[i] != -1 && dup2(tmp[i], i) == -1) goto fd_failed;

  if (s->set_ids) {
    gid_t g = s->gid;
    if (setgroups(1, &g) == -1 || setgid(s->gid) == -1 || setuid(s->uid) == -1) {
      s->failed = SPAWN_IDS;
      s->error = errno;
      _exit(127);
    }
    if (getuid() == 0 || geteuid() == 0) {
      s->failed = SPAWN_ROOT;
      _exit(127);
    }
  }
  if (s->dir && chdir(s->dir) == -1 && !s->dir_optional) {
    s->failed = SPAWN_DIR;
    s->error = errno;
    _exit(127);
  }
  if (s->search_path) execvp(s->path, s->argv);
  else execv(s->path, s->argv);
  s->failed = SPAWN_EXEC;
  s->error = errno;
  _exit(127);
fd_failed:
  s->failed = SPAWN_FD;
  s->error = errno;
  _exit(127);
}

pid_t spawn_start(struct spawn *s)
{
  sigset_t all, old;
  pid_t pid;
  int status;

  s->failed = SPAWN_OK;
  s->error = 0;
  /* No handler may run in the child while it shares our memory. */
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &old);
  pid = vfork();
  if (pid == 0) child(s, &old);
  if (pid == -1) {
    s->error = errno;
    s->failed = SPAWN_FORK;
  }
  sigprocmask(SIG_SETMASK, &old, 0);
  if (pid == -1) return -1;
  /* The child has exec'd or exited: its report, if any, is written. */
  if (s->failed != SPAWN_OK) {
    wait_pid(pid, &status);
    return -1;
  }
  return pid;
}
