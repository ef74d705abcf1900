/* test_dnspacket.c: the DNS message builder and parser (dnspacket.h) on
 * hand-built messages: compression, pointer loops and pointers past the
 * end, truncated records, lying lengths and counts, MX answers of 5 KB
 * and 60 KB, CNAME chains, case-insensitive names; and the dotted-quad
 * helpers of dns.h. */
#include "check.h"
#include "dns.h"
#include "ipaddr.h"
#include "dnspacket.h"

/* A message under construction. */
static unsigned char pkt[70000];
static size_t plen;

static void u8(unsigned int v) { pkt[plen++] = (unsigned char)v; }
static void u16(unsigned int v) { u8(v >> 8); u8(v & 255); }
static void u32(unsigned long v) { u16((unsigned int)(v >> 16)); u16((unsigned int)(v & 65535)); }
static void bytes(const char *s, size_t n) { memcpy(pkt + plen, s, n); plen += n; }
/* Labels of a dotted name without the final 0 (for a pointer to follow). */
static void labels(const char *s)
{
  while (*s) {
    size_t n = strcspn(s, ".");
    u8((unsigned int)n);
    bytes(s, n);
    s += n;
    if (*s) ++s;
  }
}
static void name(const char *s) { labels(s); u8(0); }
static void ptr(size_t at) { u16(0xc000u | (unsigned int)at); }
static void header(unsigned int id, unsigned int flags, unsigned int qd, unsigned int an,
                   unsigned int ns, unsigned int ar)
{
  plen = 0;
  u16(id); u16(flags); u16(qd); u16(an); u16(ns); u16(ar);
}
/* The fixed fields of a record after its owner name. */
static void rrfix(unsigned int type, unsigned int rdlen)
{
  u16(type); u16(DNSP_C_IN); u32(3600); u16(rdlen);
}

static int wire(unsigned char out[DNSP_NAMEMAX], const char *s)
{
  return dnsp_name_fromtext(out, s, strlen(s)) == DNSP_OK;
}

/* Text form of a wire name, in a static buffer. */
static const char *text(const unsigned char *n)
{
  static str sa = STR_INIT;
  sa.len = 0;
  if (!dnsp_name_totext(&sa, n) || !str_putc(&sa, 0)) return "(nomem)";
  return sa.s;
}

static void test_names(void)
{
  unsigned char a[DNSP_NAMEMAX], b[DNSP_NAMEMAX];
  char big[600];

  CHECK(wire(a, "www.Example.COM"));
  CHECK(dnsp_name_len(a) == 17);
  CHECK(!memcmp(a, "\3www\7Example\3COM", 17));
  CHECK_STR(text(a), "www.Example.COM");
  CHECK(wire(b, "WWW.example.com."));
  CHECK(dnsp_name_equal(a, b));
  CHECK(wire(b, "www.example.co"));
  CHECK(!dnsp_name_equal(a, b));
  CHECK(wire(b, "www.example.comx"));
  CHECK(!dnsp_name_equal(a, b));
  /* The root. */
  CHECK(wire(a, "") && a[0] == 0 && dnsp_name_len(a) == 1);
  CHECK(wire(a, ".") && a[0] == 0);
  CHECK_STR(text(a), ".");
  /* Empty labels. */
  CHECK(!wire(a, "a..b"));
  CHECK(!wire(a, ".a"));
  CHECK(!wire(a, "a.."));
  /* Escapes both ways. */
  CHECK(wire(a, "a\\.b.c\\\\d.\\000\\255x"));
  CHECK(dnsp_name_len(a) == 13 && !memcmp(a, "\3a.b\3c\\d\3\0\377x", 13));
  CHECK_STR(text(a), "a\\.b.c\\\\d.\\000\\255x");
  CHECK(!wire(a, "a\\"));
  CHECK(!wire(a, "a\\25"));
  CHECK(!wire(a, "a\\256"));
  CHECK(!wire(a, "a\\2x5"));
  CHECK(wire(a, "sp ace.(x)"));
  CHECK_STR(text(a), "sp\\032ace.\\(x\\)");
  /* A label of 63 bytes fits, 64 does not. */
  memset(big, 'a', 64);
  big[64] = 0;
  CHECK(!wire(a, big));
  big[63] = 0;
  CHECK(wire(a, big));
  /* 255 bytes in wire form fit, 256 do not: "a.b.c..." of 127 one-byte
   * labels is 255 bytes; one more byte overflows. */
  for (size_t i = 0; i < 127; ++i) {
    big[2 * i] = 'x';
    big[2 * i + 1] = '.';
  }
  big[253] = 0;
  CHECK(wire(a, big) && dnsp_name_len(a) == 255);
  big[253] = 'y';
  big[254] = 0;
  CHECK(!wire(a, big));
}

