/* token822.h: RFC 822 header tokens and address lists, the way
 * qmail-inject reads and rewrites them (see qmail-header(5), addresses(5)).
 *
 * token822_parse splits text into tokens; token822_addrlist finds the
 * addresses in a token list (groups, route addresses, old-style lists
 * without commas) and hands each one to a rewriting callback;
 * token822_unparse writes tokens back as header text, folding long lines
 * at commas. Everything is bounded: input longer than TOKEN822_MAX bytes
 * is refused, and every size is computed with overflow checks.
 *
 * Functions returning int give 1 on success, 0 on a syntax error (parse,
 * addrlist only) and -1 when memory ran out or the input is too long
 * (errno ENOMEM or E2BIG), unless their comment says otherwise. */
#ifndef TOKEN822_H
#define TOKEN822_H

#include <stddef.h>
#include "str.h"

/* Longest text token822_parse accepts. */
#define TOKEN822_MAX (4 * 1024 * 1024)

enum token822_type {
  TOKEN822_ATOM = 1,  /* s: the atom, backslash escapes removed */
  TOKEN822_QUOTE,     /* s: inside of "...", unescaped */
  TOKEN822_LITERAL,   /* s: inside of [...], unescaped */
  TOKEN822_COMMENT,   /* s: inside of (...), unescaped, inner parens dropped */
  TOKEN822_LEFT,      /* < */
  TOKEN822_RIGHT,     /* > */
  TOKEN822_AT,        /* @ */
  TOKEN822_COMMA,     /* , */
  TOKEN822_SEMI,      /* ; */
  TOKEN822_COLON,     /* : */
  TOKEN822_DOT        /* . */
};

struct token822 {
  enum token822_type type;
  const char *s; /* text tokens only; points into storage owned elsewhere */
  size_t len;
};

typedef struct {
  struct token822 *t;
  size_t len;
  size_t cap;
} token822_list;

#define TOKEN822_LIST_INIT { 0, 0, 0 }

/* Tokenize the n bytes at s into ta (emptied first). Token texts are
 * stored in text, which is overwritten; ta points into it, so text must
 * not change while ta is in use. Spaces, tabs, CRs and LFs between tokens
 * are dropped. An unterminated quote, comment or literal, or a ) or ]
 * where a token starts, is a syntax error. */
int token822_parse(token822_list *ta, str *text, const char *s, size_t n);

/* Append one token or a whole list. 1, or 0 out of memory. */
int token822_append(token822_list *ta, const struct token822 *t);
int token822_catlist(token822_list *ta, const token822_list *from);
void token822_free(token822_list *ta);

/* Write ta as text into out (overwritten), ending with a newline. Tokens
 * are separated by single spaces where RFC 822 needs or expects them; the
 * special characters inside texts are backslash-escaped. After each comma
 * the line is broken (newline and two spaces) unless the next piece
 * still fits in a line of linelen bytes (0: never break). 1, or 0 out of
 * memory. */
int token822_unparse(str *out, const token822_list *ta, size_t linelen);

/* The plain address in addr as an envelope wants it: texts without
 * quotes, literals with their brackets, comments left out. Overwrites
 * out. 1, or 0 out of memory. */
int token822_unquote(str *out, const token822_list *addr);

/* Called with each address found by token822_addrlist, its tokens in
 * order; it may rewrite them in place. Returns 1 to go on, 0 if memory ran
 * out (the whole call then fails with -1). */
typedef int (*token822_rewriter)(token822_list *addr, void *ctx);

/* Copy the first keep tokens of in (a field name and its colon) to out
 * (emptied first) unchanged, then the address list after them with each
 * address passed through rw. Groups ("name: a, b;") keep their name;
 * "phrase <route:addr>" keeps its phrase and brackets, and the whole
 * bracket content is the address; comments stay where they are except
 * that one inside an address moves behind it; two addresses with nothing
 * but white space between them get a comma (old-style lists). The list is
 * read from its end, as qmail-inject does, so rw sees the addresses last
 * first. Syntax errors: ; inside a group, : outside one, > without <.
 * After a failure out holds nothing useful. */
int token822_addrlist(token822_list *out, const token822_list *in, size_t keep,
                      token822_rewriter rw, void *ctx);

/* What qmail-inject adds to incomplete addresses: host is "@" followed by
 * the default host, domain and plus are "." followed by the default
 * domain and plus domain, all as token lists (see token822_parse). */
struct token822_defaults {
  const token822_list *host;
  const token822_list *domain;
  const token822_list *plus;
};

/* qmail-inject's rewriting of one address: <> and <x@[]> stay as they
 * are; a source route (@a,@b:) is removed; a trailing dot, then a
 * trailing @ is removed; with no @ the default host is added; a host
 * ending in + loses it and gets the plus domain; a host without a dot
 * (and not a literal) gets the default domain. 1, or 0 out of memory. */
int token822_rewrite(token822_list *addr, const struct token822_defaults *d);

/* 1 if the n bytes at s (a local part) must be quoted to stand in an
 * address: empty, a byte outside the RFC 822 atom characters or dot, or a
 * dot at either end or doubled. */
int token822_quote_need(const char *s, size_t n);
/* Append the C string addr to out with its local part (what comes before
 * the last @) quoted if token822_quote_need says so. 1, or 0 out of
 * memory. */
int token822_quote_addr(str *out, const char *addr);

#endif
