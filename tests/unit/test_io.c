/* test_io.c: unit tests for io.c (buffered output, io_getline, io_get, io_copy,
 * io_readall, errors). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"
#include "io.h"
#include "str.h"

#define CHECK_MEM(sa, lit) \
  check_one((sa).len == sizeof(lit) - 1 && !memcmp((sa).s, (lit), sizeof(lit) - 1), \
            #sa " == " #lit, __FILE__, __LINE__)

static char tmpdir[] = "/tmp/qtest_io.XXXXXX";

/* ---- a fake op that records every write call ---- */
static str wlog;          /* all bytes written */
static size_t wcalls;     /* number of calls */
static size_t wsizes[64]; /* len of each call (first 64) */
static size_t wmax;       /* accept at most this many bytes per call (0: all) */
static int wfail;         /* 1: return -1 EPIPE; 2: return 0 */

static ssize_t fake_write(int fd, void *buf, size_t len)
{
  (void)fd;
  if (wcalls < 64) wsizes[wcalls] = len;
  wcalls++;
  if (wfail == 1) {
    errno = EPIPE;
    return -1;
  }
  if (wfail == 2) return 0;
  if (wmax && len > wmax) len = wmax;
  str_cat(&wlog, buf, len);
  return (ssize_t)len;
}

static void fake_reset(void)
{
  wlog.len = 0;
  wcalls = 0;
  wmax = 0;
  wfail = 0;
}

/* ---- a fake op that reads from a fixed string, chunk bytes at a time ---- */
static const char *rsrc;
static size_t rlen, rpos, rchunk, rcalls;

static ssize_t fake_read(int fd, void *buf, size_t len)
{
  (void)fd;
  rcalls++;
  if (rchunk && len > rchunk) len = rchunk;
  if (len > rlen - rpos) len = rlen - rpos;
  memcpy(buf, rsrc + rpos, len);
  rpos += len;
  return (ssize_t)len;
}

static void fake_src(const char *s, size_t len, size_t chunk)
{
  rsrc = s;
  rlen = len;
  rpos = 0;
  rchunk = chunk;
  rcalls = 0;
}

/* A temp file with the given contents, opened for reading. */
static int file_with(const char *name, const char *data, size_t len)
{
  char path[128];
  int fd;
  strcpy(path, tmpdir);
  strcat(path, "/");
  strcat(path, name);
  fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (fd == -1) return -1;
  if (len && write(fd, data, len) != (ssize_t)len) {
    close(fd);
    return -1;
  }
  lseek(fd, 0, SEEK_SET);
  return fd;
}

