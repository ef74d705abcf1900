/* test_misc.c: unit tests for err.c, fd.c, open.c, lock.c, sig.c and wait.c. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"
#include "err.h"
#include "fd.h"
#include "lock.h"
#include "open.h"
#include "sig.h"
#include "wait.h"

static char tmpdir[] = "/tmp/qtest_misc.XXXXXX";

/* Read everything from fd into buf (NUL-terminated); return the length. */
static size_t slurp(int fd, char *buf, size_t size)
{
  size_t n = 0;
  ssize_t r;
  while (n + 1 < size && (r = read(fd, buf + n, size - 1 - n)) > 0) n += (size_t)r;
  buf[n] = 0;
  return n;
}

static int is_open(int fd) { return fcntl(fd, F_GETFD) != -1; }

/* ---------------- err ---------------- */

static void test_err(void)
{
  CHECK(err_temp(EAGAIN) == 1);
  CHECK(err_temp(ENOMEM) == 1);
  CHECK(err_temp(EINTR) == 1);
  CHECK(err_temp(EIO) == 1);
  CHECK(err_temp(ETIMEDOUT) == 1);
  CHECK(err_temp(ENOSPC) == 1);
  CHECK(err_temp(ECONNREFUSED) == 1);
  CHECK(err_temp(ENOENT) == 0);
  CHECK(err_temp(EACCES) == 0);
  CHECK(err_temp(EPERM) == 0);
  CHECK(err_temp(EINVAL) == 0);
  CHECK(err_temp(0) == 0);
  CHECK_STR(err_str(ENOENT), "file does not exist");
  CHECK_STR(err_str(EACCES), "access denied");
  CHECK_STR(err_str(ENOSPC), "out of disk space");
  CHECK_STR(err_str(EOVERFLOW), strerror(EOVERFLOW));
}

/* Run one of the err_* functions in a child; capture its stderr and exit. */
static int run_err(int which, char *out, size_t size, int *code)
{
  int p[2], status;
  pid_t pid;
  if (pipe(p) == -1) return -1;
  pid = fork();
  if (pid == -1) return -1;
  if (pid == 0) {
    close(p[0]);
    if (dup2(p[1], 2) == -1) _exit(99);
    close(p[1]);
    switch (which) {
    case 0: err_die(111, "qmail-x: ", "fatal: ", "gone", (char *)0);
    case 1:
      errno = ENOENT;
      err_die_sys(100, "qmail-x: ", "unable to open ", "control/me", (char *)0);
    case 2:
      errno = EACCES;
      err_warn("warning: ", "one", (char *)0);
      _exit(errno == EACCES ? 7 : 8); /* err_warn keeps errno */
    default: err_die(5, "", (char *)0);
    }
  }
  close(p[1]);
  slurp(p[0], out, size);
  close(p[0]);
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
  *code = WEXITSTATUS(status);
  return 0;
}

static void test_err_die(void)
{
  char out[256], want[256];
  int code = -1;

  CHECK(run_err(0, out, sizeof out, &code) == 0);
  CHECK(code == 111);
  CHECK_STR(out, "qmail-x: fatal: gone\n");

  CHECK(run_err(1, out, sizeof out, &code) == 0);
  CHECK(code == 100);
  strcpy(want, "qmail-x: unable to open control/me: ");
  strcat(want, "file does not exist");
  strcat(want, "\n");
  CHECK_STR(out, want);

  CHECK(run_err(2, out, sizeof out, &code) == 0);
  CHECK(code == 7);
  CHECK_STR(out, "warning: one\n");

  CHECK(run_err(3, out, sizeof out, &code) == 0);
  CHECK(code == 5);
  CHECK_STR(out, "\n");
}

/* ---------------- fd ---------------- */

