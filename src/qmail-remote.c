/* qmail-remote: send one message by SMTP to one host (qmail-remote(8)).
 * `qmail-remote host sender recip ...`: the message on fd 0, one report
 * per recipient and then one for the message on fd 1, each a letter, a
 * text and a NUL byte; the exit code is always 0.
 * Runs as qmailr, started by qmail-rspawn. Untrusted input: everything
 * the SMTP server sends (parsed by smtpreply with bounded lines and line
 * counts, timed out, only its code acted on, its text passed on with NUL
 * bytes replaced) and the message bytes (sent through dotstuff, which
 * keeps them from ending the data early). Addresses come from qmail-send;
 * one containing CR or LF is refused, never sent. Reads QMAILHOME/control
 * (me, helohost, smtproutes, timeoutconnect, timeoutremote); writes no
 * file. This version has no DNS resolver: where qmail would look a name
 * up, it reports qmail's text for a temporary DNS failure. */
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
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
#include "dotstuff.h"
#include "fd.h"
#include "io.h"
#include "num.h"
#include "sig.h"
#include "smtpreply.h"
#include "str.h"

#define PORT_SMTP 25
#define CHUNK 4096          /* message bytes encoded at a time */
#define SECONDS_MAX 1000000000ULL /* longer timeouts are cut to this */

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
static void __attribute__((noreturn)) perm_ambigmx(void)
{
  die_text("DSorry. Although I'm listed as a best-preference MX or A for that host,\n"
           "it isn't in my control/locals file, so I don't treat it as local. (#5.4.6)\n");
}
static void __attribute__((noreturn)) perm_senderbreak(void)
{
  die_text("DSorry, the envelope sender contains a CR or LF, which SMTP cannot carry. (#5.1.7)\n");
}

/* ---- IPv4 addresses ---- */

typedef struct { unsigned char b[4]; } ip4;

static ip4 partner; /* the address connected to, named in reports */

/* s[0..len) as four decimal numbers 0-255 separated by dots. */
static int ip4_scan(const char *s, size_t len, ip4 *ip)
{
  size_t i = 0;
  for (int part = 0; part < 4; ++part) {
    unsigned long long v;
    size_t n;
    if (part) {
      if (i >= len || s[i] != '.') return 0;
      ++i;
    }
    n = num_scan(s + i, len - i, &v);
    if (n == 0 || n > 3 || v > 255) return 0;
    ip->b[part] = (unsigned char)v;
    i += n;
  }
  return i == len;
}

/* A host given as an address: 1.2.3.4 or [1.2.3.4]. */
static int ip4_literal(const char *s, ip4 *ip)
{
  size_t len = strlen(s);
  if (len >= 2 && s[0] == '[' && s[len - 1] == ']') return ip4_scan(s + 1, len - 2, ip);
  return ip4_scan(s, len, ip);
}

static void outhost(void)
{
  char x[3 * NUM_ULL_DIGITS + 3];
  size_t n = 0;
  for (int i = 0; i < 4; ++i) {
    if (i) x[n++] = '.';
    n += num_fmt(x + n, partner.b[i]);
  }
  outb(x, n);
}

/* 1 if ip is one of this host's addresses (127.0.0.1 or an address of
 * an interface that is up), 0 if not, -1 if the list is unavailable. */
