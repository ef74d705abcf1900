"""qmail-queue end to end: exact queue files, owners, modes, the exit-code
table, cleanup after failures, kill -9 at any moment, and big inputs."""
import calendar
import os
import re
import resource
import shutil
import signal
import subprocess
import time
import unittest

from harness import Q, mode_of

RECEIVED = re.compile(rb'^Received: \(qmail (\d+) invoked ([^)]*)\); '
                      rb'(\d{1,2}) (\w{3}) (\d{4}) (\d\d):(\d\d):(\d\d) -0000\n')
MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']


def received_time(m):
    day, mon, year, hh, mm, ss = m.group(3, 4, 5, 6, 7, 8)
    return calendar.timegm((int(year), MONTHS.index(mon.decode()) + 1, int(day),
                            int(hh), int(mm), int(ss)))


def queue_run(message, envelope, user=None, preexec=None, stdin=None):
    """Run qmail-queue with message on fd 0 and envelope on fd 1."""
    env_r, env_w = os.pipe()
    os.write(env_w, envelope) if len(envelope) < 60000 else None
    kwargs = {}
    if user:
        kwargs.update(user=Q.uid(user), group=Q.gid('nofiles' if user != 'qmails' else 'qmail'),
                      extra_groups=[])
    p = subprocess.Popen([Q.bin('qmail-queue')], stdin=stdin if stdin is not None else subprocess.PIPE,
                         stdout=env_r, stderr=subprocess.PIPE, cwd='/', env={},
                         preexec_fn=preexec, **kwargs)
    os.close(env_r)
    if len(envelope) >= 60000:
        import threading
        threading.Thread(target=lambda: (os.write(env_w, envelope), os.close(env_w))).start()
    else:
        os.close(env_w)
    if stdin is None:
        try:
            p.stdin.write(message)
            p.stdin.close()
        except BrokenPipeError:
            pass  # qmail-queue gave up before reading it all
    p.wait(timeout=120)
    p.err = p.stderr.read()
    p.stderr.close()
    return p


class QueueFiles(unittest.TestCase):
    def setUp(self):
        Q.clear_queue()

    def inject(self, message, envelope, **kw):
        p = queue_run(message, envelope, **kw)
        return p.returncode

    def only_message(self):
        files = Q.queue_files()
        todo = [k for k in files if k.startswith('todo/')]
        self.assertEqual(len(todo), 1, files.keys())
        n = todo[0].split('/')[1]
        return n, files

    def test_files_bytes_owners_modes(self):
        msg = b'Subject: hi\n\nbody line\n\x00\xff binary ok\n'
        before = int(time.time())
        self.assertEqual(self.inject(msg, b'Fa@b.example\0Tc@d.example\0Te@f.example\0\0'), 0)
        after = int(time.time())
        n, files = self.only_message()
        split = int(n) % Q.split
        self.assertEqual(sorted(files), sorted(['mess/%d/%s' % (split, n), 'intd/' + n, 'todo/' + n]))
        intd = files['intd/' + n]
        m = re.match(rb'^u0\0p(\d+)\0Fa@b\.example\0Tc@d\.example\0Te@f\.example\0$', intd)
        self.assertTrue(m, intd)
        self.assertEqual(files['todo/' + n], intd)
        mess = files['mess/%d/%s' % (split, n)]
        r = RECEIVED.match(mess)
        self.assertTrue(r, mess)
        self.assertEqual(r.group(1), m.group(1))
        self.assertEqual(r.group(2), b'by uid 0')
        self.assertTrue(before <= received_time(r) <= after)
        self.assertEqual(mess[r.end():], msg)
        # the inode names the message; intd and todo are one file
        st_mess = Q.queue_stat('mess/%d/%s' % (split, n))
        self.assertEqual(st_mess.st_ino, int(n))
        self.assertEqual(Q.queue_stat('todo/' + n).st_ino, Q.queue_stat('intd/' + n).st_ino)
        for rel in ('mess/%d/%s' % (split, n), 'intd/' + n):
            st = Q.queue_stat(rel)
            self.assertEqual(st.st_uid, Q.uid('qmailq'), rel)
            self.assertEqual(mode_of(st), 0o644, rel)

    def test_invoker_names(self):
        for user, who in (('alias', b'by alias'), ('qmaild', b'from network'),
                          ('qmails', b'for bounce'), ('nobody', b'by uid %d' % Q.uid('nobody'))):
            Q.clear_queue()
            self.assertEqual(self.inject(b'x\n', b'F\0Tr@h\0\0', user=user), 0, user)
            n, files = self.only_message()
            mess = files['mess/%d/%s' % (int(n) % Q.split, n)]
            self.assertEqual(RECEIVED.match(mess).group(2), who)
            self.assertTrue(files['intd/' + n].startswith(b'u%d\0' % Q.uid(user)))

    def test_empty_sender_no_recipients(self):
        self.assertEqual(self.inject(b'', b'F\0\0'), 0)
        n, files = self.only_message()
        self.assertRegex(files['intd/' + n], rb'^u0\0p\d+\0F\0$')

    def test_trigger_is_poked(self):
        fd = os.open(os.path.join(Q.queue, 'lock/trigger'), os.O_RDONLY | os.O_NONBLOCK)
        try:
            while True:
                try:
                    if not os.read(fd, 4096):
                        break
                except BlockingIOError:
                    break
            self.assertEqual(self.inject(b'x\n', b'Fa\0Tb\0\0'), 0)
            self.assertEqual(os.read(fd, 10), b'\0')
        finally:
            os.close(fd)


