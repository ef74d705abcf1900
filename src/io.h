/* io.h: bounded buffered I/O on file descriptors.
 * An iobuf has a fixed buffer chosen by its owner; nothing here grows
 * without a caller-given bound. The op is read() or write() or any
 * function with the same shape (e.g. one with a timeout). Functions
 * returning int give 0 on success and -1 on error with errno set. */
#ifndef IO_H
#define IO_H

#include <stddef.h>
#include <sys/types.h>
#include "str.h"

typedef ssize_t (*io_op)(int fd, void *buf, size_t len);

typedef struct {
  char *x;     /* the buffer */
  size_t pos;  /* input: start of unread bytes */
  size_t n;    /* input: unread bytes; output: bytes waiting to be written */
  size_t size; /* size of x */
  int fd;
  io_op op;
  int failed;  /* output: a write has failed (stays set); for callers
                  that check once, at the end */
} iobuf;

#define IO_OUTSIZE 8192
#define IO_INSIZE 8192

void io_init(iobuf *b, io_op op, int fd, char *space, size_t size);

/* read()/write() that retry after EINTR. */
ssize_t io_read(int fd, void *buf, size_t len);
/* Append the rest of fd to sa (kept NUL-terminated): 0 at end of file,
 * -1 on a read error, out of memory, or (errno EFBIG) once sa holds more
 * than max bytes. */
int io_readall(int fd, str *sa, size_t max);
ssize_t io_write(int fd, void *buf, size_t len);

/* Output. */
int io_put(iobuf *b, const void *buf, size_t len);
int io_puts(iobuf *b, const char *s);
int io_putstr(iobuf *b, const str *sa);
int io_putnum(iobuf *b, unsigned long long n);
int io_flush(iobuf *b);
int io_putflush(iobuf *b, const void *buf, size_t len);
int io_putsflush(iobuf *b, const char *s);
/* The bytes with each one outside printable ASCII (32 to 126) written
 * as substitute: for showing untrusted bytes on a terminal. */
int io_putprintable(iobuf *b, const char *buf, size_t len, char substitute);

/* Input. io_feed makes bytes available: returns how many are buffered,
 * 0 at end of file, -1 on error. io_peek points at them; io_skip
 * consumes some. io_get copies up to len bytes out (same returns). */
ssize_t io_feed(iobuf *b);
static inline char *io_peek(iobuf *b) { return b->x + b->pos; }
void io_skip(iobuf *b, size_t len);
ssize_t io_get(iobuf *b, void *buf, size_t len);

/* Append to line the bytes up to and including the next sep, reading
 * no more than max bytes in all (line's length counts). Returns
 *   IO_LINE    a whole line (ending in sep) was appended
 *   IO_EOF     end of file first; line holds what came before it
 *   IO_TOOLONG max bytes were appended without finding sep
 *   IO_ERR     read error or out of memory (errno says which) */
enum { IO_LINE = 1, IO_EOF = 0, IO_ERR = -1, IO_TOOLONG = -2 };
int io_getline(iobuf *b, str *line, int sep, size_t max);

/* Copy everything from in to out until end of file (out is not flushed).
 * Returns 0, IO_COPY_RERR on a read error, IO_COPY_WERR on a write error. */
enum { IO_COPY_RERR = -1, IO_COPY_WERR = -2 };
int io_copy(iobuf *out, iobuf *in);

#endif
