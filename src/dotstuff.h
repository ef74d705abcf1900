/* dotstuff.h: the encoder for the DATA section of SMTP, a pure streaming
 * state machine: stored message bytes (LF line ends) in, SMTP bytes out.
 *
 * The rule (beyond qmail-1.03, which is open to SMTP smuggling):
 *   - LF is a line end and goes out as CRLF;
 *   - CR immediately followed by LF is one line end, also CRLF;
 *   - any other CR (a lone CR, at the end of the message too) is a line
 *     end of its own and goes out as CRLF;
 *   - a '.' at the start of a line goes out as "..";
 *   - every other byte (NUL and 8-bit bytes included) goes out unchanged.
 * So the output holds CR only right before LF and LF only right after
 * CR: a receiver sees the same lines whether it ends lines at CRLF, at LF
 * or at CR, and every '.' that follows a CR or an LF is doubled. Nothing
 * before the end therefore contains <CR><LF>.<CR><LF>, nor \n.\r\n,
 * \r.\r\n, \r\n.\n or any other line break, dot, line break sequence.
 * dotstuff_finish ends the last line if it is unfinished and adds the
 * terminating ".\r\n". */
#ifndef DOTSTUFF_H
#define DOTSTUFF_H

#include <stddef.h>

typedef struct {
  int state; /* at a line start, inside a line, or just after a CR */
} dotstuff;

/* Room the output of dotstuff_encode needs for len input bytes. Callers
 * encode bounded chunks, so this cannot overflow for them. */
#define DOTSTUFF_OUTMAX(len) (2 * (len) + 2)
/* Room the output of dotstuff_finish needs ("\r\n.\r\n"). */
#define DOTSTUFF_FINISHMAX 5

void dotstuff_init(dotstuff *d);
/* Encode len bytes of in into out (DOTSTUFF_OUTMAX(len) bytes of room);
 * return the number of bytes written. */
size_t dotstuff_encode(dotstuff *d, const char *in, size_t len, char *out);
/* 1 if the input so far ends inside a line (neither LF nor CR last, and
 * not empty): a message SMTP cannot carry as it is. */
int dotstuff_partial(const dotstuff *d);
/* Write the end of the data (DOTSTUFF_FINISHMAX bytes of room) and
 * return its length: CRLF if a line is unfinished, then ".\r\n". */
size_t dotstuff_finish(dotstuff *d, char *out);

#endif
