/* qmail-popup: read a POP3 login name and password from the network and
 * hand them to a checkpassword-style subprogram (qmail-popup(8)).
 * Usage: qmail-popup hostname subprogram [args...], normally under
 * tcpserver as root, with the client on fd 0 (input) and fd 1 (replies).
 * Untrusted input: every byte the client sends. Command lines are capped
 * at POP3CMD_LINE_MAX bytes and read one byte at a time, so nothing the
 * client sends after PASS or APOP is taken from the subprogram; every
 * read and write waits at most 20 minutes.
 * Touches: no files. Runs subprogram with fds 0 and 1 the network, fd 2 a
 * copy of fd 1 (as in qmail-1.03) and fd 3 a pipe carrying the name, the
 * password and the APOP timestamp, each ending in a NUL byte. */
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "fd.h"
#include "io.h"
#include "netio.h"
#include "num.h"
#include "pop3cmd.h"
#include "sig.h"
#include "wait.h"


static char outspace[1024];
static char inspace[1]; /* one byte at a time: see the header comment */
static iobuf in, out;

/* qmail-popup ends with status 1 whatever the reason, as qmail-1.03. */
static void die(void) __attribute__((noreturn));
static void die(void) { _exit(1); }

/* A failed or timed-out write ends the session silently. */
static void flush(void)
{
  if (io_flush(&out) == -1) die();
}

static void put(const char *s)
{
  if (io_puts(&out, s) == -1) die();
}

/* Read op: replies go out before we wait for more input. */
static ssize_t net_read(int fd, void *buf, size_t len)
{
  flush();
  if (netio_wait(fd, POLLIN) == -1) return -1;
  return io_read(fd, buf, len);
}

static void err(const char *s)
{
  put("-ERR ");
  put(s);
  put("\r\n");
  flush();
}

static void die_err(const char *s) __attribute__((noreturn));
static void die_err(const char *s)
{
  err(s);
  die();
}

static void okay(void) { put("+OK \r\n"); }

/* ---- The login ---- */

static const char *hostname;
static char **child_argv;
/* "PID.TIME@": the greeting's timestamp is "<" unique hostname ">". */
static char unique[NUM_ULL_DIGITS * 2 + 3];
static char username[POP3CMD_LINE_MAX + 1];
static size_t username_len; /* with its NUL */
static int seenuser;

static void greet(void)
{
  size_t n = num_fmt(unique, (unsigned long long)getpid());
  unique[n++] = '.';
  n += num_fmt(unique + n, (unsigned long long)time(0));
  unique[n++] = '@';
  unique[n] = 0;
  put("+OK <");
  put(unique);
  put(hostname);
  put(">\r\n");
  flush();
}

/* Write the login to the subprogram on fd 3, wait for it, and end the
 * session: the subprogram (qmail-pop3d, after checkpassword) did the
 * talking if the login was good. name has namelen bytes including its
 * NUL; pass is a C string inside the command line c, wiped afterwards. */
static void doanddie(const char *name, size_t namelen, const char *pass, struct pop3cmd *c)
{
  char upspace[128];
  iobuf up;
  int pi[2];
  int status;
  pid_t pid;

  if (fd_copy(2, 1) == -1) die_err("unable to open pipe");
  close(3);
  if (pipe(pi) == -1) die_err("unable to open pipe");
  if (pi[0] != 3) die_err("unable to open pipe");
  if (fd_cloexec(pi[1], 1) == -1) die_err("unable to open pipe");
  flush();
  pid = fork();
  if (pid == -1) die_err("unable to fork");
  if (pid == 0) {
    sig_default(SIGPIPE);
    execvp(child_argv[0], child_argv);
    _exit(1);
  }
  close(pi[0]);
  io_init(&up, io_write, pi[1], upspace, sizeof upspace);
  if (io_put(&up, name, namelen) == -1 || io_put(&up, pass, strlen(pass) + 1) == -1 ||
      io_puts(&up, "<") == -1 || io_puts(&up, unique) == -1 || io_puts(&up, hostname) == -1 ||
      io_put(&up, ">", 2) == -1 || io_flush(&up) == -1)
    die_err("unable to write pipe");
  close(pi[1]);
  pop3cmd_wipe(c);
  explicit_bzero(upspace, sizeof upspace);
  if (wait_pid(pid, &status) == -1) die();
  if (wait_crashed(status)) die_err("aack, child crashed");
  if (wait_exitcode(status)) die_err("authorization failed");
  die();
}

static void user(const char *arg)
{
  size_t n = strlen(arg);
  if (!n) {
    err("syntax error");
    return;
  }
  okay();
  seenuser = 1;
  memcpy(username, arg, n + 1); /* arg fits: it came from a command line */
  username_len = n + 1;
}

static void pass(const char *arg, struct pop3cmd *c)
{
  if (!seenuser) {
    err("USER first");
    return;
  }
  if (!*arg) {
    err("syntax error");
    return;
  }
  doanddie(username, username_len, arg, c);
}

static void apop(char *arg, struct pop3cmd *c)
{
  char *name, *digest;
  if (!pop3cmd_apop(arg, &name, &digest)) {
    err("syntax error");
    return;
  }
  doanddie(name, strlen(name) + 1, digest, c);
}

int main(int argc, char **argv)
{
  static struct pop3cmd c;

  sig_ignore(SIGPIPE);
  io_init(&out, netio_write, 1, outspace, sizeof outspace);
  io_init(&in, net_read, 0, inspace, sizeof inspace);
  if (argc < 3) die_err("usage: popup hostname subprogram");
  hostname = argv[1];
  child_argv = argv + 2;

  greet();
  pop3cmd_init(&c);
  for (;;) {
    size_t used;
    char *arg;
    ssize_t r = io_feed(&in);
    if (r <= 0) die();
    if (pop3cmd_feed(&c, io_peek(&in), (size_t)r, &used) == POP3CMD_MORE) {
      io_skip(&in, used);
      continue;
    }
    io_skip(&in, used);
    enum pop3cmd_verb v = pop3cmd_verb(&c, &arg);
    if (pop3cmd_overlong(&c)) {
      err("syntax error");
      continue;
    }
    switch (v) {
    case POP3CMD_USER: user(arg); break;
    case POP3CMD_PASS: pass(arg, &c); break;
    case POP3CMD_APOP: apop(arg, &c); break;
    case POP3CMD_QUIT: okay(); flush(); die();
    case POP3CMD_NOOP: okay(); break;
    default: err("authorization first"); break;
    }
  }
}
