/* test_pwfiles.c: unit tests for pwfiles.h: the verdict on nsswitch.conf's
 * passwd entry (files alone, files and others, other first sources,
 * action items, a missing entry, comments, duplicates, spelling, garbage,
 * the file itself), one passwd line against a name (plain entries,
 * malformed and unusual lines), and the scan of a passwd file (first
 * match, unusual lines before and after it, long lines, the last line
 * without a newline, reading it twice). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "check.h"
#include "pwfiles.h"
#include "str.h"

#define ONLY PWFILES_FILES_ONLY
#define FIRST PWFILES_FILES_FIRST
#define UNSURE PWFILES_UNSURE

static char dir[] = "/tmp/test_pwfiles.XXXXXX";

static void die(const char *what)
{
  perror(what);
  exit(2);
}

/* The verdict on the bytes of a string literal (NULs included). */
#define CONF(lit) pwfiles_nsswitch(lit, sizeof(lit) - 1)

static void test_nsswitch_sources(void)
{
  /* files alone, files and others */
  CHECK(CONF("passwd: files\n") == ONLY);
  CHECK(CONF("passwd:         files systemd\n") == FIRST);
  CHECK(CONF("passwd:\tfiles\tsss\n") == FIRST);
  CHECK(CONF("passwd: files ldap systemd\n") == FIRST);
  CHECK(CONF("passwd: files files\n") == FIRST);
  /* another first source, or none */
  CHECK(CONF("passwd: compat\n") == UNSURE);
  CHECK(CONF("passwd: systemd files\n") == UNSURE);
  CHECK(CONF("passwd: sss files\n") == UNSURE);
  CHECK(CONF("passwd: FILES\n") == UNSURE);
  CHECK(CONF("passwd: files,systemd\n") == UNSURE);
  CHECK(CONF("passwd: files:\n") == UNSURE);
  CHECK(CONF("passwd:\n") == UNSURE);
  CHECK(CONF("passwd\n") == UNSURE);
  CHECK(CONF("passwd: \t \r\n") == UNSURE);
  /* action items in the entry, wherever they are */
  CHECK(CONF("passwd: files [NOTFOUND=return] systemd\n") == UNSURE);
  CHECK(CONF("passwd: files [SUCCESS=continue] systemd\n") == UNSURE);
  CHECK(CONF("passwd: files[NOTFOUND=return]\n") == UNSURE);
  CHECK(CONF("passwd: files systemd [NOTFOUND=return]\n") == UNSURE);
  CHECK(CONF("passwd: [NOTFOUND=return] files\n") == UNSURE);
}

static void test_nsswitch_entry(void)
{
  /* No passwd entry: the C library's default, not certain. */
  CHECK(pwfiles_nsswitch("", 0) == UNSURE);
  CHECK(CONF("\n\n") == UNSURE);
  CHECK(CONF("group: files\nshadow: files\n") == UNSURE);
  CHECK(CONF("Passwd: files\n") == UNSURE);
  CHECK(CONF("PASSWD: files\n") == UNSURE);
  CHECK(CONF("passwd_compat: files\n") == UNSURE);
  CHECK(CONF("passwd_compat: compat\npasswd: files\n") == ONLY);
  CHECK(CONF("passwdx: files\n") == UNSURE);
  /* How the name may be written. */
  CHECK(CONF("passwd files\n") == ONLY);
  CHECK(CONF("passwd:files\n") == ONLY);
  CHECK(CONF("passwd :files\n") == ONLY);
  CHECK(CONF("passwd:: files systemd\n") == FIRST);
  CHECK(CONF("passwd : : files\n") == ONLY);
  CHECK(CONF("  \tpasswd: files\n") == ONLY);
  CHECK(CONF("passwd:\v\ffiles\r\n") == ONLY);
  CHECK(CONF("\f\n\t\npasswd: files\n") == ONLY);
  /* Duplicates: the last line counts. */
  CHECK(CONF("passwd: compat\npasswd: files\n") == ONLY);
  CHECK(CONF("passwd: files\npasswd: compat\n") == UNSURE);
  CHECK(CONF("passwd: files\npasswd: files systemd\n") == FIRST);
  CHECK(CONF("passwd: files systemd\npasswd: files\n") == ONLY);
  CHECK(CONF("passwd: files\npasswd:\n") == UNSURE);
  CHECK(CONF("passwd: files\npasswd\n") == UNSURE);
  CHECK(CONF("passwd: files [NOTFOUND=return]\npasswd: files\n") == ONLY);
}

