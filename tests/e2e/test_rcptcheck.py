"""control/rcptcheck: qmail-smtpd refuses at RCPT a local address that
delivery would bounce with "no mailbox here by that name", through the
setuid helper qmail-rcptcheck, end to end with real accounts.

The accounts rctest1 (found by qmail-getpw in the password file),
rctest2 (listed in users/assign, with wildcard lines) and rctest3 (its
home owned by root, so not a user for qmail-getpw) are created if
missing and left in place; their homes live under /var/tmp/qmail-rctest
and are removed at the end. Unknown names go to the alias user, whose
home must be the scratch QMAILHOME/alias: every program that looks up
accounts (tcpserver's qmail-smtpd and its helper, qmail-rcptcheck run by
hand, the delivery daemons) runs in a private mount namespace where a copy
of /etc/passwd saying so is bound over the real one; nothing outside the
namespace sees it. Checked: the exact reply to every RCPT (accepted,
550, 451) for users, extensions with dots and case, -default files, the
alias user's files, virtual domains (prefixes, a wildcard, a remote
exception), percenthack, envnoathost, relaying and a backup MX; that a
new .qmail file, assign line or virtual domain counts at the very next
RCPT; that a broken users/cdb, a missing or not setuid helper and a
writable alias home give 451, never 550; the helper's own verdicts and
who may run it; the session log line; the feature being off without the
control file; and, with the real daemons, that every address accepted is
delivered and every address refused bounces as having no mailbox."""
import os
import pwd
import re
import shutil
import subprocess
import socket
import tempfile
import time
import unittest

from harness import Q, set_users_assign
from clients import free_port, quiesce, tcpserver_argv, wait_listening
from test_delivery import (Daemon, account, make_maildir, maildir_messages, put,
                           put_installation_back, save_installation, subreaper)

ME = 'example.org'
HOMES = '/var/tmp/qmail-rctest'
U1, U2 = 'rctest1', 'rctest2'
OK = '250 ok'
NOBOX = '550 sorry, no mailbox here by that name (#5.1.1)'
CANNOT = '451 sorry, unable to check that recipient now (#4.3.0)'
NOBOX_LOG = 'failure: Sorry,_no_mailbox_here_by_that_name._(#5.1.1)/'

# Every address here is answered 250 with the feature on, and delivered.
DELIVERABLE = [
    'rctest1@example.org',            # a password file user, no .qmail
    'RCTest1@EXAMPLE.ORG',            # case of the user name and domain
    'rctest1',                        # envnoathost is added
    'rctest1-ext@example.org',        # .qmail-ext
    'rctest1-Lists.Foo@example.org',  # .qmail-lists:foo
    'rctest1-list-anything@example.org',  # .qmail-list-default
    'rctest2@example.org',            # users/cdb, with a .qmail
    'rctest2-foo@example.org',        # users/cdb wildcard, .qmail-foo
    'wild-anything@example.org',      # an assign wildcard, .qmail-w-default
    'postmaster@example.org',         # the alias user's .qmail-postmaster
    'Mailer-Daemon@example.org',      # .qmail-mailer-daemon, case folded
    'anyone@virt.example',            # virtual domain, .qmail-virt-default
    'x@sub.wild.example',             # a wildcard virtual domain
    'rctest2@pers.example',           # a virtual user line, .qmail-pers-rctest2
    'rctest1%virt.example@example.org',  # percenthack, then virtual
]
# Every address here is answered 550 with the feature on, and bounces.
NO_MAILBOX = [
    'nosuchuser@example.org',         # alias user, no .qmail-default
    'rctest1-nosuch@example.org',     # no .qmail-nosuch, no -default
    'rctest1-lists.bar@example.org',  # .qmail-lists:foo only
    'rctest2-bar@example.org',        # users/cdb user without the file
    'root@example.org',               # uid 0 is not a user: alias, no file
    'rctest3@example.org',            # home not its own: not a user either
    'nosuch%example.org@example.org',  # percenthack to an unknown user
]


def passwd_with_alias_home(path, home):
    """A copy of /etc/passwd whose alias user lives in home."""
    lines = []
    with open('/etc/passwd') as f:
        for line in f:
            fields = line.rstrip('\n').split(':')
            if len(fields) == 7 and fields[0] == 'alias':
                fields[5] = home
            lines.append(':'.join(fields) + '\n')
    with open(path, 'w') as f:
        f.writelines(lines)
    os.chmod(path, 0o644)


class State:
    pass


S = State()


def in_namespace(argv):
    """argv run in a private mount namespace seeing S.passwd as /etc/passwd."""
    return ([shutil.which('unshare'), '-m', 'sh', '-c', 'mount --bind "$0" /etc/passwd && exec "$@"', S.passwd]
            + list(argv))


