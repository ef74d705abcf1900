/* qbiff: tell the user, on every terminal where they are logged in with
 * "biff y", that a message has arrived (qbiff(1)):
 *   |qbiff
 * Writes "*** TO <$LOCAL> FROM <$SENDER>" and the start of the Subject
 * and body (at most TEXT_MAX bytes, non-printable bytes shown as '/') to
 * each of $USER's terminals listed in utmp whose owner-execute bit (the
 * biff bit) is set and which the user owns. Always exits 0: a missed
 * notice is no reason to hold up the delivery.
 * Runs as the user qmail-local runs it as, with no privileges of its own.
 * Untrusted: the message on stdin (read through headerbody's bounded
 * fields and lines, and only as far as the notice needs), $SENDER, and
 * the line names in utmp (only plain names under /dev are opened, never
 * created). Touches nothing but those terminals. */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utmpx.h>
#include "env.h"
#include "headerbody.h"
#include "io.h"
#include "str.h"

#define TEXT_MAX 78

static str text = STR_INIT;

static void addtext(const char *s, size_t n)
{
  size_t room = TEXT_MAX - text.len;
  if (!str_cat(&text, s, n < room ? n : room)) _exit(0);
}

static void field(void *ctx, const char *s, size_t n, int whole)
{
  (void)ctx;
  (void)whole; /* a cut Subject still gives the start of the notice */
  if (headerbody_is(s, n, "subject")) {
    size_t i = headerbody_skipname(s, n);
    addtext(s + i, n - i);
  }
}

static int body(void *ctx, const char *s, size_t n)
{
  (void)ctx;
  addtext(s, n);
  return text.len < TEXT_MAX;
}

static void printable(str *sa, char bad)
{
  for (size_t i = 0; i < sa->len; ++i)
    if ((unsigned char)sa->s[i] < 32 || (unsigned char)sa->s[i] > 126) sa->s[i] = bad;
}

/* Write the notice to terminal line (a name under /dev) if it is one of
 * the user's with the biff bit on. */
static void notify(const char *line, const str *notice)
{
  struct stat st;
  int fd;

  if (!line[0] || line[0] == '/' || strchr(line, '.')) return;
  fd = open(line, O_WRONLY | O_APPEND | O_NOCTTY | O_NONBLOCK);
  if (fd == -1) return;
  if (fstat(fd, &st) == 0 && (st.st_mode & S_IXUSR) && st.st_uid == getuid()) {
    char space[1024];
    iobuf b;
    io_init(&b, io_write, fd, space, sizeof space);
    io_putflush(&b, notice->s, notice->len);
  }
  close(fd);
}

int main(void)
{
  static char inspace[IO_INSIZE];
  struct headerbody h = { field, body, 0 };
  const char *user, *sender, *local;
  str tofrom = STR_INIT, notice = STR_INIT;
  struct utmpx *ut;
  iobuf in;

  if (chdir("/dev") == -1) return 0;
  if (!(user = env_get("USER"))) return 0;
  if (!(sender = env_get("SENDER"))) return 0;
  if (!(local = env_get("LOCAL"))) return 0;
  if (strlen(user) > sizeof ut->ut_user) return 0;

  if (!str_copys(&tofrom, "*** TO <") || !str_cats(&tofrom, local) ||
      !str_cats(&tofrom, "> FROM <") || !str_cats(&tofrom, sender) || !str_cats(&tofrom, ">"))
    return 0;
  printable(&tofrom, '_');

  if (!str_copys(&text, "    ")) return 0;
  io_init(&in, io_read, 0, inspace, sizeof inspace);
  if (headerbody(&in, &h) == -1) return 0;
  printable(&text, '/');

  if (!str_copys(&notice, "\r\n\a") || !str_catstr(&notice, &tofrom) ||
      !str_cats(&notice, "\r\n") || !str_catstr(&notice, &text) || !str_cats(&notice, "\r\n"))
    return 0;

  setutxent();
  while ((ut = getutxent())) {
    char line[sizeof ut->ut_line + 1];
    if (ut->ut_type != USER_PROCESS || strncmp(ut->ut_user, user, sizeof ut->ut_user)) continue;
    memcpy(line, ut->ut_line, sizeof ut->ut_line);
    line[sizeof ut->ut_line] = 0;
    notify(line, &notice);
  }
  endutxent();
  str_free(&tofrom);
  str_free(&notice);
  str_free(&text);
  return 0;
}
