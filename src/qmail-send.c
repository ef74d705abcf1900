/* qmail-send: deliver the messages in the queue (qmail-send(8)).
 * Runs as qmails, group qmail, started by qmail-start with the fds of
 * doc/INTERNALS.md: 0 the activity record (qmail-log(5)), 1/2 requests
 * to and results from qmail-lspawn, 3/4 the same for qmail-rspawn, 5/6
 * for qmail-clean. Works in QMAILHOME/queue; reads QMAILHOME/control at
 * start and on HUP; writes info/, local/, remote/, bounce/ (its own),
 * reads todo/ and mess/, and holds lock/sendmutex for its lifetime.
 *
 * Untrusted input: queue files (envelopes written by qmail-queue, read
 * record by record with a length cap), control files (bounded readers),
 * and the spawners' results (slot numbers checked, report texts cut at
 * REPORT_MAX, anything malformed defers the delivery). Memory per queued
 * message is one or two schedule entries; per spawner slot, at most
 * BATCH_MAX recipients and their reports, each bounded; per channel, one
 * window of at most WINDOW_MAX recipients and WINDOW_BYTES bytes (plus
 * one record).
 *
 * The algorithm is qmail-1.03's: preprocess todo/N into info/local/
 * remote, deliver each recipient through a spawner with per-recipient
 * checkpoints (the T of a done recipient becomes D), retry on the
 * quadratic schedule of sched.h, append permanent failures to bounce/N
 * and send the bounce when the message is done, then have qmail-clean
 * remove the message. Signals: ALRM retries everything now, HUP rereads
 * the control files, TERM finishes the running deliveries and exits.
 * Beyond qmail-1.03, for the cost of syncs: todo/N stays until the
 * message is done or committed (see "pending" below), and the
 * checkpoints of one request are synced together.
 * Beyond qmail-1.03: a message's remote recipients at one domain go to
 * qmail-rspawn in one request (one qmail-remote run, one SMTP session),
 * up to BATCH_MAX of them, unless control/remotebatch is 0. Each keeps
 * its own delivery number, log lines and checkpoint; concurrencyremote
 * counts requests (qmail-remote runs), not recipients. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include "auto.h"
#include "bounce.h"
#include "control.h"
#include "fd.h"
#include "io.h"
#include "lock.h"
#include "num.h"
#include "open.h"
#include "qq.h"
#include "rewrite.h"
#include "sched.h"
#include "sig.h"
#include "str.h"

#define CHANNELS 2
#define SLEEP_TODO 1500      /* rescan todo/ at least this often */
#define SLEEP_SYSFAIL 123    /* retry after a system failure */
#define SLEEP_CLEANUP 76431  /* between scans of mess/ for orphans */
#define SLEEP_FOREVER 86400  /* the longest poll */
#define SLEEP_DIRFAIL 10     /* after failing to list a directory */
#define OSSIFIED 129600      /* 36 hours: an orphaned mess/ file is garbage */
#define REC_MAX 65536        /* longest envelope record read, NUL included */
#define REPORT_MAX 10000     /* longest report text kept */
#define DEFAULT_LIFETIME 604800
#define BATCH_MAX 100        /* recipients in one remote request: the 100
                                RCPTs an SMTP server must take (RFC 5321) */
#define WINDOW_MAX 1000      /* recipients grouped into requests at a time */
#define WINDOW_BYTES 262144  /* ... and their bytes (one more record fits) */
#define DELAYS_SHOWN 100     /* recipients a delay notice names */
#define HEADER_SHOWN 65536   /* bytes of header it shows */

/* qmail-rspawn's limits on a request (src/qmail-rspawn.c): bytes in one
 * string, recipients, and bytes after the slot. A recipient too long for
 * one string goes into a request of its own, so that it alone fails;
 * then BATCH_MAX recipients, the sender and the message number always
 * fit in a request, as the check below makes sure. */
#define RSPAWN_STRING_MAX 4000
#define RSPAWN_RECIPS_MAX 10000
#define RSPAWN_REQUEST_MAX (1024 * 1024)
#if BATCH_MAX > RSPAWN_RECIPS_MAX || \
    (BATCH_MAX + 1) * (RSPAWN_STRING_MAX + 1) + NUM_ULL_DIGITS + 2 > RSPAWN_REQUEST_MAX
#error "a full batch would not fit in a qmail-rspawn request"
#endif

#define FD_LOG 0
#define FD_TOCLEAN 5
#define FD_FROMCLEAN 6

static const char *const chan_dir[CHANNELS] = { "local", "remote" };
static const char *const chan_to[CHANNELS] = { " to local ", " to remote " };
static const char *const chan_status[CHANNELS] = { " local ", " remote " };
static const unsigned int chan_skip[CHANNELS] = { SCHED_SKIP_LOCAL, SCHED_SKIP_REMOTE };
static const int chan_fdout[CHANNELS] = { 1, 3 };
static const int chan_fdin[CHANNELS] = { 2, 4 };
/* Recipients one request may carry (qmail-lspawn takes one), and the
 * window a pass groups them in. */
static const unsigned int chan_batch[CHANNELS] = { 1, BATCH_MAX };
static const size_t chan_window[CHANNELS] = { 1, WINDOW_MAX };

static time_t recent; /* the time at the top of this round */
static volatile sig_atomic_t flag_term, flag_alrm, flag_hup;
static int exitasap;
static int selfpipe[2];

/* ---------------------------------------------------------------- log */

static char logspace[IO_OUTSIZE];
static iobuf logb;

/* Bytes as qmail-log(5) shows them: newline as '/', and every byte that
 * is not printable ASCII, or is a space or '%', as '_'. */
static void log_safe(const char *s, size_t len)
{
  char buf[256];
  while (len) {
    size_t n = len < sizeof buf ? len : sizeof buf;
    for (size_t i = 0; i < n; ++i) {
      unsigned char c = (unsigned char)s[i];
      buf[i] = c == '\n' ? '/' : (c < 33 || c > 126 || c == '%') ? '_' : (char)c;
    }
    io_put(&logb, buf, n);
    s += n;
    len -= n;
  }
}

static void log_put(const char *s) { io_puts(&logb, s); }
static void log_num(unsigned long long n) { io_putnum(&logb, n); }
static void log_end(void)
{
  io_put(&logb, "\n", 1);
  io_flush(&logb); /* errors ignored: nothing better to do with them */
}

/* One line from the given strings (ended by a null pointer). */
static void log_line(const char *s, ...) __attribute__((sentinel));
static void log_line(const char *s, ...)
{
  va_list ap;
  va_start(ap, s);
  for (; s; s = va_arg(ap, const char *)) log_put(s);
  va_end(ap);
  log_end();
}

static void nomem(void)
{
  log_line("alert: out of memory, sleeping...", (char *)0);
  sleep(10);
}

/* -------------------------------------------------------------- names */

/* dir/N, or dir/S/N when split. */
static void qname(str *sa, const char *dir, unsigned long long id, int split)
{
  for (;;) {
    sa->len = 0;
    if (str_cats(sa, dir) && str_putc(sa, '/') &&
        (!split || (str_catnum(sa, id % auto_split) && str_putc(sa, '/'))) &&
        str_catnum(sa, id))
      return;
    nomem();
  }
}

/* dir/S, the directory of a split name. */
static void qsubdir(str *sa, const char *dir, unsigned long long id)
{
  while (sa->len = 0, !(str_cats(sa, dir) && str_putc(sa, '/') && str_catnum(sa, id % auto_split)))
    nomem();
}

/* ----------------------------------------------------------- controls */

struct controls {
  str bouncefrom, bouncehost, doublebounceto, doublebouncehost;
  unsigned int conc[CHANNELS];
  int remotebatch;     /* several remote recipients per request */
  unsigned long long lifetime;
  unsigned long long queuewarn; /* hours before a delay notice; 0: none */
  struct rewrite rw;
};

static struct controls ctl;

static void controls_free(struct controls *c)
{
  str_free(&c->bouncefrom);
  str_free(&c->bouncehost);
  str_free(&c->doublebounceto);
  str_free(&c->doublebouncehost);
  rewrite_free(&c->rw);
}

/* A concurrency limit: at most conf-spawn, and slots must fit the two
 * bytes a request names them with. */
static unsigned int concurrency(unsigned long long v)
{
  unsigned long long cap = auto_spawn < 65536 ? auto_spawn : 65536;
  return (unsigned int)(v < cap ? v : cap);
}

/* Read every control file qmail-send uses into c (zeroed by the
 * caller); the current directory is QMAILHOME. 1, or 0 on failure. */
static int controls_read(struct controls *c)
{
  unsigned long long conc[CHANNELS] = { 10, 20 };
  unsigned long long batch = 1;

  c->lifetime = DEFAULT_LIFETIME;
  if (control_init() != 1) return 0; /* control/me is required */
  if (control_rldef(&c->bouncefrom, "control/bouncefrom", 0, "MAILER-DAEMON") != 1) return 0;
  if (control_rldef(&c->bouncehost, "control/bouncehost", 1, "bouncehost") != 1) return 0;
  if (control_rldef(&c->doublebouncehost, "control/doublebouncehost", 1, "doublebouncehost") != 1) return 0;
  if (control_rldef(&c->doublebounceto, "control/doublebounceto", 0, "postmaster") != 1) return 0;
  if (control_readint(&conc[0], "control/concurrencylocal") == -1) return 0;
  if (control_readint(&conc[1], "control/concurrencyremote") == -1) return 0;
  if (control_readint(&c->lifetime, "control/queuelifetime") == -1) return 0;
  if (control_readint(&c->queuewarn, "control/queuewarn") == -1) return 0;
  /* 0 turns batching off; missing, or any other number, leaves it on. */
  if (control_readint(&batch, "control/remotebatch") == -1) return 0;
  c->remotebatch = batch != 0;
  if (!rewrite_read(&c->rw)) return 0;
  for (int i = 0; i < CHANNELS; ++i) c->conc[i] = concurrency(conc[i]);
  return 1;
}

static void reread(void)
{
  struct controls fresh;

  memset(&fresh, 0, sizeof fresh);
  if (chdir(auto_qmail) == -1) {
    log_line("alert: unable to reread controls: unable to switch to home directory", (char *)0);
    return;
  }
  if (controls_read(&fresh)) {
    controls_free(&ctl);
    ctl = fresh;
  } else {
    controls_free(&fresh);
    log_line("alert: unable to reread controls", (char *)0);
  }
  while (chdir("queue") == -1) {
    log_line("alert: unable to switch back to queue directory; HELP! sleeping...", (char *)0);
    sleep(10);
  }
}

