/* qmail-rspawn: run qmail-remote for qmail-send (qmail-rspawn(8); the
 * protocol is in doc/INTERNALS.md).
 * Runs as qmailr in QMAILHOME, started by qmail-start: requests come on
 * fd 0, results go to fd 1. Untrusted input: the requests (slot checked
 * against conf-spawn, message number all digits, every string and the
 * whole request bounded, recipients sharing one host) and the output of
 * each qmail-remote (checked report by report, each text cut at
 * REPORT_MAX bytes). Opens queue/mess/S/N read-only and hands it to
 * qmail-remote as fd 0; writes no file. Never blocks: one poll() loop
 * watches the request pipe, the result pipe, every delivery's output and
 * a pipe the SIGCHLD handler writes to. No byte of a request reaches a
 * shell: qmail-remote is run with execv and the strings as arguments. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "auto.h"
#include "err.h"
#include "fd.h"
#include "num.h"
#include "open.h"
#include "sig.h"
#include "spawn.h"
#include "str.h"
#include "wait.h"

#define STRING_MAX 4000            /* bytes in one request string */
#define RECIPS_MAX 10000           /* recipients in one request */
#define REQUEST_MAX (1024 * 1024)  /* bytes in one request */
#define REPORT_MAX 4000            /* bytes of text kept per report */
#define FIXED_MAX 96               /* room for a slot and a text of ours */

/* ---- results waiting for fd 1 ---- */

enum { FREE, RUNNING, PENDING };
enum { REP_LETTER, REP_RECIP, REP_MESSAGE, REP_DONE };

struct delivery {
  int state;
  pid_t pid;
  int fd;            /* qmail-remote's output; -1 after end of file */
  int exited;
  int status;
  size_t nrecips;
  str out;           /* slot bytes, then the reports as checked */
  int rep;           /* where the checker is */
  size_t textlen;    /* bytes of the current report's text */
  size_t reports;    /* recipient reports so far */
  size_t total;      /* bytes qmail-remote wrote */
  int malformed;
  int nomem;
  char fixed[FIXED_MAX]; /* a result of ours: slot bytes and text */
  const char *res;   /* the result to write */
  size_t reslen, done;
};

static struct delivery *d;
static unsigned long *order; /* ring of PENDING slots, oldest first */
static unsigned long ohead, ocount;
static int outbroken;        /* fd 1 failed: results are dropped */
static str remote_path = STR_INIT;

static void free_slot(unsigned long slot)
{
  d[slot].state = FREE;
  str_free(&d[slot].out);
}

/* Queue the result res[0..len) of slot for fd 1. */
static void pend(unsigned long slot, const char *res, size_t len)
{
  d[slot].state = PENDING;
  d[slot].res = res;
  d[slot].reslen = len;
  d[slot].done = 0;
  if (outbroken) {
    free_slot(slot);
    return;
  }
  order[(ohead + ocount) % auto_spawn] = slot;
  ocount++;
}

/* Queue one of our own texts (a message report) as slot's result. */
static void pend_text(unsigned long slot, const char *text)
{
  struct delivery *x = &d[slot];
  size_t n = strlen(text);
  if (n > FIXED_MAX - 3) n = FIXED_MAX - 3; /* our texts all fit */
  x->fixed[0] = (char)(slot >> 8);
  x->fixed[1] = (char)(slot & 255);
  memcpy(x->fixed + 2, text, n);
  x->fixed[2 + n] = 0;
  pend(slot, x->fixed, n + 3);
}

/* Write as much of the oldest results as fd 1 takes now. */
static void write_results(void)
{
  while (ocount) {
    unsigned long slot = order[ohead];
    struct delivery *x = &d[slot];
    ssize_t w = write(1, x->res + x->done, x->reslen - x->done);
    if (w == -1) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      outbroken = 1; /* qmail-send is gone: drop everything */
      while (ocount) {
        free_slot(order[ohead]);
        ohead = (ohead + 1) % auto_spawn;
        ocount--;
      }
      return;
    }
    if (w == 0) return;
    x->done += (size_t)w;
    if (x->done < x->reslen) continue;
    free_slot(slot);
    ohead = (ohead + 1) % auto_spawn;
    ocount--;
  }
}

/* ---- checking qmail-remote's output ---- */

static void keep(struct delivery *x, char c)
{
  if (!str_putc(&x->out, c)) x->nomem = 1;
}

