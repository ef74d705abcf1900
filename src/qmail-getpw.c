/* qmail-getpw: find the user who controls a local address (qmail-getpw(8)).
 * Run by qmail-lspawn as qmailp (group nofiles) with the local part of an
 * address as its only argument (untrusted: anyone can send mail to any
 * local part; it is only compared and copied, never interpreted). Reads
 * the passwd database and stats home directories; writes nothing but
 *   user\0uid\0gid\0homedir\0dash\0ext\0
 * on fd 1. Exit 0 with that output, 100 when there is no argument or not
 * even the alias user exists, 111 on a temporary problem (a passwd lookup
 * or stat failing for a reason other than absence); nothing is printed
 * unless it exits 0.
 * Rules: the longest prefix of local that is all of it or ends at the
 * conf-break character, shorter than 32 characters, names (lower-cased) an
 * account with a nonzero uid, no upper-case letters in its name, and a home
 * directory it owns; the rest after the break is the extension. Otherwise
 * the alias user gets the address with dash "-" and the whole local part
 * as the extension. */
#include <errno.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "auto.h"
#include "io.h"
#include "str.h"
#include "users.h"

/* getpwnam gives 0 both for "no such account" and for failures; these
 * errno values (or none) mean the account is simply not there. */
static int absent(int e)
{
  return e == 0 || e == ENOENT || e == ESRCH || e == EBADF || e == EPERM;
}

static struct passwd *lookup(const char *name)
{
  struct passwd *pw;
  errno = 0;
  pw = getpwnam(name);
  if (!pw && !absent(errno)) _exit(111);
  return pw;
}

static struct passwd *found;

/* 1 if name is a user by the rules above, 0 if not; exits 111 when that
 * cannot be known now. */
static int is_user(const char *name, void *ctx)
{
  struct passwd *pw = lookup(name);
  struct stat st;
  (void)ctx;
  if (!pw || !pw->pw_uid || strcmp(pw->pw_name, name)) return 0;
  if (stat(pw->pw_dir, &st) == -1) {
    /* Missing or not visible to qmailp: not a user. */
    if (errno == ENOENT || errno == ENOTDIR || errno == EACCES || errno == ELOOP ||
        errno == ENAMETOOLONG)
      return 0;
    return -1;
  }
  if (st.st_uid != pw->pw_uid) return 0;
  found = pw;
  return 1;
}

int main(int argc, char **argv)
{
  char space[1024];
  iobuf out;
  str o = STR_INIT;
  const char *local, *dash = "", *ext;
  size_t len, userlen;
  int r;

  if (argc < 2) _exit(100);
  local = argv[1];
  len = strlen(local);
  r = users_getpw_split(local, len, auto_break[0], is_user, 0, &userlen);
  if (r == -1) _exit(111);
  if (r == 1) {
    ext = local + userlen;
    if (userlen < len) {
      dash = "-";
      ++ext;
    }
  } else {
    found = lookup(auto_user_names[0]);
    if (!found) _exit(100);
    dash = "-";
    ext = local;
  }

  /* All of it in one piece: nothing goes out unless everything fits. */
  if (!str_cats(&o, found->pw_name) || !str_putc(&o, 0) ||
      !str_catnum(&o, found->pw_uid) || !str_putc(&o, 0) ||
      !str_catnum(&o, found->pw_gid) || !str_putc(&o, 0) ||
      !str_cats(&o, found->pw_dir) || !str_putc(&o, 0) ||
      !str_cats(&o, dash) || !str_putc(&o, 0) ||
      !str_cats(&o, ext) || !str_putc(&o, 0))
    _exit(111);
  io_init(&out, io_write, 1, space, sizeof space);
  if (io_putflush(&out, o.s, o.len) == -1) _exit(111);
  _exit(0);
}
