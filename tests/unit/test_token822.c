/* test_token822.c: unit tests for the RFC 822 tokenizer and address-list
 * rewriting (token822.h) and header-field recognition (headers.h): a
 * table of header fields with the exact text qmail-inject makes of them
 * and the envelope addresses it collects, plus tokens, quoting, limits. */
#include <errno.h>
#include <stdlib.h>
#include "check.h"
#include "headers.h"
#include "str.h"
#include "token822.h"

/* The defaults of the qmail-header(5) examples: hosts without a dot are
 * in berkeley.edu; a lone user is at silverton. */
static str host_text, domain_text, plus_text;
static token822_list host, domain, plus;
static struct token822_defaults defaults = { &host, &domain, &plus };

static void set_defaults(const char *h, const char *d, const char *p)
{
  CHECK(token822_parse(&host, &host_text, h, strlen(h)) == 1);
  CHECK(token822_parse(&domain, &domain_text, d, strlen(d)) == 1);
  CHECK(token822_parse(&plus, &plus_text, p, strlen(p)) == 1);
}

/* Addresses seen by the callback, unquoted, each followed by "|". */
static str seen;

static int collect(token822_list *addr, void *ctx)
{
  str plain = STR_INIT;
  int ok;
  (void)ctx;
  ok = token822_rewrite(addr, &defaults) && token822_unquote(&plain, addr) &&
       str_catstr(&seen, &plain) && str_putc(&seen, '|');
  str_free(&plain);
  return ok;
}

static str result;

/* Rewrite field as qmail-inject does (name and colon kept); the text, or
 * "SYNTAX" / "NOMEM". */
static const char *rewrite(const char *field)
{
  token822_list in = TOKEN822_LIST_INIT, out = TOKEN822_LIST_INIT;
  str text = STR_INIT;
  int r;

  seen.len = 0;
  str_copys(&seen, "");
  r = token822_parse(&in, &text, field, strlen(field));
  if (r == 1) r = token822_addrlist(&out, &in, 2, collect, 0);
  if (r == 1) r = token822_unparse(&result, &out, 80) ? 1 : -1;
  if (r != 1) str_copys(&result, r ? "NOMEM" : "SYNTAX");
  token822_free(&in);
  token822_free(&out);
  str_free(&text);
  return result.s;
}

struct rwcase {
  const char *in;
  const char *out;
  const char *addrs; /* in the order the callback sees them: last first */
};

