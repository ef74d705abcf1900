/* dnsptr: print the name of an IP address from its PTR record
 * (qmail-1.03's test program):
 *   dnsptr a.b.c.d
 *   dnsptr 2001:db8::1
 * As in 1.03 an IPv4 argument is read as far as it is a dotted quad, the
 * rest taken as 0; an argument that is wholly an IPv6 address is looked
 * up under ip6.arpa. Exit 0; 100 without an argument or for a permanent
 * DNS error ("hard error": no PTR); 111 for a temporary one ("soft
 * error") or lack of memory.
 * Runs as whoever calls it; reads /etc/resolv.conf, talks to its servers. */
#include <string.h>
#include "dns.h"
#include "err.h"
#include "io.h"

int main(int argc, char **argv)
{
  char space[IO_OUTSIZE];
  iobuf out;
  static str name = STR_INIT;
  unsigned char ip[16] = { 0 };
  struct ipaddr a;

  if (argc < 2) return 100;
  if (ip6_scan(argv[1], strlen(argv[1]), ip) == strlen(argv[1])) {
    ipaddr_v6(&a, ip);
  } else {
    memset(ip, 0, sizeof ip);
    ip4_scan(argv[1], strlen(argv[1]), ip);
    ipaddr_v4(&a, ip);
  }
  dns_doe(dns_init(0));
  dns_doe(dns_ptr(&name, &a));
  io_init(&out, io_write, 1, space, sizeof space);
  io_putstr(&out, &name);
  io_putsflush(&out, "\n");
  return 0;
}
