#!/bin/sh
# config: write the basic control files for this host from what its name
# and DNS say, as qmail-1.03's config does (config-fast does the same for
# a name given by hand, without DNS). Usage: config
# The host name (from the hostname program, lower-cased) is looked up
# with dnsfq (its first address's PTR name, also lower-cased): that name
# goes into me; it less its first label (when it has at least two dots)
# into defaultdomain; its last two labels into plusdomain. Then every
# address of that name (dnsip) and of this host's interfaces (ipmeprint)
# is looked up with dnsptr, and each name found goes into locals, which
# is then copied to rcpthosts. Exit 0; 1 when the host name or its DNS
# name cannot be found (1.03 exits 0 then too), in which case nothing is
# written.
# Runs as root (the files belong to it); uses QMAILHOME/bin/hostname,
# dnsfq, dnsip, ipmeprint and dnsptr (which ask the DNS servers of
# /etc/resolv.conf); writes QMAILHOME/control/me, defaultdomain,
# plusdomain, locals and rcpthosts, mode 0644.
QMAIL=@QMAILHOME@
BIN=$QMAIL/bin
CONTROL=$QMAIL/control
umask 022

# Print the first line of the input; false when there is none.
firstline() {
  IFS= read -r line && printf '%s\n' "$line"
}

lower() {
  tr 'ABCDEFGHIJKLMNOPQRSTUVWXYZ' 'abcdefghijklmnopqrstuvwxyz'
}

# put NAME VALUE: replace control/NAME by the one line VALUE.
put() {
  echo "Putting $2 into control/$1..."
  echo "$2" > "$CONTROL/$1"
  chmod 644 "$CONTROL/$1"
}

if ! host=$("$BIN/hostname" | lower | firstline); then
  echo "Sorry, I couldn't find your hostname."
  echo 'You will have to set up control/me yourself.'
  exit 1
fi
echo "Your hostname is $host."

if ! fqdn=$("$BIN/dnsfq" "$host" | lower | firstline); then
  echo "Sorry, I couldn't find your host's canonical name in DNS."
  echo 'You will have to set up control/me yourself.'
  exit 1
fi
echo "Your host's fully qualified name in DNS is $fqdn."

put me "$fqdn"
put defaultdomain "$(echo "$fqdn" | sed 's/^\([^.]*\)\.\([^.]*\)\./\2./')"
put plusdomain "$(echo "$fqdn" | sed 's/^.*\.\([^.]*\)\.\([^.]*\)$/\1.\2/')"

echo ' '
echo 'Checking local IP addresses:'
: > "$CONTROL/locals"
chmod 644 "$CONTROL/locals"
# the IPv4 addresses, as qmail-1.03 looks at them (ipmeprint lists IPv6 too)
{ "$BIN/dnsip" "$fqdn"; "$BIN/ipmeprint" | grep -v :; } | LC_ALL=C sort -u | while IFS= read -r ip; do
  if name=$("$BIN/dnsptr" "$ip" 2>/dev/null | firstline); then
    echo "$ip: Adding $name to control/locals..."
    echo "$name" >> "$CONTROL/locals"
  else
    echo "$ip: PTR lookup failed. I assume this address has no DNS name."
  fi
done

echo ' '
echo 'If there are any other domain names that point to you,'
echo "you will have to add them to $CONTROL/locals."
echo "You don't have to worry about aliases, i.e., domains with CNAME records."
echo ' '
echo "Copying $CONTROL/locals to $CONTROL/rcpthosts..."
cp "$CONTROL/locals" "$CONTROL/rcpthosts"
chmod 644 "$CONTROL/rcpthosts"
echo 'Now qmail will refuse to accept SMTP messages except to those hosts.'
echo 'Make sure to change rcpthosts if you add hosts to locals or virtualdomains!'
