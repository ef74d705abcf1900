/* qmail-qmtpd: receive mail by QMTP and hand it to qmail-queue
 * (qmail-qmtpd(8); the protocol is D. J. Bernstein's QMTP). Runs as
 * qmaild under tcpserver (or tcp-env): the client is on fd 0 (input) and
 * fd 1 (responses); the connection is described by the tcp-environ(5)
 * variables.
 * Untrusted input: every byte the client sends. It is read as netstrings
 * by the bounded state machine of netstring.h; the message streams to
 * qmail-queue without being held, addresses are kept only up to ADDR_MAX
 * bytes, per-recipient results only for RCPT_MAX recipients, so the memory
 * of a session is bounded whatever the client sends. The whole session
 * may last SESSION_TIME seconds.
 * Exit codes, as qmail's: 0 when the client closes the connection (or a
 * read or write fails), 100 on a protocol violation, 111 for a lack of
 * resources (memory, controls, qmail-queue, time, a length over
 * MESSAGE_MAX); none of them is reported to the client.
 * Touches: reads QMAILHOME/control (me, rcpthosts, morercpthosts.cdb,
 * databytes, smtplog); runs QMAILHOME/bin/qmail-queue; writes nothing
 * else but, with smtplog, its session log on fd 2 (sesslog.h). */
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "auto.h"
#include "control.h"
#include "rcpthosts.h"
#include "received.h"
#include "sesslog.h"
#include "env.h"
#include "io.h"
#include "netstring.h"
#include "num.h"
#include "qq.h"
#include "sig.h"
#include "str.h"

#define SESSION_TIME 3600         /* seconds, as the protocol asks */
#define MESSAGE_MAX 2000000000    /* longest netstring length accepted */
#define ADDR_MAX 1000             /* an address (+ RELAYCLIENT) this long fails */
#define RCPT_MAX 10000            /* recipients per message; more get Z */

static char inspace[8192];
static char outspace[1024];
static iobuf in, out;

/* The session log (control/smtplog, sesslog.h) and what it counts. */
static struct sesslog lg;
static unsigned long long npackages, nqueued;

static void log_end(const char *why, int code) __attribute__((noreturn));
static void log_end(const char *why, int code)
{
  sesslog_begin(&lg, "end");
  sesslog_word(&lg, why);
  sesslog_word(&lg, "messages");
  sesslog_num(&lg, npackages);
  sesslog_word(&lg, "queued");
  sesslog_num(&lg, nqueued);
  sesslog_end(&lg);
  _exit(code);
}

/* Ending early: the responses to packages already complete go out first
 * (1.03 dropped them), then the connection is closed without a word. */
static void die(const char *why, int code)
{
  io_flush(&out);
  log_end(why, code);
}
static void badproto(void) { die("protocol violation", 100); }
static void resources(void) { die("out of resources", 111); }
static void timeout(int sig)
{
  (void)sig;
  /* a signal handler: the log line is written with write(2), unbuffered */
  log_end("timeout", 111);
}

/* ---- Talking to the client ---- */

/* Responses go out when we are about to wait for the client again, so
 * the responses to a package go in one piece. End of input, or a failed
 * read or write, ends the session quietly. */
static ssize_t net_read(int fd, void *buf, size_t len)
{
  ssize_t r;
  if (io_flush(&out) == -1) log_end("write failed", 0);
  r = io_read(fd, buf, len);
  if (r <= 0) log_end(r ? "read failed" : "closed", 0);
  return r;
}

/* The next event of the netstring ns from the client: NETSTRING_HEADER,
 * NETSTRING_DATA (the payload bytes in *buf, *len) or NETSTRING_DONE. */
static int next(struct netstring *ns, const char **buf, size_t *len)
{
  for (;;) {
    size_t used;
    int r;
    const char *p;

    io_feed(&in); /* net_read has ended us unless bytes are there */
    p = io_peek(&in);
    r = netstring_feed(ns, p, in.n, &used);
    io_skip(&in, used);
    switch (r) {
    case NETSTRING_MORE: continue;
    case NETSTRING_SYNTAX: badproto(); break;
    case NETSTRING_TOOBIG: resources(); break;
    case NETSTRING_DATA:
      *buf = p;
      *len = used;
      return r;
    default: /* NETSTRING_HEADER, NETSTRING_DONE */
      return r;
    }
  }
}

static void out_s(const char *s)
{
  if (io_puts(&out, s) == -1) log_end("write failed", 0);
}

/* Write the response text as a netstring. */
static void respond(const char *text)
{
  char head[NETSTRING_HEADMAX];
  if (io_put(&out, head, netstring_fmthead(head, strlen(text))) == -1) log_end("write failed", 0);
  out_s(text);
  out_s(",");
}

/* ---- Configuration ---- */

