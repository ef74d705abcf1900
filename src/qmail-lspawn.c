/* qmail-lspawn: run local deliveries for qmail-send (qmail-lspawn(8)).
 * `qmail-lspawn defaultdelivery`, started by qmail-start as root in
 * QMAILHOME. Reads delivery requests from qmail-send on fd 0 and writes
 * results on fd 1 (the protocol is in doc/INTERNALS.md). Requests are
 * untrusted: every field is bounded and checked, the message file must be
 * a regular file owned by qmailq. For each recipient it finds the user in
 * users/cdb (qmail-users(5)) or by running qmail-getpw as qmailp, then, in
 * a child, drops to that user's uid and gid (never root), changes to the
 * home directory and runs qmail-local with the message on fd 0; the
 * output (at most 4000 bytes kept) becomes the result text. Up to
 * conf-spawn deliveries run at once; the main loop only polls and never
 * waits for one child. At end of input it finishes the running deliveries,
 * reports them and exits. Touches: reads users/cdb and queue/mess; runs
 * bin/qmail-getpw and bin/qmail-local. */
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
#include "cdb.h"
#include "err.h"
#include "fd.h"
#include "io.h"
#include "num.h"
#include "open.h"
#include "sig.h"
#include "str.h"
#include "users.h"
#include "wait.h"

#define TEXT_MAX 4000          /* result text kept from qmail-local */
#define ADDR_MAX 65536         /* longest sender or recipient accepted */
#define MESSID_MAX 100         /* longest message number field accepted */
#define GETPW_TIMEOUT 120      /* seconds qmail-getpw may take */
#define GETPW_EXTRA 16384      /* qmail-getpw output beyond the local part */

static const char toolong_note[] = "\nError report too long, sorry.\n";

/* Why a delivery child gave up before running qmail-local; it sends the
 * code as one byte on its status pipe, which closes unread when
 * qmail-local starts. The texts are qmail-1.03's. */
enum {
  FAIL_CDB = 1, FAIL_NOMEM, FAIL_SYS, FAIL_NOALIAS, FAIL_ROOT, FAIL_BUG,
  FAIL_EXECHARD, FAIL_EXECSOFT, FAIL_EXECPW, FAIL_COUNT
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
};

/* Exit codes of the qmail-getpw child before it runs qmail-getpw (which
 * itself exits 0, 100 or 111). */
#define GP_SYS 120
#define GP_IDS 121
#define GP_EXEC 122

struct slot {
  int used;
  pid_t pid;
  int out;     /* read end of qmail-local's output; -1 after end of file */
  int status;  /* read end of the status pipe */
  int exited;
  int wstat;
  int over;    /* more output came than TEXT_MAX */
  str text;    /* room for TEXT_MAX bytes is reserved when the slot starts */
};

static struct slot *slots;
static struct pollfd *pfd;
static size_t *pfd_slot;
static const char *aliasempty;
static str path_local = STR_INIT, path_getpw = STR_INIT;
static int selfpipe[2];

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

/* ---- the delivery child (root until it execs qmail-local) ---- */

static void fail(int statusfd, int code) __attribute__((noreturn));
static void fail(int statusfd, int code)
{
  char c = (char)code;
  (void)!write(statusfd, &c, 1);
  _exit(111);
}