class ExitCodes(unittest.TestCase):
    def setUp(self):
        Q.clear_queue()

    def tearDown(self):
        for d, mode in (('queue', 0o750), ('queue/pid', 0o700), ('queue/intd', 0o700),
                        ('queue/todo', 0o750)):
            os.chmod(os.path.join(Q.home, d), mode)
        for i in range(Q.split):
            os.chmod(os.path.join(Q.queue, 'mess', str(i)), 0o750)

    def assertExit(self, code, message, envelope, **kw):
        p = queue_run(message, envelope, **kw)
        self.assertEqual(p.returncode, code, envelope[:60])
        self.assertEqual(p.err, b'')
        if code:
            self.assertEqual(Q.queue_files(), {}, 'nothing may be left behind')

    def test_envelope_format_errors(self):
        self.assertExit(91, b'x\n', b'Xa\0\0')
        self.assertExit(91, b'x\n', b'Fa\0Tb\0Xc\0\0')
        self.assertExit(91, b'x\n', b'Fa\0Fb\0\0')

    def test_truncated_envelopes(self):
        self.assertExit(54, b'x\n', b'')
        self.assertExit(54, b'x\n', b'F')
        self.assertExit(54, b'x\n', b'Fa\0Tb')
        self.assertExit(54, b'x\n', b'Fa\0Tb\0')

    def test_address_length_limit(self):
        self.assertExit(0, b'x\n', b'F' + b'a' * 1002 + b'\0Tb\0\0')
        Q.clear_queue()
        self.assertExit(11, b'x\n', b'F' + b'a' * 1003 + b'\0Tb\0\0')
        self.assertExit(11, b'x\n', b'Fa\0Tb\0T' + b'c' * 5000 + b'\0\0')

    def test_unreadable_message(self):
        fd = os.open('/', os.O_RDONLY)
        try:
            self.assertExit(54, None, b'Fa\0Tb\0\0', stdin=fd)
        finally:
            os.close(fd)

    def test_write_error(self):
        def small_files():
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
        self.assertExit(53, b'y' * 100000, b'Fa\0Tb\0\0', preexec=small_files)

    def test_directory_problems(self):
        for d, code in (('queue', 62), ('queue/pid', 63), ('queue/intd', 65), ('queue/todo', 66)):
            os.chmod(os.path.join(Q.home, d), 0o500 if d != 'queue' else 0)
            self.assertExit(code, b'x\n', b'Fa\0Tb\0\0')
            self.tearDown()
        for i in range(Q.split):
            os.chmod(os.path.join(Q.queue, 'mess', str(i)), 0o500)
        self.assertExit(64, b'x\n', b'Fa\0Tb\0\0')

    def test_alarm_and_crash_signals(self):
        for sig, code, leaves_files in ((signal.SIGALRM, 52, True), (signal.SIGSEGV, 81, False)):
            Q.clear_queue()
            env_r, env_w = os.pipe()
            p = subprocess.Popen([Q.bin('qmail-queue')], stdin=subprocess.PIPE, stdout=env_r,
                                 stderr=subprocess.PIPE, env={}, cwd='/')
            os.close(env_r)
            p.stdin.write(b'partial')
            p.stdin.flush()
            deadline = time.time() + 10
            while not any(k.startswith('mess/') for k in Q.queue_files()):
                self.assertLess(time.time(), deadline)
                time.sleep(0.01)
            p.send_signal(sig)
            self.assertEqual(p.wait(timeout=10), code)
            os.close(env_w)
            p.stdin.close()
            left = Q.queue_files()
            self.assertFalse(any(k.startswith('todo/') for k in left))
            if leaves_files:
                self.assertTrue(any(k.startswith('mess/') for k in left))