static void check_byte(struct delivery *x, char c)
{
  if (x->malformed || x->nomem) return;
  switch (x->rep) {
  case REP_LETTER:
    if (c == 'r' || c == 'h' || c == 's') {
      if (x->reports == x->nrecips) {
        x->malformed = 1; /* more reports than recipients */
        return;
      }
      x->reports++;
      x->rep = REP_RECIP;
    } else if (c == 'K' || c == 'Z' || c == 'D') {
      x->rep = REP_MESSAGE;
    } else {
      x->malformed = 1;
      return;
    }
    x->textlen = 0;
    keep(x, c);
    break;
  case REP_RECIP:
  case REP_MESSAGE:
    if (!c) {
      keep(x, c);
      x->rep = x->rep == REP_RECIP ? REP_LETTER : REP_DONE;
    } else if (x->textlen < REPORT_MAX) {
      x->textlen++;
      keep(x, c);
    }
    break;
  default: /* REP_DONE: nothing may follow the message report */
    x->malformed = 1;
  }
}

/* The delivery in slot has ended and its output is complete. */
static void finish(unsigned long slot)
{
  struct delivery *x = &d[slot];
  if (wait_crashed(x->status)) pend_text(slot, "Zqmail-remote crashed.\n");
  else if (wait_exitcode(x->status) == 111) pend_text(slot, "ZUnable to run qmail-remote.\n");
  else if (wait_exitcode(x->status)) pend_text(slot, "DUnable to run qmail-remote.\n");
  else if (!x->total) pend_text(slot, "Zqmail-remote produced no output.\n");
  else if (x->nomem) pend_text(slot, "Zqmail-spawn out of memory. (#4.3.0)\n");
  else if (x->malformed || x->rep != REP_DONE)
    pend_text(slot, "Zqmail-remote produced malformed output.\n");
  else pend(slot, x->out.s, x->out.len);
}

static void maybe_finish(unsigned long slot)
{
  if (d[slot].state == RUNNING && d[slot].exited && d[slot].fd == -1) finish(slot);
}

static void read_child(unsigned long slot)
{
  struct delivery *x = &d[slot];
  char buf[4096];
  ssize_t r = read(x->fd, buf, sizeof buf);
  if (r == -1 && (errno == EINTR || errno == EAGAIN)) return;
  if (r <= 0) { /* end of file, or an error that ends the output too */
    close(x->fd);
    x->fd = -1;
    maybe_finish(slot);
    return;
  }
  x->total += (size_t)r;
  for (ssize_t i = 0; i < r; ++i) check_byte(x, buf[i]);
}

/* ---- SIGCHLD ---- */

static int selfpipe[2];

static void on_child(int sig)
{
  int saved = errno;
  ssize_t w = write(selfpipe[1], "", 1);
  (void)sig;
  (void)w;
  errno = saved;
}

static void reap(void)
{
  char buf[64];
  pid_t pid;
  int status;

  while (read(selfpipe[0], buf, sizeof buf) > 0) continue;
  while ((pid = wait_nohang(&status)) > 0)
    for (unsigned long slot = 0; slot < auto_spawn; ++slot)
      if (d[slot].state == RUNNING && d[slot].pid == pid) {
        d[slot].exited = 1;
        d[slot].status = status;
        maybe_finish(slot);
        break;
      }
}

/* ---- requests ---- */

enum { Q_SLOT0, Q_SLOT1, Q_NUMBER, Q_SENDER, Q_RECIP };

static struct {
  int state;
  unsigned long slot;
  str buf;          /* number, sender, recipients, each with its NUL */
  size_t curlen;    /* bytes of the string being read */
  size_t total;     /* bytes of the request after the slot */
  size_t nrecips;
  const char *bad;  /* the first problem found */
} q;

/* 1 if the hosts (after the last '@') of a and b agree, ignoring case. */
static int same_host(const char *a, const char *b)
{
  const char *ha = strrchr(a, '@'), *hb = strrchr(b, '@');
  if (!ha || !hb) return 0;
  for (++ha, ++hb; *ha || *hb; ++ha, ++hb) {
    unsigned char x = (unsigned char)*ha, y = (unsigned char)*hb;
    if (x >= 'A' && x <= 'Z') x = (unsigned char)(x + 32);
    if (y >= 'A' && y <= 'Z') y = (unsigned char)(y + 32);
    if (x != y) return 0;
  }
  return 1;
}

/* Check the message number; 0 if it is usable, else the error text. */
static const char *check_number(const char *s, unsigned long long *n)
{
  if (!*s) return "ZInternal error: messid too short. (#4.3.5)\n";
  for (const char *p = s; *p; ++p)
    if (*p < '0' || *p > '9') return "ZInternal error: messid has nonnumerics. (#4.3.5)\n";
  if (strlen(s) > NUM_ULL_DIGITS || !num_parse(s, n))
    return "ZInternal error: messid too long. (#4.3.5)\n";
  return 0;
}

