"""qmail-getpw, qmail-newu, qmail-pw2u and qmail-lspawn end to end, as root.

Test accounts (created if missing, left in place, never any other
account touched): lstest1 and lstest1-foo own their homes, LSUpper has
upper-case letters, lstest2 does not own its home, lstest3 has none. Their
homes live under /var/tmp/qmail-lstest. Every users/ file a test writes in
the scratch QMAILHOME is removed again in tearDown."""
import os
import pwd
import shutil
import stat
import subprocess
import time
import unittest

from harness import Q, mode_of

HOMES = '/var/tmp/qmail-lstest'
DOMAIN = 'example.org'
USERS_FILES = ['assign', 'cdb', 'cdb.tmp', 'include', 'exclude', 'mailnames', 'subusers',
               'append']
ALIAS = 'alias'


def account(name, home_owner=None, make_home=True):
    """Create name if missing (home under HOMES); give the home to
    home_owner (default: name). Returns the passwd entry."""
    home = os.path.join(HOMES, name.lower() + '.home')
    try:
        pw = pwd.getpwnam(name)
    except KeyError:
        subprocess.run(['useradd', '--badname', '-M', '-N', '-d', home, '-s', '/bin/sh', name],
                       check=True, stdout=subprocess.DEVNULL)
        pw = pwd.getpwnam(name)
    if pw.pw_dir != home:
        raise RuntimeError('account %s exists with another home: not ours' % name)
    if make_home:
        os.makedirs(home, exist_ok=True)
        owner = pwd.getpwnam(home_owner or name)
        os.chown(home, owner.pw_uid, owner.pw_gid)
        os.chmod(home, 0o755)
    else:
        shutil.rmtree(home, ignore_errors=True)
    return pw


def setup_accounts():
    os.makedirs(HOMES, exist_ok=True)
    os.chmod(HOMES, 0o755)
    return {
        'lstest1': account('lstest1'),
        'lstest1-foo': account('lstest1-foo'),
        'LSUpper': account('LSUpper'),
        'lstest2': account('lstest2', home_owner='root'),
        'lstest3': account('lstest3', make_home=False),
    }


def nughde(pw, dash, ext):
    return b'%s\0%d\0%d\0%s\0%s\0%s\0' % (pw.pw_name.encode(), pw.pw_uid, pw.pw_gid,
                                        pw.pw_dir.encode(), dash, ext)


def users_path(name):
    return os.path.join(Q.home, 'users', name)


def write_users(name, text, mode=0o644):
    with open(users_path(name), 'wb') as f:
        f.write(text if isinstance(text, bytes) else text.encode())
    os.chmod(users_path(name), mode)


def clear_users():
    for name in USERS_FILES:
        try:
            os.unlink(users_path(name))
        except FileNotFoundError:
            pass


def cdbdump(path):
    """The records of a cdb, in order, as (key, data) pairs."""
    with open(path, 'rb') as f:
        dump = subprocess.run(['cdbdump'], stdin=f, capture_output=True, check=True).stdout
    records = []
    pos = 0
    while dump[pos:pos + 1] == b'+':
        comma = dump.index(b',', pos)
        colon = dump.index(b':', comma)
        klen = int(dump[pos + 1:comma])
        dlen = int(dump[comma + 1:colon])
        key = dump[colon + 1:colon + 1 + klen]
        assert dump[colon + 1 + klen:colon + 3 + klen] == b'->'
        start = colon + 3 + klen
        records.append((key, dump[start:start + dlen]))
        assert dump[start + dlen:start + dlen + 1] == b'\n'
        pos = start + dlen + 1
    assert dump[pos:] == b'\n', dump[pos:]
    return records