/* -------------------------------------------------------- directories */

/* Walks the numeric names of a queue directory, split or not. */
struct scan {
  DIR *d;
  const char *dir;
  unsigned long sub;   /* next split subdirectory to open */
  int split;
  int pause;           /* on an unreadable subdirectory: wait, or skip it */
};

static void scan_start(struct scan *s, const char *dir, int split, int pause)
{
  s->d = 0;
  s->dir = dir;
  s->sub = 0;
  s->split = split;
  s->pause = pause;
}

/* 1 with *id the next message, 0 at the end, -1 if dir itself (not
 * split) could not be listed. */
static int scan_next(struct scan *s, unsigned long long *id)
{
  static str path = STR_INIT;

  for (;;) {
    struct dirent *de;
    if (!s->d) {
      if (s->split && s->sub >= auto_split) return 0;
      if (!s->split && s->sub) return 0;
      while (path.len = 0, !(str_cats(&path, s->dir) &&
                             (!s->split || (str_putc(&path, '/') && str_catnum(&path, s->sub)))))
        nomem();
      s->d = opendir(path.s);
      if (!s->d) {
        if (!s->split) return -1;
        if (s->pause) {
          log_line("alert: unable to opendir ", path.s, ", sleeping...", (char *)0);
          sleep(10);
          continue;
        }
        log_line("alert: unable to opendir ", path.s, ", will try again later", (char *)0);
        ++s->sub;
        continue;
      }
      ++s->sub;
    }
    while ((de = readdir(s->d)))
      if (num_parse(de->d_name, id)) return 1;
    closedir(s->d);
    s->d = 0;
  }
}

static void scan_stop(struct scan *s)
{
  if (s->d) closedir(s->d);
  s->d = 0;
}

/* ------------------------------------------------------------- queues */

static struct sched pqchan[CHANNELS]; /* next try of each channel file */
static struct sched pqdone;           /* messages to finish */
static struct sched pqfail;           /* messages to look at again */

static void pq_insert(struct sched *q, time_t when, unsigned long long id)
{
  while (!sched_insert(q, when, id)) nomem();
}

/* A message is pending from its preprocessing until it is committed or
 * done: its todo/N stays, and what preprocessing makes of it (the info
 * record and the channel records, D marks included) is kept in memory
 * only. A crash meanwhile loses no mail: at its next start qmail-send
 * preprocesses todo/N again and delivers to every recipient again (some
 * twice, none never: qmail-1.03's promise). Most messages are done within
 * milliseconds and never have files in info/, local/ or remote/, nor the
 * syncs of them and of each checkpoint. A message with a recipient left
 * for a later try, or still there PENDING_AGE seconds after
 * preprocessing, or when qmail-send stops, is committed: its files are
 * written and synced, then todo/N goes, as qmail-1.03 has it at once. A
 * message whose records would take more than PENDING_BYTES is committed
 * at its preprocessing. While PENDING_MAX messages are pending,
 * preprocessing waits. */
#define PENDING_MAX 100
#define PENDING_AGE 2
#define PENDING_BYTES 65536

struct pending {
  unsigned long long id;
  time_t due;          /* commit it by then */
  time_t birth;        /* its preprocessing (a committed message's is
                          info/S/N's mtime) */
  unsigned int made;   /* bit c: it has recipients in channel c */
  unsigned int done;   /* bit c: ... and they are all done for good */
  int wrote;           /* a commit that failed may have left files */
  int ended;           /* "end msg" is logged */
  str info;            /* what info/S/N would hold: F, the sender, NUL */
  str chan[CHANNELS];  /* what local/S/N and remote/S/N would hold */
};

static struct pending pend[PENDING_MAX];
static size_t npend;

static struct pending *pending_of(unsigned long long id)
{
  for (size_t i = 0; i < npend; ++i)
    if (pend[i].id == id) return &pend[i];
  return 0;
}

static void pending_drop(struct pending *p)
{
  str_free(&p->info);
  for (int c = 0; c < CHANNELS; ++c) str_free(&p->chan[c]);
  *p = pend[--npend];
}

/* The sender and birth time of message id (from info/S/N, or from memory
 * while the message is pending). */
static int getinfo(unsigned long long id, str *sender, time_t *birth)
{
  static str fn = STR_INIT;
  struct pending *p = pending_of(id);
  char space[512];
  iobuf b;
  struct stat st;
  int fd, r;

  if (p) {
    /* the first F record, without its F and NUL */
    while (!str_copy(sender, p->info.s + 1, strlen(p->info.s + 1))) nomem();
    *birth = p->birth;
    return 1;
  }
  qname(&fn, "info", id, 1);
  fd = open_read(fn.s);
  if (fd == -1) return 0;
  if (fstat(fd, &st) == -1) {
    close(fd);
    return 0;
  }
  io_init(&b, io_read, fd, space, sizeof space);
  sender->len = 0;
  r = io_getline(&b, sender, 0, REC_MAX);
  close(fd);
  if (r != IO_LINE || sender->s[0] != 'F') return 0;
  /* Strip the F and the NUL: the sender is a C string. */
  memmove(sender->s, sender->s + 1, sender->len - 1);
  str_truncate(sender, sender->len - 2);
  *birth = st.st_mtime;
  return 1;
}

/* Put message id on the schedule from what is on disk. */
static void pqadd(unsigned long long id)
{
  static str fn = STR_INIT;
  struct stat st;
  time_t when[CHANNELS];
  int has[CHANNELS], any = 0;

  qname(&fn, "info", id, 1);
  if (stat(fn.s, &st) == -1) {
    if (errno == ENOENT) return; /* finished meanwhile */
    goto fail;
  }
  qname(&fn, "todo", id, 0);
  if (stat(fn.s, &st) == 0) return; /* preprocessing will schedule it */
  if (errno != ENOENT) goto fail;
  for (int c = 0; c < CHANNELS; ++c) {
    qname(&fn, chan_dir[c], id, 1);
    has[c] = stat(fn.s, &st) == 0;
    if (!has[c] && errno != ENOENT) goto fail;
    if (has[c]) when[c] = st.st_mtime;
  }
  for (int c = 0; c < CHANNELS; ++c)
    if (has[c]) {
      pq_insert(&pqchan[c], when[c], id);
      any = 1;
    }
  if (!any) pq_insert(&pqdone, recent, id);
  return;
fail:
  log_line("warning: unable to stat ", fn.s, "; will try again later", (char *)0);
  pq_insert(&pqfail, recent + SLEEP_SYSFAIL, id);
}

static void pqstart(void)
{
  struct scan s;
  unsigned long long id;

  scan_start(&s, "info", 1, 1);
  while (scan_next(&s, &id) == 1) pqadd(id);
}

/* Record every scheduled retry time as its channel file's mtime. */
static void pqfinish(void)
{
  static str fn = STR_INIT;

  for (int c = 0; c < CHANNELS; ++c)
    for (size_t i = 0; i < pqchan[c].n; ++i) {
      struct timeval tv[2];
      qname(&fn, chan_dir[c], pqchan[c].x[i].id, 1);
      tv[0].tv_sec = tv[1].tv_sec = pqchan[c].x[i].when;
      tv[0].tv_usec = tv[1].tv_usec = 0;
      if (utimes(fn.s, tv) == -1)
        log_line("warning: unable to utime ", fn.s, "; message will be retried too soon", (char *)0);
    }
}

/* ---------------------------------------------------------- qmail-clean */

static int clean_alive = 1;

static void cleandied(void)
{
  log_line("alert: oh no! lost qmail-clean connection! dying...", (char *)0);
  clean_alive = 0;
  exitasap = 1;
}

/* Ask qmail-clean to remove "what/N"; 1 if it answered '+'. */
static int clean(const char *what, unsigned long long id)
{
  static str req = STR_INIT;
  size_t pos = 0;
  char answer;
  ssize_t r;

  if (!clean_alive) return 0;
  qname(&req, what, id, 0);
  while (pos < req.len + 1) { /* the name with its NUL */
    ssize_t w = io_write(FD_TOCLEAN, req.s + pos, req.len + 1 - pos);
    if (w <= 0) {
      cleandied();
      return 0;
    }
    pos += (size_t)w;
  }
  do r = read(FD_FROMCLEAN, &answer, 1); while (r == -1 && errno == EINTR);
  if (r != 1) {
    cleandied();
    return 0;
  }
  if (answer == '+') return 1;
  log_line("warning: qmail-clean unable to clean up ", req.s, (char *)0);
  return 0;
}

/* ------------------------------------------------------------ pending */

/* Write data to fn (replacing whatever is there), with mtime as its
 * time of modification when that is not 0, then sync it and its
 * directory dir: 1, or 0 with a warning logged. */
static int write_synced(const char *fn, const char *dir, const str *data, time_t mtime)
{
  struct timespec ts[2];
  size_t pos = 0;
  int fd;

  if (unlink(fn) == -1 && errno != ENOENT) goto trouble;
  fd = open_excl(fn);
  if (fd == -1) goto trouble;
  while (pos < data->len) {
    ssize_t w = io_write(fd, data->s + pos, data->len - pos);
    if (w <= 0) break;
    pos += (size_t)w;
  }
  ts[0].tv_sec = ts[1].tv_sec = mtime;
  ts[0].tv_nsec = ts[1].tv_nsec = 0;
  if (pos < data->len || (mtime && futimens(fd, ts) == -1) || fsync(fd) == -1) {
    close(fd);
    goto trouble;
  }
  close(fd);
  if (fd_syncdir(dir) == 0) return 1;
  fn = dir;
trouble:
  log_line("warning: trouble writing to ", fn, (char *)0);
  return 0;
}

static void pass_to_file(unsigned long long id);

/* Commit pending message p: its info file and the channel files it still
 * needs written from memory and synced, each with its directory, then
 * todo/N removed; a pass reading its records goes on in the file. 1
 * done (p is gone); 0 not now (p stays pending, tried again after
 * SLEEP_SYSFAIL). */
