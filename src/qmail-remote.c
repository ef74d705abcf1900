/* qmail-remote: send one message by SMTP to one host (qmail-remote(8)).
 * `qmail-remote host sender recip ...`: the message on fd 0, one report
 * per recipient and then one for the message on fd 1, each a letter, a
 * text and a NUL byte; the exit code is always 0.
 * Runs as qmailr, started by qmail-rspawn. Untrusted input: everything
 * the SMTP server sends (parsed by smtpreply with bounded lines and line
 * counts, timed out, only its code acted on, its text passed on with NUL
 * bytes replaced), DNS answers (taken apart by dns.c; at most MAXTRY of
 * the addresses they give are tried) and the message bytes (sent through
 * dotstuff, which keeps them from ending the data early). Addresses come
 * from qmail-send; one containing CR or LF is refused, never sent. Reads
 * QMAILHOME/control (me, helohost, smtproutes, timeoutconnect,
 * timeoutremote, remoteipv6, outgoingip, outgoingip6) and
 * /etc/resolv.conf; reads and updates QMAILHOME/queue/lock/tcpto
 * (tcpto.h), its only file written.
 * Routing as qmail-1.03: a route from smtproutes (its relay looked up
 * with dns_ip), else the recipients' domains made canonical (dns_cname)
 * and the host's mail exchangers (dns_mxip), best first, leaving out
 * this host and every exchanger no better than it. IPv4 only, as
 * qmail-1.03, unless control/remoteipv6 asks for IPv6 too (or the host is
 * an IPv6 address literal): then each exchanger's IPv6 addresses are
 * tried before its IPv4 ones (1) or after them (2). */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "auto.h"
#include "control.h"
#include "dns.h"
#include "dotstuff.h"
#include "fd.h"
#include "io.h"
#include "ipme.h"
#include "num.h"
#include "routes.h"
#include "sig.h"
#include "smtpreply.h"
#include "str.h"
#include "tcpto.h"

#define PORT_SMTP 25
#define CHUNK 4096          /* message bytes encoded at a time */
#define SECONDS_MAX 1000000000ULL /* longer timeouts are cut to this */
#define MAXTRY 64           /* addresses tried at most, best first */
#define PREF_NONE 65536     /* above every MX preference: no address left out */

/* ---- reports on fd 1 ---- */

static char outspace[1024];
static iobuf out_b;

static void outb(const char *s, size_t n)
{
  if (io_put(&out_b, s, n) == -1) _exit(0);
}

static void out(const char *s) { outb(s, strlen(s)); }

static void zero(void) { outb("", 1); }

static void __attribute__((noreturn)) zerodie(void)
{
  zero();
  io_flush(&out_b);
  _exit(0);
}

static void __attribute__((noreturn)) die_text(const char *s)
{
  out(s);
  zerodie();
}

static void __attribute__((noreturn)) temp_nomem(void) { die_text("ZOut of memory. (#4.3.0)\n"); }
static void __attribute__((noreturn)) temp_oserr(void)
{
  die_text("ZSystem resources temporarily unavailable. (#4.3.0)\n");
}
static void __attribute__((noreturn)) temp_noconn(void)
{
  die_text("ZSorry, I wasn't able to establish an SMTP connection. (#4.4.1)\n");
}
static void __attribute__((noreturn)) temp_read(void) { die_text("ZUnable to read message. (#4.3.0)\n"); }
static void __attribute__((noreturn)) temp_dnscanon(void)
{
  die_text("ZCNAME lookup failed temporarily. (#4.4.3)\n");
}
static void __attribute__((noreturn)) temp_dns(void)
{
  die_text("ZSorry, I couldn't find any host by that name. (#4.1.2)\n");
}
static void __attribute__((noreturn)) temp_chdir(void)
{
  die_text("ZUnable to switch to home directory. (#4.3.0)\n");
}
static void __attribute__((noreturn)) temp_control(void)
{
  die_text("ZUnable to read control files. (#4.3.0)\n");
}
static void __attribute__((noreturn)) perm_partialline(void)
{
  die_text("DSMTP cannot transfer messages with partial final lines. (#5.6.2)\n");
}
static void __attribute__((noreturn)) perm_usage(void)
{
  die_text("DI (qmail-remote) was invoked improperly. (#5.3.5)\n");
}
static str host = STR_INIT; /* the host, or the relay when routed */