static void test_query(void)
{
  str q = STR_INIT;
  unsigned char n[DNSP_NAMEMAX];
  static const unsigned char want[] = {
    0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
    3, 'f', 'o', 'o', 2, 'n', 'l', 0, 0, 15, 0, 1
  };
  static const unsigned char opt[] = { 0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0 };
  struct dnsp_msg m;

  CHECK(wire(n, "foo.nl"));
  CHECK(dnsp_query(&q, 0x1234, n, DNSP_T_MX, 0));
  CHECK(q.len == sizeof want && !memcmp(q.s, want, sizeof want));
  q.len = 0;
  CHECK(dnsp_query(&q, 0x1234, n, DNSP_T_MX, 4096));
  CHECK(q.len == sizeof want + sizeof opt);
  CHECK(!memcmp(q.s + sizeof want, opt, sizeof opt));
  CHECK(q.s[11] == 1);
  /* A query parses, question and OPT record both. */
  CHECK(dnsp_parse(&m, (unsigned char *)q.s, q.len) == DNSP_OK);
  CHECK(m.qtype == DNSP_T_MX && m.qclass == DNSP_C_IN && dnsp_name_equal(m.qname, n));
  CHECK(m.nrr == 1 && m.rr[0].type == DNSP_T_OPT && m.rr[0].class == 4096 &&
        m.rr[0].section == DNSP_S_ADDITIONAL);
  dnsp_free(&m);
  str_free(&q);
}

/* A reply to "Example.COM A" with two compressed A records. */
static void simple_a(void)
{
  header(7, 0x8180, 1, 2, 0, 0);
  name("Example.COM");
  u16(DNSP_T_A); u16(DNSP_C_IN);
  ptr(12); rrfix(DNSP_T_A, 4); u8(192); u8(0); u8(2); u8(1);
  ptr(12); rrfix(DNSP_T_A, 4); u8(192); u8(0); u8(2); u8(2);
}

/* A reply to "v6.example AAAA" with an AAAA record of 16 bytes, one of
 * 4 bytes (no address) and an A record (not found as AAAA). */
static void test_aaaa(void)
{
  static const unsigned char want[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x25 };
  struct dnsp_msg m;
  unsigned char ip[16];
  size_t i = 0;

  header(9, 0x8180, 1, 3, 0, 0);
  name("v6.example");
  u16(DNSP_T_AAAA); u16(DNSP_C_IN);
  ptr(12); rrfix(DNSP_T_AAAA, 16);
  for (int k = 0; k < 16; ++k) u8(want[k]);
  ptr(12); rrfix(DNSP_T_AAAA, 4); u32(0x01020304);
  ptr(12); rrfix(DNSP_T_A, 4); u32(0x01020304);
  CHECK(dnsp_parse(&m, pkt, plen) == DNSP_OK);
  CHECK(m.qtype == DNSP_T_AAAA && DNSP_T_AAAA == 28);
  CHECK(dnsp_find(&m, &i, m.qname, DNSP_T_AAAA) == 1 && i == 0);
  CHECK(dnsp_rr_aaaa(&m, &m.rr[i], ip) == DNSP_OK && !memcmp(ip, want, 16));
  ++i;
  CHECK(dnsp_find(&m, &i, m.qname, DNSP_T_AAAA) == 1 && i == 1);
  CHECK(dnsp_rr_aaaa(&m, &m.rr[i], ip) == DNSP_BAD);
  ++i;
  CHECK(dnsp_find(&m, &i, m.qname, DNSP_T_AAAA) == 0);
  CHECK(dnsp_rr_aaaa(&m, &m.rr[2], ip) == DNSP_BAD); /* an A is no AAAA */
  dnsp_free(&m);
}

