/* extra.h: QUEUE_EXTRA, an envelope record qmail-queue adds to every
 * message after the sender, e.g. "Tlog\0" (with QUEUE_EXTRALEN 5) to send
 * a copy of everything to ~alias/.qmail-log. Empty by default. Edit, then
 * `make setup check` and restart qmail. */
#ifndef EXTRA_H
#define EXTRA_H

#define QUEUE_EXTRA ""
#define QUEUE_EXTRALEN 0

#endif
