/* test_spawn.c: unit tests for spawn_start: descriptors, ids, directory,
 * signal dispositions and each failure step, with real programs. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"
#include "sig.h"
#include "spawn.h"

/* Run argv[0] with stdout into a pipe; collect the output into buf and
 * return the exit code, or -1 if it did not start. */
static int run(struct spawn *s, char *const *argv, char *buf, size_t size)
{
  int p[2], status;
  size_t got = 0;
  ssize_t r;
  pid_t pid;

  buf[0] = 0;
  if (pipe(p) == -1) return -1;
  s->path = argv[0];
  s->argv = argv;
  s->fd[1] = p[1];
  pid = spawn_start(s);
  close(p[1]);
  if (pid == -1) {
    close(p[0]);
    return -1;
  }
  while (got + 1 < size && (r = read(p[0], buf + got, size - 1 - got)) > 0) got += (size_t)r;
  buf[got] = 0;
  close(p[0]);
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -2;
  return WEXITSTATUS(status);
}

static int run_sh(struct spawn *s, const char *script, char *buf, size_t size)
{
  char *argv[] = { (char *)"/bin/sh", (char *)"-c", (char *)script, 0 };
  return run(s, argv, buf, size);
}

static void on_usr1(int sig) { (void)sig; }

static int no_children_left(void)
{
  return waitpid(-1, 0, WNOHANG) == -1 && errno == ECHILD;
}

