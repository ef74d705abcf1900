/* test_routes.c: unit tests for routes.h, the smtproutes lookup: exact
 * domain first (ASCII case ignored), then the longest ".suffix", then the
 * empty domain; the last of equal lines wins; comments, lines without a
 * colon, trailing white space, a missing final newline, and the line
 * length limit. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "control.h"
#include "routes.h"

/* The relay routes_find gives host in text, "-" for none, "!" for -1. */
static const char *route(const char *text, const char *host)
{
  static char buf[256];
  const char *relay;
  size_t len;
  int r = routes_find(text, strlen(text), host, strlen(host), &relay, &len);
  if (r == -1) return "!";
  if (r == 0) return "-";
  if (len >= sizeof buf) return "(too long)";
  memcpy(buf, relay, len);
  buf[len] = 0;
  return buf;
}

static void test_ranks(void)
{
  const char *t =
      "# comment:not a route\n"
      "EXAMPLE.com:[10.0.0.1]:2525\n"
      ".sub.example.org:relay.sub\n"
      ".example.org:relay.org\n"
      "plain.example:\n"
      "no colon here\n"
      "dup.example:first\n"
      "dup.example:second \t\r\n"
      ":default\n";
  CHECK_STR(route(t, "example.COM"), "[10.0.0.1]:2525");
  CHECK_STR(route(t, "mx.sub.example.org"), "relay.sub");
  CHECK_STR(route(t, "a.b.sub.example.org"), "relay.sub");
  CHECK_STR(route(t, "sub.example.org"), "relay.org"); /* not .sub.example.org itself */
  CHECK_STR(route(t, "example.org"), "default");
  CHECK_STR(route(t, "plain.example"), "");             /* found, empty: use DNS */
  CHECK_STR(route(t, "dup.example"), "second");
  CHECK_STR(route(t, "x.example.com"), "default");
  CHECK_STR(route(t, "# comment"), "default");          /* a comment is no line */
  CHECK_STR(route(t, "no colon here"), "default");
  CHECK_STR(route(t, ""), "default");
}

static void test_order_and_ends(void)
{
  /* an exact line beats a suffix line whatever the order; among suffix
   * lines the longer one wins; later equal lines win */
  CHECK_STR(route(".b.c:suffix\na.b.c:exact\n", "a.b.c"), "exact");
  CHECK_STR(route("a.b.c:exact\n.b.c:suffix\n", "a.b.c"), "exact");
  CHECK_STR(route(".c:short\n.b.c:long\n.c:short2\n", "a.b.c"), "long");
  CHECK_STR(route(":one\n:two", "x"), "two");            /* no final newline */
  CHECK_STR(route(":one\n:  \n", "x"), "");
  /* a trailing dot, a leading dot */
  CHECK_STR(route(".:dot\n:empty\n", "a.b."), "dot");
  CHECK_STR(route(".b:suf\n", ".b"), "suf");             /* .b is the host itself */
  CHECK_STR(route(".b:x\n", "a.b"), "x");
  CHECK_STR(route(".B:x\n", "A.b"), "x");
  /* a domain ends at the first colon: a host with one is never a domain */
  CHECK_STR(route("[IPv6:2001:db8::1]:a\n:b\n", "[IPv6:2001:db8::1]"), "b");
  CHECK_STR(route(".example:c\n", "x:y.example"), "c");
  CHECK_STR(route("y.example:d\n", "x:y.example"), "-");
  /* nothing applies */
  CHECK_STR(route("", "a.b"), "-");
  CHECK_STR(route("a.b:x\n", "b"), "-");
  CHECK_STR(route("b:x\n", "a.b"), "-");                 /* no dot: not a suffix */
  CHECK_STR(route("\n\n#:x\n", "a"), "-");
  /* a NUL is just a byte of its line */
  {
    static const char t[] = "a\0b:x\na:y\n";
    const char *relay;
    size_t len;
    CHECK(routes_find(t, sizeof t - 1, "a", 1, &relay, &len) == 1 && len == 1 && *relay == 'y');
  }
}

static void test_long_line(void)
{
  size_t n = CONTROL_LINE_MAX + 1;
  char *t = malloc(n + 8);
  const char *relay;
  size_t len;
  CHECK(t != 0);
  if (!t) return;
  memset(t, 'a', n);
  memcpy(t + n, "\n:x\n", 4);
  errno = 0;
  CHECK(routes_find(t, n + 4, "h", 1, &relay, &len) == -1 && errno == EFBIG);
  /* CONTROL_LINE_MAX bytes is still a line */
  t[0] = ':';
  CHECK(routes_find(t + 1, n + 3, "h", 1, &relay, &len) == 1 && len == 1 && *relay == 'x');
  CHECK(routes_find(t, n - 1, "h", 1, &relay, &len) == 1 && len == n - 2);
  free(t);
}

int main(void)
{
  RUN(test_ranks);
  RUN(test_order_and_ends);
  RUN(test_long_line);
  return check_report();
}