static void test_nsswitch_comments(void)
{
  CHECK(CONF("# /etc/nsswitch.conf\n#\npasswd: files\n") == ONLY);
  CHECK(CONF("#passwd: files\n") == UNSURE);
  CHECK(CONF("# passwd: files\n") == UNSURE);
  CHECK(CONF("passwd: files\n#passwd: compat\n") == ONLY);
  CHECK(CONF("passwd: files\n   # passwd: compat\n") == ONLY);
  CHECK(CONF("#passwd: compat\npasswd: files systemd\n") == FIRST);
  /* '#' is not special after the name: it is a source (or part of one). */
  CHECK(CONF("passwd: files # systemd\n") == FIRST);
  CHECK(CONF("passwd: files #\n") == FIRST);
  CHECK(CONF("passwd: files#systemd\n") == UNSURE);
  /* A comment may say anything, in any encoding. */
  CHECK(CONF("# caf\xc3\xa9 [ \x01\x7f\npasswd: files\n") == ONLY);
  CHECK(CONF("passwd: files\n# end of file") == ONLY);
  CHECK(CONF("passwd: files\n \t ") == ONLY);
}

static void test_nsswitch_garbage(void)
{
  /* Unknown databases and free text are ignored. */
  CHECK(CONF("passwd: files\nfoo bar baz\ngarbage\n") == ONLY);
  CHECK(CONF("sudoers: files sss\nautomount: files\npasswd: files\n") == ONLY);
  CHECK(CONF("passwd: files\nhosts: files ] dns\n") == ONLY);
  /* Action items elsewhere: fine if of the strict form... */
  CHECK(CONF("passwd: files\nhosts: files mdns4_minimal [NOTFOUND=return] dns\n") == ONLY);
  CHECK(CONF("passwd: files sss\nhosts: files resolve [!UNAVAIL=return] dns\n") == FIRST);
  CHECK(CONF("passwd: files\nhosts: files [Success=Merge tryAgain=CONTINUE !notfound=Return] dns\n") == ONLY);
  CHECK(CONF("passwd: files\nhosts: files [ NOTFOUND=return\tSUCCESS=continue ] dns\n") == ONLY);
  CHECK(CONF("passwd: files\nhosts: files [NOTFOUND=return][SUCCESS=return]dns\n") == ONLY);
  CHECK(CONF("passwd: files\nhosts: [NOTFOUND=return] files\n") == ONLY);
  /* ... and otherwise not certain: glibc refuses every lookup for some,
   * and this module does not tell those from the rest. */
  CHECK(CONF("passwd: files\nhosts: files [\n") == UNSURE);
  CHECK(CONF("hosts: files [NOTFOUND=return\npasswd: files\n") == UNSURE);
  CHECK(CONF("passwd: files\nhosts: files []\n") == UNSURE);
  CHECK(CONF("passwd: files\nhosts: files [FOUND=return]\n") == UNSURE);
  CHECK(CONF("passwd: files\nhosts: files [NOTFOUND=returnx]\n") == UNSURE);
  CHECK(CONF("passwd: files\nhosts: files [NOTFOUND=]\n") == UNSURE);
  CHECK(CONF("passwd: files\nhosts: files [=return]\n") == UNSURE);
  CHECK(CONF("passwd: files\nhosts: files [NOTFOUND]\n") == UNSURE);
  CHECK(CONF("passwd: files\nhosts: files [! NOTFOUND=return]\n") == UNSURE);
  CHECK(CONF("passwd: files\nhosts: files [NOTFOUND = return]\n") == UNSURE);
  CHECK(CONF("passwd: files\nhosts: files [[NOTFOUND=return]]\n") == UNSURE);
  CHECK(CONF("passwd: files\nhosts: files [NOTFOUND=return,SUCCESS=return]\n") == UNSURE);
  CHECK(CONF("passwd: files\nfoo: files [\n") == UNSURE);
  /* Bytes and lines it will not judge. */
  CHECK(CONF("passwd: files\0\n") == UNSURE);
  CHECK(CONF("# \0\npasswd: files\n") == UNSURE);
  CHECK(CONF("passwd: files\nhosts: caf\xc3\xa9\n") == UNSURE);
  CHECK(CONF("passwd:\xa0" "files\n") == UNSURE);
  CHECK(CONF("passwd: files\x7f\n") == UNSURE);
  CHECK(CONF("passwd: files\x01\n") == UNSURE);
  CHECK(CONF("passwd: files\n:files\n") == UNSURE);
  CHECK(CONF("passwd[NOTFOUND=return]: files\n") == UNSURE);
  /* A last line without a newline that says something. */
  CHECK(CONF("passwd: files") == UNSURE);
  CHECK(CONF("passwd: files\npasswd: compat") == UNSURE);
  CHECK(CONF("passwd: files\nhosts: files") == UNSURE);
}

