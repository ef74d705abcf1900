/* qmail-lspawn: run local deliveries for qmail-send (qmail-lspawn(8)).
 * `qmail-lspawn defaultdelivery`, started by qmail-start as root in
 * QMAILHOME. Reads delivery requests from qmail-send on fd 0 and writes
 * results on fd 1 (the protocol is in doc/INTERNALS.md). Requests are
 * untrusted: every field is bounded and checked, the message file must be
 * a regular file owned by qmailq. For each recipient it finds the user in
 * users/cdb (qmail-users(5)) or by running qmail-getpw as qmailp, then
 * runs qmail-local as that user's uid and gid (never root), in the home
 * directory, with the message on fd 0; its output (at most 4000 bytes
 * kept) becomes the result text. Up to conf-spawn deliveries run at once.
 * Each is a small state machine driven by the main loop, which only polls
 * and never waits for one program: qmail-getpw (bounded output, killed
 * after 120 seconds), then qmail-local. At end of input it finishes the
 * running deliveries, reports them and exits. Touches: reads users/cdb
 * and queue/mess; runs bin/qmail-getpw and bin/qmail-local. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "auto.h"
#include "err.h"
#include "fd.h"
#include "io.h"
#include "num.h"
#include "open.h"
#include "sig.h"
#include "spawn.h"
#include "str.h"
#include "users.h"
#include "wait.h"

#define TEXT_MAX 4000          /* result text kept from qmail-local */
#define ADDR_MAX 65536         /* longest sender or recipient accepted */
#define MESSID_MAX 100         /* longest message number field accepted */
#define GETPW_TIMEOUT 120      /* seconds qmail-getpw may take */
#define GETPW_EXTRA 16384      /* qmail-getpw output beyond the local part */

static const char toolong_note[] = "\nError report too long, sorry.\n";

/* Why a delivery ended before qmail-local ran. The texts are
 * qmail-1.03's. */
enum {
  FAIL_CDB = 1, FAIL_NOMEM, FAIL_SYS, FAIL_NOALIAS, FAIL_ROOT, FAIL_BUG,
  FAIL_EXECHARD, FAIL_EXECSOFT, FAIL_EXECPW, FAIL_FORK, FAIL_COUNT
};
static const char *const fail_text[FAIL_COUNT] = {
  [FAIL_CDB] = "ZTrouble reading users/cdb in qmail-lspawn.\n",
  [FAIL_NOMEM] = "ZOut of memory in qmail-lspawn.\n",
  [FAIL_SYS] = "ZTemporary failure in qmail-lspawn.\n",
  [FAIL_NOALIAS] = "ZUnable to find alias user!\n",
  [FAIL_ROOT] = "ZNot allowed to perform deliveries as root.\n",
  [FAIL_BUG] = "ZInternal qmail-lspawn bug.\n",
  [FAIL_EXECHARD] = "DUnable to run qmail-local.\n",
  [FAIL_EXECSOFT] = "ZUnable to run qmail-local.\n",
  [FAIL_EXECPW] = "ZUnable to run qmail-getpw.\n",
  [FAIL_FORK] = "Zqmail-spawn unable to fork. (#4.3.0)\n",
};

enum { FREE = 0, GETPW, LOCAL };

struct slot {
  int stage;     /* FREE, or which program runs: GETPW, then LOCAL */
  pid_t pid;
  int out;       /* read end of the program's output; -1 after end of file */
  int exited;
  int wstat;
  int failed;    /* GETPW: a FAIL_ code decided while it ran */
  time_t deadline; /* GETPW: killed if still running then */
  int msgfd;     /* the message, until qmail-local has it */
  int over;      /* LOCAL: more output came than TEXT_MAX */
  str text;      /* LOCAL: room for TEXT_MAX bytes is reserved */
  str nughde;    /* the user's fields, from users/cdb or qmail-getpw */
  str rcpt;      /* local part, NUL, domain, NUL */
  str sender;
};