static int pending_commit(struct pending *p)
{
  static str fn = STR_INIT, dir = STR_INIT;
  unsigned long long id = p->id;

  for (int c = 0; c <= CHANNELS; ++c) { /* the channel files, then info */
    const char *d = c < CHANNELS ? chan_dir[c] : "info";
    if (c < CHANNELS && !(p->made & ~p->done & 1u << c)) continue;
    qname(&fn, d, id, 1);
    qsubdir(&dir, d, id);
    p->wrote = 1;
    /* info's mtime is the message's birth, as if written at preprocessing */
    if (!write_synced(fn.s, dir.s, c < CHANNELS ? &p->chan[c] : &p->info,
                      c < CHANNELS ? 0 : p->birth))
      goto later;
  }
  if (!clean("todo", id)) goto later;
  pass_to_file(id);
  pending_drop(p);
  return 1;
later:
  p->due = recent + SLEEP_SYSFAIL;
  return 0;
}

/* Pending message p is done: the files a failed commit may have left go
 * (synced), then todo/N. 1 done (p is gone), 0 not now. */
static int pending_finish(struct pending *p)
{
  static str fn = STR_INIT, dir = STR_INIT;

  for (int c = 0; p->wrote && c <= CHANNELS; ++c) {
    const char *d = c < CHANNELS ? chan_dir[c] : "info";
    qname(&fn, d, p->id, 1);
    qsubdir(&dir, d, p->id);
    if (unlink(fn.s) == -1 && errno != ENOENT) {
      log_line("warning: unable to unlink ", fn.s, "; will try again later", (char *)0);
      return 0;
    }
    if (fd_syncdir(dir.s) == -1) {
      log_line("warning: trouble fsyncing ", dir.s, (char *)0);
      return 0;
    }
  }
  if (!clean("todo", p->id)) return 0;
  pending_drop(p);
  return 1;
}

/* Commit every pending message that is due. */
static void pending_do(void)
{
  for (size_t i = 0; i < npend;)
    if (pend[i].due > recent || !pending_commit(&pend[i])) ++i;
}

/* ------------------------------------------------------------- bounces */

/* Append a permanent failure to bounce/N; qmail-send cannot go on
 * without recording it, so it waits until it can. */
static void addbounce(unsigned long long id, const char *recip, const char *report, size_t len)
{
  static str fn = STR_INIT, text = STR_INIT;
  size_t pos = 0;
  int fd = -1, fresh = 0;
  struct stat st;

  for (;;) {
    text.len = 0;
    if (bounce_paragraph(&text, recip, report, len)) break;
    nomem();
  }
  qname(&fn, "bounce", id, 0);
  /* The paragraph, and the name of a file it starts, on disk before the
   * recipient's checkpoint. */
  while (pos < text.len || fd == -1 || fsync(fd) == -1 || (fresh && fd_syncdir("bounce") == -1)) {
    ssize_t w;
    if (fd == -1) {
      if ((fd = open_append(fn.s)) == -1) goto trouble;
      fresh = fstat(fd, &st) == -1 || st.st_size == 0;
    }
    if (pos == text.len) goto trouble; /* a sync failed */
    w = io_write(fd, text.s + pos, text.len - pos);
    if (w <= 0) goto trouble;
    pos += (size_t)w;
    continue;
  trouble:
    log_line("alert: unable to append to bounce message; HELP! sleeping...", (char *)0);
    sleep(10);
  }
  close(fd);
}

/* Copy file fn into q; 0 if it could not all be read. */
static int qq_file(qq *q, const char *fn)
{
  char buf[IO_INSIZE];
  int fd = open_read(fn);
  ssize_t r;

  if (fd == -1) return 0;
  while ((r = io_read(fd, buf, sizeof buf)) > 0) qq_put(q, buf, (size_t)r);
  close(fd);
  return r == 0;
}

/* Send the bounce of message id, if it has one; 1 done, 0 try later. */
static int injectbounce(unsigned long long id)
{
  static str fn = STR_INIT, mess = STR_INIT, sender = STR_INIT, recip = STR_INIT,
             returnpath = STR_INIT, text = STR_INIT;
  struct stat st;
  time_t birth;
  int kind;

  qname(&fn, "bounce", id, 0);
  if (stat(fn.s, &st) == -1) {
    if (errno == ENOENT) return 1;
    log_line("warning: unable to stat ", fn.s, (char *)0);
    return 0;
  }
  if (!getinfo(id, &sender, &birth)) {
    qname(&fn, "info", id, 1);
    log_line("warning: trouble reading ", fn.s, "; will try again later", (char *)0);
    return 0;
  }
  while ((kind = bounce_plan(sender.s, sender.len, &ctl.doublebounceto, &ctl.doublebouncehost,
                             &recip, &returnpath)) == -1)
    nomem();
  if (kind == BOUNCE_DROP_TRIPLE) {
    log_line("triple bounce: discarding ", fn.s, (char *)0);
  } else if (kind == BOUNCE_DROP_DOUBLE) {
    log_line("double bounce: discarding ", fn.s, (char *)0);
  } else {
    qq q;
    const char *result;
    char qp[NUM_ULL_DIGITS + 1];
    int ok;

    if (qq_open(&q) == -1) {
      log_line("warning: unable to start qmail-queue, will try later", (char *)0);
      return 0;
    }
    qp[num_fmt(qp, qq_pid(&q))] = 0;
    while (text.len = 0, !bounce_head(&text, time(0), &ctl.bouncefrom, &ctl.bouncehost, &recip, kind))
      nomem();
    qq_put(&q, text.s, text.len);
    ok = qq_file(&q, fn.s);
    while (text.len = 0, !bounce_break(&text, &returnpath, kind)) nomem();
    qq_put(&q, text.s, text.len);
    qname(&mess, "mess", id, 1);
    if (ok) ok = qq_file(&q, mess.s);
    if (!ok) qq_fail(&q); /* a bounce we could not read whole is not queued */
    qq_from(&q, kind == BOUNCE_DOUBLE ? BOUNCE_DOUBLE_SENDER : "");
    qq_to(&q, recip.s);
    result = qq_close(&q);
    if (!ok || *result) {
      log_line("warning: trouble injecting bounce message, will try later", (char *)0);
      return 0;
    }
    {
      char n[NUM_ULL_DIGITS + 1];
      n[num_fmt(n, id)] = 0;
      log_line("bounce msg ", n, " qp ", qp, (char *)0);
    }
  }
  if (unlink(fn.s) == -1) {
    log_line("warning: unable to unlink ", fn.s, (char *)0);
    return 0;
  }
  /* Sent: a crash must not send it again. */
  fd_syncdir("bounce");
  return 1;
}

/* Everything is delivered: send the bounce, remove the message. */
static void messdone(unsigned long long id)
{
  static str fn = STR_INIT, dir = STR_INIT;
  struct pending *p = pending_of(id);
  struct stat st;
  char n[NUM_ULL_DIGITS + 1];

  n[num_fmt(n, id)] = 0;
  if (p) {
    /* nothing of it on disk but todo/N (and its bounce): that goes, and
     * then mess/ */
    if (p->made & ~p->done) return; /* still delivering */
    if (!injectbounce(id)) goto fail;
    if (!p->ended) log_line("end msg ", n, (char *)0);
    p->ended = 1;
    if (!pending_finish(p)) goto fail;
    clean("foop", id);
    return;
  }
  for (int c = 0; c < CHANNELS; ++c) {
    qname(&fn, chan_dir[c], id, 1);
    if (stat(fn.s, &st) == 0) return; /* still delivering */
    if (errno != ENOENT) goto stat_failed;
  }
  qname(&fn, "todo", id, 0);
  if (stat(fn.s, &st) == 0) return; /* being preprocessed again */
  if (errno != ENOENT) goto stat_failed;
  qname(&fn, "info", id, 1);
  if (stat(fn.s, &st) == -1) {
    if (errno == ENOENT) return; /* already done */
    goto stat_failed;
  }
  if (!injectbounce(id)) goto fail;
  log_line("end msg ", n, (char *)0);
  if (unlink(fn.s) == -1) {
    log_line("warning: unable to unlink ", fn.s, "; will try again later", (char *)0);
    goto fail;
  }
  qsubdir(&dir, "info", id);
  fd_syncdir(dir.s); /* info/ gone for good before mess/ goes */
  clean("foop", id);
  return;
stat_failed:
  log_line("warning: unable to stat ", fn.s, "; will try again later", (char *)0);
fail:
  pq_insert(&pqdone, recent + SLEEP_SYSFAIL, id);
}

/* --------------------------------------------------------------- jobs */

/* A job is one pass over one channel file of one message. */
struct job {
  int used;
  int chan;
  unsigned long long id;
  time_t retry;        /* when to try again what is left */
  int dying;           /* past queuelifetime: this is the last try */
  int hiteof;          /* the pass read the whole file */
  size_t refs;         /* the pass and the requests under way */
  size_t numtodo;      /* recipients the pass read, not yet done for good */
  str sender;
  time_t birth;
  str delays;          /* paragraphs of the recipients deferred in this pass */
  size_t ndelays;      /* ... and how many there were */
};

static struct job *jobs;
static size_t numjobs;

static int job_avail(void)
{
  for (size_t j = 0; j < numjobs; ++j)
    if (!jobs[j].used) return 1;
  return 0;
}

static size_t job_open(unsigned long long id, int c)
{
  size_t j;
  for (j = 0; jobs[j].used; ++j) continue; /* job_avail() was checked */
  jobs[j].used = 1;
  jobs[j].chan = c;
  jobs[j].id = id;
  jobs[j].refs = 1;
  jobs[j].numtodo = 0;
  jobs[j].hiteof = 0;
  jobs[j].dying = 0;
  jobs[j].delays.len = 0;
  jobs[j].ndelays = 0;
  return j;
}

/* Copy the header of message file fn (up to its first empty line, at
 * most HEADER_SHOWN bytes) into q; 0 if it could not be read. */
static int qq_header(qq *q, const char *fn)
{
  char buf[IO_INSIZE];
  size_t total = 0;
  int fd = open_read(fn), last = '\n';
  ssize_t r;

  if (fd == -1) return 0;
  while (total < HEADER_SHOWN && (r = io_read(fd, buf, sizeof buf)) > 0) {
    size_t n = (size_t)r, end = n;
    for (size_t i = 0; i < n; last = buf[i++])
      if (buf[i] == '\n' && last == '\n') {
        end = i;
        break;
      }
    if (end > HEADER_SHOWN - total) end = HEADER_SHOWN - total;
    qq_put(q, buf, end);
    total += end;
    if (end < n) break;
  }
  close(fd);
  return 1;
}

