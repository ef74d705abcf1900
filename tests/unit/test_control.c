/* test_control.c: unit tests for control.c, run in a temporary QMAILHOME with control/. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "check.h"
#include "control.h"
#include "str.h"

#define CHECK_MEM(sa, lit) \
  check_one((sa).len == sizeof(lit) - 1 && !memcmp((sa).s, (lit), sizeof(lit) - 1), \
            #sa " == " #lit, __FILE__, __LINE__)
#define CHECK_TERM(sa) check_one((sa).s && (sa).s[(sa).len] == 0, #sa " NUL-terminated", __FILE__, __LINE__)

static char tmpdir[] = "/tmp/qtest_control.XXXXXX";

static int put(const char *fn, const char *data, size_t len)
{
  int fd = open(fn, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ssize_t w;
  if (fd == -1) return -1;
  w = len ? write(fd, data, len) : 0;
  close(fd);
  return w == (ssize_t)len ? 0 : -1;
}
#define PUT(fn, lit) CHECK(put((fn), (lit), sizeof(lit) - 1) == 0)

static void test_without_me(void)
{
  str sa = STR_INIT;

  /* control/me missing */
  CHECK(control_init() == 0);
  CHECK(control_me() == 0);

  /* rldef without me: default or nothing */
  CHECK(control_rldef(&sa, "control/nosuch", 1, "fallback.example") == 1);
  CHECK_MEM(sa, "fallback.example");
  CHECK_TERM(sa);
  str_free(&sa);
  CHECK(control_rldef(&sa, "control/nosuch", 1, 0) == 0);
  CHECK(control_rldef(&sa, "control/nosuch", 0, 0) == 0);

  /* readfile without me: nothing */
  CHECK(str_copys(&sa, "junk"));
  CHECK(control_readfile(&sa, "control/nosuch", 1) == 0);
  CHECK(sa.len == 0);
  str_free(&sa);

  /* control/me that cannot be read (a directory) */
  CHECK(mkdir("control/me", 0755) == 0);
  CHECK(control_init() == -1);
  CHECK(control_me() == 0);
  CHECK(rmdir("control/me") == 0);
}

static void test_init_me(void)
{
  const str *me;

  PUT("control/me", "mx.example.org \t\r\nsecond.example\n");
  CHECK(control_init() == 1);
  me = control_me();
  CHECK(me != 0);
  if (me) {
    CHECK_MEM(*me, "mx.example.org");
    CHECK_TERM(*me);
  }
}

static void test_readline(void)
{
  str sa = STR_INIT;

  PUT("control/a", "hello.example\n");
  CHECK(control_readline(&sa, "control/a") == 1);
  CHECK_MEM(sa, "hello.example");
  CHECK_TERM(sa);

  /* trailing spaces, tabs and CR go; leading and inner ones stay; only line 1 */
  PUT("control/b", "  two words \t \r\nline two\n");
  CHECK(control_readline(&sa, "control/b") == 1);
  CHECK_MEM(sa, "  two words");
  CHECK_TERM(sa);

  /* no final newline */
  PUT("control/c", "no newline  ");
  CHECK(control_readline(&sa, "control/c") == 1);
  CHECK_MEM(sa, "no newline");

  /* empty file and empty first line: an empty value, still a C string */
  PUT("control/d", "");
  str_free(&sa);
  CHECK(control_readline(&sa, "control/d") == 1);
  CHECK(sa.len == 0);
  CHECK_TERM(sa);
  PUT("control/e", "\nsecond\n");
  CHECK(str_copys(&sa, "old value"));
  CHECK(control_readline(&sa, "control/e") == 1);
  CHECK(sa.len == 0);
  CHECK_TERM(sa);
  PUT("control/f", " \t\r\n");
  CHECK(control_readline(&sa, "control/f") == 1);
  CHECK(sa.len == 0);

  /* the value replaces what was there */
  CHECK(str_copys(&sa, "a much longer old value than the new one"));
  CHECK(control_readline(&sa, "control/a") == 1);
  CHECK_MEM(sa, "hello.example");
  CHECK_TERM(sa);

  /* missing: 0 and sa untouched */
  CHECK(str_copys(&sa, "untouched"));
  CHECK(control_readline(&sa, "control/nosuch") == 0);
  CHECK_MEM(sa, "untouched");
  CHECK(control_readline(&sa, "nosuchdir/x") == 0);

  /* exists but unreadable: a directory */
  CHECK(mkdir("control/dir", 0755) == 0);
  CHECK(control_readline(&sa, "control/dir") == -1);
  /* a path through a regular file is not "missing" either */
  CHECK(control_readline(&sa, "control/a/x") == -1);
  str_free(&sa);
}

