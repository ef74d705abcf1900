/* fuzz_smtpdata.c: libFuzzer target for the SMTP DATA reader (smtpdata.h).
 * The input is what a client sends after "354" (as it is, and again with
 * bytes 0xf0 and up standing for words such as "Received:" or
 * "\r\n.\r\n"), fed whole, a byte at a time and in pieces cut at points
 * drawn from the input (empty feeds too).
 * Invariants (abort() if not):
 *  - every way of cutting gives the same result, the same bytes taken,
 *    the same message, hop count and byte count;
 *  - a feed never takes more than it was given, takes all of it when it
 *    answers SMTPDATA_MORE, and ends on an LF otherwise;
 *  - the end is found exactly at the first CR LF "." CR LF (the start
 *    counting as after CR LF), never before it, and a bare LF exactly at
 *    the first LF not preceded by CR, as a byte-by-byte model of the rules
 *    says; the message stored is the model's, byte for byte (for a message
 *    not yet ended: a prefix of it, at most 3 bytes behind);
 *  - the hop count is the model's (header lines up to the first empty
 *    one, starting with Received or Delivered in any case);
 *  - byte counts: bytes is the number of bytes stored and only grows;
 *    with a databytes limit, toobig is set exactly when bytes passes it
 *    and the sink then got a prefix of the message no longer than the
 *    limit; started near ULLONG_MAX (and hops near ULONG_MAX) the counts
 *    saturate instead of wrapping.
 * Build: make B=build-fuzz fuzz (see the Makefile); by hand:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc -o fuzz_smtpdata \
 *     tests/fuzz/fuzz_smtpdata.c src/smtpdata.c
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "smtpdata.h"
#include "fuzz_common.h"

static int is_prefix(const struct bytebuf *a, const struct bytebuf *b)
{
  return a->len <= b->len && (!a->len || !memcmp(a->s, b->s, a->len));
}

/* ---- the reader, fed in pieces ---- */

struct run {
  struct bytebuf out;
  int result;
  size_t used;
  struct smtpdata d;
};

struct sinkstate {
  struct bytebuf *out;
  const struct smtpdata *d;
  int closed; /* toobig was seen: nothing more may come */
};

static void sink(void *arg, const char *p, size_t n)
{
  struct sinkstate *s = arg;
  if (!n || s->closed || s->d->toobig) abort();
  bytebuf_put(s->out, p, n);
}

static void run(const uint8_t *in, size_t n, enum feed_mode mode, uint64_t seed,
                unsigned long long limit, unsigned long long bytes0, unsigned long hops0,
                struct run *r)
{
  struct sinkstate ss;
  struct feeder f;
  size_t pos = 0;

  feeder_init(&f, mode, seed, 4096);
  r->out.len = 0;
  ss.out = &r->out;
  ss.d = &r->d;
  ss.closed = 0;
  smtpdata_init(&r->d, limit, sink, &ss);
  r->d.bytes = bytes0; /* the counters start where the caller says */
  r->d.hops = hops0;
  r->result = SMTPDATA_MORE;
  while (pos < n) {
    size_t len = feeder_next(&f, n - pos);
    unsigned long long before = r->d.bytes;
    unsigned long hbefore = r->d.hops;
    size_t outbefore = r->out.len, used = (size_t)-1;
    int res = smtpdata_feed(&r->d, (const char *)in + pos, len, &used);

    if (used > len) abort();
    if (res == SMTPDATA_MORE && used != len) abort();
    if (res != SMTPDATA_MORE && (res != SMTPDATA_END && res != SMTPDATA_BARELF)) abort();
    if (res != SMTPDATA_MORE && (!used || in[pos + used - 1] != '\n')) abort();
    /* Counts only grow, by what went to the sink (unless saturated). */
    if (r->d.bytes < before || r->d.hops < hbefore) abort();
    if (!r->d.toobig && before != ULLONG_MAX && r->d.bytes != ULLONG_MAX &&
        r->d.bytes - before != r->out.len - outbefore)
      abort();
    if (r->d.toobig) ss.closed = 1;
    pos += used;
    r->result = res;
    if (res != SMTPDATA_MORE) break;
  }
  r->used = pos;
}

/* ---- the model ---- */

/* Where the data stops: the first LF that is bare or ends CR LF "." CR
 * LF. Returns the result; *stop is the bytes taken. */
static int model_stop(const uint8_t *in, size_t n, size_t *stop)
{
  for (size_t i = 0; i < n; ++i) {
    if (in[i] != '\n') continue;
    *stop = i + 1;
    if (i == 0 || in[i - 1] != '\r') return SMTPDATA_BARELF;
    if (i >= 2 && in[i - 2] == '.' && (i == 2 || in[i - 3] == '\n')) return SMTPDATA_END;
  }
  *stop = n;
  return SMTPDATA_MORE;
}

/* The message stored for msg (the data before the terminator: lines
 * ending in CR LF, no bare LF): a leading dot dropped unless a CR follows
 * it, CR LF turned into LF, any other CR kept. */
static void model_message(const uint8_t *msg, size_t n, struct bytebuf *out)
{
  out->len = 0;
  for (size_t i = 0; i < n; ++i) {
    int bol = i == 0 || msg[i - 1] == '\n';
    if (bol && msg[i] == '.' && !(i + 1 < n && msg[i + 1] == '\r')) continue;
    if (msg[i] == '\r' && i + 1 < n && msg[i + 1] == '\n') continue;
    bytebuf_put(out, &msg[i], 1);
  }
}

static int starts_nocase(const uint8_t *s, size_t n, const char *word)
{
  size_t w = strlen(word);
  if (n < w) return 0;
  for (size_t i = 0; i < w; ++i)
    if (ascii_lower((char)s[i]) != word[i]) return 0;
  return 1;
}