/* The sender of message jo, whose recipients have been deferred for
 * control/queuewarn hours, hears so once: a notice with the paragraphs
 * of this pass's deferrals and the recipients of the other channel still
 * to do, then the message's header. That it went is marked on disk, as
 * the owner-execute bit of info/S/N, synced: a restart sends none again.
 * A message from the null sender (a bounce) or a double bounce gets none. */
static void delaynotice(struct job *jo)
{
  static str fn = STR_INIT, recip = STR_INIT, returnpath = STR_INIT, text = STR_INIT,
             line = STR_INIT;
  char n[NUM_ULL_DIGITS + 1], qp[NUM_ULL_DIGITS + 1], space[1024];
  int other = CHANNELS - 1 - jo->chan, fd, kind;
  size_t shown = jo->ndelays < DELAYS_SHOWN ? jo->ndelays : DELAYS_SHOWN;
  unsigned long long more = jo->ndelays - shown;
  const char *result;
  struct stat st;
  iobuf b;
  qq q;

  qname(&fn, "info", jo->id, 1);
  if (stat(fn.s, &st) == -1 || st.st_mode & 0100) return; /* sent, or no info */
  while ((kind = bounce_plan(jo->sender.s, jo->sender.len, &ctl.doublebounceto,
                             &ctl.doublebouncehost, &recip, &returnpath)) == -1)
    nomem();
  if (kind != BOUNCE_SINGLE) return;
  if (qq_open(&q) == -1) {
    log_line("warning: unable to start qmail-queue, will try later", (char *)0);
    return;
  }
  while (text.len = 0, !bounce_delay_head(&text, time(0), &ctl.bouncefrom, &ctl.bouncehost,
                                          &recip, ctl.lifetime))
    nomem();
  qq_put(&q, text.s, text.len);
  qq_put(&q, jo->delays.s, jo->delays.len);
  /* the other channel's recipients still to do, their last reasons not known here */
  qname(&fn, chan_dir[other], jo->id, 1);
  if ((fd = open_read(fn.s)) != -1) {
    io_init(&b, io_read, fd, space, sizeof space);
    while (line.len = 0, io_getline(&b, &line, 0, REC_MAX) == IO_LINE) {
      if (line.s[0] != 'T') continue;
      if (shown == DELAYS_SHOWN) {
        ++more;
        continue;
      }
      ++shown;
      while (text.len = 0, !bounce_paragraph(&text, line.s + 1, "Not delivered yet.\n", 19)) nomem();
      qq_put(&q, text.s, text.len);
    }
    close(fd);
  }
  if (more) {
    while (text.len = 0, !(str_cats(&text, "And ") && str_catnum(&text, more) &&
                           str_cats(&text, " more not shown.\n\n")))
      nomem();
    qq_put(&q, text.s, text.len);
  }
  while (text.len = 0, !bounce_delay_break(&text, &returnpath)) nomem();
  qq_put(&q, text.s, text.len);
  qname(&fn, "mess", jo->id, 1);
  if (!qq_header(&q, fn.s)) qq_fail(&q);
  qp[num_fmt(qp, qq_pid(&q))] = 0;
  qq_from(&q, "");
  qq_to(&q, recip.s);
  result = qq_close(&q);
  if (*result) {
    log_line("warning: trouble injecting delay notice, will try later", (char *)0);
    return;
  }
  n[num_fmt(n, jo->id)] = 0;
  log_line("delay notice msg ", n, " qp ", qp, (char *)0);
  qname(&fn, "info", jo->id, 1);
  if ((fd = open_read(fn.s)) == -1 || fchmod(fd, 0700) == -1 || fsync(fd) == -1)
    log_line("warning: unable to mark ", fn.s, "; the delay notice may be sent again", (char *)0);
  if (fd != -1) close(fd);
}

static void job_close(size_t j)
{
  static str fn = STR_INIT;
  struct job *jo = &jobs[j];
  time_t when = jo->retry;
  struct pending *p;
  struct stat st;

  if (--jo->refs) return;
  jo->used = 0;
  qname(&fn, chan_dir[jo->chan], jo->id, 1);
  if (jo->hiteof && !jo->numtodo && (p = pending_of(jo->id))) {
    int other = CHANNELS - 1 - jo->chan;
    p->done |= 1u << jo->chan;
    if (!(p->made & ~p->done & 1u << other)) pq_insert(&pqdone, recent, jo->id);
    return;
  }
  if (jo->hiteof && !jo->numtodo) {
    if (unlink(fn.s) == -1) {
      log_line("warning: unable to unlink ", fn.s, "; will try again later", (char *)0);
      when = recent + SLEEP_SYSFAIL;
    } else {
      int other = CHANNELS - 1 - jo->chan;
      qname(&fn, chan_dir[other], jo->id, 1);
      if (stat(fn.s, &st) == 0) return; /* the other channel finishes it */
      if (errno == ENOENT) {
        pq_insert(&pqdone, recent, jo->id);
      } else {
        log_line("warning: unable to stat ", fn.s, (char *)0);
        pq_insert(&pqdone, recent + SLEEP_SYSFAIL, jo->id);
      }
      return;
    }
  } else {
    /* The retry time lives on disk too, so a restart keeps to it. */
    struct timeval tv[2];
    /* a message that stays needs its files on disk now */
    if ((p = pending_of(jo->id))) pending_commit(p);
    if (ctl.queuewarn && jo->ndelays && recent > jo->birth &&
        (unsigned long long)(recent - jo->birth) / 3600 >= ctl.queuewarn)
      delaynotice(jo);
    tv[0].tv_sec = tv[1].tv_sec = when;
    tv[0].tv_usec = tv[1].tv_usec = 0;
    if (utimes(fn.s, tv) == -1)
      log_line("warning: unable to utime ", fn.s, "; message will be retried too soon", (char *)0);
  }
  pq_insert(&pqchan[jo->chan], when, jo->id);
}

/* --------------------------------------------------------- deliveries */

/* One recipient of a request: a delivery in qmail-log(5)'s sense, with
 * its own number, start and result lines, and checkpoint. */
struct member {
  unsigned long long delid;
  off_t mpos;          /* where its T is in the channel file */
  str recip;
};

/* A spawner slot: one request, one run of the delivery agent. */
struct delivery {
  int used;
  size_t job;
  size_t n;            /* recipients in the request */
  struct member *m;    /* room for chan_batch[c], in request order */
};

/* A recipient report (doc/INTERNALS.md) kept until the message report. */
struct rcptreport {
  char letter;
  str text;
};

struct chan {
  int alive;
  unsigned int used;           /* slots under way: requests, not recipients */
  struct delivery *d;          /* auto_spawn slots */
  str req;                     /* a request not yet written */
  size_t reqpos;
  /* The result being read. */
  unsigned int slotbytes, slot;
  int discard;                 /* for no delivery of ours: skip it */
  str report;                  /* letter and text, up to its NUL */
  size_t rcptreports;          /* so far; stops at one more than the request's */
  struct rcptreport *rr;       /* the first chan_batch[c] of them */
};

static struct chan ch[CHANNELS];
static unsigned long long masterdelid = 1;

static void del_status(void)
{
  log_put("status:");
  for (int c = 0; c < CHANNELS; ++c) {
    log_put(chan_status[c]);
    log_num(ch[c].used);
    log_put("/");
    log_num(ctl.conc[c]);
  }
  if (exitasap) log_put(" exitasap");
  log_end();
}

static void spawndied(int c)
{
  log_line("alert: oh no! lost spawn connection! dying...", (char *)0);
  ch[c].alive = 0;
  exitasap = 1;
}

static int del_canexit(void)
{
  for (int c = 0; c < CHANNELS; ++c)
    if (ch[c].alive && ch[c].used) return 0;
  return 1;
}

static int del_avail(int c)
{
  return ch[c].alive && !ch[c].req.len && ch[c].used < ctl.conc[c];
}

/* Write what we can of the pending request (fds 1 and 3 never block). */
static void comm_flush(int c)
{
  struct chan *k = &ch[c];
  while (k->reqpos < k->req.len) {
    ssize_t w = write(chan_fdout[c], k->req.s + k->reqpos, k->req.len - k->reqpos);
    if (w == -1) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) spawndied(c);
      return;
    }
    k->reqpos += (size_t)w;
  }
  k->req.len = k->reqpos = 0;
}

/* A free slot of channel c (del_avail() was checked). */
static unsigned int del_free(int c)
{
  unsigned int i;
  for (i = 0; ch[c].d[i].used; ++i) continue;
  return i;
}

/* Start the request of slot i of channel c for job j, its recipients
 * already in d->m[0..d->n); 0 out of memory. */
static int del_start(int c, unsigned int i, size_t j)
{
  static str sender = STR_INIT;
  struct job *jo = &jobs[j];
  struct chan *k = &ch[c];
  struct delivery *d = &k->d[i];

  /* The sender as the first recipient sees it: the same for all of a
   * request's recipients, as only a VERP sender differs from one
   * recipient to the next, and its requests carry one each. */
  if (!rewrite_sender(&sender, jo->sender.s, jo->sender.len, d->m[0].recip.s, d->m[0].recip.len))
    return 0;
  k->req.len = k->reqpos = 0;
  if (!(str_putc(&k->req, (char)(i >> 8)) && str_putc(&k->req, (char)(i & 255)) &&
        str_catnum(&k->req, jo->id) && str_putc(&k->req, 0) &&
        str_catstr(&k->req, &sender) && str_putc(&k->req, 0)))
    goto oom;
  for (size_t r = 0; r < d->n; ++r)
    if (!(str_catstr(&k->req, &d->m[r].recip) && str_putc(&k->req, 0))) goto oom;
  if (!str_putc(&k->req, 0)) goto oom; /* the empty string ends the list */
  d->used = 1;
  d->job = j;
  ++jo->refs;
  ++k->used;
  /* Every recipient is a delivery of its own in the log, numbered in
   * request order, each start followed by a status line as in 1.03. */
  for (size_t r = 0; r < d->n; ++r) {
    d->m[r].delid = masterdelid++;
    log_put("starting delivery ");
    log_num(d->m[r].delid);
    log_put(": msg ");
    log_num(jo->id);
    log_put(chan_to[c]);
    log_safe(d->m[r].recip.s, d->m[r].recip.len);
    log_end();
    del_status();
  }
  comm_flush(c);
  return 1;
oom:
  k->req.len = 0;
  return 0;
}

