"""qmail-qread, qmail-qstat and splogger end to end.

qmail-qread and qmail-qstat run against queue states built by hand in the
scratch queue (files written directly, birth times set with utime), and
their exact output is checked. splogger runs in a private mount namespace
whose /dev is a temporary directory holding a Unix datagram socket named
log, so the messages glibc's syslog() sends are read back by the test and
nothing on the machine's own /dev is touched."""
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

from harness import Q

BIRTH_1998 = 901234567   # 23 Jul 1998 22:56:07 GMT
BIRTH_1997 = 867978617   # 4 Jul 1997 01:10:17 GMT (one-digit day)
BIRTH_2100 = 4102531199  # 1 Jan 2100 23:59:59 GMT


def qpath(rel):
    return os.path.join(Q.queue, rel)


def write(rel, data, owner, mode=0o600, mtime=None):
    path = qpath(rel)
    with open(path, 'wb') as f:
        f.write(data)
    os.chown(path, Q.uid(owner), Q.gid('qmail'))
    os.chmod(path, mode)
    if mtime is not None:
        os.utime(path, (mtime, mtime))


def msgid(split_dir, k):
    """A message number that lands in split directory split_dir."""
    return k * Q.split + split_dir


def add_message(n, sender=b'', birth=BIRTH_1998, mess=b'x\n', local=None, remote=None,
                bounce=None, info=None):
    """Queue files of a message qmail-send has preprocessed."""
    s = n % Q.split
    write('mess/%d/%d' % (s, n), mess, 'qmailq', 0o644)
    write('info/%d/%d' % (s, n), b'F' + sender + b'\0' if info is None else info, 'qmails',
          mtime=birth)
    if local is not None:
        write('local/%d/%d' % (s, n), local, 'qmails', mtime=birth)
    if remote is not None:
        write('remote/%d/%d' % (s, n), remote, 'qmails', mtime=birth)
    if bounce is not None:
        write('bounce/%d' % n, bounce, 'qmails')


def add_todo(n, envelope=b'u0\0p1\0Fa@b\0Tc@d\0'):
    """Queue files of a message not yet preprocessed."""
    write('mess/%d/%d' % (n % Q.split, n), b'Received: x\n\nbody\n', 'qmailq', 0o644)
    write('intd/%d' % n, envelope, 'qmailq', 0o644)
    os.link(qpath('intd/%d' % n), qpath('todo/%d' % n))


class QueueTest(unittest.TestCase):
    def setUp(self):
        Q.clear_queue()

    def tearDown(self):
        for i in range(Q.split):
            os.chmod(qpath('info/%d' % i), 0o700)
        Q.clear_queue()

    def qread(self, user=None):
        p = Q.run(['qmail-qread'], user=user)
        self.assertEqual(p.stderr, b'')
        return p.returncode, p.stdout

    def assertListing(self, want, user=None):
        self.assertEqual(self.qread(user), (0, want))