int main(void)
{
  struct spawn s;
  char out[512];

  /* stdout into a pipe; the exit code comes back through waitpid */
  spawn_init(&s, 0, 0);
  CHECK(run_sh(&s, "echo hello; exit 7", out, sizeof out) == 7);
  CHECK_STR(out, "hello\n");
  CHECK(s.failed == SPAWN_OK);

  /* the same source for 1 and 2 */
  spawn_init(&s, 0, 0);
  {
    int p[2];
    CHECK(pipe(p) == 0);
    s.fd[2] = p[1];
    CHECK(run_sh(&s, "echo out; echo err >&2", out, sizeof out) == 0);
    close(p[1]);
    ssize_t r = read(p[0], out, sizeof out - 1);
    CHECK(r == 4);
    out[r > 0 ? r : 0] = 0;
    CHECK_STR(out, "err\n");
    close(p[0]);
  }

  /* sources that are themselves 0 and 1, crossed: the child's stdin is
   * the parent's fd 1 and its stdout the parent's fd 0 */
  {
    int in[2], res[2], save0 = dup(0), save1 = dup(1), status;
    char *argv[] = { (char *)"cat", 0 };
    pid_t pid;
    ssize_t r;
    CHECK(pipe(in) == 0 && pipe(res) == 0);
    /* our ends must not stay open in cat, or it never sees end of file */
    fcntl(in[1], F_SETFD, FD_CLOEXEC);
    fcntl(res[0], F_SETFD, FD_CLOEXEC);
    CHECK(dup2(in[0], 1) == 1 && dup2(res[1], 0) == 0);
    close(in[0]);
    close(res[1]);
    spawn_init(&s, "cat", argv);
    s.search_path = 1;
    s.fd[0] = 1;
    s.fd[1] = 0;
    pid = spawn_start(&s);
    dup2(save0, 0);
    dup2(save1, 1);
    close(save0);
    close(save1);
    CHECK(pid > 0);
    CHECK(write(in[1], "crossed\n", 8) == 8);
    close(in[1]);
    r = read(res[0], out, sizeof out - 1);
    CHECK(r == 8);
    out[r > 0 ? r : 0] = 0;
    CHECK_STR(out, "crossed\n");
    close(res[0]);
    CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }

  /* directory */
  spawn_init(&s, 0, 0);
  s.dir = "/";
  CHECK(run_sh(&s, "pwd", out, sizeof out) == 0);
  CHECK_STR(out, "/\n");
  spawn_init(&s, 0, 0);
  s.dir = "/nonexistent-spawn-test";
  CHECK(run_sh(&s, "pwd", out, sizeof out) == -1);
  CHECK(s.failed == SPAWN_DIR);
  CHECK(s.error == ENOENT);
  CHECK(no_children_left());
  spawn_init(&s, 0, 0);
  s.dir = "/nonexistent-spawn-test";
  s.dir_optional = 1;
  CHECK(chdir("/tmp") == 0);
  CHECK(run_sh(&s, "pwd", out, sizeof out) == 0);
  CHECK_STR(out, "/tmp\n");

  /* exec failures, with and without PATH */
  {
    char *argv[] = { (char *)"x", 0 };
    spawn_init(&s, "/nonexistent-spawn-test/prog", argv);
    CHECK(spawn_start(&s) == -1);
    CHECK(s.failed == SPAWN_EXEC);
    CHECK(s.error == ENOENT);
    spawn_init(&s, "/etc/passwd", argv);
    CHECK(spawn_start(&s) == -1);
    CHECK(s.failed == SPAWN_EXEC);
    CHECK(s.error == EACCES);
    spawn_init(&s, "no-such-program-for-spawn-test", argv);
    s.search_path = 1;
    CHECK(spawn_start(&s) == -1);
    CHECK(s.failed == SPAWN_EXEC);
    CHECK(s.error == ENOENT);
    CHECK(no_children_left());
  }

  /* a bad descriptor */
  spawn_init(&s, 0, 0);
  s.fd[0] = 1000;
  CHECK(run_sh(&s, "true", out, sizeof out) == -1);
  CHECK(s.failed == SPAWN_FD);
  CHECK(s.error == EBADF);

  /* ids: as root, drop to nobody's ids with no other group; uid 0 is
   * refused after the fact */
  if (geteuid() == 0) {
    spawn_init(&s, 0, 0);
    s.set_ids = 1;
    s.uid = 65534;
    s.gid = 65533;
    CHECK(run_sh(&s, "id -u; id -g; id -G", out, sizeof out) == 0);
    CHECK_STR(out, "65534\n65533\n65533\n");
    spawn_init(&s, 0, 0);
    s.set_ids = 1;
    s.uid = 0;
    s.gid = 0;
    CHECK(run_sh(&s, "echo ran", out, sizeof out) == -1);
    CHECK(s.failed == SPAWN_ROOT);
    CHECK_STR(out, "");
  }

  /* signals: the mask is inherited; an ignored SIGPIPE stays ignored
   * unless sigpipe_default; the parent's mask is back afterwards */
  {
    sigset_t m, now;
    struct sigaction sa;
    /* grep reads its own status: a shell would reset the mask */
    char *grep[] = { (char *)"/bin/grep", (char *)"-E", (char *)"^Sig(Blk|Ign)",
                     (char *)"/proc/self/status", 0 };
    unsigned long long blk, ign;
    char *p;
    /* handlers come from sig.h, which knows which signals it caught */
    sig_catch(SIGUSR1, on_usr1);
    sig_ignore(SIGPIPE);
    CHECK(sig_caught(SIGUSR1) && !sig_caught(SIGPIPE) && !sig_caught(SIGUSR2));
    sigemptyset(&m);
    sigaddset(&m, SIGUSR2);
    sigprocmask(SIG_BLOCK, &m, 0);

    spawn_init(&s, 0, 0);
    CHECK(run(&s, grep, out, sizeof out) == 0);
    p = strstr(out, "SigBlk:");
    blk = p ? strtoull(p + 7, 0, 16) : 0;
    p = strstr(out, "SigIgn:");
    ign = p ? strtoull(p + 7, 0, 16) : 0;
    CHECK(blk & (1ULL << (SIGUSR2 - 1)));
    CHECK(ign & (1ULL << (SIGPIPE - 1)));
    CHECK(!(ign & (1ULL << (SIGUSR1 - 1))));

    spawn_init(&s, 0, 0);
    s.sigpipe_default = 1;
    CHECK(run(&s, grep, out, sizeof out) == 0);
    p = strstr(out, "SigIgn:");
    ign = p ? strtoull(p + 7, 0, 16) : 1;
    CHECK(!(ign & (1ULL << (SIGPIPE - 1))));

    sigprocmask(SIG_SETMASK, 0, &now);
    CHECK(sigismember(&now, SIGUSR2));
    CHECK(!sigismember(&now, SIGUSR1));
    CHECK(!sigismember(&now, SIGCHLD));
    sigaction(SIGUSR1, 0, &sa);
    CHECK(sa.sa_handler == on_usr1);
    signal(SIGPIPE, SIG_IGN);
    sig_default(SIGUSR1);
    CHECK(!sig_caught(SIGUSR1));
  }

  return check_report();
}