class CrashSafety(unittest.TestCase):
    """kill -9 at any instant: whatever is in todo/ is complete."""

    def check_invariant(self, message, envelope):
        files = Q.queue_files()
        for key, body in files.items():
            if not key.startswith('todo/'):
                continue
            n = key.split('/')[1]
            self.assertEqual(files.get('intd/' + n), body)
            self.assertTrue(body.endswith(envelope[envelope.index(b'F'):-1]), body)
            mess = files['mess/%d/%s' % (int(n) % Q.split, n)]
            self.assertEqual(mess[RECEIVED.match(mess).end():], message)

    def test_kill9_everywhere(self):
        Q.clear_queue()
        message = b'Subject: crash\n\n' + b'line of the body\n' * 5000
        envelope = b'Fsender@x\0' + b''.join(b'Trcpt%d@y\0' % i for i in range(200)) + b'\0'
        # kill after k chunks of input, for every split of the input
        chunks = [message[:40000], message[40000:], None, envelope[:500], envelope[500:], None]
        committed = 0
        for stop in range(len(chunks) + 1):
            for delay in (0, 0.001, 0.005, 0.02):
                env_r, env_w = os.pipe()
                p = subprocess.Popen([Q.bin('qmail-queue')], stdin=subprocess.PIPE, stdout=env_r,
                                     stderr=subprocess.DEVNULL, env={}, cwd='/')
                os.close(env_r)
                for i, chunk in enumerate(chunks[:stop]):
                    if chunk is None and i == 2:
                        p.stdin.close()
                    elif chunk is None:
                        os.close(env_w)
                        env_w = None
                    elif i < 2:
                        p.stdin.write(chunk)
                        p.stdin.flush()
                    else:
                        os.write(env_w, chunk)
                time.sleep(delay)
                p.kill()
                rc = p.wait()
                committed += rc == 0
                if not p.stdin.closed:
                    p.stdin.close()
                if env_w is not None:
                    os.close(env_w)
                self.check_invariant(message, envelope)
        # the runs given all their input and time must have committed
        self.assertGreater(committed, 0)

    def test_fsync_order(self):
        """The commit sequence syncs data and directories before todo/."""
        if not shutil.which('strace'):
            self.fail('strace is not installed')
        Q.clear_queue()
        env_r, env_w = os.pipe()
        os.write(env_w, b'Fa\0Tb\0\0')
        os.close(env_w)
        p = subprocess.run(['strace', '-qq', '-e', 'trace=fsync,link,linkat,open,openat,unlink',
                            Q.bin('qmail-queue')], input=b'body\n', stdout=env_r,
                           stderr=subprocess.PIPE, env={}, cwd='/')
        os.close(env_r)
        self.assertEqual(p.returncode, 0, p.stderr)
        # musl opens with open(2), glibc with openat(AT_FDCWD, ...): one form
        text = '\n'.join(l.replace('openat(AT_FDCWD, ', 'open(')
                         for l in p.stderr.decode().splitlines()
                         if l.startswith(('fsync', 'link', 'open', 'unlink')) and 'lib' not in l)
        steps = [r'open\("pid/', r'link\("pid/.*", "mess/', r'unlink\("pid/',
                 r'fsync\(', r'open\("mess/\d+", O_RDONLY\|.*O_DIRECTORY', r'fsync\(',
                 r'open\("intd/', r'fsync\(', r'link\("intd/\d+", "todo/\d+"',
                 r'open\("todo", O_RDONLY\|.*O_DIRECTORY', r'fsync\(']
        pos = 0
        for step in steps:
            m = re.compile(step).search(text, pos)
            self.assertTrue(m, 'missing %s after offset %d in\n%s' % (step, pos, text))
            pos = m.end()


