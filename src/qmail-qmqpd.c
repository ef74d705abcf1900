/* qmail-qmqpd: receive one message by QMQP and hand it to qmail-queue
 * (qmail-qmqpd(8); the protocol is D. J. Bernstein's QMQP). Runs as
 * qmaild under tcpserver, which must let only trusted clients (the hosts
 * of a cluster using qmail-qmqpc) connect: every message is queued for
 * whatever recipients it names, with no relay control. The client is on
 * fd 0 (input) and fd 1 (the response); the connection is described by
 * the tcp-environ(5) variables.
 * Untrusted input: every byte the client sends, read as netstrings by the
 * bounded state machine of netstring.h. The message streams to
 * qmail-queue without being held and addresses are kept only up to
 * ADDR_MAX bytes, so memory is bounded whatever the client sends; the
 * whole session may last SESSION_TIME seconds.
 * Exit codes, as qmail's: 0 after the response (or when the client goes
 * away or a write fails), 100 on a protocol violation, 111 for a lack of
 * resources (memory, qmail-queue, time, a length over MESSAGE_MAX);
 * nothing is said to the client in those cases.
 * Touches: reads QMAILHOME/control/smtplog; runs QMAILHOME/bin/qmail-queue;
 * writes nothing else (but its session log on fd 2, when smtplog says so). */
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "auto.h"
#include "control.h"
#include "env.h"
#include "io.h"
#include "netstring.h"
#include "num.h"
#include "qq.h"
#include "received.h"
#include "sesslog.h"
#include "sig.h"
#include "str.h"

#define SESSION_TIME 3600      /* seconds, as the protocol asks */
#define MESSAGE_MAX 2000000000 /* longest netstring length accepted */
#define ADDR_MAX 1000          /* an address this long is refused */

/* The session log (control/smtplog, sesslog.h). */
static struct sesslog lg;

static void log_end(const char *why, int code) __attribute__((noreturn));
static void log_end(const char *why, int code)
{
  sesslog_begin(&lg, "end");
  sesslog_word(&lg, why);
  sesslog_end(&lg);
  _exit(code);
}

static void badproto(void) { log_end("protocol violation", 100); }
static void resources(void) { log_end("out of resources", 111); }
static void timeout(int sig)
{
  (void)sig;
  log_end("timeout", 111);
}

static char inspace[8192];
static char outspace[1024];
static iobuf in, out;

static ssize_t net_write(int fd, void *buf, size_t len)
{
  ssize_t w = io_write(fd, buf, len);
  if (w <= 0) log_end("write failed", 0);
  return w;
}

static ssize_t net_read(int fd, void *buf, size_t len)
{
  ssize_t r = io_read(fd, buf, len);
  if (r <= 0) log_end(r ? "read failed" : "closed", 0);
  return r;
}

static qq q; /* large buffers: not on the stack */
static int flagok = 1; /* every address was acceptable */

static const char *remotehost, *remoteinfo, *remoteip, *local;

static void received(void)
{
  static str line = STR_INIT;

  if (!received_line(&line, "QMQP", local, remoteip, remotehost, remoteinfo, 0, time(0)))
    resources();
  qq_put(&q, line.s, line.len);
}

/* The parts of the package, in order: the message, the sender, then
 * recipients. Each is a netstring inside the outer one; parts counts the
 * ones begun. */
static unsigned long long parts, bytes;
static str addr = STR_INIT, from = STR_INIT;
static int addrok;

static void part_header(size_t len)
{
  ++parts;
  if (parts == 1) {
    if (qq_open(&q) == -1) resources();
    received();
    return;
  }
  addr.len = 0;
  addrok = len < ADDR_MAX;
}

static void part_data(const char *buf, size_t len)
{
  if (parts == 1) {
    qq_put(&q, buf, len);
    bytes += len;
  }
  else if (addrok && memchr(buf, 0, len)) addrok = 0;
  else if (addrok && !str_cat(&addr, buf, len)) resources();
}

