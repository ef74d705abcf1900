/* qmail-local: deliver or forward one message as the recipient's .qmail
 * file says (qmail-local(8), dot-qmail(5), qmail-command(8)).
 *   qmail-local [ -nN ] user homedir local dash ext domain sender aliasempty
 * Runs as the recipient user: qmail-lspawn (root) sets its uid and gid
 * before running it. Untrusted: the message on fd 0 (any bytes, any line
 * length: never held whole, header lines read with a hard cap), sender,
 * local and ext (they come from the network), and the .qmail contents.
 * Touches only the home directory: reads its .qmail files, appends to the
 * mbox files and writes into the maildirs its .qmail names, runs /bin/sh
 * there for | lines, and runs qmail-queue to forward.
 * Output (fd 1) is the delivery report: "did F+W+P" and "qp N" on success
 * (exit 0), else one line of text; exit 100 permanent, 111 temporary. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "auto.h"
#include "date822.h"
#include "dotqmail.h"
#include "err.h"
#include "fd.h"
#include "io.h"
#include "lock.h"
#include "mbox.h"
#include "open.h"
#include "qq.h"
#include "sig.h"
#include "spawn.h"
#include "str.h"
#include "wait.h"

/* Header lines longer than this are skipped, not compared, by the
 * Delivered-To check (unless our own line is longer still). */
#define HEADER_LINE_MAX 65536
/* Largest .qmail file read. */
#define DOTQMAIL_MAX (16 * 1024 * 1024)
#define MAILDIR_TIMEOUT 86400
#define LOCK_TIMEOUT 30

static const char usage_text[] =
  "qmail-local: usage: qmail-local [ -nN ] user homedir local dash ext domain sender aliasempty";

static int flagdoit = 1;
static const char *user, *homedir, *local, *dash, *ext, *host, *sender, *aliasempty;

static str recipient = STR_INIT; /* local@host */
static str dtline = STR_INIT;    /* Delivered-To: local@host\n */
static str rpline = STR_INIT;    /* Return-Path: <sender>\n */
static str ufline = STR_INIT;    /* From sender date\n */
static str safeext = STR_INIT;
static str newsender = STR_INIT;
static str qme = STR_INIT;       /* the .qmail file being looked at */
static str cmds = STR_INIT;      /* the instructions */
static str arg = STR_INIT;       /* one instruction's argument, NUL-ended */
static str forwards = STR_INIT;  /* addresses to forward to, NUL-ended */

static unsigned long count_file, count_forward, count_program;
static unsigned long forward_qp;

static char outspace[1024];
static iobuf out;
static char inspace[65536];
static iobuf in;

/* ---- Reporting ---- */

/* Each report line is flushed at once, so no child (program, maildir
 * writer, qmail-queue) inherits output still waiting in the buffer. */
static void say_list(const char *s, va_list ap)
{
  for (; s; s = va_arg(ap, const char *)) io_puts(&out, s);
  io_putsflush(&out, "\n");
}

static void say(const char *s, ...) __attribute__((sentinel));
static void say(const char *s, ...)
{
  va_list ap;
  va_start(ap, s);
  say_list(s, ap);
  va_end(ap);
}

/* Print the strings as the report and exit. */
static void fail(int code, const char *s, ...) __attribute__((noreturn, sentinel));
static void fail(int code, const char *s, ...)
{
  va_list ap;
  va_start(ap, s);
  say_list(s, ap);
  va_end(ap);
  _exit(code);
}

static void usage(void) { fail(100, usage_text, (char *)0); }
static void nomem(void) { fail(111, "Out of memory. (#4.3.0)", (char *)0); }
static void need(int ok) { if (!ok) nomem(); }

static void temp_rewind(void) { fail(111, "Unable to rewind message. (#4.3.0)", (char *)0); }
static void temp_fork(void) { fail(111, "Unable to fork: ", err_str(errno), ". (#4.3.0)", (char *)0); }
static void temp_read(void)
{
  if (errno == ENOMEM) nomem();
  fail(111, "Unable to read message: ", err_str(errno), ". (#4.3.0)", (char *)0);
}
static void temp_qmail(const char *fn)
{
  fail(111, "Unable to open ", fn, ": ", err_str(errno), ". (#4.3.0)", (char *)0);
}
static void temp_crashed(void) { fail(111, "Aack, child crashed. (#4.3.0)", (char *)0); }

static void setenv_or_die(const char *name, const char *value)
{
  if (setenv(name, value, 1) == -1) nomem();
}

