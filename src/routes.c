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

/* The rank of domain key among host's candidates: 0 for host itself,
 * then one per dot from the left (longer suffixes rank first), then the
 * empty domain; -1 for none of them. */
static long rank_of(const char *key, size_t keylen, const char *host, size_t hostlen)
{
  long rank = 0;
  if (keylen > hostlen) return -1;
  if (!keylen) {
    for (size_t i = 0; i < hostlen; ++i) rank += host[i] == '.';
    return rank + 1;
  }
  if (keylen == hostlen) return same_nocase(key, host, keylen) ? 0 : -1;
  if (key[0] != '.') return -1;
  /* host's suffix of keylen bytes must start at a dot: count the dots
   * before it to rank it */
  if (host[hostlen - keylen] != '.' || !same_nocase(key, host + hostlen - keylen, keylen)) return -1;
  for (size_t i = 0; i <= hostlen - keylen; ++i) rank += host[i] == '.';
  return rank;
}

int routes_find(const char *text, size_t len, const char *host, size_t hostlen,
                const char **relay, size_t *relaylen)
{
  const char *end = text + len, *best = 0, *bestend = 0;
  long bestrank = -1;

  for (const char *line = text; line < end;) {
    const char *nl = memchr(line, '\n', (size_t)(end - line));
    const char *stop = nl ? nl : end, *colon;
    long rank;

    if ((size_t)(stop - line) > CONTROL_LINE_MAX) {
      errno = EFBIG;
      return -1;
    }
    if (line < stop && *line != '#' && (colon = memchr(line, ':', (size_t)(stop - line)))) {
      rank = rank_of(line, (size_t)(colon - line), host, hostlen);
      /* the later line wins among equals */
      if (rank >= 0 && (bestrank < 0 || rank <= bestrank)) {
        bestrank = rank;
        best = colon + 1;
        bestend = stop;
      }
    }
    line = nl ? nl + 1 : end;
  }
  if (!best) return 0;
  while (bestend > best && (bestend[-1] == ' ' || bestend[-1] == '\t' || bestend[-1] == '\r')) --bestend;
  *relay = best;
  *relaylen = (size_t)(bestend - best);
  return 1;
}