static void test_rldef(void)
{
  str sa = STR_INIT;

  /* file present: its value wins over me and the default */
  CHECK(control_rldef(&sa, "control/a", 1, "def") == 1);
  CHECK_MEM(sa, "hello.example");
  /* missing, use_me: me */
  CHECK(control_rldef(&sa, "control/nosuch", 1, "def") == 1);
  CHECK_MEM(sa, "mx.example.org");
  CHECK_TERM(sa);
  CHECK(control_rldef(&sa, "control/nosuch", 1, 0) == 1);
  CHECK_MEM(sa, "mx.example.org");
  /* missing, no use_me: the default */
  CHECK(control_rldef(&sa, "control/nosuch", 0, "default.example") == 1);
  CHECK_MEM(sa, "default.example");
  CHECK_TERM(sa);
  /* missing, nothing applies */
  CHECK(str_copys(&sa, "same"));
  CHECK(control_rldef(&sa, "control/nosuch", 0, 0) == 0);
  CHECK_MEM(sa, "same");
  /* empty file: an empty value, no fallback */
  CHECK(control_rldef(&sa, "control/d", 1, "def") == 1);
  CHECK(sa.len == 0);
  /* unreadable: -1, no fallback */
  CHECK(control_rldef(&sa, "control/dir", 1, "def") == -1);
  str_free(&sa);
}

static void test_readint(void)
{
  unsigned long long v;

  PUT("control/n1", "123\n");
  v = 9;
  CHECK(control_readint(&v, "control/n1") == 1);
  CHECK(v == 123);

  PUT("control/n2", "abc\n");
  v = 9;
  CHECK(control_readint(&v, "control/n2") == 0);
  CHECK(v == 9);

  v = 9;
  CHECK(control_readint(&v, "control/nosuch") == 0);
  CHECK(v == 9);

  /* leading digits only */
  PUT("control/n3", "604800 seconds\n42\n");
  CHECK(control_readint(&v, "control/n3") == 1);
  CHECK(v == 604800);

  PUT("control/n4", "0");
  v = 9;
  CHECK(control_readint(&v, "control/n4") == 1);
  CHECK(v == 0);

  PUT("control/n5", " 5\n"); /* does not start with a digit */
  v = 9;
  CHECK(control_readint(&v, "control/n5") == 0);
  CHECK(v == 9);

  PUT("control/n6", ""); /* empty */
  v = 9;
  CHECK(control_readint(&v, "control/n6") == 0);
  CHECK(v == 9);

  PUT("control/n7", "4294967297\r\n");
  CHECK(control_readint(&v, "control/n7") == 1);
  CHECK(v == 4294967297ULL);

  PUT("control/n8", "99999999999999999999999\n"); /* saturates */
  CHECK(control_readint(&v, "control/n8") == 1);
  CHECK(v == 18446744073709551615ULL);

  v = 9;
  CHECK(control_readint(&v, "control/dir") == -1);
  CHECK(v == 9);
}

static void test_readfile(void)
{
  str sa = STR_INIT;

  PUT("control/rcpthosts",
      "a.example\n"
      "\n"
      "# a comment\n"
      "  \t\n"
      "b.example \t\r\n"
      "#\n"
      " #not a comment\n"
      "c.example");
  CHECK(control_readfile(&sa, "control/rcpthosts", 0) == 1);
  CHECK_MEM(sa, "a.example\0b.example\0 #not a comment\0c.example\0");

  /* sa is replaced, not appended to */
  CHECK(str_copys(&sa, "previous"));
  PUT("control/one", "x\n");
  CHECK(control_readfile(&sa, "control/one", 1) == 1);
  CHECK_MEM(sa, "x\0");

  /* only comments: exists, empty result */
  PUT("control/comments", "# one\n#two\n\n");
  CHECK(control_readfile(&sa, "control/comments", 1) == 1);
  CHECK(sa.len == 0);
  PUT("control/empty", "");
  CHECK(control_readfile(&sa, "control/empty", 1) == 1);
  CHECK(sa.len == 0);

  /* missing with use_me: me and a NUL */
  CHECK(control_readfile(&sa, "control/locals", 1) == 0);
  CHECK_MEM(sa, "mx.example.org\0");
  /* missing without use_me: nothing */
  CHECK(control_readfile(&sa, "control/locals", 0) == 0);
  CHECK(sa.len == 0);

  /* unreadable */
  CHECK(control_readfile(&sa, "control/dir", 1) == -1);

  /* a long file read across many buffer refills */
  {
    str content = STR_INIT, want = STR_INIT;
    unsigned i;
    int fd;
    for (i = 0; i < 3000; ++i) {
      str_cats(&content, "host");
      str_catnum(&content, i);
      str_cats(&content, ".example  \n#c\n\n");
      str_cats(&want, "host");
      str_catnum(&want, i);
      str_cats(&want, ".example");
      str_putc(&want, 0);
    }
    fd = open("control/big", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd != -1 && write(fd, content.s, content.len) == (ssize_t)content.len);
    close(fd);
    CHECK(control_readfile(&sa, "control/big", 0) == 1);
    CHECK(sa.len == want.len && !memcmp(sa.s, want.s, want.len));
    str_free(&content);
    str_free(&want);
  }
  str_free(&sa);
}

