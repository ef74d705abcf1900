/* err.c: error texts, classification and dying with a message. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "err.h"
#include "io.h"

const char *err_str(int errnum) { return strerror(errnum); }

int err_temp(int errnum)
{
  switch (errnum) {
  case EINTR: case ENOMEM: case ETXTBSY: case EIO: case ETIMEDOUT:
  case EAGAIN: case ECONNREFUSED: case ECONNRESET: case EHOSTUNREACH:
  case ENETUNREACH: case ENETDOWN: case EDEADLK: case ENFILE:
  case EMFILE: case ENOSPC: case EDQUOT: case EBUSY: case ENOBUFS:
  case ESTALE: case ENOLCK: case EPIPE:
    return 1;
  default:
    return 0;
  }
}

static void write_list(iobuf *b, const char *s, va_list ap)
{
  for (; s; s = va_arg(ap, const char *)) io_puts(b, s);
}

static void emit(int with_errno, const char *s, va_list ap)
{
  char space[512];
  iobuf b;
  int saved = errno;

  io_init(&b, io_write, 2, space, sizeof space);
  write_list(&b, s, ap);
  if (with_errno) {
    io_puts(&b, ": ");
    io_puts(&b, err_str(saved));
  }
  io_putsflush(&b, "\n");
  errno = saved;
}

void err_die(int code, const char *s, ...)
{
  va_list ap;
  va_start(ap, s);
  emit(0, s, ap);
  va_end(ap);
  _exit(code);
}

void err_die_sys(int code, const char *s, ...)
{
  va_list ap;
  va_start(ap, s);
  emit(1, s, ap);
  va_end(ap);
  _exit(code);
}

void err_warn(const char *s, ...)
{
  va_list ap;
  va_start(ap, s);
  emit(0, s, ap);
  va_end(ap);
}