/* ---- The message ---- */

/* Back to the start of fd 0, with an empty input buffer. */
static void rewind_message(void)
{
  if (lseek(0, 0, SEEK_SET) == -1) temp_rewind();
  io_init(&in, io_read, 0, inspace, sizeof inspace);
}

/* Discard input up to and including the next '\n'. 1 if one was found,
 * 0 at end of file. */
static int skip_line(void)
{
  for (;;) {
    ssize_t r = io_feed(&in);
    char *nl;
    if (r < 0) temp_read();
    if (r == 0) return 0;
    nl = memchr(io_peek(&in), '\n', (size_t)r);
    if (nl) {
      io_skip(&in, (size_t)(nl - io_peek(&in)) + 1);
      return 1;
    }
    io_skip(&in, (size_t)r);
  }
}

/* Bounce the message if its header already has our Delivered-To line. */
static void check_loop(void)
{
  str line = STR_INIT;
  size_t cap = dtline.len < HEADER_LINE_MAX ? HEADER_LINE_MAX : dtline.len + 1;

  rewind_message();
  for (;;) {
    int r;
    line.len = 0;
    r = io_getline(&in, &line, '\n', cap);
    if (r == IO_ERR) temp_read();
    if (r == IO_EOF) break; /* the header ends with the message */
    if (r == IO_TOOLONG) {  /* longer than dtline: cannot be it */
      if (!skip_line()) break;
      continue;
    }
    if (line.len <= 1) break; /* the blank line ending the header */
    if (line.len == dtline.len && !memcmp(line.s, dtline.s, dtline.len))
      fail(100, "This message is looping: it already has my Delivered-To line. (#5.4.6)",
           (char *)0);
  }
  str_free(&line);
}

/* ---- Maildir ---- */

static const char *volatile maildir_tmp; /* set once tmp/ file exists */

static void maildir_timeout(int sig)
{
  static char text[] = "Timeout on maildir delivery. (#4.3.0)\n";
  (void)sig;
  if (maildir_tmp) unlink(maildir_tmp);
  io_write(1, text, sizeof text - 1);
  _exit(111);
}

/* Append the host name for a maildir file name: '/' and ':' cannot be
 * part of one, so they are written as \057 and \072. */
static int cat_hostname(str *fn)
{
  char name[256];
  if (gethostname(name, sizeof name) == -1) name[0] = 0;
  name[sizeof name - 1] = 0;
  for (const char *s = name; *s; ++s) {
    int ok = *s == '/' ? str_cats(fn, "\\057")
           : *s == ':' ? str_cats(fn, "\\072")
           : str_putc(fn, *s);
    if (!ok) return 0;
  }
  return 1;
}

static void maildir_temp_error(void)
{
  fail(111, "Temporary error on maildir delivery. (#4.3.0)", (char *)0);
}

/* Deliver into maildir dir as time.pid.host: write tmp/NAME, fsync it,
 * link it to new/NAME, fsync new/. qmail-1.03 did this in a child that
 * had changed into dir; this process does it with paths under dir, so
 * no fork is needed, and judges dir as that chdir would have. */