static void test_put_fake(void)
{
  char space[8];
  iobuf b;

  fake_reset();
  io_init(&b, fake_write, 9, space, sizeof space);
  CHECK(b.n == 0 && b.size == 8 && b.fd == 9);
  CHECK(io_put(&b, "abc", 3) == 0);
  CHECK(wcalls == 0);
  CHECK(io_put(&b, "defgh", 5) == 0); /* exactly fills the buffer */
  CHECK(wcalls == 0);
  CHECK(b.n == 8);
  CHECK(io_put(&b, "i", 1) == 0); /* forces the full buffer out */
  CHECK(wcalls == 1 && wsizes[0] == 8);
  CHECK_MEM(wlog, "abcdefgh");
  CHECK(b.n == 1);
  /* larger than the buffer: buffered bytes first, then straight through */
  CHECK(io_put(&b, "0123456789", 10) == 0);
  CHECK(wcalls == 3 && wsizes[1] == 1 && wsizes[2] == 10);
  CHECK_MEM(wlog, "abcdefghi0123456789");
  CHECK(b.n == 0);
  /* exactly the buffer size fits an empty buffer: nothing written yet */
  CHECK(io_put(&b, "ABCDEFGH", 8) == 0);
  CHECK(b.n == 8 && wcalls == 3);
  CHECK(io_puts(&b, "xy") == 0);
  CHECK(io_putnum(&b, 18446744073709551615ULL) == 0);
  CHECK(io_flush(&b) == 0);
  CHECK_MEM(wlog, "abcdefghi0123456789ABCDEFGHxy18446744073709551615");
  /* flushing an empty buffer writes nothing */
  {
    size_t calls = wcalls;
    CHECK(io_flush(&b) == 0);
    CHECK(wcalls == calls);
  }

  /* short writes: write_all keeps going */
  fake_reset();
  wmax = 3;
  io_init(&b, fake_write, 9, space, sizeof space);
  CHECK(io_putflush(&b, "hello", 5) == 0);
  CHECK_MEM(wlog, "hello");
  CHECK(wcalls == 2 && wsizes[0] == 5 && wsizes[1] == 2);
  CHECK(io_put(&b, "0123456789abcdefghij", 20) == 0);
  CHECK_MEM(wlog, "hello0123456789abcdefghij");
  CHECK(wcalls == 9);
  {
    str sa = STR_INIT;
    str_copy(&sa, "s\0t", 3);
    CHECK(io_putstr(&b, &sa) == 0);
    CHECK(io_putsflush(&b, "!") == 0);
    CHECK_MEM(wlog, "hello0123456789abcdefghijs\0t!");
    str_free(&sa);
  }

  /* write error */
  fake_reset();
  io_init(&b, fake_write, 9, space, sizeof space);
  CHECK(io_put(&b, "abcd", 4) == 0);
  wfail = 1;
  errno = 0;
  CHECK(io_flush(&b) == -1);
  CHECK(errno == EPIPE);
  errno = 0;
  CHECK(io_put(&b, "0123456789", 10) == -1);
  CHECK(errno == EPIPE);
  errno = 0;
  CHECK(io_putflush(&b, "x", 1) == -1);
  CHECK(errno == EPIPE);
  /* a write that makes no progress is an error (EIO), not a loop */
  fake_reset();
  io_init(&b, fake_write, 9, space, sizeof space);
  wfail = 2;
  errno = 0;
  CHECK(io_putflush(&b, "abc", 3) == -1);
  CHECK(errno == EIO);
  CHECK(wcalls == 1);
  fake_reset();
}

static void test_put_pipe(void)
{
  int p[2];
  char space[16], got[256];
  iobuf b;
  ssize_t r;
  size_t total = 0;

  CHECK(pipe(p) == 0);
  io_init(&b, io_write, p[1], space, sizeof space);
  CHECK(io_puts(&b, "From: a\n") == 0);
  CHECK(io_put(&b, "\0\r\n", 3) == 0);
  CHECK(io_puts(&b, "a line longer than sixteen bytes\n") == 0);
  CHECK(io_putnum(&b, 0) == 0);
  CHECK(io_flush(&b) == 0);
  close(p[1]);
  while ((r = io_read(p[0], got + total, sizeof got - total)) > 0) total += (size_t)r;
  CHECK(r == 0);
  CHECK(total == 8 + 3 + 33 + 1);
  CHECK(!memcmp(got, "From: a\n\0\r\na line longer than sixteen bytes\n0", total));
  close(p[0]);
}