/* The checkpoints of one request: the T of each recipient done for good
 * becomes D in its channel file; the file is synced at the end of the
 * round (sync_round), once however many requests of the message had
 * their results then. A pending message's are marked in memory: a crash
 * has it preprocessed again anyway. */
struct marks {
  int fd;              /* -1 until the first mark, -2 if it would not open */
  int count;           /* marks written */
};

static void mark_done(struct marks *mk, int c, unsigned long long id, off_t mpos)
{
  static str fn = STR_INIT;
  struct pending *p = pending_of(id);

  if (p) {
    if ((size_t)mpos < p->chan[c].len) p->chan[c].s[mpos] = 'D';
    return;
  }
  qname(&fn, chan_dir[c], id, 1);
  if (mk->fd == -1 && (mk->fd = open_write(fn.s)) == -1) mk->fd = -2;
  if (mk->fd >= 0) {
    ssize_t w;
    do w = pwrite(mk->fd, "D", 1, mpos); while (w == -1 && errno == EINTR);
    if (w == 1) {
      ++mk->count;
      return;
    }
  }
  log_line("warning: trouble marking ", fn.s, "; message will be delivered twice!", (char *)0);
}

/* Channel files with checkpoints written this round, each open once:
 * at most one per delivery slot, as a slot's request has one result. */
struct dirty {
  int fd;
  int c;
  unsigned long long id;
};
static struct dirty *dirty;
static size_t ndirty;

static void sync_one(const struct dirty *d)
{
  static str fn = STR_INIT;
  if (fsync(d->fd) == -1) {
    qname(&fn, chan_dir[d->c], d->id, 1);
    log_line("warning: trouble marking ", fn.s, "; message will be delivered twice!", (char *)0);
  }
  close(d->fd);
}

static void marks_finish(struct marks *mk, int c, unsigned long long id)
{
  if (mk->fd < 0) return;
  for (size_t i = 0; mk->count && i < ndirty; ++i)
    if (dirty[i].id == id && dirty[i].c == c) mk->count = 0; /* its sync covers these */
  if (!mk->count) {
    close(mk->fd);
    return;
  }
  dirty[ndirty].fd = mk->fd;
  dirty[ndirty].c = c;
  dirty[ndirty].id = id;
  ++ndirty;
}

/* The end of a round: every checkpoint written in it made durable. */
static void sync_round(void)
{
  for (size_t i = 0; i < ndirty; ++i) sync_one(&dirty[i]);
  ndirty = 0;
}

enum outcome { DELIVERED, DEFERRED, FAILED, MANGLED };

static const char too_long[] = "I'm not going to try again; this message has been in the queue too long.\n";

/* The fate of one recipient of a request, by the rule of
 * doc/INTERNALS.md, from its recipient report rep (0 when the spawner
 * sent none for it) and the message report (letter K, Z or D, and
 * mtext); what to log and bounce goes into text. */
static enum outcome del_outcome(int c, const struct rcptreport *rep, char letter,
                                const char *mtext, size_t mlen, int dying, str *text)
{
  enum outcome o;

  for (;;) {
    text->len = 0;
    if (letter == 'Z' || letter == 'D') {
      size_t keep = mlen;
      o = letter == 'Z' ? DEFERRED : FAILED;
      if (rep && (rep->letter == 's' || rep->letter == 'h')) {
        /* As qmail-1.03's qmail-rspawn: a rejected recipient's letter
         * decides (a 4xx RCPT then "Giving up" is a deferral), and its
         * text comes first, followed by the message report's text unless
         * that one is milder (h then Z). */
        o = rep->letter == 's' ? DEFERRED : FAILED;
        if (!str_catstr(text, &rep->text)) goto oom;
        if (rep->letter == 'h' && letter == 'Z') keep = 0;
      }
      if (!str_cat(text, mtext, keep)) goto oom;
    } else if (!rep) {
      /* No word on the recipient: fine from qmail-lspawn, which sends
       * none; from qmail-rspawn it cannot count as delivered. */
      o = c == 0 ? DELIVERED : DEFERRED;
      if (!str_cat(text, mtext, mlen)) goto oom;
    } else {
      o = rep->letter == 'r' ? DELIVERED : rep->letter == 'h' ? FAILED : DEFERRED;
      if (!str_catstr(text, &rep->text)) goto oom;
      if (o == DELIVERED && !str_cat(text, mtext, mlen)) goto oom;
    }
    if (o == DEFERRED && dying) {
      o = FAILED;
      if (!str_cats(text, too_long)) goto oom;
    }
    return o;
  oom:
    nomem();
  }
}

/* A whole result for slot: for each recipient in request order decide,
 * log, checkpoint; then release the slot. */
static void del_done(int c, char letter, const char *mtext, size_t mlen)
{
  static str text = STR_INIT;
  struct chan *k = &ch[c];
  struct delivery *d = &k->d[k->slot];
  struct job *jo = &jobs[d->job];
  /* Recipient reports beyond the request's recipients make the whole
   * result meaningless: which report is whose? */
  int mangled = (letter != 'K' && letter != 'Z' && letter != 'D') || k->rcptreports > d->n;
  struct marks mk = { -1, 0 };

  --k->used; /* the agent's run is over: the status lines below say so */
  for (size_t r = 0; r < d->n; ++r) {
    struct member *m = &d->m[r];
    enum outcome o = mangled ? MANGLED
                             : del_outcome(c, r < k->rcptreports ? &k->rr[r] : 0, letter, mtext,
                                           mlen, jo->dying, &text);
    log_put("delivery ");
    log_num(m->delid);
    switch (o) {
    case DELIVERED:
      log_put(": success: ");
      log_safe(text.s, text.len);
      log_end();
      mark_done(&mk, c, jo->id, m->mpos);
      --jo->numtodo;
      break;
    case DEFERRED:
      log_put(": deferral: ");
      log_safe(text.s, text.len);
      log_end();
      /* for a delay notice, should this pass end one */
      if (ctl.queuewarn && ++jo->ndelays <= DELAYS_SHOWN &&
          !bounce_paragraph(&jo->delays, m->recip.s, text.s, text.len))
        nomem();
      break;
    case FAILED:
      log_put(": failure: ");
      log_safe(text.s, text.len);
      log_end();
      addbounce(jo->id, m->recip.s, text.s, text.len);
      mark_done(&mk, c, jo->id, m->mpos);
      --jo->numtodo;
      break;
    case MANGLED:
      log_put(": report mangled, will defer");
      log_end();
      break;
    }
    del_status();
  }
  marks_finish(&mk, c, jo->id);
  job_close(d->job);
  d->used = 0;
}

/* One report (k->report: letter, text) has arrived whole. */
static void del_report(int c)
{
  struct chan *k = &ch[c];
  char letter = k->report.len ? k->report.s[0] : 0;
  const char *text = k->report.len ? k->report.s + 1 : "";
  size_t tlen = k->report.len ? k->report.len - 1 : 0;

  if (letter == 'r' || letter == 'h' || letter == 's') {
    /* A recipient report, for the request's next recipient: the message
     * report still follows. One report too many is all del_done needs
     * to know of the excess. */
    if (!k->discard) {
      size_t n = k->d[k->slot].n;
      if (k->rcptreports < n) {
        k->rr[k->rcptreports].letter = letter;
        while (!str_copy(&k->rr[k->rcptreports].text, text, tlen)) nomem();
      }
      if (k->rcptreports <= n) ++k->rcptreports;
    }
    k->report.len = 0;
    return;
  }
  if (!k->discard) del_done(c, letter, text, tlen);
  k->slotbytes = k->slot = 0;
  k->discard = 0;
  k->rcptreports = 0;
  k->report.len = 0;
}

static void del_read(int c)
{
  struct chan *k = &ch[c];
  char buf[4096];
  ssize_t r = read(chan_fdin[c], buf, sizeof buf);
  size_t pos = 0;

  if (r == -1) {
    if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) spawndied(c);
    return;
  }
  if (r == 0) {
    spawndied(c);
    return;
  }
  while (pos < (size_t)r) {
    const char *nul;
    size_t take, room;

    if (k->slotbytes < 2) {
      k->slot = (k->slot << 8) | (unsigned char)buf[pos++];
      if (++k->slotbytes == 2 && (k->slot >= auto_spawn || !k->d[k->slot].used)) {
        log_line("warning: internal error: delivery report out of range", (char *)0);
        k->discard = 1;
      }
      continue;
    }
    nul = memchr(buf + pos, 0, (size_t)r - pos);
    take = nul ? (size_t)(nul - (buf + pos)) : (size_t)r - pos;
    /* Keep at most the letter and REPORT_MAX bytes of text. */
    room = REPORT_MAX + 1 > k->report.len ? REPORT_MAX + 1 - k->report.len : 0;
    while (!str_cat(&k->report, buf + pos, take < room ? take : room)) nomem();
    pos += take;
    if (!nul) break;
    ++pos;
    del_report(c);
  }
}

/* ------------------------------------------------------------- passes */

/* A recipient read by a pass, until it is in a request. */
struct wentry {
  off_t mpos;          /* where its T is */
  size_t pos, len;     /* the address: wbuf.s[pos .. pos + len) */
  size_t dom;          /* where its domain starts; 0: it shares no request */
  unsigned long hash;  /* of the domain, ASCII case ignored */
  int taken;           /* put in a request (or passed over for lack of memory) */
};

/* A pass reads its channel file a window at a time: up to chan_window[c]
 * recipients (and WINDOW_BYTES), which it hands out in requests of up to
 * batch recipients sharing one domain, and only then reads on. */
struct pass {
  int active;
  size_t job;
  int fd;
  off_t mpos;          /* offset of the next record */
  int more;            /* no end of file or trouble yet: read on */
  unsigned int batch;  /* recipients per request for this message */
  struct wentry *w;    /* the window */
  size_t wn, wnext;    /* its recipients; the first not taken */
  str wbuf;            /* their addresses */
  iobuf b;
  char space[1024];
};

static struct pass pass[CHANNELS];

static void pass_end(int c)
{
  if (pass[c].fd != -1) close(pass[c].fd);
  pass[c].active = 0;
  job_close(pass[c].job);
}

/* Message id has just been committed: a pass reading its records from
 * memory reads the rest from the file now written, from where it is. */
