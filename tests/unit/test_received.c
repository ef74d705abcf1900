/* test_received.c: unit tests for received.c: the Received line of the
 * network servers, with IPv4 and IPv6 peers and hostile values. */
#include <string.h>
#include "check.h"
#include "received.h"
#include "str.h"

static str line = STR_INIT;

#define WHEN 812090814 /* 26 Sep 1995 04:46:54 -0000 */

static void test_ipv4(void)
{
  CHECK(received_line(&line, "SMTP", "mx.example", "192.0.2.1", "client.example", 0, "helo.example",
                      WHEN));
  CHECK_BYTES(line.s, line.len, "Received: from client.example (HELO helo.example) (192.0.2.1)\n"
                                "  by mx.example with SMTP; 26 Sep 1995 04:46:54 -0000\n");
  CHECK(received_line(&line, "QMTP", "10.0.0.1", "192.0.2.1", "unknown", "joe", 0, WHEN));
  CHECK_BYTES(line.s, line.len, "Received: from unknown (joe@192.0.2.1)\n"
                                "  by 10.0.0.1 with QMTP; 26 Sep 1995 04:46:54 -0000\n");
}

/* IPv6 addresses as RFC 5321 writes them, canonical: "IPv6:..." */
static void test_ipv6(void)
{
  CHECK(received_line(&line, "SMTP", "::1", "2001:DB8:0:0::0001", "unknown", 0, 0, WHEN));
  CHECK_BYTES(line.s, line.len, "Received: from unknown (IPv6:2001:db8::1)\n"
                                "  by IPv6:::1 with SMTP; 26 Sep 1995 04:46:54 -0000\n");
  CHECK(received_line(&line, "SMTP", "mx.example", "::ffff:192.0.2.1", "h", "u", 0, WHEN));
  CHECK_BYTES(line.s, line.len, "Received: from h (u@IPv6:::ffff:192.0.2.1)\n"
                                "  by mx.example with SMTP; 26 Sep 1995 04:46:54 -0000\n");
}

/* Whatever is not an address keeps qmail's treatment: unsafe bytes '?'. */
static void test_unsafe(void)
{
  CHECK(received_line(&line, "SMTP", "mx\n.example", "::1 x", "a(b)", 0, "x\r\nTo: y", WHEN));
  CHECK_BYTES(line.s, line.len, "Received: from a?b? (HELO x??To:?y) (::1?x)\n"
                                "  by mx?.example with SMTP; 26 Sep 1995 04:46:54 -0000\n");
}

int main(void)
{
  RUN(test_ipv4);
  RUN(test_ipv6);
  RUN(test_unsafe);
  str_free(&line);
  return check_report();
}
