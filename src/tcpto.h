/* tcpto.h: qmail-remote's memory of hosts that do not answer, the file
 * QMAILHOME/queue/lock/tcpto, in qmail-1.03's format and with its rules
 * (qmail-tcpto(8) describes them for people).
 *
 * The file is TCPTO_SIZE bytes of TCPTO_RECLEN-byte records:
 *   bytes 0..3   an IPv4 address, in network order
 *   byte  4      the count of recent connection timeouts (0: the slot is
 *                free, or the host answered since)
 *   bytes 8..11  when the last counted timeout happened: seconds since
 *                the epoch, least significant byte first
 *   other bytes  unused; kept as they are found
 * A file shorter than TCPTO_SIZE holds as many records as it has whole
 * records; bytes after TCPTO_SIZE are ignored. Every reader and writer
 * holds an exclusive flock on the file while it looks at it. */
#ifndef TCPTO_H
#define TCPTO_H

#include <stddef.h>

#define TCPTO_FILE "queue/lock/tcpto" /* relative to QMAILHOME */
#define TCPTO_SIZE 1024
#define TCPTO_RECLEN 16
#define TCPTO_RECORDS (TCPTO_SIZE / TCPTO_RECLEN)
#define TCPTO_COUNTMAX 10 /* the count stops growing here */
#define TCPTO_SPACING 120 /* seconds: a timeout sooner after the last one is not counted */
#define TCPTO_DOWN 2      /* timeouts in a row after which a host is avoided */

/* ---- the records (no I/O; buf holds n records) ---- */

/* The count and the time of the record at rec. */
unsigned int tcpto_count(const unsigned char *rec);
unsigned long tcpto_when(const unsigned char *rec);

/* The index of the first record for ip, or n when there is none. */
size_t tcpto_find(const unsigned char *buf, size_t n, const unsigned char ip[4]);

/* How long a host with TCPTO_DOWN or more timeouts is avoided after its
 * last one: (60 + (pid mod 32)) * 64 seconds, 64 to 97 minutes, so that
 * the processes do not all come back to it at the same moment. */
unsigned long tcpto_window(unsigned long pid);

/* 1 if ip is to be skipped at time now: its record counts TCPTO_DOWN or
 * more timeouts and the last was less than window seconds ago (a time in
 * the future does not count as recent). *known is set to 1 when ip has a
 * record, else 0. */
int tcpto_isdown(const unsigned char *buf, size_t n, const unsigned char ip[4],
                 unsigned long long now, unsigned long window, int *known);

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
int tcpto_update(unsigned char *buf, size_t n, const unsigned char ip[4], int timedout,
                 unsigned long long now, size_t *idx);

/* ---- the file ---- */

/* Open fn for reading and writing (only root and qmailr can); an fd with
 * close-on-exec, or -1. */
int tcpto_open(const char *fn);
/* Read up to TCPTO_SIZE bytes from the start of fd into buf; *n is the
 * number of whole records read. 0, or -1 on a read error. */
int tcpto_load(int fd, unsigned char buf[TCPTO_SIZE], size_t *n);

/* For qmail-remote, with QMAILHOME the current directory. Any failure to
 * open, lock or read TCPTO_FILE means "nothing known", as in qmail.
 * tcpto_skip: 1 if ip is to be skipped now (tcpto_isdown with this
 * process's window); *known as there. tcpto_result: tcpto_update for the
 * outcome and the record written back; when the host answered and had no
 * record (known 0) the file is not even opened. 0, or -1 when the file
 * could not be used (the table simply stays as it was). */
int tcpto_skip(const unsigned char ip[4], int *known);
int tcpto_result(const unsigned char ip[4], int timedout, int known);

#endif
