/* test_users.c: unit tests for users.h: the users/assign line parser and
 * the users/cdb record layout, the users/cdb lookup rule (exact, then the
 * longest wildcard prefix, case-insensitive, the wildcard set), the
 * six-field splitter, and qmail-getpw's prefix rule. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cdb.h"
#include "check.h"
#include "str.h"
#include "users.h"

static char tmpfn[] = "/tmp/test_users.XXXXXX";

static void die(const char *what)
{
  perror(what);
  exit(2);
}

/* ---- the assign parser ---- */

/* sa holds exactly the bytes of the string literal lit (NULs included). */
#define CHECK_LIT(sa, lit) CHECK((sa).len == sizeof(lit) - 1 && !memcmp((sa).s, lit, sizeof(lit) - 1))

static int parse(const char *line, str *key, str *data, int *wild)
{
  return users_assign_parse(line, strlen(line), key, data, wild);
}

static void test_parse(void)
{
  str key = STR_INIT, data = STR_INIT;
  int wild;

  CHECK(parse("=joe.shmoe:joe:503:78:/home/joe:::", &key, &data, &wild) == 1);
  CHECK_LIT(key, "!joe.shmoe\0");
  CHECK_LIT(data, "joe\000503\00078\0/home/joe\0\0");
  CHECK(wild == -1);

  /* The address is lower-cased, the fields are not. */
  CHECK(parse("=Joe.Shmoe:Joe:1:2:/Home:-:Ext:", &key, &data, &wild) == 1);
  CHECK_LIT(key, "!joe.shmoe\0");
  CHECK_LIT(data, "Joe\0001\0002\0/Home\0-\0Ext");

  /* Wildcards: no NUL after the prefix; the last character, lower-cased,
   * joins the wildcard set; the empty prefix adds nothing. */
  CHECK(parse("+joe-:joe:507:100:/home/joe:-::", &key, &data, &wild) == 1);
  CHECK_LIT(key, "!joe-");
  CHECK_LIT(data, "joe\000507\000100\0/home/joe\0-\0");
  CHECK(wild == '-');
  CHECK(parse("+ABC:u:1:1:/h:::", &key, &data, &wild) == 1);
  CHECK_LIT(key, "!abc");
  CHECK(wild == 'c');
  CHECK(parse("+:alias:7790:2108:/var/qmail/alias:-::", &key, &data, &wild) == 1);
  CHECK(key.len == 1 && key.s[0] == '!');
  CHECK(wild == -1);

  /* Anything after the sixth ':' is dropped; the kind character is not
   * checked (qmail-1.03 treats every line not starting with '+' as '='). */
  CHECK(parse("=a:u:1:1:/h:-:e:trailing junk", &key, &data, &wild) == 1);
  CHECK_LIT(data, "u\0001\0001\0/h\0-\0e");
  CHECK(parse("xa:u:1:1:/h:::", &key, &data, &wild) == 1);
  CHECK_LIT(key, "!a\0");

  /* Bad lines. */
  CHECK(parse("", &key, &data, &wild) == 0);
  CHECK(parse("=joe", &key, &data, &wild) == 0);
  CHECK(parse(":joe:1:1:/h:::", &key, &data, &wild) == 0);
  CHECK(parse("=joe:joe:1:1:/h::", &key, &data, &wild) == 0);
  CHECK(parse("=joe:joe:1:1:/h:", &key, &data, &wild) == 0);
  CHECK(users_assign_parse("=j\0e:joe:1:1:/h:::", 18, &key, &data, &wild) == 0);
  CHECK(users_assign_parse("=je:joe:1:1:/h:::\0", 18, &key, &data, &wild) == 0);

  str_free(&key);
  str_free(&data);
}

static void test_wild_add(void)
{
  str w = STR_INIT;
  CHECK(users_wild_add(&w, '-'));
  CHECK(users_wild_add(&w, '.'));
  CHECK(users_wild_add(&w, '-'));
  CHECK(w.len == 2 && !memcmp(w.s, "-.", 2));
  str_free(&w);
}

/* ---- lookups in a database built from assign lines ---- */

/* Compile lines (a NULL-ended list) as qmail-newu does; with_wild = 0
 * leaves out the wildcard-set record. */