static void test_simple(void)
{
  struct dnsp_msg m;
  struct dnsp_header h;
  unsigned char n[DNSP_NAMEMAX], ip[4];
  size_t i = 0;

  simple_a();
  CHECK(dnsp_header(pkt, 11, &h) == DNSP_BAD);
  CHECK(dnsp_header(pkt, plen, &h) == DNSP_OK);
  CHECK(h.id == 7 && h.flags == 0x8180 && h.qdcount == 1 && h.ancount == 2);
  CHECK(dnsp_parse(&m, pkt, plen) == DNSP_OK);
  CHECK(m.nrr == 2 && m.rr[0].ttl == 3600 && m.rr[1].section == DNSP_S_ANSWER);
  CHECK_STR(text(m.qname), "Example.COM");
  CHECK(wire(n, "example.com"));
  CHECK(dnsp_find(&m, &i, n, DNSP_T_A) == 1 && i == 0);
  CHECK(dnsp_rr_a(&m, &m.rr[i], ip) == DNSP_OK && !memcmp(ip, "\300\0\2\1", 4));
  ++i;
  CHECK(dnsp_find(&m, &i, n, DNSP_T_A) == 1 && i == 1);
  CHECK(dnsp_rr_a(&m, &m.rr[i], ip) == DNSP_OK && !memcmp(ip, "\300\0\2\2", 4));
  ++i;
  CHECK(dnsp_find(&m, &i, n, DNSP_T_A) == 0);
  i = 0;
  CHECK(dnsp_find(&m, &i, n, DNSP_T_MX) == 0);
  CHECK(wire(n, "www.example.com"));
  i = 0;
  CHECK(dnsp_find(&m, &i, n, DNSP_T_A) == 0);
  dnsp_free(&m);

  /* Every shorter cut of it is refused whole. */
  for (size_t cut = 0; cut < plen; ++cut) {
    int r = dnsp_parse(&m, pkt, cut);
    CHECK(r == DNSP_BAD);
    if (r == DNSP_OK) dnsp_free(&m);
  }
  /* Bytes after the last record are ignored. */
  pkt[plen] = 0xff;
  CHECK(dnsp_parse(&m, pkt, plen + 1) == DNSP_OK && m.nrr == 2);
  dnsp_free(&m);
}

static int getname_at(size_t pos, unsigned char out[DNSP_NAMEMAX])
{
  return dnsp_getname(pkt, plen, &pos, out);
}

