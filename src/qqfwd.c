/* qqfwd.c: forward fd 0's message through qmail-queue (see qqfwd.h). */
#include <unistd.h>
#include "err.h"
#include "io.h"
#include "qq.h"
#include "qqfwd.h"

unsigned long qqfwd(const char *fatal, const char *dtline, const char *sender,
                    char *const *to, size_t n)
{
  static qq q;
  static char space[IO_INSIZE];
  iobuf in;
  const char *text;
  unsigned long qp;

  if (qq_open(&q) == -1) err_die_sys(111, fatal, "unable to fork", (char *)0);
  qp = qq_pid(&q);
  qq_puts(&q, dtline);
  io_init(&in, io_read, 0, space, sizeof space);
  for (;;) {
    ssize_t r = io_feed(&in);
    /* Dying before the envelope is written leaves qmail-queue with
     * none, so it queues nothing. */
    if (r < 0) err_die_sys(111, fatal, "unable to read message", (char *)0);
    if (r == 0) break;
    qq_put(&q, io_peek(&in), (size_t)r);
    io_skip(&in, (size_t)r);
  }
  qq_from(&q, sender);
  for (size_t i = 0; i < n; ++i) qq_to(&q, to[i]);
  text = qq_close(&q);
  if (*text) err_die(*text == 'D' ? 100 : 111, fatal, text + 1, (char *)0);
  return qp;
}