/* The host named as qmail does: bytes outside '!'..'~' shown as '?'. */
static void __attribute__((noreturn)) perm_dns(void)
{
  out("DSorry, I couldn't find any host named ");
  for (size_t i = 0; i < host.len; ++i) {
    unsigned char c = (unsigned char)host.s[i];
    outb(c < 33 || c > 126 ? "?" : host.s + i, 1);
  }
  die_text(". (#5.1.2)\n");
}
static void __attribute__((noreturn)) perm_nomx(void)
{
  die_text("DSorry, I couldn't find a mail exchanger or IP address. (#5.4.4)\n");
}
static void __attribute__((noreturn)) perm_ambigmx(void)
{
  die_text("DSorry. Although I'm listed as a best-preference MX or A for that host,\n"
           "it isn't in my control/locals file, so I don't treat it as local. (#5.4.6)\n");
}
static void __attribute__((noreturn)) perm_senderbreak(void)
{
  die_text("DSorry, the envelope sender contains a CR or LF, which SMTP cannot carry. (#5.1.7)\n");
}

/* ---- the host talked to ---- */

static struct ipaddr partner; /* the address connected to, named in reports */

/* The partner as RFC 5321 writes an address literal, without brackets:
 * a dotted quad as qmail-1.03, "IPv6:" and the address for IPv6. */
static void outhost(void)
{
  char x[IPADDR_FMT];
  outb(x, ipaddr_fmt_tagged(x, &partner));
}

/* ---- timed network I/O ---- */

static unsigned long long timeout_remote = 1200, timeout_connect = 60;
static int smtpfd = -1;

static void deadline_in(struct timespec *dl, unsigned long long seconds)
{
  clock_gettime(CLOCK_MONOTONIC, dl);
  if (seconds > SECONDS_MAX) seconds = SECONDS_MAX;
  dl->tv_sec += (time_t)seconds;
}

/* Wait until fd is ready for events or the deadline passes (ETIMEDOUT). */
static int wait_fd(int fd, short events, const struct timespec *dl)
{
  for (;;) {
    struct pollfd p;
    struct timespec now;
    long long ms;
    int r;

    clock_gettime(CLOCK_MONOTONIC, &now);
    ms = (long long)(dl->tv_sec - now.tv_sec) * 1000 + (dl->tv_nsec - now.tv_nsec) / 1000000;
    if (ms < 0) ms = 0;
    if (ms > 1000000000LL) ms = 1000000000LL;
    p.fd = fd;
    p.events = events;
    p.revents = 0;
    r = poll(&p, 1, (int)ms);
    if (r > 0) return 0;
    if (r == 0 && ms < 1000000000LL) {
      errno = ETIMEDOUT;
      return -1;
    }
    if (r == -1 && errno != EINTR) return -1;
  }
}

static ssize_t timed_read(int fd, void *buf, size_t len)
{
  struct timespec dl;
  deadline_in(&dl, timeout_remote);
  for (;;) {
    ssize_t r;
    if (wait_fd(fd, POLLIN, &dl) == -1) return -1;
    r = read(fd, buf, len);
    if (r == -1 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
    return r;
  }
}

static ssize_t timed_write(int fd, void *buf, size_t len)
{
  struct timespec dl;
  deadline_in(&dl, timeout_remote);
  for (;;) {
    ssize_t w;
    if (wait_fd(fd, POLLOUT, &dl) == -1) return -1;
    w = write(fd, buf, len);
    if (w == -1 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
    return w;
  }
}

/* Connect fd to a:port within timeout_connect seconds; 0 or -1. */
static int timed_connect(int fd, const struct ipaddr *a, unsigned int port)
{
  struct sockaddr_storage ss;
  socklen_t sslen = ipaddr_sockaddr(&ss, a, port);
  struct timespec dl;
  int err;
  socklen_t errlen = sizeof err;

  if (fd_nonblock(fd, 1) == -1) return -1;
  deadline_in(&dl, timeout_connect);
  if (connect(fd, (struct sockaddr *)&ss, sslen) == 0) return 0;
  if (errno != EINPROGRESS && errno != EINTR) return -1;
  if (wait_fd(fd, POLLOUT, &dl) == -1) return -1;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &errlen) == -1) return -1;
  if (err) {
    errno = err;
    return -1;
  }
  return 0;
}

