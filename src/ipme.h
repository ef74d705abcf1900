/* ipme.h: this host's IPv4 addresses, for qmail-remote's check that a
 * mail exchanger is not the host itself (the mail would loop back). As
 * qmail's ipme: 0.0.0.0 first ("this host", RFC 1122 3.2.1.3), then the
 * address of every interface that is up, in the order the system lists
 * them; 127.0.0.1 is added at the end if no interface gave it. */
#ifndef IPME_H
#define IPME_H

#include "dns.h"

/* Build the list once (later calls just say it is there): 1, 0 when out
 * of memory, -1 when the interfaces cannot be listed. */
int ipme_init(void);
/* The list, after ipme_init returned 1 (each entry with preference 0). */
const struct dns_iplist *ipme_list(void);
/* 1 if ip is one of them, 0 if not, -1 when ipme_init fails. */
int ipme_is(const unsigned char ip[4]);

#endif
