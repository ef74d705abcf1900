/* received.h: the Received line the network servers put on each message:
 *   Received: from REMOTEHOST (HELO helo) (REMOTEINFO@REMOTEIP)
 *     by LOCAL with PROTO; DATE
 * " (HELO helo)" only when helo is not 0, "REMOTEINFO@" only when
 * remoteinfo is not 0. REMOTEIP and LOCAL, when they are IPv6 addresses
 * (as ucspi-tcp-ipv6 sets TCPREMOTEIP and TCPLOCALIP), are written as RFC
 * 5321 writes an address literal: "IPv6:2001:db8::1". In every inserted
 * value, each byte other than
 * letters, digits and . @ % + / = : - [ ] becomes '?', so a client cannot
 * put header syntax into it. */
#ifndef RECEIVED_H
#define RECEIVED_H

#include <time.h>
#include "str.h"

/* Set out to the line (ending in a newline); 1, or 0 out of memory. */
int received_line(str *out, const char *proto, const char *local, const char *remoteip,
                  const char *remotehost, const char *remoteinfo, const char *helo, time_t when);

#endif
