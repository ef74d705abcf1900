/* dnsip6: print the IPv6 addresses of a host (its AAAA records), one a
 * line, in RFC 5952's form:
 *   dnsip6 host
 * An IPv6 address, bare or as "[IPv6:...]", is printed as it is. Exit 0;
 * 100 without an argument or for a permanent DNS error ("hard error");
 * 111 for a temporary one ("soft error") or lack of memory.
 * Runs as whoever calls it; reads /etc/resolv.conf, talks to its servers. */
#include "dns.h"

int main(int argc, char **argv) { return dns_printips(argc, argv, DNS_WANT_V6); }
