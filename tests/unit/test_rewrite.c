/* test_rewrite.c: unit tests for rewrite.c: qmail-send's classification
 * of recipients by locals, virtualdomains and percenthack, envnoathost,
 * VERP senders, and the tables read from control files in a scratch
 * directory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "check.h"
#include "control.h"
#include "rewrite.h"
#include "str.h"

/* A control file's contents as control_readfile gives them: lines
 * separated by NULs (the literal ends with the last line's NUL). */
static str lines(const char *s, size_t len)
{
  str sa = STR_INIT;
  str_copy(&sa, s, len);
  return sa;
}
#define LINES(lit) lines((lit), sizeof(lit) - 1)

static struct rewrite rw = REWRITE_INIT;

static void setup(str locals, str ph, str vd, const char *noat)
{
  str n = STR_INIT;
  str_copys(&n, noat);
  CHECK(rewrite_set(&rw, &locals, &ph, &vd, &n));
  str_free(&locals);
  str_free(&ph);
  str_free(&vd);
  str_free(&n);
}

/* Expect addr to become want on channel kind. */
static void expect(const char *addr, int kind, const char *want, int line)
{
  str out = STR_INIT;
  int r = rewrite_recipient(&rw, addr, strlen(addr), &out);
  check_one(r == kind, addr, __FILE__, line);
  check_one(out.len == strlen(want) && !memcmp(out.s, want, out.len) && out.s[out.len] == 0,
            want, __FILE__, line);
  str_free(&out);
}
#define EXPECT(addr, kind, want) expect((addr), (kind), (want), __LINE__)

static void test_locals(void)
{
  setup(LINES("example.org\0Local.Example\0"), LINES(""), LINES(""), "example.org");
  EXPECT("joe@example.org", REWRITE_LOCAL, "joe@example.org");
  EXPECT("joe@EXAMPLE.ORG", REWRITE_LOCAL, "joe@EXAMPLE.ORG"); /* case kept, ignored in lookup */
  EXPECT("Joe@local.example", REWRITE_LOCAL, "Joe@local.example");
  EXPECT("joe@sub.example.org", REWRITE_REMOTE, "joe@sub.example.org"); /* exact only */
  EXPECT("joe@example.org.", REWRITE_REMOTE, "joe@example.org.");
  EXPECT("joe@elsewhere.test", REWRITE_REMOTE, "joe@elsewhere.test");
  /* The last '@' separates the domain. */
  EXPECT("a@b@example.org", REWRITE_LOCAL, "a@b@example.org");
  EXPECT("a@example.org@elsewhere.test", REWRITE_REMOTE, "a@example.org@elsewhere.test");
  /* No '@': envnoathost is appended. */
  EXPECT("joe", REWRITE_LOCAL, "joe@example.org");
  EXPECT("", REWRITE_LOCAL, "@example.org");
  EXPECT("joe@", REWRITE_REMOTE, "joe@");
}

static void test_envnoathost(void)
{
  setup(LINES("here.test\0"), LINES(""), LINES(""), "far.test");
  EXPECT("joe", REWRITE_REMOTE, "joe@far.test");
  setup(LINES(""), LINES(""), LINES(""), "");
  EXPECT("joe", REWRITE_REMOTE, "joe@");
}