static void deliver_maildir(const char *dir)
{
  str tmpfn = STR_INIT, newfn = STR_INIT, newdir = STR_INIT;
  char space[IO_OUTSIZE];
  struct stat st;
  iobuf o;
  int fd;
  size_t base;

  rewind_message();
  /* chdir(dir) would fail on these: a missing or unsearchable dir */
  if (stat(dir, &st) == -1 || access(dir, X_OK) == -1) {
    if (err_temp(errno)) maildir_temp_error();
    fail(111, "Unable to chdir to maildir. (#4.2.1)", (char *)0);
  }
  if (!S_ISDIR(st.st_mode)) fail(111, "Unable to chdir to maildir. (#4.2.1)", (char *)0);
  need(str_copys(&tmpfn, dir) && str_cats(&tmpfn, "/tmp/"));
  base = tmpfn.len;
  for (int attempt = 0;; ++attempt) {
    tmpfn.len = base;
    need(str_catnum(&tmpfn, (unsigned long long)time(0)) && str_putc(&tmpfn, '.') &&
         str_catnum(&tmpfn, (unsigned long long)getpid()) && str_putc(&tmpfn, '.') &&
         cat_hostname(&tmpfn));
    need(str_copys(&newfn, dir) && str_cats(&newfn, "/new/") && str_cats(&newfn, tmpfn.s + base));
    /* The name must be free in tmp/ and, since this process may deliver
     * to the same maildir twice in one second, in new/ as well. */
    if (stat(tmpfn.s, &st) == -1 && errno == ENOENT && stat(newfn.s, &st) == -1 && errno == ENOENT)
      break;
    if (attempt == 2) maildir_temp_error();
    sleep(2);
  }
  need(str_copys(&newdir, dir) && str_cats(&newdir, "/new"));

  sig_catch(SIGALRM, maildir_timeout);
  alarm(MAILDIR_TIMEOUT);
  fd = open_excl(tmpfn.s);
  if (fd == -1) maildir_temp_error();
  maildir_tmp = tmpfn.s;

  io_init(&o, io_write, fd, space, sizeof space);
  if (io_putstr(&o, &rpline) == -1 || io_putstr(&o, &dtline) == -1) goto fail;
  switch (io_copy(&o, &in)) {
  case IO_COPY_RERR:
    unlink(tmpfn.s);
    fail(111, "Unable to read message. (#4.3.0)", (char *)0);
  case IO_COPY_WERR:
    goto fail;
  }
  if (io_flush(&o) == -1 || fsync(fd) == -1) goto fail;
  if (close(fd) == -1) goto fail;
  if (link(tmpfn.s, newfn.s) == -1) goto fail;
  /* Beyond qmail-1.03: the new name is on disk before we say so. */
  if (fd_syncdir(newdir.s) == -1) {
    unlink(newfn.s);
    goto fail;
  }
  unlink(tmpfn.s);
  alarm(0);
  maildir_tmp = 0;
  sig_default(SIGALRM);
  str_free(&tmpfn);
  str_free(&newfn);
  str_free(&newdir);
  return;
fail:
  unlink(tmpfn.s);
  maildir_temp_error();
}

/* ---- mbox ---- */

static void lock_timeout(int sig)
{
  static char text[] = "File has been locked for 30 seconds straight. (#4.3.0)\n";
  (void)sig;
  io_write(1, text, sizeof text - 1);
  _exit(111);
}

static void deliver_mbox(const char *fn)
{
  char space[IO_OUTSIZE];
  iobuf o;
  int fd, locked, r;
  off_t pos;

  rewind_message();
  fd = open_append(fn);
  if (fd == -1) fail(111, "Unable to open ", fn, ": ", err_str(errno), ". (#4.2.1)", (char *)0);

  sig_catch(SIGALRM, lock_timeout);
  alarm(LOCK_TIMEOUT);
  locked = lock_ex(fd) == 0;
  alarm(0);
  sig_default(SIGALRM);

  pos = lseek(fd, 0, SEEK_END);
  if (pos == -1) fail(111, "Unable to write ", fn, ": ", err_str(errno), ". (#4.3.0)", (char *)0);
  io_init(&o, io_write, fd, space, sizeof space);
  if (io_putstr(&o, &ufline) == -1 || io_putstr(&o, &rpline) == -1 ||
      io_putstr(&o, &dtline) == -1)
    r = IO_COPY_WERR;
  else
    r = mbox_copy(&o, &in);
  if (r == 0 && (io_flush(&o) == -1 || fsync(fd) == -1)) r = IO_COPY_WERR;
  if (r == 0) {
    close(fd);
    return;
  }
  {
    int saved = errno;
    /* Take back what was appended, so no half message stays. */
    if (locked && ftruncate(fd, pos) == -1) {
      /* Nothing more can be done: the error below is reported. */
    }
    close(fd);
    errno = saved;
  }
  if (r == IO_COPY_RERR) temp_read();
  fail(111, "Unable to write ", fn, ": ", err_str(errno), ". (#4.3.0)", (char *)0);
}

/* ---- Programs ---- */

/* Run the command; 1 if it asked (exit 99) to skip the rest of the file. */
static int deliver_program(const char *cmd)
{
  char *argv[] = { (char *)"/bin/sh", (char *)"-c", (char *)cmd, 0 };
  struct spawn sp;
  pid_t pid;
  int status;

  rewind_message();
  /* The command reads the message on fd 0 and reports on fds 1 and 2,
   * which it shares with us. */
  spawn_init(&sp, argv[0], argv);
  sp.sigpipe_default = 1;
  pid = spawn_start(&sp);
  if (pid == -1) {
    errno = sp.error;
    if (sp.failed == SPAWN_FORK) temp_fork();
    fail(111, "Unable to run /bin/sh: ", err_str(errno), ". (#4.3.0)", (char *)0);
  }
  if (wait_pid(pid, &status) != pid || wait_crashed(status)) temp_crashed();
  switch (wait_exitcode(status)) {
  case 0: return 0;
  case 99: return 1;
  case 64: case 65: case 70: case 76: case 77: case 78: case 100: case 112: _exit(100);
  default: _exit(111);
  }
}