static void test_pointers(void)
{
  unsigned char n[DNSP_NAMEMAX];
  size_t pos;

  /* A chain of backward pointers: 12 "b.c", 17 "a" -> 12, 21 -> 17. */
  header(1, 0, 0, 0, 0, 0);
  name("b.c");             /* 12..16 */
  labels("a"); ptr(12);    /* 17..20 */
  ptr(17);                 /* 21..22 */
  pos = 21;
  CHECK(dnsp_getname(pkt, plen, &pos, n) == DNSP_OK && pos == 23);
  CHECK_STR(text(n), "a.b.c");
  pos = 17;
  CHECK(dnsp_getname(pkt, plen, &pos, n) == DNSP_OK && pos == 21);
  /* Cut inside the pointer. */
  pos = 21;
  CHECK(dnsp_getname(pkt, 22, &pos, n) == DNSP_BAD);
  CHECK(pos == 21);

  /* A pointer to itself, and one forward. */
  header(1, 0, 0, 0, 0, 0);
  ptr(12);
  CHECK(getname_at(12, n) == DNSP_BAD);
  header(1, 0, 0, 0, 0, 0);
  ptr(14); name("x");
  CHECK(getname_at(12, n) == DNSP_BAD);
  /* Pointers past the end of the message. */
  header(1, 0, 0, 0, 0, 0);
  name("x"); ptr(0x3fff);
  CHECK(getname_at(15, n) == DNSP_BAD);
  header(1, 0, 0, 0, 0, 0);
  name("x"); ptr(plen + 5);
  CHECK(getname_at(15, n) == DNSP_BAD);
  /* A loop through labels: 12 "a" then a pointer back to 12. It only
   * ever points backwards, but the name would never end. */
  header(1, 0, 0, 0, 0, 0);
  labels("a"); ptr(12);
  CHECK(getname_at(12, n) == DNSP_BAD);
  CHECK(getname_at(14, n) == DNSP_BAD);
  /* A long chain of pointers, each to the one before: 64 hops are
   * taken, 65 are not. */
  header(1, 0, 0, 0, 0, 0);
  name("x");                                       /* 12..14 */
  for (size_t k = 0; k < 70; ++k) ptr(k ? plen - 2 : 12);
  CHECK(getname_at(15 + 63 * 2, n) == DNSP_OK);
  CHECK_STR(text(n), "x");
  CHECK(getname_at(15 + 64 * 2, n) == DNSP_BAD);
  /* Label types 01 and 10 are refused. */
  header(1, 0, 0, 0, 0, 0);
  u8(0x41); u8(0);
  CHECK(getname_at(12, n) == DNSP_BAD);
  header(1, 0, 0, 0, 0, 0);
  u8(0x80); u8(0);
  CHECK(getname_at(12, n) == DNSP_BAD);
  /* A label running past the end; a name without its final 0. */
  header(1, 0, 0, 0, 0, 0);
  u8(10); bytes("abc", 3);
  CHECK(getname_at(12, n) == DNSP_BAD);
  header(1, 0, 0, 0, 0, 0);
  labels("abc");
  CHECK(getname_at(12, n) == DNSP_BAD);
  /* Names over 255 bytes, built with pointers to stay short: 4 labels
   * of 63 make 257 bytes with the final 0. */
  header(1, 0, 0, 0, 0, 0);
  {
    char l63[64];
    memset(l63, 'q', 63);
    l63[63] = 0;
    name(l63);                          /* 12 .. 76 */
    labels(l63); ptr(12);               /* 77 */
    labels(l63); ptr(77);               /* 143 */
    labels(l63); ptr(143);              /* 209: 4 labels, 257 bytes */
    CHECK(getname_at(143, n) == DNSP_OK && dnsp_name_len(n) == 193);
    CHECK(getname_at(209, n) == DNSP_BAD);
  }

  /* A question whose name points into the header. */
  header(1, 0x8100, 1, 0, 0, 0);
  ptr(2); u16(1); u16(1);
  {
    struct dnsp_msg m;
    CHECK(dnsp_parse(&m, pkt, plen) == DNSP_BAD); /* 0x81: no label type */
  }
}

