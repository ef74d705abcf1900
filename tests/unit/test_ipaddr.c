/* test_ipaddr.c: unit tests for ipaddr.c: dotted quads, IPv6 text in
 * RFC 5952's canonical form and RFC 4291's accepted forms, checked
 * against fixed cases and, for many random addresses, against the C
 * library's inet_ntop and inet_pton. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "ipaddr.h"

static void expect_fmt(const char *text, const char *want, int line)
{
  unsigned char ip[16];
  char buf[IPADDR_FMT];
  size_t n = ip6_scan(text, strlen(text), ip);
  check_one(n == strlen(text), text, __FILE__, line);
  n = ip6_fmt(buf, ip);
  check_one(n == strlen(want) && !memcmp(buf, want, n), want, __FILE__, line);
}
#define EXPECT_FMT(text, want) expect_fmt((text), (want), __LINE__)

static void expect_scan(const char *text, size_t used, int line)
{
  unsigned char ip[16];
  check_one(ip6_scan(text, strlen(text), ip) == used, text, __FILE__, line);
}
#define EXPECT_SCAN(text, used) expect_scan((text), (used), __LINE__)

static void test_canonical(void)
{
  /* RFC 5952's examples and rules */
  EXPECT_FMT("2001:db8:0:0:0:0:2:1", "2001:db8::2:1");
  EXPECT_FMT("2001:0db8:0000:0000:0000:0000:0002:0001", "2001:db8::2:1");
  EXPECT_FMT("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"); /* one zero group stays */
  EXPECT_FMT("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1");   /* the first of equal runs */
  EXPECT_FMT("2001:0:0:1:0:0:0:1", "2001:0:0:1::1");          /* the longest run */
  EXPECT_FMT("2001:DB8::ABCD", "2001:db8::abcd");
  EXPECT_FMT("::", "::");
  EXPECT_FMT("::1", "::1");
  EXPECT_FMT("1::", "1::");
  EXPECT_FMT("0:0:0:0:0:0:0:0", "::");
  EXPECT_FMT("fe80::1:2", "fe80::1:2");
  EXPECT_FMT("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8");
  EXPECT_FMT("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0");
  EXPECT_FMT("::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8");
  EXPECT_FMT("::ffff:192.0.2.1", "::ffff:192.0.2.1");         /* IPv4-mapped: dotted */
  EXPECT_FMT("::FFFF:c000:0201", "::ffff:192.0.2.1");
  EXPECT_FMT("64:ff9b::192.0.2.33", "64:ff9b::c000:221");
  EXPECT_FMT("::192.0.2.1", "::c000:201");
  EXPECT_FMT("1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304");
}

static void test_scan(void)
{
  unsigned char ip[16];
  EXPECT_SCAN("", 0);
  EXPECT_SCAN(":", 0);
  EXPECT_SCAN(":1::", 0);
  EXPECT_SCAN("1:2:3:4:5:6:7", 0);        /* too few groups */
  EXPECT_SCAN("1:2:3:4:5:6:7:8:9", 15);   /* the address, then more */
  EXPECT_SCAN("1:2:3:4:5:6:7:8]", 15);
  EXPECT_SCAN("1::2::3", 4);              /* a second "::" is not taken */
  EXPECT_SCAN("1:::2", 3);
  EXPECT_SCAN("12345::", 0);              /* five digits */
  EXPECT_SCAN("g::", 0);
  EXPECT_SCAN("::g", 2);
  EXPECT_SCAN("1:2:3:4:5:6:7:8:", 15);
  EXPECT_SCAN("::1.2.3", 3);              /* not a dotted quad: the group 1 */
  EXPECT_SCAN("::1.2.3.256", 3);
  EXPECT_SCAN("1:2:3:4:5:1.2.3.4", 0);    /* a quad needs the last two groups */
  EXPECT_SCAN("1:2:3:4:5:6:7:1.2.3.4", 15); /* eight groups, then ".2.3.4" */
  CHECK(ip6_scan("::1", 3, ip) == 3 && ip[15] == 1 && !ip[0]);
}

