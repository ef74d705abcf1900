/* qmail-start: turn on mail delivery (qmail-start(8)).
 * Usage: qmail-start [defaultdelivery [logger arg ...]]
 * Run as root. Makes the pipes of doc/INTERNALS.md and starts, each in
 * QMAILHOME with qmail-start's environment:
 *   qmail-lspawn defaultdelivery  as root                fd 0, 1
 *   qmail-rspawn                  as qmailr, group qmail fd 0, 1
 *   qmail-clean                   as qmailq, group qmail fd 0, 1
 *   logger arg ...                as qmaill, group nofiles: fd 0 the
 *                                 activity record, fd 1 our output
 * and finally becomes qmail-send (qmails, group qmail) with fds 0 to 6
 * wired to them, so a TERM for qmail-start's pid stops qmail-send
 * cleanly. Without a logger, qmail-send's record goes to our output.
 * defaultdelivery defaults to ./Mailbox. Reads no input, trusts its
 * arguments only as the super-user's choice, touches no files, and
 * prints nothing, even on failure (exit 111). */
#include <fcntl.h>
#include <grp.h>
#include <unistd.h>
#include "auto.h"
#include "fd.h"

#define PIPES 7  /* six between the daemons, one for the logger */
#define FIRSTFREE 7 /* pipe ends live above qmail-send's fds 0..6 */

enum { TOLSPAWN, FROMLSPAWN, TORSPAWN, FROMRSPAWN, TOCLEAN, FROMCLEAN, TOLOGGER };

static int p[PIPES][2]; /* [i][0] read end, [i][1] write end; -1 unused */

static void die(void) __attribute__((noreturn));
static void die(void) { _exit(111); }

static void closeall(void)
{
  for (int i = 0; i < PIPES; ++i)
    for (int j = 0; j < 2; ++j)
      if (p[i][j] != -1) close(p[i][j]);
}

/* Become uid in group gid only (no supplementary groups but gid). */
static void become(uid_t uid, gid_t gid)
{
  if (setgroups(1, &gid) == -1 || setgid(gid) == -1 || setuid(uid) == -1) die();
}

/* In a child: fd 0 and fd 1 from the given ends (-1 keeps ours), all
 * other pipe ends closed. */
static void wire(int fd0, int fd1)
{
  if (fd0 != -1 && fd_copy(0, fd0) == -1) die();
  if (fd1 != -1 && fd_copy(1, fd1) == -1) die();
  closeall();
}

static void start(const char *prog, char *const *argv, int fd0, int fd1, int drop, uid_t uid, gid_t gid)
{
  switch (fork()) {
  case -1:
    die();
  case 0:
    wire(fd0, fd1);
    if (drop) become(uid, gid);
    if (prog) execv(prog, argv);
    else execvp(argv[0], argv);
    die();
  }
}

int main(int argc, char **argv)
{
  char *lspawn[] = { "qmail-lspawn", "./Mailbox", 0 };
  char *rspawn[] = { "qmail-rspawn", 0 };
  char *clean[] = { "qmail-clean", 0 };
  char *send[] = { "qmail-send", 0 };
  int logger = argc > 2;

  if (chdir(auto_qmail) == -1) die();
  if (argc > 1) lspawn[1] = argv[1];

  for (int i = 0; i < PIPES; ++i) {
    int raw[2];
    p[i][0] = p[i][1] = -1;
    if (i == TOLOGGER && !logger) continue;
    if (pipe(raw) == -1) die();
    /* Lift both ends clear of 0..6 so no later dup2 can clobber one. */
    p[i][0] = fcntl(raw[0], F_DUPFD, FIRSTFREE);
    p[i][1] = fcntl(raw[1], F_DUPFD, FIRSTFREE);
    close(raw[0]);
    close(raw[1]);
    if (p[i][0] == -1 || p[i][1] == -1) die();
  }

  if (logger) start(0, argv + 2, p[TOLOGGER][0], -1, 1, auto_uidl, auto_gidn);
  start("bin/qmail-lspawn", lspawn, p[TOLSPAWN][0], p[FROMLSPAWN][1], 0, 0, 0);
  start("bin/qmail-rspawn", rspawn, p[TORSPAWN][0], p[FROMRSPAWN][1], 1, auto_uidr, auto_gidq);
  start("bin/qmail-clean", clean, p[TOCLEAN][0], p[FROMCLEAN][1], 1, auto_uidq, auto_gidq);

  /* fd 0 first: without a logger it is a copy of our output, fd 1. */
  if (fd_copy(0, logger ? p[TOLOGGER][1] : 1) == -1) die();
  if (fd_copy(1, p[TOLSPAWN][1]) == -1 || fd_copy(2, p[FROMLSPAWN][0]) == -1 ||
      fd_copy(3, p[TORSPAWN][1]) == -1 || fd_copy(4, p[FROMRSPAWN][0]) == -1 ||
      fd_copy(5, p[TOCLEAN][1]) == -1 || fd_copy(6, p[FROMCLEAN][0]) == -1)
    die();
  closeall();
  become(auto_uids, auto_gidq);
  execv("bin/qmail-send", send);
  die();
}
