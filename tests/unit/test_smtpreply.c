/* test_smtpreply.c: unit tests for smtpreply.c, the SMTP reply parser:
 * codes, multiline replies, malformed replies, the kept text, limits, and
 * the same results whatever the chunking. */
#include <string.h>
#include "check.h"
#include "smtpreply.h"
#include "str.h"

static smtpreply r;

/* Feed buf[0..len) chunk bytes at a time (0: all at once) to a fresh
 * parser; the last status, *used the bytes consumed in all. */
static int parse(const char *buf, size_t len, size_t chunk, size_t *used)
{
  int st = SMTPREPLY_MORE;
  smtpreply_init(&r);
  *used = 0;
  if (!chunk) chunk = len ? len : 1;
  for (size_t i = 0; i < len && st == SMTPREPLY_MORE; i += chunk) {
    size_t n = len - i < chunk ? len - i : chunk, u;
    st = smtpreply_feed(&r, buf + i, n, &u);
    *used += u;
  }
  return st;
}

struct example {
  const char *in;
  size_t inlen;
  int status;
  unsigned int code;
  size_t used;
  const char *text;
  size_t textlen;
};
#define EX(i, st, c, u, t) { i, sizeof(i) - 1, st, c, u, t, sizeof(t) - 1 }
#define DONE SMTPREPLY_DONE
#define MORE SMTPREPLY_MORE

static const struct example examples[] = {
  EX("220 hello\r\n", DONE, 220, 11, "220 hello\n"),
  EX("250-a\r\n250-b\r\n250 c\r\n", DONE, 250, 21, "250-a\n250-b\n250 c\n"),
  EX("250\r\n", DONE, 250, 5, "250\n"),
  EX("250-first\r\n250\r\n", DONE, 250, 16, "250-first\n250\n"),
  EX("250-\r\n250 \r\n", DONE, 250, 12, "250-\n250 \n"),
  EX("250 ok\n", DONE, 250, 7, "250 ok\n"),                 /* bare LF */
  EX("250-a\n250 b\n", DONE, 250, 12, "250-a\n250 b\n"),
  EX("250 ok\r\nEXTRA", DONE, 250, 8, "250 ok\n"),         /* the rest is the next reply's */
  EX("250 ok\r\n354 go\r\n", DONE, 250, 8, "250 ok\n"),
  EX("354 go ahead\r\n", DONE, 354, 14, "354 go ahead\n"),
  EX("451 later\r\n", DONE, 451, 11, "451 later\n"),
  EX("554 no\r\n", DONE, 554, 8, "554 no\n"),
  EX("599 x\r\n", DONE, 599, 7, "599 x\n"),
  EX("200 x\r\n", DONE, 200, 7, "200 x\n"),
  EX("250 a\rb\r\n", DONE, 250, 9, "250 ab\n"),             /* CRs dropped */
  EX("250 a\0b\r\n", DONE, 250, 9, "250 a\0b\n"),           /* NUL kept */
  EX("250 \xff\x80\r\n", DONE, 250, 8, "250 \xff\x80\n"),
  /* malformed: code 0, the reply still ends where a last line ends */
  EX("250-a\r\n251 b\r\n", DONE, 0, 14, "250-a\n251 b\n"), /* codes differ */
  EX("2x0 ok\r\n", DONE, 0, 8, "2x0 ok\n"),
  EX("25\r\n", DONE, 0, 4, "25\n"),
  EX("\r\n", DONE, 0, 2, "\n"),
  EX("\n", DONE, 0, 1, "\n"),
  EX("250xok\r\n", DONE, 0, 8, "250xok\n"),                 /* bad separator */
  EX("250\tok\r\n", DONE, 0, 8, "250\tok\n"),
  EX("199 x\r\n", DONE, 0, 7, "199 x\n"),
  EX("600 x\r\n", DONE, 0, 7, "600 x\n"),
  EX("099 x\r\n", DONE, 0, 7, "099 x\n"),
  EX("abc-x\r\n250 y\r\n", DONE, 0, 14, "abc-x\n250 y\n"),   /* '-' still continues */
  EX("hello\r\n", DONE, 0, 7, "hello\n"),
  EX("250-a\r\nxyz\r\n", DONE, 0, 12, "250-a\nxyz\n"),
  EX("250-a\r\n25\r\n", DONE, 0, 11, "250-a\n25\n"),
  /* not over yet */
  EX("", MORE, 0, 0, ""),
  EX("250", MORE, 0, 3, "250"),
  EX("250 ok\r", MORE, 0, 7, "250 ok"),
  EX("250-a\r\n250 b", MORE, 0, 12, "250-a\n250 b"),
  EX("250-a\r\n", MORE, 0, 7, "250-a\n"),
};

