/* spawn.h: start a program in a child process, cheaply and with the
 * child's setup (descriptors, ids, directory) described instead of coded.
 *
 * A message passes through several programs (qmail-smtpd starts
 * qmail-queue, qmail-lspawn starts qmail-getpw and qmail-local), so the
 * cost of starting one matters. The child is made with vfork: it borrows
 * the parent's memory until it execs, so no page tables are copied. In
 * exchange it may only make system calls, which is all spawn_start's
 * child does; the plan is read-only to it except for the two failure
 * fields. spawn_start returns only once the program is running (or the
 * child has failed and been reaped), so a caller learns at once whether
 * the exec worked, and why not. */
#ifndef SPAWN_H
#define SPAWN_H

#include <sys/types.h>

/* The step that failed, in spawn.failed. */
enum {
  SPAWN_OK = 0,
  SPAWN_FORK,  /* no child: vfork failed */
  SPAWN_FD,    /* the child could not arrange fds 0, 1, 2 */
  SPAWN_IDS,   /* setgroups, setgid or setuid failed */
  SPAWN_ROOT,  /* after dropping ids the child was still root */
  SPAWN_DIR,   /* chdir failed (and dir_optional was 0) */
  SPAWN_EXEC   /* execv/execvp failed */
};

struct spawn {
  const char *path;     /* the program; looked up in PATH if search_path */
  char *const *argv;
  int search_path;
  /* What becomes fd 0, 1 and 2 in the child; -1 leaves that one as it
   * is. A source above 2 is closed in the child after the move. */
  int fd[3];
  /* If set_ids: run as uid and gid, with gid as the only group; the
   * child refuses to go on as root (uid 0 is never asked for). */
  int set_ids;
  uid_t uid;
  gid_t gid;
  const char *dir;      /* chdir here first, unless 0 */
  int dir_optional;     /* a failed chdir leaves the child where it was */
  int sigpipe_default;  /* SIGPIPE back to its default action */
  /* Set by spawn_start when it returns -1. */
  volatile int failed;  /* SPAWN_* */
  volatile int error;   /* errno of the failed step */
};

/* Fill s with defaults: no fd changes, no ids, no chdir. */
void spawn_init(struct spawn *s, const char *path, char *const *argv);

/* Start the program. The child has the parent's signal mask; caught
 * signals are reset to their default action, as exec would, before
 * anything else runs in it (a handler must never run on the parent's
 * memory); ignored ones stay ignored unless sigpipe_default. Returns the child's pid once
 * it has exec'd, or -1 with s->failed and s->error set (the failed
 * child has been reaped). */
pid_t spawn_start(struct spawn *s);

#endif
