/* qmail-pop3d: serve a maildir by POP3 (qmail-pop3d(8)).
 * Usage: qmail-pop3d maildirname, run as the mail's owner in $HOME (by
 * checkpassword, after qmail-popup), with the client on fd 0 (input) and
 * fd 1 (replies).
 * Untrusted input: every byte the client sends (command lines capped at
 * POP3CMD_LINE_MAX bytes), and the names and contents of the files in the
 * maildir. Only regular files directly in new/ and cur/ are listed
 * (symbolic links and anything else are skipped, and messages are opened
 * without following links), so nothing outside the maildir is ever read;
 * names with bytes outside '!'..'~' are skipped, so a UIDL is always a
 * printable word without '/'. Messages stream to the client through a
 * fixed buffer. Per listed message the memory is one 24-byte record plus
 * the name and a NUL (no message bytes), plus the slack of the growing
 * arrays: 100,000 messages with 80-byte names peak at 14 MB in all. Every read and write waits at most 20 minutes.
 * Touches: in the maildir, removes files in tmp/ not accessed for 36
 * hours; at QUIT only, removes the messages marked with DELE and renames
 * the others listed from new/NAME to cur/NAME:2, (a session that ends any
 * other way changes nothing). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "fd.h"
#include "io.h"
#include "netio.h"
#include "pop3cmd.h"
#include "safemath.h"
#include "sig.h"
#include "str.h"

#define TMP_AGE 129600 /* 36 hours: tmp/ files older than this are removed */

static char outspace[IO_OUTSIZE];
static char inspace[1024];
static iobuf in, out;

/* qmail-pop3d ends with status 0 whatever the reason, as qmail-1.03. */
static void die(void) __attribute__((noreturn));
static void die(void) { _exit(0); }

/* A failed or timed-out write ends the session silently. */
static void flush(void)
{
  if (io_flush(&out) == -1) die();
}

static void put(const char *buf, size_t len)
{
  if (io_put(&out, buf, len) == -1) die();
}

static void puts_(const char *s) { put(s, strlen(s)); }

static void putnum(unsigned long long n)
{
  if (io_putnum(&out, n) == -1) die();
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
  puts_("-ERR ");
  puts_(s);
  puts_("\r\n");
}

static void die_err(const char *s) __attribute__((noreturn));
static void die_err(const char *s)
{
  err(s);
  flush();
  die();
}

static void die_nomem(void) { die_err("out of memory"); }
static void die_scan(void) { die_err("unable to scan $HOME/Maildir"); }
static void okay(void) { puts_("+OK \r\n"); }

/* ---- The list of messages ---- */

enum { IN_CUR = 1, DELETED = 2 };

struct msg {
  unsigned long long size; /* bytes in the file, as LIST reports them */
  time_t mtime;            /* the delivery time: the order of the list */
  uint32_t name;           /* offset of the NUL-terminated name in names */
  unsigned char flags;     /* IN_CUR, DELETED */
};

static struct msg *m;
static size_t numm, cap;
static str names = STR_INIT;
static size_t last; /* highest message number deleted, for LAST */

/* "new/" or "cur/", a name from readdir (with its NUL), and ":2,". */
#define PATH_MAX_LEN (4 + sizeof ((struct dirent *)0)->d_name + 3)

static const char *name_of(size_t i) { return names.s + m[i].name; }

/* dir/name of message i in path (PATH_MAX_LEN bytes). */
static void path_of(size_t i, char *path)
{
  const char *name = name_of(i);
  size_t n = strlen(name);
  memcpy(path, m[i].flags & IN_CUR ? "cur/" : "new/", 4);
  memcpy(path + 4, name, n + 1);
}

/* 1 if name is one we list: every byte printable and not a space (so it
 * is a clean UIDL). */
static int goodname(const char *name, size_t *len)
{
  size_t n = 0;
  for (; name[n]; ++n)
    if (name[n] < '!' || name[n] > '~') return 0;
  *len = n;
  return 1;
}