/* Run qmail-getpw as qmailp and collect its output into nughde. */
static void run_getpw(int st, const char *local, size_t len, str *nughde)
{
  char buf[1024];
  const char *args[3];
  size_t max = len + GETPW_EXTRA;
  time_t deadline = time(0) + GETPW_TIMEOUT;
  int pi[2], wstat;
  pid_t pid;

  if (pipe(pi) == -1) fail(st, FAIL_SYS);
  if (fd_cloexec(pi[0], 1) == -1) fail(st, FAIL_SYS);
  pid = fork();
  if (pid == -1) fail(st, FAIL_SYS);
  if (pid == 0) {
    gid_t g = auto_gidn;
    if (fd_move(1, pi[1]) == -1) _exit(GP_SYS);
    if (setgroups(1, &g) == -1 || setgid(auto_gidn) == -1 || setuid(auto_uidp) == -1)
      _exit(GP_IDS);
    args[0] = "qmail-getpw";
    args[1] = local;
    args[2] = 0;
    execv(path_getpw.s, (char *const *)args);
    _exit(GP_EXEC);
  }
  close(pi[1]);

  nughde->len = 0;
  for (;;) {
    struct pollfd p;
    time_t now = time(0);
    ssize_t r;
    p.fd = pi[0];
    p.events = POLLIN;
    if (now >= deadline) r = 0;
    else r = poll(&p, 1, (int)(deadline - now) * 1000);
    if (r == -1 && errno == EINTR) continue;
    if (r <= 0) { /* timeout or poll failure */
      kill(pid, SIGKILL);
      wait_pid(pid, &wstat);
      fail(st, FAIL_SYS);
    }
    r = io_read(pi[0], buf, sizeof buf);
    if (r == 0) break;
    if (r == -1 || (size_t)r > max - nughde->len) {
      kill(pid, SIGKILL);
      wait_pid(pid, &wstat);
      fail(st, r == -1 ? FAIL_SYS : FAIL_BUG);
    }
    if (!str_cat(nughde, buf, (size_t)r)) {
      kill(pid, SIGKILL);
      wait_pid(pid, &wstat);
      fail(st, FAIL_NOMEM);
    }
  }
  close(pi[0]);
  if (wait_pid(pid, &wstat) == -1 || wait_crashed(wstat)) fail(st, FAIL_SYS);
  switch (wait_exitcode(wstat)) {
  case 0: return;
  case 100: fail(st, FAIL_NOALIAS);
  case GP_IDS: fail(st, FAIL_BUG);
  case GP_EXEC: fail(st, FAIL_EXECPW);
  default: fail(st, FAIL_SYS);
  }
}

/* Find who controls local: users/cdb, else qmail-getpw. *listed tells
 * which answered. */
static void find_user(int st, const char *local, size_t len, str *nughde, int *listed)
{
  int fd = open_read("users/cdb");
  *listed = 0;
  if (fd == -1) {
    if (errno != ENOENT) fail(st, FAIL_CDB);
  } else {
    struct cdb c;
    int r;
    if (cdb_init(&c, fd) == -1) fail(st, FAIL_CDB);
    r = users_lookup(&c, local, len, nughde);
    if (r == -1) fail(st, errno == ENOMEM ? FAIL_NOMEM : FAIL_CDB);
    cdb_free(&c);
    close(fd);
    if (r == 1) {
      *listed = 1;
      return;
    }
  }
  run_getpw(st, local, len, nughde);
}

static void close_parent_fds(void)
{
  close(selfpipe[0]);
  close(selfpipe[1]);
  for (unsigned long i = 0; i < auto_spawn; ++i)
    if (slots[i].used) {
      if (slots[i].out != -1) close(slots[i].out);
      close(slots[i].status);
    }
}

static void delivery(int st, int msgfd, int outfd, str *rcpt, size_t at,
                     const char *sender) __attribute__((noreturn));