/* Write a file of one line of n 'a' bytes followed by tail. */
static int put_long(const char *fn, size_t n, const char *tail)
{
  char *buf = malloc(n + strlen(tail));
  int r;
  if (!buf) return -1;
  memset(buf, 'a', n);
  memcpy(buf + n, tail, strlen(tail));
  r = put(fn, buf, n + strlen(tail));
  free(buf);
  return r;
}

static int all_a(const str *sa, size_t n)
{
  size_t i;
  if (sa->len != n) return 0;
  for (i = 0; i < n; ++i)
    if (sa->s[i] != 'a') return 0;
  return 1;
}

static void test_long_lines(void)
{
  str sa = STR_INIT;
  unsigned long long v = 5;

  /* longer than CONTROL_LINE_MAX: an error, not a truncated value */
  CHECK(put_long("control/long", CONTROL_LINE_MAX + 1, "\n") == 0);
  errno = 0;
  CHECK(control_readline(&sa, "control/long") == -1);
  CHECK(errno == EFBIG);
  CHECK(control_rldef(&sa, "control/long", 1, "def") == -1);
  CHECK(control_readint(&v, "control/long") == -1);
  CHECK(v == 5);
  CHECK(control_readfile(&sa, "control/long", 1) == -1);
  CHECK(put_long("control/long", CONTROL_LINE_MAX + 1, "") == 0);
  CHECK(control_readline(&sa, "control/long") == -1);
  /* a long line after a short one, in a multi-line file */
  {
    size_t n = CONTROL_LINE_MAX + 10;
    char *buf = malloc(n + 4);
    CHECK(buf != 0);
    if (buf) {
      memcpy(buf, "ok\n", 3);
      memset(buf + 3, 'a', n);
      buf[n + 3] = '\n';
      CHECK(put("control/long2", buf, n + 4) == 0);
      free(buf);
      CHECK(control_readfile(&sa, "control/long2", 0) == -1);
      /* readline only looks at the first line */
      CHECK(control_readline(&sa, "control/long2") == 1);
      CHECK_MEM(sa, "ok");
    }
  }

  /* exactly CONTROL_LINE_MAX bytes is the longest line accepted */
  CHECK(put_long("control/max", CONTROL_LINE_MAX, "\n") == 0);
  CHECK(control_readline(&sa, "control/max") == 1);
  CHECK(all_a(&sa, CONTROL_LINE_MAX));
  CHECK_TERM(sa);
  CHECK(put_long("control/max", CONTROL_LINE_MAX, "") == 0);
  CHECK(control_readline(&sa, "control/max") == 1);
  CHECK(all_a(&sa, CONTROL_LINE_MAX));
  CHECK(put_long("control/max", CONTROL_LINE_MAX - 1, "\n") == 0);
  CHECK(control_readline(&sa, "control/max") == 1);
  CHECK(all_a(&sa, CONTROL_LINE_MAX - 1));
  CHECK(put_long("control/max", CONTROL_LINE_MAX, "\nb\n") == 0);
  CHECK(control_readfile(&sa, "control/max", 0) == 1);
  CHECK(sa.len == CONTROL_LINE_MAX + 3 && sa.s[CONTROL_LINE_MAX] == 0 &&
        !memcmp(sa.s + CONTROL_LINE_MAX + 1, "b\0", 2));
  str_free(&sa);
}

static void cleanup(void)
{
  static const char *names[] = {
    "control/me", "control/a", "control/b", "control/c", "control/d", "control/e",
    "control/f", "control/n1", "control/n2", "control/n3", "control/n4", "control/n5",
    "control/n6", "control/n7", "control/n8", "control/rcpthosts", "control/one",
    "control/comments", "control/empty", "control/big", "control/long", "control/long2",
    "control/max",
  };
  size_t i;
  for (i = 0; i < sizeof names / sizeof names[0]; ++i) unlink(names[i]);
  rmdir("control/dir");
  rmdir("control");
  if (chdir("/") == 0) rmdir(tmpdir);
}

int main(void)
{
  if (!mkdtemp(tmpdir) || chdir(tmpdir) == -1 || mkdir("control", 0755) == -1) {
    perror("temp dir");
    return 1;
  }
  RUN(test_without_me);
  RUN(test_init_me);
  RUN(test_readline);
  RUN(test_rldef);
  RUN(test_readint);
  RUN(test_readfile);
  RUN(test_long_lines);
  RUN(cleanup);
  return check_report();
}