static void add(const char *name, size_t len, const struct stat *st, unsigned char flags)
{
  size_t at = names.len;
  if (numm == cap) {
    size_t more = 256, bytes;
    struct msg *grown;
    if (cap && !size_mul(cap, 2, &more)) die_nomem();
    if (!size_mul(more, sizeof *m, &bytes)) die_nomem();
    grown = realloc(m, bytes);
    if (!grown) die_nomem();
    m = grown;
    cap = more;
  }
  if (at > UINT32_MAX - len - 1) die_nomem(); /* offsets are 32 bits */
  if (!str_cat(&names, name, len + 1)) die_nomem();
  m[numm].size = (unsigned long long)st->st_size;
  m[numm].mtime = st->st_mtime;
  m[numm].name = (uint32_t)at;
  m[numm].flags = flags;
  ++numm;
}

/* List the regular files of dir delivered before now (a message of the
 * current second could be followed by an older one: it waits for the
 * next session, as in qmail-1.03). */
static void scan(const char *dir, unsigned char flags, time_t now)
{
  DIR *d = opendir(dir);
  if (!d) die_scan();
  for (;;) {
    struct dirent *de;
    struct stat st;
    size_t len;
    errno = 0;
    de = readdir(d);
    if (!de) {
      if (errno) die_scan();
      break;
    }
    if (de->d_name[0] == '.' || !goodname(de->d_name, &len)) continue;
    if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1) continue;
    if (!S_ISREG(st.st_mode) || st.st_mtime >= now) continue;
    add(de->d_name, len, &st, flags);
  }
  closedir(d);
}

/* Remove what an interrupted delivery left in tmp/ long ago. */
static void clean_tmp(time_t now)
{
  DIR *d = opendir("tmp");
  struct dirent *de;
  if (!d) return;
  while ((de = readdir(d))) {
    struct stat st;
    if (de->d_name[0] == '.') continue;
    if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1) continue;
    if (!S_ISDIR(st.st_mode) && now > st.st_atime + TMP_AGE) unlinkat(dirfd(d), de->d_name, 0);
  }
  closedir(d);
}

static int by_time(const void *a, const void *b)
{
  const struct msg *x = a, *y = b;
  if (x->mtime != y->mtime) return x->mtime < y->mtime ? -1 : 1;
  return strcmp(names.s + x->name, names.s + y->name);
}

static void getlist(void)
{
  time_t now = time(0);
  clean_tmp(now);
  scan("new", 0, now);
  scan("cur", IN_CUR, now);
  if (numm) qsort(m, numm, sizeof *m, by_time);
}

/* ---- Commands ---- */

/* The message arg names, not deleted: 1 with *i set, or 0 after the
 * error reply. */
static int msgno(const char *arg, size_t *i)
{
  switch (pop3cmd_msgno(arg, numm, i)) {
  case POP3CMD_NUM_SYNTAX: err("syntax error"); return 0;
  case POP3CMD_NUM_ZERO: err("messages are counted from 1"); return 0;
  case POP3CMD_NUM_TOOBIG: err("not that many messages"); return 0;
  default: break;
  }
  if (m[*i].flags & DELETED) {
    err("already deleted");
    return 0;
  }
  return 1;
}

/* STAT counts every message of the list, deleted or not, and adds up the
 * sizes of those not deleted (as qmail-1.03). */
static void do_stat(void)
{
  unsigned long long total = 0;
  for (size_t i = 0; i < numm; ++i)
    if (!(m[i].flags & DELETED)) {
      unsigned long long sum = total + m[i].size;
      total = sum < total ? ULLONG_MAX : sum;
    }
  puts_("+OK ");
  putnum(numm);
  puts_(" ");
  putnum(total);
  puts_("\r\n");
}

static void list_one(size_t i, int uidl)
{
  putnum((unsigned long long)i + 1);
  puts_(" ");
  if (uidl) {
    const char *name = name_of(i);
    put(name, strcspn(name, ":"));
  } else {
    putnum(m[i].size);
  }
  puts_("\r\n");
}

static void listing(const char *arg, int uidl)
{
  size_t i;
  if (*arg) {
    if (!msgno(arg, &i)) return;
    puts_("+OK ");
    list_one(i, uidl);
    return;
  }
  okay();
  for (i = 0; i < numm; ++i)
    if (!(m[i].flags & DELETED)) list_one(i, uidl);
  puts_(".\r\n");
}

static void dele(const char *arg)
{
  size_t i;
  if (!msgno(arg, &i)) return;
  m[i].flags |= DELETED;
  if (i + 1 > last) last = i + 1;
  okay();
}

