/* dnsfq: print a host's fully qualified name: its first address, then
 * that address's PTR record (qmail-1.03's test program):
 *   dnsfq host
 * Unlike the other dns programs, a name is also tried with the search
 * domains of /etc/resolv.conf. Exit 0; 100 without an argument, when the
 * host has no address ("no IP addresses") or for a permanent DNS error
 * ("hard error"); 111 for a temporary one ("soft error") or lack of
 * memory.
 * Runs as whoever calls it; reads /etc/resolv.conf, talks to its servers. */
#include "dns.h"
#include "err.h"
#include "io.h"

int main(int argc, char **argv)
{
  char space[IO_OUTSIZE];
  iobuf out;
  static str name = STR_INIT;
  static struct dns_iplist ia = DNS_IPLIST_INIT;

  if (argc < 2) return 100;
  if (!str_copys(&name, argv[1])) err_die(111, "out of memory", (char *)0);
  dns_doe(dns_init(1));
  dns_doe(dns_ip(&ia, &name, DNS_WANT_V4));
  if (!ia.len) err_die(100, "no IP addresses", (char *)0);
  dns_doe(dns_ptr(&name, &ia.ix[0].addr));
  io_init(&out, io_write, 1, space, sizeof space);
  io_putstr(&out, &name);
  io_putsflush(&out, "\n");
  return 0;
}
