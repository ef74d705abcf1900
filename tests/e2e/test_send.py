"""qmail-clean, qmail-send and qmail-start end to end, as root.

qmail-clean is driven through pipes. qmail-send is run with the fd layout
of doc/INTERNALS.md while the test itself plays qmail-lspawn,
qmail-rspawn and qmail-clean on the other ends of the pipes: it checks
every request byte for byte, answers with reports, and checks every
activity-record line against qmail-log(5), the queue files (the D
checkpoints, the retry times kept as mtimes), the bounce messages
qmail-send injects, and what ALRM, HUP and TERM do. Last, the real
daemons run under qmail-start and deliver to a Maildir."""
import os
import pwd
import queue
import re
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
import unittest

from harness import Q

ME = 'example.org'
DEADLINE = 10  # seconds any single expected event may take

# Every line qmail-send may print (qmail-log(5)); texts are log-safe:
# no spaces, no newlines.
SAFE = r'[!-~]*'
LOG_FORMATS = [re.compile(p) for p in (
    r'status: local \d+/\d+ remote \d+/\d+( exitasap)?',
    r'status: exiting',
    r'new msg \d+',
    r'info msg \d+: bytes \d+ from <%s> qp \d+ uid \d+' % SAFE,
    r'starting delivery \d+: msg \d+ to (local|remote) %s' % SAFE,
    r'delivery \d+: (success|deferral|failure): %s' % SAFE,
    r'delivery \d+: report mangled, will defer',
    r'end msg \d+',
    r'bounce msg \d+ qp \d+',
    r'delay notice msg \d+ qp \d+',
    r'triple bounce: discarding bounce/\d+',
    r'double bounce: discarding bounce/\d+',
    r'alert: .+',
    r'warning: .+',
)]

# Runs as root, moves the given fds to 0..6, drops to uid/gid and execs.
WRAPPER = r'''
import fcntl, os, sys
fds = [int(x) for x in sys.argv[1].split(',')]
high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 100) for fd in fds]
for fd in fds:
    os.close(fd)
for i, fd in enumerate(high):
    os.dup2(fd, i)
    os.close(fd)
uid, gid = int(sys.argv[2]), int(sys.argv[3])
os.setgroups([gid]); os.setgid(gid); os.setuid(uid)
os.execv(sys.argv[4], sys.argv[4:])
'''


def split_of(n):
    return int(n) % Q.split


def qpath(d, n, split=True):
    if split:
        return os.path.join(Q.queue, d, str(split_of(n)), str(n))
    return os.path.join(Q.queue, d, str(n))


def read_file(path):
    with open(path, 'rb') as f:
        return f.read()


def nextretry(birth, now, skip):
    age = max(now - birth, 0)
    return birth + (int(age ** 0.5) + skip) ** 2


def wait_for(cond, what, timeout=DEADLINE):
    end = time.time() + timeout
    while time.time() < end:
        r = cond()
        if r:
            return r
        time.sleep(0.02)
    raise AssertionError('timed out waiting for ' + what)


def inject(message, sender, recips):
    """qmail-queue the message as root; returns its pid (the log's qp)."""
    env = b'F' + sender + b'\0' + b''.join(b'T' + r + b'\0' for r in recips) + b'\0'
    r, w = os.pipe()
    os.write(w, env)
    os.close(w)
    p = subprocess.Popen([Q.bin('qmail-queue')], stdin=subprocess.PIPE, stdout=r, cwd='/',
                         env={})
    os.close(r)
    p.communicate(message, timeout=60)
    assert p.returncode == 0, p.returncode
    return p.pid


class Stream(threading.Thread):
    """Reads fd in the background and hands each item parse() finds on."""

    def __init__(self, fd, parse):
        super().__init__(daemon=True)
        self.fd, self.parse, self.buf = fd, parse, b''
        self.items = queue.Queue()
        self.start()

    def run(self):
        while True:
            try:
                data = os.read(self.fd, 65536)
            except OSError:
                data = b''
            if not data:
                self.items.put(None)
                return
            self.buf += data
            while True:
                item, rest = self.parse(self.buf)
                if item is None:
                    break
                self.buf = rest
                self.items.put(item)

    def get(self, what, timeout=DEADLINE):
        try:
            item = self.items.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError('timed out waiting for ' + what)
        if item is None:
            raise AssertionError('end of file waiting for ' + what)
        return item

    def none_within(self, seconds):
        try:
            item = self.items.get(timeout=seconds)
        except queue.Empty:
            return True
        raise AssertionError('unexpected %r' % (item,))


def parse_line(buf):
    if b'\n' not in buf:
        return None, buf
    line, rest = buf.split(b'\n', 1)
    return line.decode('latin-1'), rest


def parse_request(buf):
    """slot (2 bytes), id, sender, recipients, each NUL-ended, then NUL."""
    if len(buf) < 2:
        return None, buf
    fields, pos = [], 2
    while True:
        nul = buf.find(b'\0', pos)
        if nul == -1:
            return None, buf
        fields.append(buf[pos:nul])
        pos = nul + 1
        if len(fields) >= 3 and fields[-1] == b'':
            break
    slot = buf[0] * 256 + buf[1]
    return (slot, int(fields[0]), fields[1], fields[2:-1]), buf[pos:]


def parse_name(buf):
    if b'\0' not in buf:
        return None, buf
    name, rest = buf.split(b'\0', 1)
    return name.decode('latin-1'), rest


