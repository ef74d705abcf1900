/* ipme.h: this host's addresses, for qmail-remote's check that a mail
 * exchanger is not the host itself (the mail would loop back) and
 * qmail-smtpd's recognition of its own address literals. As qmail's ipme
 * for IPv4: 0.0.0.0 first ("this host", RFC 1122 3.2.1.3), then the
 * address of every interface that is up, in the order the system lists
 * them, and 127.0.0.1 if no interface gave it. Then IPv6: "::" (the
 * unspecified address, which also reaches this host), the addresses of
 * the interfaces that are up, and ::1 if none of them was it. Each
 * IPv6 address is listed once. */
#ifndef IPME_H
#define IPME_H

#include "dns.h"

/* Build the list once (later calls just say it is there): 1, 0 when out
 * of memory, -1 when the interfaces cannot be listed. */
int ipme_init(void);
/* The list, after ipme_init returned 1 (each entry with preference 0). */
const struct dns_iplist *ipme_list(void);
/* 1 if a is one of them, 0 if not, -1 when ipme_init fails. */
int ipme_is(const struct ipaddr *a);

#endif