static void write_file(const char *path, const void *data, size_t len)
{
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd == -1 || write(fd, data, len) != (ssize_t)len || close(fd) == -1) die(path);
}

static char *path_of(const char *name)
{
  static str p = STR_INIT;
  p.len = 0;
  if (!str_cats(&p, dir) || !str_putc(&p, '/') || !str_cats(&p, name)) die("str");
  return p.s;
}

static void test_nsswitch_file(void)
{
  char *big;

  write_file(path_of("conf"), "# x\npasswd: files\n", 18);
  CHECK(pwfiles_nsswitch_file(path_of("conf")) == ONLY);
  write_file(path_of("conf"), "passwd: files systemd\n", 22);
  CHECK(pwfiles_nsswitch_file(path_of("conf")) == FIRST);
  write_file(path_of("conf"), "", 0);
  CHECK(pwfiles_nsswitch_file(path_of("conf")) == UNSURE);
  CHECK(pwfiles_nsswitch_file(path_of("missing")) == UNSURE);
  CHECK(pwfiles_nsswitch_file(dir) == UNSURE);

  /* Exactly as long as allowed, then one byte more. */
  big = malloc(PWFILES_CONF_MAX + 1);
  if (!big) die("malloc");
  memset(big, '#', PWFILES_CONF_MAX + 1);
  memcpy(big, "passwd: files\n", 14);
  big[PWFILES_CONF_MAX - 1] = '\n';
  write_file(path_of("conf"), big, PWFILES_CONF_MAX);
  CHECK(pwfiles_nsswitch_file(path_of("conf")) == ONLY);
  big[PWFILES_CONF_MAX] = '\n';
  write_file(path_of("conf"), big, PWFILES_CONF_MAX + 1);
  CHECK(pwfiles_nsswitch_file(path_of("conf")) == UNSURE);
  free(big);
  unlink(path_of("conf"));
}

/* pwfiles_line on a copy of the C string text. */
static int line(const char *text, const char *name, struct getpw_account *a, str *copy)
{
  if (!str_copys(copy, text)) die("str");
  return pwfiles_line(copy->s, copy->len, name, a);
}

