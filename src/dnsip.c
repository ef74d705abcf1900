/* dnsip: print the IP addresses of a host, one a line (qmail-1.03's
 * test program):
 *   dnsip host
 * A dotted quad, bare or in brackets, is printed as it is. Exit 0; 100
 * without an argument or for a permanent DNS error ("hard error"); 111
 * for a temporary one ("soft error") or lack of memory.
 * Runs as whoever calls it; reads /etc/resolv.conf, talks to its servers. */
#include "dns.h"
#include "err.h"
#include "io.h"

int main(int argc, char **argv)
{
  char space[IO_OUTSIZE], ip[DNS_IPFMT];
  iobuf out;
  static str name = STR_INIT;
  static struct dns_iplist ia = DNS_IPLIST_INIT;

  if (argc < 2) return 100;
  if (!str_copys(&name, argv[1])) err_die(111, "out of memory", (char *)0);
  dns_doe(dns_init(0));
  dns_doe(dns_ip(&ia, &name));
  io_init(&out, io_write, 1, space, sizeof space);
  for (size_t i = 0; i < ia.len; ++i) {
    io_put(&out, ip, dns_ipfmt(ip, ia.ix[i].ip));
    io_puts(&out, "\n");
  }
  io_flush(&out);
  return 0;
}
