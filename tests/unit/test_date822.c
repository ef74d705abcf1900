/* test_date822.c: unit tests for date822.c (RFC 822 and ctime-style GMT dates, exact bytes). */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "check.h"
#include "date822.h"
#include "str.h"

#define CHECK_SA(sa, lit) \
  check_one((sa).len == sizeof(lit) - 1 && !memcmp((sa).s, (lit), sizeof(lit) - 1) && \
            (sa).s[(sa).len] == 0, #sa " == " #lit, __FILE__, __LINE__)

static str sa;

static void d822(time_t t) { sa.len = 0; CHECK(date822_cat(&sa, t) == 1); }
static void dctime(time_t t) { sa.len = 0; CHECK(date822_catctime(&sa, t) == 1); }

int main(void)
{
  /* The local time zone must not matter. */
  setenv("TZ", "EST5EDT", 1);
  tzset();

  d822(0);
  CHECK_SA(sa, "1 Jan 1970 00:00:00 -0000");
  d822(812090814);
  CHECK_SA(sa, "26 Sep 1995 04:46:54 -0000");
  d822(59);
  CHECK_SA(sa, "1 Jan 1970 00:00:59 -0000");
  d822(86399);
  CHECK_SA(sa, "1 Jan 1970 23:59:59 -0000");
  d822(86400);
  CHECK_SA(sa, "2 Jan 1970 00:00:00 -0000");
  d822(1000000000);
  CHECK_SA(sa, "9 Sep 2001 01:46:40 -0000");
  d822(864000 - 1);
  CHECK_SA(sa, "10 Jan 1970 23:59:59 -0000");
  /* end of leap year 1996: day 366 */
  d822(852076799);
  CHECK_SA(sa, "31 Dec 1996 23:59:59 -0000");
  d822(852076800);
  CHECK_SA(sa, "1 Jan 1997 00:00:00 -0000");
  /* 29 February of 2000 (divisible by 400) */
  d822(951782400);
  CHECK_SA(sa, "29 Feb 2000 00:00:00 -0000");
  d822(951868800);
  CHECK_SA(sa, "1 Mar 2000 00:00:00 -0000");
  /* every month name */
  {
    static const char *want[12] = {
      "15 Jan 2021 12:00:00 -0000", "15 Feb 2021 12:00:00 -0000", "15 Mar 2021 12:00:00 -0000",
      "15 Apr 2021 12:00:00 -0000", "15 May 2021 12:00:00 -0000", "15 Jun 2021 12:00:00 -0000",
      "15 Jul 2021 12:00:00 -0000", "15 Aug 2021 12:00:00 -0000", "15 Sep 2021 12:00:00 -0000",
      "15 Oct 2021 12:00:00 -0000", "15 Nov 2021 12:00:00 -0000", "15 Dec 2021 12:00:00 -0000",
    };
    /* 15 Jan 2021 12:00:00 UTC, then the 15th of each month */
    static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    time_t t = 1610712000;
    int m;
    for (m = 0; m < 12; ++m) {
      sa.len = 0;
      CHECK(date822_cat(&sa, t) == 1);
      CHECK(sa.len == strlen(want[m]) && !memcmp(sa.s, want[m], sa.len));
      t += (time_t)mdays[m] * 86400;
    }
  }
  /* past 2038 (64-bit time_t) */
  if (sizeof(time_t) > 4) {
    d822((time_t)4102444799LL);
    CHECK_SA(sa, "31 Dec 2099 23:59:59 -0000");
  }

  /* cat appends */
  CHECK(str_copys(&sa, "Date: "));
  CHECK(date822_cat(&sa, 812090814) == 1);
  CHECK_SA(sa, "Date: 26 Sep 1995 04:46:54 -0000");

  /* ctime form: day space-padded to two */
  dctime(0);
  CHECK_SA(sa, "Thu Jan 01 00:00:00 1970");
  dctime(812090814);
  CHECK_SA(sa, "Tue Sep 26 04:46:54 1995");
  dctime(1000000000);
  CHECK_SA(sa, "Sun Sep 09 01:46:40 2001");
  dctime(864000);
  CHECK_SA(sa, "Sun Jan 11 00:00:00 1970");
  dctime(852076799);
  CHECK_SA(sa, "Tue Dec 31 23:59:59 1996");
  dctime(951782400);
  CHECK_SA(sa, "Tue Feb 29 00:00:00 2000");
  /* every weekday name: 4-10 Jan 1970 are Sun..Sat */
  {
    static const char *want[7] = {
      "Sun Jan 04 00:00:00 1970", "Mon Jan 05 00:00:00 1970", "Tue Jan 06 00:00:00 1970",
      "Wed Jan 07 00:00:00 1970", "Thu Jan 08 00:00:00 1970", "Fri Jan 09 00:00:00 1970",
      "Sat Jan 10 00:00:00 1970",
    };
    int d;
    for (d = 0; d < 7; ++d) {
      sa.len = 0;
      CHECK(date822_catctime(&sa, (time_t)(3 + d) * 86400) == 1);
      CHECK(sa.len == strlen(want[d]) && !memcmp(sa.s, want[d], sa.len));
    }
  }
  CHECK(str_copys(&sa, "From x "));
  CHECK(date822_catctime(&sa, 0) == 1);
  CHECK_SA(sa, "From x Thu Jan 01 00:00:00 1970");

  str_free(&sa);
  return check_report();
}
