/* tcp-env: describe the TCP connection on fd 0 in the environment, then
 * run a program (tcp-env(1), tcp-environ(5)):
 *   tcp-env [ -rR ] [ -t timeout ] program [ arg ... ]
 * Runs as whoever starts it (typically from inetd, before the service
 * drops privileges); needs no privileges and touches no files.
 * Untrusted input: the peer's address and the names reverse DNS gives for
 * both ends; they only become environment values (TCPREMOTEHOST and
 * TCPLOCALHOST lower-cased), never reach a shell.
 * If PROTO is already TCP or TCP6, the environment is taken as set up
 * (e.g. by tcpserver, or ucspi-tcp-ipv6's) and fd 0 is not examined.
 * Otherwise PROTO, TCPLOCALIP, TCPLOCALPORT, TCPREMOTEIP and
 * TCPREMOTEPORT come from getsockname and getpeername, as ucspi-tcp-ipv6
 * gives them: PROTO is TCP6 when the client has an IPv6 address (written
 * as RFC 5952 says), TCP for an IPv4 one (also when it came over an IPv6
 * socket as an IPv4-mapped address); TCPLOCALHOST and TCPREMOTEHOST from the system's resolver
 * (getnameinfo, so /etc/hosts and DNS PTR records as nsswitch.conf says),
 * removed when there is no name. TCPREMOTEINFO is always removed: this
 * tcp-env makes no RFC 1413 (ident) queries, so -r, -R and -t are
 * accepted for compatibility and change nothing.
 * Exit: 100 usage; 111 fd 0 is not a connected socket, out of memory, or
 * the program could not be run. */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "env.h"
#include "err.h"
#include "ipaddr.h"
#include "num.h"
#include "sig.h"

#define FATAL "tcp-env: fatal: "

static void usage(void)
{
  err_die(100, "tcp-env: usage: tcp-env [ -rR ] [ -t timeout ] program [ arg ... ]", (char *)0);
}

static void put(const char *name, const char *value)
{
  if (setenv(name, value, 1) == -1) err_die_sys(111, FATAL, "unable to set ", name, (char *)0);
}

static void unset(const char *name)
{
  if (unsetenv(name) == -1) err_die_sys(111, FATAL, "unable to unset ", name, (char *)0);
}

static void die_format(void)
{
  err_die_sys(111, FATAL, "unable to format an address", (char *)0);
}

/* An IPv4-mapped IPv6 address becomes the plain IPv4 one, so the address
 * is given in dotted-decimal form as tcp-environ(5) says. */
static void unmap(struct sockaddr_storage *ss, socklen_t *len)
{
  struct sockaddr_in6 six;
  struct sockaddr_in four;

  if (ss->ss_family != AF_INET6) return;
  memcpy(&six, ss, sizeof six);
  if (!IN6_IS_ADDR_V4MAPPED(&six.sin6_addr)) return;
  memset(&four, 0, sizeof four);
  four.sin_family = AF_INET;
  four.sin_port = six.sin6_port;
  memcpy(&four.sin_addr, six.sin6_addr.s6_addr + 12, 4);
  memset(ss, 0, sizeof *ss);
  memcpy(ss, &four, sizeof four);
  *len = sizeof four;
}

/* Set PREFIXIP, PREFIXPORT and PREFIXHOST (or remove the last) for one
 * end; 1 if its address is IPv6, 0 if IPv4. */
static int describe(const char *ipvar, const char *portvar, const char *hostvar,
                    struct sockaddr_storage *ss, socklen_t len)
{
  char ip[NI_MAXHOST], host[NI_MAXHOST], port[NUM_ULL_DIGITS + 1];
  unsigned short p;
  int v6 = 0;

  unmap(ss, &len);
  if (ss->ss_family == AF_INET) {
    struct sockaddr_in sin;
    memcpy(&sin, ss, sizeof sin);
    if (!inet_ntop(AF_INET, &sin.sin_addr, ip, sizeof ip)) die_format();
    p = ntohs(sin.sin_port);
  } else if (ss->ss_family == AF_INET6) {
    struct sockaddr_in6 six;
    memcpy(&six, ss, sizeof six);
    ip[ip6_fmt(ip, six.sin6_addr.s6_addr)] = 0;
    p = ntohs(six.sin6_port);
    v6 = 1;
  } else {
    err_die(111, FATAL, "standard input is not a TCP connection", (char *)0);
  }
  put(ipvar, ip);
  port[num_fmt(port, p)] = 0;
  put(portvar, port);
  if (getnameinfo((struct sockaddr *)ss, len, host, sizeof host, 0, 0, NI_NAMEREQD) == 0) {
    for (char *h = host; *h; ++h)
      if (*h >= 'A' && *h <= 'Z') *h = (char)(*h + 32);
    put(hostvar, host);
  } else {
    unset(hostvar);
  }
  return v6;
}

int main(int argc, char **argv)
{
  const char *proto;
  int opt;

  while ((opt = getopt(argc, argv, "+rRt:")) != -1) {
    if (opt == '?') usage();
    /* -r, -R, -t: ident lookups are not made (see above). */
  }
  argv += optind;
  if (!*argv) usage();

  proto = env_get("PROTO");
  if (!proto || (strcmp(proto, "TCP") && strcmp(proto, "TCP6"))) {
    struct sockaddr_storage ss;
    socklen_t len;

    len = sizeof ss;
    if (getsockname(0, (struct sockaddr *)&ss, &len) == -1)
      err_die_sys(111, FATAL, "unable to get the local address of standard input", (char *)0);
    describe("TCPLOCALIP", "TCPLOCALPORT", "TCPLOCALHOST", &ss, len);
    len = sizeof ss;
    if (getpeername(0, (struct sockaddr *)&ss, &len) == -1)
      err_die_sys(111, FATAL, "unable to get the remote address of standard input", (char *)0);
    put("PROTO", describe("TCPREMOTEIP", "TCPREMOTEPORT", "TCPREMOTEHOST", &ss, len) ? "TCP6" : "TCP");
    unset("TCPREMOTEINFO");
  }

  sig_default(SIGPIPE);
  execvp(*argv, argv);
  err_die_sys(111, FATAL, "unable to run ", *argv, (char *)0);
}
