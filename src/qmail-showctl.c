/* qmail-showctl: explain the qmail configuration (qmail-showctl(8)): the
 * build settings, then every control file qmail-1.03 reads with its value
 * or default, then the files in control/ that no qmail program reads.
 * Output lines are qmail-1.03's, word for word, but for outgoingip,
 * outgoingip6, queuewarn, rcptcheck, remotebatch, remoteipv6, smtplog
 * and smtpsize, which qmail-1.03 does not have.
 * Runs as whoever invokes it, with no privileges of its own. Trusts no
 * control file: each is read through the bounded control readers and
 * every byte outside printable ASCII is shown as '?'. Reads QMAILHOME/
 * control only and writes nothing but stdout. */
#include <dirent.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "auto.h"
#include "control.h"
#include "io.h"
#include "str.h"

static char outspace[IO_OUTSIZE];
static iobuf out;
static str line = STR_INIT;
static str me = STR_INIT;
static int me_ok;

static void die(const char *s)
{
  io_puts(&out, s);
  io_flush(&out);
  _exit(111);
}

static void begin(const char *fn)
{
  io_puts(&out, "\n");
  io_puts(&out, fn);
  io_puts(&out, ": ");
}

/* A number; pre and post surround it. */
static void show_int(const char *fn, const char *def, const char *pre, const char *post)
{
  unsigned long long value;

  begin(fn);
  switch (control_readint(&value, fn)) {
  case 0:
    io_puts(&out, "(Default.) ");
    io_puts(&out, pre);
    io_puts(&out, def);
    break;
  case 1:
    io_puts(&out, pre);
    io_putnum(&out, value);
    break;
  default:
    io_puts(&out, "Oops! Trouble reading this file.\n");
    return;
  }
  io_puts(&out, post);
  io_puts(&out, ".\n");
}

/* One line; a missing file shows me (when use_me and me exists) or def. */
static void show_line(const char *fn, int use_me, const char *def, const char *pre)
{
  begin(fn);
  switch (control_readline(&line, fn)) {
  case 0:
    io_puts(&out, "(Default.) ");
    io_puts(&out, pre);
    if (use_me && me_ok) io_putprintable(&out, me.s, me.len, '?');
    else io_puts(&out, def);
    break;
  case 1:
    io_puts(&out, pre);
    io_putprintable(&out, line.s, line.len, '?');
    break;
  default:
    io_puts(&out, "Oops! Trouble reading this file.\n");
    return;
  }
  io_puts(&out, ".\n");
}

/* A list, one output line per entry. Returns what the reader returned:
 * 1 the file exists, 0 it does not, -1 it could not be read. */
static int show_list(const char *fn, const char *def, const char *pre, const char *post)
{
  int r;

  begin(fn);
  r = control_readfile(&line, fn, 0);
  switch (r) {
  case 0:
    io_puts(&out, "(Default.) ");
    io_puts(&out, def);
    io_puts(&out, "\n");
    break;
  case 1:
    io_puts(&out, "\n");
    for (size_t start = 0, i = 0; i < line.len; ++i) {
      if (line.s[i]) continue;
      io_puts(&out, pre);
      io_putprintable(&out, line.s + start, i - start, '?');
      io_puts(&out, post);
      io_puts(&out, "\n");
      start = i + 1;
    }
    break;
  default:
    io_puts(&out, "Oops! Trouble reading this file.\n");
    break;
  }
  return r;
}

static void show_mrh_cdb(void)
{
  struct stat src, cdb;
  int have_src = stat("morercpthosts", &src) == 0;
  int have_cdb = stat("morercpthosts.cdb", &cdb) == 0;

  io_puts(&out, "\nmorercpthosts.cdb: ");
  if (!have_src)
    io_puts(&out, have_cdb ? "Oops! morercpthosts.cdb exists but morercpthosts doesn't.\n"
                      : "(Default.) No effect.\n");
  else if (!have_cdb)
    io_puts(&out, "Oops! morercpthosts exists but morercpthosts.cdb doesn't.\n");
  else if (src.st_mtime > cdb.st_mtime)
    io_puts(&out, "Oops! morercpthosts.cdb is older than morercpthosts.\n");
  else
    io_puts(&out, "Modified recently enough; hopefully up to date.\n");
}

/* Begins the entry for fn, a number not in qmail-1.03, and reads it into
 * value (left as it is without the file or without a number, which is
 * said); 0 when the file is unreadable, said too. */