static struct slot *slots;
static struct pollfd *pfd;
static size_t *pfd_slot;
static const char *aliasempty;
static str path_local = STR_INIT, path_getpw = STR_INIT;
static int selfpipe[2];
static int devnull; /* qmail-getpw's fd 0: it must not see our requests */

static char outspace[8192];
static iobuf out;
static int writing = 1; /* qmail-send still takes results */

static void on_child(int sig)
{
  int saved = errno;
  (void)sig;
  (void)!write(selfpipe[1], "", 1);
  errno = saved;
}

/* ---- results ---- */

/* One result: the slot's two bytes, the letter, text, a NUL. A broken
 * pipe to qmail-send stops results, not deliveries. */
static void result(unsigned slot, char letter, const char *text, size_t len)
{
  char head[3];
  if (!writing) return;
  head[0] = (char)(slot >> 8);
  head[1] = (char)slot;
  head[2] = letter;
  if (io_put(&out, head, 3) == -1 || io_put(&out, text, len) == -1 ||
      io_put(&out, "", 1) == -1 || io_flush(&out) == -1)
    writing = 0;
}

/* s is the letter followed by the text. */
static void result_s(unsigned slot, const char *s) { result(slot, s[0], s + 1, strlen(s + 1)); }

/* ---- starting the programs ---- */

/* The delivery in slot ends before qmail-local ran. */
static void give_up(unsigned slot, int code)
{
  struct slot *d = &slots[slot];
  result_s(slot, fail_text[code]);
  if (d->msgfd != -1) close(d->msgfd);
  d->msgfd = -1;
  d->stage = FREE;
}

/* Look local up in users/cdb: 1 found (fields in nughde), 0 not listed,
 * else -FAIL_ code. */
static int lookup_cdb(const char *local, size_t len, str *nughde)
{
  int r = users_cdb_lookup("users/cdb", local, len, nughde);
  if (r == -1) return errno == ENOMEM ? -FAIL_NOMEM : -FAIL_CDB;
  return r;
}

/* Run qmail-getpw local as qmailp; its output is read by the main loop. */
static void start_getpw(unsigned slot)
{
  struct slot *d = &slots[slot];
  char *args[] = { (char *)"qmail-getpw", d->rcpt.s, 0 };
  struct spawn sp;
  int pi[2];

  if (pipe(pi) == -1) {
    give_up(slot, FAIL_SYS);
    return;
  }
  fd_cloexec(pi[0], 1);
  fd_nonblock(pi[0], 1);
  spawn_init(&sp, path_getpw.s, args);
  sp.fd[0] = devnull;
  sp.fd[1] = pi[1];
  sp.set_ids = 1;
  sp.uid = auto_uidp;
  sp.gid = auto_gidn;
  sp.sigpipe_default = 1;
  d->pid = spawn_start(&sp);
  close(pi[1]);
  if (d->pid == -1) {
    close(pi[0]);
    give_up(slot, sp.failed == SPAWN_EXEC ? FAIL_EXECPW
                : sp.failed == SPAWN_IDS || sp.failed == SPAWN_ROOT ? FAIL_BUG : FAIL_SYS);
    return;
  }
  d->stage = GETPW;
  d->out = pi[0];
  d->exited = 0;
  d->failed = 0;
  d->nughde.len = 0;
  d->deadline = time(0) + GETPW_TIMEOUT;
}