static void test_getline(void)
{
  char space[4];
  iobuf b;
  str line = STR_INIT;
  static const char text[] = "one\ntwo\n\nthree is long\nlast";

  /* 4-byte buffer: lines span many refills */
  fake_src(text, sizeof text - 1, 0);
  io_init(&b, fake_read, 0, space, sizeof space);
  CHECK(io_getline(&b, &line, '\n', 100) == IO_LINE);
  CHECK_MEM(line, "one\n");
  CHECK(io_getline(&b, &line, '\n', 100) == IO_LINE); /* appends */
  CHECK_MEM(line, "one\ntwo\n");
  line.len = 0;
  CHECK(io_getline(&b, &line, '\n', 100) == IO_LINE);
  CHECK_MEM(line, "\n");
  line.len = 0;
  CHECK(io_getline(&b, &line, '\n', 100) == IO_LINE);
  CHECK_MEM(line, "three is long\n");
  CHECK(line.s[line.len] == 0);
  line.len = 0;
  CHECK(io_getline(&b, &line, '\n', 100) == IO_EOF);
  CHECK_MEM(line, "last");
  CHECK(io_getline(&b, &line, '\n', 100) == IO_EOF);
  CHECK_MEM(line, "last");
  CHECK(rcalls > 8);

  /* NUL as the separator, 1-byte reads */
  fake_src("F\0Tb@x\0\0", 8, 1);
  io_init(&b, fake_read, 0, space, sizeof space);
  line.len = 0;
  CHECK(io_getline(&b, &line, 0, 100) == IO_LINE);
  CHECK_MEM(line, "F\0");
  line.len = 0;
  CHECK(io_getline(&b, &line, 0, 100) == IO_LINE);
  CHECK_MEM(line, "Tb@x\0");
  line.len = 0;
  CHECK(io_getline(&b, &line, 0, 100) == IO_LINE);
  CHECK_MEM(line, "\0");
  line.len = 0;
  CHECK(io_getline(&b, &line, 0, 100) == IO_EOF);
  CHECK(line.len == 0);

  /* IO_TOOLONG: exactly max bytes appended, the rest stays readable */
  {
    char big[64];
    fake_src("abcdefgh\nxy\n", 12, 0);
    io_init(&b, fake_read, 0, big, sizeof big);
    line.len = 0;
    CHECK(io_getline(&b, &line, '\n', 5) == IO_TOOLONG);
    CHECK_MEM(line, "abcde");
    line.len = 0;
    CHECK(io_getline(&b, &line, '\n', 5) == IO_LINE);
    CHECK_MEM(line, "fgh\n");
    /* max counts bytes already in line */
    CHECK(str_copys(&line, "12"));
    CHECK(io_getline(&b, &line, '\n', 4) == IO_TOOLONG);
    CHECK_MEM(line, "12xy");
    /* line already at max: nothing read or consumed */
    CHECK(io_getline(&b, &line, '\n', 4) == IO_TOOLONG);
    CHECK_MEM(line, "12xy");
    line.len = 0;
    CHECK(io_getline(&b, &line, '\n', 4) == IO_LINE);
    CHECK_MEM(line, "\n");
  }
  /* separator exactly at the max-th byte: a whole line */
  fake_src("abcd\nefgh\n", 10, 0);
  io_init(&b, fake_read, 0, space, sizeof space);
  line.len = 0;
  CHECK(io_getline(&b, &line, '\n', 5) == IO_LINE);
  CHECK_MEM(line, "abcd\n");
  line.len = 0;
  CHECK(io_getline(&b, &line, '\n', 4) == IO_TOOLONG);
  CHECK_MEM(line, "efgh");
  /* TOOLONG spanning refills of a 4-byte buffer */
  fake_src("0123456789ABCDEF\n", 17, 0);
  io_init(&b, fake_read, 0, space, sizeof space);
  line.len = 0;
  CHECK(io_getline(&b, &line, '\n', 10) == IO_TOOLONG);
  CHECK_MEM(line, "0123456789");
  CHECK(io_getline(&b, &line, '\n', 17) == IO_LINE);
  CHECK_MEM(line, "0123456789ABCDEF\n");

  /* empty input */
  fake_src("", 0, 0);
  io_init(&b, fake_read, 0, space, sizeof space);
  line.len = 0;
  CHECK(io_getline(&b, &line, '\n', 10) == IO_EOF);
  CHECK(line.len == 0);

  /* a real file, 4-byte buffer, many lines */
  {
    str all = STR_INIT;
    unsigned i, n = 0, ok = 1;
    int fd;
    for (i = 0; i < 500; ++i) {
      str_catnum(&all, i);
      str_cats(&all, " some text\n");
    }
    fd = file_with("lines", all.s, all.len);
    CHECK(fd != -1);
    io_init(&b, io_read, fd, space, sizeof space);
    for (;;) {
      str want = STR_INIT;
      int r;
      line.len = 0;
      r = io_getline(&b, &line, '\n', 1000);
      if (r != IO_LINE) {
        CHECK(r == IO_EOF && line.len == 0);
        break;
      }
      str_catnum(&want, n);
      str_cats(&want, " some text\n");
      if (line.len != want.len || memcmp(line.s, want.s, want.len)) ok = 0;
      str_free(&want);
      n++;
    }
    CHECK(ok);
    CHECK(n == 500);
    close(fd);
    str_free(&all);
  }

  /* read error */
  io_init(&b, io_read, -1, space, sizeof space);
  line.len = 0;
  errno = 0;
  CHECK(io_getline(&b, &line, '\n', 10) == IO_ERR);
  CHECK(errno == EBADF);
  CHECK(io_feed(&b) == -1);
  {
    char c;
    CHECK(io_get(&b, &c, 1) == -1);
  }
  str_free(&line);
}