static const struct rwcase cases[] = {
  /* completion of host names */
  { "To: djb@silverton\n", "To: djb@silverton.berkeley.edu\n", "djb@silverton.berkeley.edu|" },
  { "To: eric@mammoth.cs+\n", "To: eric@mammoth.cs.berkeley.edu\n",
    "eric@mammoth.cs.berkeley.edu|" },
  { "To: eric@mammoth+\n", "To: eric@mammoth.berkeley.edu\n", "eric@mammoth.berkeley.edu|" },
  { "To: djb\n", "To: djb@silverton.berkeley.edu\n", "djb@silverton.berkeley.edu|" },
  { "To: x@y.example.\n", "To: x@y.example\n", "x@y.example|" },
  { "To: x@\n", "To: x@silverton.berkeley.edu\n", "x@silverton.berkeley.edu|" },
  { "To: x.\n", "To: x@silverton.berkeley.edu\n", "x@silverton.berkeley.edu|" },
  { "To: x@[1.2.3.4]\n", "To: x@[1.2.3.4]\n", "x@[1.2.3.4]|" },
  { "To: x@[]\n", "To: x@[]\n", "x@[]|" },
  { "To: X@Some.Where\n", "To: X@Some.Where\n", "X@Some.Where|" },
  /* null and route addresses */
  { "To: <>\n", "To: <>\n", "|" },
  { "To: <@a.example,@b.example:x@y.example>\n", "To: <x@y.example>\n", "x@y.example|" },
  { "To: <@a.example>\n", "To: <>\n", "|" },
  { "To: <.>\n", "To: <>\n", "|" },
  { "To: <@>\n", "To: <>\n", "|" },
  /* phrases, comments, quoting */
  { "To: A Person <e@f.example>\n", "To: A Person <e@f.example>\n", "e@f.example|" },
  { "To: \"A. Person\" <e@f>\n", "To: \"A. Person\" <e@f.berkeley.edu>\n", "e@f.berkeley.edu|" },
  { "To: J. Random Hacker <jrh@x.example>\n", "To: J.Random Hacker <jrh@x.example>\n",
    "jrh@x.example|" },
  { "To: c@d.example (Somebody)\n", "To: c@d.example (Somebody)\n", "c@d.example|" },
  { "To: a(x)@b.example\n", "To: a@b.example (x)\n", "a@b.example|" },
  { "To: <a@b.example> (c)\n", "To: <a@b.example>(c)\n", "a@b.example|" },
  { "To: x@y.example (a (nested) comment)\n", "To: x@y.example (a nested comment)\n",
    "x@y.example|" },
  { "To: x@y.example (a \\) b)\n", "To: x@y.example (a \\) b)\n", "x@y.example|" },
  { "To: \"a b\"@c.example\n", "To: \"a b\"@c.example\n", "a b@c.example|" },
  { "To: \"a\\\"b\"@c.example\n", "To: \"a\\\"b\"@c.example\n", "a\"b@c.example|" },
  { "To: \"God\" @ heaven . af . mil\n", "To: \"God\"@heaven.af.mil\n", "God@heaven.af.mil|" },
  { "To: < \"God\"@heaven .af.mil>,\n \"a\\\"quote\" (Who?) @ heaven . af.  mil\n"
    " , God<\"The Almighty.One\"@heaven.af.mil>\n",
    "To: <\"God\"@heaven.af.mil>, \"a\\\"quote\"@heaven.af.mil (Who?),\n"
    "  God <\"The Almighty.One\"@heaven.af.mil>\n",
    "The Almighty.One@heaven.af.mil|a\"quote@heaven.af.mil|God@heaven.af.mil|" },
  /* lists: commas, old-style spaces, groups; the callback sees them last first */
  { "To: a@x.example, b@x.example\n", "To: a@x.example, b@x.example\n",
    "b@x.example|a@x.example|" },
  { "To: djb fred\n", "To: djb@silverton.berkeley.edu, fred@silverton.berkeley.edu\n",
    "fred@silverton.berkeley.edu|djb@silverton.berkeley.edu|" },
  { "To: a@b.example c@d.example\n", "To: a@b.example, c@d.example\n",
    "c@d.example|a@b.example|" },
  { "To: Joe <joe@x.example> fred\n",
    "To: Joe <joe@x.example>, fred@silverton.berkeley.edu\n",
    "fred@silverton.berkeley.edu|joe@x.example|" },
  { "To: random group: g@h.example, i@j.example;, k@l.example\n",
    "To: random group: g@h.example, i@j.example;, k@l.example\n",
    "k@l.example|i@j.example|g@h.example|" },
  { "Cc: recipient list not shown: ;\n", "Cc: recipient list not shown: ;\n", "" },
  { "To: g: ;, a\n", "To: g: ;, a@silverton.berkeley.edu\n", "a@silverton.berkeley.edu|" },
  { "To:\n", "To:\n", "" },
  { "To:  a@b.example ,  ,c@d.example,\n", "To: a@b.example, , c@d.example,\n",
    "c@d.example|a@b.example|" },
  { "Resent-To : x@y.example\n", "Resent-To: x@y.example\n", "x@y.example|" },
  /* syntax errors */
  { "To: a;b;\n", "SYNTAX", 0 },
  { "To: a: b\n", "SYNTAX", 0 },
  { "To: a>\n", "SYNTAX", 0 },
  { "To: \"open\n", "SYNTAX", 0 },
  { "To: (open\n", "SYNTAX", 0 },
  { "To: [open\n", "SYNTAX", 0 },
  { "To: )\n", "SYNTAX", 0 },
  { "To: ]\n", "SYNTAX", 0 },
  /* folding at commas: a line holds what fits in 78 bytes */
  { "To: abcdefghij@example.com, abcdefghij@example.com, abcdefghij@example.com, "
    "abcdefghij@example.com, abcdefghij@example.com, abcdefghij@example.com, "
    "abcdefghij@example.com\n",
    "To: abcdefghij@example.com, abcdefghij@example.com, abcdefghij@example.com,\n"
    "  abcdefghij@example.com, abcdefghij@example.com, abcdefghij@example.com,\n"
    "  abcdefghij@example.com\n",
    "abcdefghij@example.com|abcdefghij@example.com|abcdefghij@example.com|"
    "abcdefghij@example.com|abcdefghij@example.com|abcdefghij@example.com|"
    "abcdefghij@example.com|" },
  /* 78 bytes joined: one line; 79: two */
  { "To: a@b.example, 012345678901234567890123456789012345678901234567890@c.example\n",
    "To: a@b.example, 012345678901234567890123456789012345678901234567890@c.example\n",
    "012345678901234567890123456789012345678901234567890@c.example|a@b.example|" },
  { "To: a@b.example, 0123456789012345678901234567890123456789012345678901@c.example\n",
    "To: a@b.example,\n  0123456789012345678901234567890123456789012345678901@c.example\n",
    "0123456789012345678901234567890123456789012345678901@c.example|a@b.example|" },
};

