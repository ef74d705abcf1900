/* fuzz_smtpreply.c: libFuzzer target for the SMTP reply parser
 * (smtpreply.h). The input is what a server sends: reply after reply (as
 * it is, and again with bytes 0xf0 and up standing for pieces such as
 * "250-ok\r\n"), fed whole, a byte at a time and in pieces cut at points
 * drawn from the input (empty feeds too). Invariants (abort() if not):
 *  - a feed never takes more than it was given, and all of it unless the
 *    reply ended (SMTPREPLY_DONE) or a limit stopped the parser;
 *  - every cutting, and a byte-by-byte model of the rules in smtpreply.h,
 *    agree on where each reply ends, its code (0 for a malformed reply,
 *    else 200..599 and the first three bytes of its text), its text (the
 *    bytes without CRs, at most SMTPREPLY_TEXTMAX of them) and where a
 *    limit (SMTPREPLY_LINEMAX, SMTPREPLY_LINESMAX) stops it;
 *  - a stopped parser takes nothing more.
 * Build: make B=build-fuzz fuzz (see the Makefile); by hand:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc -o fuzz_smtpreply \
 *     tests/fuzz/fuzz_smtpreply.c src/smtpreply.c
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "smtpreply.h"
#include "fuzz_common.h"

/* ---- the model ---- */

struct reply {
  int result;       /* SMTPREPLY_MORE (input ran out), _DONE or _TOOLONG */
  size_t used;      /* bytes taken */
  unsigned code;    /* after _DONE: smtpreply_code */
  size_t textlen;
  char text[SMTPREPLY_TEXTMAX];
};

static void model(const uint8_t *in, size_t n, struct reply *r)
{
  size_t linelen = 0, lines = 0, k = 0; /* k: bytes of this line, CRs not counted */
  unsigned code = 0, linecode = 0;
  char head[4];
  int bad = 0;

  r->textlen = 0;
  for (size_t i = 0; i < n; ++i) {
    uint8_t c = in[i];
    if (++linelen > SMTPREPLY_LINEMAX) {
      r->result = SMTPREPLY_TOOLONG;
      r->used = i;
      return;
    }
    if (c != '\r' && r->textlen < SMTPREPLY_TEXTMAX) r->text[r->textlen++] = (char)c;
    if (c == '\r') continue;
    if (c != '\n') {
      if (k < 4) head[k] = (char)c;
      ++k;
      continue;
    }
    /* The line ends. */
    {
      int last = k <= 3 || head[3] != '-';
      if (k < 3) {
        bad = 1;
      } else {
        linecode = 0;
        for (int j = 0; j < 3; ++j) {
          if (head[j] < '0' || head[j] > '9') bad = 1;
          linecode = linecode * 10 + (unsigned)(head[j] - '0');
        }
        if (!bad && !lines) {
          code = linecode;
          if (code < 200 || code > 599) bad = 1;
        } else if (!bad && linecode != code) {
          bad = 1;
        }
        if (k >= 4 && head[3] != '-' && head[3] != ' ') bad = 1;
      }
      ++lines;
      if (last) {
        r->result = SMTPREPLY_DONE;
        r->used = i + 1;
        r->code = bad ? 0 : code;
        return;
      }
      if (lines >= SMTPREPLY_LINESMAX) {
        r->result = SMTPREPLY_TOOLONG;
        r->used = i + 1;
        return;
      }
      linelen = 0;
      k = 0;
    }
  }
  r->result = SMTPREPLY_MORE;
  r->used = n;
}

/* ---- the parser, fed in pieces ---- */

static void run(const uint8_t *in, size_t n, enum feed_mode mode, uint64_t seed)
{
  static smtpreply p;
  static struct reply want;
  struct feeder f;
  size_t pos = 0;

  feeder_init(&f, mode, seed, 5000);
  while (pos < n) {
    size_t start = pos;
    int res = SMTPREPLY_MORE;

    smtpreply_init(&p);
    model(in + start, n - start, &want);
    while (pos < n) {
      size_t len = feeder_next(&f, n - pos);
      size_t used = (size_t)-1;
      res = smtpreply_feed(&p, (const char *)in + pos, len, &used);
      if (used > len) abort();
      if (res == SMTPREPLY_MORE && used != len) abort();
      if (res != SMTPREPLY_MORE && res != SMTPREPLY_DONE && res != SMTPREPLY_TOOLONG) abort();
      if (p.textlen > SMTPREPLY_TEXTMAX) abort();
      pos += used;
      if (res != SMTPREPLY_MORE) break;
    }
    if (res != want.result || pos - start != want.used) abort();
    if (p.textlen != want.textlen || memcmp(p.text, want.text, want.textlen)) abort();
    if (memchr(p.text, '\r', p.textlen)) abort();
    if (res == SMTPREPLY_DONE) {
      unsigned code = smtpreply_code(&p);
      if (code != want.code) abort();
      if (code && (code < 200 || code > 599)) abort();
      if (code && (p.textlen < 3 || (unsigned)((p.text[0] - '0') * 100 + (p.text[1] - '0') * 10 +
                                              (p.text[2] - '0')) != code))
        abort();
    }
    if (res == SMTPREPLY_TOOLONG) {
      /* Stopped for good. */
      size_t used = (size_t)-1;
      if (smtpreply_feed(&p, (const char *)in + pos, n - pos, &used) != SMTPREPLY_TOOLONG || used)
        abort();
      return;
    }
  }
}

static void check(const uint8_t *data, size_t size)
{
  uint64_t seed = hash_bytes(data, size, 0);
  for (enum feed_mode mode = FEED_WHOLE; mode < FEED_MODES; ++mode) run(data, size, mode, seed);
}

#define FILLER 1000
#define EXPANDED_MAX (1 << 20) /* the expansion stops about here */

static char filler[FILLER + 1]; /* FILLER bytes of text, set before use */

/* Words that matter here, so that the fuzzer need not guess them: the
 * input is checked as it is, and again with each byte from 0xf0 up
 * replaced by one of these (0xff: FILLER bytes of text, for long lines). */
static const char *const words[16] = {
  "250-ok\r\n", "250 ok\r\n", "\r\n", "250\n",
  "354 ", "550-x\n", "451 ", "199 ",
  "600 ", "25", "-", "2",
  "\r", "\n", "250-", filler
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  memset(filler, 'x', FILLER);
  check_as_is_and_with_words(data, size, words, EXPANDED_MAX, check);
  return 0;
}