/* Open queue/mess/S/N and check it is a file qmailq made; the fd, or -1
 * with *why set. */
static int open_message(unsigned long long n, const char **why)
{
  str fn = STR_INIT;
  struct stat st;
  int fd;

  *why = "Zqmail-spawn out of memory. (#4.3.0)\n";
  if (!str_copys(&fn, "queue/mess/") || !str_catnum(&fn, n % auto_split) ||
      !str_putc(&fn, '/') || !str_catnum(&fn, n))
    fd = -1;
  else if ((fd = open_read(fn.s)) == -1)
    *why = "Zqmail-spawn unable to open message. (#4.3.0)\n";
  else if (fstat(fd, &st) == -1)
    *why = "Zqmail-spawn unable to fstat message. (#4.3.0)\n";
  else if (!S_ISREG(st.st_mode))
    *why = "ZSorry, message has wrong type. (#4.3.5)\n";
  else if (st.st_uid != auto_uidq)
    *why = "ZSorry, message has wrong owner. (#4.3.5)\n";
  else
    *why = 0;
  if (*why && fd != -1) {
    close(fd);
    fd = -1;
  }
  str_free(&fn);
  return fd;
}

/* Start qmail-remote host sender recip... on the message; 0 or the
 * error text. */
static const char *spawn(unsigned long slot, int messfd, char **args)
{
  struct delivery *x = &d[slot];
  struct spawn sp;
  int pi[2];
  pid_t pid;

  x->out.len = 0;
  if (!str_putc(&x->out, (char)(slot >> 8)) || !str_putc(&x->out, (char)(slot & 255)))
    return "Zqmail-spawn out of memory. (#4.3.0)\n";
  if (pipe(pi) == -1) return "Zqmail-spawn unable to create pipe. (#4.3.0)\n";
  fd_cloexec(pi[0], 1);
  spawn_init(&sp, remote_path.s, args);
  sp.fd[0] = messfd;
  sp.fd[1] = pi[1];
  sp.sigpipe_default = 1;
  pid = spawn_start(&sp);
  if (pid == -1) {
    close(pi[0]);
    close(pi[1]);
    if (sp.failed == SPAWN_FORK) return "Zqmail-spawn unable to fork. (#4.3.0)\n";
    return "ZUnable to run qmail-remote.\n";
  }
  close(pi[1]);
  x->state = RUNNING;
  x->pid = pid;
  x->fd = pi[0];
  x->exited = 0;
  x->rep = REP_LETTER;
  x->reports = 0;
  x->total = 0;
  x->malformed = 0;
  x->nomem = 0;
  return 0;
}

/* A whole request has arrived: check it and start its delivery, or
 * queue the reason it cannot start. */
static void start(void)
{
  unsigned long slot = q.slot;
  const char *number, *sender, *first, *why;
  unsigned long long n;
  char **args;
  int messfd;

  if (slot >= auto_spawn) {
    err_warn("qmail-rspawn: request for a slot beyond conf-spawn ignored", (char *)0);
    return;
  }
  if (d[slot].state != FREE) {
    err_warn("qmail-rspawn: request for a busy slot ignored", (char *)0);
    return;
  }
  if (q.bad) {
    pend_text(slot, q.bad);
    return;
  }
  if (!q.nrecips) {
    pend_text(slot, "ZInternal error: no recipients. (#4.3.5)\n");
    return;
  }
  number = q.buf.s;
  sender = number + strlen(number) + 1;
  first = sender + strlen(sender) + 1;
  why = check_number(number, &n);
  if (why) {
    pend_text(slot, why);
    return;
  }
  if (!strchr(first, '@')) {
    pend_text(slot, "DSorry, address must include host name. (#5.1.3)\n");
    return;
  }
  args = malloc((q.nrecips + 4) * sizeof *args);
  if (!args) {
    pend_text(slot, "Zqmail-spawn out of memory. (#4.3.0)\n");
    return;
  }
  args[0] = "qmail-remote";
  args[1] = strrchr(first, '@') + 1;
  args[2] = (char *)sender;
  {
    char *r = (char *)first;
    for (size_t i = 0; i < q.nrecips; ++i, r += strlen(r) + 1) {
      if (!same_host(first, r)) why = "ZInternal error: recipients do not share one host. (#4.3.5)\n";
      args[3 + i] = r;
    }
  }
  args[3 + q.nrecips] = 0;
  if (!why) {
    messfd = open_message(n, &why);
    if (!why) {
      d[slot].nrecips = q.nrecips;
      why = spawn(slot, messfd, args);
      close(messfd);
    }
  }
  free(args);
  if (why) pend_text(slot, why);
}

