/* ipmeprint: print this host's addresses as qmail-remote sees them (see
 * ipme.h), one a line (qmail-1.03's test program): IPv4 as qmail-1.03,
 * then IPv6 in RFC 5952's form. Takes no
 * arguments. Exit 0; 100 when the interfaces cannot be listed ("hard
 * error"); 111 when out of memory. Runs as whoever calls it; touches no
 * files. */
#include "err.h"
#include "io.h"
#include "ipme.h"

int main(void)
{
  char space[IO_OUTSIZE], ip[IPADDR_FMT];
  iobuf out;
  const struct dns_iplist *me;

  switch (ipme_init()) {
  case 0: err_die(111, "out of memory", (char *)0);
  case -1: err_die(100, "hard error", (char *)0);
  }
  me = ipme_list();
  io_init(&out, io_write, 1, space, sizeof space);
  for (size_t i = 0; i < me->len; ++i) {
    io_put(&out, ip, ipaddr_fmt(ip, &me->ix[i].addr));
    io_puts(&out, "\n");
  }
  io_flush(&out);
  return 0;
}
