/* bounce.h: the text of qmail-send's bounce messages, in the qmail-send
 * Bounce Message Format (QSBMF) exactly as qmail-1.03 writes it. Pure
 * functions that append to a str (1 on success, 0 out of memory).
 *
 * A failed recipient is recorded in bounce/N as a paragraph:
 *     "<" recipient ">:\n" report-text "\n"? "\n"
 * (newlines in the recipient become '_', a newline is added after a
 * report that does not end in one, and a newline right after another
 * becomes '/', so an empty line of the report shows as "/" and does not
 * end the paragraph; as in qmail-1.03 the report's own final newline is
 * left alone). The bounce message is
 *     Date: DATE\n
 *     From: BOUNCEFROM@BOUNCEHOST\n
 *     To: RECIPIENT\n
 *     Subject: failure notice\n
 *     \n
 *     Hi. This is the qmail-send program at BOUNCEHOST.\n
 *     (for a bounce)
 *     I'm afraid I wasn't able to deliver your message to the following addresses.\n
 *     This is a permanent error; I've given up. Sorry it didn't work out.\n
 *     (for a double bounce)
 *     I tried to deliver a bounce message to this address, but the bounce bounced!\n
 *     \n
 *     the paragraphs of bounce/N
 *     --- Below this line is a copy of the message.\n      (double: "is the original bounce.")
 *     \n
 *     Return-Path: <SENDER>\n
 *     the message as queued
 * with local parts quoted as RFC 822 needs. qmail-queue then adds its
 * "Received: (qmail P invoked for bounce)" line on top. */
#ifndef BOUNCE_H
#define BOUNCE_H

#include <stddef.h>
#include <time.h>
#include "str.h"

/* The envelope sender of a double bounce, which marks it as one. */
#define BOUNCE_DOUBLE_SENDER "#@[]"

/* Append the bounce/N paragraph for recip failing with report. */
int bounce_paragraph(str *out, const char *recip, const char *report, size_t reportlen);

/* Append s (len bytes), a local part, quoted if RFC 822 requires. */
int bounce_quote_local(str *out, const char *s, size_t len);
/* Append addr with its local part (before the last '@') quoted as
 * needed; an empty address stays empty. */
int bounce_quote_addr(str *out, const char *addr, size_t len);

enum bounce_kind {
  BOUNCE_SINGLE,       /* to the sender, envelope sender empty */
  BOUNCE_DOUBLE,       /* to doublebounceto@doublebouncehost, sender #@[] */
  BOUNCE_DROP_DOUBLE,  /* a double bounce with doublebounceto empty */
  BOUNCE_DROP_TRIPLE   /* the failed message was a double bounce */
};

/* Decide what a failed message's bounce is. sender is the message's
 * envelope sender; a VERP sender "prefix-@host-@[]" bounces to
 * "prefix-@host". Sets *recipient (replacing its contents) to the
 * bounce's recipient for BOUNCE_SINGLE and BOUNCE_DOUBLE, and
 * *returnpath to the sender shown in Return-Path. Returns the kind, or
 * -1 out of memory. */
int bounce_plan(const char *sender, size_t slen, const str *doublebounceto,
                const str *doublebouncehost, str *recipient, str *returnpath);

/* Append everything before the bounce/N paragraphs. */
int bounce_head(str *out, time_t now, const str *bouncefrom, const str *bouncehost,
                const str *recipient, int kind);
/* Append the break paragraph and the Return-Path line. */
int bounce_break(str *out, const str *returnpath, int kind);

/* The delay notice (not in qmail-1.03; control/queuewarn): sent once to
 * the sender of a message still undelivered to some recipients, in the
 * same format, from the null sender:
 *     Date: DATE\n
 *     From: BOUNCEFROM@BOUNCEHOST\n
 *     To: RECIPIENT\n
 *     Subject: delivery delay notice\n
 *     \n
 *     Hi. This is the qmail-send program at BOUNCEHOST.\n
 *     I haven't been able to deliver your message to the following addresses yet.\n
 *     This is not a permanent error: I'll keep trying until the message has been\n
 *     in the queue for LIFETIME. You need not send it again.\n
 *     \n
 *     paragraphs, as bounce_paragraph makes them, with the last deferral
 *     --- Below this line is the header of the message.\n
 *     \n
 *     Return-Path: <SENDER>\n
 *     the header of the message as queued
 * LIFETIME is queuelifetime in days, hours or seconds, whichever is
 * whole ("7 days", "1 hour", "90 seconds"). */
int bounce_delay_head(str *out, time_t now, const str *bouncefrom, const str *bouncehost,
                      const str *recipient, unsigned long long lifetime);
int bounce_delay_break(str *out, const str *returnpath);

#endif
