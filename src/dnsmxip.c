/* dnsmxip: print the addresses qmail-remote would try for a domain, one
 * "IP preference" a line, best first (qmail-1.03's test program):
 *   dnsmxip [ -6 ] domain
 * Exchangers of equal preference come in a random order. IPv4 addresses
 * only, as qmail-1.03; with -6, each exchanger's IPv6 addresses (in RFC
 * 5952's form) and then its IPv4 ones, as qmail-remote tries them with
 * control/remoteipv6 1. Exit 0; 100
 * without an argument or for a permanent DNS error ("hard error"); 111
 * for a temporary one ("soft error") or lack of memory.
 * Runs as whoever calls it; reads /etc/resolv.conf, talks to its servers. */
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "dns.h"
#include "err.h"
#include "io.h"

int main(int argc, char **argv)
{
  char space[IO_OUTSIZE], ip[IPADDR_FMT];
  int want = DNS_WANT_V4;
  iobuf out;
  static str name = STR_INIT;
  static struct dns_iplist ia = DNS_IPLIST_INIT;

  if (argc > 1 && !strcmp(argv[1], "-6")) {
    want = DNS_WANT_V4 | DNS_WANT_V6 | DNS_V6_FIRST;
    ++argv;
    --argc;
  }
  if (argc < 2) return 100;
  if (!str_copys(&name, argv[1])) err_die(111, "out of memory", (char *)0);
  dns_doe(dns_init(0));
  dns_doe(dns_mxip(&ia, &name, (unsigned long)time(0) + (unsigned long)getpid(), want));
  io_init(&out, io_write, 1, space, sizeof space);
  for (size_t i = 0; i < ia.len; ++i) {
    io_put(&out, ip, ipaddr_fmt(ip, &ia.ix[i].addr));
    io_puts(&out, " ");
    io_putnum(&out, ia.ix[i].pref);
    io_puts(&out, "\n");
  }
  io_flush(&out);
  return 0;
}