/* ---- the SMTP conversation ---- */

static char tospace[8192], fromspace[1024];
static iobuf smtpto, smtpfrom;
static smtpreply reply;
static int flagcritical; /* the final dot is out, its answer not yet in */

static void __attribute__((noreturn)) dropped(void)
{
  out("ZConnected to ");
  outhost();
  out(" but connection died. ");
  if (flagcritical) out("Possible duplicate! ");
  out("(#4.4.2)\n");
  zerodie();
}

/* Read one reply; its code, with a malformed reply counting as 400. */
static unsigned int smtpcode(void)
{
  smtpreply_init(&reply);
  for (;;) {
    size_t used;
    int st;
    ssize_t r = io_feed(&smtpfrom);
    if (r <= 0) dropped();
    st = smtpreply_feed(&reply, io_peek(&smtpfrom), (size_t)r, &used);
    io_skip(&smtpfrom, used);
    if (st == SMTPREPLY_TOOLONG) dropped();
    if (st == SMTPREPLY_DONE) {
      unsigned int code = smtpreply_code(&reply);
      return code ? code : 400;
    }
  }
}

/* Append "Remote host said: " and the text of the last reply (NUL bytes
 * as '?'), if it had any; the text is used up. */
static void cat_smtptext(str *sa)
{
  if (!reply.textlen) return;
  for (size_t i = 0; i < reply.textlen; ++i)
    if (!reply.text[i]) reply.text[i] = '?';
  if (!str_cats(sa, "Remote host said: ") || !str_cat(sa, reply.text, reply.textlen)) temp_nomem();
  reply.textlen = 0;
}

static void outsmtptext(void)
{
  static str text = STR_INIT;
  text.len = 0;
  cat_smtptext(&text);
  outb(text.s, text.len);
}

/* The report prepend, the partner's address, append, ".\n" and the
 * server's text, into sa. */
static void report(str *sa, const char *prepend, const char *append)
{
  char x[IPADDR_FMT];
  sa->len = 0;
  if (!str_cats(sa, prepend) || !str_cat(sa, x, ipaddr_fmt_tagged(x, &partner)) || !str_cats(sa, append) ||
      !str_cats(sa, ".\n"))
    temp_nomem();
  cat_smtptext(sa);
}

/* Say QUIT without waiting for an answer (best effort: nothing depends
 * on it). */
static void sayquit(void)
{
  ssize_t w = write(smtpfd, "QUIT\r\n", 6);
  (void)w;
}

static void put(const char *s, size_t n)
{
  if (io_put(&smtpto, s, n) == -1) dropped();
}

static void puts_(const char *s) { put(s, strlen(s)); }

static void flush(void)
{
  if (io_flush(&smtpto) == -1) dropped();
}

/* Say QUIT, then report and exit. */
static void __attribute__((noreturn)) quit(const char *prepend, const char *append)
{
  static str text = STR_INIT;
  sayquit();
  report(&text, prepend, append);
  outb(text.s, text.len);
  zerodie();
}

static void blast(void)
{
  char in[CHUNK], enc[DOTSTUFF_OUTMAX(CHUNK)];
  dotstuff ds;
  size_t n;

  dotstuff_init(&ds);
  for (;;) {
    ssize_t r = io_read(0, in, sizeof in);
    if (r == -1) temp_read();
    if (r == 0) break;
    put(enc, dotstuff_encode(&ds, in, (size_t)r, enc));
  }
  if (dotstuff_partial(&ds)) perm_partialline();
  n = dotstuff_finish(&ds, enc);
  flagcritical = 1;
  put(enc, n);
  flush();
}

static str helohost = STR_INIT, sender = STR_INIT;
static str *recips;
static size_t nrecips;

static int has_break(const str *sa)
{
  return memchr(sa->s, '\r', sa->len) || memchr(sa->s, '\n', sa->len);
}

