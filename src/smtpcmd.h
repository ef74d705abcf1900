/* smtpcmd.h: reading and parsing SMTP command lines, apart from any I/O.
 *
 * Lines: a command line ends at LF; a CR right before the LF is dropped.
 * The reader is a small state machine fed with whatever bytes arrived: it
 * keeps at most SMTPCMD_LINE_MAX bytes of a line (plus the CR), so memory
 * is fixed whatever the client sends. A longer line is read to its LF,
 * only its beginning kept, and marked overlong: its verb is known but its
 * argument is not trusted (given as ""), so an overlong line can never act
 * as a shortened command. qmail-smtpd answers an overlong MAIL or RCPT
 * with qmail's reply for an address too long (555 syntax error) and any
 * other overlong line with 502. (qmail-1.03 had no limit; RFC 5321 asks
 * for 512 bytes, so well-behaved clients never get near this one.)
 *
 * Commands, as qmail-1.03 reads them: the line is taken as a C string (it
 * ends at its first NUL byte); the verb runs to the first space and is
 * matched without regard to case; the argument is the rest of the line
 * after the spaces that follow the verb. */
#ifndef SMTPCMD_H
#define SMTPCMD_H

#include <stddef.h>
#include "ipaddr.h"
#include "str.h"

#define SMTPCMD_LINE_MAX 2048 /* bytes of a command line before CR LF */
#define SMTPCMD_ADDR_MAX 899  /* longest address accepted (as qmail-1.03) */

struct smtpcmd {
  char line[SMTPCMD_LINE_MAX + 2]; /* the line, its CR, and a NUL */
  size_t len;                      /* bytes kept in line */
  int overlong;                    /* more than fits arrived: discarding */
  int complete;                    /* the LF was seen; the next feed restarts */
};

void smtpcmd_init(struct smtpcmd *c);

/* Take bytes from buf[0..len) up to and including the LF that ends the
 * line; *used says how many were taken. SMTPCMD_LINE when the line is
 * complete (then call smtpcmd_verb), SMTPCMD_MORE when all len bytes were
 * taken and the line goes on. */
enum { SMTPCMD_MORE = 0, SMTPCMD_LINE = 1 };
int smtpcmd_feed(struct smtpcmd *c, const char *buf, size_t len, size_t *used);

enum smtpcmd_verb {
  SMTPCMD_UNKNOWN, /* no verb we know (also an empty line) */
  SMTPCMD_HELO, SMTPCMD_EHLO, SMTPCMD_MAIL, SMTPCMD_RCPT, SMTPCMD_DATA,
  SMTPCMD_RSET, SMTPCMD_NOOP, SMTPCMD_VRFY, SMTPCMD_HELP, SMTPCMD_QUIT
};

/* The verb of the complete line in c; *arg is set to its argument, a NUL-
 * terminated string inside c->line (valid until the next smtpcmd_feed),
 * or to "" if the line was overlong (see smtpcmd_overlong). */
enum smtpcmd_verb smtpcmd_verb(struct smtpcmd *c, const char **arg);

/* 1 if the complete line in c was longer than SMTPCMD_LINE_MAX. */
int smtpcmd_overlong(const struct smtpcmd *c);

/* 1 if this host has the address a. */
typedef int (*smtpcmd_islocal)(const struct ipaddr *a);

/* The envelope address in the argument of MAIL or RCPT, as qmail-1.03
 * finds it: if arg holds a '<', the text from after the first '<' up to
 * the next unquoted '>' (or the end); otherwise the text after the first
 * ':' and any spaces, up to the next unquoted space. A leading source
 * route (from '@' through the first ':') is dropped. '"' toggles quoting
 * and is removed; '\' makes the next byte literal and is removed. "<>"
 * gives the empty (null) address. When liphost is not 0 and the host part
 * (after the last '@') is an address literal (smtpcmd_iplit) for which
 * islocal says 1, the host is replaced by liphost (islocal may be 0 when liphost is 0). The
 * result goes to addr (NUL-terminated).
 * Returns 1, 0 for a syntax error (the address is longer than
 * SMTPCMD_ADDR_MAX), -1 out of memory. */
int smtpcmd_addr(const char *arg, str *addr, const str *liphost, smtpcmd_islocal islocal);

/* The SIZE parameter (RFC 1870) of a MAIL argument: the words after the
 * address (past what ends it by smtpcmd_addr's rules), separated by
 * spaces; the first "SIZE=" (any case) followed by decimal digits and
 * nothing else gives *size (a number too large for it gives ULLONG_MAX).
 * 1 if there is one, else 0: other parameters, and a SIZE that is not a
 * number, are ignored, as qmail-1.03 ignores every parameter. */
int smtpcmd_size(const char *arg, unsigned long long *size);

/* Parse host as an address literal and nothing else: "[d.d.d.d]" (each
 * d decimal, 0..255; qmail-1.03 took a larger number modulo 256, so that
 * e.g. [383.0.0.1] meant 127.0.0.1: here it is no IP literal), or RFC
 * 5321's "[IPv6:...]" (the tag in any case, the address as ip6_scan
 * reads it). 1 with a set, or 0. */
int smtpcmd_iplit(const char *host, size_t len, struct ipaddr *a);

#endif
