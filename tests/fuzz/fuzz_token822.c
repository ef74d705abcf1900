/* fuzz_token822.c: libFuzzer target for RFC 822 tokens and address lists
 * (token822.h). The input is taken as header text. Invariants (abort() if
 * not; -1, out of memory, never happens at these sizes):
 *  - token822_parse: every text token points into the text storage, the
 *    texts together are no longer than the input, there are no more
 *    tokens than input bytes, and non-text tokens carry no text;
 *  - token822_unparse (with several line lengths) is bounded (at most
 *    1 + 4 per token + 2 per text byte), ends in a newline, and always
 *    parses again; the tokens it gives are the same whatever the line
 *    length, and one more unparse/parse round trip gives exactly the same
 *    tokens again (a fixpoint after one round);
 *  - token822_addrlist with an identity rewriter: the field name (keep
 *    tokens) is copied unchanged, every token comes out with only commas
 *    added (at most one per address; comments may move, nothing else
 *    does), and the rewriter is called at most once per token plus one;
 *    token822_unquote of each address is bounded;
 *  - token822_addrlist with qmail-inject's rewriting (token822_rewrite)
 *    fails exactly where the identity one does; every nonempty rewritten
 *    address has an @ and, after its last @, a dot or a literal; the
 *    list grows by at most the defaults per address and still unparses
 *    into text that parses;
 *  - token822_quote_addr: a local part that needs no quoting is kept and
 *    parses as atoms and dots that unquote to it; one that does parses as
 *    exactly one quoted string whose text is the local part; the domain
 *    part follows unchanged.
 * Build: make B=build-fuzz fuzz (see the Makefile); by hand:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc -o fuzz_token822 \
 *     tests/fuzz/fuzz_token822.c src/token822.c src/str.c src/num.c
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "token822.h"
#include "fuzz_common.h"

static int is_text(enum token822_type t)
{
  return t == TOKEN822_ATOM || t == TOKEN822_QUOTE || t == TOKEN822_LITERAL || t == TOKEN822_COMMENT;
}

static int same_tokens(const token822_list *a, const token822_list *b)
{
  if (a->len != b->len) return 0;
  for (size_t i = 0; i < a->len; ++i) {
    const struct token822 *x = &a->t[i], *y = &b->t[i];
    if (x->type != y->type || x->len != y->len) return 0;
    if (x->len && memcmp(x->s, y->s, x->len)) return 0;
  }
  return 1;
}

/* Parse s (1 expected unless may_fail) and check the list. */
static int parse(token822_list *ta, str *text, const char *s, size_t n, int may_fail)
{
  int r = token822_parse(ta, text, s, n);
  size_t total = 0;

  if (r == -1 || (r == 0 && !may_fail) || (r != 0 && r != 1)) abort();
  if (!r) return 0;
  if (ta->len > n || text->len > n || text->s[text->len]) abort();
  for (size_t i = 0; i < ta->len; ++i) {
    const struct token822 *t = &ta->t[i];
    if (t->type < TOKEN822_ATOM || t->type > TOKEN822_DOT) abort();
    if (!is_text(t->type)) {
      if (t->len) abort();
      continue;
    }
    if (t->len && (t->s < text->s || t->s + t->len > text->s + text->len)) abort();
    total += t->len;
  }
  if (total != text->len) abort();
  return 1;
}

static size_t text_bytes(const token822_list *ta)
{
  size_t n = 0;
  for (size_t i = 0; i < ta->len; ++i) n += ta->t[i].len;
  return n;
}

static void unparse(str *out, const token822_list *ta, size_t linelen)
{
  if (!token822_unparse(out, ta, linelen)) abort();
  if (!out->len || out->s[out->len - 1] != '\n') abort();
  if (out->len > 1 + 4 * ta->len + 2 * text_bytes(ta)) abort();
}

/* ---- the round trip ---- */

static void round_trip(const token822_list *t1, uint64_t seed)
{
  static str u1 = STR_INIT, u2 = STR_INIT, x2 = STR_INIT, x3 = STR_INIT, xf = STR_INIT;
  static token822_list t2 = TOKEN822_LIST_INIT, t3 = TOKEN822_LIST_INIT, tf = TOKEN822_LIST_INIT;
  size_t lens[4] = { 0, 1, 76, 1 + seed % 200 };

  unparse(&u1, t1, 0);
  parse(&t2, &x2, u1.s, u1.len, 0);
  for (int i = 1; i < 4; ++i) { /* folding changes white space only */
    unparse(&u2, t1, lens[i]);
    parse(&tf, &xf, u2.s, u2.len, 0);
    if (!same_tokens(&tf, &t2)) abort();
  }
  unparse(&u2, &t2, lens[seed % 4]);
  parse(&t3, &x3, u2.s, u2.len, 0);
  if (!same_tokens(&t3, &t2)) abort();
}

/* ---- address lists ---- */

struct rw_ctx {
  size_t calls;
  int rewrite;
  const struct token822_defaults *d;
};

static int rewriter(token822_list *addr, void *arg)
{
  static str u = STR_INIT;
  struct rw_ctx *c = arg;
  size_t ntext = text_bytes(addr);

  c->calls++;
  if (!token822_unquote(&u, addr)) abort();
  if (u.len > ntext + 2 * addr->len || u.s[u.len]) abort();
  if (!c->rewrite) return 1;

  if (!token822_rewrite(addr, c->d)) return 0;
  if (addr->len) {
    size_t at = addr->len, i;
    int hostok = 0;
    while (at > 0 && addr->t[at - 1].type != TOKEN822_AT) --at;
    if (!at) abort(); /* no @ */
    for (i = at; i < addr->len; ++i)
      if (addr->t[i].type == TOKEN822_DOT || addr->t[i].type == TOKEN822_LITERAL) hostok = 1;
    if (!hostok) abort();
  }
  return 1;
}