static unsigned long model_hops(const uint8_t *in, size_t n)
{
  unsigned long hops = 0;
  size_t start = 0;
  while (start < n) {
    const uint8_t *lf = memchr(in + start, '\n', n - start);
    size_t end = lf ? (size_t)(lf - in) + 1 : n;
    if (starts_nocase(in + start, end - start, "received") ||
        starts_nocase(in + start, end - start, "delivered"))
      ++hops;
    if (end - start >= 2 && in[start] == '\r' && in[start + 1] == '\n') break; /* the empty line */
    start = end;
  }
  return hops;
}

/* ---- the test ---- */

static void check(const uint8_t *data, size_t size)
{
  static struct run r[FEED_MODES], lim, sat;
  static struct bytebuf expect, tmp;
  uint64_t seed = hash_bytes(data, size, 0);
  size_t stop;
  int result = model_stop(data, size, &stop);
  unsigned long hops;

  for (enum feed_mode mode = FEED_WHOLE; mode < FEED_MODES; ++mode)
    run(data, size, mode, seed, 0, 0, 0, &r[mode]);
  for (enum feed_mode mode = FEED_BYTES; mode < FEED_MODES; ++mode) {
    if (r[mode].result != r[FEED_WHOLE].result || r[mode].used != r[FEED_WHOLE].used) abort();
    if (!bytebuf_same(&r[mode].out, &r[FEED_WHOLE].out)) abort();
    if (r[mode].d.hops != r[FEED_WHOLE].d.hops || r[mode].d.bytes != r[FEED_WHOLE].d.bytes) abort();
    if (r[mode].d.toobig) abort();
  }

  /* Against the model. */
  if (r[FEED_WHOLE].result != result || r[FEED_WHOLE].used != stop) abort();
  /* Plainly: no message end among the bytes taken but at their end. */
  {
    size_t end = first_dot_line((const char *)data, stop);
    if (end != stop && (end + 3 != stop || result != SMTPDATA_END)) abort();
  }
  if (result == SMTPDATA_END) {
    model_message(data, stop - 3, &expect);
    if (!bytebuf_same(&r[FEED_WHOLE].out, &expect)) abort();
  } else {
    /* Not ended: what was stored leads what the rest could still make. */
    size_t keep = result == SMTPDATA_BARELF ? stop - 1 : stop, estop;
    tmp.len = 0;
    bytebuf_put(&tmp, data, keep);
    bytebuf_put(&tmp, "\r\n.\r\n", 5);
    if (model_stop((const uint8_t *)tmp.s, tmp.len, &estop) != SMTPDATA_END) abort();
    model_message((const uint8_t *)tmp.s, estop - 3, &expect);
    if (!is_prefix(&r[FEED_WHOLE].out, &expect) || expect.len - r[FEED_WHOLE].out.len > 3) abort();
  }
  hops = model_hops(data, stop);
  if (r[FEED_WHOLE].d.hops != hops) abort();
  if (smtpdata_looping(&r[FEED_WHOLE].d) != (hops >= SMTPDATA_MAXHOPS)) abort();
  if (r[FEED_WHOLE].d.bytes != r[FEED_WHOLE].out.len) abort();

  /* A databytes limit somewhere in the message (or past it). */
  {
    unsigned long long limit = 1 + seed % (r[FEED_WHOLE].out.len + 2);
    run(data, size, FEED_CUTS, seed >> 1, limit, 0, 0, &lim);
    if (lim.result != r[FEED_WHOLE].result || lim.used != r[FEED_WHOLE].used) abort();
    if (lim.d.bytes != r[FEED_WHOLE].d.bytes || lim.d.hops != r[FEED_WHOLE].d.hops) abort();
    if (lim.d.toobig != (lim.d.bytes > limit)) abort();
    if (!is_prefix(&lim.out, &r[FEED_WHOLE].out) || lim.out.len > limit) abort();
    if (!lim.d.toobig && !bytebuf_same(&lim.out, &r[FEED_WHOLE].out)) abort();
  }

  /* Counters started near their maximum saturate, never wrap. */
  {
    unsigned long long b = r[FEED_WHOLE].d.bytes, k = (seed >> 3) % (2 * b + 2);
    unsigned long h = r[FEED_WHOLE].d.hops, j = (unsigned long)((seed >> 17) % (2 * h + 2));
    run(data, size, FEED_CUTS, seed >> 2, 0, ULLONG_MAX - k, ULONG_MAX - j, &sat);
    if (sat.result != r[FEED_WHOLE].result || sat.used != r[FEED_WHOLE].used) abort();
    if (!bytebuf_same(&sat.out, &r[FEED_WHOLE].out)) abort();
    if (sat.d.bytes != (b > k ? ULLONG_MAX : ULLONG_MAX - k + b)) abort();
    if (sat.d.hops != (h > j ? ULONG_MAX : ULONG_MAX - j + h)) abort();
    if (!smtpdata_looping(&sat.d)) abort();
  }
}

/* Words that matter here, so that the fuzzer need not guess them: the
 * input is checked as it is, and again with each byte from 0xf0 up
 * replaced by one of these. */
static const char *const words[16] = {
  "Received: from x\r\n", "Delivered-To: a@b\r\n", "\r\n", "\r\n.\r\n",
  ".\r", "rECEIVED", "DELIVERED", "\r\n\r\n", "Delivere", "Receive", "\r\n..",
  "\r\n.", ".\r\r\n", "\r\r\n", "\n", "\r"
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  check_as_is_and_with_words(data, size, words, SIZE_MAX, check);
  return 0;
}
