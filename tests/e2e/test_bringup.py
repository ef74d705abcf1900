"""make up (src/bringup) on the scratch tree, as root, in private mount,
network and process namespaces: /etc, /usr/sbin, /usr/lib and /var/log
are overlays whose changes vanish with the test, ports 25 and 110 are
the namespace's own, and svscan with everything it supervises ends with
the namespace. Checked: the first run brings up all three services and
links /usr/sbin/sendmail and /usr/lib/sendmail to QMAILHOME/bin/sendmail,
so that bsd-mailx's `mail root` reaches the alias user's Maildir; the
SMTP service refuses an unknown local recipient (rcptcheck); after
an administrator's svc -d, a second run brings the services up again and
says so, leaving alone a sendmail that is not ours. With ucspi-tcp-ipv6's
programs in place of ucspi-tcp's (an overlay on /usr/bin), make up lets
::1 relay as 127.0.0.1 and the SMTP service answers on both."""
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import unittest


from harness import Q, REPO, set_users_assign
from test_delivery import restore, snapshot

MAILX = os.path.join(REPO, 'build', 'mailx', 'usr', 'bin', 'bsd-mailx')
UCSPI6 = os.path.join(REPO, 'build', 'ucspi6', 'usr', 'bin')
SERVICES = ('qmail-send', 'qmail-smtpd', 'qmail-pop3d')

# Runs inside the namespaces: $1 the test's directory, $2 the scratch
# tree, $3 QMAILHOME, $4 bsd-mailx. Each step's output goes to a file of
# its own in $1; the script stops at the first step that fails.
SCRIPT = r'''
set -eu
T=$1 TREE=$2 QMAIL=$3 MAILX=$4
ip link set lo up
for d in /etc /usr/sbin /usr/lib /var/log; do
  mkdir -p "$T/upper$d" "$T/work$d"
  mount -t overlay overlay -o "lowerdir=$d,upperdir=$T/upper$d,workdir=$T/work$d" "$d"
done
rm -f /usr/sbin/sendmail /usr/lib/sendmail
cd "$TREE"
HOST=up.example make -s up > "$T/up1" 2>&1
cat "$QMAIL/control/smtpsize" "$QMAIL/control/smtplog" "$QMAIL/control/queuewarn" \
  "$QMAIL/control/rcptcheck" > "$T/controls"
readlink /usr/sbin/sendmail > "$T/link-sbin"
readlink /usr/lib/sendmail > "$T/link-lib"
for s in qmail-send qmail-smtpd qmail-pop3d; do svstat "/etc/service/$s"; done > "$T/stat1"
echo 'mail from the MUA' | "$MAILX" -s 'through sendmail' root
tries=0
until [ -n "$(ls "$QMAIL/alias/Maildir/new")" ]; do
  tries=$((tries + 1))
  if [ $tries -gt 100 ]; then
    cat /var/log/qmail/*/current > "$T/logs" 2>&1
    exit 3
  fi
  sleep 0.1
done
cat "$QMAIL"/alias/Maildir/new/* > "$T/delivered"
# rcptcheck, on for a new site: the supervised SMTP service refuses an
# unknown local recipient and takes postmaster
for rcpt in nosuchuser postmaster; do
  swaks --server 127.0.0.1 --from someone@client.example --to "$rcpt@up.example" \
    --quit-after RCPT > "$T/rcpt-$rcpt" 2>&1 || true
done
# an administrator stops two services; another MTA's sendmail appears
svc -d /etc/service/qmail-send /etc/service/qmail-smtpd
tries=0
until svstat /etc/service/qmail-send /etc/service/qmail-smtpd | grep -c ': down ' | grep -qx 2; do
  tries=$((tries + 1)); [ $tries -gt 100 ] && exit 4
  sleep 0.1
done
rm /usr/lib/sendmail
echo 'another MTA' > /usr/lib/sendmail
HOST=up.example make -s up > "$T/up2" 2>&1
sleep 1  # multilog writes what the SMTP service logged
cat /var/log/qmail/qmail-smtpd/current > "$T/smtpdlog"
for s in qmail-send qmail-smtpd qmail-pop3d; do svstat "/etc/service/$s"; done > "$T/stat2"
cat /usr/lib/sendmail > "$T/foreign"
'''


