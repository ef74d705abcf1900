/* dotqmail.c: .qmail instruction parsing and file lookup (see dotqmail.h). */
#include <string.h>
#include "dotqmail.h"

int dotqmail_next(const char *buf, size_t len, size_t *pos, struct dotqmail_line *l)
{
  size_t start = *pos, end;
  const char *nl;
  const char *s;

  if (start >= len) return 0;
  s = buf + start;
  nl = memchr(s, '\n', len - start);
  end = nl ? (size_t)(nl - buf) : len;
  *pos = nl ? end + 1 : len;
  while (end > start && (buf[end - 1] == ' ' || buf[end - 1] == '\t')) --end;
  l->arg = s;
  l->len = end - start;

  if (!l->len) {
    l->kind = start ? DOTQMAIL_BLANK : DOTQMAIL_BLANKFIRST;
    return 1;
  }
  switch (s[0]) {
  case '#':
    l->kind = DOTQMAIL_COMMENT;
    break;
  case '+':
    l->kind = l->len == 5 && !memcmp(s, "+list", 5) ? DOTQMAIL_LIST : DOTQMAIL_COMMENT;
    break;
  case '|':
    l->kind = DOTQMAIL_PROGRAM;
    l->arg = s + 1;
    l->len -= 1;
    break;
  case '.':
  case '/':
    l->kind = s[l->len - 1] == '/' ? DOTQMAIL_MAILDIR : DOTQMAIL_MBOX;
    break;
  case '&':
    l->kind = DOTQMAIL_FORWARD;
    l->arg = s + 1;
    l->len -= 1;
    break;
  default:
    l->kind = DOTQMAIL_FORWARD;
    break;
  }
  return 1;
}

int dotqmail_safeext(str *out, const char *ext)
{
  if (!str_copys(out, ext)) return 0;
  for (size_t i = 0; i < out->len; ++i) {
    char c = out->s[i];
    if (c >= 'A' && c <= 'Z') out->s[i] = (char)(c - 'A' + 'a');
    else if (c == '.') out->s[i] = ':';
  }
  return 1;
}

int dotqmail_name(str *out, const char *dash, const str *safeext, size_t n, const char *suffix)
{
  out->len = 0;
  return str_cats(out, ".qmail") && str_cats(out, dash) &&
         str_cat(out, safeext->s, n) && str_cats(out, suffix);
}

void dotqmail_search_start(struct dotqmail_search *s, const char *dash, const str *safeext)
{
  s->dash = dash;
  s->safeext = safeext;
  s->next = safeext->len;
  s->state = 0;
}

int dotqmail_search_next(struct dotqmail_search *s, str *name, size_t *deflt)
{
  const str *ext = s->safeext;

  if (s->state == 0) {
    s->state = 1;
    *deflt = ext->len >= 7 && !memcmp(ext->s + ext->len - 7, "default", 7)
             ? ext->len - 7 : DOTQMAIL_NODEFAULT;
    return dotqmail_name(name, s->dash, ext, ext->len, "") ? 1 : -1;
  }
  if (s->state == 2) return 0;
  /* The longest prefix not yet tried that is empty or ends in '-'. */
  while (s->next > 0 && ext->s[s->next - 1] != '-') --s->next;
  *deflt = s->next;
  if (s->next == 0) s->state = 2;
  else --s->next;
  return dotqmail_name(name, s->dash, ext, *deflt, "default") ? 1 : -1;
}