static int ipme_is(const ip4 *ip)
{
  static const ip4 loopback = { { 127, 0, 0, 1 } };
  struct ifaddrs *list, *ifa;
  int found = 0;

  if (!memcmp(ip->b, loopback.b, 4)) return 1;
  if (getifaddrs(&list) == -1) return -1;
  for (ifa = list; ifa; ifa = ifa->ifa_next) {
    const struct sockaddr_in *sin;
    if (!ifa->ifa_addr || ifa->ifa_addr->sa_family != AF_INET) continue;
    if (!(ifa->ifa_flags & IFF_UP)) continue;
    sin = (const struct sockaddr_in *)(const void *)ifa->ifa_addr;
    if (!memcmp(&sin->sin_addr.s_addr, ip->b, 4)) found = 1;
  }
  freeifaddrs(list);
  return found;
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

/* Connect fd to ip:port within timeout_connect seconds; 0 or -1. */
static int timed_connect(int fd, const ip4 *ip, unsigned int port)
{
  struct sockaddr_in sa;
  struct timespec dl;
  int err;
  socklen_t errlen = sizeof err;

  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons((unsigned short)port);
  memcpy(&sa.sin_addr.s_addr, ip->b, 4);
  if (fd_nonblock(fd, 1) == -1) return -1;
  deadline_in(&dl, timeout_connect);
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) return 0;
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

static void outsmtptext(void)
{
  if (!reply.textlen) return;
  out("Remote host said: ");
  for (size_t i = 0; i < reply.textlen; ++i)
    if (!reply.text[i]) reply.text[i] = '?';
  outb(reply.text, reply.textlen);
  reply.textlen = 0;
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

/* Say QUIT without waiting for anything, then report and exit. */
static void __attribute__((noreturn)) quit(const char *prepend, const char *append)
{
  ssize_t w = write(smtpfd, "QUIT\r\n", 6); /* best effort: the result stands */
  (void)w;
  out(prepend);
  outhost();
  out(append);
  out(".\n");
  outsmtptext();
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

static void __attribute__((noreturn)) smtp(void)
{
  unsigned int code;
  int flagbother = 0;

  if (smtpcode() != 220) quit("ZConnected to ", " but greeting failed");

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

/* How far the CNAME step gets without a resolver: an empty host or one
 * ending in ']' stands as it is, trailing dots are removed (each removal
 * counting as a step, ten steps a loop). Returns the steps taken, or -1
 * when the host would have to be looked up. */
static int cname_steps(str *host)
{
  for (int loop = 0; loop < 10; ++loop) {
    if (!host->len || host->s[host->len - 1] == ']') return loop;
    if (host->s[host->len - 1] != '.') return -1;
    host->len--;
  }
  return 10;
}

/* The address as it goes into MAIL or RCPT: the local part quoted when
 * needed, the host canonicalised when flagcname. *flagalias is 0 when
 * the host turned out to be no alias. */
static void addrmangle(str *saout, const char *s, int *flagalias, int flagcname)
{
  static str host = STR_INIT;
  const char *at = strrchr(s, '@');

  *flagalias = flagcname;
  saout->len = 0;
  if (!at) {
    if (!str_copys(saout, s)) temp_nomem();
    return;
  }
  if (!cat_box(saout, s, (size_t)(at - s)) || !str_putc(saout, '@')) temp_nomem();
  if (!str_copys(&host, at + 1)) temp_nomem();
  if (flagcname) {
    int steps = cname_steps(&host);
    if (steps < 0) temp_dnscanon();
    if (steps == 0) *flagalias = 0;
  }
  if (!str_catstr(saout, &host)) temp_nomem();
}

/* ---- routes ---- */

static int same_nocase(const char *a, const char *b, size_t n)
{
  for (size_t i = 0; i < n; ++i) {
    unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
    if (x >= 'A' && x <= 'Z') x = (unsigned char)(x + 32);
    if (y >= 'A' && y <= 'Z') y = (unsigned char)(y + 32);
    if (x != y) return 0;
  }
  return 1;
}

/* The relay of the last smtproutes line whose domain is key (ignoring
 * case), or 0. Lines without a colon are ignored. */
static char *route_of(str *routes, const char *key, size_t keylen)
{
  char *found = 0;
  for (size_t i = 0; i < routes->len;) {
    char *line = routes->s + i;
    size_t n = strlen(line);
    char *colon = memchr(line, ':', n);
    if (colon && (size_t)(colon - line) == keylen && same_nocase(line, key, keylen))
      found = colon + 1;
    i += n + 1;
  }
  return found;
}

/* The route for host: the host itself, then each suffix from a dot
 * (".example.com"), then the empty domain. */
static char *route_for(str *routes, const char *host)
{
  size_t len = strlen(host);
  for (size_t i = 0; i <= len; ++i)
    if (i == 0 || i == len || host[i] == '.') {
      char *relay = route_of(routes, host + i, len - i);
      if (relay) return relay;
    }
  return 0;
}

int main(int argc, char **argv)
{
  static str routes = STR_INIT;
  unsigned long long port = PORT_SMTP;
  char *relay;
  const char *target;
  int flagalias, flagallaliases = 1, me;
  ip4 ip;

  io_init(&out_b, io_write, 1, outspace, sizeof outspace);
  sig_ignore(SIGPIPE);
  if (argc < 4) perm_usage();
  if (chdir(auto_qmail) == -1) temp_chdir();

  if (control_init() == -1) temp_control();
  if (control_readint(&timeout_remote, "control/timeoutremote") == -1) temp_control();
  if (control_readint(&timeout_connect, "control/timeoutconnect") == -1) temp_control();
  if (control_rldef(&helohost, "control/helohost", 1, 0) != 1) temp_control();
  if (control_readfile(&routes, "control/smtproutes", 0) == -1) temp_control();

  target = argv[1];
  relay = route_for(&routes, target);
  if (relay && !*relay) relay = 0;
  if (relay) {
    char *colon = strchr(relay, ':');
    if (colon) {
      *colon = 0;
      num_scan(colon + 1, strlen(colon + 1), &port);
      if (port > 65535) temp_control();
    }
    target = relay;
  }

  addrmangle(&sender, argv[2], &flagalias, 0);
  if (has_break(&sender)) perm_senderbreak();

  nrecips = (size_t)argc - 3;
  recips = calloc(nrecips, sizeof *recips);
  if (!recips) temp_nomem();
  for (size_t i = 0; i < nrecips; ++i) {
    addrmangle(&recips[i], argv[3 + i], &flagalias, !relay);
    if (!flagalias) flagallaliases = 0;
  }

  /* Without a resolver only an address literal can be reached. */
  if (!ip4_literal(target, &ip)) temp_dns();

  me = ipme_is(&ip);
  if (me == -1) temp_oserr();
  /* The address stands for the host's best exchanger: if that is this
   * host, the mail would loop back, unless it goes through a route or
   * every recipient is an alias. */
  if (me && !relay && !flagallaliases) perm_ambigmx();

  smtpfd = socket(AF_INET, SOCK_STREAM, 0);
  if (smtpfd == -1) temp_oserr();
  if (timed_connect(smtpfd, &ip, (unsigned int)port) == -1) temp_noconn();
  partner = ip;
  io_init(&smtpto, timed_write, smtpfd, tospace, sizeof tospace);
  io_init(&smtpfrom, timed_read, smtpfd, fromspace, sizeof fromspace);
  smtp();
}
