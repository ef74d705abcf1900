/* safemath.h: size arithmetic that reports overflow instead of wrapping.
 * Every length computed from input goes through these (qmail-1.03's
 * unsigned-int lengths wrapped on 64-bit hosts: CVE-2005-1513). */
#ifndef SAFEMATH_H
#define SAFEMATH_H

#include <stddef.h>

/* Store a+b in *sum; return 1, or 0 if the sum does not fit a size_t. */
static inline int size_add(size_t a, size_t b, size_t *sum)
{
  return !__builtin_add_overflow(a, b, sum);
}

/* Store a*b in *product; return 1, or 0 on overflow. */
static inline int size_mul(size_t a, size_t b, size_t *product)
{
  return !__builtin_mul_overflow(a, b, product);
}

#endif
