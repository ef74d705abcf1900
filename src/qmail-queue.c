/* qmail-queue: put one message into the queue (qmail-queue(8)).
 * Runs setuid qmailq, invoked by any local user, qmail-smtpd (qmaild),
 * qmail-local (forwarding) and qmail-send (bounces). Trusts nothing it
 * reads: the message on fd 0 is copied byte for byte, the envelope on fd 1
 * is checked record by record (bounded: an address of ADDR_MAX bytes or
 * more fails). Touches only QMAILHOME/queue: pid/, mess/, intd/, todo/ and
 * the lock/trigger fifo.
 * Exit codes are the interface (0 queued; 11-40 permanent; others
 * temporary), see the table in qmail-queue(8). */
#include <errno.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "auto.h"
#include "date822.h"
#include "extra.h"
#include "fd.h"
#include "io.h"
#include "open.h"
#include "sig.h"
#include "str.h"

#define ADDR_MAX 1003       /* an address this long or longer: exit 11 */
#define PID_ATTEMPTS 5      /* tries at a fresh pid/ name */
#define RUN_LIMIT 86400     /* seconds before the whole run gives up */

/* What we have created, so a failure can remove it again. */
static str pidfn = STR_INIT, messfn = STR_INIT, messdir = STR_INIT, intdfn = STR_INIT, todofn = STR_INIT;
static int made_pid, made_mess, made_intd;

static void cleanup(void)
{
  if (made_intd) unlink(intdfn.s);
  if (made_mess) unlink(messfn.s);
  if (made_pid) unlink(pidfn.s);
}

static void die(int code)
{
  cleanup();
  _exit(code);
}

static void on_alarm(int sig)
{
  (void)sig;
  _exit(52); /* leave the files: qmail-send and qmail-clean collect them */
}

static void on_bug(int sig)
{
  (void)sig;
  _exit(81);
}

static void need(int ok)
{
  if (!ok) die(51);
}

static char inspace[65536];
static char outspace[65536];

/* Build "dir/N" (or "dir/S/N" when split) into fn. */
static void queue_name(str *fn, const char *dir, unsigned long long inode, int split)
{
  fn->len = 0;
  need(str_cats(fn, dir) && str_putc(fn, '/'));
  if (split) need(str_catnum(fn, inode % auto_split) && str_putc(fn, '/'));
  need(str_catnum(fn, inode));
}

/* Read one envelope byte; EOF or error is a read failure. */
static char env_byte(iobuf *env)
{
  char c;
  if (io_get(env, &c, 1) != 1) die(54);
  return c;
}

/* Copy an address (already after its F/T byte) through its NUL. */
static void copy_address(iobuf *env, iobuf *out)
{
  size_t len = 0;
  for (;;) {
    char *p, *nul;
    size_t take;
    if (io_feed(env) <= 0) die(54);
    p = io_peek(env);
    nul = memchr(p, 0, env->n);
    take = nul ? (size_t)(nul - p) + 1 : env->n;
    len += nul ? take - 1 : take;
    if (len >= ADDR_MAX) die(11);
    if (io_put(out, p, take) == -1) die(53);
    io_skip(env, take);
    if (nul) return;
  }
}

static const char *invoker(uid_t uid, str *num)
{
  if (uid == auto_uida) return "by alias";
  if (uid == auto_uidd) return "from network";
  if (uid == auto_uids) return "for bounce";
  need(str_copys(num, "by uid ") && str_catnum(num, uid));
  return num->s;
}