static int begin_number(const char *fn, unsigned long long *value)
{
  begin(fn);
  switch (control_readint(value, fn)) {
  case 0:
    io_puts(&out, "(Default.) ");
    return 1;
  case 1:
    return 1;
  default:
    io_puts(&out, "Oops! Trouble reading this file.\n");
    return 0;
  }
}

/* A switch not in qmail-1.03, as the program that reads it does: a
 * first line 0 turns it off, any other number on; without the file (or
 * without a number) it is on_by_default. */
static void show_switch(const char *fn, int on_by_default, const char *on, const char *off)
{
  unsigned long long value = (unsigned long long)on_by_default;

  if (!begin_number(fn, &value)) return;
  io_puts(&out, value ? on : off);
  io_puts(&out, "\n");
}

/* queuewarn (not in qmail-1.03): hours before a delay notice, none
 * without the file or with 0. */
static void show_queuewarn(void)
{
  unsigned long long hours = 0;

  if (!begin_number("queuewarn", &hours)) return;
  if (!hours) {
    io_puts(&out, "No delay notices are sent.\n");
    return;
  }
  io_puts(&out, "A sender hears once when a message is still undelivered after ");
  io_putnum(&out, hours);
  io_puts(&out, hours == 1 ? " hour.\n" : " hours.\n");
}

/* remoteipv6 (not in qmail-1.03): which address families qmail-remote
 * tries, as it reads the file. */
static void show_remoteipv6(void)
{
  unsigned long long mode = 0;

  if (!begin_number("remoteipv6", &mode)) return;
  io_puts(&out, !mode ? "Remote deliveries use IPv4 only.\n"
                : mode == 1 ? "Remote deliveries try each exchanger's IPv6 addresses, then its IPv4 ones.\n"
                : "Remote deliveries try each exchanger's IPv4 addresses, then its IPv6 ones.\n");
}

/* Every file shown above; anything else in control/ is reported. */
static const char *const known[] = {
  "badmailfrom", "bouncefrom", "bouncehost", "concurrencylocal",
  "concurrencyremote", "databytes", "defaultdomain", "defaulthost",
  "doublebouncehost", "doublebounceto", "envnoathost", "helohost", "idhost",
  "localiphost", "locals", "me", "morercpthosts", "morercpthosts.cdb", "outgoingip",
  "outgoingip6", "percenthack", "plusdomain", "qmqpservers", "queuelifetime", "queuewarn",
  "rcptcheck", "rcpthosts", "remotebatch", "remoteipv6", "smtpgreeting", "smtplog", "smtproutes", "smtpsize", "timeoutconnect",
  "timeoutremote", "timeoutsmtpd", "virtualdomains"
};

static int is_known(const char *name)
{
  if (!strcmp(name, ".") || !strcmp(name, "..")) return 1;
  for (size_t i = 0; i < sizeof known / sizeof *known; ++i)
    if (!strcmp(name, known[i])) return 1;
  return 0;
}

static void put_ids(const char *what, const unsigned long *ids, size_t n)
{
  io_puts(&out, what);
  for (size_t i = 0; i < n; ++i) {
    if (i) io_puts(&out, ", ");
    io_putnum(&out, ids[i]);
  }
  io_puts(&out, ".\n");
}