static void request_byte(char c)
{
  switch (q.state) {
  case Q_SLOT0:
    q.slot = (unsigned long)(unsigned char)c << 8;
    q.state = Q_SLOT1;
    return;
  case Q_SLOT1:
    q.slot |= (unsigned char)c;
    q.state = Q_NUMBER;
    q.buf.len = 0;
    q.curlen = q.total = q.nrecips = 0;
    q.bad = 0;
    return;
  }
  if (q.total < REQUEST_MAX) q.total++;
  else if (!q.bad) q.bad = "ZInternal error: request too long. (#4.3.5)\n";
  if (c) {
    if (q.curlen < STRING_MAX) q.curlen++;
    else if (!q.bad) q.bad = "ZInternal error: request too long. (#4.3.5)\n";
    if (!q.bad && !str_putc(&q.buf, c)) q.bad = "Zqmail-spawn out of memory. (#4.3.0)\n";
    return;
  }
  if (q.state == Q_RECIP && !q.curlen) { /* the empty string: the end */
    start();
    q.state = Q_SLOT0;
    return;
  }
  q.curlen = 0;
  if (!q.bad && !str_putc(&q.buf, 0)) q.bad = "Zqmail-spawn out of memory. (#4.3.0)\n";
  if (q.state == Q_RECIP) {
    if (q.nrecips < RECIPS_MAX) q.nrecips++;
    else if (!q.bad) q.bad = "ZInternal error: request too long. (#4.3.5)\n";
  } else {
    q.state++;
  }
}

/* ---- the loop ---- */

static int any_running(void)
{
  for (unsigned long slot = 0; slot < auto_spawn; ++slot)
    if (d[slot].state == RUNNING) return 1;
  return 0;
}

static struct pollfd *pfd;   /* what the loop waits for */
static unsigned long *pslot; /* the slot of each delivery's pfd entry */

int main(void)
{
  int eof = 0;

  if (fcntl(2, F_GETFD) == -1) open("/dev/null", O_WRONLY); /* keep fd 2 taken */
  if (chdir(auto_qmail) == -1) err_die_sys(111, "qmail-rspawn: unable to switch to ", auto_qmail, (char *)0);
  if (!str_copys(&remote_path, auto_qmail) || !str_cats(&remote_path, "/bin/qmail-remote"))
    err_die(111, "qmail-rspawn: out of memory", (char *)0);
  d = calloc(auto_spawn, sizeof *d);
  order = calloc(auto_spawn, sizeof *order);
  pfd = calloc(auto_spawn + 3, sizeof *pfd);
  pslot = calloc(auto_spawn + 3, sizeof *pslot);
  if (!d || !order || !pfd || !pslot) err_die(111, "qmail-rspawn: out of memory", (char *)0);
  if (pipe(selfpipe) == -1) err_die_sys(111, "qmail-rspawn: unable to create pipe", (char *)0);
  fd_cloexec(selfpipe[0], 1);
  fd_cloexec(selfpipe[1], 1);
  fd_nonblock(selfpipe[0], 1);
  fd_nonblock(selfpipe[1], 1);
  fd_nonblock(1, 1);
  sig_ignore(SIGPIPE);
  sig_catch(SIGCHLD, on_child);

  while (!eof || ocount || any_running()) {
    nfds_t n = 0;
    pfd[n].fd = selfpipe[0];
    pfd[n++].events = POLLIN;
    if (!eof) {
      pfd[n].fd = 0;
      pfd[n++].events = POLLIN;
    }
    if (ocount) {
      pfd[n].fd = 1;
      pfd[n++].events = POLLOUT;
    }
    for (unsigned long slot = 0; slot < auto_spawn; ++slot)
      if (d[slot].state == RUNNING && d[slot].fd != -1) {
        pslot[n] = slot;
        pfd[n].fd = d[slot].fd;
        pfd[n++].events = POLLIN;
      }
    if (poll(pfd, n, -1) == -1) {
      if (errno == EINTR) continue;
      err_die_sys(111, "qmail-rspawn: poll failed", (char *)0);
    }
    for (nfds_t i = 0; i < n; ++i) {
      if (!pfd[i].revents) continue;
      if (pfd[i].fd == selfpipe[0]) {
        reap();
      } else if (pfd[i].fd == 0) {
        char buf[4096];
        ssize_t r = read(0, buf, sizeof buf);
        if (r == -1 && (errno == EINTR || errno == EAGAIN)) continue;
        if (r <= 0) eof = 1; /* a partial request at the end is dropped */
        for (ssize_t j = 0; j < r; ++j) request_byte(buf[j]);
      } else if (pfd[i].fd == 1) {
        write_results();
      } else {
        read_child(pslot[i]);
      }
    }
  }
  return 0;
}
