/* qmail-clean: remove a message's queue files for qmail-send
 * (qmail-clean(8)). Runs as qmailq, started by qmail-start; works in
 * QMAILHOME/queue and touches only intd/, todo/, mess/ and pid/ there.
 * Its input, fd 0, comes from qmail-send; every request is checked
 * (bounded length, a known prefix, digits only) before a name is built
 * from it. Requests are "foop/N" (remove intd/N, then mess/S/N) and
 * "todo/N" (remove intd/N, then todo/N, and sync todo/), each ended by a
 * NUL; the answer on fd 1 is one byte: '+' done (a file already gone
 * counts), '!' an unlink failed, 'x' a malformed request. Every 30
 * requests, files in pid/ last accessed more than 36 hours ago (left by
 * a qmail-queue that died) are removed. Exits 0 at end of input, 111 if
 * it cannot reach the queue or read its input. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "auto.h"
#include "fd.h"
#include "io.h"
#include "num.h"
#include "sig.h"
#include "str.h"

#define REQUEST_MAX 100   /* a request, its NUL counted, is 7 to 100 bytes */
#define REQUEST_MIN 7
#define PIDCLEAN_EVERY 30 /* requests between pid/ cleanups */
#define OSSIFIED 129600   /* 36 hours: longer than qmail-queue can live */

static char inspace[1024];
static char outspace[16];
static iobuf in, out;
static str fn = STR_INIT;

static void name(const char *dir, unsigned long long id, int split)
{
  fn.len = 0;
  if (!str_cats(&fn, dir) || !str_putc(&fn, '/') ||
      (split && !(str_catnum(&fn, id % auto_split) && str_putc(&fn, '/'))) ||
      !str_catnum(&fn, id))
    _exit(111); /* a few dozen bytes: out of memory means something is badly wrong */
}

/* Remove fn; 1 if it is gone (or never was). */
static int gone(void)
{
  return unlink(fn.s) == 0 || errno == ENOENT;
}

static void pid_cleanup(void)
{
  DIR *d = opendir("pid");
  struct dirent *de;
  time_t now = time(0);
  struct stat st;

  if (!d) return;
  while ((de = readdir(d))) {
    if (de->d_name[0] == '.') continue;
    fn.len = 0;
    if (!str_cats(&fn, "pid/") || !str_cats(&fn, de->d_name)) break;
    if (stat(fn.s, &st) == 0 && S_ISREG(st.st_mode) && now > st.st_atime + OSSIFIED)
      unlink(fn.s);
  }
  closedir(d);
}

/* The answer for one request (line holds it with its NUL). */
static char answer(const str *line)
{
  unsigned long long id;
  size_t digits;
  int todo;

  if (line->len < REQUEST_MIN || line->len > REQUEST_MAX) return 'x';
  if (str_starts(line, "todo/")) todo = 1;
  else if (str_starts(line, "foop/")) todo = 0;
  else return 'x';
  digits = num_scan(line->s + 5, line->len - 6, &id);
  if (!digits || digits != line->len - 6 || id == ULLONG_MAX) return 'x';

  name("intd", id, 0);
  if (!gone()) return '!';
  if (todo) {
    name("todo", id, 0);
    if (!gone()) return '!';
    /* qmail-send starts delivering once we answer: the removal of the
     * todo/ entry must survive a crash, or the message would be
     * preprocessed again and every recipient delivered twice. */
    if (fd_syncdir("todo") == -1) return '!';
  } else {
    name("mess", id, 1);
    if (!gone()) return '!';
  }
  return '+';
}

int main(void)
{
  str line = STR_INIT;
  unsigned long requests = 0;

  sig_ignore(SIGPIPE);
  if (chdir(auto_qmail) == -1 || chdir("queue") == -1) _exit(111);
  io_init(&in, io_read, 0, inspace, sizeof inspace);
  io_init(&out, io_write, 1, outspace, sizeof outspace);

  for (;;) {
    char reply;
    int r;

    line.len = 0;
    r = io_getline(&in, &line, 0, REQUEST_MAX);
    if (r == IO_EOF) _exit(0); /* a request cut short by EOF gets no answer */
    if (r == IO_ERR) _exit(111);
    if (r == IO_TOOLONG) {
      /* Skip the rest of it, a buffer at a time, up to its NUL. */
      do {
        line.len = 0;
        r = io_getline(&in, &line, 0, sizeof inspace);
      } while (r == IO_TOOLONG);
      if (r == IO_EOF) _exit(0);
      if (r == IO_ERR) _exit(111);
      reply = 'x';
    } else {
      reply = answer(&line);
    }
    if (io_putflush(&out, &reply, 1) == -1) _exit(111);
    if (++requests % PIDCLEAN_EVERY == 0) pid_cleanup();
  }
}