int main(void)
{
  iobuf in, out, env;
  str line = STR_INIT, who = STR_INIT;
  struct stat st;
  unsigned long long inode;
  time_t started;
  pid_t pid = getpid();
  uid_t uid = getuid();
  int fd, r;

  sig_ignore(SIGPIPE);
  sig_catch(SIGALRM, on_alarm);
  sig_catch(SIGSEGV, on_bug);
  sig_catch(SIGBUS, on_bug);
  sig_catch(SIGILL, on_bug);
  sig_catch(SIGFPE, on_bug);
  alarm(RUN_LIMIT);
  umask(033);
  if (chdir(auto_qmail) == -1) die(61);
  if (chdir("queue") == -1) die(62);

  started = time(0);
  for (unsigned int attempt = 0;; ++attempt) {
    pidfn.len = 0;
    need(str_cats(&pidfn, "pid/") && str_catnum(&pidfn, (unsigned long long)pid) &&
         str_putc(&pidfn, '.') && str_catnum(&pidfn, (unsigned long long)started) &&
         str_putc(&pidfn, '.') && str_catnum(&pidfn, attempt));
    fd = open_excl(pidfn.s);
    if (fd != -1) break;
    if (errno != EEXIST || attempt + 1 >= PID_ATTEMPTS) die(63);
  }
  made_pid = 1;
  if (fstat(fd, &st) == -1) die(63);
  inode = (unsigned long long)st.st_ino;
  queue_name(&messfn, "mess", inode, 1);
  queue_name(&intdfn, "intd", inode, 0);
  queue_name(&todofn, "todo", inode, 0);
  need(str_copy(&messdir, messfn.s, (size_t)(strrchr(messfn.s, '/') - messfn.s)));

  if (link(pidfn.s, messfn.s) == -1) die(64);
  made_mess = 1;
  if (unlink(pidfn.s) == -1) die(63);
  made_pid = 0;

  /* The message: our Received line, then fd 0 unchanged. */
  io_init(&out, io_write, fd, outspace, sizeof outspace);
  need(str_copys(&line, "Received: (qmail ") && str_catnum(&line, (unsigned long long)pid) &&
       str_cats(&line, " invoked ") && str_cats(&line, invoker(uid, &who)) &&
       str_cats(&line, "); ") && date822_cat(&line, time(0)) && str_putc(&line, '\n'));
  if (io_putstr(&out, &line) == -1) die(53);
  io_init(&in, io_read, 0, inspace, sizeof inspace);
  r = io_copy(&out, &in);
  if (r == IO_COPY_RERR) die(54);
  if (r == IO_COPY_WERR || io_flush(&out) == -1) die(53);
  if (fsync(fd) == -1 || close(fd) == -1) die(53);
  /* The mess/ link must be on disk before todo/ can name the message. */
  if (fd_syncdir(messdir.s) == -1) die(64);

  /* The envelope, checked and copied into intd/N as it is read. */
  fd = open_excl(intdfn.s);
  if (fd == -1) die(65);
  made_intd = 1;
  io_init(&out, io_write, fd, outspace, sizeof outspace);
  line.len = 0;
  need(str_putc(&line, 'u') && str_catnum(&line, (unsigned long long)uid) && str_putc(&line, 0) &&
       str_putc(&line, 'p') && str_catnum(&line, (unsigned long long)pid) && str_putc(&line, 0));
  if (io_putstr(&out, &line) == -1) die(53);

  io_init(&env, io_read, 1, inspace, sizeof inspace);
  if (env_byte(&env) != 'F') die(91);
  if (io_put(&out, "F", 1) == -1) die(53);
  copy_address(&env, &out);
  if (io_put(&out, QUEUE_EXTRA, QUEUE_EXTRALEN) == -1) die(53);
  for (;;) {
    char c = env_byte(&env);
    if (c == 0) break;
    if (c != 'T') die(91);
    if (io_put(&out, "T", 1) == -1) die(53);
    copy_address(&env, &out);
  }
  if (io_flush(&out) == -1 || fsync(fd) == -1 || close(fd) == -1) die(53);

  /* The commit point: once todo/N exists qmail-send will deliver it. */
  if (link(intdfn.s, todofn.s) == -1) die(66);
  /* Durable before we report success; if this fails the message may or
   * may not survive a crash, so report a temporary failure (the caller
   * retries: a possible duplicate, never a loss) and keep the files. */
  if (fd_syncdir("todo") == -1) _exit(66);

  fd = open("lock/trigger", O_WRONLY | O_NONBLOCK);
  if (fd != -1) {
    io_write(fd, "", 1);
    close(fd);
  }
  return 0;
}
