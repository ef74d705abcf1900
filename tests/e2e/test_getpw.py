"""qmail-getpw's fast path and its NSS build qmail-getpw-nss, end to end,
as root, running the installed programs as qmailp.

qmail-getpw answers from /etc/passwd itself only when glibc would
certainly say the same, and otherwise execs qmail-getpw-nss; which of the
two happened is seen with strace (-f -e trace=execve). On this machine's
own configuration: a user in /etc/passwd takes the fast path; a first
candidate name not in /etc/passwd, with other sources after files in
nsswitch.conf, goes to qmail-getpw-nss (these classes are skipped where
the configuration does not have that shape). Other configurations are
tried in a private mount namespace (unshare -m), where a file of ours is
bound over /etc/nsswitch.conf or /etc/passwd for one run only: the rest of
the system, and other tests running at the same time, never see it.
Throughout, qmail-getpw's exit code and output must be qmail-getpw-nss's,
byte for byte. The accounts are test_lspawn's (created if missing)."""
import os
import pwd
import re
import stat
import subprocess
import tempfile
import unittest

from harness import Q, mode_of
from test_lspawn import setup_accounts, nughde, ALIAS

TWIN = 'qmail-getpw-nss'
EXECVE = re.compile(rb'execve\("([^"]*)", .*\) = 0$', re.M)

# Addresses whose answers both programs must agree on: users, extensions,
# the longest prefix, case, accounts that are not users, the alias user.
ADDRESSES = ['lstest1', 'lstest1-', 'lstest1-bar', 'lstest1-bar-baz', 'lstest1-foo',
             'lstest1-foo-bar', 'LSTest1-Foo-X.Y', 'LSTEST1-BAR', 'lstest1foo', 'nosuchuser',
             'nosuchuser-x', 'root', 'root-x', 'lsupper', 'LSUpper', 'lstest2', 'lstest2-x',
             'lstest3', 'lstest3-x', '-lstest1', '+lstest1', '#lstest1', 'a' * 40,
             'lstest1-' + 'a' * 40, 'x;rm -rf /', 'x:y', 'alias', 'alias-x', '']


def machine_passwd_sources():
    """The words of the last passwd line of this machine's nsswitch.conf
    (enough for choosing which tests apply here), or None."""
    try:
        with open('/etc/nsswitch.conf', 'rb') as f:
            lines = f.read().split(b'\n')[:-1]
    except OSError:
        return None
    found = None
    for line in lines:
        m = re.match(rb'\s*passwd[\s:]+(.*)', line)
        if m and not line.lstrip().startswith(b'passwd_'):
            found = m.group(1).split()
    return found


def as_qmailp(argv):
    pw = pwd.getpwnam('qmailp')
    return ['setpriv', '--reuid=%d' % pw.pw_uid, '--regid=%d' % pw.pw_gid, '--clear-groups',
            '--'] + argv


def run(prog, local, trace=False, binds=()):
    """Run an installed program as qmailp with local as its argument (none
    if None), under strace if trace, with each (file, target) of binds
    bound over target in a mount namespace of its own. Returns the
    CompletedProcess and, if trace, the programs execve'd after setpriv
    (paths, in order)."""
    argv = as_qmailp([Q.bin(prog)] + ([] if local is None else [local]))
    if trace:
        # strace stays root: a program that qmailp may run but not read
        # cannot be looked into by a tracer running as qmailp
        argv = ['strace', '-f', '-qq', '-e', 'trace=execve', '-e', 'signal=none'] + argv
    if binds:
        script = ''.join('mount --bind "$%d" "$%d" && ' % (2 * i + 1, 2 * i + 2)
                         for i in range(len(binds)))
        flat = [x for pair in binds for x in pair]
        argv = ['unshare', '-m', 'sh', '-c', script + 'shift %d && exec "$@"' % len(flat),
                'sh'] + flat + argv
    p = subprocess.run(argv, capture_output=True, env={'PATH': '/usr/bin:/bin'}, cwd='/',
                       timeout=60)
    if not trace:
        return p, None
    execs = [x.decode() for x in EXECVE.findall(p.stderr)]
    assert execs and os.path.basename(execs[0]) == 'setpriv', p.stderr
    return p, execs[1:]


