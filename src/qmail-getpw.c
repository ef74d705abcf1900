/* qmail-getpw: find the user who controls a local address (qmail-getpw(8)).
 * Run by qmail-lspawn as qmailp (group nofiles) with the local part of an
 * address as its only argument (untrusted: anyone can send mail to any
 * local part; it is only compared and copied, never interpreted). Reads
 * /etc/nsswitch.conf and /etc/passwd (bounded, see pwfiles.h) and stats
 * home directories; writes nothing but
 *   user\0uid\0gid\0homedir\0dash\0ext\0
 * on fd 1; may exec bin/qmail-getpw-nss with the same argument. Exit 0
 * with that output, 100 when there is no argument or not even the alias
 * user exists, 111 on a temporary problem; nothing is printed unless it
 * exits 0. The rules are getpw.h's.
 *
 * The fast path: this program is built like the others (static, against
 * musl where available), so it starts in a fraction of the time a
 * dynamically linked glibc program takes, and it answers from
 * /etc/passwd itself, but only when glibc's NSS would certainly give the
 * same answer. nsswitch.conf's passwd entry must name files first, with
 * no action item; then for each name looked up (the candidate prefixes,
 * longest first, then the alias user), an entry in /etc/passwd is the
 * answer, and no entry is the answer only when files is the only source.
 * Any other case (another source would be asked, nsswitch.conf or
 * /etc/passwd missing, unreadable or holding anything unusual) execs
 * qmail-getpw-nss, the same program built against the system's C library,
 * which then decides the whole address. */
#include <fcntl.h>
#include <unistd.h>
#include "auto.h"
#include "getpw.h"
#include "pwfiles.h"
#include "str.h"

struct files {
  int verdict; /* nsswitch.conf's passwd entry: PWFILES_FILES_ONLY or _FIRST */
  int fd;      /* /etc/passwd */
  str line;
};

static int files_lookup(const char *name, struct getpw_account *a, void *ctx)
{
  struct files *f = ctx;
  int r = pwfiles_find(f->fd, name, &f->line, a);

  if (r == 1) return GETPW_FOUND;
  if (r == 0 && f->verdict == PWFILES_FILES_ONLY) return GETPW_ABSENT;
  return GETPW_UNSURE;
}

/* Leave local to the NSS build. */
static void nss(const char *local) __attribute__((noreturn));
static void nss(const char *local)
{
  str path = STR_INIT;
  char *args[] = { (char *)"qmail-getpw-nss", (char *)local, 0 };

  if (str_cats(&path, auto_qmail) && str_cats(&path, "/bin/qmail-getpw-nss"))
    execv(path.s, args);
  _exit(111);
}

int main(int argc, char **argv)
{
  struct files f = { 0, -1, STR_INIT };
  str out = STR_INIT;
  int code;

  if (argc < 2) _exit(100);
  f.verdict = pwfiles_nsswitch_file(PWFILES_NSSWITCH);
  if (f.verdict == PWFILES_UNSURE) nss(argv[1]);
  f.fd = open(PWFILES_PASSWD, O_RDONLY | O_NOCTTY | O_CLOEXEC);
  if (f.fd == -1) nss(argv[1]);
  code = getpw_answer(argv[1], auto_break[0], auto_user_names[0], files_lookup, &f, &out);
  if (code == GETPW_UNSURE) nss(argv[1]);
  getpw_exit(code, &out);
}