/* The user is known (nughde): run qmail-local as that user. */
static void start_local(unsigned slot, int listed)
{
  struct slot *d = &slots[slot];
  struct users_entry e;
  const char *args[11];
  struct spawn sp;
  size_t at = strlen(d->rcpt.s);
  int po[2];

  if (!users_fields(d->nughde.s, d->nughde.len, &e)) {
    give_up(slot, listed ? FAIL_CDB : FAIL_BUG);
    return;
  }
  if (e.uid == 0) {
    give_up(slot, FAIL_ROOT);
    return;
  }
  if (pipe(po) == -1) {
    give_up(slot, FAIL_SYS);
    return;
  }
  fd_cloexec(po[0], 1);
  fd_nonblock(po[0], 1);
  args[0] = "qmail-local";
  args[1] = "--";
  args[2] = e.user;
  args[3] = e.home;
  args[4] = d->rcpt.s;
  args[5] = e.dash;
  args[6] = e.ext;
  args[7] = d->rcpt.s + at + 1;
  args[8] = d->sender.s;
  args[9] = aliasempty;
  args[10] = 0;
  spawn_init(&sp, path_local.s, (char *const *)args);
  sp.fd[0] = d->msgfd;
  sp.fd[1] = po[1];
  sp.fd[2] = po[1];
  sp.set_ids = 1;
  sp.uid = e.uid;
  sp.gid = e.gid;
  /* A home directory it cannot enter leaves qmail-local in QMAILHOME:
   * it changes to the home directory itself and reports why it cannot. */
  sp.dir = e.home;
  sp.dir_optional = 1;
  sp.sigpipe_default = 1;
  d->pid = spawn_start(&sp);
  close(po[1]);
  if (d->pid == -1) {
    close(po[0]);
    give_up(slot, sp.failed == SPAWN_EXEC ? (err_temp(sp.error) ? FAIL_EXECSOFT : FAIL_EXECHARD)
                : sp.failed == SPAWN_FORK ? FAIL_FORK
                : sp.failed == SPAWN_ROOT ? FAIL_ROOT
                : sp.failed == SPAWN_IDS ? FAIL_BUG : FAIL_SYS);
    return;
  }
  close(d->msgfd);
  d->msgfd = -1;
  d->stage = LOCAL;
  d->out = po[0];
  d->exited = 0;
  d->over = 0;
  d->text.len = 0;
}

/* ---- requests ---- */

static struct {
  int stage;        /* 0, 1: slot bytes; 2 messid; 3 sender; 4 recipients */
  unsigned slot;
  str messid, sender, rcpt;
  size_t rcptlen;   /* bytes of the recipient being read */
  size_t nrcpt;     /* recipients ended so far */
  int toolong;      /* messid or an address went over its bound */
  int nomem;
} req;

static void add_bounded(str *sa, char c, size_t max)
{
  if (sa->len >= max) {
    req.toolong = 1;
    return;
  }
  if (!str_putc(sa, c)) req.nomem = 1;
}

/* Check the message number: 0 (result written) or 1 with *n set. */
static int messid_ok(unsigned slot, unsigned long long *n)
{
  for (size_t i = 0; i < req.messid.len; ++i)
    if (req.messid.s[i] < '0' || req.messid.s[i] > '9') {
      result_s(slot, "DInternal error: messid has nonnumerics. (#5.3.5)\n");
      return 0;
    }
  if (req.messid.len > NUM_ULL_DIGITS || (req.messid.len && !num_parse(req.messid.s, n))) {
    result_s(slot, "DInternal error: messid too long. (#5.3.5)\n");
    return 0;
  }
  if (!req.messid.len) {
    result_s(slot, "DInternal error: messid too short. (#5.3.5)\n");
    return 0;
  }
  return 1;
}

