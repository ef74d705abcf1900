/* qmail-tcpto: print qmail-remote's table of hosts that timed out
 * (qmail-tcpto(8)), one line per record with a count above 0:
 * `IP timed out N seconds ago; # recent timeouts: K`.
 * Takes no arguments. Reads QMAILHOME/queue/lock/tcpto under its lock
 * and writes nothing; the file is opened for writing as well, as qmail
 * does, so only root and qmailr can run it. Failures are reported on
 * fd 1 as qmail-1.03 does (`fatal: unable to ...: reason`), exit 111. */
#include <errno.h>
#include <time.h>
#include <unistd.h>
#include "auto.h"
#include "dns.h"
#include "err.h"
#include "io.h"
#include "lock.h"
#include "tcpto.h"

static char outspace[IO_OUTSIZE];
static iobuf out;

static void __attribute__((noreturn)) die(const char *what)
{
  const char *reason = err_str(errno);
  io_puts(&out, "fatal: ");
  io_puts(&out, what);
  io_puts(&out, ": ");
  io_puts(&out, reason);
  io_puts(&out, "\n");
  io_flush(&out);
  _exit(111);
}

int main(void)
{
  unsigned char buf[TCPTO_SIZE];
  size_t n;
  time_t t;
  unsigned long long start;
  int fd;

  io_init(&out, io_write, 1, outspace, sizeof outspace);
  if (chdir(auto_qmail) == -1 || chdir("queue/lock") == -1) die("unable to chdir");
  fd = tcpto_open("tcpto");
  if (fd == -1) die("unable to open tcpto");
  if (lock_ex(fd) == -1) die("unable to lock tcpto");
  if (tcpto_load(fd, buf, &n) == -1) die("unable to read tcpto");
  close(fd);

  t = time(0);
  start = t < 0 ? 0 : (unsigned long long)t;
  for (size_t i = 0; i < n; ++i) {
    const unsigned char *rec = buf + i * TCPTO_RECLEN;
    char ip[DNS_IPFMT];
    unsigned long when;
    if (!tcpto_count(rec)) continue;
    when = tcpto_when(rec);
    io_put(&out, ip, dns_ipfmt(ip, rec));
    io_puts(&out, " timed out ");
    io_putnum(&out, start >= when ? start - when : 0);
    io_puts(&out, " seconds ago; # recent timeouts: ");
    io_putnum(&out, tcpto_count(rec));
    io_puts(&out, "\n");
  }
  io_flush(&out);
  return 0;
}
