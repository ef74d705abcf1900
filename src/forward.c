/* forward: send the message on stdin on to the addresses given, as if
 * each were an &address line in .qmail (forward(1)):
 *   |forward address ...
 * Runs as the user qmail-local runs it as (from a .qmail file), with no
 * privileges of its own. The sender is $NEWSENDER and $DTLINE goes in
 * front of the message; the message (untrusted) is copied through a fixed
 * buffer, never interpreted. Touches no files: it only starts
 * qmail-queue. Exit 0 queued (after "forward: qp N" on stderr), 100
 * permanent failure, 111 temporary. */
#include <signal.h>
#include "env.h"
#include "err.h"
#include "num.h"
#include "qqfwd.h"
#include "sig.h"

#define FATAL "forward: fatal: "

int main(int argc, char **argv)
{
  const char *sender, *dtline;
  char qp[NUM_ULL_DIGITS + 1];

  sig_ignore(SIGPIPE);
  sender = env_get("NEWSENDER");
  if (!sender) err_die(100, FATAL, "NEWSENDER not set", (char *)0);
  dtline = env_get("DTLINE");
  if (!dtline) err_die(100, FATAL, "DTLINE not set", (char *)0);

  qp[num_fmt(qp, qqfwd(FATAL, dtline, sender, argv + 1, argc > 1 ? (size_t)argc - 1 : 0))] = 0;
  err_die(0, "forward: qp ", qp, (char *)0);
}
