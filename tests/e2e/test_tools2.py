"""sendmail, predate, datemail, mailsubj and qmail-showctl end to end:
qmail-showctl's exact output, predate's Date line, sendmail's refusals and
(once qmail-inject, qmail-qread, qmail-smtpd are installed) the messages
and sessions it hands on."""
import calendar
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import time
import unittest

from harness import Q

USAGE = b'sendmail: usage: sendmail [ -t ] [ -fsender ] [ -Fname ] [ -bp ] [ -bs ] [ arg ... ]\n'
MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
DATE = re.compile(rb'^Date: ([1-9]|[12][0-9]|3[01]) (%s) (\d{4}) ([01]\d|2[0-3]):([0-5]\d):([0-5]\d) '
                  rb'([+-])(\d\d)(\d\d)\n' % '|'.join(MONTHS).encode())


def conf(name):
    with open(os.path.join(Q.tree, name)) as f:
        return f.read().split('\n')


def date_epoch(m):
    """The moment a DATE match names, as seconds since the epoch."""
    day, mon, year, hh, mm, ss, sign, zh, zm = [g.decode() for g in m.groups()]
    local = calendar.timegm((int(year), MONTHS.index(mon) + 1, int(day), int(hh), int(mm), int(ss)))
    offset = (int(zh) * 60 + int(zm)) * 60
    return local - offset if sign == '+' else local + offset


def showctl_head():
    users = conf('conf-users')[:8]
    groups = conf('conf-groups')[:2]
    return ('qmail home directory: %s.\n'
            'user-ext delimiter: %s.\n'
            'paternalism (in decimal): %d.\n'
            'silent concurrency limit: %d.\n'
            'subdirectory split: %d.\n'
            'user ids: %s.\n'
            'group ids: %d, %d.\n' % (
                Q.home, conf('conf-break')[0], int(conf('conf-patrn')[0], 8),
                int(conf('conf-spawn')[0]), int(conf('conf-split')[0]),
                ', '.join(str(pwd.getpwnam(u).pw_uid) for u in users),
                Q.gid(groups[1]), Q.gid(groups[0]))).encode()


DEFAULTS = b'''
badmailfrom: (Default.) Any MAIL FROM is allowed.

bouncefrom: (Default.) Bounce user name is MAILER-DAEMON.

bouncehost: (Default.) Bounce host name is bouncehost.

concurrencylocal: (Default.) Local concurrency is 10.

concurrencyremote: (Default.) Remote concurrency is 20.

databytes: (Default.) SMTP DATA limit is 0 bytes.

defaultdomain: (Default.) Default domain name is defaultdomain.

defaulthost: (Default.) Default host name is defaulthost.

doublebouncehost: (Default.) 2B recipient host: doublebouncehost.

doublebounceto: (Default.) 2B recipient user: postmaster.

envnoathost: (Default.) Presumed domain name is envnoathost.

helohost: (Default.) SMTP client HELO host name is helohost.

idhost: (Default.) Message-ID host name is idhost.

localiphost: (Default.) Local IP address becomes localiphost.

locals: (Default.) Messages for me are delivered locally.

me: (Default.) My name is undefined! Uh-oh.

outgoingip: (Default.) SMTP client IPv4 source address is chosen by the system.

outgoingip6: (Default.) SMTP client IPv6 source address is chosen by the system.

percenthack: (Default.) The percent hack is not allowed.

plusdomain: (Default.) Plus domain name is plusdomain.

qmqpservers: (Default.) No QMQP servers.

queuelifetime: (Default.) Message lifetime in the queue is 604800 seconds.

queuewarn: (Default.) No delay notices are sent.

rcptcheck: (Default.) SMTP accepts every local address; delivery bounces those without a mailbox.

rcpthosts: (Default.) SMTP clients may send messages to any recipient.

morercpthosts: (Default.) No rcpthosts; morercpthosts is irrelevant.

morercpthosts.cdb: (Default.) No effect.

remotebatch: (Default.) Remote recipients at one domain share an SMTP connection, up to 100.

remoteipv6: (Default.) Remote deliveries use IPv4 only.

smtpgreeting: (Default.) SMTP greeting: 220 smtpgreeting.

smtplog: (Default.) SMTP, QMTP and QMQP sessions are not logged.

smtproutes: (Default.) No artificial SMTP routes.

smtpsize: (Default.) SMTP does not offer SIZE.

timeoutconnect: (Default.) SMTP client connection timeout is 60 seconds.

timeoutremote: (Default.) SMTP client data timeout is 1200 seconds.

timeoutsmtpd: (Default.) SMTP server data timeout is 1200 seconds.

virtualdomains: (Default.) No virtual domains.
'''

