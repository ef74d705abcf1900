/* fuzz_netstring.c: libFuzzer target for netstrings (netstring.h). The
 * input is taken (as it is, and again with bytes 0xf0 and up standing for
 * pieces such as "18446744073709551616" or "0:,")
 * 1. as a stream of netstrings, read one after another with a length cap
 *    drawn from the input (SIZE_MAX, around the input's size, a power of
 *    ten or one less), fed whole, a byte at a time and in pieces cut at
 *    points drawn from the input (empty feeds too). Invariants (abort()
 *    if not): every cutting and a model of the strict format (digits
 *    without a leading zero, the cap checked before each digit, ':',
 *    exactly that many bytes, ',') agree on each result, where it comes
 *    (SYNTAX and TOOBIG at the offending byte, HEADER just after the ':',
 *    DONE just after the ','), the declared length and the payload bytes;
 *    DATA gives at least one byte and never more than is left; a reader
 *    is idle only before its first byte; after DONE or an error every
 *    call answers the same and takes nothing;
 * 2. as a payload: netstring_cat writes header, payload and ',', the
 *    header as netstring_fmthead says (digits and ':', at most
 *    NETSTRING_HEADMAX bytes), and reading it back, also nested in a
 *    second netstring whose payload is fed to the inner reader piece by
 *    piece, gives the payload and DONE exactly at the end.
 * Build: make B=build-fuzz fuzz (see the Makefile); by hand:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc -o fuzz_netstring \
 *     tests/fuzz/fuzz_netstring.c src/netstring.c src/str.c src/num.c
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "netstring.h"
#include "fuzz_common.h"

/* ---- the model: one netstring at in[0..n) ---- */

struct one {
  int result;   /* NETSTRING_MORE (input ran out), _DONE, _SYNTAX, _TOOBIG */
  size_t used;  /* bytes taken in all */
  int header;   /* the ':' was reached */
  size_t len;   /* the declared length, if header */
  size_t data;  /* payload offset, if header */
};

static void model(const uint8_t *in, size_t n, size_t max, struct one *o)
{
  unsigned __int128 v = 0;
  size_t i;

  o->header = 0;
  for (i = 0; i < n; ++i) {
    if (in[i] == ':' && i > 0) break;
    if (in[i] < '0' || in[i] > '9' || (i > 0 && in[0] == '0')) {
      o->result = NETSTRING_SYNTAX;
      o->used = i;
      return;
    }
    if (v * 10 + (unsigned)(in[i] - '0') > max) {
      o->result = NETSTRING_TOOBIG;
      o->used = i;
      return;
    }
    v = v * 10 + (unsigned)(in[i] - '0');
  }
  if (i == n) {
    o->result = NETSTRING_MORE;
    o->used = n;
    return;
  }
  o->header = 1;
  o->len = (size_t)v;
  o->data = i + 1;
  if (n - o->data <= o->len) {
    o->result = NETSTRING_MORE;
    o->used = n;
  } else if (in[o->data + o->len] == ',') {
    o->result = NETSTRING_DONE;
    o->used = o->data + o->len + 1;
  } else {
    o->result = NETSTRING_SYNTAX;
    o->used = o->data + o->len;
  }
}

/* ---- the reader, fed in pieces ---- */

static void stream(const uint8_t *in, size_t n, size_t max, enum feed_mode mode, uint64_t seed)
{
  struct feeder f;
  size_t pos = 0;

  feeder_init(&f, mode, seed, 4096);
  while (pos < n) {
    struct netstring ns;
    struct one want;
    size_t start = pos, got = 0; /* payload bytes seen */
    int res = NETSTRING_MORE, header = 0;

    model(in + start, n - start, max, &want);
    netstring_init(&ns, max);
    if (!netstring_idle(&ns)) abort();
    while (pos < n) {
      size_t len = feeder_next(&f, n - pos);
      size_t used = (size_t)-1, left = ns.left;
      int was_data = header && ns.left > 0;

      res = netstring_feed(&ns, (const char *)in + pos, len, &used);
      if (used > len) abort();
      switch (res) {
      case NETSTRING_MORE:
        if (used != len) abort();
        break;
      case NETSTRING_HEADER:
        if (header || !used || in[pos + used - 1] != ':') abort();
        if (!want.header || pos + used != start + want.data || ns.len != want.len) abort();
        header = 1;
        break;
      case NETSTRING_DATA:
        if (!was_data || !used || used > left || ns.left != left - used) abort();
        if (memcmp(in + pos, in + start + want.data + got, used)) abort();
        got += used;
        break;
      case NETSTRING_DONE:
        if (!used || in[pos + used - 1] != ',') abort();
        break;
      case NETSTRING_SYNTAX:
      case NETSTRING_TOOBIG:
        break;
      default:
        abort();
      }
      pos += used;
      if (used && netstring_idle(&ns)) abort();
      if (res == NETSTRING_MORE && !used && !len && pos == start && !netstring_idle(&ns)) abort();
      if (res == NETSTRING_DONE || res == NETSTRING_SYNTAX || res == NETSTRING_TOOBIG) break;
    }
    if (res == NETSTRING_HEADER || res == NETSTRING_DATA) res = NETSTRING_MORE; /* ran out */
    if (res != want.result || pos - start != want.used || header != want.header) abort();
    if (header) { /* all the payload there was */
      size_t have = n - start - want.data;
      if (got != (have < want.len ? have : want.len)) abort();
    }
    if (res == NETSTRING_MORE) return;
    /* Ended: it stays so. */
    for (int k = 0; k < 2; ++k) {
      size_t used = (size_t)-1;
      if (netstring_feed(&ns, (const char *)in + pos, n - pos, &used) != res || used) abort();
    }
    if (res != NETSTRING_DONE) return;
  }
}

