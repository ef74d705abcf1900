/* headers.h: recognizing mail header fields (qmail-header(5)): which
 * lines start a field, and which fields qmail-inject knows by name. */
#ifndef HEADERS_H
#define HEADERS_H

#include <stddef.h>

/* The fields qmail-inject treats specially; 0 (HEADER_OTHER) for the rest. */
enum header_type {
  HEADER_OTHER = 0,
  HEADER_SENDER,
  HEADER_FROM,
  HEADER_REPLYTO,
  HEADER_TO,
  HEADER_CC,
  HEADER_BCC,
  HEADER_DATE,
  HEADER_MESSAGEID,
  HEADER_R_SENDER,
  HEADER_R_FROM,
  HEADER_R_REPLYTO,
  HEADER_R_TO,
  HEADER_R_CC,
  HEADER_R_BCC,
  HEADER_R_DATE,
  HEADER_R_MESSAGEID,
  HEADER_RETURNRECEIPTTO,
  HEADER_ERRORSTO,
  HEADER_APPARENTLYTO,
  HEADER_RETURNPATH,
  HEADER_CONTENTLENGTH,
  HEADER_MAILFOLLOWUPTO,
  HEADER_TYPES /* number of types */
};

/* 1 if the n bytes at s start a header field: a non-empty name of
 * printable non-space ASCII, then optional spaces or tabs, then a colon. */
int header_valid(const char *s, size_t n);

/* The type of the field starting at s (name compared without regard to
 * case; spaces or tabs may stand before the colon). */
enum header_type header_known(const char *s, size_t n);

#endif