static void delivery(int st, int msgfd, int outfd, str *rcpt, size_t at,
                     const char *sender)
{
  str nughde = STR_INIT;
  struct users_entry e;
  const char *args[11];
  const char *local = rcpt->s;
  int listed, devnull;
  gid_t g;

  sig_default(SIGCHLD);
  sig_default(SIGPIPE);
  close_parent_fds();
  /* qmail-getpw must not see qmail-send's request pipe. */
  devnull = open_read("/dev/null");
  if (devnull == -1 || fd_move(0, devnull) == -1) fail(st, FAIL_SYS);

  rcpt->s[at] = 0; /* local part, then the domain after it */
  find_user(st, local, at, &nughde, &listed);
  if (!users_fields(nughde.s, nughde.len, &e)) fail(st, listed ? FAIL_CDB : FAIL_BUG);
  if (e.uid == 0) fail(st, FAIL_ROOT);

  if (fd_move(0, msgfd) == -1 || fd_copy(1, outfd) == -1 || fd_copy(2, outfd) == -1)
    fail(st, FAIL_SYS);
  if (outfd > 2) close(outfd);
  g = e.gid;
  if (setgroups(1, &g) == -1 || setgid(e.gid) == -1 || setuid(e.uid) == -1) fail(st, FAIL_BUG);
  if (getuid() == 0 || geteuid() == 0) fail(st, FAIL_ROOT);
  if (chdir(e.home) == -1) {
    /* Stay in QMAILHOME: qmail-local changes to the home directory itself
     * and reports why it cannot. */
  }

  args[0] = "qmail-local";
  args[1] = "--";
  args[2] = e.user;
  args[3] = e.home;
  args[4] = local;
  args[5] = e.dash;
  args[6] = e.ext;
  args[7] = rcpt->s + at + 1;
  args[8] = sender;
  args[9] = aliasempty;
  args[10] = 0;
  execv(path_local.s, (char *const *)args);
  fail(st, err_temp(errno) ? FAIL_EXECSOFT : FAIL_EXECHARD);
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
  int msgfd, po[2], ps[2];
  pid_t pid;

  if (req.nomem) { result_s(slot, "Zqmail-spawn out of memory. (#4.3.0)\n"); return; }
  if (slot >= auto_spawn) { result_s(slot, "ZInternal error: delnum too big. (#4.3.5)\n"); return; }
  d = &slots[slot];
  if (d->used) { result_s(slot, "ZInternal error: delnum in use. (#4.3.5)\n"); return; }
  if (!messid_ok(slot, &n)) return;
  if (req.nrcpt != 1) {
    result_s(slot, "ZInternal error: not exactly one recipient. (#4.3.5)\n");
    return;
  }
  if (req.toolong) { result_s(slot, "DInternal error: address too long. (#5.3.5)\n"); return; }
  for (at = req.rcpt.len; at > 0 && req.rcpt.s[at - 1] != '@'; --at) continue;
  if (at == 0) { result_s(slot, "DSorry, address must include host name. (#5.1.3)\n"); return; }
  --at; /* the last '@' */
  if (!d->text.cap && !str_reserve(&d->text, TEXT_MAX)) {
    result_s(slot, "Zqmail-spawn out of memory. (#4.3.0)\n");
    return;
  }

  msgfd = open_message(slot, n);
  if (msgfd == -1) return;
  if (at == 0) { /* an empty mailbox name is a trash address */
    close(msgfd);
    result_s(slot, "K");
    return;
  }
  if (pipe(po) == -1) {
    close(msgfd);
    result_s(slot, "Zqmail-spawn unable to create pipe. (#4.3.0)\n");
    return;
  }
  if (pipe(ps) == -1) {
    close(msgfd);
    close(po[0]);
    close(po[1]);
    result_s(slot, "Zqmail-spawn unable to create pipe. (#4.3.0)\n");
    return;
  }
  fd_cloexec(po[0], 1);
  fd_cloexec(po[1], 1);
  fd_cloexec(ps[0], 1);
  fd_cloexec(ps[1], 1);
  fd_nonblock(po[0], 1);
  fd_nonblock(ps[0], 1);

  pid = fork();
  if (pid == 0) {
    close(po[0]);
    close(ps[0]);
    delivery(ps[1], msgfd, po[1], &req.rcpt, at, req.sender.s);
  }
  close(msgfd);
  close(po[1]);
  close(ps[1]);
  if (pid == -1) {
    close(po[0]);
    close(ps[0]);
    result_s(slot, "Zqmail-spawn unable to fork. (#4.3.0)\n");
    return;
  }
  d->used = 1;
  d->pid = pid;
  d->out = po[0];
  d->status = ps[0];
  d->exited = 0;
  d->over = 0;
  d->text.len = 0;
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

static void finish(unsigned slot)
{
  struct slot *d = &slots[slot];
  char code;

  if (read(d->status, &code, 1) == 1 && code > 0 && code < FAIL_COUNT) {
    result_s(slot, fail_text[(int)code]);
  } else if (wait_crashed(d->wstat)) {
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
  close(d->status);
  d->used = 0;
}

static void read_output(struct slot *d)
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
      if (slots[i].used && !slots[i].exited && slots[i].pid == pid) {
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
    int r;

    for (unsigned long i = 0; i < auto_spawn; ++i) {
      struct slot *d = &slots[i];
      if (!d->used) continue;
      if (d->exited && d->out == -1) {
        finish((unsigned)i);
        continue;
      }
      ++running;
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

    r = poll(pfd, (nfds_t)n, -1);
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
        read_output(&slots[pfd_slot[k]]);
      }
    }
  }
  return 0;
}