static void test_v4_and_literals(void)
{
  struct ipaddr a, b;
  char buf[IPADDR_FMT];
  unsigned char ip[4];

  CHECK(ip4_scan("192.0.2.1", 9, ip) == 9 && ip[0] == 192 && ip[3] == 1);
  CHECK(ip4_scan("192.0.2", 7, ip) == 0);
  CHECK(ip4_scan("1.2.3.4567", 10, ip) == 0);
  CHECK(ip4_scan("1.2.3.4x", 8, ip) == 7);
  CHECK_BYTES(buf, ip4_fmt(buf, ip), "1.2.3.4");

  CHECK(ipaddr_literal("[192.0.2.1]", 11, 0, &a) && a.family == IPADDR_V4);
  CHECK_BYTES(buf, ipaddr_fmt_tagged(buf, &a), "192.0.2.1");
  CHECK(!ipaddr_literal("[IPv6:2001:db8::1]", 18, 0, &a));
  CHECK(ipaddr_literal("[IPv6:2001:db8::1]", 18, 1, &a) && a.family == IPADDR_V6);
  CHECK(ipaddr_literal("[ipv6:2001:DB8::1]", 18, 1, &b) && ipaddr_equal(&a, &b));
  CHECK_BYTES(buf, ipaddr_fmt_tagged(buf, &a), "IPv6:2001:db8::1");
  CHECK_BYTES(buf, ipaddr_fmt(buf, &a), "2001:db8::1");
  CHECK(!ipaddr_literal("[2001:db8::1]", 13, 1, &a));
  CHECK(!ipaddr_literal("[IPv6:2001:db8::1", 17, 1, &a));
  CHECK(!ipaddr_literal("[IPv6:1.2.3.4]", 14, 1, &a));
  CHECK(!ipaddr_literal("[IPv6:]", 7, 1, &a));
  CHECK(!ipaddr_literal("[]", 2, 1, &a));
  CHECK(!ipaddr_literal("[1.2.3.4 ]", 10, 1, &a));

  CHECK(ipaddr_scan("10.0.0.1", 8, 1, &a) && a.family == IPADDR_V4);
  CHECK(ipaddr_scan("::1", 3, 1, &b) && b.family == IPADDR_V6 && !ipaddr_equal(&a, &b));
  CHECK(!ipaddr_scan("::1", 3, 0, &b));
  CHECK(!ipaddr_scan("::1 ", 4, 1, &b));
  CHECK(!ipaddr_scan("", 0, 1, &b));
  /* the longest tagged text fits */
  CHECK(ipaddr_literal("[IPv6:ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]", 46, 1, &a));
  CHECK(ipaddr_fmt_tagged(buf, &a) == 44 && 44 < IPADDR_FMT);
}

/* 1 if two runs of zero groups share the greatest length (2 or more):
 * RFC 5952 shortens the first, and not every C library does. */
static int tied_runs(const unsigned char ip[16])
{
  int best = 1, count = 0;
  for (int k = 0; k < 8;) {
    int run = 0;
    while (k + run < 8 && !ip[2 * (k + run)] && !ip[2 * (k + run) + 1]) ++run;
    if (run > best) {
      best = run;
      count = 1;
    } else if (run == best) {
      ++count;
    }
    k += run ? run : 1;
  }
  return count > 1;
}

/* Random addresses, many with runs of zero groups: our text is the C
 * library's (but for the deprecated IPv4-compatible ::d.d.d.d, which
 * RFC 5952 writes in hex and some libraries in dotted form, and for tied
 * runs of zeros), and each side reads the other's text back to the same
 * bytes. */
static void test_against_libc(void)
{
  unsigned long seed = 12345;
  unsigned long mismatches = 0, roundtrips = 0;

  for (int t = 0; t < 200000; ++t) {
    unsigned char ip[16], back[16];
    char ours[IPADDR_FMT], theirs[INET6_ADDRSTRLEN];
    size_t n;
    for (int k = 0; k < 8; ++k) {
      seed = seed * 6364136223846793005UL + 1442695040888963407UL;
      unsigned int v = (seed >> 33) % 5 < 3 ? 0 : (unsigned int)(seed >> 40);
      if ((seed >> 20) % 7 == 0) v &= 0xf;
      ip[2 * k] = (unsigned char)(v >> 8);
      ip[2 * k + 1] = (unsigned char)v;
    }
    if (t % 11 == 0) memcpy(ip, "\0\0\0\0\0\0\0\0\0\0\377\377", 12);
    n = ip6_fmt(ours, ip);
    ours[n] = 0;
    if (ip6_scan(ours, n, back) == n && !memcmp(back, ip, 16)) ++roundtrips;
    if (!inet_ntop(AF_INET6, ip, theirs, sizeof theirs)) continue;
    if (!memcmp(ip, "\0\0\0\0\0\0\0\0\0\0\0\0", 12)) continue;
    if (!tied_runs(ip) && strcmp(ours, theirs)) {
      if (++mismatches < 5) fprintf(stderr, "ours %s, libc %s\n", ours, theirs);
    }
    n = strlen(theirs);
    CHECK(ip6_scan(theirs, n, back) == n && !memcmp(back, ip, 16));
    CHECK(inet_pton(AF_INET6, ours, back) == 1 && !memcmp(back, ip, 16));
  }
  CHECK(mismatches == 0);
  CHECK(roundtrips == 200000);
}

int main(void)
{
  RUN(test_canonical);
  RUN(test_scan);
  RUN(test_v4_and_literals);
  RUN(test_against_libc);
  return check_report();
}