# The same with ucspi-tcp-ipv6: $4 is the directory of its programs.
SCRIPT6 = r'''
set -eu
T=$1 TREE=$2 QMAIL=$3 UCSPI6=$4
ip link set lo up
for d in /etc /usr/sbin /usr/lib /usr/bin /var/log; do
  mkdir -p "$T/upper$d" "$T/work$d"
  mount -t overlay overlay -o "lowerdir=$d,upperdir=$T/upper$d,workdir=$T/work$d" "$d"
done
cp "$UCSPI6/tcpserver" "$UCSPI6/tcprules" "$UCSPI6/tcpclient" /usr/bin/
cd "$TREE"
HOST=up6.example make -s up > "$T/up1" 2>&1
cp /etc/tcp.smtp "$T/tcp.smtp"
for ip in ::1 127.0.0.1; do
  python3 -c "$CLIENT" "$ip" > "$T/session-$ip"
done
sleep 1  # multilog writes what the SMTP service logged
cat /var/log/qmail/qmail-smtpd/current > "$T/smtpdlog"
'''

# An SMTP client for SCRIPT6: argv[1] the server's address.
CLIENT6 = r'''
import socket, sys
s = socket.create_connection((sys.argv[1], 25), timeout=20)
f = s.makefile('rb')
def reply():
    while True:
        line = f.readline().decode().rstrip('\r\n')
        if line[3:4] != '-':
            return line
out = [reply()]
for c in ('HELO c.example', 'MAIL FROM:<a@c.example>', 'RCPT TO:<x@elsewhere.example>', 'QUIT'):
    s.sendall(c.encode() + b'\r\n')
    out.append(reply())
print('\n'.join(out))
'''