class Qread(QueueTest):
    def test_empty_queue(self):
        self.assertListing(b'')

    def test_write_error(self):
        # output that cannot be written is a temporary failure, exit 111
        add_message(msgid(1, 7), b'sender@example.com', BIRTH_1998, b'm' * 20,
                    local=b'Tuser@example.com\0')
        with open('/dev/full', 'wb') as full:
            r = subprocess.run([Q.bin('qmail-qread')], stdout=full, stderr=subprocess.PIPE)
        self.assertEqual((r.returncode, r.stderr), (111, b''))

    def test_listing(self):
        n1, n2, n3 = msgid(1, 7), msgid(2, 9), msgid(3, 11)
        add_message(n1, b'sender@example.com', BIRTH_1998, b'm' * 2345,
                    local=b'Tu1@here.example\0Du2@here.example\0',
                    remote=b'Tr1@there.example\0Dr2@there.example\0Tr3@there.example\0')
        add_message(n2, b'', BIRTH_1997, b'y' * 10, remote=b'Tbounced@nowhere.example\0',
                    bounce=b'<bounced@nowhere.example>:\nSorry.\n\n')
        add_todo(n3)  # not preprocessed: not listed
        self.assertListing(
            b'23 Jul 1998 22:56:07 GMT  #%d  2345  <sender@example.com> \n'
            b'\tlocal\tu1@here.example\n'
            b'  done\tlocal\tu2@here.example\n'
            b'\tremote\tr1@there.example\n'
            b'  done\tremote\tr2@there.example\n'
            b'\tremote\tr3@there.example\n'
            b'4 Jul 1997 01:10:17 GMT  #%d  10  <>  bouncing\n'
            b'\tremote\tbounced@nowhere.example\n' % (n1, n2))

    def test_all_done_and_no_recipient_files(self):
        n1, n2 = msgid(0, 3), msgid(5, 3)
        add_message(n1, b'a@b', BIRTH_2100, b'', local=b'Dx@y\0', remote=b'')
        add_message(n2, b'c@d', BIRTH_1998)
        self.assertListing(
            b'1 Jan 2100 23:59:59 GMT  #%d  0  <a@b> \n'
            b'  done\tlocal\tx@y\n'
            b'23 Jul 1998 22:56:07 GMT  #%d  2  <c@d> \n' % (n1, n2))

    def test_untrusted_bytes(self):
        n1, n2 = msgid(1, 2), msgid(4, 2)
        add_message(n1, b'a\tb\x7fc\xffd e\x00', BIRTH_1998,
                    local=b'Tok@x\0Xnot-a-recipient\0\0T\0T\x01\x80y@z\0Tunfinished@x',
                    remote=b'T\xe9t\xe9@x\0D')
        # info without the NUL (shown as far as it goes), then more records
        add_message(n2, info=b'Fpartial@sender', local=b'Tp@q\0')
        add_message(msgid(6, 2), info=b'Fs@t\0Textra\0', remote=b'Tu@v\0')
        self.assertListing(
            b'23 Jul 1998 22:56:07 GMT  #%d  2  <a_b_c_d e> \n'
            b'\tlocal\tok@x\n'
            b'\tlocal\t\n'
            b'\tlocal\t__y@z\n'
            b'\tremote\t_t_@x\n'
            b'23 Jul 1998 22:56:07 GMT  #%d  2  <partial@sender> \n'
            b'\tlocal\tp@q\n'
            b'23 Jul 1998 22:56:07 GMT  #%d  2  <s@t> \n'
            b'\tremote\tu@v\n' % (n1, n2, msgid(6, 2)))

    def test_long_records(self):
        n = msgid(2, 5)
        sender = b's' * 9000 + b'@example.org'
        long_rcpt = b'r' * 20000 + b'@example.net'
        add_message(n, sender, BIRTH_1998,
                    local=b'D' + long_rcpt + b'\0X' + b'z' * 10000 + b'\0Tafter@x\0',
                    remote=b'T' + long_rcpt + b'\0')
        self.assertListing(
            b'23 Jul 1998 22:56:07 GMT  #%d  2  <%s> \n'
            b'  done\tlocal\t%s\n'
            b'\tlocal\tafter@x\n'
            b'\tremote\t%s\n' % (n, sender, long_rcpt, long_rcpt))

    def test_names_that_are_not_messages(self):
        n = msgid(3, 4)
        add_message(n, b'a@b')
        for name in ('garbage', '.hidden', '12x', '-1'):
            write('info/3/' + name, b'Fz\0', 'qmails')
        self.assertListing(b'23 Jul 1998 22:56:07 GMT  #%d  2  <a@b> \n' % n)

    def test_trouble_with_a_message(self):
        gone, ok = msgid(1, 8), msgid(2, 8)
        add_message(gone, b'a@b')
        os.unlink(qpath('mess/1/%d' % gone))
        add_message(ok, b'c@d', remote=b'Te@f\0')
        self.assertListing(
            b'warning: trouble with #%d: %s\n'
            b'23 Jul 1998 22:56:07 GMT  #%d  2  <c@d> \n'
            b'\tremote\te@f\n' % (gone, b"file does not exist", ok))

    def test_as_qmails_unreadable_recipients(self):
        n = msgid(4, 6)
        add_message(n, b'a@b', local=b'Tl@x\0', remote=b'Tr@y\0')
        os.chown(qpath('local/4/%d' % n), 0, 0)
        os.chmod(qpath('local/4/%d' % n), 0)
        self.assertListing(
            b'23 Jul 1998 22:56:07 GMT  #%d  2  <a@b> \n'
            b'warning: trouble with #%d: %s\n'
            b'\tremote\tr@y\n' % (n, n, b"access denied"), user='qmails')

    def test_fatal_errors(self):
        add_message(msgid(0, 1), b'a@b')
        self.assertEqual(self.qread('nobody'),
                         (111, b'fatal: unable to chdir: %s\n' % b"access denied"))
        os.chmod(qpath('info/1'), 0)
        self.assertEqual(self.qread('qmails'),
                         (111, b'23 Jul 1998 22:56:07 GMT  #%d  2  <a@b> \n'
                               b'fatal: unable to opendir info/1: %s\n'
                          % (msgid(0, 1), b"access denied")))


