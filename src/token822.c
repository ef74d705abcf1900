/* token822.c: RFC 822 tokens and address lists as qmail-inject handles
 * them (see token822.h). The tokenizer and the address-list reader are
 * explicit state machines; all sizes are checked. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "safemath.h"
#include "token822.h"

/* ---- token lists ---- */

static int list_reserve(token822_list *ta, size_t extra)
{
  size_t need, cap, bytes;
  struct token822 *t;

  if (!size_add(ta->len, extra, &need)) goto nomem;
  if (need <= ta->cap) return 1;
  if (!size_add(need, need / 2, &cap)) cap = need;
  if (cap < 16) cap = 16;
  if (!size_mul(cap, sizeof *t, &bytes)) goto nomem;
  t = realloc(ta->t, bytes);
  if (!t) goto nomem;
  ta->t = t;
  ta->cap = cap;
  return 1;
nomem:
  errno = ENOMEM;
  return 0;
}

int token822_append(token822_list *ta, const struct token822 *t)
{
  if (!list_reserve(ta, 1)) return 0;
  ta->t[ta->len++] = *t;
  return 1;
}

int token822_catlist(token822_list *ta, const token822_list *from)
{
  if (!list_reserve(ta, from->len)) return 0;
  if (from->len) memcpy(ta->t + ta->len, from->t, from->len * sizeof *from->t);
  ta->len += from->len;
  return 1;
}

void token822_free(token822_list *ta)
{
  free(ta->t);
  ta->t = 0;
  ta->len = ta->cap = 0;
}

static void list_reverse(token822_list *ta)
{
  size_t i, j;
  for (i = 0, j = ta->len; i + 1 < j; ++i, --j) {
    struct token822 x = ta->t[i];
    ta->t[i] = ta->t[j - 1];
    ta->t[j - 1] = x;
  }
}

/* ---- characters ---- */