static unsigned long long databytes, logging;
static const char *remoteip, *remotehost, *remoteinfo, *local, *relayclient;
static size_t relaylen;

static void setup(void)
{
  const char *x;

  if (chdir(auto_qmail) == -1) resources();
  if (control_init() == -1) resources();
  if (rcpthosts_init() == -1) resources();
  relayclient = env_get("RELAYCLIENT");
  relaylen = relayclient ? strlen(relayclient) : 0;

  if (control_readint(&databytes, "control/databytes") == -1) resources();
  x = env_get("DATABYTES");
  if (x) num_scan(x, strlen(x), &databytes);
  if (control_readint(&logging, "control/smtplog") == -1) resources();

  remotehost = env_get("TCPREMOTEHOST");
  if (!remotehost) remotehost = "unknown";
  remoteinfo = env_get("TCPREMOTEINFO");
  remoteip = env_get("TCPREMOTEIP");
  if (!remoteip) remoteip = "unknown";
  local = env_get("TCPLOCALHOST");
  if (!local) local = env_get("TCPLOCALIP");
  if (!local) local = "unknown";
}

/* rcpthosts_ok, with its trouble ending the session. */
static int rcpthosts(const char *addr, size_t len)
{
  int r = rcpthosts_ok(addr, len);
  if (r == -1) resources();
  return r;
}

/* ---- One package ---- */

static qq q; /* large buffers: not on the stack */
static unsigned long long bytes; /* message bytes given to qmail-queue */
static int toobig;               /* they went past databytes */

static void received(void)
{
  static str line = STR_INIT;
  if (!received_line(&line, "QMTP", local, remoteip, remotehost, remoteinfo, 0, time(0)))
    resources();
  qq_put(&q, line.s, line.len);
}

/* Message bytes as stored, counted against databytes: past it, nothing
 * more goes to qmail-queue and the message will be refused. */
static void emit(const char *buf, size_t len)
{
  if (toobig) return;
  if (databytes && len > databytes - bytes) {
    toobig = 1;
    qq_fail(&q);
    return;
  }
  bytes += len;
  qq_put(&q, buf, len);
}

/* The message netstring. Its first byte gives the line ends: LF (the
 * message is as stored) or CR (CR LF becomes LF; any other CR stays). */
static void message(void)
{
  struct netstring ns;
  const char *p;
  size_t n;
  int first = 1, crlf = 0, cr = 0; /* cr: the last byte was a CR held back */

  netstring_init(&ns, MESSAGE_MAX);
  next(&ns, &p, &n); /* the header */
  if (!ns.len) badproto();
  if (qq_open(&q) == -1) resources();
  bytes = 0;
  toobig = 0;
  while (next(&ns, &p, &n) == NETSTRING_DATA) {
    size_t start = 0;
    if (first) {
      if (*p == '\r') crlf = 1;
      else if (*p != '\n') badproto();
      received();
      first = 0;
      start = 1;
    }
    if (!crlf) {
      emit(p + start, n - start);
      continue;
    }
    for (size_t i = start; i < n; ++i) {
      if (cr) {
        cr = 0;
        if (p[i] != '\n') emit("\r", 1);
      }
      if (p[i] == '\r') {
        emit(p + start, i - start);
        cr = 1;
        start = i + 1;
      }
    }
    emit(p + start, n - start);
  }
  if (cr) emit("\r", 1);
}

/* The sender netstring: refused if it has ADDR_MAX bytes or more or a
 * NUL. Returns 1 if it is acceptable. */
static str from = STR_INIT; /* the sender, for the log */

static int sender(void)
{
  str *addr = &from;
  struct netstring ns;
  const char *p;
  size_t n;
  int ok;

  netstring_init(&ns, MESSAGE_MAX);
  next(&ns, &p, &n);
  ok = ns.len < ADDR_MAX;
  addr->len = 0;
  while (next(&ns, &p, &n) == NETSTRING_DATA) {
    if (ok && memchr(p, 0, n)) ok = 0;
    if (ok && !str_cat(addr, p, n)) resources();
  }
  if (!ok) qq_fail(&q);
  if (!str_putc(addr, 0)) resources();
  qq_from(&q, addr->s);
  --addr->len; /* the NUL is not the sender's */
  return ok;
}

/* What became of each recipient: 'K' given to qmail-queue (its answer
 * is the message's), 'D' not in rcpthosts, 'L' too long or holding a NUL.
 * Past RCPT_MAX recipients only a count is kept: they are all refused
 * for now. */
static str fates = STR_INIT;
static unsigned long long excess;
static int anyrcpt; /* some recipient went to qmail-queue */

static void fate(char c)
{
  if (!str_putc(&fates, c)) resources();
}