class Send:
    """qmail-send with the test on the other ends of its pipes. The test's
    qmail-clean removes what the real one would and answers '+' (or what
    clean_answer says)."""

    def __init__(self, test, wrap=()):
        """wrap: a command that runs qmail-send, started as root and
        taking care of the ids itself (strace -u qmails ...)."""
        self.test = test
        pipes = [os.pipe() for _ in range(7)]
        # qmail-send's ends: writes log(0), lspawn req(1), reads lspawn
        # res(2), writes rspawn req(3), reads res(4), clean req(5), res(6).
        child = [pipes[0][1], pipes[1][1], pipes[2][0], pipes[3][1], pipes[4][0], pipes[5][1],
                 pipes[6][0]]
        ours = [pipes[0][0], pipes[1][0], pipes[2][1], pipes[3][0], pipes[4][1], pipes[5][0],
                pipes[6][1]]
        self.proc = subprocess.Popen(
            [sys.executable, '-c', WRAPPER, ','.join(map(str, child)),
             str(0 if wrap else Q.uid('qmails')), str(0 if wrap else Q.gid('qmail'))] +
            list(wrap) + [Q.bin('qmail-send')],
            pass_fds=child, stdin=subprocess.DEVNULL, cwd='/', env={})
        for fd in child:
            os.close(fd)
        self.fds = ours
        self.lres, self.rres, self.cres = ours[2], ours[4], ours[6]
        self.log = Stream(ours[0], parse_line)
        self.lines = []
        self.lreq = Stream(ours[1], parse_request)
        self.rreq = Stream(ours[3], parse_request)
        self.cleaned = []
        self.clean_answer = {}
        self.creq = Stream(ours[5], parse_name)
        self.cleaner = threading.Thread(target=self.clean_loop, daemon=True)
        self.cleaner.start()

    def clean_loop(self):
        while True:
            item = self.creq.items.get()
            if item is None:
                return
            self.cleaned.append(item)
            answer = self.clean_answer.get(item, b'+')
            if answer == b'+':
                kind, n = item.split('/')
                doomed = ['intd/' + n, 'todo/' + n] if kind == 'todo' else \
                    ['intd/' + n, 'mess/%d/%s' % (split_of(n), n)]
                for rel in doomed:
                    try:
                        os.unlink(os.path.join(Q.queue, rel))
                    except FileNotFoundError:
                        pass
            try:
                os.write(self.cres, answer)
            except OSError:
                return

    # ---- the activity record
    def next_line(self, timeout=DEADLINE):
        line = self.log.get('a log line', timeout)
        self.test.assertTrue(any(f.fullmatch(line) for f in LOG_FORMATS), 'bad log line %r' % line)
        self.lines.append(line)
        return line

    def expect(self, pattern, timeout=DEADLINE):
        """Skip lines until one matches pattern (which must come)."""
        end = time.time() + timeout
        rx = re.compile(pattern)
        while True:
            left = end - time.time()
            if left <= 0:
                raise AssertionError('no log line %r; got %r' % (pattern, self.lines[-20:]))
            m = rx.fullmatch(self.next_line(left))
            if m:
                return m

    def expect_next(self, pattern):
        """The very next line, status lines aside, must match."""
        while True:
            line = self.next_line()
            m = re.fullmatch(pattern, line)
            if m or not line.startswith('status: local'):
                break
        self.test.assertTrue(m, '%r does not match %r' % (line, pattern))
        return m

    # ---- spawners
    def result(self, fd, slot, *reports):
        os.write(fd, bytes([slot >> 8, slot & 255]) + b''.join(r + b'\0' for r in reports))

    def local(self, slot, *reports):
        self.result(self.lres, slot, *reports)

    def remote(self, slot, *reports):
        self.result(self.rres, slot, *reports)

    def local_slots(self, count, what):
        """The slots of the next count local requests, by recipient."""
        slots = {}
        for _ in range(count):
            r = self.lreq.get(what)
            slots[r[3][0]] = r[0]
        return slots

    # ---- messages
    def new_message(self, qp):
        """The number of the message qmail-queue qp queued, once it is
        preprocessed (pending: in memory, its todo/ entry kept)."""
        m = self.expect(r'info msg (\d+): bytes (\d+) from <(.*)> qp %d uid (\d+)' % qp)
        return int(m.group(1))

    def committed(self, n, timeout=DEADLINE):
        """Wait until message n is committed: its files written and synced,
        then its todo/ entry cleaned (at once after a deferral, else two
        seconds after preprocessing)."""
        wait_for(lambda: 'todo/%d' % n in self.cleaned, 'message %d committed' % n, timeout)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        # closing the spawners' ends makes it give up any delivery at once
        for fd in self.fds:
            try:
                os.close(fd)
            except OSError:
                pass
        self.fds = []
        if self.proc.poll() is None:
            try:
                self.proc.wait(timeout=DEADLINE)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def finish(self):
        """TERM with nothing running: the last lines, exit 0."""
        self.proc.send_signal(signal.SIGTERM)
        self.expect('status: exiting')
        self.test.assertEqual(self.proc.wait(timeout=DEADLINE), 0)
        self.test.assertIsNone(self.log.items.get(timeout=DEADLINE))  # nothing after it


def controls(**extra):
    Q.clear_controls()
    Q.control('me', ME + '\n')
    for name, text in extra.items():
        Q.control(name, text)


