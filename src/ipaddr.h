/* ipaddr.h: IPv4 and IPv6 addresses and their text forms.
 *
 * An address is kept as its family and its bytes in network order (an
 * IPv4 address in the first 4 of the 16). Text forms:
 *   IPv4   the dotted quad, "192.0.2.1";
 *   IPv6   RFC 5952's canonical form: lower-case hexadecimal without
 *          leading zeros, the longest run of two or more zero groups (the
 *          first of equal runs) written "::", and an IPv4-mapped address
 *          as "::ffff:192.0.2.1";
 *   tagged as RFC 5321 (4.1.3) writes an address literal, without the
 *          brackets: an IPv6 address gets "IPv6:" in front
 *          ("IPv6:2001:db8::1"), an IPv4 one stays as it is.
 * The scanners take the forms RFC 4291 (2.2) allows: one to four hex
 * digits per group, any case, at most one "::", and a dotted quad in
 * place of the last two groups. */
#ifndef IPADDR_H
#define IPADDR_H

#include <stddef.h>
#include <sys/socket.h>

enum { IPADDR_V4 = 4, IPADDR_V6 = 6 };

struct ipaddr {
  unsigned char family; /* IPADDR_V4 or IPADDR_V6 */
  unsigned char ip[16]; /* IPv4: ip[0..3] */
};

#define IP4_FMT 16   /* room for a dotted quad and a NUL */
#define IP6_FMT 46   /* room for an IPv6 address and a NUL (INET6_ADDRSTRLEN) */
#define IPADDR_FMT 51 /* room for a tagged IPv6 address and a NUL */

/* Dotted quads: ip4_fmt writes one (no NUL) and returns its length.
 * ip4_scan reads four decimal numbers 0..255 separated by dots from the
 * start of s, storing each byte of ip as it is read; it returns the bytes
 * used, or 0 when s does not start with a whole address. */
size_t ip4_fmt(char buf[IP4_FMT], const unsigned char ip[4]);
size_t ip4_scan(const char *s, size_t len, unsigned char ip[4]);

/* IPv6: ip6_scan reads an address from the start of s and returns the
 * bytes used (the longest prefix of s that is an address), or 0. ip6_fmt
 * writes the canonical form (no NUL) and returns its length. */
size_t ip6_scan(const char *s, size_t len, unsigned char ip[16]);
size_t ip6_fmt(char buf[IP6_FMT], const unsigned char ip[16]);

/* Fill a from 4 or 16 bytes. */
void ipaddr_v4(struct ipaddr *a, const unsigned char ip[4]);
void ipaddr_v6(struct ipaddr *a, const unsigned char ip[16]);
/* 1 if both are the same address of the same family. */
int ipaddr_equal(const struct ipaddr *a, const struct ipaddr *b);

/* The text form of a (no NUL), plain or tagged; its length. */
size_t ipaddr_fmt(char buf[IPADDR_FMT], const struct ipaddr *a);
size_t ipaddr_fmt_tagged(char buf[IPADDR_FMT], const struct ipaddr *a);

/* All of s (len bytes) as a dotted quad, or as an IPv6 address when
 * allow6; 1 with a set, else 0. */
int ipaddr_scan(const char *s, size_t len, int allow6, struct ipaddr *a);

/* All of s as an address literal: "[d.d.d.d]", or "[IPv6:x:x::x]" (the
 * tag in any case) when allow6. 1 with a set, else 0. */
int ipaddr_literal(const char *s, size_t len, int allow6, struct ipaddr *a);

/* a and port as a socket address in ss; its length. */
socklen_t ipaddr_sockaddr(struct sockaddr_storage *ss, const struct ipaddr *a, unsigned int port);

#endif