static void test_lies(void)
{
  struct dnsp_msg m;
  unsigned char n[DNSP_NAMEMAX], ip[4];
  unsigned int pref;
  size_t i;

  /* rdlength beyond the end. */
  simple_a();
  pkt[plen - 5] = 5;
  CHECK(dnsp_parse(&m, pkt, plen) == DNSP_BAD);
  /* ... and a huge one. */
  pkt[plen - 6] = 0xff;
  CHECK(dnsp_parse(&m, pkt, plen) == DNSP_BAD);
  /* The first record's rdlength shorter or longer: the next record
   * would start inside the data or past it, and does not parse. */
  simple_a();
  pkt[40] = 3;
  CHECK(dnsp_parse(&m, pkt, plen) == DNSP_BAD);
  pkt[40] = 5;
  CHECK(dnsp_parse(&m, pkt, plen) == DNSP_BAD);
  /* An A record of 5 bytes frames fine, but is no address. */
  header(1, 0x8180, 1, 1, 0, 0);
  name("a.b"); u16(1); u16(1);
  ptr(12); rrfix(DNSP_T_A, 5); u32(0x01020304); u8(5);
  CHECK(dnsp_parse(&m, pkt, plen) == DNSP_OK);
  i = 0;
  CHECK(dnsp_find(&m, &i, m.qname, DNSP_T_A) == 1);
  CHECK(dnsp_rr_a(&m, &m.rr[i], ip) == DNSP_BAD);
  dnsp_free(&m);
  /* Counts far beyond what the message holds. */
  simple_a();
  pkt[6] = 0xff; pkt[7] = 0xff;
  CHECK(dnsp_parse(&m, pkt, plen) == DNSP_BAD);
  simple_a();
  pkt[4] = 0xff; pkt[5] = 0xff;
  CHECK(dnsp_parse(&m, pkt, plen) == DNSP_BAD);
  /* Fewer records claimed than sent: the rest is trailing bytes. */
  simple_a();
  pkt[7] = 1;
  CHECK(dnsp_parse(&m, pkt, plen) == DNSP_OK && m.nrr == 1);
  dnsp_free(&m);

  /* MX data whose name does not end where the data does. */
  header(1, 0x8180, 1, 3, 0, 0);
  name("m.x"); u16(DNSP_T_MX); u16(1);
  ptr(12); rrfix(DNSP_T_MX, 2 + 5); u16(10); labels("mx"); ptr(12);  /* short by 0: ok */
  ptr(12); rrfix(DNSP_T_MX, 2 + 6); u16(20); labels("mx"); ptr(12); u8(0);  /* 1 extra */
  ptr(12); rrfix(DNSP_T_MX, 2); u16(30);                          /* no name */
  CHECK(dnsp_parse(&m, pkt, plen) == DNSP_OK && m.nrr == 3);
  CHECK(dnsp_rr_mx(&m, &m.rr[0], &pref, n) == DNSP_OK && pref == 10);
  CHECK_STR(text(n), "mx.m.x");
  CHECK(dnsp_rr_mx(&m, &m.rr[1], &pref, n) == DNSP_BAD);
  CHECK(dnsp_rr_mx(&m, &m.rr[2], &pref, n) == DNSP_BAD);
  dnsp_free(&m);
  /* A CNAME whose name runs on into the next record. */
  header(1, 0x8180, 1, 2, 0, 0);
  name("c.x"); u16(DNSP_T_CNAME); u16(1);
  ptr(12); rrfix(DNSP_T_CNAME, 2); labels("t"); /* the 0 lies outside */
  u8(0); rrfix(DNSP_T_A, 4); u32(0);
  CHECK(dnsp_parse(&m, pkt, plen) == DNSP_OK);
  CHECK(dnsp_rr_name(&m, &m.rr[0], n) == DNSP_BAD);
  dnsp_free(&m);
  /* An empty CNAME. */
  header(1, 0x8180, 1, 1, 0, 0);
  name("c.x"); u16(DNSP_T_CNAME); u16(1);
  ptr(12); rrfix(DNSP_T_CNAME, 0);
  CHECK(dnsp_parse(&m, pkt, plen) == DNSP_OK);
  CHECK(dnsp_rr_name(&m, &m.rr[0], n) == DNSP_BAD);
  dnsp_free(&m);
}

/* An MX answer of n records, exchanger k named "mail-exchanger-K" under
 * the question's name, preferences 10 * (k % 4), with an A record per
 * exchanger in the additional section. */
static void big_mx(size_t n)
{
  header(99, 0x8180, 1, (unsigned int)n, 0, (unsigned int)n);
  name("Large-MX.Example.ORG");
  u16(DNSP_T_MX); u16(DNSP_C_IN);
  for (size_t k = 0; k < n; ++k) {
    char lab[32];
    int l = snprintf(lab, sizeof lab, "mail-exchanger-%zu", k);
    ptr(12); rrfix(DNSP_T_MX, 2 + 1 + (unsigned int)l + 2);
    u16((unsigned int)(10 * (k % 4)));
    u8((unsigned int)l); bytes(lab, (size_t)l); ptr(12);
  }
  for (size_t k = 0, at = 12 + 22 + 4; k < n; ++k) {
    /* The exchanger's name: a pointer into its MX record's data where a
     * pointer (14 bits) reaches it, else written out again. */
    char lab[32];
    int l = snprintf(lab, sizeof lab, "mail-exchanger-%zu", k);
    size_t target = at + 2 + 10 + 2;
    if (target <= 0x3fff) ptr(target);
    else {
      u8((unsigned int)l); bytes(lab, (size_t)l); ptr(12);
    }
    rrfix(DNSP_T_A, 4); u8(10); u8(0); u8((unsigned int)(k >> 8)); u8((unsigned int)(k & 255));
    at = target + 1 + (size_t)l + 2;
  }
}