class Bringup(unittest.TestCase):
    def setUp(self):
        if not os.path.exists(MAILX):
            self.fail('bsd-mailx was not unpacked into build/mailx (tests/run does that)')
        self.dir = tempfile.mkdtemp(prefix='bringup-', dir=Q.root)
        self.addCleanup(shutil.rmtree, self.dir, True)
        # what make up writes in the scratch QMAILHOME goes back afterwards
        for d in ('control', 'alias', 'users'):
            path = os.path.join(Q.home, d)
            self.addCleanup(restore, path, snapshot(path))
        self.addCleanup(shutil.rmtree, os.path.join(Q.home, 'supervise'), True)
        Q.clear_controls()
        Q.clear_queue()
        self.addCleanup(Q.clear_queue)
        # the alias account's home is the scratch one (its passwd entry
        # names /var/qmail/alias, which a test must not use)
        alias = pwd.getpwnam('alias')
        set_users_assign([], '+:alias:%d:%d:%s:-::\n'
                         % (alias.pw_uid, alias.pw_gid, os.path.join(Q.home, 'alias')))

    def read(self, name):
        with open(os.path.join(self.dir, name)) as f:
            return f.read()

    def test_up_again_after_svc_down(self):
        r = subprocess.run(['unshare', '--mount', '--net', '--pid', '--fork', '--mount-proc',
                            'sh', '-c', SCRIPT, 'bringup-test', self.dir, Q.tree, Q.home, MAILX],
                           capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            outs = {n: self.read(n) for n in ('up1', 'up2', 'logs')
                    if os.path.exists(os.path.join(self.dir, n))}
            self.fail('exit %d: %s %s %r' % (r.returncode, r.stdout, r.stderr, outs))
        sendmail = os.path.join(Q.home, 'bin', 'sendmail')
        up1 = self.read('up1')
        self.assertIn('bringup: linked /usr/sbin/sendmail to %s\n' % sendmail, up1)
        self.assertIn('bringup: linked /usr/lib/sendmail to %s\n' % sendmail, up1)
        self.assertIn('answering SMTP on port 25', up1)
        # smtpsize, smtplog, queuewarn, rcptcheck: what a new site wants
        self.assertEqual(self.read('controls'), '1\n1\n4\n1\n')
        # make up's own test sessions, in the SMTP service's log
        log = self.read('smtpdlog')
        m = re.search(r'\n@[0-9a-f]{24} tcpserver: pid (\d+) from 127\.0\.0\.1\n', log)
        self.assertTrue(m, log)
        self.assertIn(' %s smtp from 127.0.0.1 host unknown\n' % m.group(1), log)
        self.assertIn(' %s end dropped mails 0 rcpts 0 queued 0\n' % m.group(1), log)
        self.assertIn('\n<** 550 sorry, no mailbox here by that name (#5.1.1)\n',
                      self.read('rcpt-nosuchuser'))
        self.assertIn('\n<-  250 ok\n', self.read('rcpt-postmaster').split('RCPT TO:', 1)[1])
        self.assertRegex(log, r' \d+ rcpt <nosuchuser@up\.example> refused 550 sorry, no mailbox '
                              r'here by that name \(#5\.1\.1\)\n')
        self.assertEqual(self.read('link-sbin'), sendmail + '\n')
        self.assertEqual(self.read('link-lib'), sendmail + '\n')
        for s, line in zip(SERVICES, self.read('stat1').splitlines()):
            self.assertRegex(line, r'^/etc/service/%s: up \(pid \d+\)' % s)
        delivered = self.read('delivered')
        self.assertIn('\nSubject: through sendmail\n', delivered)
        self.assertIn('\n\nmail from the MUA\n', delivered)

        up2 = self.read('up2')
        self.assertIn('bringup: starting /etc/service/qmail-send (it was down)\n', up2)
        self.assertIn('bringup: starting /etc/service/qmail-smtpd (it was down)\n', up2)
        self.assertNotIn('qmail-pop3d (it was down)', up2)
        self.assertIn('bringup: leaving /usr/lib/sendmail alone: it is not ours', up2)
        self.assertNotIn('/usr/sbin/sendmail', up2)  # ours already
        self.assertIn('answering SMTP on port 25', up2)
        for s, line in zip(SERVICES, self.read('stat2').splitlines()):
            self.assertRegex(line, r'^/etc/service/%s: up \(pid \d+\)' % s)
        self.assertEqual(self.read('foreign'), 'another MTA\n')


    def test_up_with_ucspi_tcp_ipv6(self):
        if not os.path.exists(os.path.join(UCSPI6, 'tcpserver')):
            self.fail('ucspi-tcp-ipv6 was not unpacked into build/ucspi6 (tests/run does that)')
        r = subprocess.run(['unshare', '--mount', '--net', '--pid', '--fork', '--mount-proc',
                            'sh', '-c', SCRIPT6, 'bringup-test', self.dir, Q.tree, Q.home, UCSPI6],
                           capture_output=True, text=True, timeout=300,
                           env={'PATH': '/usr/bin:/bin:/usr/sbin:/sbin', 'CLIENT': CLIENT6})
        if r.returncode != 0:
            outs = {n: self.read(n) for n in ('up1',) if os.path.exists(os.path.join(self.dir, n))}
            self.fail('exit %d: %s %s %r' % (r.returncode, r.stdout, r.stderr, outs))
        self.assertIn("bringup: tcpserver is ucspi-tcp-ipv6's: SMTP and POP3 are answered on IPv6"
                      " as well\n", self.read('up1'))
        self.assertEqual(self.read('tcp.smtp'),
                         '127.0.0.1:allow,RELAYCLIENT=""\n::1:allow,RELAYCLIENT=""\n:allow\n')
        for ip in ('::1', '127.0.0.1'):
            self.assertEqual(self.read('session-' + ip).splitlines(),
                             ['220 up6.example ESMTP', '250 up6.example', '250 ok', '250 ok',
                              '221 up6.example'], ip)
        log = self.read('smtpdlog')
        self.assertRegex(log, r' \d+ smtp from ::1 host unknown\n')
        self.assertRegex(log, r' \d+ smtp from 127\.0\.0\.1 host unknown\n')
        # no IPv6 route out in the namespace: remote mail stays IPv4
        self.assertFalse(os.path.exists(os.path.join(Q.home, 'control', 'remoteipv6')))


if __name__ == '__main__':
    unittest.main()