static void test_examples(void)
{
  for (size_t i = 0; i < sizeof examples / sizeof *examples; ++i) {
    const struct example *e = &examples[i];
    size_t chunks[] = { 0, 1, 2, 5 };
    for (size_t c = 0; c < sizeof chunks / sizeof *chunks; ++c) {
      size_t used;
      int st = parse(e->in, e->inlen, chunks[c], &used);
      int ok = st == e->status && used == e->used && r.textlen == e->textlen &&
               !memcmp(r.text, e->text, e->textlen) &&
               (st != DONE || smtpreply_code(&r) == e->code);
      if (!ok)
        fprintf(stderr, "example %zu (chunk %zu): status %d used %zu code %u textlen %zu\n", i,
                chunks[c], st, used, smtpreply_code(&r), r.textlen);
      check_one(ok, "example", __FILE__, __LINE__);
    }
  }
}

/* After the end the parser takes nothing more until smtpreply_init. */
static void test_after_done(void)
{
  size_t used;
  smtpreply_init(&r);
  CHECK(smtpreply_feed(&r, "250 a\r\n250 b\r\n", 14, &used) == DONE);
  CHECK(used == 7);
  CHECK(smtpreply_feed(&r, "250 b\r\n", 7, &used) == DONE);
  CHECK(used == 0);
  CHECK(smtpreply_code(&r) == 250);
  /* A fresh start forgets the old reply, malformed or not. */
  smtpreply_init(&r);
  CHECK(smtpreply_feed(&r, "xyz\r\n", 5, &used) == DONE);
  CHECK(smtpreply_code(&r) == 0);
  smtpreply_init(&r);
  CHECK(smtpreply_feed(&r, "550 no\r\n", 8, &used) == DONE);
  CHECK(smtpreply_code(&r) == 550);
  CHECK_BYTES(r.text, r.textlen, "550 no\n");
}

static void test_line_limit(void)
{
  str line = STR_INIT;
  size_t used;

  /* A line of exactly SMTPREPLY_LINEMAX bytes, CRLF included, is fine. */
  str_cats(&line, "250 ");
  while (line.len < SMTPREPLY_LINEMAX - 2) str_putc(&line, 'x');
  str_cats(&line, "\r\n");
  CHECK(parse(line.s, line.len, 0, &used) == DONE);
  CHECK(smtpreply_code(&r) == 250);
  CHECK(used == SMTPREPLY_LINEMAX);
  /* One byte more is too long, whatever the chunking. */
  line.len -= 2;
  str_cats(&line, "x\r\n");
  CHECK(parse(line.s, line.len, 0, &used) == SMTPREPLY_TOOLONG);
  CHECK(parse(line.s, line.len, 1, &used) == SMTPREPLY_TOOLONG);
  CHECK(used == SMTPREPLY_LINEMAX);
  /* An endless line without LF stops. */
  line.len = 0;
  while (line.len < 3 * SMTPREPLY_LINEMAX) str_putc(&line, '2');
  CHECK(parse(line.s, line.len, 100, &used) == SMTPREPLY_TOOLONG);
  /* And stays stopped. */
  CHECK(smtpreply_feed(&r, "\n", 1, &used) == SMTPREPLY_TOOLONG);
  CHECK(used == 0);
  str_free(&line);
}

static void test_lines_limit(void)
{
  str reply = STR_INIT;
  size_t used;

  for (int i = 0; i < SMTPREPLY_LINESMAX - 1; ++i) str_cats(&reply, "250-x\r\n");
  str_cats(&reply, "250 x\r\n");
  CHECK(parse(reply.s, reply.len, 0, &used) == DONE);
  CHECK(smtpreply_code(&r) == 250);
  CHECK(used == reply.len);
  CHECK(r.lines == SMTPREPLY_LINESMAX);

  reply.len = 0;
  for (int i = 0; i < SMTPREPLY_LINESMAX; ++i) str_cats(&reply, "250-x\r\n");
  str_cats(&reply, "250 x\r\n");
  CHECK(parse(reply.s, reply.len, 0, &used) == SMTPREPLY_TOOLONG);
  CHECK(parse(reply.s, reply.len, 3, &used) == SMTPREPLY_TOOLONG);
  str_free(&reply);
}

/* Text beyond SMTPREPLY_TEXTMAX is dropped; the code still counts. */
static void test_text_limit(void)
{
  str reply = STR_INIT;
  size_t used;

  for (int i = 0; i < 3; ++i) {
    str_cats(&reply, i < 2 ? "451-" : "451 ");
    for (int j = 0; j < 2000; ++j) str_putc(&reply, (char)('a' + j % 26));
    str_cats(&reply, "\r\n");
  }
  CHECK(parse(reply.s, reply.len, 7, &used) == DONE);
  CHECK(smtpreply_code(&r) == 451);
  CHECK(used == reply.len);
  CHECK(r.textlen == SMTPREPLY_TEXTMAX);
  CHECK(!memcmp(r.text, "451-abc", 7));
  CHECK(r.text[2004] == '\n' && !memcmp(r.text + 2005, "451-abc", 7));
  str_free(&reply);
}

int main(void)
{
  RUN(test_examples);
  RUN(test_after_done);
  RUN(test_line_limit);
  RUN(test_lines_limit);
  RUN(test_text_limit);
  return check_report();
}
