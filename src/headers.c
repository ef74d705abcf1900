/* headers.c: header field recognition (see headers.h). */
#include <string.h>
#include "headers.h"

static const char *const names[HEADER_TYPES] = {
  [HEADER_SENDER] = "sender",
  [HEADER_FROM] = "from",
  [HEADER_REPLYTO] = "reply-to",
  [HEADER_TO] = "to",
  [HEADER_CC] = "cc",
  [HEADER_BCC] = "bcc",
  [HEADER_DATE] = "date",
  [HEADER_MESSAGEID] = "message-id",
  [HEADER_R_SENDER] = "resent-sender",
  [HEADER_R_FROM] = "resent-from",
  [HEADER_R_REPLYTO] = "resent-reply-to",
  [HEADER_R_TO] = "resent-to",
  [HEADER_R_CC] = "resent-cc",
  [HEADER_R_BCC] = "resent-bcc",
  [HEADER_R_DATE] = "resent-date",
  [HEADER_R_MESSAGEID] = "resent-message-id",
  [HEADER_RETURNRECEIPTTO] = "return-receipt-to",
  [HEADER_ERRORSTO] = "errors-to",
  [HEADER_APPARENTLYTO] = "apparently-to",
  [HEADER_RETURNPATH] = "return-path",
  [HEADER_CONTENTLENGTH] = "content-length",
  [HEADER_MAILFOLLOWUPTO] = "mail-followup-to",
};

/* Length of the field name at s: the bytes before the colon, less any
 * spaces and tabs just before it; 0 if there is no colon. */
static size_t name_len(const char *s, size_t n)
{
  const char *colon = memchr(s, ':', n);
  size_t len;
  if (!colon) return 0;
  len = (size_t)(colon - s);
  while (len && (s[len - 1] == ' ' || s[len - 1] == '\t')) --len;
  return len;
}

int header_valid(const char *s, size_t n)
{
  size_t i, len = name_len(s, n);
  if (!len) return 0;
  for (i = 0; i < len; ++i) {
    unsigned char c = (unsigned char)s[i];
    if (c <= 32 || c >= 127) return 0;
  }
  return 1;
}

static int lower(unsigned char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

enum header_type header_known(const char *s, size_t n)
{
  size_t len = name_len(s, n), i;
  int t;

  if (!len) return HEADER_OTHER;
  for (t = 1; t < HEADER_TYPES; ++t) {
    const char *name = names[t];
    if (strlen(name) != len) continue;
    for (i = 0; i < len; ++i)
      if (lower((unsigned char)s[i]) != name[i]) break;
    if (i == len) return (enum header_type)t;
  }
  return HEADER_OTHER;
}
