/* qmail-qread: list the messages in the queue (qmail-qread(8)). For each
 * message named in queue/info, one line
 *   DATE GMT  #N  BYTES  <SENDER> [ bouncing]
 * (DATE the birth time, the mtime of info/S/N; BYTES the size of
 * mess/S/N; "bouncing" when bounce/N exists), then one line per recipient
 * of local/S/N and then remote/S/N:
 *   [  done]<TAB>local|remote<TAB>RECIPIENT
 * Messages that qmail-send has not yet preprocessed (todo/ only) are not
 * listed. Everything, warnings and fatal errors included, goes to stdout
 * in qmail-1.03's words; exit 0, or 111 after a fatal error (or when
 * stdout cannot be written).
 * Runs as root or as qmails with group qmail. Reads queue/info, local,
 * remote, stats mess and bounce; writes nothing but stdout. The queue's
 * files are not trusted: records are read in pieces of at most PIECE
 * bytes through fixed buffers (memory does not grow with a record's
 * length), and every byte outside printable ASCII is shown as '_'. */
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "auto.h"
#include "date822.h"
#include "err.h"
#include "io.h"
#include "num.h"
#include "open.h"
#include "str.h"

#define PIECE 4096 /* bytes of one record held at a time */
/* "remote/" S "/" N and a NUL */
#define QFN_MAX (sizeof "remote/" + 2 * NUM_ULL_DIGITS + 1)

static char outspace[IO_OUTSIZE];
static iobuf out;
static char inspace[IO_INSIZE];
static iobuf in;
static str piece = STR_INIT;
static str date = STR_INIT;

__attribute__((noreturn)) static void finish(int code)
{
  io_flush(&out);
  _exit(code ? code : out.failed ? 111 : 0);
}

__attribute__((noreturn)) static void die_nomem(void)
{
  io_puts(&out, "fatal: out of memory\n");
  finish(111);
}

/* what ": " error-text, on stdout. */
static void warn_sys(const char *what, const char *name, int errnum)
{
  io_puts(&out, what);
  io_puts(&out, name);
  io_puts(&out, ": ");
  io_puts(&out, err_str(errnum));
  io_puts(&out, "\n");
}

/* Something about message id could not be read (errno says what). */
static void trouble(unsigned long long id)
{
  char digits[NUM_ULL_DIGITS + 1];
  int errnum = errno;
  if (errnum == ENOMEM) die_nomem();
  digits[num_fmt(digits, id)] = 0;
  warn_sys("warning: trouble with #", digits, errnum);
}

/* dir + S "/" + N, or dir + N when not split. */
static void path(char *buf, const char *dir, unsigned long long id, int split)
{
  size_t n = strlen(dir);
  memcpy(buf, dir, n);
  if (split) {
    n += num_fmt(buf + n, id % auto_split);
    buf[n++] = '/';
  }
  n += num_fmt(buf + n, id);
  buf[n] = 0;
}

/* Show the piece from byte from on, less its NUL when complete. */
static void show_piece(size_t from, int complete)
{
  size_t end = piece.len - (complete ? 1 : 0);
  if (from < end) io_putprintable(&out, piece.s + from, end - from, '_');
}

/* A record's first PIECE bytes came without its NUL: go on to the NUL
 * (or the end of the file), showing the bytes if shown. Returns IO_LINE,
 * IO_EOF or IO_ERR. */
static int rest_of_record(int shown)
{
  int r;
  do {
    piece.len = 0;
    r = io_getline(&in, &piece, 0, PIECE);
    if (r == IO_ERR) return r;
    if (shown) show_piece(0, r == IO_LINE);
  } while (r == IO_TOOLONG);
  return r;
}

/* The recipients in local/S/N or remote/S/N: `T' records still to be
 * delivered, `D' records done; anything else is not shown, nor is a last
 * record without its NUL. A missing file means no recipients there. */
