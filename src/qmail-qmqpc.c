/* qmail-qmqpc: give a message to a QMQP server instead of queueing it
 * here (qmail-qmqpc(8)). Same interface as qmail-queue: the message on
 * fd 0, the envelope on fd 1, the result in the exit code (qmail-queue's
 * table: 0 accepted, 31 the server refused it for good, 71 the server
 * refused it for now, 72 connecting timed out, 73 every connection was
 * refused, 74 the conversation failed, 51 out of memory, 54 read error,
 * 55 no usable control/qmqpservers, 56 no socket, 61 no QMAILHOME, 91
 * a malformed envelope). Installed as qmail-queue, it makes this host a
 * null client of the QMQP servers.
 * Runs as whoever calls it, with no privileges. Untrusted input: the
 * message and envelope (the caller's own; held in memory to learn their
 * length, at most HOLD_MAX bytes together) and every byte a server
 * sends (only its response netstring's first payload byte is used).
 * Connecting waits at most CONNECT_TIMEOUT seconds, each later read or
 * write IO_TIMEOUT seconds.
 * Touches: reads QMAILHOME/control/me and qmqpservers; connects to TCP
 * port 628 of the servers listed; writes no file. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "auto.h"
#include "control.h"
#include "dns.h"
#include "fd.h"
#include "io.h"
#include "netstring.h"
#include "safemath.h"
#include "sig.h"
#include "str.h"

#define PORT_QMQP 628
#define CONNECT_TIMEOUT 10
#define IO_TIMEOUT 60
#define HOLD_MAX ((size_t)100 * 1024 * 1024) /* message and envelope, bytes */
#define RESPONSE_MAX 100000          /* longest response netstring taken */

static void die_read(void) { _exit(errno == ENOMEM ? 51 : 54); }

/* ---- The message and the envelope, as netstrings ---- */

static str message = STR_INIT; /* the message itself */
static str after = STR_INIT;   /* ',' ending it, then sender and recipients */

static size_t held(void) { return message.len + after.len; }

static void getmess(void)
{
  char space[8192];
  iobuf env;
  str line = STR_INIT;
  int r;

  for (;;) {
    ssize_t n = io_read(0, space, sizeof space);
    if (n == 0) break;
    if (n < 0) die_read();
    if ((size_t)n > HOLD_MAX - held() || !str_cat(&message, space, (size_t)n)) _exit(51);
  }
  if (!str_reserve(&message, 0) || !str_copys(&after, ",")) _exit(51);

  /* F sender \0, then T recipient \0 for each, then \0. */
  io_init(&env, io_read, 1, space, sizeof space);
  for (int first = 1;; first = 0) {
    line.len = 0;
    r = io_getline(&env, &line, 0, HOLD_MAX - held());
    if (r == IO_ERR) die_read();
    if (r == IO_TOOLONG) _exit(51);
    if (r == IO_EOF) _exit(91);
    if (!first && line.len < 2) break;
    if (line.len < 2 || line.s[0] != (first ? 'F' : 'T')) _exit(91);
    /* The address as a netstring: its header, itself and ','. */
    if (netstring_fmthead(0, line.len - 2) + line.len - 1 > HOLD_MAX - held() ||
        !netstring_cat(&after, line.s + 1, line.len - 2))
      _exit(51);
  }
  str_free(&line);
}

/* ---- One server ---- */

static int lasterror = 55; /* the exit code if no server takes the message */
static int qmqpfd;

/* Wait until fd is ready for events within seconds: 0, or -1 with errno
 * (ETIMEDOUT when time ran out). */
static int wait_for(int fd, short events, int seconds)
{
  struct pollfd p;
  int r;

  p.fd = fd;
  p.events = events;
  do r = poll(&p, 1, seconds * 1000); while (r == -1 && errno == EINTR);
  if (r == 0) errno = ETIMEDOUT;
  return r == 1 ? 0 : -1;
}

