/* num.c: decimal formatting and scanning (see num.h). */
#include <limits.h>
#include <string.h>
#include "num.h"

size_t num_fmt(char *dst, unsigned long long n)
{
  char tmp[NUM_ULL_DIGITS];
  size_t len = 0;

  do {
    tmp[len++] = (char)('0' + n % 10);
    n /= 10;
  } while (n);
  if (dst)
    for (size_t i = 0; i < len; ++i) dst[i] = tmp[len - 1 - i];
  return len;
}

size_t num_scan(const char *s, size_t len, unsigned long long *value)
{
  unsigned long long v = 0;
  size_t i;

  for (i = 0; i < len && s[i] >= '0' && s[i] <= '9'; ++i) {
    unsigned int d = (unsigned int)(s[i] - '0');
    if (v > (ULLONG_MAX - d) / 10)
      v = ULLONG_MAX;
    else
      v = v * 10 + d;
  }
  *value = v;
  return i;
}

int num_parse(const char *s, unsigned long long *value)
{
  size_t len = strlen(s);
  if (!len || num_scan(s, len, value) != len) return 0;
  if (*value != ULLONG_MAX) return 1;
  while (s[0] == '0' && s[1]) ++s; /* leading zeros do not make it overflow */
  return !strcmp(s, "18446744073709551615");
}