static void test_virtualdomains(void)
{
  setup(LINES("example.org\0"), LINES(""),
        LINES("virt.test:joe-virt\0"
              ".wild.test:wild\0"
              "deep.wild.test:\0"          /* an exception under the wildcard */
              "info@special.test:spec\0"   /* one address */
              "special.test:sp\0"
              "example.org:ignored\0"      /* locals win */
              "nocolon.test\0"             /* ignored: no ':' */
              "Mixed.Case.Test:mc\0"),
        "example.org");
  EXPECT("info@virt.test", REWRITE_LOCAL, "joe-virt-info@virt.test");
  EXPECT("INFO@VIRT.TEST", REWRITE_LOCAL, "joe-virt-INFO@VIRT.TEST");
  EXPECT("x@sub.virt.test", REWRITE_REMOTE, "x@sub.virt.test"); /* no wildcard for virt.test */
  EXPECT("x@a.wild.test", REWRITE_LOCAL, "wild-x@a.wild.test");
  EXPECT("x@a.b.wild.test", REWRITE_LOCAL, "wild-x@a.b.wild.test");
  EXPECT("x@wild.test", REWRITE_REMOTE, "x@wild.test"); /* ".wild.test" needs a dot before */
  EXPECT("x@deep.wild.test", REWRITE_REMOTE, "x@deep.wild.test");
  EXPECT("x@a.deep.wild.test", REWRITE_LOCAL, "wild-x@a.deep.wild.test"); /* longest suffix first */
  EXPECT("info@special.test", REWRITE_LOCAL, "spec-info@special.test");
  EXPECT("Info@Special.Test", REWRITE_LOCAL, "spec-Info@Special.Test");
  EXPECT("other@special.test", REWRITE_LOCAL, "sp-other@special.test");
  EXPECT("joe@example.org", REWRITE_LOCAL, "joe@example.org");
  EXPECT("joe@nocolon.test", REWRITE_REMOTE, "joe@nocolon.test");
  EXPECT("u@mixed.case.test", REWRITE_LOCAL, "mc-u@mixed.case.test");
  EXPECT("u@elsewhere.test", REWRITE_REMOTE, "u@elsewhere.test");

  /* The catch-all, and exceptions to it. */
  setup(LINES("example.org\0"), LINES(""),
        LINES(":alias-catchall\0"
              "remote.test:\0"
              ".sub.test:\0"
              "virt.test:v\0"),
        "example.org");
  EXPECT("a@anything.test", REWRITE_LOCAL, "alias-catchall-a@anything.test");
  EXPECT("a@remote.test", REWRITE_REMOTE, "a@remote.test");
  EXPECT("a@x.sub.test", REWRITE_REMOTE, "a@x.sub.test");
  EXPECT("a@sub.test", REWRITE_LOCAL, "alias-catchall-a@sub.test");
  EXPECT("a@virt.test", REWRITE_LOCAL, "v-a@virt.test");
  EXPECT("a@example.org", REWRITE_LOCAL, "a@example.org");

  /* A later line for the same key replaces an earlier one. */
  setup(LINES(""), LINES(""), LINES("dup.test:first\0DUP.test:second\0"), "example.org");
  EXPECT("a@dup.test", REWRITE_LOCAL, "second-a@dup.test");
}

static void test_percenthack(void)
{
  setup(LINES("example.org\0"), LINES("example.org\0relay.test\0"), LINES("virt.test:v\0"),
        "example.org");
  EXPECT("joe%far.test@example.org", REWRITE_REMOTE, "joe@far.test");
  EXPECT("joe%virt.test@example.org", REWRITE_LOCAL, "v-joe@virt.test");
  /* Applied again while the new domain is listed, from the right. */
  EXPECT("a%b%relay.test@example.org", REWRITE_REMOTE, "a@b");
  EXPECT("a%b%c.test@example.org", REWRITE_REMOTE, "a%b@c.test");
  EXPECT("a%example.org@RELAY.TEST", REWRITE_LOCAL, "a@example.org");
  /* Nothing to undo: the domain stays. */
  EXPECT("plain@example.org", REWRITE_LOCAL, "plain@example.org");
  EXPECT("joe%far.test@other.test", REWRITE_REMOTE, "joe%far.test@other.test");
  /* Without '@', envnoathost counts as the domain. */
  EXPECT("joe%far.test", REWRITE_REMOTE, "joe@far.test");
}