static void test_big(void)
{
  struct dnsp_msg m;
  unsigned char n[DNSP_NAMEMAX], want[DNSP_NAMEMAX], ip[4];
  unsigned int pref;
  size_t i, count = 0;

  big_mx(100);
  CHECK(plen > 3000);
  CHECK(dnsp_parse(&m, pkt, plen) == DNSP_OK);
  CHECK(m.nrr == 200);
  CHECK(wire(n, "large-mx.example.org"));
  for (i = 0; dnsp_find(&m, &i, n, DNSP_T_MX); ++i) {
    char lab[48];
    snprintf(lab, sizeof lab, "mail-exchanger-%zu.large-mx.example.org", count);
    CHECK(dnsp_rr_mx(&m, &m.rr[i], &pref, n) == DNSP_OK);
    CHECK(pref == 10 * (count % 4));
    CHECK(wire(want, lab) && dnsp_name_equal(n, want));
    /* The glue: found by the exchanger's name, in the additional
     * section, so dnsp_find (answers only) does not see it. */
    CHECK(m.rr[100 + count].section == DNSP_S_ADDITIONAL);
    {
      size_t p = m.rr[100 + count].owner;
      unsigned char owner[DNSP_NAMEMAX];
      CHECK(dnsp_getname(m.buf, m.len, &p, owner) == DNSP_OK && dnsp_name_equal(owner, n));
      CHECK(dnsp_rr_a(&m, &m.rr[100 + count], ip) == DNSP_OK && ip[3] == count && ip[2] == 0);
    }
    ++count;
    CHECK(wire(n, "LARGE-mx.example.org"));
  }
  CHECK(count == 100);
  CHECK(dnsp_find(&m, &i, n, DNSP_T_A) == 0);
  dnsp_free(&m);

  /* The largest message there can be parses too. */
  big_mx(1000);
  CHECK(plen > 60000 && plen <= DNSP_MAXMSG);
  CHECK(dnsp_parse(&m, pkt, plen) == DNSP_OK && m.nrr == 2000);
  dnsp_free(&m);
}

/* An answer section of CNAMEs: name k is "hK.x", each an alias of the
 * next, the last one owning an A record; the question is "h0.x". */
static void chain(size_t n, int loop)
{
  header(5, 0x8180, 1, (unsigned int)n + 1, 0, 0);
  name("H0.X");
  u16(DNSP_T_A); u16(DNSP_C_IN);
  for (size_t k = 0; k < n; ++k) {
    char lab[16];
    int l = snprintf(lab, sizeof lab, "h%zu", k);
    int t = snprintf(lab + 8, 8, "h%zu", loop && k + 1 == n ? (size_t)0 : k + 1);
    u8((unsigned int)l); bytes(lab, (size_t)l); ptr(15);
    rrfix(DNSP_T_CNAME, (unsigned int)(1 + t + 2));
    u8((unsigned int)t); bytes(lab + 8, (size_t)t); ptr(15);
  }
  {
    char lab[16];
    int l = snprintf(lab, sizeof lab, "H%zu", n);
    u8((unsigned int)l); bytes(lab, (size_t)l); ptr(15);
    rrfix(DNSP_T_A, 4); u32(0x7f000001);
  }
}

