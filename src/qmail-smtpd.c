/* qmail-smtpd: receive mail by SMTP and hand it to qmail-queue
 * (qmail-smtpd(8), spec/smtpd.md). Runs as qmaild under tcpserver (or
 * tcp-env): the client is on fd 0 (input) and fd 1 (replies); the
 * connection is described by the tcp-environ(5) variables.
 * Untrusted input: every byte the client sends. Command lines are capped
 * at SMTPCMD_LINE_MAX bytes, addresses at SMTPCMD_ADDR_MAX, recipients per
 * message at RCPT_MAX (452 past it), and message data streams to
 * qmail-queue without being held, so the memory of a session is bounded
 * whatever the client does. Every read and write waits at most
 * control/timeoutsmtpd seconds.
 * Touches: reads QMAILHOME/control (smtpgreeting, me, localiphost,
 * timeoutsmtpd, rcpthosts, morercpthosts.cdb, badmailfrom, databytes);
 * runs QMAILHOME/bin/qmail-queue; writes nothing else. */
#include <errno.h>
#include <ifaddrs.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "auto.h"
#include "cdb.h"
#include "control.h"
#include "date822.h"
#include "env.h"
#include "fd.h"
#include "io.h"
#include "num.h"
#include "open.h"
#include "qq.h"
#include "sig.h"
#include "smtpcmd.h"
#include "smtpdata.h"
#include "str.h"

#define RCPT_MAX 10000 /* recipients per message; more get 452 */

/* ---- Talking to the client ---- */

static unsigned long long timeout = 1200;
static int timedout;
static char inspace[65536];
static char outspace[IO_OUTSIZE];
static iobuf in, out;

/* Wait until fd is ready for events: 0, or -1 (timedout set on timeout). */
static int wait_for(int fd, short events)
{
  struct pollfd p;
  int ms = timeout > INT_MAX / 1000 ? INT_MAX : (int)(timeout * 1000);
  int r;

  p.fd = fd;
  p.events = events;
  do r = poll(&p, 1, ms); while (r == -1 && errno == EINTR);
  if (r == 0) {
    timedout = 1;
    errno = ETIMEDOUT;
    return -1;
  }
  return r == -1 ? -1 : 0;
}

/* Write op: never blocks past the timeout (send with MSG_DONTWAIT on a
 * socket; plain write on anything else, e.g. a pipe under tests). */
