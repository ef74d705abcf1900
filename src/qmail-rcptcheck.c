/* qmail-rcptcheck: would local delivery find a mailbox for an address?
 * (qmail-rcptcheck(8)).
 *   qmail-rcptcheck address
 * qmail-smtpd runs it for each RCPT when control/rcptcheck is set, so that
 * mail for a local address that delivery would bounce with "no mailbox
 * here by that name" is refused before it is accepted.
 * Runs setuid root, executable only by group nofiles (qmaild's group): the
 * answer depends on files in users' home directories that qmaild cannot
 * read. It answers the way delivery would, by running delivery's own
 * steps without delivering: qmail-send's rewriting (locals, percenthack,
 * virtualdomains, envnoathost), qmail-lspawn's choice of user (users/cdb,
 * else bin/qmail-getpw as qmailp), then `bin/qmail-local -n` as that user
 * in the home directory, which looks for the .qmail file and reads no
 * message. Every answer comes from the files as they are now.
 * Untrusted: the address (it comes from the network through qmail-smtpd)
 * and everything the caller sets up: the environment (cleared), the
 * working directory (QMAILHOME), signal dispositions and mask (reset),
 * soft resource limits (raised to the hard ones, as qmail-lspawn's
 * programs run). The caller learns only the exit code and a one-line
 * verdict on fd 1; qmail-local's report (which may name forwarding
 * addresses and programs) is never passed on unless it is a temporary
 * failure's reason. Touches: reads control/ and users/cdb; runs
 * qmail-getpw and qmail-local; writes nothing.
 * Exit 0: deliverable, or not a question for local delivery (a remote or
 * empty local part, or a permanent failure other than "no mailbox" that
 * delivery reports itself); 100: no mailbox by that name; 111: cannot
 * tell now (any temporary problem, or no answer within TIMEOUT seconds). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include "auto.h"
#include "control.h"
#include "err.h"
#include "io.h"
#include "open.h"
#include "rewrite.h"
#include "spawn.h"
#include "str.h"
#include "users.h"
#include "wait.h"

#define TIMEOUT 60          /* seconds for the whole answer */
#define ADDR_MAX 65536      /* qmail-lspawn's bound on a recipient */
#define GETPW_EXTRA 16384   /* qmail-getpw output beyond the local part */
#define LOCAL_TEXT_MAX 4000 /* qmail-local's report kept, as qmail-lspawn */

static const char nomailbox[] = "Sorry, no mailbox here by that name. (#5.1.1)";

static char outspace[1024];
static iobuf out;
static volatile pid_t child; /* the program running now, killed at the deadline */

/* The verdict: a line on fd 1, then the exit code. */
static void finish(int code, const char *word, const char *why, const char *more)
  __attribute__((noreturn));
static void finish(int code, const char *word, const char *why, const char *more)
{
  io_puts(&out, word);
  io_puts(&out, ": ");
  io_puts(&out, why);
  if (more) io_puts(&out, more);
  io_puts(&out, "\n");
  io_flush(&out);
  _exit(code);
}

static void deliverable(const char *why, const char *more) __attribute__((noreturn));
static void deliverable(const char *why, const char *more) { finish(0, "accept", why, more); }
static void cannot_tell(const char *why, const char *more) __attribute__((noreturn));
static void cannot_tell(const char *why, const char *more) { finish(111, "defer", why, more); }

static void nomem(void) __attribute__((noreturn));
static void nomem(void) { cannot_tell("out of memory", 0); }

static void deadline(int sig)
{
  static const char text[] = "defer: no answer in time\n";
  (void)sig;
  if (child > 0) kill(child, SIGKILL);
  (void)!write(1, text, sizeof text - 1);
  _exit(111);
}

/* Nothing of the caller's process state may steer a root program. */
static void take_over(void)
{
  static const int limits[] = { RLIMIT_AS, RLIMIT_DATA, RLIMIT_STACK, RLIMIT_NOFILE, RLIMIT_CPU };
  static char *empty_environ[] = { 0 };
  extern char **environ;
  sigset_t none;

  /* real ids too, so that the caller can no longer signal us */
  if (setgroups(0, 0) == -1 || setgid(0) == -1 || setuid(0) == -1)
    cannot_tell("not running as root (install qmail-rcptcheck setuid root)", 0);
  environ = empty_environ;
  for (int sig = 1; sig < NSIG; ++sig)
    if (sig != SIGKILL && sig != SIGSTOP) signal(sig, SIG_DFL);
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, 0);
  for (size_t i = 0; i < sizeof limits / sizeof *limits; ++i) {
    struct rlimit rl;
    if (getrlimit(limits[i], &rl) == 0 && rl.rlim_cur != rl.rlim_max) {
      rl.rlim_cur = rl.rlim_max;
      setrlimit(limits[i], &rl);
    }
  }
  signal(SIGALRM, deadline);
  alarm(TIMEOUT);
}

/* Run sp (fd 0 /dev/null; fd 1, and fd 2 if both, a pipe), keeping at
 * most max bytes of its output in text (*over set if more came). The
 * exit status, or -1 if it could not be started. */