CONFIGURED = b'''
badmailfrom: 
spam@example.com not accepted in MAIL FROM.
@spam.example not accepted in MAIL FROM.

bouncefrom: Bounce user name is bou?nce??.

bouncehost: (Default.) Bounce host name is mail.example.org.

concurrencylocal: (Default.) Local concurrency is 10.

concurrencyremote: Remote concurrency is 60.

databytes: (Default.) SMTP DATA limit is 0 bytes.

defaultdomain: Default domain name is example.org.

defaulthost: (Default.) Default host name is mail.example.org.

doublebouncehost: (Default.) 2B recipient host: mail.example.org.

doublebounceto: 2B recipient user: .

envnoathost: (Default.) Presumed domain name is mail.example.org.

helohost: Oops! Trouble reading this file.

idhost: (Default.) Message-ID host name is mail.example.org.

localiphost: (Default.) Local IP address becomes mail.example.org.

locals: 
Messages for localhost are delivered locally.
Messages for mail.example.org are delivered locally.

me: My name is mail.example.org.

outgoingip: (Default.) SMTP client IPv4 source address is chosen by the system.

outgoingip6: SMTP client IPv6 source address is 2001:db8::25.

percenthack: 
The percent hack is allowed for user%host@example.org.

plusdomain: (Default.) Plus domain name is mail.example.org.

qmqpservers: 
QMQP server: 10.0.0.1.
QMQP server: 10.0.0.2.

queuelifetime: Message lifetime in the queue is 86400 seconds.

queuewarn: A sender hears once when a message is still undelivered after 4 hours.

rcptcheck: SMTP refuses at RCPT a local address that has no mailbox.

rcpthosts: 
SMTP clients may send messages to recipients at example.org.
SMTP clients may send messages to recipients at .example.org.

morercpthosts: (Default.) No effect.

morercpthosts.cdb: (Default.) No effect.

remotebatch: (Default.) Remote recipients at one domain share an SMTP connection, up to 100.

remoteipv6: Remote deliveries try each exchanger's IPv6 addresses, then its IPv4 ones.

smtpgreeting: SMTP greeting: 220 mail.example.org ready.

smtplog: SMTP, QMTP and QMQP sessions are logged on standard error.

smtproutes: 
SMTP route: :relay.example.net:2525

smtpsize: SMTP does not offer SIZE.

timeoutconnect: SMTP client connection timeout is 5 seconds.

timeoutremote: (Default.) SMTP client data timeout is 1200 seconds.

timeoutsmtpd: SMTP server data timeout is 0 seconds.

virtualdomains: 
Virtual domain: lists.example.org:alias-lists

defaultdelivery: I have no idea what this file does.
'''


