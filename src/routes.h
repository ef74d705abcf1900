/* routes.h: finding a host's route in control/smtproutes
 * (qmail-control(5), qmail-remote(8)). */
#ifndef ROUTES_H
#define ROUTES_H

#include <stddef.h>

/* Look host (hostlen bytes) up in text, the whole of smtproutes as read
 * (len bytes). Lines are domain:relay; a line starting with '#', or
 * without a colon, says nothing. The route is that of the last line
 * whose domain is host itself, ASCII case ignored; failing that, of the
 * last line for the longest suffix of host that starts with a dot
 * (".example.com"); failing that, of the last line with an empty domain.
 * Returns 1 with *relay and *relaylen set (the text after the colon,
 * trailing spaces, tabs and CRs removed; it may be empty), 0 when no
 * line applies, -1 when a line is longer than CONTROL_LINE_MAX (the file
 * cannot be read as a control file: errno EFBIG). */
int routes_find(const char *text, size_t len, const char *host, size_t hostlen,
                const char **relay, size_t *relaylen);

#endif
