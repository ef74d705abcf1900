/* splogger: send each line of stdin to syslog (splogger(8)):
 *   splogger [tag [fac]]
 * tag (default "splogger") goes in front of every message, fac (a
 * number, default 2: mail) selects the facility. How lines become
 * messages (time stamp, folding at 799 bytes, '?' for unprintable
 * bytes, priority from an "alert:" or "warning:" prefix) is in splog.h.
 * Prints nothing; exits 0 at the end of input (or on a read error),
 * dropping a last line that has no newline, as qmail's does.
 * Runs as whoever starts it (qmaill, under qmail-start), no privileges.
 * stdin is untrusted and goes through fixed buffers only; touches no
 * files but the syslog socket. */
#include <sys/time.h>
#include <syslog.h>
#include <unistd.h>
#include "io.h"
#include "splog.h"

static void now(unsigned long long *sec, unsigned long *usec)
{
  struct timeval tv;
  gettimeofday(&tv, 0);
  *sec = (unsigned long long)tv.tv_sec;
  *usec = (unsigned long)tv.tv_usec;
}

static void to_syslog(void *arg, int priority, const char *msg)
{
  (void)arg;
  syslog(priority, "%s", msg);
}

int main(int argc, char **argv)
{
  static struct splog s;
  char buf[IO_INSIZE];

  openlog(argc > 1 ? argv[1] : "splogger", 0, argc > 2 ? splog_facility(argv[2]) : LOG_MAIL);
  splog_init(&s, now, to_syslog, 0);
  for (;;) {
    ssize_t r = io_read(0, buf, sizeof buf);
    if (r <= 0) _exit(0);
    splog_put(&s, buf, (size_t)r);
  }
}