class BigInputs(unittest.TestCase):
    def setUp(self):
        Q.clear_queue()

    def tearDown(self):
        Q.clear_queue()

    def run_measured(self, stdin_cmd, envelope):
        """Run qmail-queue; return its exit code and its peak resident
        memory in KiB, read from /proc while it waits for the envelope's
        last byte (after exec, so the forking Python's pages don't count)."""
        env_r, env_w = os.pipe()
        feeder = subprocess.Popen(stdin_cmd, stdout=subprocess.PIPE)
        p = subprocess.Popen([Q.bin('qmail-queue')], stdin=feeder.stdout, stdout=env_r,
                             env={}, cwd='/')
        feeder.stdout.close()
        os.close(env_r)
        written = 0
        while written < len(envelope) - 1:
            written += os.write(env_w, envelope[written:len(envelope) - 1][:65536])
        deadline = time.time() + 600
        while not os.listdir(os.path.join(Q.queue, 'intd')):
            self.assertLess(time.time(), deadline)
            time.sleep(0.05)
        time.sleep(0.5)
        with open('/proc/%d/status' % p.pid) as f:
            hwm = int(re.search(r'VmHWM:\s+(\d+) kB', f.read()).group(1))
        os.write(env_w, envelope[-1:])
        os.close(env_w)
        p.wait(timeout=600)
        feeder.wait()
        return p.returncode, hwm

    def test_hundred_thousand_recipients(self):
        envelope = b'Fs@x\0' + b''.join(b'Tuser%06d@example.org\0' % i for i in range(100000)) + b'\0'
        rc, rss_kb = self.run_measured(['printf', 'Subject: many\\n\\nhi\\n'], envelope)
        self.assertEqual(rc, 0)
        files = Q.queue_files()
        intd = [v for k, v in files.items() if k.startswith('intd/')][0]
        self.assertEqual(intd.count(b'\0T'), 100000)
        self.assertTrue(intd.endswith(b'Tuser099999@example.org\0'))
        self.assertLess(rss_kb, 8192, 'memory must not grow with the envelope')

    def test_message_over_4_gib(self):
        st = os.statvfs(Q.queue)
        if st.f_bavail * st.f_frsize < 12 * 2**30:
            self.skipTest('needs 12 GiB of free disk')
        size = 2**32 + 1
        rc, rss_kb = self.run_measured(['head', '-c', str(size), '/dev/zero'], b'Fs@x\0Tr@y\0\0')
        self.assertEqual(rc, 0)
        mess = [os.path.join(Q.queue, 'mess', d, f) for d in os.listdir(os.path.join(Q.queue, 'mess'))
                for f in os.listdir(os.path.join(Q.queue, 'mess', d))]
        self.assertEqual(len(mess), 1)
        with open(mess[0], 'rb') as f:
            head = f.read(200)
        r = RECEIVED.match(head)
        self.assertEqual(os.path.getsize(mess[0]), r.end() + size)
        self.assertLess(rss_kb, 8192)


if __name__ == '__main__':
    unittest.main()
