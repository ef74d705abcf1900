/* dnscname: print the canonical name of a host, following CNAMEs as
 * qmail-remote does (qmail-1.03's test program):
 *   dnscname host
 * Exit 0 with the name on stdout; 100 without an argument or for a
 * permanent DNS error ("hard error", an alias loop); 111 for a temporary
 * one ("soft error") or lack of memory. Messages go to stderr.
 * Runs as whoever calls it; reads /etc/resolv.conf, talks to its servers. */
#include "dns.h"
#include "err.h"
#include "io.h"

int main(int argc, char **argv)
{
  char space[IO_OUTSIZE];
  iobuf out;
  static str name = STR_INIT;

  if (argc < 2) return 100;
  if (!str_copys(&name, argv[1])) err_die(111, "out of memory", (char *)0);
  dns_doe(dns_init(0));
  dns_doe(dns_cname(&name));
  io_init(&out, io_write, 1, space, sizeof space);
  io_putstr(&out, &name);
  io_putsflush(&out, "\n");
  return 0;
}