/* ---- Forwarding ---- */

static void deliver_forwards(void)
{
  qq q;
  const char *text;

  rewind_message();
  if (qq_open(&q) == -1) temp_fork();
  forward_qp = qq_pid(&q);
  qq_put(&q, dtline.s, dtline.len);
  for (;;) {
    ssize_t r = io_feed(&in);
    if (r < 0) {
      q.failed = 1; /* qmail-queue gets no envelope and queues nothing */
      break;
    }
    if (r == 0) break;
    qq_put(&q, io_peek(&in), (size_t)r);
    io_skip(&in, (size_t)r);
  }
  qq_from(&q, newsender.s);
  for (size_t i = 0; i < forwards.len; i += strlen(forwards.s + i) + 1)
    qq_to(&q, forwards.s + i);
  text = qq_close(&q);
  if (!*text) return;
  fail(text[0] == 'D' ? 100 : 111, "Unable to forward message: ", text + 1, ".", (char *)0);
}

/* ---- Setting up ---- */

static void checkhome(void)
{
  struct stat st;
  if (stat(".", &st) == -1)
    fail(111, "Unable to stat home directory: ", err_str(errno), ". (#4.3.0)", (char *)0);
  if (st.st_mode & auto_patrn) fail(111, "Uh-oh: home directory is writable. (#4.7.0)", (char *)0);
  if (st.st_mode & S_ISVTX) {
    if (flagdoit)
      fail(111, "Home directory is sticky: user is editing his .qmail file. (#4.2.1)", (char *)0);
    say("Warning: home directory is sticky.", (char *)0);
  }
}

/* RFC 821 quoting of an address's local part (the part before its last
 * '@'): needed when it is empty, holds anything but atom characters and
 * dots, or has a leading, trailing or doubled dot. */
static int atom_char(unsigned char c)
{
  if (c <= 32 || c >= 127) return 0;
  return !strchr("\"(),:;<>@[\\]", c);
}

static int quote_needed(const char *s, size_t n)
{
  if (!n || s[0] == '.' || s[n - 1] == '.') return 1;
  for (size_t i = 0; i < n; ++i) {
    if (s[i] == '.' ? i + 1 < n && s[i + 1] == '.' : !atom_char((unsigned char)s[i])) return 1;
  }
  return 0;
}

static int cat_quoted(str *sa, const char *addr)
{
  const char *at = strrchr(addr, '@');
  size_t n = at ? (size_t)(at - addr) : strlen(addr);

  if (!*addr) return 1;
  if (!quote_needed(addr, n)) return str_cats(sa, addr);
  if (!str_putc(sa, '"')) return 0;
  for (size_t i = 0; i < n; ++i) {
    char c = addr[i];
    if ((c == '\r' || c == '\n' || c == '"' || c == '\\') && !str_putc(sa, '\\')) return 0;
    if (!str_putc(sa, c)) return 0;
  }
  return str_putc(sa, '"') && (!at || str_cats(sa, at));
}

static void replace(str *sa, size_t from, char old, char new)
{
  char *p = sa->s + from, *end = sa->s + sa->len;
  while ((p = memchr(p, old, (size_t)(end - p)))) *p++ = new;
}

static void make_lines(void)
{
  size_t start;

  need(str_copys(&recipient, local) && str_putc(&recipient, '@') && str_cats(&recipient, host));
  need(str_copys(&dtline, "Delivered-To: ") && str_catstr(&dtline, &recipient));
  replace(&dtline, 0, '\n', '_');
  need(str_putc(&dtline, '\n'));

  need(str_copys(&rpline, "Return-Path: <") && cat_quoted(&rpline, sender));
  replace(&rpline, 0, '\n', '_');
  need(str_cats(&rpline, ">\n"));

  need(str_copys(&ufline, "From "));
  start = ufline.len;
  need(str_cats(&ufline, *sender ? sender : "MAILER-DAEMON"));
  replace(&ufline, start, ' ', '-');
  replace(&ufline, start, '\t', '-');
  replace(&ufline, start, '\n', '-');
  need(str_putc(&ufline, ' ') && date822_catctime(&ufline, time(0)) && str_putc(&ufline, '\n'));
}