/* ---- writing ---- */

static void read_back(const str *s, const uint8_t *payload, size_t plen, int nested)
{
  struct netstring outer, inner;
  size_t pos = 0, got = 0;
  int done = 0, idone = 0;

  netstring_init(&outer, s->len);
  netstring_init(&inner, s->len);
  while (pos < s->len) {
    size_t used;
    int r = netstring_feed(&outer, s->s + pos, s->len - pos, &used);
    if (r == NETSTRING_DATA && nested) {
      /* The outer payload is the inner netstring. */
      size_t ipos = 0;
      while (ipos < used) {
        size_t iused;
        int ir = netstring_feed(&inner, s->s + pos + ipos, used - ipos, &iused);
        if (ir == NETSTRING_DATA) {
          if (got + iused > plen || memcmp(s->s + pos + ipos, payload + got, iused)) abort();
          got += iused;
        } else if (ir == NETSTRING_DONE) {
          idone = 1;
        } else if (ir != NETSTRING_HEADER && ir != NETSTRING_MORE) {
          abort();
        }
        ipos += iused;
        if (ir == NETSTRING_DONE && ipos != used) abort();
      }
    } else if (r == NETSTRING_DATA) {
      if (got + used > plen || memcmp(s->s + pos, payload + got, used)) abort();
      got += used;
    } else if (r == NETSTRING_DONE) {
      done = 1;
    } else if (r != NETSTRING_HEADER) {
      abort();
    }
    pos += used;
    if (done && pos != s->len) abort();
  }
  if (!done || got != plen || (nested && !idone)) abort();
}

static void writing(const uint8_t *in, size_t n)
{
  static str one = STR_INIT, two = STR_INIT, cs = STR_INIT;
  char head[NETSTRING_HEADMAX];
  size_t hlen = netstring_fmthead(head, n);
  char *z;

  if (hlen != netstring_fmthead(0, n) || hlen > NETSTRING_HEADMAX || hlen < 2) abort();
  if (head[hlen - 1] != ':') abort();
  for (size_t i = 0; i + 1 < hlen; ++i)
    if (head[i] < '0' || head[i] > '9' || (i == 0 && head[0] == '0' && hlen > 2)) abort();

  one.len = 0;
  if (!netstring_cat(&one, in, n)) abort();
  if (one.len != hlen + n + 1 || memcmp(one.s, head, hlen) || (n && memcmp(one.s + hlen, in, n)) ||
      one.s[one.len - 1] != ',')
    abort();
  read_back(&one, in, n, 0);
  two.len = 0;
  if (!netstring_cat(&two, one.s, one.len)) abort();
  read_back(&two, in, n, 1);

  /* A C string: up to its NUL. */
  z = malloc(n + 1);
  if (!z) abort();
  if (n) memcpy(z, in, n);
  z[n] = 0;
  cs.len = 0;
  if (!netstring_cats(&cs, z)) abort();
  read_back(&cs, in, strlen(z), 0);
  free(z);
}

static void check(const uint8_t *data, size_t size)
{
  uint64_t seed = hash_bytes(data, size, 0);
  size_t max;

  switch (seed % 4) {
  case 0: max = SIZE_MAX; break;
  case 1: max = (size_t)(seed >> 8) % (size + 2); break;
  case 2: {
    size_t p = 1;
    for (unsigned k = (unsigned)(seed >> 8) % 20; k; --k) p *= 10;
    max = p - (seed >> 40) % 2;
    break;
  }
  default: max = SIZE_MAX / 10 + (size_t)(seed >> 8) % 21 - 10; break;
  }
  for (enum feed_mode mode = FEED_WHOLE; mode < FEED_MODES; ++mode) stream(data, size, max, mode, seed);
  writing(data, size);
}

/* Words that matter here, so that the fuzzer need not guess them: the
 * input is checked as it is, and again with each byte from 0xf0 up
 * replaced by one of these. */
static const char *const words[16] = {
  "18446744073709551615", "18446744073709551616", "1844674407370955161", "0:,",
  "5:hello,", "1:", ":", ",",
  "10:", "00:", "3:abc", "99999999999999999999",
  "1844674407370955162", "12:hello world!,", "0", "01:"
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  check_as_is_and_with_words(data, size, words, SIZE_MAX, check);
  return 0;
}
