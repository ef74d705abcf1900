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
 * timeoutsmtpd, rcpthosts, morercpthosts.cdb, badmailfrom, databytes,
 * smtpsize, smtplog, rcptcheck); with smtplog, writes its session log
 * on fd 2 (sesslog.h: the client's bytes escaped, lines bounded);
 * runs QMAILHOME/bin/qmail-queue, and with rcptcheck
 * QMAILHOME/bin/qmail-rcptcheck for each recipient: that one runs as root
 * (setuid) and reads users' .qmail files, so it gets the address as its
 * only argument and /dev/null as fds 0 to 2, never the connection; its
 * exit code is all qmail-smtpd takes from it. Writes nothing else. */
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include "auto.h"
#include "control.h"
#include "ctlset.h"
#include "ipme.h"
#include "rcpthosts.h"
#include "received.h"
#include "sesslog.h"
#include "date822.h"
#include "env.h"
#include "io.h"
#include "netio.h"
#include "num.h"
#include "open.h"
#include "qq.h"
#include "sig.h"
#include "smtpcmd.h"
#include "smtpdata.h"
#include "spawn.h"
#include "str.h"
#include "wait.h"

#define RCPT_MAX 10000 /* recipients per message; more get 452 */

/* The session log (control/smtplog, sesslog.h) and what it counts. */
static struct sesslog lg;
static unsigned long long nmails, nrcpts, nqueued;

static void log_end(const char *why, int code) __attribute__((noreturn));

/* ---- Talking to the client ---- */

static char inspace[65536];
static char outspace[IO_OUTSIZE];
static iobuf in, out;

/* A failed or timed-out write ends the session silently, as in qmail. */
static void flush(void)
{
  if (io_flush(&out) == -1) log_end(netio_timedout ? "timeout" : "write failed", 1);
}

static void out_s(const char *s)
{
  if (io_puts(&out, s) == -1) log_end(netio_timedout ? "timeout" : "write failed", 1);
}

static void out_n(unsigned long long n)
{
  if (io_putnum(&out, n) == -1) log_end(netio_timedout ? "timeout" : "write failed", 1);
}

/* Read op: replies go out only when we are about to wait for input, so
 * pipelined commands are answered in one write. */
static ssize_t net_read(int fd, void *buf, size_t len)
{
  flush();
  if (netio_wait(fd, POLLIN) == -1) return -1;
  return io_read(fd, buf, len);
}

/* Bytes buffered from the client; ends the session on EOF, read error or
 * timeout. */
static size_t feed(void)
{
  ssize_t r = io_feed(&in);
  if (r > 0) return (size_t)r;
  if (r == -1 && netio_timedout) {
    out_s("451 timeout (#4.4.2)\r\n");
    flush();
    log_end("timeout", 1);
  }
  log_end(r ? "read failed" : "dropped", 1);
}

/* Answer text (a reply of ours, CR LF ended) and log the event: what it
 * was about (the client's address or argument, when addr is not 0), then
 * "ok" for a 250, or "refused" and the reply. */
static void reply(const char *event, const str *addr, const char *text)
{
  out_s(text);
  sesslog_begin(&lg, event);
  if (addr) sesslog_client(&lg, "<", addr->s, addr->len, ">");
  if (!strncmp(text, "250", 3)) {
    sesslog_word(&lg, "ok");
  } else {
    sesslog_word(&lg, "refused");
    sesslog_wordn(&lg, text, strlen(text) - 2);
  }
  sesslog_end(&lg);
}

static void log_end(const char *why, int code)
{
  sesslog_begin(&lg, "end");
  sesslog_word(&lg, why);
  sesslog_word(&lg, "mails");
  sesslog_num(&lg, nmails);
  sesslog_word(&lg, "rcpts");
  sesslog_num(&lg, nrcpts);
  sesslog_word(&lg, "queued");
  sesslog_num(&lg, nqueued);
  sesslog_end(&lg);
  _exit(code);
}

static void die(const char *text)
{
  reply("session", 0, text);
  flush();
  log_end("refused", 1);
}

static void die_nomem(void) { die("421 out of memory (#4.3.0)\r\n"); }
static void die_control(void) { die("421 unable to read controls (#4.3.0)\r\n"); }

/* ---- Configuration ---- */

static str greeting = STR_INIT, liphost = STR_INIT;
static int liphostok;
static str bmf = STR_INIT;
static struct ctlset bmfset;
static int bmfok;
static unsigned long long databytes;
static unsigned long long smtpsize; /* control/smtpsize: RFC 1870 SIZE */
static unsigned long long logging;  /* control/smtplog */
static unsigned long long rcptcheck; /* control/rcptcheck */
static const char *remoteip, *remotehost, *remoteinfo, *local, *relayclient;

static void setup(void)
{
  const char *x;

  if (control_init() == -1) die_control();
  if (control_rldef(&greeting, "control/smtpgreeting", 1, 0) != 1) die_control();
  liphostok = control_rldef(&liphost, "control/localiphost", 1, 0);
  if (liphostok == -1) die_control();
  if (control_readint(&netio_timeout, "control/timeoutsmtpd") == -1) die_control();
  if (!netio_timeout) netio_timeout = 1;

  if (rcpthosts_init() == -1) die_control();
  bmfok = control_readfile(&bmf, "control/badmailfrom", 0);
  if (bmfok == -1) die_control();
  if (bmfok && !ctlset_load(&bmfset, &bmf)) die_nomem();

  if (control_readint(&databytes, "control/databytes") == -1) die_control();
  x = env_get("DATABYTES");
  if (x) num_scan(x, strlen(x), &databytes);
  if (control_readint(&smtpsize, "control/smtpsize") == -1) die_control();
  if (control_readint(&logging, "control/smtplog") == -1) die_control();
  if (control_readint(&rcptcheck, "control/rcptcheck") == -1) die_control();
  sesslog_init(&lg, logging != 0);

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

static void log_helo(const char *event)
{
  sesslog_begin(&lg, event);
  sesslog_client(&lg, "", helohost.s, helohost.len, "");
  sesslog_end(&lg);
}

static int overlong; /* the current command line was too long */

/* Parse the address in arg into addr; 0 after answering a syntax error
 * (an overlong line's address is too long by definition). */
static int parse_addr(const char *event, const char *arg)
{
  int r = overlong ? 0 : smtpcmd_addr(arg, &addr, liphostok ? &liphost : 0, ipme_is);
  if (r == -1) die_nomem();
  if (!r) reply(event, 0, "555 syntax error (#5.5.4)\r\n");
  return r;
}

static int bmfcheck(void)
{
  const char *at;
  if (!bmfok) return 0;
  if (!str_copystr(&scratch, &addr)) die_nomem();
  ctlset_lower(scratch.s, scratch.len);
  if (ctlset_has(&bmfset, scratch.s, scratch.len)) return 1;
  at = strrchr(scratch.s, '@');
  return at && ctlset_has(&bmfset, at, scratch.len - (size_t)(at - scratch.s));
}

static int addrallowed(void)
{
  int r = rcpthosts_ok(addr.s, addr.len);
  if (r == -1) die_control();
  return r;
}

static void smtp_helo(const char *arg)
{
  greet("250 ");
  out_s("\r\n");
  seenmail = 0;
  dohelo(arg);
  log_helo("helo");
}

static void smtp_ehlo(const char *arg)
{
  greet("250-");
  if (!smtpsize) {
    out_s("\r\n250-PIPELINING\r\n250 8BITMIME\r\n");
  } else {
    /* RFC 1870: the largest message taken, none when unlimited */
    out_s("\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE");
    if (databytes) {
      out_s(" ");
      out_n(databytes);
    }
    out_s("\r\n");
  }
  seenmail = 0;
  dohelo(arg);
  log_helo("ehlo");
}

static void smtp_mail(const char *arg)
{
  unsigned long long size;

  if (!parse_addr("mail", arg)) return;
  /* a message announced too big is refused before it is sent */
  if (smtpsize && databytes && smtpcmd_size(arg, &size) && size > databytes) {
    reply("mail", &addr, "552 sorry, that message size exceeds my databytes limit (#5.3.4)\r\n");
    return;
  }
  flagbarf = bmfcheck();
  seenmail = 1;
  rcptto.len = 0;
  rcptcount = 0;
  if (!str_copystr(&mailfrom, &addr)) die_nomem();
  ++nmails;
  reply("mail", &addr, "250 ok\r\n");
}

/* qmail-rcptcheck's answer for addr: 0 deliverable (or not a local
 * address), 100 no mailbox by that name, anything else (111, a crash, a
 * helper that cannot run) cannot tell now. */
static int mailbox_check(void)
{
  static str path = STR_INIT;
  char *args[] = { (char *)"qmail-rcptcheck", addr.s, 0 };
  struct spawn sp;
  int devnull, wstat;
  pid_t pid;

  if (!path.len && (!str_cats(&path, auto_qmail) || !str_cats(&path, "/bin/qmail-rcptcheck")))
    die_nomem();
  devnull = open_read("/dev/null");
  if (devnull == -1) return 111;
  spawn_init(&sp, path.s, args);
  sp.fd[0] = sp.fd[1] = sp.fd[2] = devnull;
  pid = spawn_start(&sp);
  close(devnull);
  if (pid == -1 || wait_pid(pid, &wstat) == -1 || wait_crashed(wstat)) return 111;
  return wait_exitcode(wstat);
}

static void smtp_rcpt(const char *arg)
{
  if (!seenmail) {
    reply("rcpt", 0, "503 MAIL first (#5.5.1)\r\n");
    return;
  }
  if (!parse_addr("rcpt", arg)) return;
  if (flagbarf) {
    reply("rcpt", &addr, "553 sorry, your envelope sender is in my badmailfrom list (#5.7.1)\r\n");
    return;
  }
  if (relayclient) {
    if (!str_cats(&addr, relayclient)) die_nomem();
  } else if (!addrallowed()) {
    reply("rcpt", &addr, "553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)\r\n");
    return;
  }
  if (rcptcount >= RCPT_MAX) {
    reply("rcpt", &addr, "452 too many recipients (#4.5.3)\r\n");
    return;
  }
  if (rcptcheck) {
    /* refused now rather than bounced later, to a sender perhaps forged */
    int r = mailbox_check();
    if (r == 100) {
      reply("rcpt", &addr, "550 sorry, no mailbox here by that name (#5.1.1)\r\n");
      return;
    }
    if (r != 0) {
      reply("rcpt", &addr, "451 sorry, unable to check that recipient now (#4.3.0)\r\n");
      return;
    }
  }
  if (!str_catstr(&rcptto, &addr) || !str_putc(&rcptto, 0)) die_nomem();
  ++rcptcount;
  ++nrcpts;
  reply("rcpt", &addr, "250 ok\r\n");
}

/* Append s to sa with every byte but letters, digits and . @ % + / = : -
 * [ ] turned into '?': the Received line carries no client-chosen syntax. */
static void received(qq *q)
{
  if (!received_line(&scratch, "SMTP", local, remoteip, remotehost, remoteinfo,
                     fakehelo ? helohost.s : 0, time(0)))
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
    reply("data", 0, "503 MAIL first (#5.5.1)\r\n");
    return;
  }
  if (!rcptcount) {
    reply("data", 0, "503 RCPT first (#5.5.1)\r\n");
    return;
  }
  seenmail = 0;
  if (qq_open(&q) == -1) {
    reply("data", 0, "451 qqt failure (#4.3.0)\r\n");
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
    ++nqueued;
    sesslog_queued(&lg, qp, data.bytes, mailfrom.s, mailfrom.len, rcptcount);
  } else if (smtpdata_looping(&data)) {
    reply("data", &mailfrom, "554 too many hops, this message is looping (#5.4.6)\r\n");
  } else if (data.toobig) {
    reply("data", &mailfrom, "552 sorry, that message size exceeds my databytes limit (#5.3.4)\r\n");
  } else {
    static str text = STR_INIT;
    if (!str_copys(&text, *result == 'D' ? "554 " : "451 ") || !str_cats(&text, result + 1) ||
        !str_cats(&text, "\r\n"))
      die_nomem();
    reply("data", &mailfrom, text.s);
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
    log_end("quit", 0);
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
  io_init(&out, netio_write, 1, outspace, sizeof outspace);
  if (chdir(auto_qmail) == -1) die_control();
  setup();
  dohelo(remotehost);
  sesslog_connect(&lg, "smtp", remoteip, remotehost, remoteinfo);
  if (ipme_init() != 1) die("421 unable to figure out my IP addresses (#4.3.0)\r\n");
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
