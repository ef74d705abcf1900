/* date822.c: RFC 822 and ctime-style dates in GMT (see date822.h). */
#include "date822.h"

static const char months[12][4] = {
  "Jan", "Feb", "Mar", "Apr", "May", "Jun",
  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};
static const char weekdays[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };

static int cat_clock(str *sa, const struct tm *tm)
{
  return str_catnum0(sa, (unsigned)tm->tm_hour, 2) && str_putc(sa, ':') &&
         str_catnum0(sa, (unsigned)tm->tm_min, 2) && str_putc(sa, ':') &&
         str_catnum0(sa, (unsigned)tm->tm_sec, 2);
}

int date822_cat(str *sa, time_t t)
{
  struct tm tm;
  if (!gmtime_r(&t, &tm)) return 0;
  return str_catnum(sa, (unsigned)tm.tm_mday) && str_putc(sa, ' ') &&
         str_cats(sa, months[tm.tm_mon]) && str_putc(sa, ' ') &&
         str_catnum(sa, (unsigned long long)tm.tm_year + 1900) && str_putc(sa, ' ') &&
         cat_clock(sa, &tm) && str_cats(sa, " -0000");
}

int date822_catctime(str *sa, time_t t)
{
  struct tm tm;
  if (!gmtime_r(&t, &tm)) return 0;
  return str_cats(sa, weekdays[tm.tm_wday]) && str_putc(sa, ' ') &&
         str_cats(sa, months[tm.tm_mon]) && str_putc(sa, ' ') &&
         str_catnum0(sa, (unsigned)tm.tm_mday, 2) && str_putc(sa, ' ') &&
         cat_clock(sa, &tm) && str_putc(sa, ' ') &&
         str_catnum(sa, (unsigned long long)tm.tm_year + 1900);
}
