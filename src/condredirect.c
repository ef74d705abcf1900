/* condredirect: forward the message to another address if a program says
 * so (condredirect(1)):
 *   |condredirect newaddress program [ arg ... ]
 * The program reads the message on stdin; exit 0 means redirect: the
 * message goes to newaddress with $SENDER as its sender and $DTLINE in
 * front, and condredirect exits 99 so qmail-local stops reading .qmail.
 * Exit 111 from the program means try later (111); anything else, or a
 * program that cannot be run, means carry on with .qmail (0).
 * Runs as the user qmail-local runs it as, with no privileges of its own.
 * The message (untrusted) is copied through a fixed buffer, never
 * interpreted. Touches no files: it runs the program and qmail-queue. */
#include <signal.h>
#include <unistd.h>
#include "child.h"
#include "env.h"
#include "err.h"
#include "num.h"
#include "qqfwd.h"
#include "sig.h"

#define FATAL "condredirect: fatal: "

int main(int argc, char **argv)
{
  const char *sender, *dtline;
  char qp[NUM_ULL_DIGITS + 1];

  if (argc < 3 || !argv[1] || !argv[2])
    err_die(100, "condredirect: usage: condredirect newaddress program [ arg ... ]", (char *)0);

  switch (child_run(argv + 2, FATAL)) {
  case 0: break;
  case 111: err_die(111, FATAL, "temporary child error", (char *)0);
  default: return 0;
  }

  if (lseek(0, 0, SEEK_SET) == -1) err_die_sys(111, FATAL, "unable to rewind", (char *)0);
  sig_ignore(SIGPIPE);
  sender = env_get("SENDER");
  if (!sender) err_die(100, FATAL, "SENDER not set", (char *)0);
  dtline = env_get("DTLINE");
  if (!dtline) err_die(100, FATAL, "DTLINE not set", (char *)0);

  qp[num_fmt(qp, qqfwd(FATAL, dtline, sender, argv + 1, 1))] = 0;
  err_die(99, "condredirect: qp ", qp, (char *)0);
}