static void test_line(void)
{
  str c = STR_INIT;
  struct getpw_account a;

  /* A plain entry: name, uid, gid and home, NULs after name and home. */
  CHECK(line("joe:x:1001:100:Joe Q. Public,,,:/home/joe:/bin/sh", "joe", &a, &c) == 1);
  CHECK_STR(a.name, "joe");
  CHECK(a.uid == 1001 && a.gid == 100);
  CHECK_STR(a.home, "/home/joe");
  CHECK(a.name == c.s && a.home == c.s + 32);
  CHECK(line("joe:x:0007:08:g:/j:/s:extra:more", "joe", &a, &c) == 1);
  CHECK(a.uid == 7 && a.gid == 8);
  CHECK_STR(a.home, "/j");
  CHECK(line("joe:*:0:0:::", "joe", &a, &c) == 1);
  CHECK(a.uid == 0 && a.gid == 0);
  CHECK_STR(a.home, "");
  CHECK(line("joe:x:4294967294:4294967294::/j:/s\r", "joe", &a, &c) == 1);
  CHECK(a.uid == 4294967294u && a.gid == 4294967294u);
  CHECK(line("lstest1-foo:x:5:5::/h:", "lstest1-foo", &a, &c) == 1);
  CHECK(line("a b:x:5:5::/h:", "a b", &a, &c) == 1);

  /* Not name's entry, whatever else the line holds. */
  CHECK(line("bob:x:1002:100::/home/bob:/bin/sh", "joe", &a, &c) == 0);
  CHECK(line("joel:x:1002:100::/home/joel:/bin/sh", "joe", &a, &c) == 0);
  CHECK(line("jo:x:1002:100::/home/jo:/bin/sh", "joe", &a, &c) == 0);
  CHECK(line("Joe:x:1002:100::/home/joe:/bin/sh", "joe", &a, &c) == 0);
  CHECK(line("bob:x:abc", "joe", &a, &c) == 0);
  CHECK(line("bob", "joe", &a, &c) == 0);
  CHECK(line(":x:1:1::/:", "joe", &a, &c) == 0);
  CHECK(line("", "joe", &a, &c) == 0);
  CHECK(line("#joe:x:5:5::/h:/bin/sh", "#joe", &a, &c) == 0);
  CHECK(line("#", "joe", &a, &c) == 0);
  /* Entries for compat never match for the files source. */
  CHECK(line("+joe:x:5:5::/h:/bin/sh", "+joe", &a, &c) == 0);
  CHECK(line("+joe:x:5:5::/h:/bin/sh", "joe", &a, &c) == 0);
  CHECK(line("-joe:x:5:5::/h:/bin/sh", "-joe", &a, &c) == 0);
  CHECK(line("+", "+", &a, &c) == 0);
  CHECK(line("+::::::", "joe", &a, &c) == 0);

  /* Lines it will not judge, where they might be name's. */
  CHECK(line(" joe:x:5:5::/h:/bin/sh", "joe", &a, &c) == UNSURE);
  CHECK(line("\tbob:x:5:5::/h:/bin/sh", "joe", &a, &c) == UNSURE);
  CHECK(line("\r", "joe", &a, &c) == UNSURE);
  CHECK(line("joe", "joe", &a, &c) == UNSURE);
  CHECK(line("joe:x:5:5::/h", "joe", &a, &c) == UNSURE);
  CHECK(line("joe:x:5:5", "joe", &a, &c) == UNSURE);
  CHECK(line("joe:", "joe", &a, &c) == UNSURE);
  CHECK(line("joe:x::5::/h:/bin/sh", "joe", &a, &c) == UNSURE);
  CHECK(line("joe:x:5:::/h:/s", "joe", &a, &c) == UNSURE);
  CHECK(line("joe:x:+5:5::/h:/bin/sh", "joe", &a, &c) == UNSURE);
  CHECK(line("joe:x: 5:5::/h:/bin/sh", "joe", &a, &c) == UNSURE);
  CHECK(line("joe:x:5 :5::/h:/bin/sh", "joe", &a, &c) == UNSURE);
  CHECK(line("joe:x:-1:5::/h:/bin/sh", "joe", &a, &c) == UNSURE);
  CHECK(line("joe:x:abc:5::/h:/bin/sh", "joe", &a, &c) == UNSURE);
  CHECK(line("joe:x:5x:5::/h:/bin/sh", "joe", &a, &c) == UNSURE);
  CHECK(line("joe:x:0x5:5::/h:/bin/sh", "joe", &a, &c) == UNSURE);
  CHECK(line("joe:x:4294967295:5::/h:/bin/sh", "joe", &a, &c) == UNSURE);
  CHECK(line("joe:x:5:4294967295::/h:/bin/sh", "joe", &a, &c) == UNSURE);
  CHECK(line("joe:x:4294967296:5::/h:/bin/sh", "joe", &a, &c) == UNSURE);
  CHECK(line("joe:x:00000000005:5::/h:/bin/sh", "joe", &a, &c) == UNSURE);
  CHECK(line("joe:x:99999999999999999999999:5::/h:/bin/sh", "joe", &a, &c) == UNSURE);
  /* A NUL anywhere: glibc would see the line cut short. */
  if (!str_copy(&c, "bob\0:x:5:5::/h:/bin/sh", 22)) die("str");
  CHECK(pwfiles_line(c.s, c.len, "joe", &a) == UNSURE);
  if (!str_copy(&c, "joe:x:5:5::/h\0:/bin/sh", 22)) die("str");
  CHECK(pwfiles_line(c.s, c.len, "joe", &a) == UNSURE);
  str_free(&c);
}

/* pwfiles_find on a file holding the len bytes at text. */
static int find_in(const void *text, size_t len, const char *name, struct getpw_account *a, str *ln)
{
  int fd, r;

  write_file(path_of("passwd"), text, len);
  fd = open(path_of("passwd"), O_RDONLY);
  if (fd == -1) die("open");
  r = pwfiles_find(fd, name, ln, a);
  close(fd);
  return r;
}

#define FIND(lit, name) find_in(lit, sizeof(lit) - 1, name, &a, &ln)

