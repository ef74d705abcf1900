#!/bin/sh
# pinq: move new mail from $MAILDIR into the mbox $MAIL with maildir2mbox,
# then run pine on it with the same arguments (only if the move worked,
# so no mail is left behind unseen).
@QMAILHOME@/bin/maildir2mbox && exec pine ${1+"$@"}