class ShowCtl(unittest.TestCase):
    def setUp(self):
        Q.clear_controls()

    def tearDown(self):
        cdir = os.path.join(Q.home, 'control')
        for name in os.listdir(cdir):
            path = os.path.join(cdir, name)
            if os.path.isdir(path):
                os.rmdir(path)
        Q.clear_controls()

    def showctl(self, code=0):
        r = Q.run(['qmail-showctl'], user='qmaild')
        self.assertEqual(r.stderr, b'')
        self.assertEqual(r.returncode, code, r.stdout)
        return r.stdout

    def test_no_control_files(self):
        self.assertEqual(self.showctl(), showctl_head() + DEFAULTS)

    def test_write_error(self):
        # output that cannot be written is a temporary failure, exit 111
        with open('/dev/full', 'wb') as full:
            r = subprocess.run([Q.bin('qmail-showctl')], stdout=full, stderr=subprocess.PIPE)
        self.assertEqual((r.returncode, r.stderr), (111, b''))

    def test_control_files(self):
        Q.control('me', 'mail.example.org \t\n')
        Q.control('badmailfrom', '# no thanks\nspam@example.com\n\n@spam.example\n')
        with open(os.path.join(Q.home, 'control', 'bouncefrom'), 'wb') as f:
            f.write(b'bou\x01nce\x7f\xff\nsecond line\n')
        Q.control('concurrencyremote', '60\n')
        Q.control('databytes', 'lots\n')  # not a number: the default applies
        Q.control('defaultdomain', 'example.org')
        Q.control('doublebounceto', '\n')
        os.mkdir(os.path.join(Q.home, 'control', 'helohost'))  # unreadable as a file
        Q.control('locals', 'localhost\n# comment\n\nmail.example.org  \n')
        Q.control('percenthack', 'example.org\n')
        Q.control('qmqpservers', '10.0.0.1\n10.0.0.2\n')
        Q.control('queuelifetime', '86400 seconds\n')
        Q.control('queuewarn', '4\n')
        Q.control('rcptcheck', '1\n')
        Q.control('remoteipv6', '1\n')
        Q.control('outgoingip6', '2001:db8::25\n')
        Q.control('rcpthosts', 'example.org\n.example.org\n')
        Q.control('smtpgreeting', 'mail.example.org ready\n')
        Q.control('smtplog', '1\n')
        Q.control('smtproutes', ':relay.example.net:2525\n')
        Q.control('smtpsize', '0\n')
        Q.control('timeoutconnect', '5\n')
        Q.control('timeoutsmtpd', '0\n')
        Q.control('virtualdomains', 'lists.example.org:alias-lists\n')
        Q.control('defaultdelivery', './Maildir/\n')
        self.assertEqual(self.showctl(), showctl_head() + CONFIGURED)

    def test_unknown_files(self):
        for name in ('aliasempty', 'rcpthosts~', '.hidden'):
            Q.control(name, 'x\n')
        out = self.showctl()
        self.assertTrue(out.startswith(showctl_head() + DEFAULTS), out)
        extra = out[len(showctl_head() + DEFAULTS):]
        names = re.findall(rb'\n([^\n]*): I have no idea what this file does\.\n', extra)
        self.assertEqual(sorted(names), [b'.hidden', b'aliasempty', b'rcpthosts~'])
        self.assertEqual(len(extra), sum(len(n) + 39 for n in names), extra)

    def test_morercpthosts(self):
        cdir = os.path.join(Q.home, 'control')
        src, cdb = os.path.join(cdir, 'morercpthosts'), os.path.join(cdir, 'morercpthosts.cdb')

        def lines():
            out = self.showctl()
            mrh = re.search(rb'\nmorercpthosts: (.*\n(?:[^\n]+\n)*)', out).group(1)
            mrhcdb = re.search(rb'\nmorercpthosts.cdb: (.*)\n', out).group(1)
            return mrh, mrhcdb

        Q.control('morercpthosts', 'other.example\n')
        self.assertEqual(lines(), (b'\nNo rcpthosts; doesn\'t matter that morercpthosts has other.example.\n',
                                   b"Oops! morercpthosts exists but morercpthosts.cdb doesn't."))
        Q.control('rcpthosts', 'example.org\n')
        Q.control('morercpthosts.cdb', '')
        os.utime(cdb, (1000000000, 1000000000))
        self.assertEqual(lines(), (b'\nSMTP clients may send messages to recipients at other.example.\n',
                                   b'Oops! morercpthosts.cdb is older than morercpthosts.'))
        os.utime(src, (1000000000, 1000000000))
        self.assertEqual(lines()[1], b'Modified recently enough; hopefully up to date.')
        os.unlink(src)
        self.assertEqual(lines(), (b'(Default.) No effect.\n',
                                   b"Oops! morercpthosts.cdb exists but morercpthosts doesn't."))

    def test_unreadable_me(self):
        os.mkdir(os.path.join(Q.home, 'control', 'me'))
        out = self.showctl(code=111)
        self.assertEqual(out, showctl_head() + b'Oops! Trouble reading control/me.')