static ssize_t net_write(int fd, void *buf, size_t len)
{
  for (;;) {
    ssize_t w;
    if (wait_for(fd, POLLOUT) == -1) return -1;
    w = send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (w == -1 && errno == ENOTSOCK) w = io_write(fd, buf, len);
    if (w == -1 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
    return w;
  }
}

/* A failed or timed-out write ends the session silently, as in qmail. */
static void flush(void)
{
  if (io_flush(&out) == -1) _exit(1);
}

static void out_s(const char *s)
{
  if (io_puts(&out, s) == -1) _exit(1);
}

static void out_n(unsigned long long n)
{
  if (io_putnum(&out, n) == -1) _exit(1);
}

/* Read op: replies go out only when we are about to wait for input, so
 * pipelined commands are answered in one write. */
static ssize_t net_read(int fd, void *buf, size_t len)
{
  flush();
  if (wait_for(fd, POLLIN) == -1) return -1;
  return io_read(fd, buf, len);
}

/* Bytes buffered from the client; ends the session on EOF, read error or
 * timeout. */
static size_t feed(void)
{
  ssize_t r = io_feed(&in);
  if (r > 0) return (size_t)r;
  if (r == -1 && timedout) {
    out_s("451 timeout (#4.4.2)\r\n");
    flush();
  }
  _exit(1);
}

static void die(const char *reply)
{
  out_s(reply);
  flush();
  _exit(1);
}

static void die_nomem(void) { die("421 out of memory (#4.3.0)\r\n"); }
static void die_control(void) { die("421 unable to read controls (#4.3.0)\r\n"); }

/* ---- Configuration ---- */

/* A sorted list of lower-cased control-file lines. */
struct set {
  const char **v;
  size_t n;
};

struct key {
  const char *s;
  size_t len;
};

static void lower(char *s, size_t len)
{
  for (size_t i = 0; i < len; ++i)
    if (s[i] >= 'A' && s[i] <= 'Z') s[i] = (char)(s[i] + 32);
}

static int cmp_lines(const void *a, const void *b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_key(const void *k, const void *e)
{
  const struct key *key = k;
  const char *entry = *(const char *const *)e;
  size_t elen = strlen(entry);
  int c = memcmp(key->s, entry, key->len < elen ? key->len : elen);
  if (c) return c;
  return (key->len > elen) - (key->len < elen);
}

/* Index the NUL-terminated lines of a control file (lower-casing them in
 * place); lines must outlive the set. */
static void set_load(struct set *s, str *lines)
{
  size_t count = 0, k = 0;

  lower(lines->s, lines->len);
  for (size_t i = 0; i < lines->len; ++i)
    if (!lines->s[i]) ++count;
  s->v = malloc((count ? count : 1) * sizeof *s->v);
  if (!s->v) die_nomem();
  for (size_t i = 0; i < lines->len; i += strlen(lines->s + i) + 1) s->v[k++] = lines->s + i;
  s->n = count;
  qsort(s->v, s->n, sizeof *s->v, cmp_lines);
}

/* 1 if the set holds the len bytes at s, which must be lower case. */
static int set_has(const struct set *s, const char *buf, size_t len)
{
  struct key key;
  key.s = buf;
  key.len = len;
  return bsearch(&key, s->v, s->n, sizeof *s->v, cmp_key) != 0;
}

static str greeting = STR_INIT, liphost = STR_INIT;
static int liphostok;
static str rh = STR_INIT, bmf = STR_INIT;
static struct set rhset, bmfset;
static int rhok, bmfok;
static int mrhfd = -1;
static struct cdb mrh;
static unsigned long long databytes;
static const char *remoteip, *remotehost, *remoteinfo, *local, *relayclient;

static void setup(void)
{
  const char *x;

  if (control_init() == -1) die_control();
  if (control_rldef(&greeting, "control/smtpgreeting", 1, 0) != 1) die_control();
  liphostok = control_rldef(&liphost, "control/localiphost", 1, 0);
  if (liphostok == -1) die_control();
  if (control_readint(&timeout, "control/timeoutsmtpd") == -1) die_control();
  if (!timeout) timeout = 1;

  /* rcpthosts, and morercpthosts.cdb only when rcpthosts exists. */
  rhok = control_readfile(&rh, "control/rcpthosts", 0);
  if (rhok == -1) die_control();
  if (rhok) {
    set_load(&rhset, &rh);
    mrhfd = open_read("control/morercpthosts.cdb");
    if (mrhfd == -1 && errno != ENOENT) die_control();
    if (mrhfd != -1) {
      if (fd_cloexec(mrhfd, 1) == -1 || cdb_init(&mrh, mrhfd) == -1) die_control();
    }
  }

  bmfok = control_readfile(&bmf, "control/badmailfrom", 0);
  if (bmfok == -1) die_control();
  if (bmfok) set_load(&bmfset, &bmf);

  if (control_readint(&databytes, "control/databytes") == -1) die_control();
  x = env_get("DATABYTES");
  if (x) num_scan(x, strlen(x), &databytes);

  remoteip = env_get("TCPREMOTEIP");
  if (!remoteip) remoteip = "unknown";
  local = env_get("TCPLOCALHOST");
  if (!local) local = env_get("TCPLOCALIP");
  if (!local) local = "unknown";
  remotehost = env_get("TCPREMOTEHOST");
  if (!remotehost) remotehost = "unknown";
  remoteinfo = env_get("TCPREMOTEINFO");
  relayclient = env_get("RELAYCLIENT");
}

/* This host's IPv4 addresses, from the interface list (as qmail's ipme). */
static unsigned char (*ipme)[4];
static size_t ipmelen;

static int ipme_init(void)
{
  struct ifaddrs *list, *i;
  size_t n = 0;

  if (getifaddrs(&list) == -1) return -1;
  for (i = list; i; i = i->ifa_next)
    if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET) ++n;
  ipme = malloc((n ? n : 1) * sizeof *ipme);
  if (!ipme) {
    freeifaddrs(list);
    die_nomem();
  }
  for (i = list; i; i = i->ifa_next)
    if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET) {
      const struct sockaddr_in *sin = (const struct sockaddr_in *)(const void *)i->ifa_addr;
      memcpy(ipme[ipmelen++], &sin->sin_addr, 4);
    }
  freeifaddrs(list);
  return 0;
}

static int ipme_is(const unsigned char ip[4])
{
  for (size_t i = 0; i < ipmelen; ++i)
    if (!memcmp(ipme[i], ip, 4)) return 1;
  return 0;
}

/* ---- The session ---- */

static str helohost = STR_INIT;
static int fakehelo; /* the HELO name differs from remotehost */
static str addr = STR_INIT, mailfrom = STR_INIT, rcptto = STR_INIT, scratch = STR_INIT;
static size_t rcptcount;
static int seenmail, flagbarf;

