/* fuzz_dnspacket.c: libFuzzer target for the DNS message parser
 * (dnspacket.h). The input is taken
 * 1. as a message: parsed whole; when it parses, every record's owner and
 *    data are read as the resolver would, answers found and CNAMEs
 *    chased for the question's name; and a name is expanded at every
 *    offset. Any result is fine as long as nothing reads out of range,
 *    hangs or leaks, and every name that comes out converts to text and
 *    back to the same name;
 *    Every AAAA record's address must survive RFC 5952 text and back;
 * 2. as a name in text form: if it converts, back and forth again;
 * 3. as IPv6 address text (ipaddr.h): what ip6_scan takes must come back
 *    the same through ip6_fmt, and the canonical text is a fixed point.
 * Build and run (not part of the Makefile):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc -o fuzz_dnspacket \
 *     tests/fuzz/fuzz_dnspacket.c src/dnspacket.c src/str.c src/num.c
 *   ./fuzz_dnspacket -max_len=65535 -max_total_time=60
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "dnspacket.h"
#include "ipaddr.h"
#include "fuzz_common.h"

static str text = STR_INIT;

/* A name must survive text form and back unchanged (case too). */
static void roundtrip(const unsigned char *name)
{
  unsigned char again[DNSP_NAMEMAX];
  size_t len = dnsp_name_len(name);

  if (len > DNSP_NAMEMAX) abort();
  text.len = 0;
  if (!dnsp_name_totext(&text, name)) return;
  if (dnsp_name_fromtext(again, text.s, text.len) != DNSP_OK) abort();
  if (dnsp_name_len(again) != len || memcmp(again, name, len)) abort();
}

/* An IPv6 address: its canonical text reads back to the same bytes and
 * is its own canonical text. */
static void ip6_roundtrip(const unsigned char ip[16])
{
  char t[IP6_FMT], t2[IP6_FMT];
  unsigned char back[16];
  size_t n = ip6_fmt(t, ip), n2;

  if (n >= IP6_FMT) abort();
  if (ip6_scan(t, n, back) != n || memcmp(back, ip, 16)) abort();
  n2 = ip6_fmt(t2, back);
  if (n2 != n || memcmp(t, t2, n)) abort();
}

static void records(const struct dnsp_msg *m)
{
  static const unsigned int types[] = { DNSP_T_A, DNSP_T_AAAA, DNSP_T_MX, DNSP_T_PTR, DNSP_T_CNAME };
  unsigned char name[DNSP_NAMEMAX], final[DNSP_NAMEMAX], ip[16];
  unsigned int pref;
  size_t hops;

  roundtrip(m->qname);
  for (size_t i = 0; i < m->nrr; ++i) {
    const struct dnsp_rr *rr = &m->rr[i];
    size_t p = rr->owner;
    if (rr->rdata > m->len || rr->rdlen > m->len - rr->rdata) abort();
    if (dnsp_getname(m->buf, m->len, &p, name) != DNSP_OK) abort();
    roundtrip(name);
    if (dnsp_rr_a(m, rr, ip) == DNSP_OK && rr->rdlen != 4) abort();
    if (dnsp_rr_aaaa(m, rr, ip) == DNSP_OK) {
      if (rr->rdlen != 16) abort();
      ip6_roundtrip(ip);
    }
    if (dnsp_rr_mx(m, rr, &pref, name) == DNSP_OK) roundtrip(name);
    if (dnsp_rr_name(m, rr, name) == DNSP_OK) roundtrip(name);
  }
  for (size_t t = 0; t < sizeof types / sizeof *types; ++t) {
    size_t count = 0;
    for (size_t i = 0; dnsp_find(m, &i, m->qname, types[t]); ++i)
      if (++count > m->nrr) abort();
    if (dnsp_chase(m, m->qname, types[t], final, &hops) == DNSP_OK) {
      if (hops > DNSP_MAXCHAIN) abort();
      roundtrip(final);
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct dnsp_msg m;
  unsigned char name[DNSP_NAMEMAX];

  if (size > DNSP_MAXMSG) return 0;
  if (dnsp_parse(&m, data, size) == DNSP_OK) {
    records(&m);
    dnsp_free(&m);
  }
  for (size_t pos = 0; pos < size && pos < 4096; ++pos) {
    size_t p = pos;
    if (dnsp_getname(data, size, &p, name) == DNSP_OK) {
      if (p <= pos || p > size) abort();
      roundtrip(name);
    }
  }
  if (dnsp_name_fromtext(name, (const char *)data, size) == DNSP_OK) roundtrip(name);
  {
    unsigned char ip[16];
    size_t used = ip6_scan((const char *)data, size, ip);
    if (used > size) abort();
    if (used) ip6_roundtrip(ip);
  }
  return 0;
}