/* The tokens of ta other than commas (and comments, if drop_comments). */
static size_t count_type(const token822_list *ta, enum token822_type type)
{
  size_t n = 0;
  for (size_t i = 0; i < ta->len; ++i) n += ta->t[i].type == type;
  return n;
}

static int same_but_commas(const token822_list *a, const token822_list *b)
{
  size_t i = 0, j = 0;
  for (;;) {
    while (i < a->len && (a->t[i].type == TOKEN822_COMMA || a->t[i].type == TOKEN822_COMMENT)) ++i;
    while (j < b->len && (b->t[j].type == TOKEN822_COMMA || b->t[j].type == TOKEN822_COMMENT)) ++j;
    if (i == a->len || j == b->len) return i == a->len && j == b->len;
    if (a->t[i].type != b->t[j].type || a->t[i].len != b->t[j].len) return 0;
    if (a->t[i].len && memcmp(a->t[i].s, b->t[j].s, a->t[i].len)) return 0;
    ++i;
    ++j;
  }
}

static void addresses(const token822_list *in, uint64_t seed)
{
  static token822_list out = TOKEN822_LIST_INIT, rout = TOKEN822_LIST_INIT, back = TOKEN822_LIST_INIT;
  static token822_list host = TOKEN822_LIST_INIT, domain = TOKEN822_LIST_INIT, plus = TOKEN822_LIST_INIT;
  static str hs = STR_INIT, ds = STR_INIT, ps = STR_INIT, u = STR_INIT, bx = STR_INIT;
  struct token822_defaults d = { &host, &domain, &plus };
  struct rw_ctx id = { 0, 0, 0 }, rw = { 0, 1, &d };
  size_t keep = (size_t)(seed >> 5) % 3, extra;
  int r1, r2;

  if (!host.len) {
    parse(&host, &hs, "@host", 5, 0);
    parse(&domain, &ds, ".example.net", 12, 0);
    parse(&plus, &ps, ".plus.example", 13, 0);
  }

  r1 = token822_addrlist(&out, in, keep, rewriter, &id);
  if (r1 != 0 && r1 != 1) abort();
  if (id.calls > in->len + 1) abort();
  if (r1 == 1) {
    size_t k = keep < in->len ? keep : in->len, added;
    if (out.len < in->len) abort();
    added = out.len - in->len;
    for (size_t i = 0; i < k; ++i)
      if (out.t[i].type != in->t[i].type || out.t[i].s != in->t[i].s || out.t[i].len != in->t[i].len)
        abort();
    if (!same_but_commas(&out, in)) abort();
    if (count_type(&out, TOKEN822_COMMENT) != count_type(in, TOKEN822_COMMENT)) abort();
    if (count_type(&out, TOKEN822_COMMA) != count_type(in, TOKEN822_COMMA) + added) abort();
    if (added > id.calls) abort();
  }

  r2 = token822_addrlist(&rout, in, keep, rewriter, &rw);
  if (r2 != r1) abort();
  if (r2 != 1) return;
  extra = host.len + domain.len + plus.len;
  if (rw.calls != id.calls) abort();
  if (rout.len > out.len + rw.calls * extra) abort();
  unparse(&u, &rout, 76);
  parse(&back, &bx, u.s, u.len, 0);
}

/* ---- quoting ---- */

static void quoting(const char *addr)
{
  static str out = STR_INIT, text = STR_INIT, plain = STR_INIT;
  static token822_list ta = TOKEN822_LIST_INIT;
  const char *at = strrchr(addr, '@');
  size_t llen = at ? (size_t)(at - addr) : strlen(addr), qlen;

  out.len = 0;
  if (!token822_quote_addr(&out, addr)) abort();
  if (!*addr) {
    if (out.len) abort();
    return;
  }
  if (at) { /* the domain part, unchanged, at the end */
    size_t dl = strlen(at);
    if (out.len < dl || memcmp(out.s + out.len - dl, at, dl)) abort();
    qlen = out.len - dl;
  } else {
    qlen = out.len;
  }
  if (!token822_quote_need(addr, llen)) {
    if (qlen != llen || memcmp(out.s, addr, llen)) abort();
    parse(&ta, &text, addr, llen, 0);
    for (size_t i = 0; i < ta.len; ++i) {
      enum token822_type want = i % 2 ? TOKEN822_DOT : TOKEN822_ATOM;
      if (ta.t[i].type != want || (want == TOKEN822_ATOM && !ta.t[i].len)) abort();
    }
    if (!ta.len || ta.t[ta.len - 1].type != TOKEN822_ATOM) abort();
    if (!token822_unquote(&plain, &ta) || plain.len != llen || memcmp(plain.s, addr, llen)) abort();
  } else {
    parse(&ta, &text, out.s, qlen, 0);
    if (ta.len != 1 || ta.t[0].type != TOKEN822_QUOTE) abort();
    if (ta.t[0].len != llen || (llen && memcmp(ta.t[0].s, addr, llen))) abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static token822_list t1 = TOKEN822_LIST_INIT;
  static str text = STR_INIT;
  uint64_t seed = hash_bytes(data, size, 0);
  char *cstr;

  if (parse(&t1, &text, (const char *)data, size, 1)) {
    round_trip(&t1, seed);
    addresses(&t1, seed);
  }

  cstr = malloc(size + 1);
  if (!cstr) abort();
  if (size) memcpy(cstr, data, size);
  cstr[size] = 0;
  quoting(cstr);
  free(cstr);
  return 0;
}