static int run(struct spawn *sp, int both, str *text, size_t max, int *over)
{
  char buf[4096];
  int pi[2], devnull, wstat;
  ssize_t r;

  devnull = open_read("/dev/null");
  if (devnull == -1 || pipe(pi) == -1) cannot_tell("unable to make a pipe: ", err_str(errno));
  sp->fd[0] = devnull;
  sp->fd[1] = pi[1];
  if (both) sp->fd[2] = pi[1];
  sp->sigpipe_default = 1;
  child = spawn_start(sp);
  close(pi[1]);
  close(devnull);
  if (child == -1) {
    close(pi[0]);
    return -1;
  }
  text->len = 0;
  *over = 0;
  while ((r = read(pi[0], buf, sizeof buf)) != 0) {
    if (r == -1) {
      if (errno == EINTR) continue;
      cannot_tell("unable to read a program's output: ", err_str(errno));
    }
    if ((size_t)r > max - text->len) {
      *over = 1;
      r = (ssize_t)(max - text->len);
    }
    if (!str_cat(text, buf, (size_t)r)) nomem();
  }
  close(pi[0]);
  if (wait_pid(child, &wstat) == -1) cannot_tell("unable to wait for a program: ", err_str(errno));
  child = 0;
  return wstat;
}

/* users/cdb, as qmail-lspawn reads it: 1 listed (fields in nughde), 0 not. */
static int lookup_cdb(const char *local, size_t len, str *nughde)
{
  int r = users_cdb_lookup("users/cdb", local, len, nughde);
  if (r == -1) cannot_tell(errno == ENOMEM ? "out of memory" : "trouble reading users/cdb", 0);
  return r;
}

/* qmail-getpw local, as qmailp: the user's fields in nughde. */
static void getpw(const char *local, str *nughde)
{
  char *args[] = { (char *)"qmail-getpw", (char *)local, 0 };
  str path = STR_INIT;
  struct spawn sp;
  int wstat, over;

  if (!str_cats(&path, auto_qmail) || !str_cats(&path, "/bin/qmail-getpw")) nomem();
  spawn_init(&sp, path.s, args);
  sp.set_ids = 1;
  sp.uid = auto_uidp;
  sp.gid = auto_gidn;
  wstat = run(&sp, 0, nughde, strlen(local) + GETPW_EXTRA, &over);
  if (wstat == -1) cannot_tell("unable to run qmail-getpw: ", err_str(sp.error));
  if (wait_crashed(wstat)) cannot_tell("qmail-getpw crashed", 0);
  /* qmail-lspawn takes qmail-getpw's 100 (no alias user) as temporary */
  if (wait_exitcode(wstat) == 100) cannot_tell("unable to find alias user", 0);
  if (wait_exitcode(wstat)) cannot_tell("qmail-getpw failed", 0);
  if (over) cannot_tell("qmail-getpw said too much", 0);
}

/* qmail-local -n for local@domain as the user in e. */
static void ask_local(const struct users_entry *e, const char *local, const char *domain)
{
  const char *args[] = {
    "qmail-local", "-n", "--", e->user, e->home, local, e->dash, e->ext, domain, "", "#", 0
  };
  str path = STR_INIT, text = STR_INIT;
  struct spawn sp;
  int wstat, over;
  size_t nl;

  if (!str_cats(&path, auto_qmail) || !str_cats(&path, "/bin/qmail-local")) nomem();
  spawn_init(&sp, path.s, (char *const *)args);
  sp.set_ids = 1;
  sp.uid = e->uid;
  sp.gid = e->gid;
  sp.dir = e->home;
  sp.dir_optional = 1; /* qmail-local says itself why it cannot enter */
  wstat = run(&sp, 1, &text, LOCAL_TEXT_MAX, &over);
  if (wstat == -1) cannot_tell("unable to run qmail-local: ", err_str(sp.error));
  if (wait_crashed(wstat)) cannot_tell("qmail-local crashed", 0);
  for (nl = 0; nl < text.len && text.s[nl] != '\n' && text.s[nl]; ++nl) continue;
  str_truncate(&text, nl);
  switch (wait_exitcode(wstat)) {
  case 0:
    deliverable("mailbox of user ", e->user);
  case 100:
    if (str_equals(&text, nomailbox)) finish(100, "reject", nomailbox, 0);
    deliverable("delivery fails for another reason", 0);
  default:
    cannot_tell("qmail-local: ", text.s ? text.s : "");
  }
}

int main(int argc, char **argv)
{
  struct rewrite rw = REWRITE_INIT;
  str rcpt = STR_INIT, nughde = STR_INIT;
  struct users_entry e;
  size_t at;
  int listed;

  io_init(&out, io_write, 1, outspace, sizeof outspace);
  if (argc != 2) finish(111, "defer", "usage: qmail-rcptcheck address", 0);
  take_over();
  if (chdir(auto_qmail) == -1) cannot_tell("unable to switch to QMAILHOME: ", err_str(errno));
  if (strlen(argv[1]) > ADDR_MAX) deliverable("address too long for local delivery", 0);
  if (control_init() != 1 || !rewrite_read(&rw)) cannot_tell("unable to read controls", 0);

  switch (rewrite_recipient(&rw, argv[1], strlen(argv[1]), &rcpt)) {
  case REWRITE_LOCAL: break;
  case REWRITE_REMOTE: deliverable("not a local address", 0);
  default: nomem();
  }
  if (!str_putc(&rcpt, 0)) nomem();
  at = strlen(rcpt.s);
  while (at > 0 && rcpt.s[at - 1] != '@') --at;
  if (at == 0) deliverable("no host name: delivery reports it", 0);
  rcpt.s[--at] = 0; /* local part, then the domain */
  if (at == 0) deliverable("an empty local part is a trash address", 0);

  listed = lookup_cdb(rcpt.s, at, &nughde);
  if (!listed) getpw(rcpt.s, &nughde);
  if (!users_fields(nughde.s, nughde.len, &e))
    cannot_tell(listed ? "trouble reading users/cdb" : "qmail-getpw said nonsense", 0);
  if (e.uid == 0) cannot_tell("not allowed to perform deliveries as root", 0);
  ask_local(&e, rcpt.s, rcpt.s + at + 1);
  return 111; /* not reached: ask_local finishes */
}