int main(void)
{
  const unsigned long uids[] = {
    (unsigned long)auto_uida, (unsigned long)auto_uidd, (unsigned long)auto_uidl,
    (unsigned long)auto_uido, (unsigned long)auto_uidp, (unsigned long)auto_uidq,
    (unsigned long)auto_uidr, (unsigned long)auto_uids
  };
  const unsigned long gids[] = { (unsigned long)auto_gidn, (unsigned long)auto_gidq };
  struct dirent *d;
  DIR *dir;
  int r;

  io_init(&out, io_write, 1, outspace, sizeof outspace);

  io_puts(&out, "qmail home directory: ");
  io_puts(&out, auto_qmail);
  io_puts(&out, ".\nuser-ext delimiter: ");
  io_puts(&out, auto_break);
  io_puts(&out, ".\npaternalism (in decimal): ");
  io_putnum(&out, auto_patrn);
  io_puts(&out, ".\nsilent concurrency limit: ");
  io_putnum(&out, auto_spawn);
  io_puts(&out, ".\nsubdirectory split: ");
  io_putnum(&out, auto_split);
  io_puts(&out, ".\n");
  put_ids("user ids: ", uids, sizeof uids / sizeof *uids);
  put_ids("group ids: ", gids, sizeof gids / sizeof *gids);

  if (chdir(auto_qmail) == -1) {
    io_puts(&out, "Oops! Unable to chdir to ");
    io_puts(&out, auto_qmail);
    die(".\n");
  }
  if (chdir("control") == -1) die("Oops! Unable to chdir to control.\n");
  dir = opendir(".");
  if (!dir) die("Oops! Unable to open current directory.\n");

  r = control_readline(&me, "me");
  if (r == -1) die("Oops! Trouble reading control/me.");
  me_ok = r == 1;

  show_list("badmailfrom", "Any MAIL FROM is allowed.", "", " not accepted in MAIL FROM.");
  show_line("bouncefrom", 0, "MAILER-DAEMON", "Bounce user name is ");
  show_line("bouncehost", 1, "bouncehost", "Bounce host name is ");
  show_int("concurrencylocal", "10", "Local concurrency is ", "");
  show_int("concurrencyremote", "20", "Remote concurrency is ", "");
  show_int("databytes", "0", "SMTP DATA limit is ", " bytes");
  show_line("defaultdomain", 1, "defaultdomain", "Default domain name is ");
  show_line("defaulthost", 1, "defaulthost", "Default host name is ");
  show_line("doublebouncehost", 1, "doublebouncehost", "2B recipient host: ");
  show_line("doublebounceto", 0, "postmaster", "2B recipient user: ");
  show_line("envnoathost", 1, "envnoathost", "Presumed domain name is ");
  show_line("helohost", 1, "helohost", "SMTP client HELO host name is ");
  show_line("idhost", 1, "idhost", "Message-ID host name is ");
  show_line("localiphost", 1, "localiphost", "Local IP address becomes ");
  show_list("locals", "Messages for me are delivered locally.",
            "Messages for ", " are delivered locally.");
  show_line("me", 0, "undefined! Uh-oh", "My name is ");
  show_line("outgoingip", 0, "chosen by the system", "SMTP client IPv4 source address is ");
  show_line("outgoingip6", 0, "chosen by the system", "SMTP client IPv6 source address is ");
  show_list("percenthack", "The percent hack is not allowed.",
            "The percent hack is allowed for user%host@", ".");
  show_line("plusdomain", 1, "plusdomain", "Plus domain name is ");
  show_list("qmqpservers", "No QMQP servers.", "QMQP server: ", ".");
  show_int("queuelifetime", "604800", "Message lifetime in the queue is ", " seconds");
  show_queuewarn();
  show_switch("rcptcheck", 0, "SMTP refuses at RCPT a local address that has no mailbox.",
              "SMTP accepts every local address; delivery bounces those without a mailbox.");
  if (show_list("rcpthosts", "SMTP clients may send messages to any recipient.",
                "SMTP clients may send messages to recipients at ", "."))
    show_list("morercpthosts", "No effect.",
              "SMTP clients may send messages to recipients at ", ".");
  else
    show_list("morercpthosts", "No rcpthosts; morercpthosts is irrelevant.",
              "No rcpthosts; doesn't matter that morercpthosts has ", ".");
  show_mrh_cdb();
  show_switch("remotebatch", 1, "Remote recipients at one domain share an SMTP connection, up to 100.",
              "Each remote recipient gets an SMTP connection of its own.");
  show_remoteipv6();
  show_line("smtpgreeting", 1, "smtpgreeting", "SMTP greeting: 220 ");
  show_switch("smtplog", 0, "SMTP, QMTP and QMQP sessions are logged on standard error.",
              "SMTP, QMTP and QMQP sessions are not logged.");
  show_list("smtproutes", "No artificial SMTP routes.", "SMTP route: ", "");
  show_switch("smtpsize", 0, "SMTP offers SIZE and refuses a MAIL announcing more than databytes.",
              "SMTP does not offer SIZE.");
  show_int("timeoutconnect", "60", "SMTP client connection timeout is ", " seconds");
  show_int("timeoutremote", "1200", "SMTP client data timeout is ", " seconds");
  show_int("timeoutsmtpd", "1200", "SMTP server data timeout is ", " seconds");
  show_list("virtualdomains", "No virtual domains.", "Virtual domain: ", "");

  /* In directory order, as qmail-1.03 lists them. */
  while ((d = readdir(dir))) {
    if (is_known(d->d_name)) continue;
    io_puts(&out, "\n");
    io_puts(&out, d->d_name);
    io_puts(&out, ": I have no idea what this file does.\n");
  }
  closedir(dir);

  io_flush(&out);
  return out.failed ? 111 : 0;
}
