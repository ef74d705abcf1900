/* bounce.c: QSBMF bounce text (see bounce.h). */
#include <string.h>
#include "bounce.h"
#include "date822.h"
#include "rewrite.h"

int bounce_paragraph(str *out, const char *recip, const char *report, size_t reportlen)
{
  size_t start = out->len, end;

  if (!str_putc(out, '<') || !str_cats(out, recip)) goto fail;
  for (size_t i = start; i < out->len; ++i)
    if (out->s[i] == '\n') out->s[i] = '_';
  if (!str_cats(out, ">:\n") || !str_cat(out, report, reportlen)) goto fail;
  if (reportlen && report[reportlen - 1] != '\n' && !str_putc(out, '\n')) goto fail;
  /* A newline right after a newline would end the paragraph early: it
   * becomes '/', except the paragraph's final newline. Going backwards,
   * each test sees its predecessor unchanged. */
  end = out->len;
  for (size_t i = end - 2; i > start; --i)
    if (out->s[i] == '\n' && out->s[i - 1] == '\n') out->s[i] = '/';
  if (!str_putc(out, '\n')) goto fail;
  return 1;
fail:
  str_truncate(out, start);
  return 0;
}

/* Bytes an RFC 822 atom may hold: printable ASCII but specials. */
static int atom_byte(unsigned char c)
{
  return c > 32 && c < 127 && !strchr("()<>@,;:\\\"[]", c);
}

static int needs_quotes(const char *s, size_t len)
{
  if (!len || s[0] == '.' || s[len - 1] == '.') return 1;
  for (size_t i = 0; i < len; ++i) {
    if (!atom_byte((unsigned char)s[i])) return 1;
    if (s[i] == '.' && i + 1 < len && s[i + 1] == '.') return 1;
  }
  return 0;
}

int bounce_quote_local(str *out, const char *s, size_t len)
{
  size_t start = out->len;

  if (!needs_quotes(s, len)) return str_cat(out, s, len);
  if (!str_putc(out, '"')) return 0;
  for (size_t i = 0; i < len; ++i) {
    char c = s[i];
    if ((c == '\r' || c == '\n' || c == '"' || c == '\\') && !str_putc(out, '\\')) goto fail;
    if (!str_putc(out, c)) goto fail;
  }
  if (str_putc(out, '"')) return 1;
fail:
  str_truncate(out, start);
  return 0;
}

int bounce_quote_addr(str *out, const char *addr, size_t len)
{
  size_t at = len;

  if (!len) return 1;
  while (at > 0 && addr[at - 1] != '@') --at;
  if (!at) return bounce_quote_local(out, addr, len); /* no '@' */
  return bounce_quote_local(out, addr, at - 1) && str_cat(out, addr + at - 1, len - at + 1);
}

int bounce_plan(const char *sender, size_t slen, const str *doublebounceto,
                const str *doublebouncehost, str *recipient, str *returnpath)
{
  if (rewrite_isverp(sender, slen)) slen -= 4; /* owner-@host-@[] -> owner-@host */
  if (!str_copy(returnpath, sender, slen)) return -1;
  if (str_equals(returnpath, BOUNCE_DOUBLE_SENDER)) return BOUNCE_DROP_TRIPLE;
  if (slen) return str_copystr(recipient, returnpath) ? BOUNCE_SINGLE : -1;
  if (!doublebounceto->len) return BOUNCE_DROP_DOUBLE;
  if (!str_copystr(recipient, doublebounceto) || !str_putc(recipient, '@') ||
      !str_catstr(recipient, doublebouncehost))
    return -1;
  return BOUNCE_DOUBLE;
}

int bounce_head(str *out, time_t now, const str *bouncefrom, const str *bouncehost,
                const str *recipient, int kind)
{
  return str_cats(out, "Date: ") && date822_cat(out, now) &&
         str_cats(out, "\nFrom: ") && bounce_quote_local(out, bouncefrom->s, bouncefrom->len) &&
         str_putc(out, '@') && str_catstr(out, bouncehost) &&
         str_cats(out, "\nTo: ") && bounce_quote_addr(out, recipient->s, recipient->len) &&
         str_cats(out, "\nSubject: failure notice\n\nHi. This is the qmail-send program at ") &&
         str_catstr(out, bouncehost) &&
         str_cats(out, kind == BOUNCE_DOUBLE
                  ? ".\nI tried to deliver a bounce message to this address, but the bounce bounced!\n\n"
                  : ".\nI'm afraid I wasn't able to deliver your message to the following addresses.\n"
                    "This is a permanent error; I've given up. Sorry it didn't work out.\n\n");
}

int bounce_break(str *out, const str *returnpath, int kind)
{
  return str_cats(out, kind == BOUNCE_DOUBLE ? "--- Below this line is the original bounce.\n\n"
                                             : "--- Below this line is a copy of the message.\n\n") &&
         str_cats(out, "Return-Path: <") &&
         bounce_quote_addr(out, returnpath->s, returnpath->len) && str_cats(out, ">\n");
}

/* n unit, or n units. */
static int cat_count(str *out, unsigned long long n, const char *unit)
{
  return str_catnum(out, n) && str_putc(out, ' ') && str_cats(out, unit) &&
         (n == 1 || str_putc(out, 's'));
}

int bounce_delay_head(str *out, time_t now, const str *bouncefrom, const str *bouncehost,
                      const str *recipient, unsigned long long lifetime)
{
  int ok = str_cats(out, "Date: ") && date822_cat(out, now) &&
           str_cats(out, "\nFrom: ") && bounce_quote_local(out, bouncefrom->s, bouncefrom->len) &&
           str_putc(out, '@') && str_catstr(out, bouncehost) &&
           str_cats(out, "\nTo: ") && bounce_quote_addr(out, recipient->s, recipient->len) &&
           str_cats(out, "\nSubject: delivery delay notice\n\nHi. This is the qmail-send program at ") &&
           str_catstr(out, bouncehost) &&
           str_cats(out, ".\nI haven't been able to deliver your message to the following addresses yet.\n"
                         "This is not a permanent error: I'll keep trying until the message has been\n"
                         "in the queue for ");
  if (!ok) return 0;
  if (lifetime && lifetime % 86400 == 0) ok = cat_count(out, lifetime / 86400, "day");
  else if (lifetime && lifetime % 3600 == 0) ok = cat_count(out, lifetime / 3600, "hour");
  else ok = cat_count(out, lifetime, "second");
  return ok && str_cats(out, ". You need not send it again.\n\n");
}

int bounce_delay_break(str *out, const str *returnpath)
{
  return str_cats(out, "--- Below this line is the header of the message.\n\nReturn-Path: <") &&
         bounce_quote_addr(out, returnpath->s, returnpath->len) && str_cats(out, ">\n");
}