/* A sender or recipient is complete: pass it on, or make sure nothing
 * is queued. */
static void part_done(void)
{
  if (parts == 1) return;
  if (!addrok) {
    flagok = 0;
    qq_fail(&q);
    addr.len = 0;
  }
  if (parts == 2 && !str_copystr(&from, &addr)) resources();
  if (!str_putc(&addr, 0)) resources();
  if (parts == 2) qq_from(&q, addr.s);
  else qq_to(&q, addr.s);
}

static void respond(const char *text)
{
  char head[NETSTRING_HEADMAX];
  if (io_put(&out, head, netstring_fmthead(head, strlen(text))) == -1 ||
      io_puts(&out, text) == -1 || io_puts(&out, ",") == -1 || io_flush(&out) == -1)
    log_end("write failed", 0);
}

int main(void)
{
  struct netstring outer, part;
  char ok[80];
  const char *result;
  unsigned long long logging = 0;
  size_t len;
  int r = NETSTRING_MORE;

  sig_ignore(SIGPIPE);
  sig_catch(SIGALRM, timeout);
  alarm(SESSION_TIME);
  io_init(&in, net_read, 0, inspace, sizeof inspace);
  io_init(&out, net_write, 1, outspace, sizeof outspace);
  if (chdir(auto_qmail) == -1 || control_readint(&logging, "control/smtplog") == -1) resources();
  remotehost = env_get("TCPREMOTEHOST");
  remoteinfo = env_get("TCPREMOTEINFO");
  remoteip = env_get("TCPREMOTEIP");
  local = env_get("TCPLOCALHOST");
  if (!remotehost) remotehost = "unknown";
  if (!remoteip) remoteip = "unknown";
  if (!local) local = env_get("TCPLOCALIP");
  if (!local) local = "unknown";
  sesslog_init(&lg, logging != 0);
  sesslog_connect(&lg, "qmqp", remoteip, remotehost, remoteinfo);

  netstring_init(&outer, MESSAGE_MAX);
  netstring_init(&part, MESSAGE_MAX);
  while (r != NETSTRING_DONE) {
    const char *p;
    size_t n, used, u;

    io_feed(&in); /* net_read has ended us unless bytes are there */
    p = io_peek(&in);
    r = netstring_feed(&outer, p, in.n, &used);
    io_skip(&in, used);
    if (r == NETSTRING_SYNTAX) badproto();
    if (r == NETSTRING_TOOBIG) resources();
    if (r != NETSTRING_DATA) continue;
    /* The outer payload: the parts, one after another. */
    for (n = used; n; p += u, n -= u) {
      switch (netstring_feed(&part, p, n, &u)) {
      case NETSTRING_HEADER:
        /* The part and its comma must fit in what is left. */
        if (part.len >= outer.left + (n - u)) badproto();
        part_header(part.len);
        break;
      case NETSTRING_DATA: part_data(p, u); break;
      case NETSTRING_DONE:
        part_done();
        netstring_init(&part, MESSAGE_MAX);
        break;
      case NETSTRING_MORE: break;
      default: badproto(); /* NETSTRING_SYNTAX, NETSTRING_TOOBIG */
      }
    }
  }
  /* The message and the sender at least, and nothing cut short. */
  if (parts < 2 || !netstring_idle(&part)) badproto();

  result = qq_close(&q);
  if (!*result) {
    memcpy(ok, "Kok ", 4);
    len = 4 + num_fmt(ok + 4, (unsigned long long)time(0));
    memcpy(ok + len, " qp ", 4);
    len += 4;
    len += num_fmt(ok + len, qq_pid(&q));
    ok[len] = 0;
    result = ok;
  }
  if (!flagok) result = "Dsorry, I can't accept addresses like that (#5.1.3)";
  if (*result == 'K') {
    sesslog_queued(&lg, qq_pid(&q), bytes, from.s, from.len, parts - 2);
  } else {
    sesslog_refused(&lg, from.s, from.len, result);
  }
  respond(result);
  log_end("done", 0);
}