static void test_fd(void)
{
  int p[2], q[2], nul;
  char buf[64];

  CHECK(pipe(p) == 0);

  /* fd_copy: both stay open and refer to the same pipe */
  CHECK(!is_open(100));
  CHECK(fd_copy(100, p[1]) == 0);
  CHECK(is_open(100));
  CHECK(is_open(p[1]));
  CHECK(write(100, "ab", 2) == 2);
  CHECK(write(p[1], "c", 1) == 1);
  CHECK(read(p[0], buf, sizeof buf) == 3 && !memcmp(buf, "abc", 3));

  /* fd_copy over an open descriptor replaces it */
  nul = open("/dev/null", O_WRONLY);
  CHECK(nul != -1);
  CHECK(fd_copy(nul, p[1]) == 0);
  CHECK(write(nul, "d", 1) == 1);
  CHECK(read(p[0], buf, sizeof buf) == 1 && buf[0] == 'd');
  close(nul);

  /* copying onto itself is a no-op */
  CHECK(fd_copy(p[1], p[1]) == 0);
  CHECK(is_open(p[1]));

  /* fd_move: the old number is closed */
  CHECK(fd_move(101, p[1]) == 0);
  CHECK(is_open(101));
  CHECK(!is_open(p[1]));
  CHECK(write(101, "e", 1) == 1);
  CHECK(read(p[0], buf, sizeof buf) == 1 && buf[0] == 'e');
  CHECK(fd_move(101, 101) == 0);
  CHECK(is_open(101));

  /* bad source: -1 EBADF, and the target is left alone */
  close(102);
  errno = 0;
  CHECK(fd_copy(100, 102) == -1);
  CHECK(errno == EBADF);
  CHECK(is_open(100));
  errno = 0;
  CHECK(fd_move(100, 102) == -1);
  CHECK(errno == EBADF);
  CHECK(is_open(100));

  /* all writers closed: reader sees EOF */
  close(100);
  close(101);
  CHECK(read(p[0], buf, sizeof buf) == 0);
  close(p[0]);

  /* fd_move onto 0 (as qq_open does for qmail-queue) */
  CHECK(pipe(q) == 0);
  {
    int saved0 = dup(0);
    CHECK(saved0 != -1);
    CHECK(fd_move(0, q[0]) == 0);
    CHECK(!is_open(q[0]));
    CHECK(write(q[1], "f", 1) == 1);
    CHECK(read(0, buf, 1) == 1 && buf[0] == 'f');
    CHECK(fd_move(0, saved0) == 0);
    close(q[1]);
  }

  /* fd_nonblock */
  CHECK(pipe(q) == 0);
  CHECK(fd_nonblock(q[0], 1) == 0);
  CHECK(fcntl(q[0], F_GETFL) & O_NONBLOCK);
  errno = 0;
  CHECK(read(q[0], buf, 1) == -1 && errno == EAGAIN);
  CHECK(fd_nonblock(q[0], 0) == 0);
  CHECK(!(fcntl(q[0], F_GETFL) & O_NONBLOCK));
  CHECK(fd_nonblock(-1, 1) == -1);

  /* fd_cloexec */
  CHECK(fd_cloexec(q[0], 1) == 0);
  CHECK(fcntl(q[0], F_GETFD) & FD_CLOEXEC);
  CHECK(fd_cloexec(q[0], 0) == 0);
  CHECK(!(fcntl(q[0], F_GETFD) & FD_CLOEXEC));
  CHECK(fd_cloexec(-1, 1) == -1);
  close(q[0]);
  close(q[1]);

  /* fd_syncdir */
  CHECK(fd_syncdir(tmpdir) == 0);
  CHECK(fd_syncdir(".") == 0);
  errno = 0;
  CHECK(fd_syncdir("/nonexistent-qtest-dir/x") == -1);
  CHECK(errno == ENOENT);
}

/* ---------------- open ---------------- */

