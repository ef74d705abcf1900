/* num.h: decimal formatting and scanning of unsigned numbers, and hex
 * digits. */
#ifndef NUM_H
#define NUM_H

#include <stddef.h>

#define NUM_ULL_DIGITS 20 /* digits in the largest unsigned long long */

/* Write n in decimal to dst (no NUL); return the number of digits.
 * With dst == 0 only the length is computed. */
size_t num_fmt(char *dst, unsigned long long n);

/* Read leading decimal digits of s (at most len bytes) into *value.
 * Return how many bytes were digits. A value too large for an unsigned
 * long long saturates at its maximum instead of wrapping. */
size_t num_scan(const char *s, size_t len, unsigned long long *value);

/* Parse all of s (a C string) as a decimal number; 1 if it is one and
 * fits, else 0. */
int num_parse(const char *s, unsigned long long *value);

/* The value of the hexadecimal digit c (either case), or -1. */
static inline int num_hexdigit(char c)
{
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

#endif
