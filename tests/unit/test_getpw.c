/* test_getpw.c: unit tests for getpw.h, qmail-getpw's rules and output
 * with a table standing in for the passwd database: the longest prefix
 * naming a user, extensions, the tests an account must pass (uid, exact
 * name, home directory there and owned), the alias fallback, and how a
 * temporary failure and an uncertain lookup end the search at once. Home
 * directories are made under /tmp; as root they are given to a uid of
 * their own, since root's own uid is never a user; / stands for a home
 * that belongs to someone else. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "check.h"
#include "getpw.h"
#include "str.h"

static char dir[] = "/tmp/test_getpw.XXXXXX";
static str home_owned = STR_INIT, home_file = STR_INIT;
static uid_t me;

static void die(const char *what)
{
  perror(what);
  exit(2);
}

struct entry {
  const char *key;  /* the name looked up */
  int result;       /* what the lookup says */
  const char *name; /* the account's name as the database gives it */
  uid_t uid;
  const char *home;
};

struct table {
  const struct entry *e;
  str asked; /* the names looked up, each followed by a space */
};

static int lookup(const char *name, struct getpw_account *a, void *ctx)
{
  struct table *t = ctx;

  if (!str_cats(&t->asked, name) || !str_putc(&t->asked, ' ')) die("str");
  for (const struct entry *e = t->e; e->key; ++e) {
    if (strcmp(e->key, name)) continue;
    if (e->result != GETPW_FOUND) return e->result;
    a->name = e->name;
    a->uid = e->uid;
    a->gid = 77;
    a->home = e->home;
    return GETPW_FOUND;
  }
  return GETPW_ABSENT;
}

/* getpw_answer for local with break '-' and alias "alias"; *asked gets
 * the names looked up. */
static int answer(const struct entry *e, const char *local, str *out, const char **asked)
{
  static struct table t;
  t.e = e;
  t.asked.len = 0;
  if (!str_copys(&t.asked, "")) die("str");
  out->len = 0;
  {
    int r = getpw_answer(local, '-', "alias", lookup, &t, out);
    *asked = t.asked.s;
    return r;
  }
}

/* out holds the six fields user, uid, 77, home, dash, ext. */
static int fields_are(const str *out, const char *user, uid_t uid, const char *home,
                      const char *dash, const char *ext)
{
  str want = STR_INIT;
  int same;

  if (!str_cats(&want, user) || !str_putc(&want, 0) || !str_catnum(&want, uid) ||
      !str_putc(&want, 0) || !str_cats(&want, "77") || !str_putc(&want, 0) ||
      !str_cats(&want, home) || !str_putc(&want, 0) || !str_cats(&want, dash) ||
      !str_putc(&want, 0) || !str_cats(&want, ext) || !str_putc(&want, 0))
    die("str");
  same = out->len == want.len && !memcmp(out->s, want.s, want.len);
  str_free(&want);
  return same;
}

static void test_rules(void)
{
  const struct entry users[] = {
    { "joe", GETPW_FOUND, "joe", 0, 0 },
    { "joe-list", GETPW_FOUND, "joe-list", 0, 0 },
    { "root", GETPW_FOUND, "root", 0, 0 },
    { "other", GETPW_FOUND, "other", 0, 0 },
    { "nohome", GETPW_FOUND, "nohome", 0, 0 },
    { "filehome", GETPW_FOUND, "filehome", 0, 0 },
    { "renamed", GETPW_FOUND, "Renamed", 0, 0 },
    { "alias", GETPW_FOUND, "alias", 7790, "/var/qmail/alias" },
    { 0, 0, 0, 0, 0 },
  };
  struct entry e[sizeof users / sizeof *users];
  str out = STR_INIT;
  const char *asked;

  memcpy(e, users, sizeof users);
  for (size_t i = 0; e[i].key; ++i) {
    if (e[i].home) continue;
    e[i].uid = me;
    e[i].home = home_owned.s;
  }
  e[2].uid = 0;                 /* root: uid 0 */
  e[3].home = "/";             /* other: home not its own */
  e[4].home = "/nonexistent/x"; /* nohome */
  e[5].home = home_file.s;      /* filehome: a file (it is owned: fine) */

  CHECK(answer(e, "joe", &out, &asked) == 0);
  CHECK(fields_are(&out, "joe", me, home_owned.s, "", ""));
  CHECK_STR(asked, "joe ");
  CHECK(answer(e, "JOE", &out, &asked) == 0);
  CHECK(fields_are(&out, "joe", me, home_owned.s, "", ""));
  CHECK(answer(e, "joe-", &out, &asked) == 0);
  CHECK(fields_are(&out, "joe", me, home_owned.s, "-", ""));
  CHECK_STR(asked, "joe- joe ");
  CHECK(answer(e, "Joe-Bar-Baz", &out, &asked) == 0);
  CHECK(fields_are(&out, "joe", me, home_owned.s, "-", "Bar-Baz"));
  CHECK_STR(asked, "joe-bar-baz joe-bar joe ");
  /* The longest prefix wins. */
  CHECK(answer(e, "joe-list-x", &out, &asked) == 0);
  CHECK(fields_are(&out, "joe-list", me, home_owned.s, "-", "x"));
  CHECK_STR(asked, "joe-list-x joe-list ");
  CHECK(answer(e, "filehome-x", &out, &asked) == 0);
  CHECK(fields_are(&out, "filehome", me, home_file.s, "-", "x"));

  /* Not users: the alias gets the whole address. */
  CHECK(answer(e, "root-x", &out, &asked) == 0);
  CHECK(fields_are(&out, "alias", 7790, "/var/qmail/alias", "-", "root-x"));
  CHECK_STR(asked, "root-x root alias ");
  CHECK(answer(e, "other", &out, &asked) == 0);
  CHECK(fields_are(&out, "alias", 7790, "/var/qmail/alias", "-", "other"));
  CHECK(answer(e, "nohome", &out, &asked) == 0);
  CHECK(fields_are(&out, "alias", 7790, "/var/qmail/alias", "-", "nohome"));
  CHECK(answer(e, "renamed", &out, &asked) == 0);
  CHECK(fields_are(&out, "alias", 7790, "/var/qmail/alias", "-", "renamed"));
  CHECK(answer(e, "joex", &out, &asked) == 0);
  CHECK(fields_are(&out, "alias", 7790, "/var/qmail/alias", "-", "joex"));
  CHECK(answer(e, "-joe", &out, &asked) == 0);
  CHECK(fields_are(&out, "alias", 7790, "/var/qmail/alias", "-", "-joe"));
  CHECK_STR(asked, "-joe alias ");
  CHECK(answer(e, "", &out, &asked) == 0);
  CHECK(fields_are(&out, "alias", 7790, "/var/qmail/alias", "-", ""));
  CHECK_STR(asked, "alias ");
  /* Names of 32 characters or more are not asked for. */
  CHECK(answer(e, "abcdefghijklmnopqrstuvwxyz012345-x", &out, &asked) == 0);
  CHECK_STR(asked, "alias ");
  CHECK(answer(e, "abcdefghijklmnopqrstuvwxyz01234-x", &out, &asked) == 0);
  CHECK_STR(asked, "abcdefghijklmnopqrstuvwxyz01234 alias ");
  /* The alias account need not pass the rules. */
  e[7].uid = 0;
  e[7].home = "/nonexistent";
  CHECK(answer(e, "nobody-here", &out, &asked) == 0);
  CHECK(fields_are(&out, "alias", 0, "/nonexistent", "-", "nobody-here"));
  /* No alias account: 100, nothing out. */
  e[7].key = "not-alias";
  out.len = 0;
  CHECK(answer(e, "nobody-here", &out, &asked) == 100);
  CHECK(out.len == 0);
  str_free(&out);
}