static int is_white(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* The one-character tokens; 0 for any other byte. */
static enum token822_type special(char c)
{
  switch (c) {
  case '<': return TOKEN822_LEFT;
  case '>': return TOKEN822_RIGHT;
  case '@': return TOKEN822_AT;
  case ',': return TOKEN822_COMMA;
  case ';': return TOKEN822_SEMI;
  case ':': return TOKEN822_COLON;
  case '.': return TOKEN822_DOT;
  default: return 0;
  }
}

/* A byte that may continue an atom: ) ] and \ may, as in qmail. */
static int atom_continues(char c)
{
  return !is_white(c) && !special(c) && c != '(' && c != '[' && c != '"';
}

/* ---- tokenizer ---- */

enum lex_state {
  LX_BETWEEN,    /* outside every token */
  LX_ATOM,
  LX_ATOM_ESC,   /* after a backslash in an atom */
  LX_QUOTE,
  LX_QUOTE_ESC,
  LX_LITERAL,
  LX_LITERAL_ESC,
  LX_COMMENT,
  LX_COMMENT_ESC
};

int token822_parse(token822_list *ta, str *text, const char *s, size_t n)
{
  enum lex_state st = LX_BETWEEN;
  struct token822 cur;
  size_t i, depth = 0, start = 0;

  ta->len = 0;
  if (n > TOKEN822_MAX) {
    errno = E2BIG;
    return -1;
  }
  /* Texts never outgrow the input, so one reservation keeps text->s
   * still while token pointers are taken into it. */
  text->len = 0;
  if (!str_reserve(text, n)) return -1;
  cur.s = 0;
  cur.len = 0;

#define TEXT_PUT(c) (text->s[text->len++] = (c))
#define TEXT_BEGIN(ty) (cur.type = (ty), start = text->len)
#define TEXT_END() (cur.s = text->s + start, cur.len = text->len - start, \
                    token822_append(ta, &cur) ? (st = LX_BETWEEN, 1) : 0)

  for (i = 0; i < n; ++i) {
    char c = s[i];
    switch (st) {
    case LX_ATOM:
      if (c == '\\') {
        st = LX_ATOM_ESC;
        break;
      }
      if (atom_continues(c)) {
        TEXT_PUT(c);
        break;
      }
      if (!TEXT_END()) return -1;
      /* c starts something else: handle it as between tokens. */
      /* fall through */
    case LX_BETWEEN:
      if (is_white(c)) break;
      if (special(c)) {
        cur.type = special(c);
        cur.s = 0;
        cur.len = 0;
        if (!token822_append(ta, &cur)) return -1;
        break;
      }
      switch (c) {
      case ')': case ']': return 0;
      case '(': TEXT_BEGIN(TOKEN822_COMMENT); depth = 1; st = LX_COMMENT; break;
      case '"': TEXT_BEGIN(TOKEN822_QUOTE); st = LX_QUOTE; break;
      case '[': TEXT_BEGIN(TOKEN822_LITERAL); st = LX_LITERAL; break;
      case '\\': TEXT_BEGIN(TOKEN822_ATOM); st = LX_ATOM_ESC; break;
      default: TEXT_BEGIN(TOKEN822_ATOM); TEXT_PUT(c); st = LX_ATOM; break;
      }
      break;
    case LX_ATOM_ESC: TEXT_PUT(c); st = LX_ATOM; break;
    case LX_QUOTE:
      if (c == '"') {
        if (!TEXT_END()) return -1;
      } else if (c == '\\') st = LX_QUOTE_ESC;
      else TEXT_PUT(c);
      break;
    case LX_QUOTE_ESC: TEXT_PUT(c); st = LX_QUOTE; break;
    case LX_LITERAL:
      if (c == ']') {
        if (!TEXT_END()) return -1;
      } else if (c == '\\') st = LX_LITERAL_ESC;
      else TEXT_PUT(c);
      break;
    case LX_LITERAL_ESC: TEXT_PUT(c); st = LX_LITERAL; break;
    case LX_COMMENT:
      /* Nested parentheses count but are not kept. */
      if (c == '(') ++depth;
      else if (c == ')') {
        if (!--depth && !TEXT_END()) return -1;
      } else if (c == '\\') st = LX_COMMENT_ESC;
      else TEXT_PUT(c);
      break;
    case LX_COMMENT_ESC: TEXT_PUT(c); st = LX_COMMENT; break;
    }
  }
  switch (st) {
  case LX_BETWEEN: break;
  case LX_ATOM: case LX_ATOM_ESC: /* a final lone backslash is dropped */
    if (!TEXT_END()) return -1;
    break;
  default: return 0; /* unterminated quote, literal or comment */
  }
  text->s[text->len] = 0;
  return 1;
#undef TEXT_PUT
#undef TEXT_BEGIN
#undef TEXT_END
}

/* ---- writing tokens back ---- */

static int is_text(int type)
{
  return type == TOKEN822_ATOM || type == TOKEN822_QUOTE ||
         type == TOKEN822_LITERAL || type == TOKEN822_COMMENT;
}

static int needs_space(int prev, int next)
{
  if (!prev) return 0;
  if (prev == TOKEN822_COLON || prev == TOKEN822_COMMA) return 1;
  if (next == TOKEN822_LEFT) return 1;
  return is_text(prev) && is_text(next);
}

static int cat_escaped(str *out, const char *s, size_t n)
{
  size_t i;
  for (i = 0; i < n; ++i) {
    switch (s[i]) {
    case '"': case '[': case ']': case '(': case ')': case '\\': case '\r': case '\n':
      if (!str_putc(out, '\\')) return 0;
      break;
    default:
      break;
    }
    if (!str_putc(out, s[i])) return 0;
  }
  return 1;
}

/* Line folding. Each comma is followed by a tentative break "\n "; when
 * the next comma (or the end) is reached, the previous tentative break is
 * taken back if the line up to here, counted with it, fits in linelen. */
struct fold {
  size_t line_start; /* offset where the current output line starts */
  size_t pending;    /* offset of the last tentative break */
  int have_pending;
  size_t linelen;
};