static void test_rewrite_table(void)
{
  size_t i;
  for (i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
    const char *got = rewrite(cases[i].in);
    if (strcmp(got, cases[i].out)) fprintf(stderr, "case %zu: got [%s]\n", i, got);
    CHECK_STR(got, cases[i].out);
    if (cases[i].addrs) {
      if (strcmp(seen.s, cases[i].addrs)) fprintf(stderr, "case %zu: addrs [%s]\n", i, seen.s);
      CHECK_STR(seen.s, cases[i].addrs);
    }
  }
}

/* Default host and domain that need completing themselves. */
static void test_defaults_completed(void)
{
  set_defaults("@local+", ".dom.example", ".plus.example");
  CHECK_STR(rewrite("To: x\n"), "To: x@local.plus.example\n");
  set_defaults("@local", ".dom.example", ".plus.example");
  CHECK_STR(rewrite("To: x\n"), "To: x@local.dom.example\n");
  CHECK_STR(rewrite("To: x@y+\n"), "To: x@y.plus.example\n");
  CHECK_STR(rewrite("To: x@+\n"), "To: x@.plus.example\n");
  set_defaults("@silverton", ".berkeley.edu", ".berkeley.edu");
}

static void test_keep_zero(void)
{
  token822_list in = TOKEN822_LIST_INIT, out = TOKEN822_LIST_INIT;
  str text = STR_INIT;
  const char *s = "a, b";
  seen.len = 0;
  CHECK(token822_parse(&in, &text, s, strlen(s)) == 1);
  CHECK(token822_addrlist(&out, &in, 0, collect, 0) == 1);
  CHECK(token822_unparse(&result, &out, 0) == 1);
  CHECK_STR(result.s, "a@silverton.berkeley.edu, b@silverton.berkeley.edu\n");
  token822_free(&in);
  token822_free(&out);
  str_free(&text);
}

static void test_tokens(void)
{
  token822_list t = TOKEN822_LIST_INIT;
  str text = STR_INIT;
  const char *s = "a\\ b \"q\\\"x\"[1.2\\]](c (d) e)<>@,;:.";
  static const enum token822_type want[] = {
    TOKEN822_ATOM, TOKEN822_QUOTE, TOKEN822_LITERAL, TOKEN822_COMMENT, TOKEN822_LEFT,
    TOKEN822_RIGHT, TOKEN822_AT, TOKEN822_COMMA, TOKEN822_SEMI, TOKEN822_COLON, TOKEN822_DOT
  };
  size_t i;

  CHECK(token822_parse(&t, &text, s, strlen(s)) == 1);
  CHECK(t.len == sizeof want / sizeof want[0]);
  for (i = 0; i < t.len && i < sizeof want / sizeof want[0]; ++i) CHECK(t.t[i].type == want[i]);
  CHECK_BYTES(t.t[0].s, t.t[0].len, "a b");
  CHECK_BYTES(t.t[1].s, t.t[1].len, "q\"x");
  CHECK_BYTES(t.t[2].s, t.t[2].len, "1.2]");
  CHECK_BYTES(t.t[3].s, t.t[3].len, "c d e");
  CHECK(token822_unparse(&result, &t, 0) == 1);
  CHECK_STR(result.s, "a b \"q\\\"x\" [1.2\\]] (c d e) <>@, ;: .\n");

  /* atoms may hold ) ] and bytes outside ASCII; a final lone \ is dropped */
  s = "x)y]\x80 z\\";
  CHECK(token822_parse(&t, &text, s, strlen(s)) == 1);
  CHECK(t.len == 2);
  CHECK_BYTES(t.t[0].s, t.t[0].len, "x)y]\x80");
  CHECK_BYTES(t.t[1].s, t.t[1].len, "z");
  CHECK(token822_unparse(&result, &t, 0) == 1);
  CHECK_STR(result.s, "x\\)y\\]\x80 z\n");

  /* white space of every kind separates; an empty input has no tokens */
  CHECK(token822_parse(&t, &text, " \t\r\n", 4) == 1);
  CHECK(t.len == 0);
  CHECK(token822_unparse(&result, &t, 80) == 1);
  CHECK_STR(result.s, "\n");

  /* NUL bytes are data */
  CHECK(token822_parse(&t, &text, "a\0b", 3) == 1);
  CHECK(t.len == 1 && t.t[0].len == 3);
  token822_free(&t);
  str_free(&text);
}

static void test_unparse_spacing(void)
{
  token822_list t = TOKEN822_LIST_INIT;
  str text = STR_INIT;
  const char *s = "g:a.b@c;,\"q\"<x@y>(z)[l](m)n";
  CHECK(token822_parse(&t, &text, s, strlen(s)) == 1);
  CHECK(token822_unparse(&result, &t, 0) == 1);
  CHECK_STR(result.s, "g: a.b@c;, \"q\" <x@y>(z) [l] (m) n\n");
  token822_free(&t);
  str_free(&text);
}

