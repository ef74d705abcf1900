/* tcpto.h: qmail-remote's memory of hosts that do not answer, the file
 * QMAILHOME/queue/lock/tcpto, in qmail-1.03's format and with its rules
 * (qmail-tcpto(8) describes them for people), and IPv6 hosts after it.
 *
 * The file is TCPTO_SIZE bytes. The first TCPTO_SIZE4 are qmail-1.03's
 * whole file: TCPTO_RECORDS records of 16 bytes for IPv4 hosts
 *   bytes 0..3   the address, in network order
 *   byte  4      the count of recent connection timeouts (0: the slot is
 *                free, or the host answered since)
 *   bytes 8..11  when the last counted timeout happened: seconds since
 *                the epoch, least significant byte first
 *   other bytes  unused; kept as they are found
 * (qmail-1.03 reads only these bytes, so it reads this file as its own).
 * Then TCPTO_RECORDS records of 32 bytes for IPv6 hosts: the address in
 * bytes 0..15, the count in byte 16, the time in bytes 20..23, the same
 * way. A file shorter than TCPTO_SIZE (qmail-1.03's, of 1024 bytes)
 * holds as many records as it has whole records of each kind; bytes
 * after TCPTO_SIZE are ignored. Every reader and writer holds an
 * exclusive flock on the file while it looks at it. */
#ifndef TCPTO_H
#define TCPTO_H

#include <stddef.h>
#include "ipaddr.h"

#define TCPTO_FILE "queue/lock/tcpto" /* relative to QMAILHOME */
#define TCPTO_RECORDS 64  /* of each kind */
#define TCPTO_SIZE4 1024  /* the IPv4 records: qmail-1.03's whole file */
#define TCPTO_SIZE (TCPTO_SIZE4 + TCPTO_RECORDS * 32)
#define TCPTO_COUNTMAX 10 /* the count stops growing here */
#define TCPTO_SPACING 120 /* seconds: a timeout sooner after the last one is not counted */
#define TCPTO_DOWN 2      /* timeouts in a row after which a host is avoided */

/* Where the records of one family are and how they are laid out. */
struct tcpto_kind {
  size_t start;     /* offset in the file of the first record */
  size_t reclen, addrlen, off_count, off_when;
};
/* The kind for IPADDR_V4 or IPADDR_V6. */
const struct tcpto_kind *tcpto_kind(int family);

/* ---- the records (no I/O; recs holds n records of kind k) ---- */

/* The count and the time of the record at rec. */
unsigned int tcpto_count(const struct tcpto_kind *k, const unsigned char *rec);
unsigned long tcpto_when(const struct tcpto_kind *k, const unsigned char *rec);

/* The index of the first record for ip (k->addrlen bytes), or n when
 * there is none. */
size_t tcpto_find(const struct tcpto_kind *k, const unsigned char *recs, size_t n,
                  const unsigned char *ip);

/* How long a host with TCPTO_DOWN or more timeouts is avoided after its
 * last one: (60 + (pid mod 32)) * 64 seconds, 64 to 97 minutes, so that
 * the processes do not all come back to it at the same moment. */
unsigned long tcpto_window(unsigned long pid);

/* 1 if ip is to be skipped at time now: its record counts TCPTO_DOWN or
 * more timeouts and the last was less than window seconds ago (a time in
 * the future does not count as recent). *known is set to 1 when ip has a
 * record, else 0. */
int tcpto_isdown(const struct tcpto_kind *k, const unsigned char *recs, size_t n,
                 const unsigned char *ip, unsigned long long now, unsigned long window,
                 int *known);

/* Record the outcome of a connection attempt to ip at time now: a
 * timeout (timedout 1) or anything else (0: connected, or refused, which
 * shows the host is up). A host that answered gets its count set to 0; a
 * timeout adds 1 to the count (up to TCPTO_COUNTMAX, and only when the
 * count is 0 or the last timeout is at least TCPTO_SPACING seconds old)
 * and sets the time. A host without a record gets one, with count 1,
 * only for a timeout: in the first free slot, else in place of the
 * record whose time plus 1024 seconds per timeout is least (the first
 * such). Returns 1 with *idx set to the record that changed (the caller
 * writes it back), or 0 when nothing changed. */
int tcpto_update(const struct tcpto_kind *k, unsigned char *recs, size_t n,
                 const unsigned char *ip, int timedout, unsigned long long now, size_t *idx);

/* ---- the file ---- */

/* Open fn for reading and writing (only root and qmailr can); an fd with
 * close-on-exec, or -1. */
int tcpto_open(const char *fn);
/* Read up to TCPTO_SIZE bytes from the start of fd into buf (the rest of
 * buf zeroed); *n4 and *n6 are the numbers of whole IPv4 and IPv6
 * records read. 0, or -1 on a read error. */
int tcpto_load(int fd, unsigned char buf[TCPTO_SIZE], size_t *n4, size_t *n6);

/* For qmail-remote, with QMAILHOME the current directory. Any failure to
 * open, lock or read TCPTO_FILE means "nothing known", as in qmail.
 * tcpto_skip: 1 if a is to be skipped now (tcpto_isdown with this
 * process's window); *known as there. tcpto_result: tcpto_update for the
 * outcome and the record written back (an IPv6 record in a file of
 * qmail-1.03's size makes it longer); when the host answered and had no
 * record (known 0) the file is not even opened. 0, or -1 when the file
 * could not be used (the table simply stays as it was). */
int tcpto_skip(const struct ipaddr *a, int *known);
int tcpto_result(const struct ipaddr *a, int timedout, int known);

#endif