def set_controls(**extra):
    """control/ holds these files only (extra: name=text, or None for none)."""
    Q.clear_controls()
    values = {
        'me': ME + '\n',
        'locals': ME + '\n',
        'percenthack': ME + '\n',
        'virtualdomains': 'virt.example:rctest1-virt\n.wild.example:rctest2-wild\n'
                          'remote.virt.example:\nrctest2@pers.example:rctest2-pers\n',
        'rcpthosts': ME + '\nvirt.example\n.wild.example\npers.example\nremote.virt.example\n'
                     'backup.example\n',
        'rcptcheck': '1\n',
    }
    values.update(extra)
    for name in values:
        if values[name] is not None:
            Q.control(name, values[name])


def assign(extra=''):
    """users/assign: rctest2 and its extensions, the wild- wildcard, extra."""
    p2 = S.pw2
    set_users_assign([(p2, S.home2)],
                     '+wild-:rctest2:%d:%d:%s:-:w-:\n' % (p2.pw_uid, p2.pw_gid, S.home2) + extra)


def setUpModule():
    if not shutil.which('unshare'):
        raise unittest.SkipTest('needs unshare(1)')
    subreaper(True)
    try:
        setup_module()
    except BaseException:
        tearDownModule()
        raise


def setup_module():
    S.tmp = tempfile.mkdtemp(prefix='rcptcheck-', dir=Q.root)
    os.chmod(S.tmp, 0o755)
    save_installation(S)
    Q.clear_queue()
    os.makedirs(HOMES, exist_ok=True)
    os.chmod(HOMES, 0o755)
    S.pw1, S.pw2 = account(U1, HOMES), account(U2, HOMES)
    S.home1, S.home2 = S.pw1.pw_dir, S.pw2.pw_dir
    os.chown(account('rctest3', HOMES).pw_dir, 0, 0)
    S.alias = pwd.getpwnam('alias')
    S.passwd = os.path.join(S.tmp, 'passwd')
    passwd_with_alias_home(S.passwd, S.alias_dir)
    set_controls()
    assign()

    p1, h1, p2, h2 = S.pw1, S.home1, S.pw2, S.home2
    make_maildir(p1, h1, 'Maildir')
    for name in ('.qmail-ext', '.qmail-lists:foo', '.qmail-list-default', '.qmail-virt-default'):
        put(p1, h1, name, b'./Maildir/\n')
    make_maildir(p2, h2, 'Maildir')
    for name in ('.qmail', '.qmail-foo', '.qmail-w-default', '.qmail-wild-default',
                 '.qmail-pers-rctest2'):
        put(p2, h2, name, b'./Maildir/\n')
    make_maildir(S.alias, S.alias_dir, 'rc-pm')
    put(S.alias, S.alias_dir, '.qmail-postmaster', b'./rc-pm/\n')
    put(S.alias, S.alias_dir, '.qmail-mailer-daemon', b'./rc-pm/\n')


def tearDownModule():
    try:
        put_installation_back(S, HOMES)
    finally:
        subreaper(False)


class Server:
    """tcpserver running qmail-smtpd as qmaild in the namespace; its
    standard error (the session log) goes to a file."""

    def __init__(self, env=None):
        self.port = free_port()
        self.errpath = os.path.join(S.tmp, 'smtpd.%d.stderr' % self.port)
        full_env = {'PATH': '/usr/bin:/bin'}
        full_env.update(env or {})
        with open(self.errpath, 'wb') as err:
            self.proc = subprocess.Popen(
                in_namespace(tcpserver_argv('127.0.0.1', self.port, 'qmail-smtpd')),
                env=full_env, stdout=subprocess.DEVNULL, stderr=err)
        wait_listening('127.0.0.1', self.port, self.proc)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)

    def rcpt(self, *addrs, data=None):
        """The replies to RCPT TO:<a> for each address, in a session that
        sends data (bytes) as a message when given."""
        with socket.create_connection(('127.0.0.1', self.port), timeout=60) as s:
            f = s.makefile('rb')

            def reply():
                lines = []
                while True:
                    line = f.readline().decode('latin-1').rstrip('\r\n')
                    lines.append(line)
                    if line[3:4] != '-':
                        return lines[-1]

            def cmd(text):
                s.sendall(text.encode() + b'\r\n')
                return reply()

            assert reply().startswith('220 ')
            assert cmd('HELO client.example') == '250 ' + ME
            assert cmd('MAIL FROM:<sender@client.example>') == OK
            answers = [cmd('RCPT TO:<%s>' % a) for a in addrs]
            if data is not None:
                assert cmd('DATA').startswith('354 ')
                answers.append(cmd(data.decode('latin-1') + '\r\n.'))
            cmd('QUIT')
        return answers


