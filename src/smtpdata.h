/* smtpdata.h: the DATA phase of SMTP as a state machine, apart from any
 * I/O: fed the bytes a client sends after "354", it hands the message
 * (CR LF turned into LF, leading dots removed) to a sink as it goes, so a
 * message of any size streams through in fixed memory.
 *
 * The rules are qmail-1.03's:
 *  - only CR LF "." CR LF ends the data (the very start counts as after a
 *    CR LF); no other combination of CR, LF and "." does;
 *  - a "." that starts a line is dropped ("." CR followed by anything but
 *    LF is kept as it came);
 *  - CR LF becomes LF; a CR not followed by LF is passed through;
 *  - an LF not preceded by CR (a bare LF) is an error: the session must
 *    answer 451 and end (SMTPDATA_BARELF), nothing may be queued;
 *  - hop count: in the header (up to the first line that is just CR LF),
 *    lines whose first bytes are "Received" or "Delivered" in any case are
 *    counted; SMTPDATA_MAXHOPS or more means the message loops;
 *  - databytes: the bytes handed to the sink (the message as stored) are
 *    counted without wrapping; past the limit (if not 0) the message is
 *    too big and nothing more goes to the sink. */
#ifndef SMTPDATA_H
#define SMTPDATA_H

#include <stddef.h>

#define SMTPDATA_MAXHOPS 100

typedef void (*smtpdata_sink)(void *arg, const char *buf, size_t len);

struct smtpdata {
  /* Read these after SMTPDATA_END. */
  unsigned long hops;       /* Received/Delivered header lines (saturating) */
  unsigned long long bytes; /* message bytes so far (saturating) */
  int toobig;               /* bytes went past limit */
  /* Private. */
  unsigned long long limit; /* databytes; 0 = none */
  int state;
  int inheader;
  unsigned int hpos;        /* bytes into the current header line, up to 9 */
  int maybe_received, maybe_delivered, maybe_blank;
  smtpdata_sink sink;
  void *arg;
};

void smtpdata_init(struct smtpdata *d, unsigned long long databytes, smtpdata_sink sink, void *arg);

/* Take bytes from buf[0..len); *used says how many were taken. Returns
 *   SMTPDATA_MORE   all len bytes were taken, the data goes on;
 *   SMTPDATA_END    the final CR LF "." CR LF was the last byte taken
 *                   (what follows it is the client's next command);
 *   SMTPDATA_BARELF a bare LF was the last byte taken. */
enum { SMTPDATA_MORE = 0, SMTPDATA_END = 1, SMTPDATA_BARELF = 2 };
int smtpdata_feed(struct smtpdata *d, const char *buf, size_t len, size_t *used);

/* 1 if the message seen so far has SMTPDATA_MAXHOPS or more hops. */
int smtpdata_looping(const struct smtpdata *d);

#endif
