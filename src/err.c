/* err.c: error texts, classification and dying with a message. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "err.h"
#include "io.h"

/* qmail's own short texts: they appear in log lines and bounce messages,
 * so they are part of the interface. Codes qmail had no text for get the
 * C library's. */
static const struct {
  int code;
  const char *text;
} texts[] = {
  { 0, "no error" }, { EINTR, "interrupted system call" }, { ENOMEM, "out of memory" },
  { ENOENT, "file does not exist" }, { ETXTBSY, "text busy" }, { EIO, "input/output error" },
  { EEXIST, "file already exists" }, { ETIMEDOUT, "timed out" },
  { EINPROGRESS, "operation in progress" }, { EAGAIN, "temporary failure" },
  { EPIPE, "broken pipe" }, { EPERM, "permission denied" }, { EACCES, "access denied" },
  { ENXIO, "device not configured" }, { EPROTO, "protocol error" },
  { EISDIR, "is a directory" }, { ESRCH, "no such process" },
  { E2BIG, "argument list too long" }, { ENOEXEC, "exec format error" },
  { EBADF, "file descriptor not open" }, { ECHILD, "no child processes" },
  { EDEADLK, "operation would cause deadlock" }, { EFAULT, "bad address" },
  { ENOTBLK, "not a block device" }, { EBUSY, "device busy" }, { EXDEV, "cross-device link" },
  { ENODEV, "device does not support operation" }, { ENOTDIR, "not a directory" },
  { EINVAL, "invalid argument" }, { ENFILE, "system cannot open more files" },
  { EMFILE, "process cannot open more files" }, { ENOTTY, "not a tty" },
  { EFBIG, "file too big" }, { ENOSPC, "out of disk space" },
  { ESPIPE, "unseekable descriptor" }, { EROFS, "read-only file system" },
  { EMLINK, "too many links" }, { EDOM, "input out of range" }, { ERANGE, "output out of range" },
  { EALREADY, "operation already in progress" }, { ENOTSOCK, "not a socket" },
  { EDESTADDRREQ, "destination address required" }, { EMSGSIZE, "message too long" },
  { EPROTOTYPE, "incorrect protocol type" }, { ENOPROTOOPT, "protocol not available" },
  { EPROTONOSUPPORT, "protocol not supported" },
  { ESOCKTNOSUPPORT, "socket type not supported" }, { EOPNOTSUPP, "operation not supported" },
  { EPFNOSUPPORT, "protocol family not supported" },
  { EAFNOSUPPORT, "address family not supported" }, { EADDRINUSE, "address already used" },
  { EADDRNOTAVAIL, "address not available" }, { ENETDOWN, "network down" },
  { ENETUNREACH, "network unreachable" }, { ENETRESET, "network reset" },
  { ECONNABORTED, "connection aborted" }, { ECONNRESET, "connection reset" },
  { ENOBUFS, "out of buffer space" }, { EISCONN, "already connected" },
  { ENOTCONN, "not connected" }, { ESHUTDOWN, "socket shut down" },
  { ETOOMANYREFS, "too many references" }, { ECONNREFUSED, "connection refused" },
  { ELOOP, "symbolic link loop" }, { ENAMETOOLONG, "file name too long" },
  { EHOSTDOWN, "host down" }, { EHOSTUNREACH, "host unreachable" },
  { ENOTEMPTY, "directory not empty" }, { EUSERS, "too many users" },
  { EDQUOT, "disk quota exceeded" }, { ESTALE, "stale NFS file handle" },
  { EREMOTE, "too many levels of remote in path" }, { ENOLCK, "no locks available" },
  { ENOSYS, "system call not available" },
};

const char *err_str(int errnum)
{
  for (size_t i = 0; i < sizeof texts / sizeof *texts; ++i)
    if (texts[i].code == errnum) return texts[i].text;
  return strerror(errnum);
}

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