static void test_find(void)
{
  static const char passwd[] =
    "root:x:0:0:root:/root:/bin/bash\n"
    "# a comment\n"
    "\n"
    "+compat::::::\n"
    "joe:x:1001:100::/home/joe:/bin/sh\n"
    "joe:x:1002:100::/home/joe2:/bin/sh\n"
    "bob:x:1003:100::/home/bob:/bin/sh";
  struct getpw_account a;
  str ln = STR_INIT;
  char *big;
  int fd, p[2];

  CHECK(FIND(passwd, "joe") == 1);
  CHECK(a.uid == 1001);
  CHECK_STR(a.home, "/home/joe");
  CHECK(FIND(passwd, "root") == 1);
  CHECK(a.uid == 0);
  CHECK(FIND(passwd, "bob") == 1); /* the last line, without a newline */
  CHECK(a.uid == 1003);
  CHECK_STR(a.home, "/home/bob");
  CHECK(FIND(passwd, "ann") == 0);
  CHECK(FIND(passwd, "compat") == 0);
  CHECK(FIND(passwd, "+compat") == 0);
  CHECK(FIND("", "joe") == 0);
  CHECK(FIND("\n\n", "joe") == 0);

  /* An unusual line before name's makes it uncertain; after, not. */
  CHECK(FIND("joe:x:1:1::/j:/s\n bob:x:2:2::/b:/s\n", "joe") == 1);
  CHECK(FIND(" bob:x:2:2::/b:/s\njoe:x:1:1::/j:/s\n", "joe") == UNSURE);
  CHECK(FIND("joe:x:1:1::/j:/s\n bob:x:2:2::/b:/s\n", "ann") == UNSURE);
  CHECK(FIND("joe:x:bad:1::/j:/s\njoe:x:1:1::/j:/s\n", "joe") == UNSURE);
  CHECK(FIND("joe:x:bad:1::/j:/s\nbob:x:1:1::/b:/s\n", "bob") == 1);
  CHECK(FIND("bob:x:1:1::/b:/s\0\njoe:x:1:1::/j:/s\n", "joe") == UNSURE);

  /* Lines up to PWFILES_LINE_MAX bytes with the newline, no longer. */
  big = malloc(PWFILES_LINE_MAX + 64);
  if (!big) die("malloc");
  memset(big, 'g', PWFILES_LINE_MAX + 64);
  memcpy(big, "bob:x:2:2:", 10);
  memcpy(big + PWFILES_LINE_MAX - 5, ":/b:\njoe:x:1:1::/j:/s\n", 22);
  CHECK(find_in(big, PWFILES_LINE_MAX + 17, "joe", &a, &ln) == 1);
  CHECK(find_in(big, PWFILES_LINE_MAX + 17, "bob", &a, &ln) == 1);
  CHECK_STR(a.home, "/b");
  memset(big, 'g', PWFILES_LINE_MAX + 64);
  memcpy(big, "bob:x:2:2:", 10);
  memcpy(big + PWFILES_LINE_MAX - 4, ":/b:\njoe:x:1:1::/j:/s\n", 22);
  CHECK(find_in(big, PWFILES_LINE_MAX + 18, "joe", &a, &ln) == UNSURE);
  CHECK(find_in(big, PWFILES_LINE_MAX + 18, "bob", &a, &ln) == UNSURE);
  /* ... also as the last line, without a newline. */
  memset(big, 'g', PWFILES_LINE_MAX + 64);
  memcpy(big, "joe:x:1:1::/j:/s\nbob:x:2:2::/b:", 31);
  CHECK(find_in(big, PWFILES_LINE_MAX + 16, "bob", &a, &ln) == 1);
  CHECK(find_in(big, PWFILES_LINE_MAX + 17, "bob", &a, &ln) == UNSURE);
  CHECK(find_in(big, PWFILES_LINE_MAX + 17, "joe", &a, &ln) == 1);
  free(big);

  /* Every lookup reads from the start. */
  write_file(path_of("passwd"), passwd, sizeof passwd - 1);
  fd = open(path_of("passwd"), O_RDONLY);
  if (fd == -1) die("open");
  CHECK(pwfiles_find(fd, "bob", &ln, &a) == 1 && a.uid == 1003);
  CHECK(pwfiles_find(fd, "joe", &ln, &a) == 1 && a.uid == 1001);
  CHECK(pwfiles_find(fd, "ann", &ln, &a) == 0);
  CHECK(pwfiles_find(fd, "root", &ln, &a) == 1 && a.uid == 0);
  close(fd);
  /* Nothing to read from the start of: not certain. */
  if (pipe(p) == -1) die("pipe");
  CHECK(pwfiles_find(p[0], "joe", &ln, &a) == UNSURE);
  close(p[0]);
  close(p[1]);
  CHECK(pwfiles_find(-1, "joe", &ln, &a) == UNSURE);
  unlink(path_of("passwd"));
  str_free(&ln);
}

int main(void)
{
  if (!mkdtemp(dir)) die("mkdtemp");
  RUN(test_nsswitch_sources);
  RUN(test_nsswitch_entry);
  RUN(test_nsswitch_comments);
  RUN(test_nsswitch_garbage);
  RUN(test_nsswitch_file);
  RUN(test_line);
  RUN(test_find);
  rmdir(dir);
  return check_report();
}
