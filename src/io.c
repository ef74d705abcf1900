/* io.c: bounded buffered I/O (see io.h). */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "io.h"
#include "num.h"

void io_init(iobuf *b, io_op op, int fd, char *space, size_t size)
{
  b->x = space;
  b->size = size;
  b->pos = b->n = 0;
  b->fd = fd;
  b->op = op;
  b->failed = 0;
}

ssize_t io_read(int fd, void *buf, size_t len)
{
  ssize_t r;
  do r = read(fd, buf, len); while (r == -1 && errno == EINTR);
  return r;
}

int io_readall(int fd, str *sa, size_t max)
{
  for (;;) {
    ssize_t r;
    if (sa->len > max) {
      errno = EFBIG;
      return -1;
    }
    if (!str_reserve(sa, 65536)) return -1;
    r = io_read(fd, sa->s + sa->len, sa->cap - sa->len - 1);
    if (r == -1) return -1;
    if (r == 0) return 0;
    sa->len += (size_t)r;
    sa->s[sa->len] = 0;
  }
}

ssize_t io_write(int fd, void *buf, size_t len)
{
  ssize_t w;
  do w = write(fd, buf, len); while (w == -1 && errno == EINTR);
  return w;
}

/* Hand all len bytes to op, however many calls it takes. */
static int write_all(iobuf *b, const char *buf, size_t len)
{
  while (len) {
    ssize_t w = b->op(b->fd, (void *)buf, len);
    if (w <= 0) {
      if (w == 0) errno = EIO;
      b->failed = 1;
      return -1;
    }
    buf += w;
    len -= (size_t)w;
  }
  return 0;
}

int io_flush(iobuf *b)
{
  size_t n = b->n;
  b->n = 0;
  return write_all(b, b->x, n);
}

int io_put(iobuf *b, const void *buf, size_t len)
{
  if (len > b->size - b->n) {
    if (io_flush(b) == -1) return -1;
    /* Larger than the buffer: write it straight through. */
    if (len >= b->size) return write_all(b, buf, len);
  }
  memcpy(b->x + b->n, buf, len);
  b->n += len;
  return 0;
}

int io_puts(iobuf *b, const char *s) { return io_put(b, s, strlen(s)); }
int io_putstr(iobuf *b, const str *sa) { return io_put(b, sa->s, sa->len); }

int io_putnum(iobuf *b, unsigned long long n)
{
  char digits[NUM_ULL_DIGITS];
  return io_put(b, digits, num_fmt(digits, n));
}

int io_putflush(iobuf *b, const void *buf, size_t len)
{
  if (io_put(b, buf, len) == -1) return -1;
  return io_flush(b);
}

int io_putsflush(iobuf *b, const char *s) { return io_putflush(b, s, strlen(s)); }

int io_putprintable(iobuf *b, const char *buf, size_t len, char substitute)
{
  size_t start = 0;
  for (size_t i = 0; i < len; ++i) {
    unsigned char c = (unsigned char)buf[i];
    if (c >= 32 && c <= 126) continue;
    /* the printable run before this byte, then its substitute */
    if (io_put(b, buf + start, i - start) == -1 || io_put(b, &substitute, 1) == -1) return -1;
    start = i + 1;
  }
  return io_put(b, buf + start, len - start);
}

ssize_t io_feed(iobuf *b)
{
  ssize_t r;
  if (b->n) return (ssize_t)b->n;
  r = b->op(b->fd, b->x, b->size);
  if (r <= 0) return r;
  b->pos = 0;
  b->n = (size_t)r;
  return r;
}

void io_skip(iobuf *b, size_t len)
{
  if (len > b->n) len = b->n;
  b->pos += len;
  b->n -= len;
}

ssize_t io_get(iobuf *b, void *buf, size_t len)
{
  ssize_t r;
  if (!b->n && len >= b->size) return b->op(b->fd, buf, len);
  r = io_feed(b);
  if (r <= 0) return r;
  if (len > b->n) len = b->n;
  memcpy(buf, io_peek(b), len);
  io_skip(b, len);
  return (ssize_t)len;
}

int io_getline(iobuf *b, str *line, int sep, size_t max)
{
  for (;;) {
    ssize_t r;
    size_t take, room;
    char *start, *end;

    if (line->len >= max) return IO_TOOLONG;
    r = io_feed(b);
    if (r == 0) return IO_EOF;
    if (r < 0) return IO_ERR;
    start = io_peek(b);
    room = max - line->len;
    take = b->n < room ? b->n : room;
    end = memchr(start, sep, take);
    if (end) take = (size_t)(end - start) + 1;
    if (!str_cat(line, start, take)) return IO_ERR;
    io_skip(b, take);
    if (end) return IO_LINE;
  }
}

int io_copy(iobuf *out, iobuf *in)
{
  for (;;) {
    ssize_t r = io_feed(in);
    if (r == 0) return 0;
    if (r < 0) return IO_COPY_RERR;
    if (io_put(out, io_peek(in), (size_t)r) == -1) return IO_COPY_WERR;
    io_skip(in, (size_t)r);
  }
}