class Clean(unittest.TestCase):
    """qmail-clean through pipes: exact answers, the files it removes."""

    def setUp(self):
        Q.clear_queue()
        self.p = subprocess.Popen([Q.bin('qmail-clean')], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, cwd='/', env={},
                                  user=Q.uid('qmailq'), group=Q.gid('qmail'), extra_groups=[])

    def tearDown(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()
        for rel in ('todo/77',):
            path = os.path.join(Q.queue, rel)
            if os.path.isdir(path):
                os.rmdir(path)
        Q.clear_queue()

    def ask(self, request):
        self.p.stdin.write(request)
        self.p.stdin.flush()
        return self.p.stdout.read(1)

    def make(self, rel, owner='qmailq'):
        path = os.path.join(Q.queue, rel)
        with open(path, 'wb') as f:
            f.write(b'x')
        os.chown(path, Q.uid(owner), Q.gid('qmail'))
        return path

    def test_todo_and_foop(self):
        n = 123457
        intd, todo = self.make('intd/%d' % n), self.make('todo/%d' % n)
        mess = self.make('mess/%d/%d' % (split_of(n), n))
        self.assertEqual(self.ask(b'todo/%d\0' % n), b'+')
        self.assertFalse(os.path.exists(intd) or os.path.exists(todo))
        self.assertTrue(os.path.exists(mess))
        intd = self.make('intd/%d' % n)
        self.assertEqual(self.ask(b'foop/%d\0' % n), b'+')
        self.assertFalse(os.path.exists(intd) or os.path.exists(mess))
        # already gone counts as done
        self.assertEqual(self.ask(b'foop/%d\0' % n), b'+')
        self.assertEqual(self.ask(b'todo/%d\0' % n), b'+')
        self.assertEqual(self.ask(b'todo/1\0'), b'+')  # shortest legal request

    def test_malformed(self):
        keep = self.make('todo/5')
        for bad in (b'todo/\0', b'todo/12a\0', b'todo/-1\0', b'toto/12\0', b'foop12\0',
                    b'mess/12\0', b'todo/ 12\0', b'\0', b'todo/99999999999999999999999\0',
                    b'foop/' + b'1' * 95 + b'\0', b'todo/' + b'5' * 5000 + b'\0', b'Todo/5\0'):
            self.assertEqual(self.ask(bad), b'x', bad[:40])
        self.assertTrue(os.path.exists(keep))
        # a request of 99 bytes before its NUL is still fine
        self.assertEqual(self.ask(b'todo/' + b'0' * 93 + b'5\0'), b'+')
        self.assertFalse(os.path.exists(keep))

    def test_unlink_failure(self):
        os.mkdir(os.path.join(Q.queue, 'todo/77'))
        self.assertEqual(self.ask(b'todo/77\0'), b'!')
        os.rmdir(os.path.join(Q.queue, 'todo/77'))
        self.assertEqual(self.ask(b'todo/77\0'), b'+')

    def test_pid_cleanup_and_eof(self):
        old = self.make('pid/111.1.0')
        new = self.make('pid/222.1.0')
        ancient = time.time() - 37 * 3600
        os.utime(old, (ancient, ancient))
        recent = time.time() - 30 * 3600
        os.utime(new, (recent, recent))
        for _ in range(29):
            self.assertEqual(self.ask(b'todo/424242\0'), b'+')
        self.assertTrue(os.path.exists(old))
        self.assertEqual(self.ask(b'todo/424242\0'), b'+')  # the 30th
        wait_for(lambda: not os.path.exists(old), 'pid/ cleanup')
        self.assertTrue(os.path.exists(new))
        self.p.stdin.write(b'todo/4')  # cut short: no answer
        self.p.stdin.close()
        self.assertEqual(self.p.wait(timeout=DEADLINE), 0)
        self.assertEqual(self.p.stdout.read(), b'')


class SendBase(unittest.TestCase):
    def setUp(self):
        Q.clear_queue()
        controls()
        self.senders = []

    def tearDown(self):
        for s in self.senders:
            s.stop()
        Q.clear_queue()
        Q.clear_controls()

    def start(self, wrap=()):
        s = Send(self, wrap)
        self.senders.append(s)
        s.expect_next(r'status: local 0/10 remote 0/20')
        return s


class SendPipes(SendBase):
    def test_local_success_with_checkpoints(self):
        s = self.start()
        msg = b'Subject: hi\n\nbody\n'
        qp = inject(msg, b'joe@far.test', [b'alice@example.org', b'Bob@EXAMPLE.ORG'])
        m = s.expect_next(r'new msg (\d+)')
        n = int(m.group(1))
        mess = read_file(qpath('mess', n))
        m = s.expect_next(r'info msg %d: bytes (\d+) from <joe@far.test> qp %d uid 0' % (n, qp))
        self.assertEqual(int(m.group(1)), len(mess))
        r1 = s.lreq.get('first request')
        # pending: preprocessed in memory, todo/N kept until the message
        # is done or committed
        for d in ('info', 'local', 'remote'):
            self.assertFalse(os.path.exists(qpath(d, n)), d)
        self.assertEqual(s.cleaned, [])
        self.assertTrue(os.path.exists(qpath('todo', n, False)))

        r2 = s.lreq.get('second request')
        self.assertEqual(r1, (0, n, b'joe@far.test', [b'alice@example.org']))
        self.assertEqual(r2, (1, n, b'joe@far.test', [b'Bob@EXAMPLE.ORG']))
        s.expect_next(r'starting delivery 1: msg %d to local alice@example.org' % n)
        s.expect_next(r'starting delivery 2: msg %d to local Bob@EXAMPLE.ORG' % n)
        s.expect('status: local 2/10 remote 0/20')

        s.local(1, b'Kdid 0+0+1\n')
        s.expect_next(r'delivery 2: success: did_0\+0\+1/')
        self.assertEqual(s.next_line(), 'status: local 1/10 remote 0/20')
        # two seconds on it is committed: written as preprocessing and the
        # checkpoint (the second recipient's T is now D) left it
        s.committed(n)
        self.assertEqual(read_file(qpath('info', n)), b'Fjoe@far.test\0')
        self.assertEqual(mode_bits(qpath('info', n)), 0o600)
        self.assertEqual(read_file(qpath('local', n)), b'Talice@example.org\0DBob@EXAMPLE.ORG\0')
        self.assertFalse(os.path.exists(qpath('remote', n)))
        self.assertFalse(os.path.exists(qpath('todo', n, False)))

        s.local(0, b'Kdone with spaces %here\tand\x01more\xff\nsecond line\n')
        s.expect_next(r'delivery 1: success: done_with_spaces__here_and_more_/second_line/')
        s.expect_next(r'end msg %d' % n)
        wait_for(lambda: 'foop/%d' % n in s.cleaned, 'foop')
        self.assertEqual(s.cleaned, ['todo/%d' % n, 'foop/%d' % n])
        for path in (qpath('info', n), qpath('local', n), qpath('mess', n)):
            self.assertFalse(os.path.exists(path), path)
        s.finish()

    def test_rewriting(self):
        controls(locals='example.org\nlocal.test\n', virtualdomains='virt.test:joe-v\n',
                 percenthack='example.org\n', envnoathost='local.test\n')
        s = self.start()
        qp = inject(b'\n', b'me@example.org',
                    [b'info@virt.test', b'u%far.test@example.org', b'nohost', b'x@far.test',
                     b'Y@Local.Test'])
        n = s.new_message(qp)
        s.committed(n)  # its files, for a look at the records
        self.assertEqual(read_file(qpath('local', n)),
                         b'Tjoe-v-info@virt.test\0Tnohost@local.test\0TY@Local.Test\0')
        self.assertEqual(read_file(qpath('remote', n)), b'Tu@far.test\0Tx@far.test\0')
        got = sorted(s.lreq.get('local request')[3][0] for _ in range(3))
        self.assertEqual(got, [b'Y@Local.Test', b'joe-v-info@virt.test', b'nohost@local.test'])
        # one domain: one request (control/remotebatch, not in qmail-1.03)
        self.assertEqual(s.rreq.get('remote request')[3], [b'u@far.test', b'x@far.test'])

    def test_deferral_retry_time_and_alrm(self):
        s = self.start()
        t0 = int(time.time())
        qp = inject(b'x\n', b'', [b'alice@example.org'])
        n = s.new_message(qp)
        slot, _, sender, rcpts = s.lreq.get('request')
        self.assertEqual(sender, b'')
        s.local(slot, b'ZUnable to chdir to maildir. (#4.2.1)\n')
        s.expect(r'delivery 1: deferral: Unable_to_chdir_to_maildir._\(#4.2.1\)/')
        s.committed(n, 1.0)  # at the deferral
        t1 = int(time.time())
        birth = int(os.stat(qpath('info', n)).st_mtime)
        wait_for(lambda: os.stat(qpath('local', n)).st_mtime > t1 + 10, 'the retry time')
        mtime = os.stat(qpath('local', n)).st_mtime
        self.assertIn(mtime, [nextretry(birth, t, 10) for t in range(t0, t1 + 1)])
        self.assertEqual(read_file(qpath('local', n)), b'Talice@example.org\0')
        s.lreq.none_within(1.0)  # not before its time
        s.proc.send_signal(signal.SIGALRM)  # ... unless told
        slot, m, _, rcpts = s.lreq.get('the retry')
        self.assertEqual((m, rcpts), (n, [b'alice@example.org']))
        s.local(slot, b'Kok\n')
        s.expect(r'end msg %d' % n)
        s.finish()

    def test_failure_bounce(self):
        controls(bouncefrom='Mailer Daemon\n', bouncehost='bounces.example.org\n')
        s = self.start()
        msg = b'From: joe\nSubject: test\n\nHello.\n'
        qp = inject(msg, b'joe@far.test', [b'alice@example.org', b'bob@example.org'])
        n = s.new_message(qp)
        original = read_file(qpath('mess', n))
        a = s.lreq.get('alice')
        b = s.lreq.get('bob')
        s.local(a[0], b'DSorry, no mailbox here by that name. (#5.1.1)\n')
        s.expect(r'delivery 1: failure: Sorry,_no_mailbox_here_by_that_name._\(#5.1.1\)/')
        s.expect(r'status: local 1/10 remote 0/20')  # after the checkpoint
        # the paragraph is on disk at once; the message, pending until
        # committed, then shows the checkpoint
        self.assertEqual(read_file(os.path.join(Q.queue, 'bounce', str(n))),
                         b'<alice@example.org>:\nSorry, no mailbox here by that name. (#5.1.1)\n\n')
        s.committed(n)
        self.assertEqual(read_file(qpath('local', n)), b'Dalice@example.org\0Tbob@example.org\0')
        s.local(b[0], b'DThis address no longer accepts mail.\n\nReally.')
        s.expect(r'delivery 2: failure: This_address_no_longer_accepts_mail.//Really.')
        m = s.expect(r'bounce msg %d qp (\d+)' % n)
        bqp = int(m.group(1))
        s.expect_next(r'end msg %d' % n)
        bn = s.new_message(bqp)
        self.assertIn('info msg %d: bytes %d from <> qp %d uid %d'
                      % (bn, os.stat(qpath('mess', bn)).st_size, bqp, Q.uid('qmails')), s.lines)
        self.assertFalse(os.path.exists(os.path.join(Q.queue, 'bounce', str(n))))
        # the bounce goes to the sender, remotely, from <>
        slot, m2, sender, rcpts = s.rreq.get('the bounce')
        self.assertEqual((m2, sender, rcpts), (bn, b'', [b'joe@far.test']))
        bounce = read_file(qpath('mess', bn))
        head = re.match(rb'Received: \(qmail %d invoked for bounce\); (\d+ \w\w\w \d{4} '
                        rb'\d\d:\d\d:\d\d -0000)\nDate: (\d+ \w\w\w \d{4} \d\d:\d\d:\d\d -0000)\n'
                        % bqp, bounce)
        self.assertTrue(head, bounce[:200])
        self.assertEqual(bounce[head.end():],
                         b'From: "Mailer Daemon"@bounces.example.org\n'
                         b'To: joe@far.test\n'
                         b'Subject: failure notice\n'
                         b'\n'
                         b'Hi. This is the qmail-send program at bounces.example.org.\n'
                         b"I'm afraid I wasn't able to deliver your message to the following addresses.\n"
                         b"This is a permanent error; I've given up. Sorry it didn't work out.\n"
                         b'\n'
                         b'<alice@example.org>:\n'
                         b'Sorry, no mailbox here by that name. (#5.1.1)\n'
                         b'\n'
                         b'<bob@example.org>:\n'
                         b'This address no longer accepts mail.\n'
                         b'/Really.\n'
                         b'\n'
                         b'--- Below this line is a copy of the message.\n'
                         b'\n'
                         b'Return-Path: <joe@far.test>\n' + original)
        s.remote(slot, b'r1.2.3.4 accepted message./', b'KRemote host said: 250 ok\n')
        s.expect(r'delivery 3: success: 1.2.3.4_accepted_message./Remote_host_said:_250_ok/')
        s.expect(r'end msg %d' % bn)
        s.finish()

    def test_double_and_triple_bounce(self):
        s = self.start()
        qp = inject(b'Subject: bounce\n\nx\n', b'', [b'gone@example.org'])
        n = s.new_message(qp)
        original = read_file(qpath('mess', n))
        slot = s.lreq.get('request')[0]
        s.local(slot, b'DNo such user.\n')
        bqp = int(s.expect(r'bounce msg %d qp (\d+)' % n).group(1))
        bn = s.new_message(bqp)
        slot, m, sender, rcpts = s.lreq.get('the double bounce')
        self.assertEqual((m, sender, rcpts), (bn, b'#@[]', [b'postmaster@example.org']))
        bounce = read_file(qpath('mess', bn))
        body = bounce.split(b'\nFrom: ', 1)[1]
        self.assertEqual(b'From: ' + body,
                         b'From: MAILER-DAEMON@example.org\n'
                         b'To: postmaster@example.org\n'
                         b'Subject: failure notice\n'
                         b'\n'
                         b'Hi. This is the qmail-send program at example.org.\n'
                         b'I tried to deliver a bounce message to this address, but the bounce bounced!\n'
                         b'\n'
                         b'<gone@example.org>:\n'
                         b'No such user.\n'
                         b'\n'
                         b'--- Below this line is the original bounce.\n'
                         b'\n'
                         b'Return-Path: <>\n' + original)
        # the double bounce fails too: it is thrown away
        s.local(slot, b'DNo postmaster either.\n')
        s.expect(r'triple bounce: discarding bounce/%d' % bn)
        s.expect_next(r'end msg %d' % bn)
        s.lreq.none_within(0.5)
        wait_for(lambda: not os.path.exists(os.path.join(Q.queue, 'bounce', str(bn))), 'bounce/')
        self.assertEqual([k for k in Q.queue_files() if not k.startswith('mess/')], [])
        s.finish()

    def test_bounce_not_sent_half(self):
        s = self.start()
        n = s.new_message(inject(b'x\n', b'joe@far.test', [b'gone@example.org']))
        os.chmod(qpath('mess', n), 0o600)  # qmail-send can no longer read it
        s.local(s.lreq.get('request')[0], b'DNo.\n')
        s.expect(r'warning: trouble injecting bounce message, will try later')
        wait_for(lambda: s.cleaned == ['todo/%d' % n], 'the commit (the message stays)', 5)
        self.assertEqual(sorted(k for k in Q.queue_files() if not k.startswith('mess/')),
                         ['bounce/%d' % n, 'info/%d/%d' % (split_of(n), n)])
        self.assertEqual(len([k for k in Q.queue_files() if k.startswith('mess/')]), 1)
        self.assertFalse(any(l.startswith('end msg') for l in s.lines))

    def test_doublebounceto_empty_drops(self):
        controls(doublebounceto='\n')
        s = self.start()
        n = s.new_message(inject(b'x\n', b'', [b'gone@example.org']))
        s.local(s.lreq.get('request')[0], b'DNo.\n')
        s.expect(r'double bounce: discarding bounce/%d' % n)
        s.expect_next(r'end msg %d' % n)
        s.lreq.none_within(0.5)
        s.finish()

    def test_doublebounce_controls_and_verp(self):
        controls(doublebounceto='pm\n', doublebouncehost='admin.test\n')
        s = self.start()
        n = s.new_message(inject(b'x\n', b'', [b'gone@example.org']))
        s.local(s.lreq.get('request')[0], b'DNo.\n')
        m = s.rreq.get('double bounce')
        self.assertEqual(m[2:], (b'#@[]', [b'pm@admin.test']))
        # VERP: the sender names each recipient; the bounce goes to the owner
        n = s.new_message(inject(b'x\n', b'owner-@list.test-@[]', [b'box@example.org']))
        slot, _, sender, _ = s.lreq.get('verp')
        self.assertEqual(sender, b'owner-box=example.org@list.test')
        s.local(slot, b'DNo.\n')
        bqp = int(s.expect(r'bounce msg %d qp (\d+)' % n).group(1))
        bn = s.new_message(bqp)
        r = s.rreq.get('the verp bounce')
        self.assertEqual(r[1:], (bn, b'', [b'owner-@list.test']))
        self.assertIn(b'\nReturn-Path: <owner-@list.test>\n', read_file(qpath('mess', bn)))

    def test_queuelifetime(self):
        controls(queuelifetime='1000\n')
        s = self.start()
        n = s.new_message(inject(b'x\n', b'joe@far.test', [b'alice@example.org']))
        slot = s.lreq.get('first try')[0]
        s.local(slot, b'Ztemporary trouble\n')
        s.expect(r'delivery 1: deferral: temporary_trouble/')
        s.committed(n, 1.0)
        # make it old, then retry now: one last try, and a deferral bounces
        old = time.time() - 2000
        os.utime(qpath('info', n), (old, old))
        s.proc.send_signal(signal.SIGALRM)
        slot = s.lreq.get('last try')[0]
        s.local(slot, b'Zstill in trouble\n')
        s.expect(r"delivery 2: failure: still_in_trouble/I'm_not_going_to_try_again;"
                 r"_this_message_has_been_in_the_queue_too_long./")
        s.expect(r'bounce msg %d qp \d+' % n)
        s.expect(r'end msg %d' % n)

    def test_concurrency_and_mangled_reports(self):
        controls(concurrencylocal='1\n', concurrencyremote='999999\n')
        s = Send(self)
        self.senders.append(s)
        s.expect_next(r'status: local 0/1 remote 0/120')
        n = s.new_message(inject(b'x\n', b'a@b.test', [b'one@example.org', b'two@example.org']))
        r = s.lreq.get('one')
        self.assertEqual(r[0], 0)
        s.lreq.none_within(0.5)  # one at a time
        s.local(5, b'Kwho?\n')  # not ours
        s.expect(r'warning: internal error: delivery report out of range')
        s.local(0, b'Xnonsense\n')
        s.expect(r'delivery 1: report mangled, will defer')
        r = s.lreq.get('two')
        self.assertEqual((r[0], r[3]), (0, [b'two@example.org']))
        s.local(0, b'')  # an empty report is mangled too
        s.expect(r'delivery 2: report mangled, will defer')
        s.committed(n, 1.0)  # deferred: committed at once
        self.assertEqual(read_file(qpath('local', n)), b'Tone@example.org\0Ttwo@example.org\0')
        s.finish()

    def test_remote_reports(self):
        controls(remotebatch='0\n')  # one recipient per request, as qmail-1.03
        s = self.start()
        n = s.new_message(inject(b'x\n', b'a@example.org',
                                 [b'r@far.test', b'h@far.test', b's@far.test', b'k@far.test',
                                  b'z@far.test', b'two@far.test']))
        reqs = {s.rreq.get('request')[3][0]: None for _ in range(6)}
        self.assertEqual(len(reqs), 6)
        # slots were given in file order; deliveries 1..6 likewise
        answers = [
            (b'r@far.test', [b'r1.2.3.4 accepted message.\n', b'KRemote host said: 250 ok\n'],
             r'success: 1.2.3.4_accepted_message./Remote_host_said:_250_ok/'),
            (b'h@far.test', [b'h1.2.3.4 does not like recipient.\n', b'Kignored\n'],
             r'failure: 1.2.3.4_does_not_like_recipient./'),
            (b's@far.test', [b's1.2.3.4 does not like recipient.\n', b'Kignored\n'],
             r'deferral: 1.2.3.4_does_not_like_recipient./'),
            (b'k@far.test', [b'Kno recipient report\n'], r'deferral: no_recipient_report/'),
            (b'z@far.test', [b'rignored', b'Zconnection died\n'], r'deferral: connection_died/'),
            (b'two@far.test', [b'rone', b'rtwo', b'Kok'], r'report mangled, will defer'),
        ]
        for i, (_, reports, text) in enumerate(answers):
            s.remote(i, *reports)
            s.expect(r'delivery %d: %s' % (i + 1, text))
        s.committed(n, 1.0)  # deferred recipients: committed at once
        self.assertEqual(read_file(qpath('remote', n)),
                         b'Dr@far.test\0Dh@far.test\0Ts@far.test\0Tk@far.test\0Tz@far.test\0'
                         b'Ttwo@far.test\0')
        self.assertEqual(read_file(os.path.join(Q.queue, 'bounce', str(n))),
                         b'<h@far.test>:\n1.2.3.4 does not like recipient.\n\n')
        s.finish()

    def test_term_waits_for_deliveries(self):
        s = self.start()
        n = s.new_message(inject(b'x\n', b'a@far.test', [b'one@example.org', b'two@far.test']))
        lslot = s.lreq.get('local')[0]
        rslot = s.rreq.get('remote')[0]
        s.proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        self.assertIsNone(s.proc.poll())  # still waiting for both
        s.local(lslot, b'Kok\n')
        s.expect(r'delivery \d+: success: ok/')
        self.assertEqual(s.next_line(), 'status: local 0/10 remote 1/20 exitasap')
        # no new work is taken on
        inject(b'y\n', b'a@far.test', [b'three@example.org'])
        s.remote(rslot, b'sbusy\n', b'K\n')
        s.expect(r'delivery \d+: deferral: busy/')
        self.assertEqual(s.next_line(), 'status: local 0/10 remote 0/20 exitasap')
        self.assertEqual(s.next_line(), 'status: exiting')
        self.assertEqual(s.proc.wait(timeout=DEADLINE), 0)
        self.assertFalse(any(l.startswith('new msg') and l != 'new msg %d' % n for l in s.lines))
        # the retry time survives on disk
        birth = int(os.stat(qpath('info', n)).st_mtime)
        self.assertGreaterEqual(os.stat(qpath('remote', n)).st_mtime, birth + 400)

    def test_restart_keeps_checkpoints(self):
        s = self.start()
        n = s.new_message(inject(b'x\n', b'a@far.test', [b'one@example.org', b'two@example.org']))
        r1, r2 = s.lreq.get('one'), s.lreq.get('two')
        s.local(r1[0], b'Kok\n')
        s.local(r2[0], b'Zlater\n')
        s.expect(r'delivery 2: deferral: later/')
        s.finish()
        self.assertEqual(read_file(qpath('local', n)), b'Done@example.org\0Ttwo@example.org\0')
        # a new qmail-send finds it on disk; its retry is not due yet
        s = self.start()
        s.lreq.none_within(0.5)
        s.proc.send_signal(signal.SIGALRM)
        slot, m, _, rcpts = s.lreq.get('the retry')
        self.assertEqual((m, rcpts), (n, [b'two@example.org']))
        s.local(slot, b'Kok\n')
        s.expect(r'end msg %d' % n)
        s.finish()

    # ---- pending messages: todo/N kept until done or committed

    def test_pending_committed_at_a_deferral(self):
        s = self.start()
        n = s.new_message(inject(b'x\n', b'a@far.test', [b'one@example.org', b'two@example.org']))
        r1, r2 = s.lreq.get('one'), s.lreq.get('two')
        s.local(r1[0], b'Kok\n')
        s.expect(r'delivery 1: success: ok/')
        self.assertEqual(s.cleaned, [])
        s.local(r2[0], b'Zlater\n')
        s.expect(r'delivery 2: deferral: later/')
        # at once, not when it is PENDING_AGE seconds old
        wait_for(lambda: s.cleaned == ['todo/%d' % n], 'todo/ cleaned', 1.0)
        self.assertFalse(os.path.exists(qpath('todo', n, False)))
        self.assertEqual(read_file(qpath('local', n)), b'Done@example.org\0Ttwo@example.org\0')
        s.finish()

    def test_pending_committed_when_old(self):
        s = self.start()
        n = s.new_message(inject(b'x\n', b'a@far.test', [b'slow@example.org']))
        slot = s.lreq.get('the delivery')[0]
        time.sleep(0.8)
        self.assertEqual(s.cleaned, [])
        wait_for(lambda: s.cleaned == ['todo/%d' % n], 'the commit', 4)
        s.local(slot, b'Kok\n')
        s.expect(r'end msg %d' % n)
        wait_for(lambda: s.cleaned == ['todo/%d' % n, 'foop/%d' % n], 'foop')
        s.finish()

    def test_pending_after_a_crash(self):
        """Killed while a message is pending (in memory only): the next
        qmail-send preprocesses todo/N again, tries every recipient again
        and starts its bounce over."""
        s = self.start()
        n = s.new_message(inject(b'x\n', b'a@far.test',
                                 [b'one@example.org', b'gone@example.org', b'three@example.org']))
        slots = s.local_slots(3, 'a request')
        s.local(slots[b'one@example.org'], b'Kok\n')
        s.local(slots[b'gone@example.org'], b'DNo.\n')
        s.expect(r'delivery \d+: failure: No./')
        s.expect(r'status: local 1/10 remote 0/20')
        bounce = os.path.join(Q.queue, 'bounce', str(n))
        self.assertEqual(read_file(bounce), b'<gone@example.org>:\nNo.\n\n')
        s.proc.kill()
        s.proc.wait()
        self.assertEqual(s.cleaned, [])
        s = self.start()
        s.expect(r'new msg %d' % n)
        slots = s.local_slots(3, 'again')
        self.assertEqual(sorted(slots),
                         [b'gone@example.org', b'one@example.org', b'three@example.org'])
        self.assertFalse(os.path.exists(bounce))
        s.local(slots[b'gone@example.org'], b'DNo.\n')
        s.expect(r'delivery \d+: failure: No./')
        s.local(slots[b'one@example.org'], b'Kok\n')
        s.local(slots[b'three@example.org'], b'Kok\n')
        s.expect(r'bounce msg %d qp \d+' % n)
        s.expect(r'end msg %d' % n)

    def test_leftover_files_that_differ(self):
        """Channel files from an interrupted run keep a D only where the
        record is the same, in the same place; a crash may have left
        anything there."""
        qp = inject(b'x\n', b'a@far.test', [b'one@example.org', b'two@example.org',
                                           b'three@example.org', b'four@example.org'])
        todo = os.listdir(os.path.join(Q.queue, 'todo'))
        self.assertEqual(len(todo), 1)
        n = int(todo[0])
        left = (b'Done@example.org\0Ttwo@example.org\0Dthree@example.ORG\0'
                b'Dfour@example.org\0')
        with open(qpath('local', n), 'wb') as f:
            f.write(left)
        with open(qpath('remote', n), 'wb') as f:
            f.write(b'\0\0\0\0')  # blocks a crash never filled
        s = self.start()
        self.assertEqual(s.new_message(qp), n)
        got = sorted(s.lreq.get('request')[3][0] for _ in range(3))
        # three differs: from there on nothing is carried over
        self.assertEqual(got, [b'four@example.org', b'three@example.org', b'two@example.org'])
        s.committed(n)
        self.assertEqual(read_file(qpath('local', n)),
                         b'Done@example.org\0Ttwo@example.org\0Tthree@example.org\0'
                         b'Tfour@example.org\0')
        self.assertFalse(os.path.exists(qpath('remote', n)))

    def test_term_commits_pending(self):
        controls(concurrencylocal='1\n')
        s = Send(self)
        self.senders.append(s)
        s.expect_next(r'status: local 0/1 remote 0/20')
        n = s.new_message(inject(b'x\n', b'a@far.test', [b'one@example.org', b'two@example.org']))
        slot = s.lreq.get('one')[0]
        s.proc.send_signal(signal.SIGTERM)
        s.local(slot, b'Kok\n')
        s.expect(r'delivery 1: success: ok/')
        s.expect(r'status: exiting')
        self.assertEqual(s.proc.wait(timeout=DEADLINE), 0)
        self.assertEqual(s.cleaned, ['todo/%d' % n])
        self.assertEqual(read_file(qpath('local', n)), b'Done@example.org\0Ttwo@example.org\0')
        s = Send(self)
        self.senders.append(s)
        slot, m, _, rcpts = s.lreq.get('the rest')
        self.assertEqual((m, rcpts), (n, [b'two@example.org']))
        s.local(slot, b'Kok\n')
        s.expect(r'end msg %d' % n)
        s.finish()

    def fsynced(self, trace):
        """The names (relative to the queue) qmail-send fsynced, in order,
        from strace output of its opens and fsyncs."""
        names, synced = {}, []
        with open(trace) as f:
            for line in f:
                m = re.match(r'open(?:at\(AT_FDCWD, |\()"([^"]*)".*\) = (\d+)$', line)
                if m:
                    names[int(m.group(2))] = m.group(1)
                m = re.match(r'fsync\((\d+)\) += 0$', line)
                if m:
                    synced.append(names[int(m.group(1))])
        return synced

    def test_syncs_of_a_message_done_at_once(self):
        """Done while pending: nothing written, nothing synced; committed
        at a deferral: the files written from memory, each synced with its
        directory."""
        if not shutil.which('strace'):
            self.fail('strace is not installed')
        trace = os.path.join(Q.root, 'send.strace')
        self.addCleanup(os.unlink, trace)
        s = self.start(wrap=['/usr/bin/strace', '-qq', '-u', 'qmails', '-e',
                             'trace=fsync,open,openat', '-o', trace])
        n = s.new_message(inject(b'x\n', b'a@far.test', [b'one@example.org']))
        s.local(s.lreq.get('one')[0], b'Kok\n')
        s.expect(r'end msg %d' % n)
        wait_for(lambda: 'foop/%d' % n in s.cleaned, 'foop')
        m = s.new_message(inject(b'x\n', b'a@far.test', [b'two@example.org']))
        s.local(s.lreq.get('two')[0], b'Zlater\n')
        wait_for(lambda: 'todo/%d' % m in s.cleaned, 'the commit')
        # TERM to qmail-send itself: strace would only detach
        with open('/proc/%d/task/%d/children' % (s.proc.pid, s.proc.pid)) as f:
            os.kill(int(f.read().split()[0]), signal.SIGTERM)
        s.expect('status: exiting')
        self.assertEqual(s.proc.wait(timeout=DEADLINE), 0)
        sm = split_of(m)
        self.assertEqual(self.fsynced(trace), [
            'local/%d/%d' % (sm, m), 'local/%d' % sm, 'info/%d/%d' % (sm, m), 'info/%d' % sm])

    # ---- delay notices (control/queuewarn)

    def age(self, n, hours):
        old = time.time() - hours * 3600
        os.utime(qpath('info', n), (old, old))

    @staticmethod
    def defer_retry(s, answer, logged):
        """Starts the retries at once and defers the local one again."""
        s.proc.send_signal(signal.SIGALRM)
        s.local(s.lreq.get('a retry')[0], answer)
        s.expect(r'delivery \d+: deferral: %s/' % logged)

    def test_delay_notice(self):
        controls(queuewarn='4\n', bouncefrom='Mailer Daemon\n', bouncehost='bounces.example.org\n')
        s = self.start()
        msg = b'Subject: slow\nX-Long: a\n  b\n\nthe body\n'
        n = s.new_message(inject(msg, b'joe@far.test', [b'slow@example.org', b'fast@example.org']))
        slots = s.local_slots(2, 'a request')
        s.local(slots[b'fast@example.org'], b'Kok\n')
        s.local(slots[b'slow@example.org'], b'Ztemporary trouble\n')
        s.expect(r'delivery \d+: deferral: temporary_trouble/')
        s.committed(n, 1.0)
        # young yet: no notice
        self.age(n, 3)
        self.defer_retry(s, b'Zstill in trouble\n', 'still_in_trouble')
        s.lreq.none_within(0.5)
        self.assertFalse(any(l.startswith('delay notice') for l in s.lines))
        # four hours on: the next deferral sends one
        self.age(n, 5)
        s.proc.send_signal(signal.SIGALRM)
        s.local(s.lreq.get('a retry')[0], b'Zstill in trouble\n\nreally.\n')
        dn = int(s.expect(r'delay notice msg %d qp (\d+)' % n).group(1))
        bn = s.new_message(dn)
        self.assertIn('info msg %d: bytes %d from <> qp %d uid %d'
                      % (bn, os.stat(qpath('mess', bn)).st_size, dn, Q.uid('qmails')), s.lines)
        slot, m, sender, rcpts = s.rreq.get('the notice')
        self.assertEqual((m, sender, rcpts), (bn, b'', [b'joe@far.test']))
        notice = read_file(qpath('mess', bn))
        received = re.match(rb'Received: \(qmail %d invoked for bounce\); [^\n]*\nDate: [^\n]*\n' % dn,
                            notice)
        self.assertTrue(received, notice[:300])
        original = read_file(qpath('mess', n))
        header = original[:original.index(b'\n\n') + 1]
        self.assertEqual(notice[received.end():],
                         b'From: "Mailer Daemon"@bounces.example.org\n'
                         b'To: joe@far.test\n'
                         b'Subject: delivery delay notice\n'
                         b'\n'
                         b'Hi. This is the qmail-send program at bounces.example.org.\n'
                         b"I haven't been able to deliver your message to the following addresses yet.\n"
                         b"This is not a permanent error: I'll keep trying until the message has been\n"
                         b'in the queue for 7 days. You need not send it again.\n'
                         b'\n'
                         b'<slow@example.org>:\n'
                         b'still in trouble\n'
                         b'/really.\n'
                         b'\n'
                         b'--- Below this line is the header of the message.\n'
                         b'\n'
                         b'Return-Path: <joe@far.test>\n' + header)
        self.assertTrue(header.endswith(b'Subject: slow\nX-Long: a\n  b\n'), header)
        self.assertEqual(os.stat(qpath('info', n)).st_mode & 0o777, 0o700)  # sent: marked
        s.remote(slot, b'r', b'Kok\n')
        s.expect(r'end msg %d' % bn)
        # once: neither another deferral nor a restart sends it again
        self.defer_retry(s, b'Zno\n', 'no')
        s.finish()
        s = self.start()
        self.defer_retry(s, b'Zno\n', 'no')
        s.lreq.none_within(0.5)
        s.rreq.none_within(0.1)
        self.assertFalse(any(l.startswith('delay notice') for l in s.lines))
        s.finish()

    def test_no_delay_notice_for_bounces(self):
        controls(queuewarn='1\n')
        s = self.start()
        for sender in (b'', b'#@[]'):
            s.cleaned.clear()  # the second message may get the first one's number
            n = s.new_message(inject(b'x\n', sender, [b'slow@example.org']))
            s.local(s.lreq.get('a request')[0], b'Zlater\n')
            s.expect(r'delivery \d+: deferral: later/')
            s.committed(n, 1.0)
            self.age(n, 2)
            self.defer_retry(s, b'Zlater\n', 'later')
            s.lreq.none_within(0.5)
            # done with it, so that it is not retried with the next
            s.proc.send_signal(signal.SIGALRM)
            s.local(s.lreq.get('the last retry')[0], b'Kok\n')
            s.expect(r'end msg %d' % n)
        self.assertFalse(any(l.startswith('delay notice') for l in s.lines))
        s.finish()

    # ---- a broken trigger

    TRIGGER = os.path.join(Q.queue, 'lock', 'trigger')

    def fix_trigger(self):
        """As make setup leaves it: a named pipe, qmails:qmail, 0622."""
        if os.path.lexists(self.TRIGGER) and not stat.S_ISFIFO(os.lstat(self.TRIGGER).st_mode):
            os.unlink(self.TRIGGER)
        if not os.path.lexists(self.TRIGGER):
            os.mkfifo(self.TRIGGER)
        os.chown(self.TRIGGER, Q.uid('qmails'), Q.gid('qmail'))
        os.chmod(self.TRIGGER, 0o622)

    def listens(self, s):
        """qmail-send has the named pipe lock/trigger open."""
        fds = '/proc/%d/fd' % s.proc.pid
        st = os.stat(self.TRIGGER)
        for fd in os.listdir(fds):
            try:
                fst = os.stat(os.path.join(fds, fd))
            except FileNotFoundError:
                continue
            if (fst.st_dev, fst.st_ino) == (st.st_dev, st.st_ino):
                return True
        return False

    def test_broken_trigger(self):
        self.addCleanup(self.fix_trigger)
        wrong_mode = 'has the wrong owner, group or mode, so qmail-queue may not reach it'
        for how, what in (('missing', 'is missing'), ('a file', 'is not a named pipe'),
                          ('mode 0600', wrong_mode), ('owned by root', wrong_mode)):
            with self.subTest(how):
                self.fix_trigger()
                if how == 'missing':
                    os.unlink(self.TRIGGER)
                elif how == 'a file':
                    os.unlink(self.TRIGGER)
                    with open(self.TRIGGER, 'w') as f:
                        f.write('x')
                elif how == 'mode 0600':
                    os.chmod(self.TRIGGER, 0o600)
                else:
                    os.chown(self.TRIGGER, 0, 0)
                s = Send(self)
                self.senders.append(s)
                s.expect_next(r'alert: queue/lock/trigger %s; looking at todo/ every few seconds '
                              r'until make setup check repairs it' % re.escape(what))
                s.expect_next(r'status: local 0/10 remote 0/20')
                # new mail is found all the same, within seconds
                t0 = time.time()
                n = s.new_message(inject(b'x\n', b'a@far.test', [b'one@example.org']))
                self.assertLess(time.time() - t0, 7)
                s.local(s.lreq.get('its delivery')[0], b'Kok\n')
                s.expect(r'end msg %d' % n)
                # said once: nothing more about it while it stays broken
                end = time.time() + 6
                while time.time() < end:
                    try:
                        line = s.next_line(end - time.time())
                    except AssertionError:
                        break
                    self.assertFalse(line.startswith('alert'), line)
                # repaired: listened to again within seconds, and new mail
                # wakes qmail-send at once
                self.fix_trigger()
                wait_for(lambda: self.listens(s), 'the trigger opened again', 8)
                t0 = time.time()
                s.new_message(inject(b'x\n', b'a@far.test', [b'two@example.org']))
                self.assertLess(time.time() - t0, 1.5)
                s.local(s.lreq.get('its delivery')[0], b'Kok\n')
                s.expect(r'end msg \d+')
                s.finish()
                self.senders.remove(s)
                self.assertNotIn(True, [l.startswith('alert') for l in s.lines[1:]], s.lines)

    def test_hup_rereads_controls(self):
        s = self.start()
        s.new_message(inject(b'x\n', b'a@example.org', [b'x@new.test']))
        self.assertEqual(s.rreq.get('before')[3], [b'x@new.test'])
        s.expect(r'starting delivery 1: msg \d+ to remote x@new.test')
        controls(locals='example.org\nnew.test\n', concurrencylocal='3\n')
        s.proc.send_signal(signal.SIGHUP)
        time.sleep(0.2)
        s.new_message(inject(b'x\n', b'a@example.org', [b'y@new.test']))
        self.assertEqual(s.lreq.get('after')[3], [b'y@new.test'])
        s.expect(r'starting delivery 2: msg \d+ to local y@new.test')
        self.assertEqual(s.next_line(), 'status: local 1/3 remote 1/20')

    def test_refusals(self):
        s = self.start()
        s2 = Send(self)
        self.senders.append(s2)
        s2.expect_next(r'alert: cannot start: qmail-send is already running')
        self.assertEqual(s2.proc.wait(timeout=DEADLINE), 111)
        s.finish()
        os.unlink(os.path.join(Q.home, 'control', 'me'))
        s3 = Send(self)
        self.senders.append(s3)
        s3.expect_next(r'alert: cannot start: unable to read controls')
        self.assertEqual(s3.proc.wait(timeout=DEADLINE), 111)

    def test_startup_recovery_and_orphans(self):
        # preprocessed before a crash: info and local, no todo
        n = 990001
        for d, data in (('info', b'Fa@far.test\0'), ('local', b'Tz@example.org\0')):
            with open(qpath(d, n), 'wb') as f:
                f.write(data)
            os.chown(qpath(d, n), Q.uid('qmails'), Q.gid('qmail'))
        with open(qpath('mess', n), 'wb') as f:
            f.write(b'x\n')
        # an orphan from a crashed qmail-queue, 37 hours old, and a young one
        old, young = 990003, 990005
        for m, age in ((old, 37 * 3600), (young, 3600)):
            with open(qpath('mess', m), 'wb') as f:
                f.write(b'y\n')
            t = time.time() - age
            os.utime(qpath('mess', m), (t, t))
        s = self.start()
        slot, m, sender, rcpts = s.lreq.get('the recovered message')
        self.assertEqual((m, sender, rcpts), (n, b'a@far.test', [b'z@example.org']))
        wait_for(lambda: 'foop/%d' % old in s.cleaned, 'the orphan removed')
        self.assertNotIn('foop/%d' % young, s.cleaned)
        self.assertNotIn('foop/%d' % n, s.cleaned)
        s.local(slot, b'Kok\n')
        s.expect(r'end msg %d' % n)
        s.finish()
        self.assertEqual(s.cleaned, ['foop/%d' % old, 'foop/%d' % n])


def mode_bits(path):
    return os.stat(path).st_mode & 0o7777


SENDTEST = '/var/tmp/qmail-sendtest'


class Start(unittest.TestCase):
    """The real daemons under qmail-start, delivering to a Maildir."""

    def setUp(self):
        for prog in ('qmail-lspawn', 'qmail-rspawn', 'qmail-local', 'qmail-getpw', 'qmail-newu'):
            if not os.path.exists(Q.bin(prog)):
                self.skipTest(prog + ' is not installed yet')
        Q.clear_queue()
        controls()
        alias = pwd.getpwnam('alias')
        shutil.rmtree(SENDTEST, ignore_errors=True)
        for d in ('', 'Maildir', 'Maildir/tmp', 'Maildir/new', 'Maildir/cur'):
            os.makedirs(os.path.join(SENDTEST, d), exist_ok=True)
            os.chown(os.path.join(SENDTEST, d), alias.pw_uid, alias.pw_gid)
            os.chmod(os.path.join(SENDTEST, d), 0o755 if not d else 0o700)
        with open(os.path.join(SENDTEST, '.qmail-bounce'), 'w') as f:
            f.write('|echo Not wanted here.; exit 100\n')
        os.chown(os.path.join(SENDTEST, '.qmail-bounce'), alias.pw_uid, alias.pw_gid)
        with open(os.path.join(Q.home, 'users', 'assign'), 'w') as f:
            f.write('=sendtest:alias:%d:%d:%s:::\n+sendtest-:alias:%d:%d:%s:-::\n.\n'
                    % (alias.pw_uid, alias.pw_gid, SENDTEST, alias.pw_uid, alias.pw_gid, SENDTEST))
        subprocess.run([Q.bin('qmail-newu')], check=True, cwd='/')
        self.p = None

    def tearDown(self):
        if self.p and self.p.poll() is None:
            self.p.kill()
            self.p.wait()
        for name in ('assign', 'cdb'):
            try:
                os.unlink(os.path.join(Q.home, 'users', name))
            except FileNotFoundError:
                pass
        shutil.rmtree(SENDTEST, ignore_errors=True)
        Q.clear_queue()
        Q.clear_controls()

    def maildir(self):
        new = os.path.join(SENDTEST, 'Maildir', 'new')
        return [read_file(os.path.join(new, f)) for f in sorted(os.listdir(new))]

    def test_delivery_and_bounce(self):
        self.p = subprocess.Popen([Q.bin('qmail-start'), './Maildir/'], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, cwd='/',
                                  env={'PATH': os.path.join(Q.home, 'bin') + ':/usr/bin:/bin'})
        log = Stream(self.p.stdout.fileno(), parse_line)
        inject(b'Subject: one\n\nfirst\n', b'sendtest@example.org', [b'sendtest@example.org'])
        inject(b'Subject: two\n\nsecond\n', b'sendtest@example.org', [b'sendtest-bounce@example.org'])
        wait_for(lambda: len(self.maildir()) >= 2, 'two deliveries', timeout=30)
        self.p.send_signal(signal.SIGTERM)
        self.assertEqual(self.p.wait(timeout=DEADLINE), 0)
        lines = []
        while True:
            line = log.get('the log')
            if line is None or line == 'status: exiting':
                break
            lines.append(line)
        for line in lines:
            self.assertTrue(any(f.fullmatch(line) for f in LOG_FORMATS), line)
        self.assertEqual(lines[0], 'status: local 0/10 remote 0/20')
        self.assertTrue(any(re.fullmatch(r'delivery \d+: failure: Not_wanted_here./', l)
                            for l in lines), lines)
        self.assertEqual(self.p.stderr.read(), b'')
        mails = self.maildir()
        first = [m for m in mails if b'Subject: one' in m]
        bounce = [m for m in mails if b'Subject: failure notice' in m]
        self.assertEqual(len(first), 1)
        self.assertEqual(len(bounce), 1)
        self.assertIn(b'\n\nHi. This is the qmail-send program at example.org.\n'
                      b"I'm afraid I wasn't able to deliver your message to the following addresses.\n"
                      b"This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
                      b'<sendtest-bounce@example.org>:\nNot wanted here.\n\n'
                      b'--- Below this line is a copy of the message.\n\n'
                      b'Return-Path: <sendtest@example.org>\n', bounce[0])
        self.assertTrue(bounce[0].startswith(b'Return-Path: <>\n'), bounce[0])


if __name__ == '__main__':
    unittest.main()