static void test_feed_get(void)
{
  char space[4], out[16];
  iobuf b;

  fake_src("abcdefghij", 10, 0);
  io_init(&b, fake_read, 0, space, sizeof space);
  CHECK(io_feed(&b) == 4);
  CHECK(!memcmp(io_peek(&b), "abcd", 4));
  CHECK(io_feed(&b) == 4); /* still buffered: no read */
  CHECK(rcalls == 1);
  io_skip(&b, 1);
  CHECK(io_feed(&b) == 3);
  CHECK(*io_peek(&b) == 'b');
  io_skip(&b, 100); /* clamps to what is buffered */
  CHECK(b.n == 0);
  CHECK(io_get(&b, out, 2) == 2);
  CHECK(!memcmp(out, "ef", 2));
  CHECK(io_get(&b, out, 3) == 2); /* only what is buffered */
  CHECK(!memcmp(out, "gh", 2));
  /* buffer empty and len >= size: read directly */
  {
    size_t calls = rcalls;
    CHECK(io_get(&b, out, sizeof out) == 2);
    CHECK(!memcmp(out, "ij", 2));
    CHECK(rcalls == calls + 1);
  }
  CHECK(io_get(&b, out, 1) == 0);
  CHECK(io_feed(&b) == 0);
}

/* 1 MB of bytes that do not repeat with any small period. */
static char *make_data(size_t n)
{
  char *d = malloc(n);
  unsigned long x = 12345;
  size_t i;
  if (!d) return 0;
  for (i = 0; i < n; ++i) {
    x = x * 1103515245UL + 12345UL;
    d[i] = (char)(x >> 16);
  }
  return d;
}

static int file_equals(int fd, const char *data, size_t n)
{
  char buf[65536];
  size_t pos = 0;
  ssize_t r;
  lseek(fd, 0, SEEK_SET);
  while ((r = read(fd, buf, sizeof buf)) > 0) {
    if (pos + (size_t)r > n || memcmp(buf, data + pos, (size_t)r)) return 0;
    pos += (size_t)r;
  }
  return r == 0 && pos == n;
}