static void test_open(void)
{
  struct stat st;
  char buf[64];
  int fd;

  umask(022);
  CHECK(chdir(tmpdir) == 0);

  errno = 0;
  CHECK(open_read("nosuch") == -1 && errno == ENOENT);
  errno = 0;
  CHECK(open_write("nosuch") == -1 && errno == ENOENT);

  /* open_excl creates 0644 and refuses an existing file */
  fd = open_excl("f");
  CHECK(fd != -1);
  CHECK(write(fd, "12345", 5) == 5);
  CHECK(fcntl(fd, F_GETFL) & O_WRONLY);
  close(fd);
  CHECK(stat("f", &st) == 0 && (st.st_mode & 07777) == 0644 && st.st_size == 5);
  errno = 0;
  CHECK(open_excl("f") == -1 && errno == EEXIST);

  /* open_append: 0600 when new, always writes at the end */
  fd = open_append("g");
  CHECK(fd != -1);
  CHECK(write(fd, "ab", 2) == 2);
  close(fd);
  CHECK(stat("g", &st) == 0 && (st.st_mode & 07777) == 0600);
  fd = open_append("g");
  CHECK(lseek(fd, 0, SEEK_SET) == 0);
  CHECK(write(fd, "cd", 2) == 2);
  close(fd);
  fd = open_read("g");
  CHECK(fd != -1);
  CHECK(slurp(fd, buf, sizeof buf) == 4 && !strcmp(buf, "abcd"));
  /* read-only */
  errno = 0;
  CHECK(write(fd, "x", 1) == -1 && errno == EBADF);
  close(fd);

  /* open_trunc: truncates an existing file, creates 0644 */
  fd = open_trunc("f");
  CHECK(fd != -1);
  CHECK(write(fd, "z", 1) == 1);
  close(fd);
  CHECK(stat("f", &st) == 0 && st.st_size == 1);
  fd = open_trunc("h");
  CHECK(fd != -1);
  close(fd);
  CHECK(stat("h", &st) == 0 && (st.st_mode & 07777) == 0644 && st.st_size == 0);

  /* open_write: existing file, no truncation, no creation */
  fd = open_write("f");
  CHECK(fd != -1);
  CHECK(write(fd, "y", 1) == 1);
  close(fd);
  fd = open_read("f");
  CHECK(slurp(fd, buf, sizeof buf) == 1 && !strcmp(buf, "y"));
  close(fd);

  unlink("f");
  unlink("g");
  unlink("h");
}

/* ---------------- lock ---------------- */

static void test_lock(void)
{
  int a, b, p[2];
  pid_t pid;
  char c;

  alarm(10); /* a lock_exnb that blocks kills the test instead of hanging it */
  CHECK(chdir(tmpdir) == 0);
  a = open_append("lockfile");
  b = open_append("lockfile"); /* a second open file description */
  CHECK(a != -1 && b != -1);

  CHECK(lock_exnb(a) == 0);
  CHECK(lock_exnb(a) == 0); /* same description: relocking is fine */
  errno = 0;
  CHECK(lock_exnb(b) == -1);
  CHECK(errno == EWOULDBLOCK);
  CHECK(lock_un(a) == 0);
  CHECK(lock_exnb(b) == 0);
  errno = 0;
  CHECK(lock_exnb(a) == -1 && errno == EWOULDBLOCK);

  /* lock_ex waits until the holder lets go */
  CHECK(pipe(p) == 0);
  pid = fork();
  if (pid == 0) {
    int fd = open_append("lockfile");
    close(p[0]);
    if (fd == -1 || lock_ex(fd) == -1) _exit(1);
    if (write(p[1], "L", 1) != 1) _exit(2);
    _exit(0);
  }
  close(p[1]);
  CHECK(pid > 0);
  usleep(200000);
  CHECK(fd_nonblock(p[0], 1) == 0);
  errno = 0;
  CHECK(read(p[0], &c, 1) == -1 && errno == EAGAIN); /* still waiting */
  CHECK(fd_nonblock(p[0], 0) == 0);
  CHECK(lock_un(b) == 0);
  CHECK(read(p[0], &c, 1) == 1 && c == 'L');
  {
    int status;
    CHECK(wait_pid(pid, &status) == pid && !wait_crashed(status) && wait_exitcode(status) == 0);
  }
  close(p[0]);

  errno = 0;
  CHECK(lock_exnb(-1) == -1 && errno == EBADF);
  close(a);
  close(b);
  unlink("lockfile");
  alarm(0);
}

/* ---------------- sig ---------------- */

static volatile sig_atomic_t usr1, alrm;
static void on_usr1(int s) { (void)s; usr1++; }
static void on_alrm(int s) { (void)s; alrm++; }

