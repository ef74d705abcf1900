/* fuzz_routes.c: libFuzzer target for routes.h (smtproutes lookups). The
 * input's first line is the host, the rest the text of smtproutes.
 * Invariant (abort() if not): routes_find agrees with a model written the
 * way qmail-control(5) describes the file: the lines, trailing spaces,
 * tabs and CRs removed, those empty or starting with '#' dropped, each
 * split at its first colon; then for the host itself, each suffix of it
 * starting at a dot (longest first) and the empty domain, in that order,
 * the relay of the last line whose domain is that candidate, ASCII case
 * ignored. The relay returned points into the text.
 * Build: make B=build-fuzz fuzz (see the Makefile). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "routes.h"
#include "fuzz_common.h"

static int same_domain(const uint8_t *a, const uint8_t *b, size_t n)
{
  for (size_t i = 0; i < n; ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return 0;
  return 1;
}

/* The model's answer for candidate domain key: the last line for it. */
static int model_candidate(const uint8_t *t, size_t len, const uint8_t *key, size_t keylen,
                           const uint8_t **relay, size_t *relaylen)
{
  int found = 0;
  for (size_t at = 0; at < len;) {
    const uint8_t *line = t + at, *nl = memchr(line, '\n', len - at), *colon;
    size_t n = nl ? (size_t)(nl - line) : len - at;
    at += n + (nl != 0);
    while (n && (line[n - 1] == ' ' || line[n - 1] == '\t' || line[n - 1] == '\r')) --n;
    if (!n || line[0] == '#' || !(colon = memchr(line, ':', n))) continue;
    if ((size_t)(colon - line) != keylen || !same_domain(line, key, keylen)) continue;
    found = 1;
    *relay = colon + 1;
    *relaylen = n - keylen - 1;
  }
  return found;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const uint8_t *nl = memchr(data, '\n', size), *text, *want = 0;
  size_t hostlen = nl ? (size_t)(nl - data) : size, len, wantlen = 0;
  const char *relay;
  size_t relaylen;
  int r, model = 0;

  text = nl ? nl + 1 : data + size;
  len = (size_t)(data + size - text);
  for (size_t i = 0; i <= hostlen && !model; ++i)
    if (i == 0 || i == hostlen || data[i] == '.')
      model = model_candidate(text, len, data + i, hostlen - i, &want, &wantlen);
  r = routes_find((const char *)text, len, (const char *)data, hostlen, &relay, &relaylen);
  if (r != model) abort();
  if (r == 1 && ((const uint8_t *)relay != want || relaylen != wantlen)) abort();
  return 0;
}
