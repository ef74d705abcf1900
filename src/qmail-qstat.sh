#!/bin/sh
# qmail-qstat: say how many messages are in the queue, and how many of
# them qmail-send has not yet preprocessed (qmail-qstat(8)), by counting
# the files in QMAILHOME/queue/mess and queue/todo. Output as qmail-1.03's:
#   messages in queue: N
#   messages in queue but not yet preprocessed: M
# Runs as root or with group qmail; reads directory listings only and
# writes nothing but stdout (find's complaints, if any, go to stderr).
# Exits 111 if the queue directory cannot be entered.
cd "@QMAILHOME@/queue" || exit 111

files() { # how many files there are below directory $1
  n=`find "$1" -type f -print | wc -l`
  echo $((n))
}

echo "messages in queue: `files mess`"
echo "messages in queue but not yet preprocessed: `files todo`"
