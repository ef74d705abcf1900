/* fuzz_pop3cmd.c: libFuzzer target for the POP3 pieces (pop3cmd.h). The
 * input is taken
 * 1. as what a client sends, fed whole, a byte at a time and in pieces
 *    cut at points drawn from the input. Invariants (abort() if not):
 *    lines come out exactly at the input's LFs; the line kept never
 *    passes POP3CMD_LINE_MAX + 1 bytes, is overlong exactly when longer
 *    than POP3CMD_LINE_MAX without its final CR, and is otherwise kept
 *    byte for byte; verb and argument are what a model of the rules
 *    gives ("" for an overlong line); on every argument, pop3cmd_msgno,
 *    pop3cmd_lines and pop3cmd_apop agree with models (numbers saturate,
 *    never wrap; the APOP name and digest put back together are the
 *    argument); pop3cmd_wipe leaves nothing of the line;
 * 2. as a stored message for RETR and for TOP with a line limit drawn
 *    from the input, encoded whole, a byte at a time and in cut pieces:
 *    every cutting gives the same bytes, equal to a model's (header whole,
 *    then at most the limit's lines of body, LF to CR LF, leading dots
 *    doubled, an unfinished line ended, "\r\n.\r\n" after); no piece
 *    writes more than POP3MSG_OUTMAX(len) nor the end more than
 *    POP3MSG_FINISHMAX (buffers of exactly that size, for AddressSanitizer);
 *    nothing is written once pop3msg_done; and "\r\n.\r\n" occurs in the
 *    output (the start counting as after CR LF) only at its very end.
 * Build: make B=build-fuzz fuzz (see the Makefile); by hand:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc -o fuzz_pop3cmd \
 *     tests/fuzz/fuzz_pop3cmd.c src/pop3cmd.c src/num.c
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "pop3cmd.h"
#include "fuzz_common.h"

/* ---- models of the command pieces ---- */

static const char *const verbs[] = {
  "user", "pass", "apop", "quit", "noop", "stat", "list", "uidl", "top",
  "retr", "dele", "rset", "last"
};
static const enum pop3cmd_verb verbcodes[] = {
  POP3CMD_USER, POP3CMD_PASS, POP3CMD_APOP, POP3CMD_QUIT, POP3CMD_NOOP,
  POP3CMD_STAT, POP3CMD_LIST, POP3CMD_UIDL, POP3CMD_TOP, POP3CMD_RETR,
  POP3CMD_DELE, POP3CMD_RSET, POP3CMD_LAST
};

#define NVERBS (sizeof verbs / sizeof *verbs)

static enum pop3cmd_verb model_verb(const char *s, size_t n, size_t *arg)
{
  size_t i = model_verb_index(s, n, verbs, NVERBS, arg);
  return i < NVERBS ? verbcodes[i] : POP3CMD_UNKNOWN;
}

/* Leading digits of s: how many, and their value (saturating). */
static size_t digits(const char *s, unsigned long long *v)
{
  size_t i = 0;
  *v = 0;
  for (; s[i] >= '0' && s[i] <= '9'; ++i) {
    unsigned d = (unsigned)(s[i] - '0');
    *v = *v > (ULLONG_MAX - d) / 10 ? ULLONG_MAX : *v * 10 + d;
  }
  return i;
}

static void check_arg(char *arg, size_t count)
{
  unsigned long long v, lines = 12345;
  size_t idx = (size_t)-1, n = digits(arg, &v), i;
  int r = pop3cmd_msgno(arg, count, &idx);

  if (!n) {
    if (r != POP3CMD_NUM_SYNTAX) abort();
  } else if (!v) {
    if (r != POP3CMD_NUM_ZERO) abort();
  } else if (v > count) {
    if (r != POP3CMD_NUM_TOOBIG) abort();
  } else if (r != POP3CMD_NUM_OK || idx != v - 1 || idx >= count) {
    abort();
  }

  for (i = n; arg[i] == ' '; ++i) continue;
  n = digits(arg + i, &v);
  r = pop3cmd_lines(arg, &lines);
  if (r != (n > 0) || (r && lines != v)) abort();

  {
    size_t len = strlen(arg);
    char *copy = malloc(len + 1), *name = 0, *digest = 0;
    const char *sp = strchr(arg, ' ');
    if (!copy) abort();
    memcpy(copy, arg, len + 1);
    r = pop3cmd_apop(copy, &name, &digest);
    if (r != (sp != 0)) abort();
    if (r) {
      size_t nl = (size_t)(sp - arg);
      if (name != copy || strlen(name) != nl || memcmp(name, arg, nl)) abort();
      if (digest != copy + nl + 1 || strcmp(digest, sp + 1)) abort();
    }
    free(copy);
  }
}

/* ---- command lines ---- */

static struct pop3cmd cmd;

static void check_line(const uint8_t *raw, size_t n, size_t count)
{
  int overlong = check_kept_line(raw, n, cmd.line, cmd.len, pop3cmd_overlong(&cmd), POP3CMD_LINE_MAX);
  char *arg = 0;
  size_t aoff;
  enum pop3cmd_verb v;

  v = pop3cmd_verb(&cmd, &arg);
  if (v != model_verb(cmd.line, cmd.len, &aoff) || !arg) abort();
  if (overlong) {
    if (*arg) abort();
  } else if (arg != cmd.line + aoff || strlen(arg) > POP3CMD_LINE_MAX) {
    abort();
  }
  check_arg(arg, count);
  if (overlong && *arg) abort(); /* apop must not have written into "" */
}