static void recipients(unsigned long long id, const char *fn, const char *label)
{
  int r, fd = open_read(fn);

  if (fd == -1) {
    if (errno != ENOENT) trouble(id);
    return;
  }
  io_init(&in, io_read, fd, inspace, sizeof inspace);
  do {
    piece.len = 0;
    r = io_getline(&in, &piece, 0, PIECE);
    if (r == IO_LINE || r == IO_TOOLONG) {
      int shown = piece.s[0] == 'T' || piece.s[0] == 'D';
      if (piece.s[0] == 'D') io_puts(&out, "  done");
      if (shown) {
        io_puts(&out, label);
        show_piece(1, r == IO_LINE);
      }
      if (r == IO_TOOLONG) r = rest_of_record(shown);
      if (shown) io_puts(&out, "\n");
    }
  } while (r == IO_LINE);
  if (r == IO_ERR) trouble(id);
  close(fd);
}

static void message(unsigned long long id)
{
  char fnmess[QFN_MAX], fnbounce[QFN_MAX], fninfo[QFN_MAX];
  char fnlocal[QFN_MAX], fnremote[QFN_MAX];
  struct stat st;
  unsigned long long bytes;
  int bouncing, fd, r, errnum;

  path(fnmess, "mess/", id, 1);
  path(fninfo, "info/", id, 1);
  path(fnlocal, "local/", id, 1);
  path(fnremote, "remote/", id, 1);
  path(fnbounce, "bounce/", id, 0);

  if (stat(fnmess, &st) == -1) {
    trouble(id);
    return;
  }
  bytes = (unsigned long long)st.st_size;
  bouncing = stat(fnbounce, &st) == 0;

  fd = open_read(fninfo);
  if (fd == -1) {
    trouble(id);
    return;
  }
  io_init(&in, io_read, fd, inspace, sizeof inspace);
  piece.len = date.len = 0;
  r = IO_ERR;
  if (fstat(fd, &st) == 0 && date822_cat(&date, st.st_mtime))
    r = io_getline(&in, &piece, 0, PIECE);
  if (r == IO_ERR) {
    errnum = errno;
    close(fd);
    errno = errnum;
    trouble(id);
    return;
  }
  /* date822_cat ends with " -0000"; qmail-qread says GMT instead. */
  io_put(&out, date.s, date.len - 6);
  io_puts(&out, " GMT  #");
  io_putnum(&out, id);
  io_puts(&out, "  ");
  io_putnum(&out, bytes);
  io_puts(&out, "  <");
  show_piece(1, r == IO_LINE); /* the sender, after its `F' */
  if (r == IO_TOOLONG) r = rest_of_record(1);
  errnum = errno;
  close(fd);
  io_puts(&out, "> ");
  if (bouncing) io_puts(&out, " bouncing");
  io_puts(&out, "\n");
  if (r == IO_ERR) {
    errno = errnum;
    trouble(id);
  }

  recipients(id, fnlocal, "\tlocal\t");
  recipients(id, fnremote, "\tremote\t");
}

int main(void)
{
  char dir[sizeof "info/" + NUM_ULL_DIGITS];

  io_init(&out, io_write, 1, outspace, sizeof outspace);
  if (!str_reserve(&piece, PIECE) || !str_reserve(&date, 64)) die_nomem();
  if (chdir(auto_qmail) == -1 || chdir("queue") == -1) {
    warn_sys("fatal: unable to chdir", "", errno);
    finish(111);
  }

  for (unsigned long i = 0; i < auto_split; ++i) {
    DIR *d;
    memcpy(dir, "info/", 5);
    dir[5 + num_fmt(dir + 5, i)] = 0;
    d = opendir(dir);
    if (!d) {
      warn_sys("fatal: unable to opendir ", dir, errno);
      finish(111);
    }
    for (;;) {
      struct dirent *de;
      unsigned long long id;
      errno = 0;
      de = readdir(d);
      if (!de) break;
      /* Names that are not numbers (".", "..") are not messages. */
      if (num_parse(de->d_name, &id)) message(id);
    }
    if (errno) {
      warn_sys("fatal: unable to read directory ", dir, errno);
      finish(111);
    }
    closedir(d);
  }
  finish(0);
}
