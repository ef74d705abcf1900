/* date822.h: RFC 822 dates as qmail writes them, always in GMT:
 * "26 Sep 1995 04:46:54 -0000" (day without a leading zero). */
#ifndef DATE822_H
#define DATE822_H

#include <time.h>
#include "str.h"

/* Append the date for t to sa; 1 on success, 0 out of memory. */
int date822_cat(str *sa, time_t t);

/* Append the date in ctime() form, GMT, as qmail writes an mbox From_
 * line: "Thu Nov 04 13:42:01 2026" (unlike ctime, the day is zero-padded). */
int date822_catctime(str *sa, time_t t);

#endif