static int fold_point(str *out, struct fold *f)
{
  size_t end = out->len;
  if (f->have_pending) {
    if (!f->linelen || end - f->line_start <= f->linelen) {
      memmove(out->s + f->pending, out->s + f->pending + 2, end - f->pending - 2);
      out->len = end - 2;
    } else {
      f->line_start = f->pending + 1;
    }
  }
  f->pending = out->len;
  f->have_pending = 1;
  return str_cat(out, "\n ", 2);
}

int token822_unparse(str *out, const token822_list *ta, size_t linelen)
{
  struct fold f = { 0, 0, 0, linelen };
  int prev = 0;
  size_t i;

  out->len = 0;
  for (i = 0; i < ta->len; ++i) {
    const struct token822 *t = &ta->t[i];
    if (needs_space(prev, t->type) && !str_putc(out, ' ')) return 0;
    prev = t->type;
    switch (t->type) {
    case TOKEN822_COMMA:
      if (!str_putc(out, ',') || !fold_point(out, &f)) return 0;
      break;
    case TOKEN822_LEFT: if (!str_putc(out, '<')) return 0; break;
    case TOKEN822_RIGHT: if (!str_putc(out, '>')) return 0; break;
    case TOKEN822_AT: if (!str_putc(out, '@')) return 0; break;
    case TOKEN822_SEMI: if (!str_putc(out, ';')) return 0; break;
    case TOKEN822_COLON: if (!str_putc(out, ':')) return 0; break;
    case TOKEN822_DOT: if (!str_putc(out, '.')) return 0; break;
    case TOKEN822_ATOM:
      if (!cat_escaped(out, t->s, t->len)) return 0;
      break;
    case TOKEN822_QUOTE:
      if (!str_putc(out, '"') || !cat_escaped(out, t->s, t->len) || !str_putc(out, '"')) return 0;
      break;
    case TOKEN822_LITERAL:
      if (!str_putc(out, '[') || !cat_escaped(out, t->s, t->len) || !str_putc(out, ']')) return 0;
      break;
    case TOKEN822_COMMENT:
      if (!str_putc(out, '(') || !cat_escaped(out, t->s, t->len) || !str_putc(out, ')')) return 0;
      break;
    }
  }
  if (!fold_point(out, &f)) return 0;
  str_truncate(out, out->len - 1); /* keep the newline, drop the space */
  return 1;
}

int token822_unquote(str *out, const token822_list *addr)
{
  size_t i;
  out->len = 0;
  if (!str_reserve(out, 0)) return 0;
  out->s[0] = 0;
  for (i = 0; i < addr->len; ++i) {
    const struct token822 *t = &addr->t[i];
    int ok = 1;
    switch (t->type) {
    case TOKEN822_ATOM: case TOKEN822_QUOTE: ok = str_cat(out, t->s, t->len); break;
    case TOKEN822_LITERAL:
      ok = str_putc(out, '[') && str_cat(out, t->s, t->len) && str_putc(out, ']');
      break;
    case TOKEN822_COMMENT: break;
    case TOKEN822_LEFT: ok = str_putc(out, '<'); break;
    case TOKEN822_RIGHT: ok = str_putc(out, '>'); break;
    case TOKEN822_AT: ok = str_putc(out, '@'); break;
    case TOKEN822_COMMA: ok = str_putc(out, ','); break;
    case TOKEN822_SEMI: ok = str_putc(out, ';'); break;
    case TOKEN822_COLON: ok = str_putc(out, ':'); break;
    case TOKEN822_DOT: ok = str_putc(out, '.'); break;
    }
    if (!ok) return 0;
  }
  return 1;
}

/* ---- address lists ---- */

/* The list is read from its last token back to its first: there every
 * construct is announced by its closing token (; for a group, > for a
 * route address), so one token of look-behind suffices. */
