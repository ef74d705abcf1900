#!/bin/sh
# config-fast: write the basic control files for this host without
# asking DNS. Usage: config-fast fully.qualified.host.name
# me = the name; defaultdomain = the name less its first label (when it
# has at least two dots); plusdomain = its last two labels; the name is
# added to locals and rcpthosts.
set -e
QMAIL=@QMAILHOME@
fqdn=${1:?usage: config-fast fqdn}
umask 022
echo "Your fully qualified host name is $fqdn."

echo "Putting $fqdn into control/me..."
echo "$fqdn" > "$QMAIL/control/me"

ddom=$(echo "$fqdn" | sed 's/^\([^.]*\)\.\([^.]*\)\./\2./')
echo "Putting $ddom into control/defaultdomain..."
echo "$ddom" > "$QMAIL/control/defaultdomain"

pdom=$(echo "$fqdn" | sed 's/^.*\.\([^.]*\)\.\([^.]*\)$/\1.\2/')
echo "Putting $pdom into control/plusdomain..."
echo "$pdom" > "$QMAIL/control/plusdomain"

echo "Putting $fqdn into control/locals..."
echo "$fqdn" >> "$QMAIL/control/locals"

echo "Putting $fqdn into control/rcpthosts..."
echo "$fqdn" >> "$QMAIL/control/rcpthosts"
echo "Now qmail will refuse to accept SMTP messages except to $fqdn."
echo 'Make sure to change rcpthosts if you add hosts to locals or virtualdomains!'
