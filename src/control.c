/* control.c: control-file readers (see control.h). */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include "control.h"
#include "io.h"
#include "num.h"
#include "open.h"

static str me = STR_INIT;
static int me_ok;

static void strip_trailing_space(str *line)
{
  while (line->len) {
    char c = line->s[line->len - 1];
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') break;
    line->len--;
  }
  if (line->s) line->s[line->len] = 0;
}

/* Open fn; 1 with *fd set, 0 if missing, -1 on error. */
static int open_control(const char *fn, int *fd)
{
  *fd = open_read(fn);
  if (*fd != -1) return 1;
  return errno == ENOENT ? 0 : -1;
}

/* Read one line into line (emptied first). 1 got one, 0 at EOF, -1 err. */
static int next_line(iobuf *in, str *line)
{
  int r;
  line->len = 0;
  r = io_getline(in, line, '\n', CONTROL_LINE_MAX + 1); /* + the newline */
  if (r == IO_TOOLONG) errno = EFBIG;
  if (r < 0) return -1;
  if (r == IO_EOF && !line->len) return 0;
  strip_trailing_space(line);
  return 1;
}

int control_readline(str *sa, const char *fn)
{
  char space[1024];
  iobuf in;
  int fd, r;

  r = open_control(fn, &fd);
  if (r != 1) return r;
  io_init(&in, io_read, fd, space, sizeof space);
  r = next_line(&in, sa);
  close(fd);
  if (r == 0) sa->len = 0;
  if (r == -1) return -1;
  if (!str_reserve(sa, 0)) return -1;
  sa->s[sa->len] = 0;
  return 1;
}

int control_init(void)
{
  int r = control_readline(&me, "control/me");
  me_ok = r == 1;
  return r;
}

const str *control_me(void) { return me_ok ? &me : 0; }

int control_rldef(str *sa, const char *fn, int use_me, const char *def)
{
  int r = control_readline(sa, fn);
  if (r) return r;
  if (use_me && me_ok) return str_copystr(sa, &me) ? 1 : -1;
  if (def) return str_copys(sa, def) ? 1 : -1;
  return 0;
}

int control_readint(unsigned long long *value, const char *fn)
{
  str line = STR_INIT;
  unsigned long long v;
  int r = control_readline(&line, fn);
  if (r == 1) {
    if (num_scan(line.s, line.len, &v)) *value = v;
    else r = 0;
  }
  str_free(&line);
  return r;
}

/* Read the rest of fd into sa (emptied first), leaving room for two
 * more bytes; 0 done, -1 error. */
static int read_all(int fd, str *sa)
{
  sa->len = 0;
  if (io_readall(fd, sa, SIZE_MAX) == -1) return -1;
  return str_reserve(sa, 1) ? 0 : -1;
}

int control_readraw(str *sa, const char *fn)
{
  int fd, r;

  sa->len = 0;
  r = open_control(fn, &fd);
  if (r != 1) return r;
  r = read_all(fd, sa);
  close(fd);
  return r == -1 ? -1 : 1;
}

int control_readfile(str *sa, const char *fn, int use_me)
{
  size_t in = 0, out = 0;
  int r = control_readraw(sa, fn);

  if (r == -1) return -1;
  if (r == 0) {
    if (use_me && me_ok && !(str_catstr(sa, &me) && str_putc(sa, 0))) return -1;
    return 0;
  }
  /* The lines are compacted in place: a kept line (stripped, ended by
   * a NUL) is never longer than the line and its newline, and the last
   * line may lack one: read_all left room. */
  while (in < sa->len) {
    char *line = sa->s + in;
    char *nl = memchr(line, '\n', sa->len - in);
    size_t n = nl ? (size_t)(nl - line) : sa->len - in;
    if (n > CONTROL_LINE_MAX) {
      errno = EFBIG;
      return -1;
    }
    in += n + (nl != 0);
    while (n && (line[n - 1] == ' ' || line[n - 1] == '\t' || line[n - 1] == '\r')) --n;
    if (!n || line[0] == '#') continue;
    memmove(sa->s + out, line, n);
    out += n;
    sa->s[out++] = 0;
  }
  sa->len = out;
  sa->s[out] = 0;
  return 1;
}