/* The conversation after a 220 greeting. */
static void __attribute__((noreturn)) smtp(void)
{
  unsigned int code;
  int flagbother = 0;

  puts_("HELO ");
  put(helohost.s, helohost.len);
  puts_("\r\n");
  flush();
  if (smtpcode() != 250) quit("ZConnected to ", " but my name was rejected");

  puts_("MAIL FROM:<");
  put(sender.s, sender.len);
  puts_(">\r\n");
  flush();
  code = smtpcode();
  if (code >= 500) quit("DConnected to ", " but sender was rejected");
  if (code >= 400) quit("ZConnected to ", " but sender was rejected");

  for (size_t i = 0; i < nrecips; ++i) {
    if (has_break(&recips[i])) {
      out("hSorry, this address contains a CR or LF, which SMTP cannot carry. (#5.1.3)\n");
      zero();
      reply.textlen = 0;
      continue;
    }
    puts_("RCPT TO:<");
    put(recips[i].s, recips[i].len);
    puts_(">\r\n");
    flush();
    code = smtpcode();
    if (code >= 400) {
      out(code >= 500 ? "h" : "s");
      outhost();
      out(" does not like recipient.\n");
      outsmtptext();
      zero();
    } else {
      out("r");
      zero();
      flagbother = 1;
    }
  }
  if (!flagbother) quit("DGiving up on ", "");

  puts_("DATA\r\n");
  flush();
  code = smtpcode();
  if (code >= 500) quit("D", " failed on DATA command");
  /* Only a 3xx reply means the server reads data now; anything else and
   * the message lines would be taken as commands. */
  if (code >= 400 || code < 300) quit("Z", " failed on DATA command");

  blast();
  code = smtpcode();
  flagcritical = 0;
  if (code >= 500) quit("D", " failed after I sent the message");
  if (code >= 400) quit("Z", " failed after I sent the message");
  quit("K", " accepted message");
}

/* ---- addresses ---- */

/* The characters a local part may hold without quotes (RFC 821/822
 * atoms and dots). */
static int atom_char(unsigned char c)
{
  if (c >= 'a' && c <= 'z') return 1;
  if (c >= 'A' && c <= 'Z') return 1;
  if (c >= '0' && c <= '9') return 1;
  return c && strchr("!#$%&'*+-/=?^_`{|}~.", c) != 0;
}

static int quote_needed(const char *s, size_t n)
{
  if (!n || s[0] == '.' || s[n - 1] == '.') return 1;
  for (size_t i = 0; i < n; ++i) {
    if (!atom_char((unsigned char)s[i])) return 1;
    if (i + 1 < n && s[i] == '.' && s[i + 1] == '.') return 1;
  }
  return 0;
}

/* Append the local part s[0..n), quoted if it needs to be. */
static int cat_box(str *sa, const char *s, size_t n)
{
  if (!quote_needed(s, n)) return str_cat(sa, s, n);
  if (!str_putc(sa, '"')) return 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[i];
    if ((c == '\r' || c == '\n' || c == '"' || c == '\\') && !str_putc(sa, '\\')) return 0;
    if (!str_putc(sa, c)) return 0;
  }
  return str_putc(sa, '"');
}

/* The canonical name of a recipient's domain, as qmail-1.03 makes it:
 * dns_cname's answer, or the domain as it is when it is no alias, or the
 * name reached when the aliases loop (not our problem: the receiving
 * host will say). A temporary failure defers the whole message. Returns
 * 1 if the domain is an alias (or in a loop), else 0. The last answer is
 * kept: a recipient whose domain is the same as the one before costs no
 * lookup (qmail-rspawn passes recipients at one host together). */
static int canonical(str *domain)
{
  static str last = STR_INIT, lastcanon = STR_INIT;
  static int lastalias, have;

  if (have && domain->len == last.len && !memcmp(domain->s, last.s, last.len)) {
    if (!str_copystr(domain, &lastcanon)) temp_nomem();
    return lastalias;
  }
  if (!str_copystr(&last, domain)) temp_nomem();
  switch (dns_cname(domain)) {
  case DNS_MEM: temp_nomem();
  case DNS_SOFT: temp_dnscanon();
  case 0: lastalias = 0; break;
  default: lastalias = 1; break; /* an alias, or DNS_HARD: a loop */
  }
  if (!str_copystr(&lastcanon, domain)) temp_nomem();
  have = 1;
  return lastalias;
}

