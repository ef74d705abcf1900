/* netstring.h: D. J. Bernstein's netstrings ("12:hello world!,"), the
 * framing of QMTP and QMQP.
 *
 * Reading is a state machine fed whatever bytes have arrived, apart from
 * any I/O: it says where the header ends and which bytes are payload, so
 * a payload of any size streams through without being held, and a
 * netstring nested in another is read by feeding it the outer payload.
 * The format is taken strictly: the length is one or more ASCII digits
 * with no leading zero (a lone "0" is the empty string), then ':', then
 * exactly that many bytes, then ','. The length is checked against a
 * caller's cap before each digit is added, so it never wraps.
 *
 * Writing appends netstrings to a str. */
#ifndef NETSTRING_H
#define NETSTRING_H

#include <stddef.h>
#include "num.h"
#include "str.h"

struct netstring {
  size_t len;  /* the declared length: read it from NETSTRING_HEADER on */
  size_t left; /* payload bytes not yet taken */
  size_t max;  /* the largest length accepted */
  int state;   /* private */
};

/* Start reading a netstring whose length may be at most max. */
void netstring_init(struct netstring *ns, size_t max);

/* Take bytes from buf[0..len); *used says how many were taken. Returns
 *   NETSTRING_MORE    all len bytes were taken, more are needed;
 *   NETSTRING_HEADER  the ':' was the last byte taken: ns->len is set;
 *   NETSTRING_DATA    the *used bytes at buf are payload (never 0 of them);
 *   NETSTRING_DONE    the ',' was the last byte taken: the netstring is
 *                     complete (what follows it is not looked at);
 *   NETSTRING_SYNTAX  buf[*used] is a byte the format does not allow;
 *   NETSTRING_TOOBIG  the digit at buf[*used] would make the length
 *                     larger than max.
 * After DONE or an error, every further call returns the same with
 * *used = 0. A caller that wants payload and header apart simply calls
 * again with the rest of buf. */
enum {
  NETSTRING_MORE = 0,
  NETSTRING_HEADER,
  NETSTRING_DATA,
  NETSTRING_DONE,
  NETSTRING_SYNTAX,
  NETSTRING_TOOBIG
};
int netstring_feed(struct netstring *ns, const char *buf, size_t len, size_t *used);

/* 1 if no byte has been taken since netstring_init (the reader is between
 * netstrings), else 0. */
int netstring_idle(const struct netstring *ns);

/* Room for the header of any length: its digits and the ':'. */
#define NETSTRING_HEADMAX (NUM_ULL_DIGITS + 1)

/* Write the header "LEN:" for a payload of len bytes to dst (no NUL);
 * return its length. With dst == 0 only the length is computed. */
size_t netstring_fmthead(char *dst, size_t len);

/* Append the netstring of buf[0..len) (or of the C string s) to sa: 1, or
 * 0 when memory runs out or the size would overflow (sa is then
 * unchanged). */
int netstring_cat(str *sa, const void *buf, size_t len);
int netstring_cats(str *sa, const char *s);

#endif
