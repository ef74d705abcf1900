/* preline: feed the message to a program with qmail-local's From_,
 * Return-Path and Delivered-To lines in front of it (preline(1)):
 *   |preline [ -dfrDFR ] command [ arg ... ]
 * The lines are $UFLINE, $RPLINE and $DTLINE, in that order; -f, -r, -d
 * leave out the From_, Return-Path, Delivered-To line (-F, -R, -D put it
 * back). The command (found through PATH) reads them and then the
 * message; preline exits with the command's exit code.
 * Runs as the user qmail-local runs it as, with no privileges of its own.
 * The message (untrusted) is copied through a fixed buffer, never
 * interpreted. Touches no files. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include "env.h"
#include "err.h"
#include "fd.h"
#include "io.h"
#include "sig.h"
#include "wait.h"

#define FATAL "preline: fatal: "

static void usage(void) { err_die(100, "preline: usage: preline cmd [ arg ... ]", (char *)0); }

/* The option letters, in qmail's getopt style: options end at the first
 * argument not starting with '-', at "-" (which is not an option), or
 * after an argument starting with "--". Returns the index of the first
 * argument left; an unknown letter is reported and gives the usage. */
static int options(int argc, char **argv, int *ufline, int *rpline, int *dtline)
{
  const char *prog = argv[0] ? argv[0] : "";
  int i;

  if (strrchr(prog, '/')) prog = strrchr(prog, '/') + 1;
  for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; ++i) {
    if (argv[i][1] == '-') return i + 1;
    for (const char *o = argv[i] + 1; *o; ++o) {
      switch (*o) {
      case 'f': *ufline = 0; break;
      case 'r': *rpline = 0; break;
      case 'd': *dtline = 0; break;
      case 'F': *ufline = 1; break;
      case 'R': *rpline = 1; break;
      case 'D': *dtline = 1; break;
      default: {
        char problem[2] = { *o, '\n' };
        char space[256];
        iobuf b;
        io_init(&b, io_write, 2, space, sizeof space);
        io_puts(&b, prog);
        io_puts(&b, ": illegal option -- ");
        io_putflush(&b, problem, sizeof problem);
        usage();
      }
      }
    }
  }
  return i;
}

int main(int argc, char **argv)
{
  static char inspace[IO_INSIZE], outspace[IO_OUTSIZE];
  const char *ufline, *rpline, *dtline;
  int flagufline = 1, flagrpline = 1, flagdtline = 1;
  iobuf in, out;
  int pi[2], status, i;
  pid_t pid;

  sig_ignore(SIGPIPE);
  if (!(ufline = env_get("UFLINE"))) usage();
  if (!(rpline = env_get("RPLINE"))) usage();
  if (!(dtline = env_get("DTLINE"))) usage();
  i = options(argc, argv, &flagufline, &flagrpline, &flagdtline);
  if (i >= argc) usage();

  if (pipe(pi) == -1) err_die_sys(111, FATAL, "unable to create pipe", (char *)0);
  pid = fork();
  if (pid == -1) err_die_sys(111, FATAL, "unable to fork", (char *)0);
  if (pid == 0) {
    close(pi[1]);
    if (fd_move(0, pi[0]) == -1) err_die_sys(111, FATAL, "unable to set up fds", (char *)0);
    sig_default(SIGPIPE);
    execvp(argv[i], argv + i);
    err_die_sys(err_temp(errno) ? 111 : 100, FATAL, "unable to run ", argv[i], (char *)0);
  }
  close(pi[0]);
  if (fd_move(1, pi[1]) == -1) err_die_sys(111, FATAL, "unable to set up fds", (char *)0);

  io_init(&in, io_read, 0, inspace, sizeof inspace);
  io_init(&out, io_write, 1, outspace, sizeof outspace);
  if ((flagufline && io_puts(&out, ufline) == -1) || (flagrpline && io_puts(&out, rpline) == -1) ||
      (flagdtline && io_puts(&out, dtline) == -1))
    err_die_sys(111, FATAL, "unable to copy input", (char *)0);
  switch (io_copy(&out, &in)) {
  case IO_COPY_RERR: {
    /* Never let the command take a cut message for the whole one. */
    int saved = errno;
    kill(pid, SIGKILL);
    errno = saved;
    err_die_sys(111, FATAL, "unable to copy input", (char *)0);
  }
  case IO_COPY_WERR:
    err_die_sys(111, FATAL, "unable to copy input", (char *)0);
  }
  /* As in qmail, a command that quits without reading the last buffer
   * is judged by its exit code alone. */
  io_flush(&out);
  close(1);

  if (wait_pid(pid, &status) == -1) err_die_sys(111, FATAL, "wait failed", (char *)0);
  if (wait_crashed(status)) err_die(111, FATAL, "child crashed", (char *)0);
  return wait_exitcode(status);
}
