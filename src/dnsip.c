/* dnsip: print the IP addresses of a host, one a line (qmail-1.03's
 * test program):
 *   dnsip host
 * The IPv4 addresses (A records), as qmail-1.03; dnsip6 prints the IPv6
 * ones. A dotted quad, bare or in brackets, is printed as it is. Exit 0;
 * 100 without an argument or for a permanent DNS error ("hard error");
 * 111 for a temporary one ("soft error") or lack of memory.
 * Runs as whoever calls it; reads /etc/resolv.conf, talks to its servers. */
#include "dns.h"

int main(int argc, char **argv) { return dns_printips(argc, argv, DNS_WANT_V4); }