static void expect_sender(const char *sender, const char *recip, const char *want, int line)
{
  str out = STR_INIT;
  check_one(rewrite_sender(&out, sender, strlen(sender), recip, strlen(recip)), sender, __FILE__, line);
  check_one(out.len == strlen(want) && !memcmp(out.s, want, out.len), want, __FILE__, line);
  str_free(&out);
}
#define EXPECT_SENDER(s, r, w) expect_sender((s), (r), (w), __LINE__)

static void test_verp(void)
{
  CHECK(rewrite_isverp("owner-@list.test-@[]", 20));
  CHECK(!rewrite_isverp("owner@list.test", 15));
  CHECK(!rewrite_isverp("@[]", 3));
  EXPECT_SENDER("owner-@list.test-@[]", "box@dom.test", "owner-box=dom.test@list.test");
  EXPECT_SENDER("joe@example.org", "box@dom.test", "joe@example.org");
  EXPECT_SENDER("", "box@dom.test", "");
  EXPECT_SENDER("#@[]", "box@dom.test", "#@[]");
  EXPECT_SENDER("owner-@list.test-@[]", "nodomain", "owner-nodomain@list.test");
  EXPECT_SENDER("owner--@[]", "box@dom", "owner-box=dom");
}

static void put_control(const char *name, const char *text)
{
  FILE *f = fopen(name, "w");
  if (!f || fputs(text, f) == EOF || fclose(f) == EOF) {
    perror(name);
    exit(1);
  }
}

/* rewrite_read: locals and envnoathost default to me; the other files
 * are read as they are; a file that cannot be read fails it. */
static void test_read(void)
{
  char dir[] = "/tmp/test_rewrite.XXXXXX";
  struct rewrite fresh = REWRITE_INIT;
  str out = STR_INIT;

  if (!mkdtemp(dir) || chdir(dir) == -1 || mkdir("control", 0755) == -1) {
    perror("temp dir");
    exit(1);
  }
  put_control("control/me", "me.example\n");
  CHECK(control_init() == 1);
  CHECK(rewrite_read(&fresh));
  CHECK(rewrite_recipient(&fresh, "joe", 3, &out) == REWRITE_LOCAL);
  CHECK(str_equals(&out, "joe@me.example"));
  CHECK(rewrite_recipient(&fresh, "joe%a.test@me.example", 21, &out) == REWRITE_LOCAL);
  CHECK(str_equals(&out, "joe%a.test@me.example"));
  rewrite_free(&fresh);

  put_control("control/locals", "local.example\n");
  put_control("control/envnoathost", "noat.example\n");
  put_control("control/percenthack", "local.example\n");
  put_control("control/virtualdomains", "virt.example:pfx\n");
  CHECK(rewrite_read(&fresh));
  CHECK(rewrite_recipient(&fresh, "joe", 3, &out) == REWRITE_REMOTE);
  CHECK(str_equals(&out, "joe@noat.example"));
  CHECK(rewrite_recipient(&fresh, "joe@me.example", 14, &out) == REWRITE_REMOTE);
  CHECK(rewrite_recipient(&fresh, "joe%virt.example@local.example", 30, &out) == REWRITE_LOCAL);
  CHECK(str_equals(&out, "pfx-joe@virt.example"));
  rewrite_free(&fresh);

  CHECK(mkdir("control/virtualdomains.d", 0755) == 0);
  CHECK(unlink("control/virtualdomains") == 0);
  CHECK(rename("control/virtualdomains.d", "control/virtualdomains") == 0);
  CHECK(!rewrite_read(&fresh)); /* a directory: unreadable as a file */
  rewrite_free(&fresh);

  rmdir("control/virtualdomains");
  unlink("control/me");
  unlink("control/locals");
  unlink("control/envnoathost");
  unlink("control/percenthack");
  rmdir("control");
  if (chdir("/") == 0) rmdir(dir);
  str_free(&out);
}

int main(void)
{
  RUN(test_locals);
  RUN(test_envnoathost);
  RUN(test_virtualdomains);
  RUN(test_percenthack);
  RUN(test_verp);
  RUN(test_read);
  rewrite_free(&rw);
  return check_report();
}