static void test_sig(void)
{
  int p[2];
  char c;

  sig_catch(SIGUSR1, on_usr1);
  usr1 = 0;
  raise(SIGUSR1);
  CHECK(usr1 == 1);

  /* blocked: held until unblocked */
  sig_block(SIGUSR1);
  raise(SIGUSR1);
  CHECK(usr1 == 1);
  sig_unblock(SIGUSR1);
  CHECK(usr1 == 2);

  /* sig_pause delivers a pending blocked signal */
  sig_block(SIGUSR1);
  raise(SIGUSR1);
  CHECK(usr1 == 2);
  sig_pause();
  CHECK(usr1 == 3);
  sig_unblock(SIGUSR1);

  /* sig_ignore */
  sig_ignore(SIGUSR1);
  raise(SIGUSR1);
  CHECK(usr1 == 3);
  sig_catch(SIGUSR1, on_usr1);

  /* no SA_RESTART: a blocking read returns EINTR. A child writes a byte
   * after a second, so a restarted read fails the test instead of hanging. */
  CHECK(pipe(p) == 0);
  {
    struct itimerval it;
    int status;
    pid_t pid = fork();
    if (pid == 0) {
      sleep(1);
      if (write(p[1], "r", 1) != 1) _exit(1);
      _exit(0);
    }
    sig_catch(SIGALRM, on_alrm);
    memset(&it, 0, sizeof it);
    it.it_value.tv_usec = 50000;
    setitimer(ITIMER_REAL, &it, 0);
    errno = 0;
    CHECK(read(p[0], &c, 1) == -1);
    CHECK(errno == EINTR);
    CHECK(alrm == 1);
    sig_default(SIGALRM);
    kill(pid, SIGKILL);
    CHECK(wait_pid(pid, &status) == pid);
  }

  /* SIGPIPE ignored: writing to a closed pipe gives EPIPE */
  sig_ignore(SIGPIPE);
  close(p[0]);
  errno = 0;
  CHECK(write(p[1], "x", 1) == -1 && errno == EPIPE);
  close(p[1]);

  /* sig_default: a child with default SIGTERM dies of it */
  {
    pid_t pid = fork();
    int status;
    if (pid == 0) {
      sig_catch(SIGTERM, on_usr1);
      sig_default(SIGTERM);
      raise(SIGTERM);
      _exit(0);
    }
    CHECK(wait_pid(pid, &status) == pid);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
  }
  sig_default(SIGUSR1);
  sig_default(SIGPIPE);
}

/* ---------------- wait ---------------- */

static void test_wait(void)
{
  pid_t pid, r;
  int status, p[2];
  char c;

  pid = fork();
  if (pid == 0) _exit(7);
  CHECK(pid > 0);
  status = -1;
  CHECK(wait_pid(pid, &status) == pid);
  CHECK(wait_crashed(status) == 0);
  CHECK(wait_exitcode(status) == 7);

  pid = fork();
  if (pid == 0) _exit(0);
  CHECK(wait_pid(pid, &status) == pid);
  CHECK(wait_crashed(status) == 0);
  CHECK(wait_exitcode(status) == 0);

  pid = fork();
  if (pid == 0) {
    for (;;) pause();
  }
  CHECK(pid > 0);
  CHECK(kill(pid, SIGKILL) == 0);
  CHECK(wait_pid(pid, &status) == pid);
  CHECK(wait_crashed(status) == 1);
  CHECK(wait_exitcode(status) == 0);

  /* a crash (SIGSEGV through raise) */
  pid = fork();
  if (pid == 0) {
    sig_default(SIGSEGV);
    raise(SIGSEGV);
    _exit(3);
  }
  CHECK(wait_pid(pid, &status) == pid);
  CHECK(wait_crashed(status) == 1);

  /* wait_nohang: 0 while the child runs, its pid when done, -1 with none */
  CHECK(pipe(p) == 0);
  pid = fork();
  if (pid == 0) {
    close(p[1]);
    if (read(p[0], &c, 1) != 1) _exit(1);
    _exit(42);
  }
  close(p[0]);
  CHECK(wait_nohang(&status) == 0);
  CHECK(write(p[1], "g", 1) == 1);
  close(p[1]);
  {
    int i;
    r = 0;
    for (i = 0; i < 500 && r == 0; ++i) {
      r = wait_nohang(&status);
      if (r == 0) usleep(10000);
    }
  }
  CHECK(r == pid);
  CHECK(!wait_crashed(status) && wait_exitcode(status) == 42);
  errno = 0;
  CHECK(wait_nohang(&status) == -1 && errno == ECHILD);
  errno = 0;
  CHECK(wait_pid(pid, &status) == -1 && errno == ECHILD);
}

int main(void)
{
  if (!mkdtemp(tmpdir)) {
    perror("mkdtemp");
    return 1;
  }
  RUN(test_err);
  RUN(test_err_die);
  RUN(test_fd);
  RUN(test_open);
  RUN(test_lock);
  RUN(test_sig);
  RUN(test_wait);
  if (chdir("/") == 0) rmdir(tmpdir);
  return check_report();
}