class Base(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pw = setup_accounts()
        cls.alias = pwd.getpwnam(ALIAS)

    def assertFast(self, local, want, binds=()):
        """qmail-getpw gives want without execing anything."""
        p, execs = run('qmail-getpw', local, trace=True, binds=binds)
        self.assertEqual((p.returncode, p.stdout), want, local)
        self.assertEqual(execs, [Q.bin('qmail-getpw')], local)

    def assertDeferred(self, local, want, binds=()):
        """qmail-getpw gives want through qmail-getpw-nss."""
        p, execs = run('qmail-getpw', local, trace=True, binds=binds)
        self.assertEqual((p.returncode, p.stdout), want, local)
        self.assertEqual(execs, [Q.bin('qmail-getpw'), Q.bin(TWIN)], local)

    def assertSame(self, locals_, binds=()):
        """Both programs give the same exit code and bytes (stderr too)."""
        for local in locals_:
            mine, _ = run('qmail-getpw', local, binds=binds)
            twin, _ = run(TWIN, local, binds=binds)
            self.assertEqual((mine.returncode, mine.stdout, mine.stderr),
                             (twin.returncode, twin.stdout, twin.stderr), local)

    def ok(self, name, dash=b'', ext=b''):
        return 0, nughde(self.pw[name], dash, ext)

    def to_alias(self, local):
        return 0, nughde(self.alias, b'-', local.encode())


class Installed(unittest.TestCase):
    def test_twin_installed(self):
        for prog in ('qmail-getpw', TWIN):
            st = os.lstat(Q.bin(prog))
            self.assertTrue(stat.S_ISREG(st.st_mode), prog)
            self.assertEqual((st.st_uid, st.st_gid, mode_of(st)), (0, Q.gid('qmail'), 0o711), prog)
        # the NSS build is a dynamically linked program (it has a loader)
        with open(Q.bin(TWIN), 'rb') as f:
            self.assertIn(b'ld-linux', f.read(4096))


class SameAsTwin(Base):
    """On this machine's own configuration, whatever it is."""

    def test_same_answers(self):
        self.assertSame(ADDRESSES)

    def test_no_argument(self):
        for prog in ('qmail-getpw', TWIN):
            p, _ = run(prog, None)
            self.assertEqual((p.returncode, p.stdout, p.stderr), (100, b'', b''), prog)


SOURCES = machine_passwd_sources() or []
FILES_FIRST = SOURCES[:1] == [b'files'] and not any(b'[' in w for w in SOURCES)


@unittest.skipUnless(FILES_FIRST, "this machine's nsswitch.conf does not name files first")
class FastPathHere(Base):
    def test_user_in_passwd(self):
        # the first candidate is in /etc/passwd: the answer, for certain
        self.assertFast('lstest1', self.ok('lstest1'))
        self.assertFast('LSTest1', self.ok('lstest1'))
        self.assertFast('lstest1-foo', self.ok('lstest1-foo'))

    def test_found_but_not_a_user(self):
        # in /etc/passwd but not a user by the rules (uid 0, home not its
        # own, no home), no shorter candidate: the alias user, also there
        for local in ('root', 'lstest2', 'lstest3'):
            self.assertFast(local, self.to_alias(local))


@unittest.skipUnless(FILES_FIRST and len(SOURCES) > 1,
                     "this machine's nsswitch.conf does not name other sources after files")
class DeferredHere(Base):
    """passwd: files, then other sources (files systemd on Debian)."""

    def test_first_candidate_not_in_passwd(self):
        self.assertDeferred('lstest1-bar', self.ok('lstest1', b'-', b'bar'))
        self.assertDeferred('LSTest1-Foo-X.Y', self.ok('lstest1-foo', b'-', b'X.Y'))

    def test_alias_fallback(self):
        for local in ('nosuchuser', 'nosuchuser-x', 'lstest1foo', '-lstest1'):
            self.assertDeferred(local, self.to_alias(local))

    def test_not_a_user_then_not_there(self):
        # the first candidate is not in /etc/passwd: uncertain at once
        self.assertDeferred('root-x', self.to_alias('root-x'))
        self.assertDeferred('lstest2-x', self.to_alias('lstest2-x'))


def can_bind():
    """Whether a private mount namespace with a file bound over
    /etc/nsswitch.conf works here."""
    fd, path = tempfile.mkstemp(dir=Q.root)
    os.write(fd, b'# probe\n')
    os.close(fd)
    os.chmod(path, 0o644)
    try:
        p = subprocess.run(['unshare', '-m', 'sh', '-c',
                            'mount --bind "$1" /etc/nsswitch.conf && cat /etc/nsswitch.conf',
                            'sh', path], capture_output=True, timeout=30)
        return p.returncode == 0 and p.stdout == b'# probe\n'
    except (OSError, subprocess.SubprocessError):
        return False
    finally:
        os.unlink(path)


class Private(Base):
    """Other nsswitch.conf and passwd contents, each in a private mount
    namespace for one run."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not can_bind():
            raise unittest.SkipTest('no private mount namespaces here (unshare -m)')

    def setUp(self):
        self.dir = tempfile.mkdtemp(dir=Q.root)
        os.chmod(self.dir, 0o755)
        self.n = 0

    def tearDown(self):
        for name in os.listdir(self.dir):
            os.unlink(os.path.join(self.dir, name))
        os.rmdir(self.dir)

    def file(self, data):
        self.n += 1
        path = os.path.join(self.dir, str(self.n))
        with open(path, 'wb') as f:
            f.write(data)
        os.chmod(path, 0o644)
        return path

    def conf(self, text):
        return ((self.file(text.encode()), '/etc/nsswitch.conf'),)

    def passwd_line(self, name):
        pw = self.pw[name] if name in self.pw else pwd.getpwnam(name)
        return '%s:x:%d:%d::%s:/bin/sh\n' % (pw.pw_name, pw.pw_uid, pw.pw_gid, pw.pw_dir)

    def test_files_only(self):
        binds = self.conf('# files alone\npasswd:\tfiles\ngroup: files\n')
        self.assertFast('lstest1', self.ok('lstest1'), binds)
        # a candidate that is not there is not there: the next is asked
        self.assertFast('lstest1-bar', self.ok('lstest1', b'-', b'bar'), binds)
        self.assertFast('lstest1-foo-bar', self.ok('lstest1-foo', b'-', b'bar'), binds)
        # the alias fallback on the fast path
        for local in ('nosuchuser', 'nosuchuser-x', 'root', 'lstest2', 'lstest3-x', '-lstest1'):
            self.assertFast(local, self.to_alias(local), binds)
        self.assertSame(ADDRESSES, binds)

    def test_last_passwd_line_counts(self):
        binds = self.conf('passwd: compat\npasswd: files\n')
        self.assertFast('nosuchuser', self.to_alias('nosuchuser'), binds)
        binds = self.conf('passwd: files\npasswd: compat\n')
        self.assertDeferred('lstest1', self.ok('lstest1'), binds)

    def test_other_sources_deferred(self):
        for text in ('passwd: compat\n',                          # compat
                     'passwd: systemd files\n',                   # files not first
                     'group: files\n',                            # no passwd entry
                     '',                                          # nor here
                     'passwd: files [NOTFOUND=return] systemd\n',  # an action item
                     'passwd: files'):                            # no newline
            binds = self.conf(text)
            self.assertDeferred('lstest1', self.ok('lstest1'), binds)
            self.assertDeferred('nosuchuser', self.to_alias('nosuchuser'), binds)
            self.assertSame(['lstest1-bar', 'root', 'lstest2-x'], binds)

    def test_broken_action_item_elsewhere(self):
        # glibc refuses every lookup when any known database's action item
        # is malformed: qmail-getpw must not answer in its place
        binds = self.conf('passwd: files\nhosts: files [NOTFOUND=retrun] dns\n')
        self.assertDeferred('lstest1', (111, b''), binds)
        self.assertSame(['lstest1', 'nosuchuser'], binds)
        # while a well-formed one changes nothing
        binds = self.conf('passwd: files\nhosts: files mdns4_minimal [NOTFOUND=return] dns\n')
        self.assertFast('lstest1', self.ok('lstest1'), binds)

    def test_unusual_passwd_lines(self):
        conf = self.conf('passwd: files\n')
        plain = self.passwd_line('lstest1') + self.passwd_line(ALIAS)
        user, alias = self.ok('lstest1', b'-', b'x'), self.to_alias('lstest1-x')
        odd = ' bob:x:1:1::/:/bin/sh\n'
        for text, local, fast, want in (
                (plain, 'lstest1-x', True, user),
                ('# comment\n\n+::::::\n' + plain, 'lstest1-x', True, user),
                (plain.rstrip('\n'), 'lstest1-x', True, user),  # last line, no newline
                # an unusual line: after the entry found, it does not matter;
                # it does where a name is not found (all lines are read)
                (plain + odd, 'lstest1', True, self.ok('lstest1')),
                (plain + odd, 'lstest1-x', False, user),
                (odd + plain, 'lstest1', False, self.ok('lstest1')),
                ('x:x:1:1:' + 'g' * 5000 + ':/:/bin/sh\n' + plain, 'lstest1', False,
                 self.ok('lstest1')),                          # a long line
                # glibc takes "+uid" and so this entry, whose home / is
                # not lstest1's: not a user, so the alias user's address
                ('lstest1:x:+%d:100::/:/bin/sh\n' % self.pw['lstest1'].pw_uid + plain,
                 'lstest1-x', False, alias)):
            binds = conf + ((self.file(text.encode()), '/etc/passwd'),)
            if fast:
                self.assertFast(local, want, binds)
            else:
                self.assertDeferred(local, want, binds)
            self.assertSame(['lstest1', 'lstest1-x', 'nosuchuser'], binds)
        # the alias user missing from a files-only system: 100, for certain
        binds = conf + ((self.file(self.passwd_line('lstest1').encode()), '/etc/passwd'),)
        self.assertFast('nosuchuser', (100, b''), binds)
        self.assertSame(['nosuchuser', 'lstest1'], binds)


if __name__ == '__main__':
    unittest.main()
