/* dns.h: a stub resolver in the manner of qmail-1.03's dns.c, for IPv4
 * and (asked for AAAA records) IPv6,
 * talking to the recursive servers of /etc/resolv.conf itself (no
 * libresolv, no getaddrinfo). doc/DNS.md describes it in full.
 *
 * Every lookup returns one of
 *   0         done
 *   DNS_SOFT  temporary: no server answered in time, every server failed
 *             (SERVFAIL, REFUSED, NOTIMP, a broken or cut-short answer),
 *             or resolv.conf could not be read
 *   DNS_HARD  permanent: no such name (NXDOMAIN), no records of the type
 *             asked for, a name that cannot be a DNS name, a CNAME loop
 *   DNS_MEM   out of memory
 * exactly as qmail classifies them; dns_cname and dns_mxip also return
 * counts (see each). */
#ifndef DNS_H
#define DNS_H

#include <stddef.h>
#include "ipaddr.h"
#include "str.h"

#define DNS_SOFT -1
#define DNS_HARD -2
#define DNS_MEM -3

#define DNS_MAXNS 3        /* nameserver lines used, as glibc's MAXNS */
#define DNS_MAXSEARCH 6    /* search domains used, as glibc's MAXDNSRCH */
#define DNS_CNAME_LOOPS 10 /* dns_cname's limit, as qmail's */
#define DNS_MXMAX 64       /* exchangers and addresses dns_mxip collects, at most */

/* An address with the preference of the exchanger it belongs to. */
struct dns_ipmx {
  struct ipaddr addr;
  unsigned int pref;
};

struct dns_iplist {
  struct dns_ipmx *ix;
  size_t len, cap;
};
#define DNS_IPLIST_INIT { 0, 0, 0 }

/* Append one entry: 1, or 0 when out of memory (the list is unchanged). */
int dns_iplist_add(struct dns_iplist *l, const struct ipaddr *a, unsigned int pref);
void dns_iplist_free(struct dns_iplist *l);

/* Read /etc/resolv.conf (nameserver, with an IPv4 or IPv6 address;
 * domain, search, options timeout:N attempts:N ndots:N edns0; with no
 * usable nameserver line, 127.0.0.1). With
 * flagsearch the names given to the lookups below are tried with the
 * search domains as res_search does (dnsfq uses this; qmail-remote does
 * not). Lookups call dns_init(0) themselves when it has not been called.
 * 0, DNS_SOFT (the file exists but cannot be read) or DNS_MEM. */
int dns_init(int flagsearch);

/* Which addresses dns_ip and dns_mxip collect: A records, AAAA records
 * or both; with both, each name's IPv6 addresses come before its IPv4
 * ones if DNS_V6_FIRST is set, after them if not. */
#define DNS_WANT_V4 1
#define DNS_WANT_V6 2
#define DNS_V6_FIRST 4

/* The addresses of name (as want says), following CNAMEs, into ia
 * (emptied first), each with preference 0. A dotted quad, bare or in
 * brackets, and (when IPv6 is wanted) an IPv6 address, bare or as
 * "[IPv6:...]", is taken as the address itself without asking DNS. An
 * alias of a name without addresses gives none, and 0. With both
 * families: DNS_SOFT when one failed temporarily and the other gave no
 * addresses, DNS_HARD when both lookups failed for good. */
int dns_ip(struct dns_iplist *ia, const str *name, int want);

/* The mail exchangers of name: their addresses (as want says) into ia
 * (emptied first), lowest preference first, exchangers of equal
 * preference in an order drawn from random, each exchanger's addresses
 * in the order DNS gave (by family as want says). An address literal is
 * that address with preference 0. Without MX records, name's own
 * addresses (as dns_ip) with preference 0. Returns 0, or 1 when some
 * exchanger's addresses (or one family of them) could not be looked up
 * temporarily (ia holds the others; qmail-remote defers if it holds
 * none), or DNS_SOFT, DNS_HARD (for the addresses of a name without MX),
 * DNS_MEM. */
int dns_mxip(struct dns_iplist *ia, const str *name, unsigned long random, int want);

/* Replace name by its canonical name, following a chain of CNAMEs. A
 * name that is empty or ends in ']' is left alone; a final '.' is taken
 * off (counting as a step). Returns the number of steps taken (0: name is
 * not an alias), DNS_HARD after DNS_CNAME_LOOPS steps (an alias loop),
 * DNS_SOFT, DNS_MEM. A name that does not exist is left alone, with the
 * steps so far. */
int dns_cname(str *name);

/* The name of a (its first PTR record under in-addr.arpa, or ip6.arpa
 * for IPv6, following CNAMEs as for classless delegation) into name.
 * DNS_HARD when there is none. */
int dns_ptr(str *name, const struct ipaddr *a);

/* dnsip and dnsip6: `PROGRAM host` prints the host's addresses (as want
 * says) one a line; exit 0, 100 without an argument or for a permanent
 * error, 111 for a temporary one (as dns_doe). */
int dns_printips(int argc, char **argv, int want);

/* For the dns test programs: when r is DNS_HARD, DNS_SOFT or DNS_MEM,
 * print "hard error" (exit 100), "soft error" or "out of memory" (exit
 * 111) as qmail's do; otherwise return. */
void dns_doe(int r);

#endif