static void test_failures(void)
{
  struct entry e[] = {
    { "joe", GETPW_FOUND, "joe", 0, 0 },
    { "temp", GETPW_TEMP, 0, 0, 0 },
    { "unsure", GETPW_UNSURE, 0, 0, 0 },
    { "alias", GETPW_FOUND, "alias", 7790, "/var/qmail/alias" },
    { 0, 0, 0, 0, 0 },
  };
  str out = STR_INIT;
  const char *asked;

  e[0].uid = me;
  e[0].home = home_owned.s;
  /* A failure or an uncertain answer ends the search at once. */
  CHECK(answer(e, "temp-joe", &out, &asked) == 111);
  CHECK_STR(asked, "temp-joe temp ");
  CHECK(answer(e, "joe-temp", &out, &asked) == 0);
  CHECK(fields_are(&out, "joe", me, home_owned.s, "-", "temp"));
  CHECK(answer(e, "temp", &out, &asked) == 111);
  CHECK_STR(asked, "temp ");
  CHECK(answer(e, "temp-x", &out, &asked) == 111);
  CHECK_STR(asked, "temp-x temp ");
  CHECK(answer(e, "unsure-x", &out, &asked) == GETPW_UNSURE);
  CHECK_STR(asked, "unsure-x unsure ");
  CHECK(answer(e, "unsure", &out, &asked) == GETPW_UNSURE);
  /* The same from the alias lookup. */
  e[3].result = GETPW_TEMP;
  CHECK(answer(e, "nobody", &out, &asked) == 111);
  CHECK_STR(asked, "nobody alias ");
  CHECK(answer(e, "joe-x", &out, &asked) == 0);
  e[3].result = GETPW_UNSURE;
  CHECK(answer(e, "nobody", &out, &asked) == GETPW_UNSURE);
  /* A home below something that is not a directory is absent. */
  e[3].result = GETPW_FOUND;
  e[0].home = "/dev/null/x";
  CHECK(answer(e, "joe", &out, &asked) == 0);
  CHECK(fields_are(&out, "alias", 7790, "/var/qmail/alias", "-", "joe"));
  str_free(&out);
}

int main(void)
{
  if (!mkdtemp(dir)) die("mkdtemp");
  me = geteuid();
  if (!str_cats(&home_owned, dir) || !str_cats(&home_owned, "/owned") ||
      !str_cats(&home_file, dir) || !str_cats(&home_file, "/file"))
    die("str");
  if (mkdir(home_owned.s, 0755) == -1) die("mkdir");
  {
    FILE *f = fopen(home_file.s, "w");
    if (!f || fclose(f)) die(home_file.s);
  }
  if (me == 0) {
    me = 4242;
    if (chown(home_owned.s, me, 0) == -1 || chown(home_file.s, me, 0) == -1) die("chown");
  }
  RUN(test_rules);
  RUN(test_failures);
  unlink(home_file.s);
  rmdir(home_owned.s);
  rmdir(dir);
  return check_report();
}