static void build(const char *const *lines, int with_wild)
{
  struct cdb_make m;
  str key = STR_INIT, data = STR_INIT, wild = STR_INIT;
  int fd = open(tmpfn, O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (fd == -1) die("open");
  if (cdb_make_start(&m, fd) == -1) die("cdb_make_start");
  if (!str_copys(&wild, "")) die("str");
  for (; *lines; ++lines) {
    int w;
    if (parse(*lines, &key, &data, &w) != 1) die(*lines);
    if (w != -1 && !users_wild_add(&wild, (char)w)) die("wild");
    if (cdb_make_add(&m, key.s, key.len, data.s, data.len) == -1) die("cdb_make_add");
  }
  if (with_wild && cdb_make_add(&m, "", 0, wild.s, wild.len) == -1) die("cdb_make_add");
  if (cdb_make_finish(&m) == -1) die("cdb_make_finish");
  close(fd);
  str_free(&key);
  str_free(&data);
  str_free(&wild);
}

/* Look local up; r is the return value, out the fields. */
static int lookup(const char *local, str *out)
{
  struct cdb c;
  int r, fd = open(tmpfn, O_RDONLY);
  if (fd == -1) die("open");
  if (cdb_init(&c, fd) == -1) die("cdb_init");
  r = users_lookup(&c, local, strlen(local), out);
  cdb_free(&c);
  close(fd);
  return r;
}

#define CHECK_FOUND(local, want) \
  do { \
    int r_ = lookup(local, &out); \
    CHECK(r_ == 1); \
    CHECK(r_ == 1 && out.len == sizeof(want) - 1 && !memcmp(out.s, want, sizeof(want) - 1)); \
  } while (0)

static void test_lookup(void)
{
  static const char *const manpage[] = {
    "+:alias:7790:2108:/var/qmail/alias:-::",
    "+joe-:joe:507:100:/home/joe:-::",
    "=joe:joe:507:100:/home/joe:::",
    "+list.:lists:600:60:/home/lists:-:list-:",
    "=Dup:first:1:1:/first:::",
    "=dup:second:2:2:/second:::",
    0
  };
  static const char *const nowild[] = { "=joe:joe:507:100:/home/joe:::", 0 };
  str out = STR_INIT;

  build(manpage, 1);
  CHECK_FOUND("joe", "joe\000507\000100\0/home/joe\0\0\0");
  CHECK_FOUND("JoE", "joe\000507\000100\0/home/joe\0\0\0");
  /* Wildcards keep the case of the rest of the address. */
  CHECK_FOUND("joe-direct", "joe\000507\000100\0/home/joe\0-\0direct\0");
  CHECK_FOUND("Joe-Direct", "joe\000507\000100\0/home/joe\0-\0Direct\0");
  CHECK_FOUND("joe-", "joe\000507\000100\0/home/joe\0-\0\0");
  CHECK_FOUND("bill", "alias\0007790\0002108\0/var/qmail/alias\0-\0bill\0");
  CHECK_FOUND("joey", "alias\0007790\0002108\0/var/qmail/alias\0-\0joey\0");
  CHECK_FOUND("list.x-y", "lists\000600\00060\0/home/lists\0-\0list-x-y\0");
  /* The first of several assignments for one address wins. */
  CHECK_FOUND("dup", "first\0001\0001\0/first\0\0\0");

  build(nowild, 1);
  CHECK_FOUND("JOE", "joe\000507\000100\0/home/joe\0\0\0");
  CHECK(lookup("joe-x", &out) == 0);
  CHECK(lookup("bill", &out) == 0);
  CHECK(lookup("", &out) == 0);

  /* A database without the wildcard set is not a users/cdb. */
  build(nowild, 0);
  errno = 0;
  CHECK(lookup("joe", &out) == -1);
  CHECK(errno == EPROTO);

  /* users_cdb_lookup: the file by name, as qmail-lspawn reads it */
  build(nowild, 1);
  CHECK(users_cdb_lookup(tmpfn, "JOE", 3, &out) == 1);
  CHECK(out.len == 24 && !memcmp(out.s, "joe\000507\000100\0/home/joe\0\0\0", 24));
  CHECK(users_cdb_lookup(tmpfn, "bill", 4, &out) == 0);
  CHECK(users_cdb_lookup("/nonexistent/users/cdb", "joe", 3, &out) == 0); /* no file: none */
  errno = 0;
  CHECK(users_cdb_lookup("/", "joe", 3, &out) == -1 && errno == EPROTO);  /* not a cdb */
  build(nowild, 0);
  errno = 0;
  CHECK(users_cdb_lookup(tmpfn, "joe", 3, &out) == -1 && errno == EPROTO);

  str_free(&out);
}

/* ---- the six fields ---- */

/* A string literal with its length (it may hold NULs). */
#define FIELDS(lit) users_fields(lit, sizeof(lit) - 1, &e)

static void test_fields(void)
{
  struct users_entry e;
  static const char ok[] = "joe\000507\000100\0/home/joe\0-\0ext\0";

  CHECK(users_fields(ok, sizeof ok - 1, &e) == 1);
  CHECK_STR(e.user, "joe");
  CHECK(e.uid == 507 && e.gid == 100);
  CHECK_STR(e.home, "/home/joe");
  CHECK_STR(e.dash, "-");
  CHECK_STR(e.ext, "ext");
  CHECK(FIELDS("a\0001\0002\0/h\0\0\0") == 1);
  CHECK_STR(e.dash, "");
  CHECK_STR(e.ext, "");

  CHECK(FIELDS("a\0001\0002\0/h\0\0") == 0);          /* five */
  CHECK(FIELDS("a\0001\0002\0/h\0\0\0x\0") == 0);     /* seven */
  CHECK(FIELDS("a\0001\0002\0/h\0\0\0x") == 0);       /* trailing bytes */
  CHECK(FIELDS("\0001\0002\0/h\0\0\0") == 0);         /* no user */
  CHECK(FIELDS("a\0001\0002\0\0\0\0") == 0);          /* no home */
  CHECK(FIELDS("a\0x1\0002\0/h\0\0\0") == 0);         /* uid */
  CHECK(FIELDS("a\0\0002\0/h\0\0\0") == 0);           /* empty uid */
  CHECK(FIELDS("a\0001\0-2\0/h\0\0\0") == 0);         /* gid */
  CHECK(FIELDS("a\0004294967295\0002\0/h\0\0\0") == 0); /* -1 */
  CHECK(FIELDS("a\0004294967296\0002\0/h\0\0\0") == 0); /* too big */
  CHECK(FIELDS("a\0004294967294\0002\0/h\0\0\0") == 1);
  CHECK(FIELDS("") == 0);
}

/* ---- qmail-getpw's prefix rule ---- */

static const char *const accounts[] = { "lstest1", "lstest1-foo", "a", 0 };
static unsigned calls;

static int fake_user(const char *name, void *ctx)
{
  ++calls;
  if (ctx && !strcmp(name, (const char *)ctx)) return -1;
  for (size_t i = 0; accounts[i]; ++i)
    if (!strcmp(name, accounts[i])) return 1;
  return 0;
}

static int split(const char *local, char brk, void *ctx, size_t *n)
{
  calls = 0;
  return users_getpw_split(local, strlen(local), brk, fake_user, ctx, n);
}

static void test_split(void)
{
  char long_name[40];
  size_t n = 99;

  CHECK(split("lstest1", '-', 0, &n) == 1 && n == 7);
  CHECK(split("lstest1-bar", '-', 0, &n) == 1 && n == 7);
  CHECK(split("lstest1-foo", '-', 0, &n) == 1 && n == 11);
  CHECK(split("lstest1-foo-bar-baz", '-', 0, &n) == 1 && n == 11);
  /* Prefixes are tried longest first, only at breaks. */
  CHECK(split("lstest1-foo-bar", '-', 0, &n) == 1 && n == 11 && calls == 2);
  /* The user part is compared lower-cased. */
  CHECK(split("LSTest1-Foo", '-', 0, &n) == 1 && n == 11);
  CHECK(split("LSTEST1-x", '-', 0, &n) == 1 && n == 7);
  /* Not at a break, or no user at all. */
  CHECK(split("lstest1foo", '-', 0, &n) == 0);
  CHECK(split("nobody-here", '-', 0, &n) == 0 && calls == 2);
  CHECK(split("", '-', 0, &n) == 0 && calls == 0);
  CHECK(split("-a", '-', 0, &n) == 0);
  CHECK(split("a-", '-', 0, &n) == 1 && n == 1);
  /* Another break character, or none. */
  CHECK(split("lstest1+x", '+', 0, &n) == 1 && n == 7);
  CHECK(split("lstest1-x", '+', 0, &n) == 0);
  CHECK(split("lstest1-x", 0, 0, &n) == 0 && calls == 1);
  CHECK(split("lstest1", 0, 0, &n) == 1 && n == 7);
  /* Names of 32 characters or more are never tried. */
  memset(long_name, 'b', 31);
  long_name[31] = 0;
  CHECK(split(long_name, '-', 0, &n) == 0 && calls == 1);
  long_name[31] = 'b';
  long_name[32] = 0;
  CHECK(split(long_name, '-', 0, &n) == 0 && calls == 0);
  memcpy(long_name, "a-", 2);
  CHECK(split(long_name, '-', 0, &n) == 1 && n == 1 && calls == 1);
  /* A temporary failure stops the search. */
  CHECK(split("lstest1-foo-x", '-', "lstest1-foo", &n) == -1);
  CHECK(split("lstest1-x", '-', "lstest1-x", &n) == -1 && calls == 1);
}

int main(void)
{
  int fd = mkstemp(tmpfn);
  if (fd == -1) die("mkstemp");
  close(fd);
  RUN(test_parse);
  RUN(test_wild_add);
  RUN(test_lookup);
  RUN(test_fields);
  RUN(test_split);
  unlink(tmpfn);
  return check_report();
}