class Predate(unittest.TestCase):
    def predate(self, argv, input=b'', tz=None):
        env = {'TZ': tz} if tz else {}
        return Q.run(['predate'] + argv, input=input, env=env, user='qmaild')

    def test_date_line_then_input(self):
        body = b'Subject: x\n\nline\n\x00\xff no newline at the end'
        before = int(time.time())
        r = self.predate(['cat'], body)
        after = int(time.time())
        self.assertEqual((r.returncode, r.stderr), (0, b''))
        m = DATE.match(r.stdout)
        self.assertTrue(m, r.stdout)
        self.assertEqual(r.stdout[m.end():], body)
        self.assertTrue(before <= date_epoch(m) <= after, (before, r.stdout, after))

    def test_zones(self):
        for tz, zone in (('UTC0', b'+0000'), ('EST5', b'-0500'), ('IST-5:30', b'+0530'),
                         ('NPT-5:45', b'+0545'), ('NST3:30', b'-0330'), ('XXX-14', b'+1400')):
            before = int(time.time())
            r = self.predate(['cat'], tz=tz)
            after = int(time.time())
            m = DATE.match(r.stdout)
            self.assertTrue(m, (tz, r.stdout))
            self.assertEqual(r.stdout[-6:-1], zone, tz)
            self.assertEqual(len(r.stdout), m.end())
            self.assertTrue(before <= date_epoch(m) <= after, (tz, r.stdout))

    def test_large_input(self):
        body = bytes(range(256)) * 8192
        r = self.predate(['cat'], body)
        self.assertEqual(r.returncode, 0)
        self.assertEqual(r.stdout[DATE.match(r.stdout).end():], body)

    def test_arguments_and_exit_code(self):
        r = self.predate(['sh', '-c', 'cat; echo "$0,$1"; exit 7', 'a b', 'c'], b'in\n')
        self.assertEqual(r.returncode, 7)
        self.assertEqual(r.stdout[DATE.match(r.stdout).end():], b'in\na b,c\n')

    def test_child_reads_nothing(self):
        r = self.predate(['true'], b'x' * 1000000)
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, b'', b''))

    def test_failures(self):
        r = self.predate([])
        self.assertEqual((r.returncode, r.stdout, r.stderr), (100, b'', b'predate: usage: predate child\n'))
        r = self.predate(['/nonexistent/prog'])
        self.assertEqual((r.returncode, r.stdout), (111, b''))
        self.assertEqual(r.stderr, b'predate: fatal: unable to run /nonexistent/prog: '
                         b'file does not exist\n')
        r = self.predate(['sh', '-c', 'kill -9 $$'])
        self.assertEqual((r.returncode, r.stderr), (111, b'predate: fatal: child crashed\n'))