def helper(addr, user=None):
    """qmail-rcptcheck addr run by hand: as root in the namespace, or as
    user outside it. (exit code, the verdict on stdout)"""
    argv = [Q.bin('qmail-rcptcheck'), addr]
    r = Q.run(argv, user=user) if user else Q.run(in_namespace(argv))
    return r.returncode, r.stdout.decode('latin-1')


class RcptCheck(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.server = Server()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        quiesce(['qmail-smtpd', 'qmail-rcptcheck'])

    def tearDown(self):
        set_controls()
        assign()
        for name in ('.qmail-root', '.qmail-fresh', '.qmail-new-default'):
            for home in (S.alias_dir, S.home1, S.home2):
                if os.path.exists(os.path.join(home, name)):
                    os.unlink(os.path.join(home, name))
        os.chmod(S.alias_dir, 0o2755)
        os.chmod(Q.bin('qmail-rcptcheck'), 0o4510)

    def test_deliverable_addresses_accepted(self):
        self.assertEqual(self.server.rcpt(*DELIVERABLE), [OK] * len(DELIVERABLE))

    def test_unknown_addresses_refused(self):
        self.assertEqual(self.server.rcpt(*NO_MAILBOX), [NOBOX] * len(NO_MAILBOX))

    def test_not_local_is_not_checked(self):
        # a backup MX (rcpthosts only), a remote exception of a virtual
        # domain, and a domain with only a virtual user line
        self.assertEqual(self.server.rcpt('nobody@backup.example', 'nobody@remote.virt.example',
                                          'other@pers.example'), [OK, OK, OK])
        relay = Server(env={'RELAYCLIENT': ''})
        try:
            self.assertEqual(relay.rcpt('nobody@elsewhere.example', 'nosuchuser@example.org',
                                        'rctest1@example.org'), [OK, NOBOX, OK])
        finally:
            relay.stop()

    def test_off_without_control_file(self):
        set_controls(rcptcheck=None)
        self.assertEqual(self.server.rcpt('nosuchuser@example.org'), [OK])
        set_controls(rcptcheck='0\n')
        self.assertEqual(self.server.rcpt('nosuchuser@example.org'), [OK])

    def test_changes_count_at_once(self):
        addrs = ('root@example.org', 'rctest1-fresh@example.org', 'newbie@example.org',
                 'x@new.example')
        set_controls(rcpthosts=ME + '\nnew.example\n')
        # new.example is only in rcpthosts: remote, not checked
        self.assertEqual(self.server.rcpt(*addrs), [NOBOX, NOBOX, NOBOX, OK])
        put(S.alias, S.alias_dir, '.qmail-root', b'./rc-pm/\n')
        put(S.pw1, S.home1, '.qmail-fresh', b'./Maildir/\n')
        p2 = S.pw2
        assign('=newbie:rctest2:%d:%d:%s:::\n' % (p2.pw_uid, p2.pw_gid, S.home2))
        # new.example becomes virtual; nothing for it yet, then a default
        set_controls(rcpthosts=ME + '\nnew.example\n', virtualdomains='new.example:rctest2-new\n')
        self.assertEqual(self.server.rcpt(*addrs), [OK, OK, OK, NOBOX])
        put(S.pw2, S.home2, '.qmail-new-default', b'./Maildir/\n')
        self.assertEqual(self.server.rcpt('x@new.example'), [OK])

    def test_temporary_trouble_is_451(self):
        cdb = os.path.join(Q.home, 'users', 'cdb')
        with open(cdb, 'r+b') as f:
            f.truncate(100)  # a cdb cut short
        self.assertEqual(self.server.rcpt('rctest2@example.org', 'nosuchuser@example.org'),
                         [CANNOT, CANNOT])
        assign()
        os.chmod(S.alias_dir, 0o2757)  # qmail-local will not deliver there
        self.assertEqual(self.server.rcpt('nosuchuser@example.org', 'rctest1@example.org'),
                         [CANNOT, OK])
        os.chmod(S.alias_dir, 0o2755)
        os.chmod(Q.bin('qmail-rcptcheck'), 0o0755)  # not setuid
        self.assertEqual(self.server.rcpt('nosuchuser@example.org'), [CANNOT])
        os.chmod(Q.bin('qmail-rcptcheck'), 0o4510)
        moved = Q.bin('qmail-rcptcheck') + '.away'
        os.rename(Q.bin('qmail-rcptcheck'), moved)
        try:
            self.assertEqual(self.server.rcpt('nosuchuser@example.org'), [CANNOT])
        finally:
            os.rename(moved, Q.bin('qmail-rcptcheck'))
        # the checks that come first still come first
        self.assertEqual(self.server.rcpt('nobody@elsewhere.example'),
                         ["553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)"])

    def test_session_log(self):
        set_controls(smtplog='1\n')
        self.server.rcpt('nosuchuser@example.org', 'rctest1@example.org')
        with open(self.server.errpath, 'rb') as f:
            log = f.read().decode('latin-1')
        self.assertRegex(log, r'(?m)^\d+ rcpt <nosuchuser@example\.org> refused 550 sorry, '
                              r'no mailbox here by that name \(#5\.1\.1\)$')
        self.assertRegex(log, r'(?m)^\d+ rcpt <rctest1@example\.org> ok$')

    def test_helper_verdicts(self):
        self.assertEqual(helper('rctest1@example.org'), (0, 'accept: mailbox of user rctest1\n'))
        self.assertEqual(helper('RCTEST2-Foo@example.org'),
                         (0, 'accept: mailbox of user rctest2\n'))
        self.assertEqual(helper('postmaster@example.org'), (0, 'accept: mailbox of user alias\n'))
        self.assertEqual(helper('nosuchuser@example.org'),
                         (100, 'reject: Sorry, no mailbox here by that name. (#5.1.1)\n'))
        self.assertEqual(helper('someone@elsewhere.example'), (0, 'accept: not a local address\n'))
        self.assertEqual(helper('@example.org'),
                         (0, 'accept: an empty local part is a trash address\n'))
        code, said = helper('rctest1@example.org', user='qmaild')
        self.assertEqual((code, said), (0, 'accept: mailbox of user rctest1\n'))
        r = Q.run([Q.bin('qmail-rcptcheck')])
        self.assertEqual((r.returncode, r.stdout), (111, b'defer: usage: qmail-rcptcheck address\n'))
        # only qmaild's group may run it
        with self.assertRaises(PermissionError):
            Q.run([Q.bin('qmail-rcptcheck'), 'rctest1@example.org'], user=U1)


class Agreement(unittest.TestCase):
    """With the real daemons: what the check accepts is delivered, what it
    refuses bounces as having no mailbox."""

    def test_accepted_delivered_refused_bounce(self):
        server = Server()
        daemon = Daemon(os.path.join(S.tmp, 'send.log'), wrap=in_namespace([]))
        try:
            before = sum(len(maildir_messages(md)) for md in self.maildirs())
            answers = server.rcpt(*DELIVERABLE, data=b'Subject: accepted\r\n\r\nhello')
            self.assertEqual(answers[:-1], [OK] * len(DELIVERABLE))
            self.assertRegex(answers[-1], r'^250 ok \d+ qp \d+$')
            self.assertEqual(server.rcpt(*NO_MAILBOX), [NOBOX] * len(NO_MAILBOX))
            # what the check refused, queued anyway as qmail-1.03 would
            # have: each recipient fails, and one bounce goes to rctest2
            r = Q.run(['qmail-inject', '-f', 'rctest2@example.org'] + NO_MAILBOX,
                      input=b'Subject: refused\n\nhello\n')
            self.assertEqual(r.returncode, 0, r.stderr)
            count = len(DELIVERABLE) + len(NO_MAILBOX) + 1
            self.assertEqual(sorted(self.wait_results(daemon, count)),
                             sorted(['success'] * (len(DELIVERABLE) + 1) + [NOBOX_LOG] * len(NO_MAILBOX)))
            after = sum(len(maildir_messages(md)) for md in self.maildirs())
            self.assertEqual(after - before, len(DELIVERABLE) + 1)
        finally:
            daemon.stop()
            server.stop()
            quiesce(['qmail-smtpd', 'qmail-rcptcheck'])
            Q.clear_queue()

    def maildirs(self):
        return [os.path.join(S.home1, 'Maildir'), os.path.join(S.home2, 'Maildir'),
                os.path.join(S.alias_dir, 'rc-pm')]

    def wait_results(self, daemon, count):
        """The first count delivery results of the daemon's run: "success",
        or the failure or deferral text."""
        end = time.time() + 60
        while True:
            found = []
            for line in daemon.lines():
                m = re.fullmatch(r'delivery \d+: (success|failure|deferral): (.*)', line)
                if m:
                    found.append('success' if m.group(1) == 'success'
                                 else m.group(1) + ': ' + m.group(2))
            if len(found) >= count or time.time() > end:
                return found[:count] if len(found) >= count else found
            time.sleep(0.05)


if __name__ == '__main__':
    unittest.main()
