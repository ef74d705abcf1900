/* str.h: growable byte strings.
 * s[0..len) holds the bytes (NULs allowed); s[len] is always a NUL that is
 * not counted, so a string without embedded NULs is also a C string.
 * Every function that grows a string returns 1 on success and 0 when
 * memory is exhausted or a size would overflow (errno = ENOMEM); the
 * string is then unchanged. */
#ifndef STR_H
#define STR_H

#include <stddef.h>

typedef struct {
  char *s;
  size_t len;
  size_t cap; /* bytes allocated, including the terminating NUL */
} str;

#define STR_INIT { 0, 0, 0 }

int str_reserve(str *sa, size_t extra);        /* room for len+extra */
int str_cat(str *sa, const void *buf, size_t n);
int str_cats(str *sa, const char *s);
int str_catstr(str *sa, const str *from);
int str_copy(str *sa, const void *buf, size_t n);
int str_copys(str *sa, const char *s);
int str_copystr(str *sa, const str *from);
int str_putc(str *sa, char c);
int str_catnum(str *sa, unsigned long long n);
/* Append n, zero-padded on the left to at least width digits. */
int str_catnum0(str *sa, unsigned long long n, unsigned int width);
void str_truncate(str *sa, size_t len);
void str_free(str *sa);
/* 1 if sa begins with the n bytes of prefix. */
int str_starts(const str *sa, const char *prefix);
/* 1 if the bytes equal s exactly (case-sensitive). */
int str_equals(const str *sa, const char *s);

#endif