static void test_copy(void)
{
  size_t n = 1024 * 1024;
  char *data = make_data(n);
  static char inspace[IO_INSIZE], outspace[IO_OUTSIZE], small_in[1000], small_out[333];
  iobuf in, out;
  int fi, fo;

  CHECK(data != 0);
  if (!data) return;
  fi = file_with("copy.in", data, n);
  CHECK(fi != -1);

  fo = file_with("copy.out", "", 0);
  io_init(&in, io_read, fi, inspace, sizeof inspace);
  io_init(&out, io_write, fo, outspace, sizeof outspace);
  CHECK(io_copy(&out, &in) == 0);
  CHECK(io_flush(&out) == 0);
  CHECK(file_equals(fo, data, n));
  close(fo);

  /* odd buffer sizes: input buffer larger than the output buffer */
  lseek(fi, 0, SEEK_SET);
  fo = file_with("copy.out2", "", 0);
  io_init(&in, io_read, fi, small_in, sizeof small_in);
  io_init(&out, io_write, fo, small_out, sizeof small_out);
  CHECK(io_copy(&out, &in) == 0);
  CHECK(io_flush(&out) == 0);
  CHECK(file_equals(fo, data, n));
  close(fo);

  /* bytes already buffered and partly consumed are copied from there on */
  lseek(fi, 0, SEEK_SET);
  fo = file_with("copy.out3", "", 0);
  io_init(&in, io_read, fi, small_in, sizeof small_in);
  io_init(&out, io_write, fo, outspace, sizeof outspace);
  CHECK(io_feed(&in) == 1000);
  io_skip(&in, 10);
  CHECK(io_copy(&out, &in) == 0);
  CHECK(io_flush(&out) == 0);
  CHECK(file_equals(fo, data + 10, n - 10));
  close(fo);

  /* empty input */
  fo = file_with("copy.empty", "", 0);
  io_init(&in, io_read, fo, inspace, sizeof inspace);
  io_init(&out, fake_write, 0, outspace, sizeof outspace);
  fake_reset();
  CHECK(io_copy(&out, &in) == 0);
  CHECK(io_flush(&out) == 0);
  CHECK(wcalls == 0);
  close(fo);

  /* read error */
  io_init(&in, io_read, -1, inspace, sizeof inspace);
  io_init(&out, fake_write, 0, outspace, sizeof outspace);
  errno = 0;
  CHECK(io_copy(&out, &in) == IO_COPY_RERR);
  CHECK(errno == EBADF);

  /* write error: a pipe whose reader is gone, SIGPIPE ignored */
  {
    int p[2];
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGPIPE, &sa, &old);
    CHECK(pipe(p) == 0);
    close(p[0]);
    lseek(fi, 0, SEEK_SET);
    io_init(&in, io_read, fi, inspace, sizeof inspace);
    io_init(&out, io_write, p[1], outspace, sizeof outspace);
    errno = 0;
    CHECK(io_copy(&out, &in) == IO_COPY_WERR);
    CHECK(errno == EPIPE);
    /* flushing a small remainder also fails */
    io_init(&out, io_write, p[1], outspace, sizeof outspace);
    CHECK(io_puts(&out, "x") == 0);
    errno = 0;
    CHECK(io_flush(&out) == -1);
    CHECK(errno == EPIPE);
    close(p[1]);
    sigaction(SIGPIPE, &old, 0);
  }
  /* write error through the fake op */
  lseek(fi, 0, SEEK_SET);
  io_init(&in, io_read, fi, inspace, sizeof inspace);
  io_init(&out, fake_write, 0, outspace, sizeof outspace);
  fake_reset();
  wfail = 1;
  CHECK(io_copy(&out, &in) == IO_COPY_WERR);
  CHECK(wcalls == 1);
  fake_reset();

  close(fi);
  free(data);
}

static volatile sig_atomic_t got_usr1;
static void on_usr1(int sig) { (void)sig; got_usr1 = 1; }

/* io_read retries a read interrupted by a signal handler (no SA_RESTART). */
static void test_eintr(void)
{
  struct sigaction sa, old;
  int p[2];
  pid_t pid;
  char c = 0;

  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sa.sa_flags = 0;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGUSR1, &sa, &old);
  CHECK(pipe(p) == 0);
  pid = fork();
  if (pid == 0) {
    close(p[0]);
    usleep(100000);
    kill(getppid(), SIGUSR1);
    usleep(100000);
    if (write(p[1], "z", 1) != 1) _exit(1);
    _exit(0);
  }
  close(p[1]);
  CHECK(pid > 0);
  CHECK(io_read(p[0], &c, 1) == 1);
  CHECK(c == 'z');
  CHECK(got_usr1 == 1);
  CHECK(io_read(p[0], &c, 1) == 0);
  close(p[0]);
  {
    int status;
    CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  sigaction(SIGUSR1, &old, 0);
}