static void rset(void)
{
  for (size_t i = 0; i < numm; ++i) m[i].flags &= (unsigned char)~DELETED;
  last = 0;
  okay();
}

static void do_last(void)
{
  puts_("+OK ");
  putnum(last);
  puts_("\r\n");
}

/* RETR and TOP (RETR takes a line count too, as in qmail-1.03). */
static void top(const char *arg)
{
  static char msgin[8192];
  static char msgout[POP3MSG_OUTMAX(sizeof msgin)];
  char path[PATH_MAX_LEN];
  struct pop3msg e;
  unsigned long long lines = 0;
  int limited;
  struct stat st;
  size_t i;
  int fd;

  if (!msgno(arg, &i)) return;
  limited = pop3cmd_lines(arg, &lines);
  path_of(i, path);
  fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd != -1 && (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode))) {
    close(fd);
    fd = -1;
  }
  if (fd == -1) {
    err("unable to open that message");
    return;
  }
  okay();
  pop3msg_init(&e, limited, lines);
  while (!pop3msg_done(&e)) {
    ssize_t r = io_read(fd, msgin, sizeof msgin);
    if (r < 0) die();
    if (r == 0) break;
    put(msgout, pop3msg_encode(&e, msgin, (size_t)r, msgout));
  }
  close(fd);
  put(msgout, pop3msg_finish(&e, msgout));
}

/* Apply the session: remove what was deleted, move what was new to cur/
 * (marked seen with ":2,"), make it durable, and say goodbye. */
static void quit(void)
{
  char from[PATH_MAX_LEN], to[PATH_MAX_LEN];
  int touched_new = 0, touched_cur = 0, deleted_new = 0, deleted_cur = 0, failed = 0;

  for (size_t i = 0; i < numm; ++i) {
    int incur = m[i].flags & IN_CUR;
    path_of(i, from);
    if (m[i].flags & DELETED) {
      if (unlink(from) == -1) {
        failed = 1;
      } else if (incur) {
        touched_cur = deleted_cur = 1;
      } else {
        touched_new = deleted_new = 1;
      }
    } else if (!incur) {
      size_t n = strlen(from + 4);
      memcpy(to, "cur/", 4);
      memcpy(to + 4, from + 4, n);
      memcpy(to + 4 + n, ":2,", 4);
      if (rename(from, to) == 0) touched_new = touched_cur = 1; /* else it stays new */
    }
  }
  if (touched_new && fd_syncdir("new") == -1 && deleted_new) failed = 1;
  if (touched_cur && fd_syncdir("cur") == -1 && deleted_cur) failed = 1;
  if (failed) err("unable to unlink all deleted messages");
  okay();
  flush();
  die();
}

int main(int argc, char **argv)
{
  static struct pop3cmd c;

  sig_ignore(SIGPIPE);
  io_init(&out, netio_write, 1, outspace, sizeof outspace);
  io_init(&in, net_read, 0, inspace, sizeof inspace);
  if (argc < 2 || chdir(argv[1]) == -1) die_err("this user has no $HOME/Maildir");
  getlist();
  okay();

  pop3cmd_init(&c);
  for (;;) {
    size_t used;
    char *arg;
    enum pop3cmd_verb v;
    ssize_t r = io_feed(&in);
    if (r <= 0) die(); /* end of file, error or timeout: nothing applied */
    if (pop3cmd_feed(&c, io_peek(&in), (size_t)r, &used) == POP3CMD_MORE) {
      io_skip(&in, used);
      continue;
    }
    io_skip(&in, used);
    v = pop3cmd_verb(&c, &arg);
    if (pop3cmd_overlong(&c)) {
      err("syntax error");
      continue;
    }
    switch (v) {
    case POP3CMD_QUIT: quit(); break;
    case POP3CMD_STAT: do_stat(); break;
    case POP3CMD_LIST: listing(arg, 0); break;
    case POP3CMD_UIDL: listing(arg, 1); break;
    case POP3CMD_DELE: dele(arg); break;
    case POP3CMD_RETR: top(arg); break;
    case POP3CMD_TOP: top(arg); break;
    case POP3CMD_RSET: rset(); break;
    case POP3CMD_LAST: do_last(); break;
    case POP3CMD_NOOP: okay(); break;
    default: err("unimplemented"); break;
    }
  }
}