enum al_state {
  AL_LIST,      /* between addresses, or inside a plain address */
  AL_ROUTE,     /* inside <...>, looking for the < */
  AL_PHRASE,    /* before a <...>: its display phrase */
  AL_GROUPNAME  /* before a group's colon: its name, up to a comma */
};

struct al {
  token822_list *rev; /* output so far, last token first */
  token822_list addr; /* current address, last token first */
  token822_rewriter rw;
  void *ctx;
};

/* Rewrite the collected address (even if empty) and emit it. */
static int al_flush(struct al *a)
{
  size_t i;
  list_reverse(&a->addr);
  if (!a->rw(&a->addr, a->ctx)) return 0;
  for (i = a->addr.len; i > 0; --i)
    if (!token822_append(a->rev, &a->addr.t[i - 1])) return 0;
  a->addr.len = 0;
  return 1;
}

static int al_flush_any(struct al *a) { return !a->addr.len || al_flush(a); }

/* Flush a pending address and separate it from what precedes it. */
static int al_flush_comma(struct al *a)
{
  static const struct token822 comma = { TOKEN822_COMMA, 0, 0 };
  if (!a->addr.len) return 1;
  return al_flush(a) && token822_append(a->rev, &comma);
}

int token822_addrlist(token822_list *out, const token822_list *in, size_t keep,
                      token822_rewriter rw, void *ctx)
{
  struct al a = { out, TOKEN822_LIST_INIT, rw, ctx };
  enum al_state st = AL_LIST;
  int ingroup = 0, wordok = 1, r = -1;
  size_t i = in->len;

  out->len = 0;
  if (keep > in->len) keep = in->len;
  while (i > keep) {
    const struct token822 *t = &in->t[i - 1];
    switch (st) {
    case AL_LIST:
      switch (t->type) {
      case TOKEN822_SEMI:
        if (!al_flush_comma(&a)) goto done;
        if (ingroup) {
          r = 0;
          goto done;
        }
        ingroup = 1;
        wordok = 1;
        if (!token822_append(a.rev, t)) goto done;
        break;
      case TOKEN822_COLON:
        if (!al_flush_any(&a)) goto done;
        if (!ingroup) {
          r = 0;
          goto done;
        }
        ingroup = 0;
        if (!token822_append(a.rev, t)) goto done;
        st = AL_GROUPNAME;
        break;
      case TOKEN822_RIGHT:
        if (!al_flush_comma(&a) || !token822_append(a.rev, t)) goto done;
        st = AL_ROUTE;
        break;
      case TOKEN822_ATOM: case TOKEN822_QUOTE: case TOKEN822_LITERAL:
        /* Two words in a row: an old-style list without commas. */
        if (!wordok && !al_flush_comma(&a)) goto done;
        wordok = 0;
        if (!token822_append(&a.addr, t)) goto done;
        break;
      case TOKEN822_COMMENT: /* white space, as far as words go */
        if (!token822_append(a.rev, t)) goto done;
        break;
      case TOKEN822_COMMA:
        if (!al_flush_any(&a)) goto done;
        wordok = 1;
        if (!token822_append(a.rev, t)) goto done;
        break;
      default: /* @ . and a stray < belong to the address */
        wordok = 1;
        if (!token822_append(&a.addr, t)) goto done;
        break;
      }
      --i;
      break;
    case AL_GROUPNAME:
      if (!token822_append(a.rev, t)) goto done;
      if (t->type == TOKEN822_COMMA) {
        st = AL_LIST;
        wordok = 1;
      }
      --i;
      break;
    case AL_ROUTE:
      if (t->type == TOKEN822_LEFT) {
        /* <> is an address too: flush even when empty. */
        if (!al_flush(&a) || !token822_append(a.rev, t)) goto done;
        st = AL_PHRASE;
      } else if (!token822_append(&a.addr, t)) goto done;
      --i;
      break;
    case AL_PHRASE:
      switch (t->type) {
      case TOKEN822_COMMENT: case TOKEN822_ATOM: case TOKEN822_QUOTE:
      case TOKEN822_AT: case TOKEN822_DOT:
        if (!token822_append(a.rev, t)) goto done;
        --i;
        break;
      default: /* the phrase ended; read t again as part of the list */
        st = AL_LIST;
        wordok = 0;
        break;
      }
      break;
    }
  }
  if (st == AL_ROUTE) { /* > without < */
    r = 0;
    goto done;
  }
  if (!al_flush_any(&a)) goto done;
  for (; i > 0; --i)
    if (!token822_append(out, &in->t[i - 1])) goto done;
  list_reverse(out);
  r = 1;
done:
  if (r == -1 && errno != E2BIG) errno = ENOMEM;
  token822_free(&a.addr);
  return r;
}