static void pass_to_file(unsigned long long id)
{
  static str fn = STR_INIT;

  for (int c = 0; c < CHANNELS; ++c) {
    struct pass *p = &pass[c];
    if (!p->active || p->fd != -1 || jobs[p->job].id != id || !p->more) continue;
    qname(&fn, chan_dir[c], id, 1);
    p->fd = open_read(fn.s);
    if (p->fd != -1 && lseek(p->fd, p->mpos, SEEK_SET) == p->mpos) {
      io_init(&p->b, io_read, p->fd, p->space, sizeof p->space);
      continue;
    }
    if (p->fd != -1) close(p->fd);
    p->fd = -1;
    /* the pass ends with its window: the rest waits for the next one */
    log_line("warning: trouble reading ", fn.s, "; will try again later", (char *)0);
    p->more = 0;
  }
}

/* The next record of channel c's pass, into line: IO_LINE, IO_EOF, or an
 * error. A pending message's records are read from memory. */
static int pass_record(int c, str *line)
{
  struct pass *p = &pass[c];
  const struct pending *pe;
  const char *start, *nul;

  line->len = 0;
  if (p->fd != -1) return io_getline(&p->b, line, 0, REC_MAX);
  pe = pending_of(jobs[p->job].id);
  if (!pe || (size_t)p->mpos >= pe->chan[c].len) return IO_EOF;
  start = pe->chan[c].s + p->mpos;
  nul = memchr(start, 0, pe->chan[c].len - (size_t)p->mpos);
  if (!nul) return IO_EOF;
  return str_cat(line, start, (size_t)(nul - start) + 1) ? IO_LINE : IO_ERR;
}

/* Start a pass on channel c if a message is due; 1 if one is active. */
static int pass_open(int c)
{
  static str fn = STR_INIT;
  struct pass *p = &pass[c];
  struct sched_item it;
  struct job *jo;
  time_t birth;

  if (p->active) return 1;
  if (!ctl.conc[c] || !job_avail()) return 0;
  if (!sched_min(&pqchan[c], &it) || it.when > recent) return 0;
  sched_delmin(&pqchan[c]);
  qname(&fn, chan_dir[c], it.id, 1);
  /* a pending message's records are in memory */
  p->fd = pending_of(it.id) ? -1 : open_read(fn.s);
  if (p->fd != -1 || pending_of(it.id)) {
    p->job = job_open(it.id, c);
    jo = &jobs[p->job];
    if (getinfo(it.id, &jo->sender, &birth)) {
      jo->retry = sched_nextretry(birth, recent, chan_skip[c]);
      jo->dying = recent > birth && (unsigned long long)(recent - birth) > ctl.lifetime;
      jo->birth = birth;
      /* Several recipients per request only for remote mail, with
       * batching on, and not for a VERP sender: it names the recipient,
       * so no two recipients share it. */
      p->batch = ctl.remotebatch && !rewrite_isverp(jo->sender.s, jo->sender.len) ? chan_batch[c] : 1;
      p->more = 1;
      p->wn = p->wnext = 0;
      p->mpos = 0;
      if (p->fd != -1) io_init(&p->b, io_read, p->fd, p->space, sizeof p->space);
      p->active = 1;
      return 1;
    }
    jo->used = 0;
    if (p->fd != -1) close(p->fd);
  }
  log_line("warning: trouble opening ", fn.s, "; will try again later", (char *)0);
  pq_insert(&pqchan[c], recent + SLEEP_SYSFAIL, it.id);
  return 0;
}

static unsigned char lower(unsigned char x) { return x >= 'A' && x <= 'Z' ? (unsigned char)(x + 32) : x; }

/* Where the domain of addr (len bytes) starts: after its last '@'. 0 if
 * addr may share no request: it has no '@' (qmail-rspawn wants one in
 * each), or it is longer than qmail-rspawn takes, so that it alone
 * fails. With *hash the domain's hash, ASCII case ignored, as qmail-rspawn
 * compares domains. */
static size_t domain_at(const char *addr, size_t len, unsigned long *hash)
{
  size_t i = len;

  *hash = 5381;
  if (len > RSPAWN_STRING_MAX) return 0;
  while (i && addr[i - 1] != '@') --i;
  for (size_t j = i; j < len; ++j) *hash = (*hash * 33) ^ lower((unsigned char)addr[j]);
  return i;
}

/* Refill channel c's (used up) window from the file: as many
 * recipients as it holds, with batch 1 just one, as qmail-1.03 reads.
 * The end of the file or trouble ends the reading, and the pass once the
 * window is used up. */
static void pass_fill(int c)
{
  static str fn = STR_INIT, line = STR_INIT;
  struct pass *p = &pass[c];
  struct job *jo = &jobs[p->job];
  size_t cap = p->batch > 1 ? chan_window[c] : 1;

  p->wn = p->wnext = 0;
  p->wbuf.len = 0;
  while (p->more && p->wn < cap && p->wbuf.len < WINDOW_BYTES) {
    int r;

    r = pass_record(c, &line);
    if (r == IO_ERR || r == IO_TOOLONG) {
      qname(&fn, chan_dir[c], jo->id, 1);
      log_line("warning: trouble reading ", fn.s, "; will try again later", (char *)0);
      p->more = 0;
      return;
    }
    if (r == IO_EOF) { /* a record cut short by a crash counts as absent */
      jo->hiteof = 1;
      p->more = 0;
      return;
    }
    if (line.s[0] == 'T') {
      /* Counted as left to do until its delivery ends for good; if it
       * cannot even start, it simply waits for the next pass. */
      ++jo->numtodo;
      if (str_cat(&p->wbuf, line.s + 1, line.len - 2)) {
        struct wentry *e = &p->w[p->wn++];
        e->mpos = p->mpos;
        e->len = line.len - 2;
        e->pos = p->wbuf.len - e->len;
        e->dom = domain_at(line.s + 1, e->len, &e->hash);
        e->taken = 0;
      } else {
        nomem();
      }
    } else if (line.s[0] != 'D') {
      qname(&fn, chan_dir[c], jo->id, 1);
      log_line("warning: unknown record type in ", fn.s, "!", (char *)0);
      p->more = 0;
      return;
    }
    p->mpos += (off_t)line.len;
  }
}

/* 1 if window entries a and b may share a request: both may share one,
 * at the same domain, ASCII case ignored (qmail-rspawn's rule). */
static int same_domain(const struct pass *p, const struct wentry *a, const struct wentry *b)
{
  const char *x = p->wbuf.s + a->pos + a->dom, *y = p->wbuf.s + b->pos + b->dom;
  size_t n = a->len - a->dom;

  if (!a->dom || !b->dom || a->hash != b->hash || b->len - b->dom != n) return 0;
  for (size_t i = 0; i < n; ++i)
    if (lower((unsigned char)x[i]) != lower((unsigned char)y[i])) return 0;
  return 1;
}

/* Start one request from channel c's window: its first recipient not
 * yet taken and, in window order, every later one at the same domain,
 * up to the pass's batch. */
static void pass_batch(int c)
{
  struct pass *p = &pass[c];
  unsigned int i = del_free(c);
  struct delivery *d = &ch[c].d[i];
  const struct wentry *first = &p->w[p->wnext];

  d->n = 0;
  for (size_t x = p->wnext; x < p->wn && d->n < p->batch; ++x) {
    struct wentry *e = &p->w[x];
    if (e->taken) continue;
    if (d->n && !same_domain(p, first, e)) continue;
    e->taken = 1;
    if (!str_copy(&d->m[d->n].recip, p->wbuf.s + e->pos, e->len)) {
      nomem(); /* these wait for the next pass */
      return;
    }
    d->m[d->n++].mpos = e->mpos;
  }
  if (!del_start(c, i, p->job)) nomem();
}

/* Read channel c's pass on as far as requests can be started. */
static void pass_dochan(int c)
{
  struct pass *p = &pass[c];

  if (exitasap || !ch[c].alive || !pass_open(c)) return;
  while (p->active && del_avail(c)) {
    while (p->wnext < p->wn && p->w[p->wnext].taken) ++p->wnext;
    if (p->wnext < p->wn) pass_batch(c);
    else if (p->more) pass_fill(c);
    else pass_end(c);
  }
}

/* --------------------------------------------------------------- todo */

static struct scan todoscan;
static int todo_scanning;
static int todo_wanted;   /* the trigger was pulled */
static time_t nexttodorun;

/* qmail-queue pulls lock/trigger, a named pipe, after each message. One
 * that is missing, is something else, or that qmail-queue may not be able
 * to open (the owner, group or mode of hier.c) would leave new mail
 * waiting for the next scan of todo/, 25 minutes on: qmail-send says so,
 * once, and looks at todo/ every SLEEP_TRIGGERLESS seconds until make
 * setup puts it right. It looks at the trigger every SLEEP_TRIGGERCHECK
 * seconds (as often as at todo/ while it is wrong), and opens it again
 * when it is a named pipe other than the one it has open. */
#define SLEEP_TRIGGERLESS 5
#define SLEEP_TRIGGERCHECK 60

static int triggerfd = -1;
static dev_t triggerdev;
static ino_t triggerino;
static const char *triggerwrong; /* what is wrong with it now, or 0 */
static time_t nexttriggercheck;

static void trigger_drain(void)
{
  char buf[64];
  while (read(triggerfd, buf, sizeof buf) > 0) continue;
  todo_wanted = 1;
}

static void trigger_check(void)
{
  const char *wrong = 0;
  struct stat st;
  int fifo = 0;

  if (stat("lock/trigger", &st) == -1)
    wrong = errno == ENOENT ? "is missing" : "cannot be looked at";
  else if (!(fifo = S_ISFIFO(st.st_mode)))
    wrong = "is not a named pipe";
  else if (st.st_uid != auto_uids || st.st_gid != auto_gidq || (st.st_mode & 07777) != 0622)
    wrong = "has the wrong owner, group or mode, so qmail-queue may not reach it";
  /* the named pipe there is the one to listen to (a file that is none
   * would always read as pulled) */
  if (triggerfd != -1 && (!fifo || st.st_dev != triggerdev || st.st_ino != triggerino)) {
    close(triggerfd);
    triggerfd = -1;
  }
  if (triggerfd == -1 && fifo) {
    triggerfd = open("lock/trigger", O_RDWR | O_NONBLOCK);
    if (triggerfd != -1 && fstat(triggerfd, &st) == 0 && S_ISFIFO(st.st_mode)) {
      fd_cloexec(triggerfd, 1);
      triggerdev = st.st_dev;
      triggerino = st.st_ino;
    } else if (triggerfd != -1) {
      close(triggerfd);
      triggerfd = -1;
    }
    if (triggerfd == -1 && !wrong) wrong = "cannot be opened";
  }
  if (wrong && wrong != triggerwrong)
    log_line("alert: queue/lock/trigger ", wrong, "; looking at todo/ every few seconds until "
             "make setup check repairs it", (char *)0);
  if (wrong && nexttodorun > recent + SLEEP_TRIGGERLESS) nexttodorun = recent + SLEEP_TRIGGERLESS;
  triggerwrong = wrong;
  nexttriggercheck = recent + (wrong ? SLEEP_TRIGGERLESS : SLEEP_TRIGGERCHECK);
}

