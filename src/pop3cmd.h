/* pop3cmd.h: the POP3 pieces of qmail-popup and qmail-pop3d that work on
 * bytes alone, apart from any I/O: reading command lines, parsing message
 * numbers and APOP arguments, and encoding a message for RETR and TOP.
 *
 * Lines: a command line ends at LF; a CR right before the LF is dropped.
 * The reader is a state machine fed with whatever bytes arrived; it keeps
 * at most POP3CMD_LINE_MAX bytes of a line (plus the CR), so its memory is
 * fixed whatever the client sends. A longer line is read to its LF, only
 * its beginning kept, and marked overlong; the programs answer an overlong
 * line with -ERR syntax error and never act on it. (qmail-1.03 had no
 * limit. RFC 2449 allows a client 255 bytes; checkpassword takes 512 bytes
 * of name, password and timestamp in all, so nothing longer could log in.)
 *
 * Commands, as qmail-1.03 reads them: the line is taken as a C string (it
 * ends at its first NUL byte); the verb runs to the first space and is
 * matched without regard to case; the argument is the rest of the line
 * after the spaces that follow the verb. */
#ifndef POP3CMD_H
#define POP3CMD_H

#include <stddef.h>

#define POP3CMD_LINE_MAX 512 /* bytes of a command line before CR LF */

struct pop3cmd {
  char line[POP3CMD_LINE_MAX + 2]; /* the line, its CR, and a NUL */
  size_t len;                      /* bytes kept in line */
  int overlong;                    /* more than fits arrived */
  int complete;                    /* the LF was seen; the next feed restarts */
};

void pop3cmd_init(struct pop3cmd *c);

/* Take bytes from buf[0..len) up to and including the LF that ends the
 * line; *used says how many were taken. POP3CMD_LINE when the line is
 * complete (then call pop3cmd_verb), POP3CMD_MORE when all len bytes were
 * taken and the line goes on. */
enum { POP3CMD_MORE = 0, POP3CMD_LINE = 1 };
int pop3cmd_feed(struct pop3cmd *c, const char *buf, size_t len, size_t *used);

enum pop3cmd_verb {
  POP3CMD_UNKNOWN, /* no verb we know (also an empty line) */
  POP3CMD_USER, POP3CMD_PASS, POP3CMD_APOP, POP3CMD_QUIT, POP3CMD_NOOP,
  POP3CMD_STAT, POP3CMD_LIST, POP3CMD_UIDL, POP3CMD_TOP, POP3CMD_RETR,
  POP3CMD_DELE, POP3CMD_RSET, POP3CMD_LAST
};

/* The verb of the complete line in c; *arg is set to its argument, a NUL-
 * terminated string inside c->line (writable, valid until the next
 * pop3cmd_feed), or to "" if the line was overlong. */
enum pop3cmd_verb pop3cmd_verb(struct pop3cmd *c, char **arg);

/* 1 if the complete line in c was longer than POP3CMD_LINE_MAX. */
int pop3cmd_overlong(const struct pop3cmd *c);

/* Forget the bytes of the line (a password): overwrite them with zeros. */
void pop3cmd_wipe(struct pop3cmd *c);

/* A message number as qmail-pop3d reads it: the decimal digits at the
 * start of arg (what follows them is ignored), counted from 1, among count
 * messages. POP3CMD_NUM_OK with *index set to the number less one;
 * POP3CMD_NUM_SYNTAX if arg does not start with a digit; POP3CMD_NUM_ZERO
 * for 0; POP3CMD_NUM_TOOBIG for a number past count (however many digits
 * it has: the value saturates instead of wrapping). */
enum { POP3CMD_NUM_OK, POP3CMD_NUM_SYNTAX, POP3CMD_NUM_ZERO, POP3CMD_NUM_TOOBIG };
int pop3cmd_msgno(const char *arg, size_t count, size_t *index);

/* The line count of TOP (also honoured after RETR, as in qmail-pop3d):
 * skip the leading digits of arg (the message number) and then spaces; if
 * digits follow, return 1 with *lines set to their value (saturating),
 * else 0: the whole message. */
int pop3cmd_lines(const char *arg, unsigned long long *lines);

/* Split the argument of APOP at its first space into the name and the
 * digest (everything after that one space, possibly empty). The space is
 * overwritten with a NUL. 1, or 0 if arg holds no space (a syntax error). */
int pop3cmd_apop(char *arg, char **name, char **digest);

/* The encoding of a stored message (LF line ends) for RETR and TOP, as
 * qmail-pop3d sends it: every LF goes out as CR LF, a line that starts
 * with '.' gets another '.' in front, every other byte (CR, NUL, 8-bit)
 * unchanged; an unfinished last line is ended with CR LF; then an extra
 * empty line and the terminating ".\r\n" follow. With a line limit n, the
 * header (up to and including the first empty line) goes out whole and
 * then at most n lines of the body. A streaming state machine: memory is
 * fixed whatever the size of the message. */
struct pop3msg {
  int state;                /* at a line start, inside a line, or done */
  int inheader;             /* no empty line seen yet */
  int limited;              /* a line limit applies */
  unsigned long long left;  /* body lines still to send, if limited */
};

/* Room pop3msg_encode needs for len input bytes. Callers encode bounded
 * chunks, so this cannot overflow for them. */
#define POP3MSG_OUTMAX(len) (2 * (len))
/* Room pop3msg_finish needs: "\r\n" "\r\n" ".\r\n". */
#define POP3MSG_FINISHMAX 7

/* Start a message; limited 0 sends it all, else the header and lines
 * lines of the body. */
void pop3msg_init(struct pop3msg *m, int limited, unsigned long long lines);
/* Encode in[0..len) into out; return the number of bytes written. Once
 * the limit is reached the rest of the input is ignored (pop3msg_done). */
size_t pop3msg_encode(struct pop3msg *m, const char *in, size_t len, char *out);
/* 1 when the line limit is reached: nothing more of the message is sent. */
int pop3msg_done(const struct pop3msg *m);
/* Write the end (POP3MSG_FINISHMAX bytes of room); return its length. */
size_t pop3msg_finish(struct pop3msg *m, char *out);

#endif