/* ---- rewriting ---- */

static void drop_front(token822_list *a, size_t k)
{
  memmove(a->t, a->t + k, (a->len - k) * sizeof *a->t);
  a->len -= k;
}

int token822_rewrite(token822_list *a, const struct token822_defaults *d)
{
  struct token822 *last;
  size_t i;

  if (!a->len) return 1; /* <> */
  last = &a->t[a->len - 1];
  if (a->len >= 2 && last->type == TOKEN822_LITERAL && !last->len &&
      a->t[a->len - 2].type == TOKEN822_AT)
    return 1; /* x@[] */
  if (a->t[0].type == TOKEN822_AT) { /* source route: drop through the colon */
    for (i = 0; i < a->len && a->t[i].type != TOKEN822_COLON; ++i) {}
    drop_front(a, i < a->len ? i + 1 : a->len);
    if (!a->len) return 1;
  }
  if (a->t[a->len - 1].type == TOKEN822_DOT && !--a->len) return 1;
  if (a->t[a->len - 1].type == TOKEN822_AT && !--a->len) return 1;

  for (i = 0; i < a->len && a->t[i].type != TOKEN822_AT; ++i) {}
  if (i == a->len && !token822_catlist(a, d->host)) return 0;

  last = &a->t[a->len - 1];
  if (last->type == TOKEN822_ATOM && last->len && last->s[last->len - 1] == '+') {
    --last->len;
    if (!token822_catlist(a, d->plus)) return 0;
  }

  for (i = a->len; i > 0; --i) {
    enum token822_type type = a->t[i - 1].type;
    if (type == TOKEN822_AT) break;
    if (type == TOKEN822_DOT || type == TOKEN822_LITERAL) return 1;
  }
  return token822_catlist(a, d->domain);
}

/* ---- quoting local parts ---- */

static int atext(unsigned char c)
{
  if (c <= 32 || c >= 127) return 0;
  switch (c) {
  case '"': case '(': case ')': case ',': case ':': case ';':
  case '<': case '>': case '@': case '[': case '\\': case ']':
    return 0;
  default:
    return 1;
  }
}

int token822_quote_need(const char *s, size_t n)
{
  size_t i;
  if (!n) return 1;
  for (i = 0; i < n; ++i)
    if (!atext((unsigned char)s[i])) return 1;
  if (s[0] == '.' || s[n - 1] == '.') return 1;
  for (i = 0; i + 1 < n; ++i)
    if (s[i] == '.' && s[i + 1] == '.') return 1;
  return 0;
}

static int cat_quoted(str *out, const char *s, size_t n)
{
  size_t i;
  if (!token822_quote_need(s, n)) return str_cat(out, s, n);
  if (!str_putc(out, '"')) return 0;
  for (i = 0; i < n; ++i) {
    char c = s[i];
    if ((c == '\r' || c == '\n' || c == '"' || c == '\\') && !str_putc(out, '\\')) return 0;
    if (!str_putc(out, c)) return 0;
  }
  return str_putc(out, '"');
}

int token822_quote_addr(str *out, const char *addr)
{
  const char *at = strrchr(addr, '@');
  if (!*addr) return str_reserve(out, 0);
  if (!at) return cat_quoted(out, addr, strlen(addr));
  return cat_quoted(out, addr, (size_t)(at - addr)) && str_cats(out, at);
}