static void set_environment(void)
{
  str part = STR_INIT;
  const char *x;
  size_t i;
  static const char *const extvars[] = { "EXT2", "EXT3", "EXT4" };
  static const char *const hostvars[] = { "HOST2", "HOST3", "HOST4" };

  setenv_or_die("HOST", host);
  setenv_or_die("HOME", homedir);
  setenv_or_die("USER", user);
  setenv_or_die("LOCAL", local);
  setenv_or_die("RECIPIENT", recipient.s);
  setenv_or_die("DTLINE", dtline.s);
  setenv_or_die("SENDER", sender);
  setenv_or_die("RPLINE", rpline.s);
  setenv_or_die("UFLINE", ufline.s);

  /* EXT2..EXT4: ext after its first, second, third '-' (or empty). */
  x = ext;
  setenv_or_die("EXT", x);
  for (i = 0; i < 3; ++i) {
    const char *dashp = strchr(x, '-');
    x = dashp ? dashp + 1 : x + strlen(x);
    setenv_or_die(extvars[i], x);
  }
  /* HOST2..HOST4: host without its last one, two, three '.' parts (a
   * host with fewer dots stays as it is). */
  i = strlen(host);
  for (size_t k = 0; k < 3; ++k) {
    size_t j = i;
    while (j > 0 && host[j - 1] != '.') --j;
    if (j > 0) i = j - 1;
    need(str_copy(&part, host, i));
    setenv_or_die(hostvars[k], part.s);
  }
  str_free(&part);
}

/* Open qme if it is a regular file: 1 with *fd and *forwardonly set, 0
 * if it does not exist (or is not a regular file). Dies on trouble. */