/* The address as it goes into MAIL or RCPT: the local part quoted when
 * needed, the domain made canonical when flagcname. *flagalias is 0 when
 * the domain turned out to be no alias. */
static void addrmangle(str *saout, const char *s, int *flagalias, int flagcname)
{
  static str domain = STR_INIT;
  const char *at = strrchr(s, '@');

  *flagalias = flagcname;
  saout->len = 0;
  if (!at) {
    if (!str_copys(saout, s)) temp_nomem();
    return;
  }
  if (!cat_box(saout, s, (size_t)(at - s)) || !str_putc(saout, '@')) temp_nomem();
  if (!str_copys(&domain, at + 1)) temp_nomem();
  if (flagcname) *flagalias = canonical(&domain);
  if (!str_catstr(saout, &domain)) temp_nomem();
}

/* ---- routes ---- */

/* control/remoteipv6: which families are tried, in what order. */
static int want = DNS_WANT_V4;
/* control/outgoingip, control/outgoingip6: the source address of each
 * family's connections, when set. */
static struct ipaddr outgoing[2];
static int have_outgoing[2];

/* The addresses to try: the relay's (dns_ip) or the exchangers' of the
 * host (dns_mxip), best preference first. An IPv6 address literal is
 * tried whatever remoteipv6 says: it was asked for by name. */
static void lookup(struct dns_iplist *ips, int routed)
{
  unsigned long seed = (unsigned long)time(0) + ((unsigned long)getpid() << 16);
  struct ipaddr lit;
  int w = want;

  if (ipaddr_literal(host.s, host.len, 1, &lit) && lit.family == IPADDR_V6) w |= DNS_WANT_V6;
  switch (routed ? dns_ip(ips, &host, w) : dns_mxip(ips, &host, seed, w)) {
  case DNS_MEM: temp_nomem();
  case DNS_SOFT: temp_dns();
  case DNS_HARD: perm_dns();
  case 1:
    if (!ips->len) temp_dns();
  }
  if (!ips->len) perm_nomx();
}

/* Connect to a, skipping it while tcpto remembers it as down, and tell
 * tcpto how it went: 1 connected (smtpfd is the connection), 0 not. A
 * family this host cannot use (no IPv6 at all) is no connection either. */
static int attempt(const struct ipaddr *a, unsigned int port)
{
  int v6 = a->family == IPADDR_V6, known, timedout;

  if (tcpto_skip(a, &known)) return 0;
  smtpfd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
  if (smtpfd == -1) {
    if (errno == EAFNOSUPPORT) return 0;
    temp_oserr();
  }
  if (have_outgoing[v6]) {
    struct sockaddr_storage ss;
    socklen_t sslen = ipaddr_sockaddr(&ss, &outgoing[v6], 0);
    if (bind(smtpfd, (struct sockaddr *)&ss, sslen) == -1) {
      close(smtpfd);
      return 0;
    }
  }
  if (timed_connect(smtpfd, a, port) == 0) {
    tcpto_result(a, 0, known); /* a table that cannot be updated changes nothing here */
    return 1;
  }
  timedout = errno == ETIMEDOUT;
  tcpto_result(a, timedout, known);
  close(smtpfd);
  return 0;
}

/* control/outgoingip or outgoingip6 into outgoing[v6]: a missing file
 * leaves the choice to the system; anything but an address of the
 * family is a configuration error. */
static void read_outgoing(const char *fn, int v6)
{
  str line = STR_INIT;
  int r = control_readline(&line, fn);
  if (r == -1) temp_control();
  if (r == 1) {
    if (!ipaddr_scan(line.s, line.len, v6, &outgoing[v6]) ||
        outgoing[v6].family != (v6 ? IPADDR_V6 : IPADDR_V4))
      temp_control();
    have_outgoing[v6] = 1;
  }
  str_free(&line);
}