class Getpw(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pw = setup_accounts()
        cls.alias = pwd.getpwnam(ALIAS)

    def getpw(self, *args):
        return Q.run(['qmail-getpw'] + list(args), user='qmailp')

    def assertGetpw(self, local, want):
        p = self.getpw(local)
        self.assertEqual((p.returncode, p.stdout, p.stderr), (0, want, b''), local)

    def test_users_and_extensions(self):
        one, foo = self.pw['lstest1'], self.pw['lstest1-foo']
        self.assertGetpw('lstest1', nughde(one, b'', b''))
        self.assertGetpw('lstest1-', nughde(one, b'-', b''))
        self.assertGetpw('lstest1-bar', nughde(one, b'-', b'bar'))
        self.assertGetpw('lstest1-bar-baz', nughde(one, b'-', b'bar-baz'))
        # the longest prefix naming a user wins
        self.assertGetpw('lstest1-foo', nughde(foo, b'', b''))
        self.assertGetpw('lstest1-foo-bar', nughde(foo, b'-', b'bar'))
        # the user part in any case; the extension keeps its case
        self.assertGetpw('LSTest1-Foo-X.Y', nughde(foo, b'-', b'X.Y'))
        self.assertGetpw('LSTEST1-BAR', nughde(one, b'-', b'BAR'))

    def test_alias_catches_the_rest(self):
        for local in ('lstest1foo', 'nosuchuser-x', 'root', 'root-x', 'lsupper', 'LSUpper',
                      'lstest2', 'lstest2-x', 'lstest3', 'lstest3-x', '-lstest1', 'a' * 40,
                      'x;rm -rf /', ''):
            self.assertGetpw(local, nughde(self.alias, b'-', local.encode()))

    def test_usage(self):
        p = self.getpw()
        self.assertEqual((p.returncode, p.stdout), (100, b''))


class Newu(unittest.TestCase):
    def tearDown(self):
        clear_users()

    def newu(self):
        return Q.run(['qmail-newu'])

    def test_compiles_the_manpage_example(self):
        write_users('assign', '+:alias:7790:2108:/var/qmail/alias:-::\n'
                              '+Joe-:joe:507:100:/home/joe:-::\n'
                              '=JOE:joe:507:100:/home/joe:::\n'
                              '+list.:lists:600:60:/home/lists:-:list-:extra:fields\n'
                              '=joe:second:1:1:/x:::\n'
                              '.\n'
                              'anything after the dot line is ignored\n')
        p = self.newu()
        self.assertEqual((p.returncode, p.stdout, p.stderr), (0, b'', b''))
        self.assertEqual(cdbdump(users_path('cdb')), [
            (b'!', b'alias\x007790\x002108\x00/var/qmail/alias\x00-\x00'),
            (b'!joe-', b'joe\x00507\x00100\x00/home/joe\x00-\x00'),
            (b'!joe\x00', b'joe\x00507\x00100\x00/home/joe\x00\x00'),
            (b'!list.', b'lists\x00600\x0060\x00/home/lists\x00-\x00list-'),
            (b'!joe\x00', b'second\x001\x001\x00/x\x00\x00'),
            (b'', b'-.'),
        ])
        st = os.stat(users_path('cdb'))
        self.assertEqual((st.st_uid, mode_of(st)), (0, 0o644))
        self.assertFalse(os.path.exists(users_path('cdb.tmp')))

    def test_empty_assign(self):
        write_users('assign', '.\n')
        self.assertEqual(self.newu().returncode, 0)
        self.assertEqual(cdbdump(users_path('cdb')), [(b'', b'')])

    def assertFails(self, text):
        before = open(users_path('cdb'), 'rb').read()
        p = self.newu()
        self.assertEqual((p.returncode, p.stdout, p.stderr),
                         (111, b'', b'qmail-newu: fatal: ' + text + b'\n'))
        self.assertEqual(open(users_path('cdb'), 'rb').read(), before, 'cdb left alone')
        self.assertFalse(os.path.exists(users_path('cdb.tmp')))

    def test_errors_leave_cdb_alone(self):
        write_users('assign', '=a:a:1:1:/a:::\n.\n')
        self.assertEqual(self.newu().returncode, 0)
        for bad in ('=a:a:1:1:/a:::\n',            # no end line
                    '=a:a:1:1:/a:::\n=b:b:1:1:/b:::',  # nor here
                    '=a:a:1:1:/a::\n.\n',           # five fields
                    '=a\n.\n', ':a:1:1:/a:::\n.\n', '\n.\n',
                    '=a:a:1:1:/a:::\x00\n.\n',
                    '=' + 'a' * 70000 + ':a:1:1:/a:::\n.\n'):
            write_users('assign', bad)
            self.assertFails(b'bad format in users/assign')
        os.unlink(users_path('assign'))
        self.assertFails(b'unable to open users/assign')
        os.mkdir(users_path('assign'))
        try:
            self.assertFails(b'unable to read users/assign')
        finally:
            os.rmdir(users_path('assign'))


class Pw2u(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pw = setup_accounts()

    def tearDown(self):
        clear_users()

    def pw2u(self, passwd, *opts):
        return Q.run(['qmail-pw2u'] + list(opts), input=passwd.encode())

    def assertOutput(self, passwd, want, *opts):
        p = self.pw2u(passwd, *opts)
        self.assertEqual((p.returncode, p.stderr.decode(), p.stdout.decode()), (0, '', want))

    SAMPLE = ('root:x:0:0:root:/root:/bin/sh\n'
              'alias:x:7790:2108::/var/qmail/alias:/bin/false\n'
              'joe:x:507:100:Joe:/home/joe:/bin/sh\n'
              'Mixed:x:508:100::/home/mixed:/bin/sh\n'
              'short:x:509:100\n'
              'nul\0:x:510:100::/h:/bin/sh\n'
              'bill:x:0511:0100::/home/bill:\n'
              'last:x:512:100::/home/last:')

    def test_no_home_checks(self):
        self.assertOutput(self.SAMPLE,
                          '+:alias:7790:2108:/var/qmail/alias:-::\n'
                          '=alias:alias:7790:2108:/var/qmail/alias:::\n'
                          '+alias-:alias:7790:2108:/var/qmail/alias:-::\n'
                          '=joe:joe:507:100:/home/joe:::\n'
                          '+joe-:joe:507:100:/home/joe:-::\n'
                          '=bill:bill:0511:0100:/home/bill:::\n'
                          '+bill-:bill:0511:0100:/home/bill:-::\n'
                          '=last:last:512:100:/home/last:::\n'
                          '+last-:last:512:100:/home/last:-::\n'
                          '.\n', '-H')

    def test_options(self):
        passwd = 'alias:x:7790:2108::/a:\nMixed:x:508:100::/m:\n'
        self.assertOutput(passwd,
                          '+:alias:7790:2108:/a:-/::\n'
                          '=alias:alias:7790:2108:/a:::\n'
                          '+alias+:alias:7790:2108:/a:-/::\n'
                          '=Mixed:Mixed:508:100:/m:::\n'
                          '+Mixed+:Mixed:508:100:/m:-/::\n'
                          '.\n', '-H', '-u', '-c+', '-/')
        self.assertOutput(passwd,
                          '+:alias:7790:2108:/a:-::\n'
                          '=alias:alias:7790:2108:/a:::\n'
                          '.\n', '-H', '-C', '-U')
        p = self.pw2u(passwd, '-Z')
        self.assertEqual((p.returncode, p.stdout), (100, b''))

    def test_home_checks(self):
        pw = self.pw
        lines = ''.join('%s:x:%d:%d::%s:/bin/sh\n' % (pw[n].pw_name, pw[n].pw_uid, pw[n].pw_gid,
                                                    pw[n].pw_dir)
                        for n in ('lstest1', 'lstest2', 'lstest3', 'LSUpper'))
        passwd = 'alias:x:7790:2108::/:\n' + lines
        one = pw['lstest1']
        uugh = 'lstest1:%d:%d:%s:' % (one.pw_uid, one.pw_gid, one.pw_dir)
        # -o (default): lstest2 (home not its own) and lstest3 (no home) are
        # skipped; / is root's, so even the alias user is dropped, which is
        # fatal (and nothing is printed).
        p = self.pw2u(passwd)
        self.assertEqual((p.returncode, p.stdout, p.stderr),
                         (111, b'', b'qmail-pw2u: fatal: unable to find alias user\n'))
        alias_home = os.path.join(HOMES, 'alias-home')
        os.makedirs(alias_home, exist_ok=True)
        os.chown(alias_home, 7790, 2108)
        passwd = 'alias:x:7790:2108::%s:\n' % alias_home + lines
        alias_uugh = 'alias:7790:2108:%s:' % alias_home
        want = ('+:%s-::\n=alias:%s::\n+alias-:%s-::\n=lstest1:%s::\n+lstest1-:%s-::\n.\n'
                % (alias_uugh, alias_uugh, alias_uugh, uugh, uugh))
        self.assertOutput(passwd, want)
        self.assertOutput(passwd, want, '-o')
        # -h: a missing home is fatal
        p = self.pw2u(passwd, '-h')
        self.assertEqual(p.returncode, 111)
        self.assertEqual(p.stderr, b'qmail-pw2u: fatal: unable to stat %s\n'
                         % pw['lstest3'].pw_dir.encode())

    def test_users_files(self):
        write_users('include', 'alias\njoe\nbill\nsue\n')
        write_users('exclude', 'sue\n')
        write_users('mailnames', 'joe:joe.shmoe::js\nnobody:x\n')
        write_users('subusers', 'list:joe:list:\nbad:joe\nfaq:bill:faq-x:\n')
        write_users('append', '=extra:joe:507:100:/home/joe:::\nno newline at the end')
        passwd = ('alias:x:7790:2108::/a:\njoe:x:507:100::/home/joe:\n'
                  'bill:x:511:100::/home/bill:\nsue:x:600:100::/home/sue:\n'
                  'tom:x:601:100::/home/tom:\n')
        self.assertOutput(passwd,
                          '+:alias:7790:2108:/a:-::\n'
                          '=alias:alias:7790:2108:/a:::\n'
                          '+alias-:alias:7790:2108:/a:-::\n'
                          '=joe.shmoe:joe:507:100:/home/joe:::\n'
                          '+joe.shmoe-:joe:507:100:/home/joe:-::\n'
                          '=js:joe:507:100:/home/joe:::\n'
                          '+js-:joe:507:100:/home/joe:-::\n'
                          '=bill:bill:511:100:/home/bill:::\n'
                          '+bill-:bill:511:100:/home/bill:-::\n'
                          '=list:joe:507:100:/home/joe:-:list:\n'
                          '+list-:joe:507:100:/home/joe:-:list-:\n'
                          '=faq:bill:511:100:/home/bill:-:faq-x:\n'
                          '+faq-:bill:511:100:/home/bill:-:faq-x-:\n'
                          '=extra:joe:507:100:/home/joe:::\n'
                          'no newline at the end.\n', '-H')
        # a subuser of an unknown (or skipped) user is fatal
        write_users('subusers', 'x:tom:y:\n')
        p = self.pw2u(passwd, '-H')
        self.assertEqual((p.returncode, p.stderr),
                         (111, b'qmail-pw2u: fatal: unable to find tom user for subuser\n'))

    def test_newu_reads_pw2u_output(self):
        p = self.pw2u('alias:x:7790:2108::/a:\njoe:x:507:100::/home/joe:\n', '-H')
        write_users('assign', p.stdout)
        self.assertEqual(Q.run(['qmail-newu']).returncode, 0)
        self.assertEqual(cdbdump(users_path('cdb')), [
            (b'!', b'alias\x007790\x002108\x00/a\x00-\x00'),
            (b'!alias\x00', b'alias\x007790\x002108\x00/a\x00\x00'),
            (b'!alias-', b'alias\x007790\x002108\x00/a\x00-\x00'),
            (b'!joe\x00', b'joe\x00507\x00100\x00/home/joe\x00\x00'),
            (b'!joe-', b'joe\x00507\x00100\x00/home/joe\x00-\x00'),
            (b'', b'-'),
        ])


def inject(message, sender=b'sender@example.net', rcpt=b'x@y'):
    """Queue message with qmail-queue; its number."""
    env_r, env_w = os.pipe()
    os.write(env_w, b'F' + sender + b'\0T' + rcpt + b'\0\0')
    os.close(env_w)
    p = subprocess.run([Q.bin('qmail-queue')], input=message, stdout=env_r,
                       stderr=subprocess.PIPE, env={}, cwd='/')
    os.close(env_r)
    assert p.returncode == 0, p.stderr
    todo = os.listdir(os.path.join(Q.queue, 'todo'))
    assert len(todo) == 1, todo
    return todo[0].encode()


def request(slot, number, sender, *rcpts):
    return (bytes([slot >> 8, slot & 255]) + number + b'\0' + sender + b'\0' +
            b''.join(r + b'\0' for r in rcpts) + b'\0')


def lspawn(requests, aliasempty='./Maildir/'):
    """Run qmail-lspawn on the requests; its exit code and results."""
    p = Q.run(['qmail-lspawn', aliasempty], input=requests, timeout=120)
    results = []
    out = p.stdout
    while out:
        end = out.index(b'\0', 2)
        results.append((out[0] * 256 + out[1], out[2:end]))
        out = out[end + 1:]
    return p.returncode, p.stderr, results


class Lspawn(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pw = setup_accounts()
        cls.have_local = os.path.exists(Q.bin('qmail-local'))

    def setUp(self):
        Q.clear_queue()
        self.number = inject(b'Subject: lspawn\n\nhello\n')
        self.maildirs = []

    def tearDown(self):
        Q.clear_queue()
        clear_users()
        for d in self.maildirs:
            shutil.rmtree(d, ignore_errors=True)

    def maildir(self, name):
        pw = self.pw[name]
        top = os.path.join(pw.pw_dir, 'Maildir')
        shutil.rmtree(top, ignore_errors=True)
        for sub in ('', 'tmp', 'new', 'cur'):
            os.mkdir(os.path.join(top, sub), 0o700)
            os.chown(os.path.join(top, sub), pw.pw_uid, pw.pw_gid)
        self.maildirs.append(top)
        return top

    def delivered(self, top):
        names = os.listdir(os.path.join(top, 'new'))
        self.assertEqual(len(names), 1, names)
        with open(os.path.join(top, 'new', names[0]), 'rb') as f:
            return f.read()

    def assertResults(self, requests, want):
        rc, err, results = lspawn(requests)
        self.assertEqual((rc, err), (0, b''))
        self.assertEqual(sorted(results), sorted(want))

    def test_rejected_requests(self):
        n = self.number
        self.assertResults(
            request(0xffff, n, b's', b'lstest1@' + DOMAIN.encode()) +
            request(1, b'12x', b's', b'a@b') +
            request(2, b'1' * 101, b's', b'a@b') +
            request(3, b'', b's', b'a@b') +
            request(4, n, b's', b'no-at-sign') +
            request(5, n, b's', b'a@b', b'c@d') +
            request(6, n, b's') +
            request(7, b'1', b's', b'a@b') +
            request(8, n, b's', b'a' * 70000 + b'@b') +
            request(9, n, b's', b'@' + DOMAIN.encode()) +
            request(10, b'99999999999999999999999', b's', b'a@b'),
            [(0xffff, b'ZInternal error: delnum too big. (#4.3.5)\n'),
             (1, b'DInternal error: messid has nonnumerics. (#5.3.5)\n'),
             (2, b'DInternal error: messid too long. (#5.3.5)\n'),
             (3, b'DInternal error: messid too short. (#5.3.5)\n'),
             (4, b'DSorry, address must include host name. (#5.1.3)\n'),
             (5, b'ZInternal error: not exactly one recipient. (#4.3.5)\n'),
             (6, b'ZInternal error: not exactly one recipient. (#4.3.5)\n'),
             (7, b'Zqmail-spawn unable to open message. (#4.3.0)\n'),
             (8, b'DInternal error: address too long. (#5.3.5)\n'),
             (9, b'K'),   # an empty mailbox name is a trash address
             (10, b'DInternal error: messid too long. (#5.3.5)\n')])

    def test_message_checks(self):
        # a message file not owned by qmailq is refused
        path = os.path.join(Q.queue, 'mess', str(int(self.number) % Q.split), self.number.decode())
        os.chown(path, 0, 0)
        self.assertResults(request(0, self.number, b's', b'lstest1@x'),
                           [(0, b'ZSorry, message has wrong owner. (#4.3.5)\n')])

    def test_empty_input_and_usage(self):
        self.assertEqual(lspawn(b''), (0, b'', []))
        self.assertEqual(lspawn(b'\0\0123\0partial'), (0, b'', []))
        p = Q.run(['qmail-lspawn'])
        self.assertEqual(p.returncode, 100)

    def test_root_and_cdb_trouble(self):
        write_users('assign', '=rootly:root:0:0:/root:::\n.\n')
        self.assertEqual(Q.run(['qmail-newu']).returncode, 0)
        self.assertResults(request(0, self.number, b's', b'Rootly@x'),
                           [(0, b'ZNot allowed to perform deliveries as root.\n')])
        write_users('cdb', b'not a cdb')
        self.assertResults(request(0, self.number, b's', b'lstest1@x'),
                           [(0, b'ZTrouble reading users/cdb in qmail-lspawn.\n')])

    def test_delivery_via_getpw(self):
        top = self.maildir('lstest1')
        rc, err, results = lspawn(request(3, self.number, b'sender@example.net',
                                          b'LSTest1@' + DOMAIN.encode()))
        self.assertEqual((rc, err), (0, b''))
        if not self.have_local:
            self.assertEqual(results, [(3, b'DUnable to run qmail-local.\n')])
            return
        self.assertEqual(results, [(3, b'Kdid 1+0+0\n')])
        msg = self.delivered(top)
        self.assertTrue(msg.startswith(b'Return-Path: <sender@example.net>\n'
                                       b'Delivered-To: LSTest1@example.org\n'
                                       b'Received: (qmail '), msg)
        self.assertTrue(msg.endswith(b'\nSubject: lspawn\n\nhello\n'), msg)
        st = os.stat(os.path.join(top, 'new', os.listdir(os.path.join(top, 'new'))[0]))
        self.assertEqual(st.st_uid, self.pw['lstest1'].pw_uid)

    def test_delivery_via_users_cdb(self):
        one = self.pw['lstest1']
        write_users('assign', '=joe.shmoe:lstest1:%d:%d:%s:::\n+wild-:lstest1:%d:%d:%s:-:w-:\n.\n'
                    % (one.pw_uid, one.pw_gid, one.pw_dir, one.pw_uid, one.pw_gid, one.pw_dir))
        self.assertEqual(Q.run(['qmail-newu']).returncode, 0)
        top = self.maildir('lstest1')
        want = [(0, b'Kdid 1+0+0\n')] if self.have_local else \
            [(0, b'DUnable to run qmail-local.\n')]
        self.assertResults(request(0, self.number, b'', b'Joe.Shmoe@' + DOMAIN.encode()), want)
        if self.have_local:
            self.assertTrue(self.delivered(top).startswith(
                b'Return-Path: <>\nDelivered-To: Joe.Shmoe@example.org\n'))
            # wild-x maps to ~lstest1/.qmail-w-x, which does not exist
            self.assertResults(request(1, self.number, b'', b'wild-x@' + DOMAIN.encode()),
                               [(1, b'DSorry, no mailbox here by that name. (#5.1.1)\n')])

    def test_concurrent_deliveries(self):
        top1 = self.maildir('lstest1')
        top2 = self.maildir('lstest1-foo')
        reqs = b''.join(request(i, self.number, b's@x',
                                (b'lstest1@a' if i % 2 else b'lstest1-foo@b')) for i in range(10))
        rc, err, results = lspawn(reqs)
        self.assertEqual((rc, err), (0, b''))
        self.assertEqual(sorted(r[0] for r in results), list(range(10)))
        if not self.have_local:
            self.assertEqual({r[1] for r in results}, {b'DUnable to run qmail-local.\n'})
            return
        self.assertEqual({r[1] for r in results}, {b'Kdid 1+0+0\n'})
        self.assertEqual(len(os.listdir(os.path.join(top1, 'new'))), 5)
        self.assertEqual(len(os.listdir(os.path.join(top2, 'new'))), 5)

    def test_programs_not_runnable(self):
        # qmailp cannot run qmail-getpw; the user cannot run qmail-local
        # (a permanent error, as in qmail-1.03)
        for prog, local, want in (('qmail-getpw', b'lstest1', b'ZUnable to run qmail-getpw.\n'),
                                  ('qmail-local', b'lstest1', b'DUnable to run qmail-local.\n')):
            path = Q.bin(prog)
            if not os.path.exists(path):
                continue
            mode = mode_of(os.stat(path))
            os.chmod(path, 0o700)
            try:
                self.assertResults(request(0, self.number, b's', local + b'@x'), [(0, want)])
            finally:
                os.chmod(path, mode)

    def replace_getpw(self, script):
        """Put a shell script in qmail-getpw's place for this test, as an
        administrator replacing qmail-getpw would."""
        path = Q.bin('qmail-getpw')
        saved = path + '.saved'
        os.rename(path, saved)
        self.addCleanup(os.rename, saved, path)
        with open(path, 'w') as f:
            f.write('#!/bin/sh\n' + script)
        os.chmod(path, 0o755)
        self.addCleanup(os.unlink, path)

    def test_getpw_replacement_results(self):
        # qmail-lspawn judges qmail-getpw by its exit code and bounds its
        # output; each case is one slot, all running at once
        one = self.pw['lstest1']
        fields = 'lstest1\\000%d\\000%d\\000%s\\000\\000\\000' % (one.pw_uid, one.pw_gid, one.pw_dir)
        self.replace_getpw(
            'case "$1" in\n'
            'good) printf "%s" ;;\n'
            'slowgood) sleep 2; printf "%s" ;;\n'
            'huge) head -c 40000 /dev/zero ;;\n'
            'absent) exit 100 ;;\n'
            'trouble) exit 111 ;;\n'
            'crash) kill -SEGV $$ ;;\n'
            'garbage) printf "only\\0two\\0" ;;\n'
            'rootly) printf "root\\0000\\0000\\0/\\0\\0\\0" ;;\n'
            'esac\n' % (fields, fields))
        top = self.maildir('lstest1')
        names = [b'slowgood', b'good', b'huge', b'absent', b'trouble', b'crash', b'garbage',
                 b'rootly']
        reqs = b''.join(request(i, self.number, b's', n + b'@x') for i, n in enumerate(names))
        start = time.time()
        rc, err, results = lspawn(reqs)
        self.assertEqual((rc, err), (0, b''))
        self.assertLess(time.time() - start, 60)
        self.assertEqual(sorted(results), [
            (0, b'Kdid 1+0+0\n'),
            (1, b'Kdid 1+0+0\n'),
            (2, b'ZInternal qmail-lspawn bug.\n'),
            (3, b'ZUnable to find alias user!\n'),
            (4, b'ZTemporary failure in qmail-lspawn.\n'),
            (5, b'ZTemporary failure in qmail-lspawn.\n'),
            (6, b'ZInternal qmail-lspawn bug.\n'),
            (7, b'ZNot allowed to perform deliveries as root.\n')])
        # the slow lookup did not hold up the others: slot 1 was reported first
        self.assertEqual([r[0] for r in results].index(1) < [r[0] for r in results].index(0),
                         True)
        self.assertEqual(len(os.listdir(os.path.join(top, 'new'))), 2)

    def dot_qmail(self, ext, text):
        pw = self.pw['lstest1']
        path = os.path.join(pw.pw_dir, '.qmail-' + ext)
        with open(path, 'w') as f:
            f.write(text)
        os.chown(path, pw.pw_uid, pw.pw_gid)
        os.chmod(path, 0o644)
        self.addCleanup(os.unlink, path)

    def test_output_handling(self):
        # qmail-local passes a program's output on: lspawn keeps 4000
        # bytes, cuts at a NUL, maps exit codes; a crash has its own text
        if not self.have_local:
            self.skipTest('qmail-local is not installed')
        self.dot_qmail('big', '|head -c 5000 /dev/zero | tr "\\0" x; exit 100\n')
        self.dot_qmail('nul', '|printf "ab\\000cd"; exit 111\n')
        self.dot_qmail('crash', '|kill -SEGV $PPID; sleep 1\n')
        note = b'\nError report too long, sorry.\n'
        rc, err, results = lspawn(request(0, self.number, b's', b'lstest1-big@x') +
                                  request(1, self.number, b's', b'lstest1-nul@x') +
                                  request(2, self.number, b's', b'lstest1-crash@x'))
        self.assertEqual((rc, err), (0, b''))
        self.assertEqual(sorted(results), [(0, b'D' + b'x' * (4000 - len(note)) + note),
                                           (1, b'Zab'),
                                           (2, b'Zqmail-local crashed.\n')])

    def test_slot_in_use(self):
        # a long-running delivery holds slot 0 while the next request for
        # slot 0 is refused; a .qmail program keeps qmail-local busy
        if not self.have_local:
            self.skipTest('qmail-local is not installed')
        pw = self.pw['lstest1']
        dot = os.path.join(pw.pw_dir, '.qmail-slow')
        with open(dot, 'w') as f:
            f.write('|sleep 1\n')
        os.chown(dot, pw.pw_uid, pw.pw_gid)
        os.chmod(dot, 0o644)
        try:
            rc, err, results = lspawn(request(0, self.number, b's', b'lstest1-slow@x') +
                                      request(0, self.number, b's', b'lstest1-slow@x'))
        finally:
            os.unlink(dot)
        self.assertEqual((rc, err), (0, b''))
        self.assertEqual(results, [(0, b'ZInternal error: delnum in use. (#4.3.5)\n'),
                                   (0, b'Kdid 0+0+1\n')])


if __name__ == '__main__':
    unittest.main()
