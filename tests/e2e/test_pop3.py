"""POP3 end to end: the real tcpserver on 127.0.0.1 running
qmail-popup testhost checkpassword qmail-pop3d Maildir, as qmail is set up,
for a real user (qpoptest, created if missing and left in place, with a
known password set by chpasswd). Driven with poplib, raw sockets and
fetchmail: the exact replies of qmail-popup and qmail-pop3d, login
failures, STAT/LIST/UIDL/TOP/RETR/DELE/RSET/LAST/NOOP, deletion only at
QUIT, new/ moved to cur/ with ":2,", stable UIDLs, dot-stuffing and the
extra empty line, a 10,000-message Maildir in bounded memory, what stays
out of the list (symbolic links, odd names, this second's mail), tmp/
cleaning, overlong lines, the fd-3 protocol, and checkpassword itself.
The user's home is moved into this run's scratch tree, so two runs on one
machine take turns (a lock held for the whole module)."""
import fcntl
import os
import poplib
import pwd
import re
import shutil
import socket
import subprocess
import time
import unittest

from harness import Q
from clients import free_port

USER = 'qpoptest'
PASSWORD = 'pop-secret 1'  # a space: PASS takes the rest of the line
HOST = 'testhost'
BASE_TIME = 1700000000  # mtimes of the test messages: long past, one second apart
GREETING = re.compile(rb'^\+OK <(\d+)\.(\d+)@testhost>\r\n$')


def ensure_user(home):
    try:
        pw = pwd.getpwnam(USER)
        if pw.pw_dir != home:
            subprocess.run(['usermod', '-d', home, USER], check=True)
    except KeyError:
        subprocess.run(['useradd', '-M', '-N', '-d', home, '-s', '/bin/sh', USER], check=True,
                       stdout=subprocess.DEVNULL)
    subprocess.run(['chpasswd'], input=('%s:%s\n' % (USER, PASSWORD)).encode(), check=True)
    return pwd.getpwnam(USER)


def pop3d_pids():
    """Pids of the running qmail-pop3d processes of this installation."""
    ours = os.path.realpath(Q.bin('qmail-pop3d'))
    found = []
    for pid in os.listdir('/proc'):
        if pid.isdigit():
            try:
                if os.readlink('/proc/%s/exe' % pid) == ours:
                    found.append(int(pid))
            except OSError:
                continue
    return found


def status_kb(pid, field):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    raise AssertionError('no %s for %d' % (field, pid))


class Raw:
    """A raw POP3 connection."""

    def __init__(self, port):
        self.s = socket.create_connection(('127.0.0.1', port), timeout=20)
        self.buf = b''

    def line(self):
        while b'\n' not in self.buf:
            more = self.s.recv(65536)
            if not more:
                raise EOFError(self.buf)
            self.buf += more
        i = self.buf.index(b'\n') + 1
        got, self.buf = self.buf[:i], self.buf[i:]
        return got

    def cmd(self, line):
        self.s.sendall(line + b'\r\n')
        return self.line()

    def multi(self):
        """The lines of a multi-line answer, up to and including ".\\r\\n"."""
        got = b''
        while not got.endswith(b'\r\n.\r\n') and got != b'.\r\n':
            got += self.line()
        return got

    def eof(self):
        """True if the server closes the connection with nothing more."""
        if self.buf:
            return False
        return self.s.recv(1) == b''

    def login(self):
        greeting = self.line()
        assert GREETING.match(greeting), greeting
        assert self.cmd(b'USER ' + USER.encode()) == b'+OK \r\n'
        assert self.cmd(b'PASS ' + PASSWORD.encode()) == b'+OK \r\n'
        return greeting

    def close(self):
        self.s.close()