static int qme_open(int *fd, int *forwardonly)
{
  struct stat st;

  *fd = open(qme.s, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (*fd == -1) {
    if (err_temp(errno) || errno == EPERM || errno == EACCES) temp_qmail(qme.s);
    return 0;
  }
  if (fstat(*fd, &st) == -1) temp_qmail(qme.s);
  if (!S_ISREG(st.st_mode)) {
    close(*fd);
    *fd = -1;
    return 0;
  }
  if (st.st_mode & auto_patrn) fail(111, "Uh-oh: .qmail file is writable. (#4.7.0)", (char *)0);
  *forwardonly = !!(st.st_mode & S_IXUSR);
  return 1;
}

/* Find the .qmail file for this address: its fd, or -1 if none. */
static int qme_search(int *forwardonly)
{
  struct dotqmail_search s;
  size_t deflt;
  int fd, r;

  dotqmail_search_start(&s, dash, &safeext);
  while ((r = dotqmail_search_next(&s, &qme, &deflt)) == 1) {
    if (!qme_open(&fd, forwardonly)) continue;
    if (deflt != DOTQMAIL_NODEFAULT) setenv_or_die("DEFAULT", ext + deflt);
    return fd;
  }
  if (r == -1) nomem();
  return -1;
}

/* 1 if .qmail DASH SAFEEXT SUFFIX exists. */
static int qme_exists(const char *suffix)
{
  struct stat st;
  need(dotqmail_name(&qme, dash, &safeext, safeext.len, suffix));
  if (stat(qme.s, &st) == 0) return 1;
  if (err_temp(errno)) temp_qmail(qme.s);
  return 0;
}

/* NEWSENDER: local-owner@host when .qmail-ext-owner exists (VERP form
 * local-owner-@host-@[] when .qmail-ext-owner-default does too), except
 * for bounces (sender empty or #@[]), which keep their sender. */
static void make_newsender(void)
{
  need(str_copys(&newsender, sender));
  if (*sender && strcmp(sender, "#@[]") && qme_exists("-owner")) {
    int verp = qme_exists("-owner-default");
    need(str_copys(&newsender, local) && str_cats(&newsender, verp ? "-owner-@" : "-owner@") &&
         str_cats(&newsender, host) && (!verp || str_cats(&newsender, "-@[]")));
  }
  setenv_or_die("NEWSENDER", newsender.s);
}

static void read_qmail(int fd)
{
  for (;;) {
    ssize_t r;
    if (cmds.len > DOTQMAIL_MAX) fail(111, "Uh-oh: .qmail file is too big. (#4.7.0)", (char *)0);
    need(str_reserve(&cmds, 8192));
    r = io_read(fd, cmds.s + cmds.len, 8192);
    if (r == -1) {
      if (errno == ENOMEM) nomem();
      fail(111, "Unable to read ", qme.s, ": ", err_str(errno), ". (#4.3.0)", (char *)0);
    }
    if (r == 0) break;
    cmds.len += (size_t)r;
  }
  cmds.s[cmds.len] = 0;
  close(fd);
}

/* Carry out the instructions in cmds, in order; forwards are collected
 * and sent last. */
static void run_instructions(int forwardonly)
{
  struct dotqmail_line l;
  size_t pos = 0;

  while (dotqmail_next(cmds.s, cmds.len, &pos, &l)) {
    int stop = 0;
    switch (l.kind) {
    case DOTQMAIL_BLANK:
    case DOTQMAIL_COMMENT:
      continue;
    case DOTQMAIL_BLANKFIRST:
      fail(111, "Uh-oh: first line of .qmail file is blank. (#4.2.1)", (char *)0);
    case DOTQMAIL_LIST:
      forwardonly = 1;
      continue;
    default:
      break;
    }
    need(str_copy(&arg, l.arg, l.len));
    switch (l.kind) {
    case DOTQMAIL_MBOX:
    case DOTQMAIL_MAILDIR:
      ++count_file;
      if (forwardonly)
        fail(111, "Uh-oh: .qmail has file delivery but has x bit set. (#4.7.0)", (char *)0);
      if (!flagdoit) say(l.kind == DOTQMAIL_MBOX ? "mbox " : "maildir ", arg.s, (char *)0);
      else if (l.kind == DOTQMAIL_MBOX) deliver_mbox(arg.s);
      else deliver_maildir(arg.s);
      break;
    case DOTQMAIL_PROGRAM:
      ++count_program;
      if (forwardonly)
        fail(111, "Uh-oh: .qmail has prog delivery but has x bit set. (#4.7.0)", (char *)0);
      if (!flagdoit) say("program ", arg.s, (char *)0);
      else stop = deliver_program(arg.s);
      break;
    default: /* DOTQMAIL_FORWARD */
      ++count_forward;
      if (!flagdoit) say("forward ", arg.s, (char *)0);
      else need(str_cat(&forwards, arg.s, arg.len + 1));
      break;
    }
    if (stop) break;
  }
}

int main(int argc, char **argv)
{
  int i = 1, fd, forwardonly = 0;

  umask(077);
  sig_ignore(SIGPIPE);
  io_init(&out, io_write, 1, outspace, sizeof outspace);

  /* Options end at the first argument not starting with '-', or "--". */
  for (; i < argc && argv[i][0] == '-' && argv[i][1]; ++i) {
    const char *o = argv[i] + 1;
    if (!strcmp(o, "-")) {
      ++i;
      break;
    }
    for (; *o; ++o) {
      if (*o == 'n') flagdoit = 0;
      else if (*o == 'N') flagdoit = 1;
      else usage();
    }
  }
  if (argc - i != 8) usage();
  user = argv[i++];
  homedir = argv[i++];
  local = argv[i++];
  dash = argv[i++];
  ext = argv[i++];
  host = argv[i++];
  sender = argv[i++];
  aliasempty = argv[i++];

  if (homedir[0] != '/') usage();
  if (chdir(homedir) == -1)
    fail(111, "Unable to switch to ", homedir, ": ", err_str(errno), ". (#4.3.0)", (char *)0);
  checkhome();

  make_lines();
  if (flagdoit) check_loop();
  set_environment();
  need(dotqmail_safeext(&safeext, ext));

  fd = qme_search(&forwardonly);
  if (fd == -1 && *dash) fail(100, "Sorry, no mailbox here by that name. (#5.1.1)", (char *)0);
  make_newsender();

  if (fd != -1) read_qmail(fd);
  if (!cmds.len) {
    need(str_copys(&cmds, aliasempty));
    forwardonly = 0;
  }
  run_instructions(forwardonly);
  if (forwards.len && flagdoit) deliver_forwards();

  io_puts(&out, "did ");
  io_putnum(&out, count_file);
  io_puts(&out, "+");
  io_putnum(&out, count_forward);
  io_puts(&out, "+");
  io_putnum(&out, count_program);
  io_puts(&out, "\n");
  if (forward_qp) {
    io_puts(&out, "qp ");
    io_putnum(&out, forward_qp);
    io_puts(&out, "\n");
  }
  io_flush(&out);
  return 0;
}
