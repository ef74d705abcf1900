/* maildir2mbox: move the messages of a maildir to the end of an mbox
 * (maildir2mbox(1)). Environment: MAILDIR (the maildir), MAIL (the mbox),
 * MAILTMP (a scratch file on the same file system as MAIL); after the
 * chdir to MAILDIR, so relative MAIL and MAILTMP names are taken from
 * there.
 * $MAIL is locked (flock) and copied to $MAILTMP; the messages of new/
 * and cur/ are appended to it, oldest first, each after a From_ line made
 * from its Return-Path line and modification time; $MAILTMP is synced and
 * renamed to $MAIL, and only then are the messages removed.
 * Runs as its caller (the mailbox owner), with no privileges of its own.
 * Untrusted: the messages (any bytes, any line length: copied through
 * fixed buffers, only the first line is read whole, up to FIRSTLINE_MAX
 * bytes). Touches $MAIL, $MAILTMP, the directory holding $MAIL (synced),
 * and the maildir (stale tmp/ files and the messages moved). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "date822.h"
#include "env.h"
#include "err.h"
#include "fd.h"
#include "io.h"
#include "lock.h"
#include "maildir.h"
#include "mbox.h"
#include "open.h"
#include "str.h"

#define FATAL "maildir2mbox: fatal: "
#define WARNING "maildir2mbox: warning: "

/* A first line longer than this is not looked at for a Return-Path. */
#define FIRSTLINE_MAX (1024 * 1024)

static const char *mbox, *mboxtmp;

static void die_nomem(void) { err_die(111, FATAL, "out of memory", (char *)0); }
static void die_write(void) { err_die_sys(111, FATAL, "unable to write to ", mboxtmp, (char *)0); }
static void die_readmsg(const char *fn)
{
  if (errno == ENOMEM) die_nomem();
  err_die_sys(111, FATAL, "unable to read $MAILDIR/", fn, (char *)0);
}

/* The From_ line for a message modified at mtime whose first line is
 * line (0 when the message has no complete first line): "From ADDR
 * DATE\n" with the address of a "Return-Path: <ADDR>" line (its spaces
 * and tabs turned into '-'; MAILER-DAEMON for <>), or "XXX" without one. */
static void make_ufline(str *ufline, const str *line, time_t mtime)
{
  static const char rp[] = "Return-Path: <";
  size_t start = sizeof rp - 1;

  ufline->len = 0;
  if (!str_cats(ufline, "From ")) die_nomem();
  if (!line || line->len <= start || memcmp(line->s, rp, start)) {
    if (!str_cats(ufline, "XXX")) die_nomem();
  } else if (line->s[start] == '>') {
    if (!str_cats(ufline, "MAILER-DAEMON")) die_nomem();
  } else {
    /* what stands between "<" and the line's last two bytes, ">\n" */
    for (size_t i = start; i + 2 < line->len; ++i) {
      char c = line->s[i];
      if (!str_putc(ufline, c == ' ' || c == '\t' ? '-' : c)) die_nomem();
    }
  }
  if (!str_putc(ufline, ' ') || !date822_catctime(ufline, mtime) || !str_putc(ufline, '\n'))
    die_nomem();
}

/* Append message fn (modified at mtime) to out. */
static void append_message(iobuf *out, const char *fn, time_t mtime)
{
  static char space[IO_INSIZE];
  static str line = STR_INIT, ufline = STR_INIT;
  iobuf in;
  mbox_quoter m;
  int fd, r;

  fd = open_read(fn);
  if (fd == -1) die_readmsg(fn);
  io_init(&in, io_read, fd, space, sizeof space);

  line.len = 0;
  r = io_getline(&in, &line, '\n', FIRSTLINE_MAX);
  if (r == IO_ERR) die_readmsg(fn);
  make_ufline(&ufline, r == IO_LINE ? &line : 0, mtime);
  if (io_putstr(out, &ufline) == -1) die_write();

  mbox_start(&m);
  if (mbox_put(&m, out, line.s, line.len) == -1) die_write();
  for (;;) {
    ssize_t n = io_feed(&in);
    if (n < 0) die_readmsg(fn);
    if (n == 0) break;
    if (mbox_put(&m, out, io_peek(&in), (size_t)n) == -1) die_write();
    io_skip(&in, (size_t)n);
  }
  if (mbox_end(&m, out) == -1) die_write();
  close(fd);
}

/* The directory holding file name fn, for syncing after a rename. */
static void dir_of(str *dir, const char *fn)
{
  const char *slash = strrchr(fn, '/');
  int ok;
  if (!slash) ok = str_copys(dir, ".");
  else if (slash == fn) ok = str_copys(dir, "/");
  else ok = str_copy(dir, fn, (size_t)(slash - fn));
  if (!ok) die_nomem();
}

int main(void)
{
  static char oldspace[IO_INSIZE], outspace[IO_OUTSIZE];
  maildir_list l = MAILDIR_LIST_INIT;
  str err = STR_INIT, dir = STR_INIT;
  iobuf old, out;
  int fdlock, fdold, fdnew;
  time_t now;

  umask(077);
  mbox = env_get("MAIL");
  if (!mbox) err_die(111, FATAL, "MAIL not set", (char *)0);
  mboxtmp = env_get("MAILTMP");
  if (!mboxtmp) err_die(111, FATAL, "MAILTMP not set", (char *)0);

  if (maildir_chdir(&err) == -1) err_die(111, FATAL, err.s, (char *)0);
  now = time(0);
  maildir_clean(now);
  if (maildir_scan(&l, 1, 1, now, &err) == -1) err_die(111, FATAL, err.s, (char *)0);
  if (!l.len) { /* nothing new */
    maildir_free(&l);
    return 0;
  }

  fdlock = open_append(mbox);
  if (fdlock == -1 || lock_ex(fdlock) == -1)
    err_die_sys(111, FATAL, "unable to lock ", mbox, (char *)0);
  fdold = open_read(mbox);
  if (fdold == -1) err_die_sys(111, FATAL, "unable to read ", mbox, (char *)0);
  fdnew = open_trunc(mboxtmp);
  if (fdnew == -1) err_die_sys(111, FATAL, "unable to create ", mboxtmp, (char *)0);

  io_init(&old, io_read, fdold, oldspace, sizeof oldspace);
  io_init(&out, io_write, fdnew, outspace, sizeof outspace);
  switch (io_copy(&out, &old)) {
  case IO_COPY_RERR: err_die_sys(111, FATAL, "unable to read ", mbox, (char *)0);
  case IO_COPY_WERR: die_write();
  }
  close(fdold);

  for (size_t i = 0; i < l.len; ++i) append_message(&out, maildir_name(&l, i), l.e[i].mtime);

  if (io_flush(&out) == -1 || fsync(fdnew) == -1 || close(fdnew) == -1) die_write();
  /* Beyond qmail-1.03: the rename is on disk before a message goes. */
  dir_of(&dir, mbox);
  if (rename(mboxtmp, mbox) == -1 || fd_syncdir(dir.s) == -1)
    err_die_sys(111, FATAL, "unable to move ", mboxtmp, " to ", mbox, (char *)0);

  for (size_t i = 0; i < l.len; ++i)
    if (unlink(maildir_name(&l, i)) == -1) {
      int saved = errno;
      err_warn(WARNING, "$MAILDIR/", maildir_name(&l, i),
               " will be delivered twice; unable to unlink: ", err_str(saved), (char *)0);
    }
  maildir_free(&l);
  str_free(&err);
  str_free(&dir);
  return 0;
}
