/* fuzz_dotstuff.c: libFuzzer target for the SMTP DATA encoder (dotstuff.h).
 * The input is a stored message, encoded whole, a byte at a time and in
 * pieces cut at points drawn from the input. Invariants (abort() if not):
 *  - every way of cutting gives the same bytes, and dotstuff_partial the
 *    same answer (the input is nonempty and ends in neither LF nor CR);
 *  - no piece writes more than DOTSTUFF_OUTMAX(len) bytes, nor the end
 *    more than DOTSTUFF_FINISHMAX (each buffer is allocated to exactly that
 *    size, so AddressSanitizer sees any byte past it);
 *  - "\r\n.\r\n" occurs in the output (the start counting as after CR LF)
 *    only as the final terminator, for any input; more strictly, CR comes
 *    only before LF, LF only after CR, and every line that starts with a
 *    '.' starts with "..";
 *  - undoing the stuffing gives the input with CR LF, lone CR and LF all
 *    turned into LF (and a last line ended), and so does qmail-smtpd's
 *    reader (smtpdata.h), which must also find the end exactly at the
 *    output's end.
 * Build: make B=build-fuzz fuzz (see the Makefile); by hand:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc -o fuzz_dotstuff \
 *     tests/fuzz/fuzz_dotstuff.c src/dotstuff.c src/smtpdata.c
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "dotstuff.h"
#include "smtpdata.h"
#include "fuzz_common.h"

/* ---- encoding ---- */

static void encode(const uint8_t *in, size_t n, enum feed_mode mode, struct bytebuf *out, int *partial)
{
  dotstuff d;
  struct feeder f;
  size_t pos = 0;
  char *fin;

  out->len = 0;
  dotstuff_init(&d);
  feeder_init(&f, mode, hash_bytes(in, n, 0), 4096);
  while (pos < n || mode == FEED_CUTS) {
    size_t len = feeder_next(&f, n - pos);
    char *o = malloc(DOTSTUFF_OUTMAX(len));
    size_t w;
    if (!o) abort();
    w = dotstuff_encode(&d, (const char *)in + pos, len, o);
    if (w > DOTSTUFF_OUTMAX(len)) abort();
    bytebuf_put(out, o, w);
    free(o);
    pos += len;
    if (mode == FEED_CUTS && pos == n) break;
  }
  *partial = dotstuff_partial(&d);
  fin = malloc(DOTSTUFF_FINISHMAX);
  if (!fin) abort();
  {
    size_t w = dotstuff_finish(&d, fin);
    if (w > DOTSTUFF_FINISHMAX) abort();
    bytebuf_put(out, fin, w);
  }
  free(fin);
}

/* ---- checks ---- */

/* The input as lines: CR LF, lone CR and LF each end a line, turned
 * into LF; an unfinished last line gets one. */
static void normalize(const uint8_t *in, size_t n, struct bytebuf *b)
{
  b->len = 0;
  for (size_t i = 0; i < n; ++i) {
    if (in[i] == '\r') {
      bytebuf_put(b, "\n", 1);
      if (i + 1 < n && in[i + 1] == '\n') ++i;
    } else {
      bytebuf_put(b, &in[i], 1);
    }
  }
  if (n && in[n - 1] != '\n' && in[n - 1] != '\r') bytebuf_put(b, "\n", 1);
}

static void check_form(const struct bytebuf *out)
{
  size_t body;

  /* Ends with ".\r\n", after the start or after a CR LF. */
  if (out->len < 3 || memcmp(out->s + out->len - 3, ".\r\n", 3)) abort();
  body = out->len - 3;
  if (body && (body < 2 || memcmp(out->s + body - 2, "\r\n", 2))) abort();

  /* The terminator, as a receiver sees it, only at the end. */
  if (first_dot_line(out->s, out->len) != body) abort();
  /* Line breaks only as CR LF; dots at line starts doubled. */
  for (size_t i = 0; i < body; ++i) {
    char ch = out->s[i];
    if (ch == '\r' && (i + 1 >= body || out->s[i + 1] != '\n')) abort();
    if (ch == '\n' && (i == 0 || out->s[i - 1] != '\r')) abort();
    if (ch == '.' && (i == 0 || out->s[i - 1] == '\n') && (i + 1 >= body || out->s[i + 1] != '.'))
      abort();
  }
}

/* Undo the stuffing: CR LF to LF, one leading dot per line dropped. */
static void unstuff(const struct bytebuf *out, struct bytebuf *b)
{
  size_t body = out->len - 3;
  b->len = 0;
  for (size_t i = 0; i < body; ++i) {
    if ((i == 0 || out->s[i - 1] == '\n') && out->s[i] == '.') continue;
    if (out->s[i] == '\r') continue; /* always before LF (checked) */
    bytebuf_put(b, &out->s[i], 1);
  }
}

static void sink(void *arg, const char *p, size_t n)
{
  if (!n) abort();
  bytebuf_put(arg, p, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static struct bytebuf out[FEED_MODES], norm, plain, received;
  int partial[FEED_MODES];

  for (enum feed_mode mode = FEED_WHOLE; mode < FEED_MODES; ++mode)
    encode(data, size, mode, &out[mode], &partial[mode]);
  if (!bytebuf_same(&out[FEED_WHOLE], &out[FEED_BYTES]) || !bytebuf_same(&out[FEED_WHOLE], &out[FEED_CUTS]))
    abort();
  if (partial[FEED_WHOLE] != partial[FEED_BYTES] || partial[FEED_WHOLE] != partial[FEED_CUTS]) abort();
  if (partial[FEED_WHOLE] != (size && data[size - 1] != '\n' && data[size - 1] != '\r')) abort();

  check_form(&out[FEED_WHOLE]);
  normalize(data, size, &norm);
  unstuff(&out[FEED_WHOLE], &plain);
  if (!bytebuf_same(&plain, &norm)) abort();

  /* What qmail-smtpd would store from it. */
  {
    struct smtpdata d;
    size_t used;
    received.len = 0;
    smtpdata_init(&d, 0, sink, &received);
    if (smtpdata_feed(&d, out[FEED_WHOLE].s, out[FEED_WHOLE].len, &used) != SMTPDATA_END) abort();
    if (used != out[FEED_WHOLE].len) abort();
    if (!bytebuf_same(&received, &norm)) abort();
    if (d.bytes != norm.len) abort();
  }
  return 0;
}