static void test_chase(void)
{
  struct dnsp_msg m;
  unsigned char final[DNSP_NAMEMAX], want[DNSP_NAMEMAX];
  size_t hops = 99, i;

  chain(3, 0);
  CHECK(dnsp_parse(&m, pkt, plen) == DNSP_OK);
  CHECK(dnsp_chase(&m, m.qname, DNSP_T_A, final, &hops) == DNSP_OK && hops == 3);
  CHECK(wire(want, "h3.x") && dnsp_name_equal(final, want));
  i = 0;
  CHECK(dnsp_find(&m, &i, final, DNSP_T_A) == 1 && i == 3);
  /* Asking for the CNAME itself stops at once; so does a type no name
   * has, at the end of the chain. */
  CHECK(dnsp_chase(&m, m.qname, DNSP_T_CNAME, final, &hops) == DNSP_OK && hops == 0);
  CHECK(dnsp_chase(&m, m.qname, DNSP_T_MX, final, &hops) == DNSP_OK && hops == 3);
  /* From the middle of the chain, in other case. */
  CHECK(wire(want, "H2.X"));
  CHECK(dnsp_chase(&m, want, DNSP_T_A, final, &hops) == DNSP_OK && hops == 1);
  dnsp_free(&m);

  /* The longest chain allowed, and one longer. */
  chain(DNSP_MAXCHAIN, 0);
  CHECK(dnsp_parse(&m, pkt, plen) == DNSP_OK);
  CHECK(dnsp_chase(&m, m.qname, DNSP_T_A, final, &hops) == DNSP_OK && hops == DNSP_MAXCHAIN);
  dnsp_free(&m);
  chain(DNSP_MAXCHAIN + 1, 0);
  CHECK(dnsp_parse(&m, pkt, plen) == DNSP_OK);
  CHECK(dnsp_chase(&m, m.qname, DNSP_T_A, final, &hops) == DNSP_LOOP);
  dnsp_free(&m);
  /* A loop h0 -> h1 -> h2 -> h0. */
  chain(3, 1);
  CHECK(dnsp_parse(&m, pkt, plen) == DNSP_OK);
  CHECK(dnsp_chase(&m, m.qname, DNSP_T_A, final, &hops) == DNSP_LOOP);
  dnsp_free(&m);
  /* A broken CNAME in the chain. */
  chain(2, 0);
  /* h0's CNAME data starts at 37 (question 12..21, owner "h0" and a
   * pointer, fixed fields): make its label 9 bytes long. */
  pkt[37] = 9;
  CHECK(dnsp_parse(&m, pkt, plen) == DNSP_OK);
  CHECK(dnsp_chase(&m, m.qname, DNSP_T_A, final, &hops) == DNSP_BAD);
  dnsp_free(&m);
}

/* Records outside the answer section or class IN are not answers. */
static void test_sections(void)
{
  struct dnsp_msg m;
  size_t i = 0;

  header(1, 0x8180, 1, 1, 1, 1);
  name("a.b"); u16(1); u16(1);
  ptr(12); u16(DNSP_T_A); u16(3); u32(0); u16(4); u32(1); /* class CH */
  ptr(12); rrfix(DNSP_T_A, 4); u32(2);                    /* authority */
  ptr(12); rrfix(DNSP_T_A, 4); u32(3);                    /* additional */
  CHECK(dnsp_parse(&m, pkt, plen) == DNSP_OK && m.nrr == 3);
  CHECK(m.rr[0].section == DNSP_S_ANSWER && m.rr[1].section == DNSP_S_AUTHORITY &&
        m.rr[2].section == DNSP_S_ADDITIONAL);
  CHECK(dnsp_find(&m, &i, m.qname, DNSP_T_A) == 0);
  dnsp_free(&m);
}

static void test_ipquad(void)
{
  unsigned char ip[4] = { 9, 9, 9, 9 };
  char buf[IP4_FMT];

  CHECK(ip4_scan("1.2.3.4", 7, ip) == 7 && !memcmp(ip, "\1\2\3\4", 4));
  CHECK(ip4_scan("255.0.10.200x", 13, ip) == 12 && !memcmp(ip, "\377\0\12\310", 4));
  CHECK(ip4_fmt(buf, ip) == 12 && !memcmp(buf, "255.0.10.200", 12));
  CHECK(ip4_scan("1.2.3", 5, ip) == 0);
  CHECK(ip4_scan("1.2.3.256", 9, ip) == 0);
  CHECK(ip4_scan("1.2.3.0004", 10, ip) == 0);
  CHECK(ip4_scan("1..3.4", 6, ip) == 0);
  CHECK(ip4_scan("", 0, ip) == 0);
  /* Read as far as it goes, as qmail's ip_scan. */
  memset(ip, 0, 4);
  CHECK(ip4_scan("7.8.x", 5, ip) == 0 && !memcmp(ip, "\7\10\0\0", 4));
  /* The length bounds the scan. */
  CHECK(ip4_scan("1.2.3.45", 7, ip) == 7 && ip[3] == 4);
}

int main(void)
{
  RUN(test_names);
  RUN(test_query);
  RUN(test_simple);
  RUN(test_aaaa);
  RUN(test_pointers);
  RUN(test_lies);
  RUN(test_big);
  RUN(test_chase);
  RUN(test_sections);
  RUN(test_ipquad);
  return check_report();
}
