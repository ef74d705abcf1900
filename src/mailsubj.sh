#!/bin/sh
# mailsubj: send stdin as the body of a message with the given subject to
# the given recipients (mailsubj(1)): writes Subject and To header lines,
# a blank line and the body to qmail-inject, which takes the recipients
# from the To line. Runs as the invoking user; the subject and recipients
# are copied into the header as given (they must be quoted for it).
# Usage: mailsubj subject recipient ...
subject="$1"
shift
{
  printf 'Subject: %s\n' "$subject"
  printf 'To:'
  for recipient in ${1+"$@"}; do printf ' %s' "$recipient"; done
  printf '\n'
  printf '\n'
  cat
} | @QMAILHOME@/bin/qmail-inject
