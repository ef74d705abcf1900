/* sesslog.h: the session log of the programs that receive mail from the
 * network (qmail-smtpd, qmail-qmtpd, qmail-qmqpd): one line per event on
 * fd 2, where a supervised service's multilog collects it, when
 * control/smtplog says so (qmail-control(5)).
 *
 * A line is the process id (tcpserver logs the same number for the
 * connection: "tcpserver: pid 1234 from ..."), a space, the program's
 * words, a newline; it is written with one write(2), at most
 * SESSLOG_MAX bytes (a longer one is cut and ends "..."). Bytes that came
 * from the client are escaped: every byte that is not printable ASCII,
 * and space and backslash, become \xHH, so a client can neither end a
 * line nor make one field look like two. */
#ifndef SESSLOG_H
#define SESSLOG_H

#include <stddef.h>

#define SESSLOG_MAX 1000

struct sesslog {
  int on;                   /* 0: nothing is written */
  char pid[24];
  char buf[SESSLOG_MAX + 1];
  size_t len;
  int cut;                  /* the line did not fit */
};

/* Logging on or off, for the calling process. */
void sesslog_init(struct sesslog *l, int on);
/* Start a line: the pid, a space and word. */
void sesslog_begin(struct sesslog *l, const char *word);
/* Add " " and s (words of ours, not the client's). */
void sesslog_word(struct sesslog *l, const char *s);
/* Add " " and the first n bytes of s (ours, as sesslog_word). */
void sesslog_wordn(struct sesslog *l, const char *s, size_t n);
/* Add " " and n in decimal. */
void sesslog_num(struct sesslog *l, unsigned long long n);
/* Add " " and n bytes from the client, escaped, between before and
 * after (such as "<" and ">"; "" for none). */
void sesslog_client(struct sesslog *l, const char *before, const char *s, size_t n,
                    const char *after);
/* End the line and write it (a failed write is not retried). */
void sesslog_end(struct sesslog *l);

/* The lines the three programs share: a session's start, "PROTO from IP
 * host HOST" and "info INFO" when info is not 0 (all from the
 * tcp-environ(5) variables: a DNS or ident answer may have chosen
 * them); a message queued, "queued qp QP bytes N from <SENDER> rcpts N". */
void sesslog_connect(struct sesslog *l, const char *proto, const char *ip, const char *host,
                     const char *info);
void sesslog_queued(struct sesslog *l, unsigned long long qp, unsigned long long bytes,
                    const char *from, size_t fromlen, unsigned long long rcpts);
/* A QMTP or QMQP message refused: "message <SENDER> refused RESPONSE". */
void sesslog_refused(struct sesslog *l, const char *from, size_t fromlen, const char *response);

#endif
