/* test_bounce.c: unit tests for bounce.c: the bounce/N paragraphs, RFC
 * 822 quoting, who a bounce goes to, and the exact QSBMF text. */
#include <string.h>
#include "bounce.h"
#include "check.h"
#include "str.h"

#define CHECK_SA(sa, lit) \
  check_one((sa).len == sizeof(lit) - 1 && !memcmp((sa).s, (lit), sizeof(lit) - 1), \
            #sa " == " #lit, __FILE__, __LINE__)

static str s(const char *text)
{
  str sa = STR_INIT;
  str_copys(&sa, text);
  return sa;
}

static void paragraph(const char *recip, const char *report, const char *want, int line)
{
  str out = STR_INIT;
  check_one(bounce_paragraph(&out, recip, report, strlen(report)), recip, __FILE__, line);
  check_one(out.len == strlen(want) && !memcmp(out.s, want, out.len), want, __FILE__, line);
  str_free(&out);
}
#define PARAGRAPH(r, t, w) paragraph((r), (t), (w), __LINE__)

static void test_paragraph(void)
{
  PARAGRAPH("joe@example.org", "Sorry, no mailbox here by that name. (#5.1.1)\n",
            "<joe@example.org>:\nSorry, no mailbox here by that name. (#5.1.1)\n\n");
  /* A newline is added when the report lacks one. */
  PARAGRAPH("a@b", "no newline", "<a@b>:\nno newline\n\n");
  PARAGRAPH("a@b", "", "<a@b>:\n\n");
  /* Blank lines inside become "/" lines; the paragraph stays whole. */
  PARAGRAPH("a@b", "one\n\ntwo\n", "<a@b>:\none\n/two\n\n");
  PARAGRAPH("a@b", "one\n\n\ntwo", "<a@b>:\none\n//two\n\n");
  PARAGRAPH("a@b", "\nleading", "<a@b>:\n/leading\n\n");
  /* ... except a report's own final newline, as in qmail-1.03. */
  PARAGRAPH("a@b", "trailing\n\n", "<a@b>:\ntrailing\n\n\n");
  PARAGRAPH("a@b", "\n", "<a@b>:\n\n\n");
  /* Newlines in the recipient become '_'. */
  PARAGRAPH("a\nb@c", "x\n", "<a_b@c>:\nx\n\n");
  {
    /* Appends to what is there already. */
    str out = s("<x@y>:\nfirst\n\n");
    CHECK(bounce_paragraph(&out, "z@w", "second\n", 7));
    CHECK_SA(out, "<x@y>:\nfirst\n\n<z@w>:\nsecond\n\n");
    str_free(&out);
  }
}

static void quote(const char *addr, const char *want, int line)
{
  str out = STR_INIT;
  check_one(bounce_quote_addr(&out, addr, strlen(addr)), addr, __FILE__, line);
  check_one(out.len == strlen(want) && (!out.len || !memcmp(out.s, want, out.len)), want, __FILE__, line);
  str_free(&out);
}
#define QUOTE(a, w) quote((a), (w), __LINE__)

static void test_quote(void)
{
  QUOTE("", "");
  QUOTE("joe@example.org", "joe@example.org");
  QUOTE("j.o.e+x-y=z@example.org", "j.o.e+x-y=z@example.org");
  QUOTE("!#$%&'*/=?^_`{|}~@h", "!#$%&'*/=?^_`{|}~@h");
  QUOTE("joe smith@example.org", "\"joe smith\"@example.org");
  QUOTE("a\"b@h", "\"a\\\"b\"@h");
  QUOTE("a\\b@h", "\"a\\\\b\"@h");
  QUOTE("a\nb@h", "\"a\\\nb\"@h");
  QUOTE(".joe@h", "\".joe\"@h");
  QUOTE("joe.@h", "\"joe.\"@h");
  QUOTE("jo..e@h", "\"jo..e\"@h");
  QUOTE("a(b)@h", "\"a(b)\"@h");
  QUOTE("a,b;c:d<e>[f]@h", "\"a,b;c:d<e>[f]\"@h");
  QUOTE("\xe9t\xe9@h", "\"\xe9t\xe9\"@h");
  QUOTE("@h", "\"\"@h");
  QUOTE("a@b@h", "\"a@b\"@h"); /* the last '@' splits */
  QUOTE("nodomain", "nodomain");
  QUOTE("no domain", "\"no domain\"");
  {
    str out = STR_INIT;
    CHECK(bounce_quote_local(&out, "", 0));
    CHECK_SA(out, "\"\"");
    str_free(&out);
  }
}

static void test_plan(void)
{
  str dbto = s("postmaster"), dbhost = s("example.org"), empty = STR_INIT;
  str recip = STR_INIT, rp = STR_INIT;

  CHECK(bounce_plan("joe@far.test", 12, &dbto, &dbhost, &recip, &rp) == BOUNCE_SINGLE);
  CHECK_SA(recip, "joe@far.test");
  CHECK_SA(rp, "joe@far.test");
  /* VERP: the bounce goes to the list owner. */
  CHECK(bounce_plan("owner-@list.test-@[]", 20, &dbto, &dbhost, &recip, &rp) == BOUNCE_SINGLE);
  CHECK_SA(recip, "owner-@list.test");
  CHECK_SA(rp, "owner-@list.test");
  /* The bounce of a bounce. */
  CHECK(bounce_plan("", 0, &dbto, &dbhost, &recip, &rp) == BOUNCE_DOUBLE);
  CHECK_SA(recip, "postmaster@example.org");
  CHECK(rp.len == 0);
  CHECK(bounce_plan("-@[]", 4, &dbto, &dbhost, &recip, &rp) == BOUNCE_DOUBLE);
  CHECK(bounce_plan("", 0, &empty, &dbhost, &recip, &rp) == BOUNCE_DROP_DOUBLE);
  /* The bounce of a double bounce: never sent. */
  CHECK(bounce_plan("#@[]", 4, &dbto, &dbhost, &recip, &rp) == BOUNCE_DROP_TRIPLE);
  CHECK(bounce_plan("#@[]", 4, &empty, &dbhost, &recip, &rp) == BOUNCE_DROP_TRIPLE);
  str_free(&dbto);
  str_free(&dbhost);
  str_free(&recip);
  str_free(&rp);
}

static void test_text(void)
{
  str out = STR_INIT, from = s("MAILER-DAEMON"), host = s("mail.example.org");
  str to = s("joe smith@far.test"), rp = s("joe smith@far.test"), db = s("postmaster@example.org");
  str none = STR_INIT;

  /* 17 Mar 1996 03:54:40 GMT */
  CHECK(bounce_head(&out, 827034880, &from, &host, &to, BOUNCE_SINGLE));
  CHECK(bounce_paragraph(&out, "god@heaven.af.mil", "Sorry, I couldn't find any host by that name.\n", 46));
  CHECK(bounce_break(&out, &rp, BOUNCE_SINGLE));
  CHECK_SA(out,
           "Date: 17 Mar 1996 03:54:40 -0000\n"
           "From: MAILER-DAEMON@mail.example.org\n"
           "To: \"joe smith\"@far.test\n"
           "Subject: failure notice\n"
           "\n"
           "Hi. This is the qmail-send program at mail.example.org.\n"
           "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
           "This is a permanent error; I've given up. Sorry it didn't work out.\n"
           "\n"
           "<god@heaven.af.mil>:\n"
           "Sorry, I couldn't find any host by that name.\n"
           "\n"
           "--- Below this line is a copy of the message.\n"
           "\n"
           "Return-Path: <\"joe smith\"@far.test>\n");

  out.len = 0;
  CHECK(bounce_head(&out, 827034880, &from, &host, &db, BOUNCE_DOUBLE));
  CHECK(bounce_break(&out, &none, BOUNCE_DOUBLE));
  CHECK_SA(out,
           "Date: 17 Mar 1996 03:54:40 -0000\n"
           "From: MAILER-DAEMON@mail.example.org\n"
           "To: postmaster@example.org\n"
           "Subject: failure notice\n"
           "\n"
           "Hi. This is the qmail-send program at mail.example.org.\n"
           "I tried to deliver a bounce message to this address, but the bounce bounced!\n"
           "\n"
           "--- Below this line is the original bounce.\n"
           "\n"
           "Return-Path: <>\n");

  /* An odd bouncefrom is quoted like any local part. */
  out.len = 0;
  str_copys(&from, "mailer daemon");
  CHECK(bounce_head(&out, 0, &from, &host, &db, BOUNCE_SINGLE));
  CHECK(!memcmp(out.s, "Date: 1 Jan 1970 00:00:00 -0000\nFrom: \"mailer daemon\"@mail.example.org\n", 71));
  str_free(&out);
  str_free(&from);
  str_free(&host);
  str_free(&to);
  str_free(&rp);
  str_free(&db);
}

static void test_delay(void)
{
  str out = STR_INIT, from = s("MAILER-DAEMON"), host = s("mail.example.org");
  str to = s("joe smith@far.test");

  CHECK(bounce_delay_head(&out, 827034880, &from, &host, &to, 604800));
  CHECK(bounce_paragraph(&out, "god@heaven.af.mil", "Connected to 192.0.2.1 but connection died. (#4.4.2)\n", 53));
  CHECK(bounce_delay_break(&out, &to));
  CHECK_SA(out,
           "Date: 17 Mar 1996 03:54:40 -0000\n"
           "From: MAILER-DAEMON@mail.example.org\n"
           "To: \"joe smith\"@far.test\n"
           "Subject: delivery delay notice\n"
           "\n"
           "Hi. This is the qmail-send program at mail.example.org.\n"
           "I haven't been able to deliver your message to the following addresses yet.\n"
           "This is not a permanent error: I'll keep trying until the message has been\n"
           "in the queue for 7 days. You need not send it again.\n"
           "\n"
           "<god@heaven.af.mil>:\n"
           "Connected to 192.0.2.1 but connection died. (#4.4.2)\n"
           "\n"
           "--- Below this line is the header of the message.\n"
           "\n"
           "Return-Path: <\"joe smith\"@far.test>\n");

  /* The lifetime in the largest whole unit, singular when one. */
  static const struct { unsigned long long secs; const char *want; } lifetimes[] = {
    { 86400, "for 1 day." }, { 3600, "for 1 hour." }, { 7200, "for 2 hours." },
    { 90, "for 90 seconds." }, { 1, "for 1 second." }, { 0, "for 0 seconds." },
    { 90000, "for 25 hours." },
  };
  for (size_t i = 0; i < sizeof lifetimes / sizeof lifetimes[0]; i++) {
    out.len = 0;
    CHECK(bounce_delay_head(&out, 0, &from, &host, &to, lifetimes[i].secs));
    size_t n = strlen(lifetimes[i].want);
    int found = 0;
    for (size_t k = 0; k + n <= out.len; k++)
      if (!memcmp(out.s + k, lifetimes[i].want, n)) found = 1;
    check_one(found, lifetimes[i].want, __FILE__, __LINE__);
  }
  str_free(&out);
  str_free(&from);
  str_free(&host);
  str_free(&to);
}

int main(void)
{
  RUN(test_paragraph);
  RUN(test_quote);
  RUN(test_plan);
  RUN(test_text);
  RUN(test_delay);
  return check_report();
}
