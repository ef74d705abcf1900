#!/bin/sh
# datemail: sendmail(8) with a Date header line in local time put in
# front of the message (datemail(8)), for mail programs that leave the
# date out. Runs as the invoking user; passes its arguments on unchanged.
exec @QMAILHOME@/bin/predate @QMAILHOME@/bin/sendmail ${1+"$@"}
