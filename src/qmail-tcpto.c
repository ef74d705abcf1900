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
  static unsigned char buf[TCPTO_SIZE];
  size_t n[2];
  time_t t;
  unsigned long long start;
  int fd;

  io_init(&out, io_write, 1, outspace, sizeof outspace);
  if (chdir(auto_qmail) == -1 || chdir("queue/lock") == -1) die("unable to chdir");
  fd = tcpto_open("tcpto");
  if (fd == -1) die("unable to open tcpto");
  if (lock_ex(fd) == -1) die("unable to lock tcpto");
  if (tcpto_load(fd, buf, &n[0], &n[1]) == -1) die("unable to read tcpto");
  close(fd);

  t = time(0);
  start = t < 0 ? 0 : (unsigned long long)t;
  /* the IPv4 records, as qmail-1.03 lists them, then the IPv6 ones */
  for (int v = 0; v < 2; ++v) {
    const struct tcpto_kind *k = tcpto_kind(v ? IPADDR_V6 : IPADDR_V4);
    for (size_t i = 0; i < n[v]; ++i) {
      const unsigned char *rec = buf + k->start + i * k->reclen;
      char ip[IPADDR_FMT];
      struct ipaddr a;
      unsigned long when;
      if (!tcpto_count(k, rec)) continue;
      when = tcpto_when(k, rec);
      if (v) ipaddr_v6(&a, rec);
      else ipaddr_v4(&a, rec);
      io_put(&out, ip, ipaddr_fmt(ip, &a));
      io_puts(&out, " timed out ");
      io_putnum(&out, start >= when ? start - when : 0);
      io_puts(&out, " seconds ago; # recent timeouts: ");
      io_putnum(&out, tcpto_count(k, rec));
      io_puts(&out, "\n");
    }
  }
  io_flush(&out);
  return 0;
}