class SendmailRefusals(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        os.chmod(self.dir, 0o755)

    def tearDown(self):
        shutil.rmtree(self.dir)

    def named(self, name):
        path = os.path.join(self.dir, name)
        os.symlink(Q.bin('sendmail'), path)
        return path

    def sendmail(self, args, argv0='sendmail', input=b''):
        return Q.run([argv0] + args, input=input, user='qmaild')

    def test_usage_errors(self):
        for args, problem in ((['-q'], b'sendmail: illegal option -- q\n'),
                              (['-q15m'], b'sendmail: illegal option -- q\n'),
                              (['-t', '-oi', '-N', 'a@b'], b'sendmail: illegal option -- N\n'),
                              (['-r', 'x@y', 'a@b'], b'sendmail: illegal option -- r\n'),
                              (['-t', '-f'], b'sendmail: option requires an argument -- f\n'),
                              (['-F'], b'sendmail: option requires an argument -- F\n'),
                              (['-bd'], b''), (['-bi'], b''), (['-b', ''], b'')):
            r = self.sendmail(args)
            self.assertEqual((r.returncode, r.stdout, r.stderr), (100, b'', problem + USAGE), args)

    def test_program_names(self):
        r = self.sendmail(['-q'], argv0=self.named('mailq'))
        self.assertEqual((r.returncode, r.stderr), (100, b'mailq: illegal option -- q\n' + USAGE))
        r = self.sendmail([], argv0=self.named('newaliases'))
        self.assertEqual((r.returncode, r.stdout, r.stderr),
                         (100, b'', b'sendmail: fatal: please use fastforward/newaliases instead\n'))


STAND_IN = """#!/bin/sh
echo "$0 in $(pwd)"
for arg; do echo "[$arg]"; done
env | grep -E '^(MAILNAME|RELAYCLIENT|DATABYTES|PROTO|TCP[A-Z]*)=' | sort
cat
"""


class SendmailExecs(unittest.TestCase):
    """sendmail, datemail and mailsubj built for a private QMAILHOME whose
    bin/ holds stand-ins for qmail-inject, qmail-qread and qmail-smtpd that
    print how they were run: the exact command lines and environment."""

    @classmethod
    def setUpClass(cls):
        cls.root = tempfile.mkdtemp(prefix='qmail-e2e-tools2-', dir='/tmp')
        os.chmod(cls.root, 0o755)
        tree = os.path.join(cls.root, 'tree')
        cls.home = os.path.join(cls.root, 'qmail')
        shutil.copytree(Q.tree, tree, ignore=shutil.ignore_patterns('build', 'build-*'))
        with open(os.path.join(tree, 'conf-qmail'), 'w') as f:
            f.write(cls.home + '\n')
        progs = ['sendmail', 'predate', 'datemail', 'mailsubj']
        subprocess.run(['make', '-s', '-C', tree] + ['build/' + p for p in progs],
                       check=True, stdout=subprocess.DEVNULL)
        os.makedirs(os.path.join(cls.home, 'bin'))
        os.chmod(cls.home, 0o755)
        for p in progs:
            shutil.copy(os.path.join(tree, 'build', p), cls.bin(p))
        for p in ('qmail-inject', 'qmail-qread', 'qmail-smtpd'):
            with open(cls.bin(p), 'w') as f:
                f.write(STAND_IN)
            os.chmod(cls.bin(p), 0o755)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.root)

    @classmethod
    def bin(cls, name):
        return os.path.join(cls.home, 'bin', name)

    def run_ok(self, argv, input=b'', env=None):
        argv = [argv[0] if '/' in argv[0] else self.bin(argv[0])] + argv[1:]
        r = Q.run(argv, input=input, env=env, user='qmaild')
        self.assertEqual((r.returncode, r.stderr), (0, b''), argv)
        return r.stdout.decode()

    def test_inject_command_lines(self):
        ran = 'bin/qmail-inject in %s\n' % self.home
        for args, want in (
                (['a@b', 'c@d'], '[-a]\n[--]\n[a@b]\n[c@d]\n'),
                (['-t'], '[-H]\n[--]\n'),
                (['-oi', '-oem', '-i', '-f', 'x@y', 'a@b'], '[-a]\n[-f]\n[x@y]\n[--]\n[a@b]\n'),
                (['-tfx@y', '-Bx', '-Ey', 'a@b', '-q'], '[-H]\n[-f]\n[x@y]\n[--]\n[a@b]\n[-q]\n'),
                (['-f', '', '--', '-t'], '[-a]\n[-f]\n[]\n[--]\n[-t]\n'),
                (['-F', 'Joe Q', '-bm', 'a@b'], '[-a]\n[--]\n[a@b]\nMAILNAME=Joe Q\n')):
            self.assertEqual(self.run_ok(['sendmail'] + args, b'To: z@z\n\nbody\n'),
                             ran + want + 'To: z@z\n\nbody\n', args)

    def test_mailq(self):
        ran = 'bin/qmail-qread in %s\n' % self.home
        self.assertEqual(self.run_ok(['sendmail', '-t', '-bp', '-q', 'a@b']), ran)
        link = os.path.join(self.root, 'mailq')
        os.symlink(self.bin('sendmail'), link)
        try:
            self.assertEqual(self.run_ok([link, 'a@b']), ran)
        finally:
            os.unlink(link)

    def test_smtpd_environment(self):
        ran = 'bin/qmail-smtpd in %s\n' % self.home
        self.assertEqual(self.run_ok(['sendmail', '-bs'], b'QUIT\r\n'),
                         ran + 'DATABYTES=0\nPROTO=TCP\nRELAYCLIENT=\nTCPLOCALHOST=localhost\n'
                         'TCPLOCALIP=127.0.0.1\nTCPREMOTEHOST=localhost\nTCPREMOTEINFO=sendmail-bs\n'
                         'TCPREMOTEIP=127.0.0.1\nQUIT\r\n')
        self.assertEqual(self.run_ok(['sendmail', '-bs'], env={'PROTO': 'TCP', 'TCPREMOTEIP': '10.1.2.3'}),
                         ran + 'PROTO=TCP\nTCPREMOTEIP=10.1.2.3\n')

    def test_datemail(self):
        out = self.run_ok(['datemail', '-f', 's@x', 'r@y'], b'Subject: t\n\nbody\n')
        head = 'bin/qmail-inject in %s\n[-a]\n[-f]\n[s@x]\n[--]\n[r@y]\n' % self.home
        self.assertTrue(out.startswith(head), out)
        m = DATE.match(out[len(head):].encode())
        self.assertTrue(m, out)
        self.assertEqual(out[len(head) + m.end():], 'Subject: t\n\nbody\n')

    def test_mailsubj(self):
        out = self.run_ok(['mailsubj', 'Hi \\c $x', 'a@b', 'Joe <c@d>'], b'text\n')
        self.assertEqual(out, '%s in /\nSubject: Hi \\c $x\nTo: a@b Joe <c@d>\n\ntext\n'
                         % self.bin('qmail-inject'))


