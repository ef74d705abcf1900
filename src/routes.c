/* routes.c: control/smtproutes lookups (see routes.h). One pass over the
 * file as read, keeping only the best line so far: qmail-remote runs once
 * per message and domain, and a list server's smtproutes may name
 * thousands of domains. */
#include <errno.h>
#include <string.h>
#include "control.h"
#include "routes.h"

static int same_nocase(const char *a, const char *b, size_t n)
{
  for (size_t i = 0; i < n; ++i) {
    unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
    if (x >= 'A' && x <= 'Z') x = (unsigned char)(x + 32);
    if (y >= 'A' && y <= 'Z') y = (unsigned char)(y + 32);
    if (x != y) return 0;
  }
  return 1;
}

/* Whether the line (n bytes, the part before its first colon being its
 * domain) is for key (keylen bytes, no colon in it): its domain is key,
 * ASCII case ignored. */
static int line_is_for(const char *line, size_t n, const char *key, size_t keylen)
{
  return keylen < n && line[keylen] == ':' && same_nocase(line, key, keylen);
}

/* The rank of the line among host's candidates: 0 for host itself, then
 * one per dot from the left (longer suffixes rank first), then the empty
 * domain; -1 for none of them. A candidate with a colon in it is no
 * line's domain (a domain ends at the first colon): from is where the
 * suffixes without one start. Only ranks up to best are looked at. */
static long rank_of(const char *line, size_t n, const char *host, size_t hostlen, size_t from,
                    long best)
{
  long rank = 0;

  if (!from && line_is_for(line, n, host, hostlen)) return 0;
  for (size_t i = 0; i < hostlen && (best < 0 || rank < best); ++i) {
    if (host[i] != '.') continue;
    ++rank;
    if (i >= from && line_is_for(line, n, host + i, hostlen - i)) return rank;
  }
  ++rank;
  return (best < 0 || rank <= best) && line[0] == ':' ? rank : -1;
}

int routes_find(const char *text, size_t len, const char *host, size_t hostlen,
                const char **relay, size_t *relaylen)
{
  const char *end = text + len, *best = 0, *bestend = 0;
  const char *colon = memchr(host, ':', hostlen);
  size_t from = 0;
  long bestrank = -1;

  while (colon) { /* the suffixes after the host's last colon */
    from = (size_t)(colon - host) + 1;
    colon = memchr(host + from, ':', hostlen - from);
  }
  for (const char *line = text; line < end;) {
    const char *nl = memchr(line, '\n', (size_t)(end - line));
    const char *stop = nl ? nl : end;
    size_t n = (size_t)(stop - line);
    long rank;

    if (n > CONTROL_LINE_MAX) {
      errno = EFBIG;
      return -1;
    }
    /* the later line wins among equals */
    if (n && *line != '#' && (rank = rank_of(line, n, host, hostlen, from, bestrank)) >= 0) {
      bestrank = rank;
      best = memchr(line, ':', n) + 1;
      bestend = stop;
    }
    line = nl ? nl + 1 : end;
  }
  if (!best) return 0;
  while (bestend > best && (bestend[-1] == ' ' || bestend[-1] == '\t' || bestend[-1] == '\r')) --bestend;
  *relay = best;
  *relaylen = (size_t)(bestend - best);
  return 1;
}
