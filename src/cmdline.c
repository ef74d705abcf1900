/* cmdline.c: bounded command lines (see cmdline.h). */
#include <string.h>
#include "cmdline.h"

int cmdline_take(char *line, size_t max, size_t *len, int *overlong, int *complete,
                 const char *buf, size_t buflen, size_t *used)
{
  const char *lf;
  size_t take;

  if (*complete) *len = *overlong = *complete = 0;
  lf = memchr(buf, '\n', buflen);
  take = lf ? (size_t)(lf - buf) : buflen;
  if (!*overlong) {
    /* Room for max bytes and a CR; the NUL slot stays free. What does not
     * fit is dropped. */
    size_t room = max + 1 - *len;
    size_t keep = take > room ? room : take;
    memcpy(line + *len, buf, keep);
    *len += keep;
    if (take > room) *overlong = 1;
  }
  if (!lf) {
    *used = buflen;
    return 0;
  }
  *used = take + 1;
  *complete = 1;
  if (!*overlong) {
    if (*len && line[*len - 1] == '\r') --*len;
    if (*len > max) *overlong = 1;
  }
  return 1;
}