def envelope(intd):
    """The u, p, F and T records of an intd file."""
    assert intd.endswith(b'\0'), intd
    return intd[:-1].split(b'\0')


class SendmailInject(unittest.TestCase):
    ENV = {'USER': 'joe'}

    def setUp(self):
        Q.clear_queue()
        Q.clear_controls()
        Q.control('me', 'mail.example.org\n')

    def tearDown(self):
        Q.clear_controls()
        Q.clear_queue()

    def queued(self):
        files = Q.queue_files()
        todo = [k for k in files if k.startswith('todo/')]
        self.assertEqual(len(todo), 1, sorted(files))
        n = todo[0].split('/')[1]
        return envelope(files['intd/' + n]), files['mess/%d/%s' % (int(n) % Q.split, n)]

    def run_as(self, argv, message, user='qmaild'):
        r = Q.run(argv, input=message, env=self.ENV, user=user)
        self.assertEqual((r.returncode, r.stderr), (0, b''), argv)
        return r

    def test_sender_and_arguments(self):
        self.run_as(['sendmail', '-oi', '-f', 'x@y.example', 'a@b.example', 'c@d.example'],
                    b'To: ignored@e.example\nSubject: t\n\nbody\n')
        env, mess = self.queued()
        self.assertEqual(env[0], b'u%d' % Q.uid('qmaild'))
        self.assertTrue(re.match(rb'^p\d+$', env[1]), env)
        self.assertEqual(env[2:], [b'Fx@y.example', b'Ta@b.example', b'Tc@d.example'])
        self.assertIn(b'\nSubject: t\n', mess)
        self.assertTrue(mess.endswith(b'\n\nbody\n'), mess)

    def test_header_recipients(self):
        self.run_as(['sendmail', '-t', '-F', 'Joe Q'],
                    b'To: c@d.example\nCc: e@f.example\nSubject: t\n\nbody\n')
        env, mess = self.queued()
        self.assertEqual(env[2:], [b'Fjoe@mail.example.org', b'Tc@d.example', b'Te@f.example'])
        self.assertTrue(re.search(rb'\nFrom: "Joe Q" <joe@mail\.example\.org>\n', mess), mess)

    def test_header_and_argument_recipients(self):
        self.run_as(['sendmail', '-t', '-fx@y.example', 'a@b.example'],
                    b'To: c@d.example\n\nbody\n')
        env, _ = self.queued()
        self.assertEqual(env[2], b'Fx@y.example')
        self.assertEqual(sorted(env[3:]), [b'Ta@b.example', b'Tc@d.example'])

    def test_option_like_recipient(self):
        self.run_as(['sendmail', '-f', '', 'a@b.example', '-t'], b'To: c@d.example\n\nbody\n')
        env, _ = self.queued()
        self.assertEqual(env[2:], [b'F', b'Ta@b.example', b'T-t@mail.example.org'])

    def test_datemail(self):
        before = int(time.time())
        self.run_as(['datemail', '-f', 'x@y.example', 'a@b.example'], b'Subject: t\n\nbody\n')
        after = int(time.time())
        env, mess = self.queued()
        self.assertEqual(env[2:], [b'Fx@y.example', b'Ta@b.example'])
        m = re.search(rb'^Date: .*\n', mess, re.M)
        self.assertTrue(m, mess)
        d = DATE.match(m.group(0))
        self.assertTrue(d, mess)
        self.assertTrue(before <= date_epoch(d) <= after)

    def test_mailsubj(self):
        self.run_as(['mailsubj', 'Hello there', 'a@b.example'], b'body line\n')
        env, mess = self.queued()
        self.assertEqual(env[2:], [b'Fjoe@mail.example.org', b'Ta@b.example'])
        self.assertIn(b'\nSubject: Hello there\n', mess)
        self.assertTrue(re.search(rb'\nTo: a@b\.example\n', mess), mess)
        self.assertTrue(mess.endswith(b'\n\nbody line\n'), mess)


class SendmailMailq(unittest.TestCase):
    def test_bp_is_qmail_qread(self):
        Q.clear_queue()
        want = Q.run(['qmail-qread'])
        for argv in (['sendmail', '-bp'], ['sendmail', '-t', '-bp', '-q']):
            r = Q.run(argv)
            self.assertEqual((r.returncode, r.stdout, r.stderr),
                             (want.returncode, want.stdout, want.stderr), argv)


class SendmailSmtpd(unittest.TestCase):
    def setUp(self):
        Q.clear_controls()
        Q.control('me', 'mail.example.org\n')

    def tearDown(self):
        Q.clear_controls()

    def test_bs_session(self):
        r = Q.run(['sendmail', '-bs'], input=b'QUIT\r\n', user='qmaild')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stdout.startswith(b'220 mail.example.org ESMTP\r\n'), r.stdout)
        self.assertIn(b'\r\n221 ', r.stdout)


if __name__ == '__main__':
    unittest.main()