static const char refused_rcpthosts[] = "Dsorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)";
static const char refused_long[] = "Dsorry, I can't handle that recipient (#5.1.3)";
static const char refused_many[] = "Ztoo many recipients (#4.5.3)";

/* Log a recipient: accepted (its fate follows the message's), or the
 * response refusing it. */
static void log_rcpt(const str *addr, const char *refusal)
{
  sesslog_begin(&lg, "rcpt");
  sesslog_client(&lg, "<", addr->s, addr->len, ">");
  if (refusal) {
    sesslog_word(&lg, "refused");
    sesslog_word(&lg, refusal);
  } else {
    sesslog_word(&lg, "ok");
  }
  sesslog_end(&lg);
}

/* One recipient, complete: decide its fate. */
static void recipient(str *addr, int ok)
{
  if (fates.len >= RCPT_MAX) {
    ++excess;
    log_rcpt(addr, refused_many);
    return;
  }
  if (!ok) {
    fate('L');
    log_rcpt(addr, refused_long);
    return;
  }
  if (relayclient) {
    if (!str_cats(addr, relayclient)) resources();
  } else if (!rcpthosts(addr->s, addr->len)) {
    fate('D');
    log_rcpt(addr, refused_rcpthosts);
    return;
  }
  log_rcpt(addr, 0);
  if (!str_putc(addr, 0)) resources();
  qq_to(&q, addr->s);
  anyrcpt = 1;
  fate('K');
}

/* The recipient list: a netstring of netstrings, each read by its own
 * machine from the outer one's payload. */
static void recipients(void)
{
  static str addr = STR_INIT;
  struct netstring list, one;
  const char *p;
  size_t n;
  int ok = 1;

  fates.len = 0;
  excess = 0;
  anyrcpt = 0;
  netstring_init(&list, MESSAGE_MAX);
  next(&list, &p, &n);
  netstring_init(&one, MESSAGE_MAX);
  while (next(&list, &p, &n) == NETSTRING_DATA) {
    while (n) {
      size_t used;
      switch (netstring_feed(&one, p, n, &used)) {
      case NETSTRING_HEADER:
        /* The address and its comma must fit in what is left. */
        if (one.len >= list.left + (n - used)) badproto();
        ok = one.len < ADDR_MAX && relaylen < ADDR_MAX - one.len;
        addr.len = 0;
        break;
      case NETSTRING_DATA:
        if (ok && memchr(p, 0, used)) ok = 0;
        if (ok && !str_cat(&addr, p, used)) resources();
        break;
      case NETSTRING_DONE:
        recipient(&addr, ok);
        netstring_init(&one, MESSAGE_MAX);
        break;
      case NETSTRING_MORE:
        break;
      default: /* NETSTRING_SYNTAX, NETSTRING_TOOBIG */
        badproto();
      }
      p += used;
      n -= used;
    }
  }
  if (!netstring_idle(&one)) badproto();
}

/* The recipients given to qmail-queue. */
static unsigned long long countk(void)
{
  unsigned long long k = 0;
  for (size_t i = 0; i < fates.len; ++i) k += fates.s[i] == 'K';
  return k;
}

static void package(void)
{
  char ok[80];
  const char *result;
  unsigned long qp;
  int senderok;
  size_t len;

  message();
  qp = qq_pid(&q);
  senderok = sender();
  recipients();

  if (!anyrcpt) qq_fail(&q);
  result = qq_close(&q);
  if (!senderok) result = "Dunacceptable sender (#5.1.7)";
  if (toobig) result = "Dsorry, that message size exceeds my databytes limit (#5.3.4)";
  ++npackages;
  if (!*result) {
    ++nqueued;
    sesslog_queued(&lg, qp, bytes, from.s, from.len, countk());
    memcpy(ok, "Kok ", 4);
    len = 4 + num_fmt(ok + 4, (unsigned long long)time(0));
    memcpy(ok + len, " qp ", 4);
    len += 4;
    len += num_fmt(ok + len, qp);
    ok[len] = 0;
    result = ok;
  } else {
    sesslog_refused(&lg, from.s, from.len, result);
  }
  for (size_t i = 0; i < fates.len; ++i)
    switch (fates.s[i]) {
    case 'K': respond(result); break;
    case 'D': respond(refused_rcpthosts); break;
    default: respond(refused_long); break; /* 'L' */
    }
  for (unsigned long long i = 0; i < excess; ++i) respond(refused_many);
}

int main(void)
{
  sig_ignore(SIGPIPE);
  sig_catch(SIGALRM, timeout);
  alarm(SESSION_TIME);
  io_init(&in, net_read, 0, inspace, sizeof inspace);
  io_init(&out, io_write, 1, outspace, sizeof outspace);
  setup();
  sesslog_init(&lg, logging != 0);
  sesslog_connect(&lg, "qmtp", remoteip, remotehost, remoteinfo);
  for (;;) package();
}