/* A failed or timed-out read or write ends everything: 74. */
static ssize_t net_read(int fd, void *buf, size_t len)
{
  ssize_t r;
  if (wait_for(fd, POLLIN, IO_TIMEOUT) == -1) _exit(74);
  r = io_read(fd, buf, len);
  if (r <= 0) _exit(74);
  return r;
}

static ssize_t net_write(int fd, void *buf, size_t len)
{
  for (;;) {
    ssize_t w;
    if (wait_for(fd, POLLOUT, IO_TIMEOUT) == -1) _exit(74);
    w = io_write(fd, buf, len);
    if (w == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) continue;
    if (w <= 0) _exit(74);
    return w;
  }
}

/* Connect to ip:628 within CONNECT_TIMEOUT: 0, or -1 with errno. */
static int timed_connect(int fd, const unsigned char ip[4])
{
  struct sockaddr_in sa;
  int err;
  socklen_t len = sizeof err;

  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons(PORT_QMQP);
  memcpy(&sa.sin_addr, ip, 4);
  if (fd_nonblock(fd, 1) == -1) return -1;
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) return 0;
  if (errno != EINPROGRESS) return -1;
  if (wait_for(fd, POLLOUT, CONNECT_TIMEOUT) == -1) return -1;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1) return -1;
  if (!err) return 0;
  errno = err;
  return -1;
}

/* The server's response decides the exit: K 0, Z 71, D 31. */
static void response(void)
{
  char space[1024];
  iobuf in;
  struct netstring ns;

  io_init(&in, net_read, qmqpfd, space, sizeof space);
  netstring_init(&ns, RESPONSE_MAX);
  for (;;) {
    size_t used;
    int r;
    const char *p;

    io_feed(&in); /* net_read has ended us unless bytes are there */
    p = io_peek(&in);
    r = netstring_feed(&ns, p, in.n, &used);
    io_skip(&in, used);
    if (r == NETSTRING_DATA) {
      if (*p == 'K') _exit(0);
      if (*p == 'Z') _exit(71);
      if (*p == 'D') _exit(31);
    }
    if (r != NETSTRING_MORE && r != NETSTRING_HEADER) _exit(74);
  }
}

static void doit(const char *server)
{
  unsigned char ip[4];
  char space[IO_OUTSIZE], head[NETSTRING_HEADMAX];
  iobuf out;
  size_t total;

  if (!ip4_scan(server, strlen(server), ip)) return;
  qmqpfd = socket(AF_INET, SOCK_STREAM, 0);
  if (qmqpfd == -1) _exit(56);
  if (timed_connect(qmqpfd, ip) == -1) {
    lasterror = errno == ETIMEDOUT ? 72 : 73;
    close(qmqpfd);
    return;
  }

  /* One netstring: the message's netstring, then the envelope's. */
  if (!size_add(netstring_fmthead(0, message.len), message.len, &total) ||
      !size_add(total, after.len, &total))
    _exit(51);
  io_init(&out, net_write, qmqpfd, space, sizeof space);
  if (io_put(&out, head, netstring_fmthead(head, total)) == -1 ||
      io_put(&out, head, netstring_fmthead(head, message.len)) == -1 ||
      io_put(&out, message.s, message.len) == -1 || io_putstr(&out, &after) == -1 ||
      io_put(&out, ",", 1) == -1 || io_flush(&out) == -1)
    _exit(74);
  response();
}

int main(void)
{
  static str servers = STR_INIT;

  sig_ignore(SIGPIPE);
  if (chdir(auto_qmail) == -1) _exit(61);
  if (control_init() == -1) _exit(55);
  if (control_readfile(&servers, "control/qmqpservers", 0) != 1) _exit(55);
  getmess();
  for (size_t i = 0; i < servers.len; i += strlen(servers.s + i) + 1) doit(servers.s + i);
  _exit(lasterror);
}