/* What preprocessing makes of a message: its channel records and its
 * info record, in memory while they fit in PENDING_BYTES (the message is
 * then pending), else in files (and it is committed at once). */
struct prep {
  unsigned long long id;
  int spilled;                   /* the records go to files */
  size_t bytes;                  /* in memory */
  str rec[CHANNELS + 1];         /* the channels', then info's */
  int fd[CHANNELS + 1];
  iobuf b[CHANNELS + 1];
  char space[CHANNELS + 1][1024];
};

static const char *prep_dir(int k) { return k < CHANNELS ? chan_dir[k] : "info"; }

static int prep_trouble(const struct prep *pr, int k, const char *what)
{
  static str fn = STR_INIT;
  qname(&fn, prep_dir(k), pr->id, 1);
  log_line("warning: ", what, fn.s, (char *)0);
  return 0;
}

/* Create file k (todo_one removed any leftover of it). */
static int prep_file(struct prep *pr, int k)
{
  static str fn = STR_INIT;
  qname(&fn, prep_dir(k), pr->id, 1);
  pr->fd[k] = open_excl(fn.s);
  if (pr->fd[k] == -1) return prep_trouble(pr, k, "unable to create ");
  io_init(&pr->b[k], io_write, pr->fd[k], pr->space[k], sizeof pr->space[k]);
  return 1;
}

/* From memory to files: the records so far, and every one after them
 * (info's file is made even when it has none). */
static int prep_spill(struct prep *pr)
{
  pr->spilled = 1;
  for (int k = 0; k <= CHANNELS; ++k) {
    if (k < CHANNELS && !pr->rec[k].len) continue;
    if (!prep_file(pr, k)) return 0;
    if (pr->rec[k].len && io_put(&pr->b[k], pr->rec[k].s, pr->rec[k].len) == -1)
      return prep_trouble(pr, k, "trouble writing to ");
    str_free(&pr->rec[k]);
  }
  return 1;
}

/* Add n bytes at s to records k: 1, or 0 with a warning logged. */
static int prep_put(struct prep *pr, int k, const char *s, size_t n)
{
  if (!pr->spilled) {
    /* short of memory, the files will do */
    if (pr->bytes + n <= PENDING_BYTES && str_cat(&pr->rec[k], s, n)) {
      pr->bytes += n;
      return 1;
    }
    if (!prep_spill(pr)) return 0;
  }
  if (pr->fd[k] == -1 && !prep_file(pr, k)) return 0;
  if (io_put(&pr->b[k], s, n) == -1) return prep_trouble(pr, k, "trouble writing to ");
  return 1;
}

/* The files of a message that did not fit in memory: flushed and
 * synced, each with its directory, before todo/N goes. */
static int prep_commit(struct prep *pr)
{
  static str dir = STR_INIT;
  for (int k = 0; k <= CHANNELS; ++k) {
    if (pr->fd[k] == -1) continue;
    if (io_flush(&pr->b[k]) == -1) return prep_trouble(pr, k, "trouble writing to ");
    if (fsync(pr->fd[k]) == -1) return prep_trouble(pr, k, "trouble fsyncing ");
    close(pr->fd[k]);
    pr->fd[k] = -1;
    qsubdir(&dir, prep_dir(k), pr->id);
    if (fd_syncdir(dir.s) == -1) {
      log_line("warning: trouble fsyncing ", dir.s, (char *)0);
      return 0;
    }
  }
  return clean("todo", pr->id);
}

/* The letter of recipient rw (as it goes into channel c): D if the next
 * record of the old channel file (fdold[c], read through old[c]) is D
 * and this same address, else T; after a record that differs, the old
 * file says nothing more. */
static const char *carried(int fdold[], iobuf old[], int c, str *prev, const str *rw)
{
  if (fdold[c] == -1) return "T";
  prev->len = 0;
  if (io_getline(&old[c], prev, 0, REC_MAX) == IO_LINE && prev->len == rw->len + 2 &&
      (prev->s[0] == 'T' || prev->s[0] == 'D') && !memcmp(prev->s + 1, rw->s, rw->len + 1))
    return prev->s[0] == 'D' ? "D" : "T";
  close(fdold[c]);
  fdold[c] = -1;
  return "T";
}

/* Preprocess todo/N: the info record and the channel records from the
 * envelope, kept in memory (pending) or written to info/, local/ and
 * remote/ (committed). */
static void todo_one(unsigned long long id)
{
  static str fn = STR_INIT, line = STR_INIT, rw = STR_INIT, prev = STR_INIT;
  static struct prep pr;
  char inspace[IO_INSIZE], oldspace[CHANNELS][1024];
  iobuf in, old[CHANNELS];
  int fd, fdold[CHANNELS], made[CHANNELS];
  unsigned long long uid = 0, pid = 0;
  char n[NUM_ULL_DIGITS + 1];
  struct stat st;
  int c, k;

  if (pending_of(id)) return; /* preprocessed already, todo/N kept */
  pr.id = id;
  pr.spilled = 0;
  pr.bytes = 0;
  for (k = 0; k <= CHANNELS; ++k) pr.rec[k].len = 0, pr.fd[k] = -1;
  for (c = 0; c < CHANNELS; ++c) fdold[c] = -1;
  n[num_fmt(n, id)] = 0;
  qname(&fn, "todo", id, 0);
  fd = open_read(fn.s);
  if (fd == -1) {
    /* gone: a pending message done since the scan listed it */
    if (errno != ENOENT) log_line("warning: unable to open ", fn.s, (char *)0);
    return;
  }
  qname(&fn, "mess", id, 1);
  if (stat(fn.s, &st) == -1) {
    log_line("warning: unable to stat ", fn.s, (char *)0);
    goto fail;
  }
  /* Files an earlier run left (it stopped while committing the message,
   * or before the todo/N of one committed at once was removed) are
   * replaced, and their channel records read as the new ones are made: a
   * recipient with the same record there, in the same place, keeps its
   * D. A D is written only once its delivery is over (a failure's bounce
   * paragraph synced before); anything else there, or nothing, gives T:
   * it is delivered again. */
  for (k = 0; k <= CHANNELS; ++k) { /* the channel files, then info */
    qname(&fn, prep_dir(k), id, 1);
    if (k < CHANNELS && (fdold[k] = open_read(fn.s)) != -1)
      io_init(&old[k], io_read, fdold[k], oldspace[k], sizeof oldspace[k]);
    if (unlink(fn.s) == -1 && errno != ENOENT) {
      log_line("warning: unable to unlink ", fn.s, (char *)0);
      goto fail;
    }
  }
  /* With no channel file left every recipient is tried again, and a
   * failure's paragraph comes back with it: a bounce left from a run that
   * stopped while the message was pending goes. */
  qname(&fn, "bounce", id, 0);
  if (fdold[0] == -1 && fdold[1] == -1 && unlink(fn.s) == -1 && errno != ENOENT) {
    log_line("warning: unable to unlink ", fn.s, (char *)0);
    goto fail;
  }
  log_line("new msg ", n, (char *)0);

  io_init(&in, io_read, fd, inspace, sizeof inspace);
  for (;;) {
    int r;
    line.len = 0;
    r = io_getline(&in, &line, 0, REC_MAX);
    if (r == IO_EOF) break; /* a record without its NUL is ignored */
    if (r != IO_LINE) {
      qname(&fn, "todo", id, 0);
      log_line("warning: trouble reading ", fn.s, (char *)0);
      goto fail;
    }
    switch (line.s[0]) {
    case 'u':
      num_scan(line.s + 1, line.len - 1, &uid);
      break;
    case 'p':
      num_scan(line.s + 1, line.len - 1, &pid);
      break;
    case 'F':
      if (!prep_put(&pr, CHANNELS, line.s, line.len)) goto fail;
      log_put("info msg ");
      log_put(n);
      log_put(": bytes ");
      log_num((unsigned long long)st.st_size);
      log_put(" from <");
      log_safe(line.s + 1, line.len - 2);
      log_put("> qp ");
      log_num(pid);
      log_put(" uid ");
      log_num(uid);
      log_end();
      break;
    case 'T':
      switch (rewrite_recipient(&ctl.rw, line.s + 1, line.len - 2, &rw)) {
      case 0:
        nomem();
        goto fail;
      case REWRITE_LOCAL:
        c = 0;
        break;
      default:
        c = 1;
        break;
      }
      if (rw.len + 2 > REC_MAX) { /* could never be read back */
        qname(&fn, "todo", id, 0);
        log_line("warning: trouble reading ", fn.s, (char *)0);
        goto fail;
      }
      if (!prep_put(&pr, c, carried(fdold, old, c, &prev, &rw), 1) ||
          !prep_put(&pr, c, rw.s, rw.len + 1))
        goto fail;
      break;
    default:
      qname(&fn, "todo", id, 0);
      log_line("warning: unknown record type in ", fn.s, (char *)0);
      goto fail;
    }
  }
  close(fd);
  fd = -1;
  for (c = 0; c < CHANNELS; ++c) {
    if (fdold[c] != -1) close(fdold[c]), fdold[c] = -1;
    made[c] = pr.spilled ? pr.fd[c] != -1 : pr.rec[c].len > 0;
  }

  if (pr.spilled) {
    if (!prep_commit(&pr)) goto fail;
  } else {
    struct pending *p = &pend[npend++]; /* todo_do saw to the room */
    p->id = id;
    p->due = recent + PENDING_AGE;
    p->birth = recent;
    p->made = (made[0] ? 1u : 0) | (made[1] ? 2u : 0);
    p->done = 0;
    p->wrote = p->ended = 0;
    /* the records move into it; no F record reads as an empty sender,
     * as an empty info file does */
    p->info = pr.rec[CHANNELS];
    for (c = 0; c < CHANNELS; ++c) p->chan[c] = pr.rec[c];
    for (k = 0; k <= CHANNELS; ++k) pr.rec[k] = (str)STR_INIT;
    if (!p->info.len)
      while (!str_copy(&p->info, "F", 2)) nomem();
  }

  for (c = 0; c < CHANNELS; ++c)
    if (made[c]) pq_insert(&pqchan[c], recent, id);
  if (!made[0] && !made[1]) pq_insert(&pqdone, recent, id);
  return;
fail:
  if (fd != -1) close(fd);
  for (k = 0; k <= CHANNELS; ++k) {
    if (pr.fd[k] != -1) close(pr.fd[k]);
    str_free(&pr.rec[k]);
  }
  for (c = 0; c < CHANNELS; ++c)
    if (fdold[c] != -1) close(fdold[c]);
}

