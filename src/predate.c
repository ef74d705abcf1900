/* predate: run a program with a Date header line, in local time with a
 * numeric zone, put in front of its input (predate(8)):
 *   predate child [arg ...]
 * The child (found through PATH) reads the line and then everything on
 * predate's stdin; predate exits with the child's exit code.
 * Runs as the user who invokes it, with no privileges of its own. Trusts
 * nothing it reads: stdin is copied byte for byte through a fixed buffer,
 * never interpreted. Touches no files. */
#include <errno.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include "err.h"
#include "fd.h"
#include "io.h"
#include "sig.h"
#include "str.h"
#include "wait.h"

#define FATAL "predate: fatal: "

static const char months[12][4] = {
  "Jan", "Feb", "Mar", "Apr", "May", "Jun",
  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

/* "Date: 4 Jan 2026 09:05:00 +0100\n" for t in the local time zone; the
 * zone is the local offset from GMT rounded to the minute. */
static int date_line(str *sa, time_t t)
{
  struct tm tm;
  long offset;
  unsigned long minutes;

  if (!localtime_r(&t, &tm)) return 0;
  offset = tm.tm_gmtoff;
  minutes = ((unsigned long)(offset < 0 ? -offset : offset) + 30) / 60;
  return str_cats(sa, "Date: ") &&
         str_catnum(sa, (unsigned)tm.tm_mday) && str_putc(sa, ' ') &&
         str_cats(sa, months[tm.tm_mon]) && str_putc(sa, ' ') &&
         str_catnum(sa, (unsigned long long)tm.tm_year + 1900) && str_putc(sa, ' ') &&
         str_catnum0(sa, (unsigned)tm.tm_hour, 2) && str_putc(sa, ':') &&
         str_catnum0(sa, (unsigned)tm.tm_min, 2) && str_putc(sa, ':') &&
         str_catnum0(sa, (unsigned)tm.tm_sec, 2) &&
         str_cats(sa, offset < 0 ? " -" : " +") &&
         str_catnum0(sa, minutes / 60, 2) && str_catnum0(sa, minutes % 60, 2) &&
         str_putc(sa, '\n');
}

int main(int argc, char **argv)
{
  static char inspace[IO_INSIZE], outspace[IO_OUTSIZE];
  iobuf in, out;
  str line = STR_INIT;
  int pi[2];
  int status;
  pid_t pid;

  sig_ignore(SIGPIPE);
  if (argc < 2 || !argv[1]) err_die(100, "predate: usage: predate child", (char *)0);

  if (pipe(pi) == -1) err_die_sys(111, FATAL, "unable to create pipe", (char *)0);
  pid = fork();
  if (pid == -1) err_die_sys(111, FATAL, "unable to fork", (char *)0);
  if (pid == 0) {
    close(pi[1]);
    if (fd_move(0, pi[0]) == -1) err_die_sys(111, FATAL, "unable to set up fds", (char *)0);
    sig_default(SIGPIPE);
    execvp(argv[1], argv + 1);
    err_die_sys(111, FATAL, "unable to run ", argv[1], (char *)0);
  }
  close(pi[0]);

  if (!date_line(&line, time(0))) {
    kill(pid, SIGKILL);
    err_die(111, FATAL, "out of memory", (char *)0);
  }
  io_init(&in, io_read, 0, inspace, sizeof inspace);
  io_init(&out, io_write, pi[1], outspace, sizeof outspace);
  /* A child that stops reading early is its own business: write errors
   * end the copy quietly and its exit code decides. A read error must
   * not pass a truncated message on, so the child is killed first. */
  if (io_putstr(&out, &line) == 0 && io_copy(&out, &in) == IO_COPY_RERR) {
    int saved = errno;
    kill(pid, SIGKILL);
    errno = saved;
    err_die_sys(111, FATAL, "unable to read input", (char *)0);
  }
  io_flush(&out);
  close(pi[1]);
  str_free(&line);

  if (wait_pid(pid, &status) == -1) err_die_sys(111, FATAL, "wait failed", (char *)0);
  if (wait_crashed(status)) err_die(111, FATAL, "child crashed", (char *)0);
  return wait_exitcode(status);
}