static void greet(const char *code)
{
  out_s(code);
  if (io_putstr(&out, &greeting) == -1) _exit(1);
}

static void dohelo(const char *arg)
{
  if (!str_copys(&helohost, arg)) die_nomem();
  fakehelo = strcasecmp(remotehost, helohost.s) != 0;
}

static int overlong; /* the current command line was too long */

/* Parse the address in arg into addr; 0 after answering a syntax error
 * (an overlong line's address is too long by definition). */
static int parse_addr(const char *arg)
{
  int r = overlong ? 0 : smtpcmd_addr(arg, &addr, liphostok ? &liphost : 0, ipme_is);
  if (r == -1) die_nomem();
  if (!r) out_s("555 syntax error (#5.5.4)\r\n");
  return r;
}

static int bmfcheck(void)
{
  const char *at;
  if (!bmfok) return 0;
  if (!str_copystr(&scratch, &addr)) die_nomem();
  lower(scratch.s, scratch.len);
  if (set_has(&bmfset, scratch.s, scratch.len)) return 1;
  at = strrchr(scratch.s, '@');
  return at && set_has(&bmfset, at, scratch.len - (size_t)(at - scratch.s));
}

static int addrallowed(void)
{
  const char *at;
  size_t len;

  if (!rhok) return 1;
  at = strrchr(addr.s, '@');
  if (!at) return 1;
  if (!str_copys(&scratch, at + 1)) die_nomem();
  lower(scratch.s, scratch.len);
  len = scratch.len;
  for (size_t j = 0; j < len; ++j)
    if (!j || scratch.s[j] == '.')
      if (set_has(&rhset, scratch.s + j, len - j)) return 1;
  if (mrhfd != -1)
    for (size_t j = 0; j < len; ++j)
      if (!j || scratch.s[j] == '.') {
        int r = cdb_find(&mrh, scratch.s + j, len - j);
        if (r == -1) die_control();
        if (r) return 1;
      }
  return 0;
}

static void smtp_helo(const char *arg)
{
  greet("250 ");
  out_s("\r\n");
  seenmail = 0;
  dohelo(arg);
}

static void smtp_ehlo(const char *arg)
{
  greet("250-");
  out_s("\r\n250-PIPELINING\r\n250 8BITMIME\r\n");
  seenmail = 0;
  dohelo(arg);
}

static void smtp_mail(const char *arg)
{
  if (!parse_addr(arg)) return;
  flagbarf = bmfcheck();
  seenmail = 1;
  rcptto.len = 0;
  rcptcount = 0;
  if (!str_copystr(&mailfrom, &addr)) die_nomem();
  out_s("250 ok\r\n");
}

static void smtp_rcpt(const char *arg)
{
  if (!seenmail) {
    out_s("503 MAIL first (#5.5.1)\r\n");
    return;
  }
  if (!parse_addr(arg)) return;
  if (flagbarf) {
    out_s("553 sorry, your envelope sender is in my badmailfrom list (#5.7.1)\r\n");
    return;
  }
  if (relayclient) {
    if (!str_cats(&addr, relayclient)) die_nomem();
  } else if (!addrallowed()) {
    out_s("553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)\r\n");
    return;
  }
  if (rcptcount >= RCPT_MAX) {
    out_s("452 too many recipients (#4.5.3)\r\n");
    return;
  }
  if (!str_catstr(&rcptto, &addr) || !str_putc(&rcptto, 0)) die_nomem();
  ++rcptcount;
  out_s("250 ok\r\n");
}

/* Append s to sa with every byte but letters, digits and . @ % + / = : -
 * [ ] turned into '?': the Received line carries no client-chosen syntax. */
static void safecat(str *sa, const char *s)
{
  static const char safe[] = ".@%+/=:-[]";
  for (; *s; ++s) {
    char c = *s;
    int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             strchr(safe, c);
    if (!str_putc(sa, ok ? c : '?')) die_nomem();
  }
}

static void received(qq *q)
{
  scratch.len = 0;
  if (!str_cats(&scratch, "Received: from ")) die_nomem();
  safecat(&scratch, remotehost);
  if (fakehelo) {
    if (!str_cats(&scratch, " (HELO ")) die_nomem();
    safecat(&scratch, helohost.s);
    if (!str_putc(&scratch, ')')) die_nomem();
  }
  if (!str_cats(&scratch, " (")) die_nomem();
  if (remoteinfo) {
    safecat(&scratch, remoteinfo);
    if (!str_putc(&scratch, '@')) die_nomem();
  }
  safecat(&scratch, remoteip);
  if (!str_cats(&scratch, ")\n  by ")) die_nomem();
  safecat(&scratch, local);
  if (!str_cats(&scratch, " with SMTP; ") || !date822_cat(&scratch, time(0)) ||
      !str_putc(&scratch, '\n'))
    die_nomem();
  qq_put(q, scratch.s, scratch.len);
}

