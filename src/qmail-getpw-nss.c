/* qmail-getpw-nss: qmail-getpw (qmail-getpw(8)) asking the system's C
 * library: accounts come from getpwnam, so from every source its NSS
 * configuration names (files, LDAP, sssd, systemd...). Built with the
 * system's compiler and linked dynamically, because NSS modules are
 * loaded at run time. qmail-getpw execs it, with the same argument,
 * whenever it cannot be sure of the answer from the passwd file alone;
 * run directly it gives exactly qmail-getpw's answers.
 * Runs as qmailp (group nofiles), execed by qmail-getpw (or by hand). Its
 * argument, the local part of an address, is untrusted: anyone can send
 * mail to any local part; it is only compared and copied, never
 * interpreted. Reads the passwd database and stats home directories;
 * writes nothing but qmail-getpw's six fields on fd 1. The rules, exit
 * codes and output are getpw.h's. */
#include <errno.h>
#include <pwd.h>
#include <unistd.h>
#include "auto.h"
#include "getpw.h"

/* getpwnam gives 0 both for "no such account" and for failures; these
 * errno values (or none) mean the account is simply not there. */
static int absent(int e)
{
  return e == 0 || e == ENOENT || e == ESRCH || e == EBADF || e == EPERM;
}

static int nss_lookup(const char *name, struct getpw_account *a, void *ctx)
{
  struct passwd *pw;

  (void)ctx;
  errno = 0;
  pw = getpwnam(name);
  if (!pw) return absent(errno) ? GETPW_ABSENT : GETPW_TEMP;
  a->name = pw->pw_name;
  a->uid = pw->pw_uid;
  a->gid = pw->pw_gid;
  a->home = pw->pw_dir;
  return GETPW_FOUND;
}

int main(int argc, char **argv)
{
  str out = STR_INIT;

  if (argc < 2) _exit(100);
  getpw_exit(getpw_answer(argv[1], auto_break[0], auto_user_names[0], nss_lookup, 0, &out), &out);
}