class Qstat(QueueTest):
    def qstat(self, user=None):
        return Q.run(['qmail-qstat'], user=user)

    def assertCounts(self, queued, todo, user=None):
        p = self.qstat(user)
        self.assertEqual((p.returncode, p.stdout, p.stderr),
                         (0, b'messages in queue: %d\n'
                             b'messages in queue but not yet preprocessed: %d\n' % (queued, todo),
                          b''))

    def test_empty(self):
        self.assertCounts(0, 0)

    def test_counts(self):
        add_message(msgid(1, 1), b'a@b', local=b'Tx@y\0', bounce=b'x')
        add_message(msgid(1, 2), b'a@b', remote=b'Tx@y\0')
        add_todo(msgid(2, 1))
        add_todo(msgid(7, 3))
        self.assertCounts(4, 2)
        self.assertCounts(4, 2, user='qmails')
        self.assertCounts(4, 2, user='qmailq')

    def test_not_permitted(self):
        p = self.qstat('nobody')
        self.assertEqual((p.returncode, p.stdout), (111, b''))
        self.assertNotEqual(p.stderr, b'')


SYSLOG = re.compile(rb'^<(\d+)>\w{3} [ \d]\d \d\d:\d\d:\d\d ([^:]*): (\d+)\.(\d{6})([ +])(.*)$', re.S)


class Splogger(unittest.TestCase):
    def setUp(self):
        if not shutil.which('unshare'):
            self.skipTest('needs unshare(1)')
        self.dir = tempfile.mkdtemp(prefix='splogger-')
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(os.path.join(self.dir, 'log'))
        self.sock.setblocking(False)

    def tearDown(self):
        self.sock.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def splogger(self, args, data):
        """Run splogger with data on stdin; return the messages it logged
        as (priority, tag, seconds, microseconds, separator, text)."""
        script = 'mount --bind "$0" /dev || exit 99; exec "$@"'
        before = int(time.time())
        p = subprocess.run(['unshare', '-m', 'sh', '-c', script, self.dir, Q.bin('splogger')] + args,
                           input=data, capture_output=True, timeout=60)
        after = int(time.time())
        if p.returncode == 99 or (p.returncode and b'unshare' in p.stderr):
            self.skipTest('cannot make a mount namespace here')
        self.assertEqual((p.returncode, p.stdout, p.stderr), (0, b'', b''))
        logged = []
        while True:
            try:
                dgram = self.sock.recv(65536)
            except BlockingIOError:
                break
            m = SYSLOG.match(dgram)
            self.assertTrue(m, dgram)
            sec = int(m.group(3))
            self.assertTrue(before <= sec <= after, dgram)
            logged.append((int(m.group(1)), m.group(2), sec, m.group(4), m.group(5), m.group(6)))
        return logged

    def test_lines_priorities_folding(self):
        data = (b'status: local 0/10 remote 0/20\n'
                b'warning: trouble opening remote\n'
                b'\n'
                b'alert: oh no! lost spawn\n'
                b'\tx\x01\x80\n'
                + b'w' * 800 + b'\n'
                b'Warning: not a warning\n'
                b'no newline at the end')
        got = self.splogger([], data)
        info, warning, alert = 2 * 8 + 6, 2 * 8 + 4, 2 * 8 + 1
        self.assertEqual([(g[0], g[1], g[4], g[5]) for g in got], [
            (info, b'splogger', b' ', b'status: local 0/10 remote 0/20'),
            (warning, b'splogger', b' ', b'warning: trouble opening remote'),
            (alert, b'splogger', b' ', b'alert: oh no! lost spawn'),
            (info, b'splogger', b' ', b'?x??'),
            (info, b'splogger', b' ', b'w' * 799),
            (info, b'splogger', b'+', b'w'),
            (info, b'splogger', b' ', b'Warning: not a warning'),
        ])
        # the folded piece carries the stamp of its line's first piece
        self.assertEqual(got[5][2:4], got[4][2:4])

    def test_tag_and_facility(self):
        self.assertEqual([(g[0], g[1], g[5]) for g in self.splogger(['qmail'], b'hi\n')],
                         [(2 * 8 + 6, b'qmail', b'hi')])
        self.assertEqual([(g[0], g[1], g[5]) for g in self.splogger(['qmail', '3'], b'warning: x\n')],
                         [(3 * 8 + 4, b'qmail', b'warning: x')])
        self.assertEqual([(g[0], g[1]) for g in self.splogger(['q', '16'], b'a\n')],
                         [(16 * 8 + 6, b'q')])

    def test_no_input(self):
        self.assertEqual(self.splogger([], b''), [])
        self.assertEqual(self.splogger([], b'\n\n\n'), [])


if __name__ == '__main__':
    unittest.main()
