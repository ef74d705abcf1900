/* test_qq.c: unit tests for qq_exittext (the qmail-queue exit-code texts of spec/smtpd.md). */
#include <string.h>
#include "check.h"
#include "qq.h"

int main(void)
{
  int code;

  CHECK_STR(qq_exittext(0), "");
  CHECK_STR(qq_exittext(11), "Denvelope address too long for qq (#5.1.3)");
  CHECK_STR(qq_exittext(31), "Dmail server permanently rejected message (#5.3.0)");
  CHECK_STR(qq_exittext(51), "Zqq out of memory (#4.3.0)");
  CHECK_STR(qq_exittext(52), "Zqq timeout (#4.3.0)");
  CHECK_STR(qq_exittext(53), "Zqq write error or disk full (#4.3.0)");
  CHECK_STR(qq_exittext(54), "Zqq read error (#4.3.0)");
  CHECK_STR(qq_exittext(55), "Zqq unable to read configuration (#4.3.0)");
  CHECK_STR(qq_exittext(56), "Zqq trouble making network connection (#4.3.0)");
  CHECK_STR(qq_exittext(61), "Zqq trouble in home directory (#4.3.0)");
  for (code = 62; code <= 66; ++code)
    CHECK_STR(qq_exittext(code), "Zqq trouble creating files in queue (#4.3.0)");
  CHECK_STR(qq_exittext(71), "Zmail server temporarily rejected message (#4.3.0)");
  CHECK_STR(qq_exittext(72), "Zconnection to mail server timed out (#4.4.1)");
  CHECK_STR(qq_exittext(73), "Zconnection to mail server rejected (#4.4.1)");
  CHECK_STR(qq_exittext(74), "Zcommunication with mail server failed (#4.4.2)");
  CHECK_STR(qq_exittext(81), "Zqq internal bug (#4.3.0)");
  CHECK_STR(qq_exittext(91), "Zqq internal bug (#4.3.0)");

  /* other 11..40: permanent */
  CHECK_STR(qq_exittext(12), "Dqq permanent problem (#5.3.0)");
  CHECK_STR(qq_exittext(25), "Dqq permanent problem (#5.3.0)");
  CHECK_STR(qq_exittext(30), "Dqq permanent problem (#5.3.0)");
  CHECK_STR(qq_exittext(32), "Dqq permanent problem (#5.3.0)");
  CHECK_STR(qq_exittext(40), "Dqq permanent problem (#5.3.0)");
  for (code = 11; code <= 40; ++code) CHECK(qq_exittext(code)[0] == 'D');

  /* anything else: temporary */
  CHECK_STR(qq_exittext(1), "Zqq temporary problem (#4.3.0)");
  CHECK_STR(qq_exittext(10), "Zqq temporary problem (#4.3.0)");
  CHECK_STR(qq_exittext(41), "Zqq temporary problem (#4.3.0)");
  CHECK_STR(qq_exittext(50), "Zqq temporary problem (#4.3.0)");
  CHECK_STR(qq_exittext(57), "Zqq temporary problem (#4.3.0)");
  CHECK_STR(qq_exittext(60), "Zqq temporary problem (#4.3.0)");
  CHECK_STR(qq_exittext(67), "Zqq temporary problem (#4.3.0)");
  CHECK_STR(qq_exittext(75), "Zqq temporary problem (#4.3.0)");
  CHECK_STR(qq_exittext(82), "Zqq temporary problem (#4.3.0)");
  CHECK_STR(qq_exittext(100), "Zqq temporary problem (#4.3.0)");
  CHECK_STR(qq_exittext(255), "Zqq temporary problem (#4.3.0)");
  CHECK_STR(qq_exittext(-1), "Zqq temporary problem (#4.3.0)");
  for (code = 41; code <= 255; ++code)
    if (code != 115) CHECK(qq_exittext(code)[0] == 'Z');
  for (code = 1; code <= 10; ++code) CHECK(qq_exittext(code)[0] == 'Z');

  /* qmail-1.03's compatibility codes (qmail.c): 115 as 11, 120 exec failure */
  CHECK_STR(qq_exittext(115), "Denvelope address too long for qq (#5.1.3)");
  CHECK_STR(qq_exittext(120), "Zunable to exec qq (#4.3.0)");

  return check_report();
}