static void cleanup(void)
{
  static const char *names[] = { "lines", "copy.in", "copy.out", "copy.out2", "copy.out3", "copy.empty" };
  char path[128];
  size_t i;
  for (i = 0; i < sizeof names / sizeof names[0]; ++i) {
    strcpy(path, tmpdir);
    strcat(path, "/");
    strcat(path, names[i]);
    unlink(path);
  }
  rmdir(tmpdir);
}

/* io_putprintable writes runs, substitutes the rest; a failed write
 * leaves failed set however many writes come after it. */
/* The read end of a pipe a child writes buf into; the caller waits. */
static int pipe_from_child(const char *buf, size_t len)
{
  int p[2];
  if (pipe(p) == -1) return -1;
  if (fork() == 0) {
    close(p[0]);
    (void)!write(p[1], buf, len);
    _exit(0);
  }
  close(p[1]);
  return p[0];
}

/* io_readall: the whole of a file of 200000 bytes, appended and
 * NUL-terminated; EFBIG past the limit; a read error. */
static void test_readall(void)
{
  str sa = STR_INIT;
  char *big = malloc(200000);
  int fd;

  CHECK(big != 0);
  if (!big) return;
  for (size_t i = 0; i < 200000; ++i) big[i] = (char)('a' + i % 26);
  fd = pipe_from_child(big, 200000);
  str_copys(&sa, "x");
  CHECK(io_readall(fd, &sa, 1000000) == 0);
  CHECK(sa.len == 200001 && sa.s[0] == 'x' && !memcmp(sa.s + 1, big, 200000) && sa.s[sa.len] == 0);
  close(fd);
  wait(0);

  fd = pipe_from_child(big, 200000);
  sa.len = 0;
  errno = 0;
  CHECK(io_readall(fd, &sa, 100000) == -1 && errno == EFBIG && sa.len > 100000);
  close(fd);
  wait(0);

  sa.len = 0;
  CHECK(io_readall(-1, &sa, 10) == -1 && errno == EBADF && sa.len == 0);
  str_free(&sa);
  free(big);
}

static void test_printable_and_failed(void)
{
  char space[8];
  iobuf b;

  fake_reset();
  io_init(&b, fake_write, 1, space, sizeof space);
  CHECK(b.failed == 0);
  CHECK(io_putprintable(&b, "a\tb\0c\x7f\x80~ \r\n", 11, '?') == 0);
  CHECK(io_putprintable(&b, "", 0, '?') == 0);
  CHECK(io_putprintable(&b, "\x1f", 1, '_') == 0);
  CHECK(io_putprintable(&b, "0123456789abcdef", 16, '_') == 0);
  CHECK(io_flush(&b) == 0);
  CHECK_MEM(wlog, "a?b?c??~ ??_0123456789abcdef");
  CHECK(b.failed == 0);

  fake_reset();
  io_init(&b, fake_write, 1, space, sizeof space);
  CHECK(io_put(&b, "1234", 4) == 0);
  wfail = 1;
  CHECK(io_flush(&b) == -1);
  CHECK(b.failed == 1);
  wfail = 0;
  CHECK(io_put(&b, "5678", 4) == 0);
  CHECK(io_flush(&b) == 0);
  CHECK(b.failed == 1);
  fake_reset();
  io_init(&b, fake_write, 1, space, sizeof space);
  wfail = 2;
  CHECK(io_put(&b, "longer than the buffer", 22) == -1);
  CHECK(b.failed == 1);
}

int main(void)
{
  if (!mkdtemp(tmpdir)) {
    perror("mkdtemp");
    return 1;
  }
  RUN(test_put_fake);
  RUN(test_put_pipe);
  RUN(test_getline);
  RUN(test_feed_get);
  RUN(test_copy);
  RUN(test_eintr);
  RUN(test_readall);
  RUN(test_printable_and_failed);
  RUN(cleanup);
  str_free(&wlog);
  return check_report();
}