static void todo_do(void)
{
  unsigned long long id;

  if (exitasap || npend == PENDING_MAX) return; /* preprocessing waits, see "pending" */
  if (!todo_scanning) {
    if (!todo_wanted && recent < nexttodorun) return;
    todo_wanted = 0;
    scan_start(&todoscan, "todo", 0, 0);
    todo_scanning = 1;
    nexttodorun = recent + (triggerwrong ? SLEEP_TRIGGERLESS : SLEEP_TODO);
  }
  switch (scan_next(&todoscan, &id)) {
  case 1:
    todo_one(id);
    return;
  case -1:
    log_line("alert: unable to opendir todo, will try again in ten seconds", (char *)0);
    nexttodorun = recent + SLEEP_DIRFAIL;
    break;
  }
  scan_stop(&todoscan);
  todo_scanning = 0;
}

/* ------------------------------------------------------------ cleanup */

static struct scan cleanscan;
static int cleanup_scanning;
static time_t cleanuptime;

/* Remove one mess/ file that nothing refers to any more, if old. */
static void cleanup_do(void)
{
  static str fn = STR_INIT;
  unsigned long long id;
  struct stat st;

  if (!clean_alive) return;
  if (!cleanup_scanning) {
    if (recent < cleanuptime) return;
    scan_start(&cleanscan, "mess", 1, 0);
    cleanup_scanning = 1;
  }
  if (scan_next(&cleanscan, &id) != 1) {
    scan_stop(&cleanscan);
    cleanup_scanning = 0;
    cleanuptime = recent + SLEEP_CLEANUP;
    return;
  }
  qname(&fn, "mess", id, 1);
  if (stat(fn.s, &st) == -1) return; /* gone meanwhile */
  if (recent <= st.st_mtime + OSSIFIED) return;
  qname(&fn, "info", id, 1);
  if (stat(fn.s, &st) == 0 || errno != ENOENT) return;
  qname(&fn, "todo", id, 0);
  if (stat(fn.s, &st) == 0 || errno != ENOENT) return;
  clean("foop", id);
}

/* --------------------------------------------------------------- main */

static void pass_do(void)
{
  struct sched_item it;

  for (int c = 0; c < CHANNELS; ++c) pass_dochan(c);
  if (sched_min(&pqfail, &it) && it.when <= recent) {
    sched_delmin(&pqfail);
    pqadd(it.id);
  }
  /* every message that is done, at once: until then a crash would have
   * a pending one delivered again */
  while (sched_min(&pqdone, &it) && it.when <= recent) {
    sched_delmin(&pqdone);
    messdone(it.id);
  }
}

/* The earliest time anything is due. */
static time_t wakeup(void)
{
  time_t w = recent + SLEEP_FOREVER;
  struct sched_item it;

#define SOONER(t) do { if ((t) < w) w = (t); } while (0)
  if (!exitasap) {
    for (int c = 0; c < CHANNELS; ++c) {
      if (!ch[c].alive) continue;
      if (pass[c].active && del_avail(c)) SOONER(recent);
      if (!pass[c].active && ctl.conc[c] && job_avail() && sched_min(&pqchan[c], &it)) SOONER(it.when);
    }
    if (npend < PENDING_MAX) {
      if (todo_scanning || todo_wanted) SOONER(recent);
      SOONER(nexttodorun);
    }
    SOONER(nexttriggercheck);
    for (size_t i = 0; i < npend; ++i) SOONER(pend[i].due);
    if (sched_min(&pqfail, &it)) SOONER(it.when);
    if (sched_min(&pqdone, &it)) SOONER(it.when);
  }
  if (clean_alive) {
    if (cleanup_scanning) SOONER(recent);
    SOONER(cleanuptime);
  }
#undef SOONER
  return w;
}

static void on_signal(int sig)
{
  int saved = errno;
  if (sig == SIGTERM) flag_term = 1;
  if (sig == SIGALRM) flag_alrm = 1;
  if (sig == SIGHUP) flag_hup = 1;
  if (write(selfpipe[1], "", 1) == -1) { /* full: a wakeup is pending anyway */ }
  errno = saved;
}

static void cannot_start(const char *why)
{
  log_line("alert: cannot start: ", why, (char *)0);
  _exit(111);
}

int main(void)
{
  int fd;

  io_init(&logb, io_write, FD_LOG, logspace, sizeof logspace);
  sig_ignore(SIGPIPE);
  sig_default(SIGCHLD);
  if (chdir(auto_qmail) == -1) cannot_start("unable to switch to home directory");
  if (!controls_read(&ctl)) cannot_start("unable to read controls");
  if (chdir("queue") == -1) cannot_start("unable to switch to queue directory");
  umask(077);

  fd = open_write("lock/sendmutex");
  if (fd == -1) cannot_start("unable to open mutex");
  if (lock_exnb(fd) == -1) cannot_start("qmail-send is already running");
  fd_cloexec(fd, 1);

  if (pipe(selfpipe) == -1) cannot_start("unable to create a pipe");
  for (int i = 0; i < 2; ++i) {
    fd_nonblock(selfpipe[i], 1);
    fd_cloexec(selfpipe[i], 1);
  }
  /* The children we start (qmail-queue) need none of the daemon pipes. */
  for (int f = 2; f <= FD_FROMCLEAN; ++f) fd_cloexec(f, 1);
  for (int c = 0; c < CHANNELS; ++c) {
    size_t slots = auto_spawn ? auto_spawn : 1;
    struct member *m;
    if (fd_nonblock(chan_fdout[c], 1) == -1) cannot_start("unable to reach the spawners");
    ch[c].alive = 1;
    while (!(ch[c].d = calloc(slots, sizeof *ch[c].d))) nomem();
    while (!(m = calloc(slots * chan_batch[c], sizeof *m))) nomem();
    for (size_t i = 0; i < slots; ++i) ch[c].d[i].m = m + i * chan_batch[c];
    while (!(ch[c].rr = calloc(chan_batch[c], sizeof *ch[c].rr))) nomem();
    while (!(pass[c].w = calloc(chan_window[c], sizeof *pass[c].w))) nomem();
  }
  numjobs = 2 * auto_spawn + CHANNELS; /* never fewer than we can use */
  while (!(jobs = calloc(numjobs, sizeof *jobs))) nomem();
  while (!(dirty = calloc(CHANNELS * (auto_spawn ? auto_spawn : 1), sizeof *dirty))) nomem();

  sig_catch(SIGTERM, on_signal);
  sig_catch(SIGALRM, on_signal);
  sig_catch(SIGHUP, on_signal);

  recent = time(0);
  pqstart();
  nexttodorun = recent;
  trigger_check();
  cleanuptime = recent;
  del_status();

  for (;;) {
    struct pollfd pfd[2 + 2 * CHANNELS];
    int nfds = 0, ipipe = -1, itrig = -1, iin[CHANNELS], iout[CHANNELS];
    time_t w;
    int r;

    recent = time(0);
    if (flag_term) {
      flag_term = 0;
      exitasap = 1;
    }
    if (flag_alrm) {
      flag_alrm = 0;
      for (int c = 0; c < CHANNELS; ++c) sched_setall(&pqchan[c], recent);
    }
    if (flag_hup) {
      flag_hup = 0;
      reread();
    }
    if (exitasap && del_canexit()) break;

    ipipe = nfds;
    pfd[nfds].fd = selfpipe[0];
    pfd[nfds++].events = POLLIN;
    if (triggerfd != -1 && !exitasap) {
      itrig = nfds;
      pfd[nfds].fd = triggerfd;
      pfd[nfds++].events = POLLIN;
    }
    for (int c = 0; c < CHANNELS; ++c) {
      iin[c] = iout[c] = -1;
      if (!ch[c].alive) continue;
      iin[c] = nfds;
      pfd[nfds].fd = chan_fdin[c];
      pfd[nfds++].events = POLLIN;
      if (ch[c].req.len) {
        iout[c] = nfds;
        pfd[nfds].fd = chan_fdout[c];
        pfd[nfds++].events = POLLOUT;
      }
    }
    w = wakeup();
    r = poll(pfd, (nfds_t)nfds, w <= recent ? 0 : (int)(w - recent + 1) * 1000);
    if (r == -1) {
      if (errno != EINTR) {
        log_line("warning: trouble in select", (char *)0);
        sleep(1);
      }
      continue;
    }
    /* A signal is acted on before anything else (the fds stay ready). */
    if (flag_term || flag_alrm || flag_hup) continue;
    recent = time(0);
    if (pfd[ipipe].revents) {
      char buf[64];
      while (read(selfpipe[0], buf, sizeof buf) > 0) continue;
    }
    for (int c = 0; c < CHANNELS; ++c) {
      if (iout[c] != -1 && pfd[iout[c]].revents && ch[c].alive) comm_flush(c);
      if (iin[c] != -1 && pfd[iin[c]].revents && ch[c].alive) del_read(c);
    }
    if (itrig != -1 && pfd[itrig].revents) trigger_drain();
    if (recent >= nexttriggercheck && !exitasap) trigger_check();
    todo_do();
    pass_do();
    pending_do();
    cleanup_do();
    sync_round();
  }
  /* What is pending gets committed, so that a restart sends nothing twice. */
  for (size_t i = 0; i < npend;)
    if (!pending_commit(&pend[i])) ++i;
  pqfinish();
  log_line("status: exiting", (char *)0);
  _exit(0);
}
