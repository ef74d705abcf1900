/* qmail-tcpok: clear qmail-remote's table of hosts that timed out
 * (qmail-tcpok(8)): QMAILHOME/queue/lock/tcpto is overwritten, under its
 * lock, with TCPTO_SIZE zero bytes (the IPv4 and the IPv6 records), so
 * every host is tried again. Takes no
 * arguments. Must be run as root or as qmailr (the owner of the file).
 * Exit 0; 111 with `qmail-tcpok: fatal: ...` on fd 2 when the directory,
 * the file or the lock cannot be had, or the write fails. */
#include <unistd.h>
#include "auto.h"
#include "err.h"
#include "io.h"
#include "lock.h"
#include "open.h"
#include "tcpto.h"

#define FATAL "qmail-tcpok: fatal: "

int main(void)
{
  static char zeros[TCPTO_SIZE];
  size_t done = 0;
  int fd;

  if (chdir(auto_qmail) == -1) err_die_sys(111, FATAL "unable to chdir to ", auto_qmail, (char *)0);
  if (chdir("queue/lock") == -1)
    err_die_sys(111, FATAL "unable to chdir to ", auto_qmail, "/queue/lock", (char *)0);
  fd = open_write("tcpto");
  if (fd == -1) err_die_sys(111, FATAL "unable to write ", auto_qmail, "/queue/lock/tcpto", (char *)0);
  if (lock_ex(fd) == -1)
    err_die_sys(111, FATAL "unable to lock ", auto_qmail, "/queue/lock/tcpto", (char *)0);
  while (done < sizeof zeros) {
    ssize_t w = io_write(fd, zeros + done, sizeof zeros - done);
    if (w <= 0) err_die_sys(111, FATAL "unable to clear ", auto_qmail, "/queue/lock/tcpto", (char *)0);
    done += (size_t)w;
  }
  return 0;
}