int main(int argc, char **argv)
{
  static str routes = STR_INIT, relaystr = STR_INIT, greetfail = STR_INIT;
  static struct dns_iplist ips = DNS_IPLIST_INIT;
  unsigned long long port = PORT_SMTP, v6mode = 0;
  unsigned int prefme = PREF_NONE;
  const char *route;
  size_t routelen;
  char *relay = 0;
  int flagalias, flagallaliases = 1;

  io_init(&out_b, io_write, 1, outspace, sizeof outspace);
  sig_ignore(SIGPIPE);
  if (argc < 4) perm_usage();
  if (chdir(auto_qmail) == -1) temp_chdir();

  if (control_init() == -1) temp_control();
  if (control_readint(&timeout_remote, "control/timeoutremote") == -1) temp_control();
  if (control_readint(&timeout_connect, "control/timeoutconnect") == -1) temp_control();
  if (control_rldef(&helohost, "control/helohost", 1, 0) != 1) temp_control();
  if (control_readraw(&routes, "control/smtproutes") == -1) temp_control();
  if (control_readint(&v6mode, "control/remoteipv6") == -1) temp_control();
  if (v6mode == 1) want = DNS_WANT_V4 | DNS_WANT_V6 | DNS_V6_FIRST;
  else if (v6mode) want = DNS_WANT_V4 | DNS_WANT_V6;
  read_outgoing("control/outgoingip", 0);
  read_outgoing("control/outgoingip6", 1);

  if (!str_copys(&host, argv[1])) temp_nomem();
  switch (routes_find(routes.s, routes.len, argv[1], strlen(argv[1]), &route, &routelen)) {
  case -1: temp_control();
  case 1:
    if (!str_copy(&relaystr, route, routelen)) temp_nomem();
    if (routelen) relay = relaystr.s;
  }
  if (relay) {
    /* relay, [literal] or [IPv6:literal], then :port if any */
    char *bracket_end = relay[0] == '[' ? strchr(relay, ']') : 0;
    char *colon = strchr(bracket_end ? bracket_end : relay, ':');
    if (colon) {
      *colon = 0;
      num_scan(colon + 1, strlen(colon + 1), &port);
      if (port > 65535) temp_control();
    }
    if (!str_copys(&host, relay)) temp_nomem();
  }

  addrmangle(&sender, argv[2], &flagalias, 0);
  if (has_break(&sender)) perm_senderbreak();

  switch (ipme_init()) {
  case 0: temp_nomem();
  case -1: temp_oserr();
  }

  nrecips = (size_t)argc - 3;
  recips = calloc(nrecips, sizeof *recips);
  if (!recips) temp_nomem();
  for (size_t i = 0; i < nrecips; ++i) {
    addrmangle(&recips[i], argv[3 + i], &flagalias, !relay);
    if (!flagalias) flagallaliases = 0;
  }

  lookup(&ips, relay != 0);

  /* Mail sent to this host, or to an exchanger no better than it, would
   * come back here: only the exchangers better than this host are
   * tried, unless the mail follows a route or every recipient's domain
   * is an alias, as in qmail-1.03. */
  if (!relay && !flagallaliases)
    for (size_t i = 0; i < ips.len; ++i)
      if (ipme_is(&ips.ix[i].addr) == 1 && ips.ix[i].pref < prefme) prefme = ips.ix[i].pref;
  if (ips.ix[0].pref >= prefme) perm_ambigmx();

  /* Best first, MAXTRY addresses at most. A server that greets with
   * anything but 220 is left for the next one; when none is left, its
   * greeting is the report. */
  for (size_t i = 0; i < ips.len && i < MAXTRY && ips.ix[i].pref < prefme; ++i) {
    if (!attempt(&ips.ix[i].addr, (unsigned int)port)) continue;
    partner = ips.ix[i].addr;
    io_init(&smtpto, timed_write, smtpfd, tospace, sizeof tospace);
    io_init(&smtpfrom, timed_read, smtpfd, fromspace, sizeof fromspace);
    if (smtpcode() == 220) smtp();
    sayquit();
    report(&greetfail, "ZConnected to ", " but greeting failed");
    close(smtpfd);
  }
  if (greetfail.len) {
    outb(greetfail.s, greetfail.len);
    zerodie();
  }
  temp_noconn();
}