class Pop3(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.lock = open('/tmp/qmail-e2e-pop3.lock', 'a')
        fcntl.flock(cls.lock, fcntl.LOCK_EX)
        cls.top = os.path.join(Q.root, 'pop3')
        os.makedirs(cls.top, exist_ok=True)
        os.chmod(cls.top, 0o755)
        cls.home = os.path.join(cls.top, 'home')
        cls.pw = ensure_user(cls.home)
        cls.maildir = os.path.join(cls.home, 'Maildir')

    @classmethod
    def tearDownClass(cls):
        cls.lock.close()

    def setUp(self):
        shutil.rmtree(self.home, ignore_errors=True)
        os.mkdir(self.home, 0o700)
        for sub in ('', '/new', '/cur', '/tmp'):
            os.mkdir(self.maildir + sub, 0o700)
        for d in ('', '/Maildir', '/Maildir/new', '/Maildir/cur', '/Maildir/tmp'):
            os.chown(self.home + d, self.pw.pw_uid, self.pw.pw_gid)
        self.count = 0
        self.conns = []
        self.port = free_port()
        argv = ['/usr/bin/tcpserver', '-R', '-H', '-l', '0', '127.0.0.1', str(self.port),
                Q.bin('qmail-popup'), HOST, Q.bin('checkpassword'), Q.bin('qmail-pop3d'),
                'Maildir']
        self.server = subprocess.Popen(argv, env={'PATH': '/usr/bin:/bin'},
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while True:
            try:
                socket.create_connection(('127.0.0.1', self.port), timeout=1).close()
                break
            except OSError:
                if time.time() > deadline or self.server.poll() is not None:
                    raise
                time.sleep(0.02)

    def tearDown(self):
        for c in self.conns:
            c.close()
        self.server.terminate()
        self.server.wait(timeout=10)
        self.quiesce()

    # ---- helpers ----

    def quiesce(self):
        """Wait until no session of the test user runs."""
        deadline = time.time() + 20
        while pop3d_pids():
            self.assertLess(time.time(), deadline, 'qmail-pop3d still running')
            time.sleep(0.02)

    def deliver(self, data, sub='new', name=None, mtime=None):
        """Put a message in the Maildir, dated after the ones before it."""
        self.count += 1
        if name is None:
            name = '%d.M%dP42.testhost' % (BASE_TIME + self.count, self.count)
        path = os.path.join(self.maildir, sub, name)
        with open(path, 'wb') as f:
            f.write(data)
        os.chown(path, self.pw.pw_uid, self.pw.pw_gid)
        t = BASE_TIME + self.count if mtime is None else mtime
        os.utime(path, (t, t))
        return name

    def files(self):
        """{'new/NAME' or 'cur/NAME': bytes} of the Maildir's messages."""
        got = {}
        for sub in ('new', 'cur'):
            for name in os.listdir(os.path.join(self.maildir, sub)):
                with open(os.path.join(self.maildir, sub, name), 'rb') as f:
                    got[sub + '/' + name] = f.read()
        return got

    def raw(self):
        r = Raw(self.port)
        self.conns.append(r)
        return r

    def pop(self):
        p = poplib.POP3('127.0.0.1', self.port, timeout=20)
        self.conns.append(p)
        self.assertRegex(p.getwelcome() + b'\r\n', GREETING)
        self.assertEqual(p.user(USER), b'+OK ')
        self.assertEqual(p.pass_(PASSWORD), b'+OK ')
        return p

    def three(self):
        msgs = [b'Subject: one\n\nfirst body\n',
                b'From: a@example.org\nSubject: two\n\nline 1\nline 2\nline 3\n',
                b'Subject: three\n\nno newline at the end']
        names = [self.deliver(m) for m in msgs]
        return msgs, names

    # ---- qmail-popup ----

    def test_greeting_and_authorization_state(self):
        r = self.raw()
        before = int(time.time())
        g = GREETING.match(r.line())
        self.assertTrue(g)
        self.assertTrue(before - 2 <= int(g.group(2)) <= time.time() + 2)
        self.assertEqual(r.cmd(b'NOOP'), b'+OK \r\n')
        self.assertEqual(r.cmd(b'STAT'), b'-ERR authorization first\r\n')
        self.assertEqual(r.cmd(b'CAPA'), b'-ERR authorization first\r\n')
        self.assertEqual(r.cmd(b''), b'-ERR authorization first\r\n')
        self.assertEqual(r.cmd(b'PASS x'), b'-ERR USER first\r\n')
        self.assertEqual(r.cmd(b'USER'), b'-ERR syntax error\r\n')
        self.assertEqual(r.cmd(b'APOP nospace'), b'-ERR syntax error\r\n')
        self.assertEqual(r.cmd(b'user ' + USER.encode()), b'+OK \r\n')
        self.assertEqual(r.cmd(b'PASS'), b'-ERR syntax error\r\n')
        # a line past 512 bytes is refused whatever it says; the session goes on
        self.assertEqual(r.cmd(b'PASS ' + b'x' * 600), b'-ERR syntax error\r\n')
        self.assertEqual(r.cmd(b'noop'), b'+OK \r\n')
        self.assertEqual(r.cmd(b'QUIT'), b'+OK \r\n')
        self.assertTrue(r.eof())

    def test_bad_logins(self):
        self.three()
        for user, password in ((USER, 'wrong'), (USER, PASSWORD + ' '), ('qpop-nosuchuser', PASSWORD),
                               (USER.upper(), PASSWORD)):
            r = self.raw()
            r.line()
            self.assertEqual(r.cmd(b'USER ' + user.encode()), b'+OK \r\n')
            self.assertEqual(r.cmd(b'PASS ' + password.encode()), b'-ERR authorization failed\r\n')
            self.assertTrue(r.eof())
        # APOP: checkpassword takes the digest for the password
        r = self.raw()
        r.line()
        self.assertEqual(r.cmd(b'APOP ' + USER.encode() + b' c4c9334bac560ecc979e58001b3e22fb'),
                         b'-ERR authorization failed\r\n')
        self.assertTrue(r.eof())
        p = self.pop()
        self.assertEqual(p.stat()[0], 3)
        p.quit()

    def test_apop_login_with_checkpassword(self):
        msgs, _ = self.three()
        r = self.raw()
        r.line()
        self.assertEqual(r.cmd(b'APOP ' + USER.encode() + b' ' + PASSWORD.encode()), b'+OK \r\n')
        self.assertEqual(r.cmd(b'STAT'), b'+OK 3 %d\r\n' % sum(len(m) for m in msgs))
        self.assertEqual(r.cmd(b'QUIT'), b'+OK \r\n')

    # ---- qmail-pop3d ----

    def test_replies(self):
        msgs, names = self.three()
        r = self.raw()
        r.login()
        total = sum(len(m) for m in msgs)
        self.assertEqual(r.cmd(b'STAT'), b'+OK 3 %d\r\n' % total)
        self.assertEqual(r.cmd(b'LIST'), b'+OK \r\n')
        self.assertEqual(r.multi(), b''.join(b'%d %d\r\n' % (i + 1, len(m))
                                             for i, m in enumerate(msgs)) + b'.\r\n')
        self.assertEqual(r.cmd(b'LIST 2'), b'+OK 2 %d\r\n' % len(msgs[1]))
        self.assertEqual(r.cmd(b'UIDL'), b'+OK \r\n')
        self.assertEqual(r.multi(), b''.join(b'%d %s\r\n' % (i + 1, n.encode())
                                             for i, n in enumerate(names)) + b'.\r\n')
        self.assertEqual(r.cmd(b'uidl 3'), b'+OK 3 %s\r\n' % names[2].encode())
        self.assertEqual(r.cmd(b'TOP 2 0'), b'+OK \r\n')
        self.assertEqual(r.multi(), b'From: a@example.org\r\nSubject: two\r\n\r\n\r\n.\r\n')
        self.assertEqual(r.cmd(b'TOP 2 2'), b'+OK \r\n')
        self.assertEqual(r.multi(), b'From: a@example.org\r\nSubject: two\r\n\r\n'
                                    b'line 1\r\nline 2\r\n\r\n.\r\n')
        self.assertEqual(r.cmd(b'RETR 1'), b'+OK \r\n')
        self.assertEqual(r.multi(), b'Subject: one\r\n\r\nfirst body\r\n\r\n.\r\n')
        self.assertEqual(r.cmd(b'RETR 3'), b'+OK \r\n')
        self.assertEqual(r.multi(), b'Subject: three\r\n\r\nno newline at the end\r\n\r\n.\r\n')
        self.assertEqual(r.cmd(b'LAST'), b'+OK 0\r\n')
        self.assertEqual(r.cmd(b'DELE 2'), b'+OK \r\n')
        # STAT still counts a deleted message, but not its size (as qmail)
        self.assertEqual(r.cmd(b'STAT'), b'+OK 3 %d\r\n' % (total - len(msgs[1])))
        self.assertEqual(r.cmd(b'LIST'), b'+OK \r\n')
        self.assertEqual(r.multi(), b'1 %d\r\n3 %d\r\n.\r\n' % (len(msgs[0]), len(msgs[2])))
        self.assertEqual(r.cmd(b'LAST'), b'+OK 2\r\n')
        for cmd in (b'RETR 2', b'TOP 2 1', b'LIST 2', b'UIDL 2', b'DELE 2'):
            self.assertEqual(r.cmd(cmd), b'-ERR already deleted\r\n')
        self.assertEqual(r.cmd(b'DELE 0'), b'-ERR messages are counted from 1\r\n')
        self.assertEqual(r.cmd(b'RETR 4'), b'-ERR not that many messages\r\n')
        self.assertEqual(r.cmd(b'LIST 99999999999999999999999'), b'-ERR not that many messages\r\n')
        self.assertEqual(r.cmd(b'DELE'), b'-ERR syntax error\r\n')
        self.assertEqual(r.cmd(b'RETR x'), b'-ERR syntax error\r\n')
        self.assertEqual(r.cmd(b'USER ' + USER.encode()), b'-ERR unimplemented\r\n')
        self.assertEqual(r.cmd(b'CAPA'), b'-ERR unimplemented\r\n')
        self.assertEqual(r.cmd(b'TOP 1 ' + b'9' * 600), b'-ERR syntax error\r\n')
        self.assertEqual(r.cmd(b'NOOP'), b'+OK \r\n')
        self.assertEqual(r.cmd(b'RSET'), b'+OK \r\n')
        self.assertEqual(r.cmd(b'LAST'), b'+OK 0\r\n')
        self.assertEqual(r.cmd(b'STAT'), b'+OK 3 %d\r\n' % total)
        self.assertEqual(r.cmd(b'QUIT'), b'+OK \r\n')
        self.assertTrue(r.eof())
        self.quiesce()
        # nothing deleted after RSET; what was new is now seen, in cur/
        self.assertEqual(self.files(), {'cur/' + n + ':2,': m for n, m in zip(names, msgs)})

    def test_dele_then_quit_deletes(self):
        msgs, names = self.three()
        old = self.deliver(b'Subject: seen\n\nold\n', sub='cur', name='1600000000.1.testhost:2,S',
                           mtime=BASE_TIME - 100)
        p = self.pop()
        self.assertEqual(p.uidl()[1], [b'1 1600000000.1.testhost'] +
                         [b'%d %s' % (i + 2, n.encode()) for i, n in enumerate(names)])
        self.assertEqual(p.dele(1), b'+OK ')
        self.assertEqual(p.dele(3), b'+OK ')
        self.assertEqual(p.quit(), b'+OK ')
        self.quiesce()
        self.assertEqual(self.files(), {'cur/' + names[0] + ':2,': msgs[0],
                                        'cur/' + names[2] + ':2,': msgs[2]})
        self.assertFalse(os.path.exists(os.path.join(self.maildir, 'cur', old)))

    def test_dropped_connection_deletes_nothing(self):
        self.three()
        before = self.files()
        r = self.raw()
        r.login()
        self.assertEqual(r.cmd(b'DELE 1'), b'+OK \r\n')
        self.assertEqual(r.cmd(b'DELE 3'), b'+OK \r\n')
        self.assertEqual(r.cmd(b'RETR 2'), b'+OK \r\n')
        r.multi()
        r.close()
        self.quiesce()
        self.assertEqual(self.files(), before)

    def test_uidl_stable_across_sessions(self):
        self.three()
        p = self.pop()
        first = p.uidl()[1]
        p.quit()
        self.quiesce()
        self.assertTrue(all(k.startswith('cur/') and k.endswith(':2,') for k in self.files()))
        p = self.pop()
        self.assertEqual(p.uidl()[1], first)
        self.assertEqual(p.dele(2), b'+OK ')
        p.quit()
        self.quiesce()
        p = self.pop()
        self.assertEqual(p.uidl()[1], [b'1 ' + first[0].split()[1], b'2 ' + first[2].split()[1]])
        p.quit()

    def test_dot_stuffing_and_line_ends(self):
        msg = (b'Subject: dots\n.hidden: header\n\n.\n..\n.leading\nmiddle . dot\n'
               b'cr\r\nlone\rcr\n\x00nul \xff\n.')
        self.deliver(msg)
        r = self.raw()
        r.login()
        self.assertEqual(r.cmd(b'RETR 1'), b'+OK \r\n')
        self.assertEqual(r.multi(), b'Subject: dots\r\n..hidden: header\r\n\r\n..\r\n...\r\n'
                                    b'..leading\r\nmiddle . dot\r\ncr\r\r\nlone\rcr\r\n'
                                    b'\x00nul \xff\r\n..\r\n\r\n.\r\n')
        self.assertEqual(r.cmd(b'TOP 1 2'), b'+OK \r\n')
        self.assertEqual(r.multi(), b'Subject: dots\r\n..hidden: header\r\n\r\n..\r\n...\r\n'
                                    b'\r\n.\r\n')
        r.cmd(b'QUIT')
        # poplib undoes the stuffing: the lines come back, plus the empty one
        self.quiesce()
        p = self.pop()
        lines = p.retr(1)[1]
        self.assertEqual(lines, [b'Subject: dots', b'.hidden: header', b'', b'.', b'..', b'.leading',
                          b'middle . dot', b'cr\r', b'lone\rcr', b'\x00nul \xff', b'.', b''])
        p.quit()

    def test_what_is_not_listed(self):
        good = self.deliver(b'Subject: listed\n\nyes\n')
        secret = os.path.join(self.top, 'secret')
        with open(secret, 'wb') as f:
            f.write(b'Subject: outside\n\nnot yours\n')
        os.chmod(secret, 0o644)
        os.symlink(secret, os.path.join(self.maildir, 'new', '1500000000.link.testhost'))
        os.symlink(secret, os.path.join(self.maildir, 'cur', '1500000001.link.testhost:2,'))
        os.mkdir(os.path.join(self.maildir, 'new', '1500000002.dir.testhost'))
        self.deliver(b'x\n', name='1500000003.with space.testhost')
        self.deliver(b'x\n', name='1500000004.with\x01ctl.testhost')
        self.deliver(b'x\n', name='.1500000005.dotfile')
        self.deliver(b'x\n', name='1500000006.future.testhost', mtime=int(time.time()) + 3600)
        p = self.pop()
        self.assertEqual(p.uidl()[1], [b'1 ' + good.encode()])
        p.quit()

    def test_tmp_cleaning(self):
        tmp = os.path.join(self.maildir, 'tmp')
        for name, age in (('old', 37 * 3600), ('young', 35 * 3600)):
            path = os.path.join(tmp, name)
            with open(path, 'wb') as f:
                f.write(b'partial')
            os.chown(path, self.pw.pw_uid, self.pw.pw_gid)
            t = time.time() - age
            os.utime(path, (t, t))
        p = self.pop()
        p.quit()
        self.assertEqual(sorted(os.listdir(tmp)), ['young'])

    def test_no_maildir(self):
        shutil.rmtree(self.maildir)
        r = self.raw()
        r.line()
        self.assertEqual(r.cmd(b'USER ' + USER.encode()), b'+OK \r\n')
        self.assertEqual(r.cmd(b'PASS ' + PASSWORD.encode()),
                         b'-ERR this user has no $HOME/Maildir\r\n')
        self.assertTrue(r.eof())
        run = Q.run([Q.bin('qmail-pop3d')], user=USER, cwd=self.home)
        self.assertEqual(run.stdout, b'-ERR this user has no $HOME/Maildir\r\n')
        # a Maildir without cur/
        os.mkdir(self.maildir)
        os.mkdir(os.path.join(self.maildir, 'new'))
        run = Q.run([Q.bin('qmail-pop3d'), 'Maildir'], user=USER, cwd=self.home)
        self.assertEqual(run.stdout, b'-ERR unable to scan $HOME/Maildir\r\n')

    def session_hwm(self):
        """Log in, list everything, and return the VmHWM (kB) of the idle
        qmail-pop3d with the open connection."""
        r = self.raw()
        r.login()
        self.assertEqual(r.cmd(b'LIST'), b'+OK \r\n')
        listing = r.multi()
        self.assertEqual(r.cmd(b'NOOP'), b'+OK \r\n')
        pids = pop3d_pids()
        self.assertEqual(len(pids), 1)
        return r, listing, status_kb(pids[0], 'VmHWM')

    def test_big_maildir(self):
        r, listing, base = self.session_hwm()
        self.assertEqual(listing, b'.\r\n')
        self.assertEqual(r.cmd(b'QUIT'), b'+OK \r\n')
        self.quiesce()
        n = 10000
        body = b'Subject: bulk\n\n' + b'x' * 1000 + b'\n'
        new = os.path.join(self.maildir, 'new')
        for i in range(n):
            path = os.path.join(new, '%d.M%dP7.testhost' % (BASE_TIME + i, i))
            with open(path, 'wb') as f:
                f.write(body)
            os.chown(path, self.pw.pw_uid, self.pw.pw_gid)
            os.utime(path, (BASE_TIME + i, BASE_TIME + i))
        r, listing, hwm = self.session_hwm()
        self.assertEqual(listing, b''.join(b'%d %d\r\n' % (i + 1, len(body)) for i in range(n))
                         + b'.\r\n')
        self.assertEqual(r.cmd(b'STAT'), b'+OK %d %d\r\n' % (n, n * len(body)))
        self.assertEqual(r.cmd(b'UIDL %d' % n), b'+OK %d %d.M%dP7.testhost\r\n'
                         % (n, BASE_TIME + n - 1, n - 1))
        self.assertEqual(r.cmd(b'RETR %d' % n), b'+OK \r\n')
        self.assertEqual(r.multi(), body.replace(b'\n', b'\r\n') + b'\r\n.\r\n')
        # 10 MB of mail; the list costs well under 200 bytes a message
        self.assertLess(hwm - base, 2000, 'VmHWM %d kB, %d kB when empty' % (hwm, base))
        self.assertEqual(r.cmd(b'DELE 1'), b'+OK \r\n')
        self.assertEqual(r.cmd(b'QUIT'), b'+OK \r\n')
        self.quiesce()
        self.assertEqual(len(os.listdir(os.path.join(self.maildir, 'cur'))), n - 1)
        self.assertEqual(os.listdir(new), [])

    def test_fetchmail(self):
        # needs Debian's fetchmail package (.ci/run must install it)
        msgs = [b'From: x@example.org\nSubject: fetched\n\nfirst\n.dot line\n',
                b'Subject: second\n\nno newline']
        for m in msgs:
            self.deliver(m)
        work = os.path.join(self.top, 'fetchmail')
        shutil.rmtree(work, ignore_errors=True)
        os.mkdir(work, 0o700)
        out = os.path.join(work, 'out')
        rc = os.path.join(work, 'rc')
        with open(rc, 'w') as f:
            f.write('set no bouncemail\nset no syslog\nset invisible\n'
                    'poll 127.0.0.1 with protocol pop3 service %d auth password:\n'
                    '  user "%s" there with password "%s" is root here\n'
                    "  options fetchall nokeep no rewrite sslproto ''\n"
                    '  mda "cat >> %s"\n' % (self.port, USER, PASSWORD, out))
        os.chmod(rc, 0o600)
        env = {'PATH': '/usr/bin:/bin', 'HOME': work, 'FETCHMAILHOME': work}
        run = subprocess.run(['fetchmail', '-f', rc, '--nodetach'], env=env, capture_output=True,
                             timeout=60)
        self.assertEqual(run.returncode, 0, run.stderr)
        with open(out, 'rb') as f:
            fetched = f.read()
        # each message as stored, its last line ended, and qmail-pop3d's extra empty line
        self.assertEqual(fetched, msgs[0] + b'\n' + msgs[1] + b'\n\n')
        self.quiesce()
        self.assertEqual(self.files(), {})

    # ---- the fd-3 protocol and checkpassword ----

    def test_fd3_protocol(self):
        out = os.path.join(self.top, 'fd3')
        script = ('import os,sys\n'
                  'data = os.read(3, 4096)\n'
                  'open(%r, "wb").write(data + b"|" + sys.stdin.buffer.read())\n'
                  'sys.exit(int(sys.argv[1]))\n' % out)
        child = ['/usr/bin/python3', '-c', script]
        run = Q.run([Q.bin('qmail-popup'), 'h.example'] + child + ['0'],
                    input=b'USER joe\r\nPASS pass word \r\nSTAT\r\n')
        g = re.match(rb'\+OK <(\d+\.\d+@)h\.example>\r\n\+OK \r\n$', run.stdout)
        self.assertTrue(g, run.stdout)
        with open(out, 'rb') as f:
            # what came after PASS is the subprogram's to read
            self.assertEqual(f.read(), b'joe\0pass word \0<' + g.group(1) + b'h.example>\0|STAT\r\n')
        run = Q.run([Q.bin('qmail-popup'), 'h'] + child + ['1'], input=b'APOP joe d1g3st\r\n')
        self.assertTrue(run.stdout.endswith(b'\r\n-ERR authorization failed\r\n'), run.stdout)
        with open(out, 'rb') as f:
            self.assertTrue(re.match(rb'joe\0d1g3st\0<\d+\.\d+@h>\0\|$', f.read()))
        run = Q.run([Q.bin('qmail-popup'), 'h', '/bin/sh', '-c', 'kill -SEGV $$'],
                    input=b'USER a\r\nPASS b\r\n')
        self.assertTrue(run.stdout.endswith(b'+OK \r\n-ERR aack, child crashed\r\n'), run.stdout)
        run = Q.run([Q.bin('qmail-popup'), 'h'])
        self.assertEqual(run.stdout, b'-ERR usage: popup hostname subprogram\r\n')

    def checkpassword(self, data, argv=None):
        """Run checkpassword with data on fd 3; (result, seconds taken)."""
        if argv is None:
            argv = ['/bin/sh', '-c', 'id -u; id -g; id -G; pwd; echo "$USER $HOME $SHELL"']
        start = time.time()
        run = Q.run(['/bin/sh', '-c', 'exec "$@" 3<&0 </dev/null', 'sh',
                     Q.bin('checkpassword')] + argv, input=data)
        return run, time.time() - start

    def test_checkpassword(self):
        good = USER.encode() + b'\0' + PASSWORD.encode() + b'\0<1.2@h>\0'
        run, _ = self.checkpassword(good)
        pw = self.pw
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertEqual(run.stdout.decode(), '%d\n%d\n%d\n%s\n%s %s %s\n' % (
            pw.pw_uid, pw.pw_gid, pw.pw_gid, self.home, USER, self.home, pw.pw_shell))
        run, wrong_time = self.checkpassword(USER.encode() + b'\0nope\0<1.2@h>\0')
        self.assertEqual(run.returncode, 1)
        self.assertEqual(run.stdout + run.stderr, b'')
        run, unknown_time = self.checkpassword(b'qpop-nosuchuser\0nope\0<1.2@h>\0')
        self.assertEqual(run.returncode, 1)
        # an unknown name costs a hash too
        self.assertGreater(unknown_time, wrong_time / 4)
        # more data after the timestamp is allowed
        self.assertEqual(self.checkpassword(good + b'more')[0].returncode, 0)
        # misuse: no program, no timestamp, no NUL, over 512 bytes
        self.assertEqual(self.checkpassword(good, argv=[])[0].returncode, 2)
        self.assertEqual(self.checkpassword(USER.encode() + b'\0' + PASSWORD.encode() + b'\0')[0]
                         .returncode, 2)
        self.assertEqual(self.checkpassword(USER.encode())[0].returncode, 2)
        self.assertEqual(self.checkpassword(b'')[0].returncode, 2)
        self.assertEqual(self.checkpassword(good + b'x' * (513 - len(good)))[0].returncode, 2)
        self.assertEqual(self.checkpassword(good + b'x' * (512 - len(good)))[0].returncode, 0)
        # the program cannot be run: a temporary problem
        self.assertEqual(self.checkpassword(good, argv=['/nonexistent/prog'])[0].returncode, 111)


if __name__ == '__main__':
    unittest.main()