/* Open queue/mess/S/N as qmail-1.03 checks it; -1 after a result. */
static int open_message(unsigned slot, unsigned long long n)
{
  str fn = STR_INIT;
  struct stat sb;
  int fd;

  if (!str_cats(&fn, "queue/mess/") || !str_catnum(&fn, n % auto_split) ||
      !str_putc(&fn, '/') || !str_catnum(&fn, n)) {
    str_free(&fn);
    result_s(slot, "Zqmail-spawn out of memory. (#4.3.0)\n");
    return -1;
  }
  fd = open(fn.s, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  str_free(&fn);
  if (fd == -1) {
    result_s(slot, "Zqmail-spawn unable to open message. (#4.3.0)\n");
    return -1;
  }
  if (fstat(fd, &sb) == -1) {
    close(fd);
    result_s(slot, "Zqmail-spawn unable to fstat message. (#4.3.0)\n");
    return -1;
  }
  if (!S_ISREG(sb.st_mode)) {
    close(fd);
    result_s(slot, "ZSorry, message has wrong type. (#4.3.5)\n");
    return -1;
  }
  if (sb.st_uid != auto_uidq) {
    close(fd);
    result_s(slot, "ZSorry, message has wrong owner. (#4.3.5)\n");
    return -1;
  }
  if (fd_nonblock(fd, 0) == -1) {
    close(fd);
    result_s(slot, "Zqmail-spawn unable to open message. (#4.3.0)\n");
    return -1;
  }
  return fd;
}

static void start(void)
{
  unsigned slot = req.slot;
  struct slot *d;
  unsigned long long n = 0;
  size_t at;
  int msgfd, r;

  if (req.nomem) { result_s(slot, "Zqmail-spawn out of memory. (#4.3.0)\n"); return; }
  if (slot >= auto_spawn) { result_s(slot, "ZInternal error: delnum too big. (#4.3.5)\n"); return; }
  d = &slots[slot];
  if (d->stage != FREE) { result_s(slot, "ZInternal error: delnum in use. (#4.3.5)\n"); return; }
  if (!messid_ok(slot, &n)) return;
  if (req.nrcpt != 1) {
    result_s(slot, "ZInternal error: not exactly one recipient. (#4.3.5)\n");
    return;
  }
  if (req.toolong) { result_s(slot, "DInternal error: address too long. (#5.3.5)\n"); return; }
  for (at = req.rcpt.len; at > 0 && req.rcpt.s[at - 1] != '@'; --at) continue;
  if (at == 0) { result_s(slot, "DSorry, address must include host name. (#5.1.3)\n"); return; }
  --at; /* the last '@' */
  if ((!d->text.cap && !str_reserve(&d->text, TEXT_MAX)) ||
      !str_copy(&d->rcpt, req.rcpt.s, req.rcpt.len) ||
      !str_copy(&d->sender, req.sender.s, req.sender.len)) {
    result_s(slot, "Zqmail-spawn out of memory. (#4.3.0)\n");
    return;
  }
  d->rcpt.s[at] = 0; /* local part, then the domain after it */

  msgfd = open_message(slot, n);
  if (msgfd == -1) return;
  if (at == 0) { /* an empty mailbox name is a trash address */
    close(msgfd);
    result_s(slot, "K");
    return;
  }
  d->msgfd = msgfd;
  d->nughde.len = 0;
  r = lookup_cdb(d->rcpt.s, at, &d->nughde);
  if (r < 0) give_up(slot, -r);
  else if (r == 1) start_local(slot, 1);
  else start_getpw(slot);
}

/* Feed request bytes through the parser; each complete request starts. */
static void take(const char *buf, size_t len)
{
  for (size_t i = 0; i < len; ++i) {
    char c = buf[i];
    switch (req.stage) {
    case 0:
      req.slot = (unsigned)(unsigned char)c << 8;
      req.stage = 1;
      break;
    case 1:
      req.slot |= (unsigned char)c;
      req.rcptlen = req.nrcpt = 0;
      req.toolong = req.nomem = 0;
      /* Empty each string, terminating NUL included: an empty sender must
       * not show the previous request's. */
      if (!str_copy(&req.messid, "", 0) || !str_copy(&req.sender, "", 0) ||
          !str_copy(&req.rcpt, "", 0))
        req.nomem = 1;
      req.stage = 2;
      break;
    case 2:
      if (c) add_bounded(&req.messid, c, MESSID_MAX);
      else req.stage = 3;
      break;
    case 3:
      if (c) add_bounded(&req.sender, c, ADDR_MAX);
      else req.stage = 4;
      break;
    default:
      if (c) {
        if (req.nrcpt == 0) add_bounded(&req.rcpt, c, ADDR_MAX);
        ++req.rcptlen;
      } else if (req.rcptlen) {
        ++req.nrcpt;
        req.rcptlen = 0;
      } else {
        start();
        req.stage = 0;
      }
    }
  }
}

/* ---- the main loop ---- */

/* qmail-getpw has exited and its output is complete. */
static void getpw_done(unsigned slot)
{
  struct slot *d = &slots[slot];
  if (d->failed) give_up(slot, d->failed);
  else if (wait_crashed(d->wstat)) give_up(slot, FAIL_SYS);
  else if (wait_exitcode(d->wstat) == 100) give_up(slot, FAIL_NOALIAS);
  else if (wait_exitcode(d->wstat)) give_up(slot, FAIL_SYS);
  else start_local(slot, 0);
}

/* qmail-local has exited and its output is complete. */
static void local_done(unsigned slot)
{
  struct slot *d = &slots[slot];
  if (wait_crashed(d->wstat)) {
    result_s(slot, "Zqmail-local crashed.\n");
  } else {
    str *t = &d->text;
    char *nul;
    int ex = wait_exitcode(d->wstat);
    if (d->over) {
      str_truncate(t, TEXT_MAX - (sizeof toolong_note - 1));
      str_cats(t, toolong_note); /* fits: TEXT_MAX bytes are reserved */
    }
    nul = t->len ? memchr(t->s, 0, t->len) : 0;
    if (nul) str_truncate(t, (size_t)(nul - t->s));
    result(slot, ex == 0 ? 'K' : ex == 100 ? 'D' : 'Z', t->s, t->len);
  }
  d->stage = FREE;
}

/* Kill qmail-getpw; the delivery fails with code once it has exited. */
static void stop_getpw(struct slot *d, int code)
{
  if (d->failed) return;
  d->failed = code;
  kill(d->pid, SIGKILL);
}

/* qmail-getpw's output: at most the local part and GETPW_EXTRA bytes. */
static void read_getpw(struct slot *d)
{
  char buf[1024];
  ssize_t r = read(d->out, buf, sizeof buf);
  size_t max = strlen(d->rcpt.s) + GETPW_EXTRA;

  if (r == -1 && (errno == EINTR || errno == EAGAIN)) return;
  if (r <= 0) { /* end of output, or an error that ends it */
    if (r == -1) stop_getpw(d, FAIL_SYS);
    close(d->out);
    d->out = -1;
    return;
  }
  if (d->failed) return; /* killed already: drain what is left */
  if ((size_t)r > max - d->nughde.len) stop_getpw(d, FAIL_BUG);
  else if (!str_cat(&d->nughde, buf, (size_t)r)) stop_getpw(d, FAIL_NOMEM);
}

static void read_local(struct slot *d)
{
  char buf[4096];
  ssize_t r = read(d->out, buf, sizeof buf);
  size_t room;

  if (r == -1 && (errno == EINTR || errno == EAGAIN)) return;
  if (r <= 0) {
    close(d->out);
    d->out = -1;
    return;
  }
  room = TEXT_MAX - d->text.len;
  if ((size_t)r > room) {
    d->over = 1;
    r = (ssize_t)room;
  }
  str_cat(&d->text, buf, (size_t)r); /* within the reserved room */
}

static void reap(void)
{
  char buf[64];
  int wstat;
  pid_t pid;

  while (read(selfpipe[0], buf, sizeof buf) > 0) continue;
  while ((pid = wait_nohang(&wstat)) > 0)
    for (unsigned long i = 0; i < auto_spawn; ++i)
      if (slots[i].stage != FREE && !slots[i].exited && slots[i].pid == pid) {
        slots[i].exited = 1;
        slots[i].wstat = wstat;
        break;
      }
}

int main(int argc, char **argv)
{
  int reading = 1;

  /* Descriptors 0 to 2 must be taken, or pipes could land on them. */
  for (int fd = 0; fd <= 2; ++fd)
    if (fcntl(fd, F_GETFD) == -1 && open_read("/dev/null") != fd) _exit(111);
  if (argc < 2) err_die(100, "qmail-lspawn: usage: qmail-lspawn defaultdelivery", (const char *)0);
  aliasempty = argv[1];
  if (chdir(auto_qmail) == -1) err_die_sys(111, "qmail-lspawn: fatal: unable to chdir to ", auto_qmail, (const char *)0);
  if (!str_cats(&path_local, auto_qmail) || !str_cats(&path_local, "/bin/qmail-local") ||
      !str_cats(&path_getpw, auto_qmail) || !str_cats(&path_getpw, "/bin/qmail-getpw"))
    err_die(111, "qmail-lspawn: fatal: out of memory", (const char *)0);
  devnull = open_read("/dev/null");
  if (devnull == -1 || fd_cloexec(devnull, 1) == -1)
    err_die_sys(111, "qmail-lspawn: fatal: unable to open /dev/null", (const char *)0);
  slots = calloc(auto_spawn, sizeof *slots);
  pfd = calloc(auto_spawn + 2, sizeof *pfd);
  pfd_slot = calloc(auto_spawn + 2, sizeof *pfd_slot);
  if (!slots || !pfd || !pfd_slot) err_die(111, "qmail-lspawn: fatal: out of memory", (const char *)0);
  if (pipe(selfpipe) == -1 || fd_nonblock(selfpipe[0], 1) == -1 || fd_nonblock(selfpipe[1], 1) == -1 ||
      fd_cloexec(selfpipe[0], 1) == -1 || fd_cloexec(selfpipe[1], 1) == -1)
    err_die_sys(111, "qmail-lspawn: fatal: unable to create pipe", (const char *)0);
  /* Results are written whole; a non-blocking fd 1 would lose them. */
  fd_nonblock(1, 0);
  io_init(&out, io_write, 1, outspace, sizeof outspace);
  sig_ignore(SIGPIPE);
  sig_catch(SIGCHLD, on_child);

  for (;;) {
    size_t n = 0, running = 0;
    time_t now = time(0), next = 0;
    int r;

    for (unsigned long i = 0; i < auto_spawn; ++i) {
      struct slot *d = &slots[i];
      if (d->stage == FREE) continue;
      if (d->exited && d->out == -1) {
        if (d->stage == GETPW) getpw_done((unsigned)i);
        else local_done((unsigned)i);
        if (d->stage == FREE) continue;
      }
      ++running;
      if (d->stage == GETPW && !d->failed) {
        if (now >= d->deadline) stop_getpw(d, FAIL_SYS);
        else if (!next || d->deadline < next) {
          next = d->deadline;
        }
      }
      if (d->out != -1) {
        pfd[n].fd = d->out;
        pfd[n].events = POLLIN;
        pfd_slot[n++] = i;
      }
    }
    if (!reading && !running) break;
    pfd[n].fd = selfpipe[0];
    pfd[n++].events = POLLIN;
    if (reading) {
      pfd[n].fd = 0;
      pfd[n++].events = POLLIN;
    }

    r = poll(pfd, (nfds_t)n, next ? (int)(next - now) * 1000 : -1);
    if (r == -1) {
      if (errno == EINTR) continue;
      err_die_sys(111, "qmail-lspawn: fatal: poll failed", (const char *)0);
    }
    for (size_t k = 0; k < n; ++k) {
      if (!pfd[k].revents) continue;
      if (pfd[k].fd == selfpipe[0]) {
        reap();
      } else if (pfd[k].fd == 0) {
        char buf[1024];
        ssize_t got = read(0, buf, sizeof buf);
        if (got > 0) take(buf, (size_t)got);
        else if (got == 0 || (errno != EINTR && errno != EAGAIN)) reading = 0;
      } else {
        struct slot *d = &slots[pfd_slot[k]];
        if (d->stage == GETPW) read_getpw(d);
        else read_local(d);
      }
    }
  }
  return 0;
}