static void run_lines(const uint8_t *in, size_t n, enum feed_mode mode, uint64_t seed)
{
  struct feeder f;
  size_t pos = 0, linestart = 0, count = (size_t)(seed >> 40) % 1000;

  feeder_init(&f, mode, seed, 4096);
  pop3cmd_init(&cmd);
  while (pos < n) {
    size_t len = feeder_next(&f, n - pos);
    size_t used = (size_t)-1;
    int r = pop3cmd_feed(&cmd, (const char *)in + pos, len, &used);

    if (r != POP3CMD_MORE && r != POP3CMD_LINE) abort();
    check_line_feed(in + pos, len, used, r == POP3CMD_LINE);
    if (cmd.len > POP3CMD_LINE_MAX + 1) abort();
    pos += used;
    if (r == POP3CMD_LINE) {
      check_line(in + linestart, pos - 1 - linestart, count);
      linestart = pos;
      if ((seed >> (pos % 61)) & 1) { /* a password: wiped */
        pop3cmd_wipe(&cmd);
        for (size_t i = 0; i < sizeof cmd.line; ++i)
          if (cmd.line[i]) abort();
        if (cmd.len) abort();
      }
    }
  }
}

/* ---- RETR and TOP ---- */

static void model_msg(const uint8_t *in, size_t n, int limited, unsigned long long lines,
                      struct bytebuf *out, int *done)
{
  size_t start = 0;
  int inheader = 1;

  out->len = 0;
  *done = 0;
  while (start < n) {
    const uint8_t *lf = memchr(in + start, '\n', n - start);
    size_t end = lf ? (size_t)(lf - in) : n;
    if (limited && !inheader) {
      if (!lines) {
        *done = 1;
        break;
      }
      --lines;
    }
    if (end == start && lf) inheader = 0;
    if (end > start && in[start] == '.') bytebuf_put(out, ".", 1);
    bytebuf_put(out, in + start, end - start);
    bytebuf_put(out, "\r\n", 2);
    start = lf ? end + 1 : n;
  }
  bytebuf_put(out, "\r\n.\r\n", 5);
}

static void encode(const uint8_t *in, size_t n, enum feed_mode mode, uint64_t seed, int limited,
                   unsigned long long lines, struct bytebuf *out, int *done)
{
  struct pop3msg m;
  struct feeder f;
  size_t pos = 0;
  char *fin;

  feeder_init(&f, mode, seed, 4096);
  out->len = 0;
  pop3msg_init(&m, limited, lines);
  while (pos < n || mode == FEED_CUTS) {
    size_t len = feeder_next(&f, n - pos);
    size_t max = POP3MSG_OUTMAX(len), w;
    int was_done = pop3msg_done(&m);
    char *o = malloc(max ? max : 1);
    if (!o) abort();
    w = pop3msg_encode(&m, (const char *)in + pos, len, o);
    if (w > max || (was_done && w)) abort();
    if (was_done && !pop3msg_done(&m)) abort();
    bytebuf_put(out, o, w);
    free(o);
    pos += len;
    if (mode == FEED_CUTS && pos == n) break;
  }
  *done = pop3msg_done(&m);
  fin = malloc(POP3MSG_FINISHMAX);
  if (!fin) abort();
  {
    size_t w = pop3msg_finish(&m, fin);
    if (w > POP3MSG_FINISHMAX) abort();
    bytebuf_put(out, fin, w);
  }
  free(fin);
}

/* "\r\n.\r\n" at the end, and the end as a client sees it only there. */
static void check_end(const struct bytebuf *out)
{
  if (out->len < 5 || memcmp(out->s + out->len - 5, "\r\n.\r\n", 5)) abort();
  if (first_dot_line(out->s, out->len) != out->len - 3) abort();
}

static void messages(const uint8_t *in, size_t n, uint64_t seed)
{
  static struct bytebuf out[FEED_MODES], expect;
  size_t nlines = 0;
  int done[FEED_MODES], edone;

  for (size_t i = 0; i < n; ++i) nlines += in[i] == '\n';
  for (int limited = 0; limited <= 2; ++limited) {
    /* No limit; a limit around the message's length; the largest. */
    unsigned long long lines = limited == 1 ? (seed >> 7) % (nlines + 3) : ULLONG_MAX;
    for (enum feed_mode mode = FEED_WHOLE; mode < FEED_MODES; ++mode)
      encode(in, n, mode, seed >> 3, limited != 0, lines, &out[mode], &done[mode]);
    if (!bytebuf_same(&out[FEED_WHOLE], &out[FEED_BYTES]) || !bytebuf_same(&out[FEED_WHOLE], &out[FEED_CUTS]))
      abort();
    if (done[FEED_WHOLE] != done[FEED_BYTES] || done[FEED_WHOLE] != done[FEED_CUTS]) abort();
    model_msg(in, n, limited != 0, lines, &expect, &edone);
    if (!bytebuf_same(&out[FEED_WHOLE], &expect) || done[FEED_WHOLE] != edone) abort();
    check_end(&out[FEED_WHOLE]);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  uint64_t seed = hash_bytes(data, size, 0);
  for (enum feed_mode mode = FEED_WHOLE; mode < FEED_MODES; ++mode) run_lines(data, size, mode, seed);
  messages(data, size, seed);
  return 0;
}