static void to_qq(void *q, const char *buf, size_t len) { qq_put(q, buf, len); }

static void smtp_data(void)
{
  static qq q; /* large buffers: not on the stack */
  struct smtpdata data;
  unsigned long qp;
  const char *result;
  int refused;

  if (!seenmail) {
    out_s("503 MAIL first (#5.5.1)\r\n");
    return;
  }
  if (!rcptcount) {
    out_s("503 RCPT first (#5.5.1)\r\n");
    return;
  }
  seenmail = 0;
  if (qq_open(&q) == -1) {
    out_s("451 qqt failure (#4.3.0)\r\n");
    return;
  }
  qp = qq_pid(&q);
  out_s("354 go ahead\r\n");
  received(&q);

  smtpdata_init(&data, databytes, to_qq, &q);
  for (;;) {
    size_t used, n = feed();
    int r = smtpdata_feed(&data, io_peek(&in), n, &used);
    io_skip(&in, used);
    if (r == SMTPDATA_END) break;
    if (r == SMTPDATA_BARELF) die("451 See http://pobox.com/~djb/docs/smtplf.html.\r\n");
  }

  /* A refused message gets no envelope: qmail-queue then queues nothing. */
  refused = smtpdata_looping(&data) || data.toobig;
  if (refused) qq_fail(&q);
  qq_from(&q, mailfrom.s);
  for (size_t i = 0; i < rcptto.len; i += strlen(rcptto.s + i) + 1) qq_to(&q, rcptto.s + i);
  result = qq_close(&q);

  if (!*result) {
    out_s("250 ok ");
    out_n((unsigned long long)time(0));
    out_s(" qp ");
    out_n(qp);
    out_s("\r\n");
  } else if (smtpdata_looping(&data)) {
    out_s("554 too many hops, this message is looping (#5.4.6)\r\n");
  } else if (data.toobig) {
    out_s("552 sorry, that message size exceeds my databytes limit (#5.3.4)\r\n");
  } else {
    out_s(*result == 'D' ? "554 " : "451 ");
    out_s(result + 1);
    out_s("\r\n");
  }
}

static void command(struct smtpcmd *cmd)
{
  const char *arg;
  enum smtpcmd_verb verb = smtpcmd_verb(cmd, &arg);

  /* An overlong line is never obeyed: MAIL and RCPT get their syntax
   * error, everything else is unknown. */
  overlong = smtpcmd_overlong(cmd);
  if (overlong && verb != SMTPCMD_MAIL && verb != SMTPCMD_RCPT) verb = SMTPCMD_UNKNOWN;
  switch (verb) {
  case SMTPCMD_HELO: smtp_helo(arg); break;
  case SMTPCMD_EHLO: smtp_ehlo(arg); break;
  case SMTPCMD_MAIL: smtp_mail(arg); break;
  case SMTPCMD_RCPT: smtp_rcpt(arg); break;
  case SMTPCMD_DATA: smtp_data(); break;
  case SMTPCMD_RSET:
    seenmail = 0;
    out_s("250 flushed\r\n");
    break;
  case SMTPCMD_NOOP: out_s("250 ok\r\n"); break;
  case SMTPCMD_VRFY: out_s("252 send some mail, i'll try my best\r\n"); break;
  case SMTPCMD_HELP: out_s("214 qmail home page: http://pobox.com/~djb/qmail.html\r\n"); break;
  case SMTPCMD_QUIT:
    greet("221 ");
    out_s("\r\n");
    flush();
    _exit(0);
  default: /* SMTPCMD_UNKNOWN */
    out_s("502 unimplemented (#5.5.1)\r\n");
    break;
  }
}

int main(void)
{
  static struct smtpcmd cmd;

  sig_ignore(SIGPIPE);
  io_init(&in, net_read, 0, inspace, sizeof inspace);
  io_init(&out, net_write, 1, outspace, sizeof outspace);
  if (chdir(auto_qmail) == -1) die_control();
  setup();
  dohelo(remotehost);
  if (ipme_init() == -1) die("421 unable to figure out my IP addresses (#4.3.0)\r\n");
  greet("220 ");
  out_s(" ESMTP\r\n");

  smtpcmd_init(&cmd);
  for (;;) {
    size_t used, n = feed();
    int r = smtpcmd_feed(&cmd, io_peek(&in), n, &used);
    io_skip(&in, used);
    if (r == SMTPCMD_LINE) command(&cmd);
  }
}