static void test_limits(void)
{
  token822_list t = TOKEN822_LIST_INIT;
  str text = STR_INIT;
  size_t n = TOKEN822_MAX + 1;
  char *big = malloc(n);
  CHECK(big != 0);
  if (!big) return;
  memset(big, 'a', n);
  errno = 0;
  CHECK(token822_parse(&t, &text, big, n) == -1 && errno == E2BIG);
  CHECK(token822_parse(&t, &text, big, n - 1) == 1);
  CHECK(t.len == 1 && t.t[0].len == n - 1);
  /* many short tokens */
  memset(big, ',', n - 1);
  CHECK(token822_parse(&t, &text, big, n - 1) == 1);
  CHECK(t.len == n - 1);
  free(big);
  token822_free(&t);
  str_free(&text);
}

static void test_quote(void)
{
  str q = STR_INIT;
  CHECK(token822_quote_need("", 0));
  CHECK(!token822_quote_need("a.b-c+d", 7));
  CHECK(token822_quote_need(".a", 2));
  CHECK(token822_quote_need("a.", 2));
  CHECK(token822_quote_need("a..b", 4));
  CHECK(token822_quote_need("a b", 3));
  CHECK(token822_quote_need("a\x80", 2));
  CHECK(!token822_quote_need("!#$%&'*+-/=?^_`{|}~", 19));

#define QA(in, want) (q.len = 0, CHECK(token822_quote_addr(&q, in) == 1), CHECK_BYTES(q.s, q.len, want))
  QA("user@host.example", "user@host.example");
  QA("a b@c", "\"a b\"@c");
  QA("a\"b\\c@d", "\"a\\\"b\\\\c\"@d");
  QA("x@y@z", "\"x@y\"@z");
  QA("noat", "noat");
  QA("no at", "\"no at\"");
  QA("@host", "\"\"@host");
  QA("", "");
#undef QA
  str_free(&q);
}

static void test_unquote(void)
{
  token822_list t = TOKEN822_LIST_INIT;
  str text = STR_INIT;
  const char *s = "\"a b\"(c).d@[1.2.3.4]";
  CHECK(token822_parse(&t, &text, s, strlen(s)) == 1);
  CHECK(token822_unquote(&result, &t) == 1);
  CHECK_STR(result.s, "a b.d@[1.2.3.4]");
  t.len = 0;
  CHECK(token822_unquote(&result, &t) == 1);
  CHECK_STR(result.s, "");
  token822_free(&t);
  str_free(&text);
}

static void test_headers(void)
{
#define V(s) header_valid(s, strlen(s))
#define K(s) header_known(s, strlen(s))
  CHECK(V("To: x\n"));
  CHECK(V("To : x\n"));
  CHECK(V("X-Any.thing_!: x\n"));
  CHECK(V("A:\n"));
  CHECK(!V(" To: x\n"));
  CHECK(!V(": x\n"));
  CHECK(!V("  : x\n"));
  CHECK(!V("No colon here\n"));
  CHECK(!V("Subject x: y\n"));
  CHECK(!V("X\001Y: z\n"));
  CHECK(!V("X\200Y: z\n"));
  CHECK(!V("\n"));
  CHECK(K("tO :x\n") == HEADER_TO);
  CHECK(K("CC: x\n") == HEADER_CC);
  CHECK(K("Message-Id: <x>\n") == HEADER_MESSAGEID);
  CHECK(K("Resent-Message-ID: <x>\n") == HEADER_R_MESSAGEID);
  CHECK(K("RESENT-BCC:\n") == HEADER_R_BCC);
  CHECK(K("Apparently-To: x\n") == HEADER_APPARENTLYTO);
  CHECK(K("Return-Path: <>\n") == HEADER_RETURNPATH);
  CHECK(K("Content-Length: 5\n") == HEADER_CONTENTLENGTH);
  CHECK(K("Mail-Followup-To: x\n") == HEADER_MAILFOLLOWUPTO);
  CHECK(K("Toy: x\n") == HEADER_OTHER);
  CHECK(K("T: x\n") == HEADER_OTHER);
  CHECK(K("To\n") == HEADER_OTHER);
  CHECK(K("MBOX-Line: From x\n") == HEADER_OTHER);
#undef V
#undef K
}

int main(void)
{
  set_defaults("@silverton", ".berkeley.edu", ".berkeley.edu");
  RUN(test_rewrite_table);
  RUN(test_defaults_completed);
  RUN(test_keep_zero);
  RUN(test_tokens);
  RUN(test_unparse_spacing);
  RUN(test_limits);
  RUN(test_quote);
  RUN(test_unquote);
  RUN(test_headers);
  token822_free(&host);
  token822_free(&domain);
  token822_free(&plus);
  str_free(&host_text);
  str_free(&domain_text);
  str_free(&plus_text);
  str_free(&seen);
  str_free(&result);
  return check_report();
}
