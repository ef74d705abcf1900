/* getpw.c: qmail-getpw's rules and output, for both of its builds (see
 * getpw.h). */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "getpw.h"
#include "io.h"
#include "users.h"

struct search {
  getpw_lookup lookup;
  void *ctx;
  struct getpw_account *a;
  int failure; /* GETPW_TEMP or GETPW_UNSURE, once is_user has said -1 */
};

/* users_getpw_split's question: 1 if name is a user by the rules, 0 if
 * not, -1 (with s->failure saying why) when that cannot be known. */
static int is_user(const char *name, void *arg)
{
  struct search *s = arg;
  struct stat st;
  int r = s->lookup(name, s->a, s->ctx);

  if (r == GETPW_TEMP || r == GETPW_UNSURE) {
    s->failure = r;
    return -1;
  }
  if (r != GETPW_FOUND || !s->a->uid || strcmp(s->a->name, name)) return 0;
  if (stat(s->a->home, &st) == -1) {
    /* Missing or not visible to qmailp: not a user. */
    if (errno == ENOENT || errno == ENOTDIR || errno == EACCES || errno == ELOOP ||
        errno == ENAMETOOLONG)
      return 0;
    s->failure = GETPW_TEMP;
    return -1;
  }
  return st.st_uid == s->a->uid;
}

int getpw_answer(const char *local, char brk, const char *alias, getpw_lookup lookup, void *ctx,
                 str *out)
{
  struct getpw_account a;
  struct search s = { lookup, ctx, &a, GETPW_TEMP };
  const char *dash = "", *ext;
  size_t len = strlen(local), userlen;
  int r = users_getpw_split(local, len, brk, is_user, &s, &userlen);

  if (r == -1) return s.failure == GETPW_UNSURE ? GETPW_UNSURE : 111;
  if (r == 1) {
    ext = local + userlen;
    if (userlen < len) {
      dash = "-";
      ++ext;
    }
  } else {
    r = lookup(alias, &a, ctx);
    if (r == GETPW_UNSURE) return GETPW_UNSURE;
    if (r == GETPW_TEMP) return 111;
    if (r != GETPW_FOUND) return 100;
    dash = "-";
    ext = local;
  }

  /* All of it in one piece: nothing goes out unless everything fits. */
  out->len = 0;
  if (!str_cats(out, a.name) || !str_putc(out, 0) ||
      !str_catnum(out, a.uid) || !str_putc(out, 0) ||
      !str_catnum(out, a.gid) || !str_putc(out, 0) ||
      !str_cats(out, a.home) || !str_putc(out, 0) ||
      !str_cats(out, dash) || !str_putc(out, 0) ||
      !str_cats(out, ext) || !str_putc(out, 0))
    return 111;
  return 0;
}

void getpw_exit(int code, const str *out)
{
  char space[1024];
  iobuf b;

  if (code == 0) {
    io_init(&b, io_write, 1, space, sizeof space);
    if (io_putflush(&b, out->s, out->len) == -1) _exit(111);
  }
  _exit(code);
}
