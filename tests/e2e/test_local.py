"""qmail-local end to end, run as a real user (qltest1, created if
missing and left in place): Maildir, mbox and program deliveries read back
byte for byte, the program environment, exit-code mapping, forwarding into
the scratch queue with the owner- rule, .qmail lookup order, loop
detection, the permission checks, -n output, usage errors, and header
lines far longer than any buffer."""
import fcntl
import mailbox
import os
import re
import stat
import threading
import time
import unittest

from harness import Q, TEST_USER as USER, UserHomeCase

DOMAIN = 'example.org'
SORRY = b'Sorry, no mailbox here by that name. (#5.1.1)\n'
LOOPING = b'This message is looping: it already has my Delivered-To line. (#5.4.6)\n'
USAGE = (b'qmail-local: usage: qmail-local [ -nN ] user homedir local dash ext '
         b'domain sender aliasempty\n')
FROM_LINE = re.compile(rb'^From (\S+) (Sun|Mon|Tue|Wed|Thu|Fri|Sat) '
                       rb'(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) '
                       rb'[0123]\d \d\d:\d\d:\d\d \d{4}\n')
MSG = (b'From: someone@example.net\nSubject: test\n\n'
       b'From the start\n>From quoted\n>>From twice\nnot From here\nlast line\n')


def patrn():
    with open(os.path.join(Q.tree, 'conf-patrn')) as f:
        return int(f.readline(), 8)


class Local(UserHomeCase):
    scratch_prefix = 'local-'

    # ---- helpers ----

    def maildir(self, name='Maildir'):
        self.mkdirs(*(name + sub for sub in ('', '/tmp', '/new', '/cur')))

    def local(self, local=USER, dash='', ext='', sender='sender@example.net',
              aliasempty='./Mailbox', message=MSG, opts=(), home=None, args=None, stdin_pipe=False,
              vmem_kb=None):
        """Run qmail-local as USER with message on a seekable fd 0 (and at
        most vmem_kb of address space, if given)."""
        if args is None:
            args = list(opts) + [USER, home or self.home, local, dash, ext, DOMAIN, sender, aliasempty]
        if stdin_pipe:
            return Q.run([Q.bin('qmail-local')] + args, input=message, user=USER)
        return self.run_qmail_local(args, message, vmem_kb)

    def ok(self, r, out=b'did 1+0+0\n'):
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, out, b''))

    def fails(self, r, code, text):
        self.assertEqual((r.returncode, r.stdout, r.stderr), (code, text, b''))

    def maildir_messages(self, name='Maildir'):
        md = mailbox.Maildir(self.path(name), factory=None, create=False)
        return [md.get_bytes(k) for k in sorted(md.keys())]

    def head(self, sender=b'sender@example.net', local=USER.encode()):
        return b'Return-Path: <' + sender + b'>\nDelivered-To: ' + local + b'@example.org\n'

    # ---- Maildir ----

    def test_maildir_exact_bytes(self):
        self.maildir()
        self.write('.qmail', './Maildir/\n')
        before = int(time.time())
        r = self.local()
        self.ok(r)
        self.assertEqual(self.maildir_messages(), [self.head() + MSG])
        self.assertEqual(os.listdir(self.path('Maildir/tmp')), [])
        name = os.listdir(self.path('Maildir/new'))[0]
        m = re.match(r'^(\d+)\.(\d+)\.(.+)$', name)
        self.assertTrue(m, name)
        self.assertTrue(before <= int(m.group(1)) <= time.time())
        st = os.stat(self.path('Maildir/new/' + name))
        self.assertEqual((st.st_uid, stat.S_IMODE(st.st_mode)), (self.pw.pw_uid, 0o600))

    def test_maildir_from_aliasempty(self):
        self.maildir()
        self.ok(self.local(aliasempty='./Maildir/'))
        self.assertEqual(self.maildir_messages(), [self.head() + MSG])
        # an empty .qmail means aliasempty too
        self.write('.qmail', b'')
        self.ok(self.local(aliasempty='./Maildir/'))
        self.assertEqual(len(self.maildir_messages()), 2)

    def test_maildir_binary_partial_line(self):
        self.maildir()
        self.write('.qmail', './Maildir/')  # no newline at the end either
        msg = b'Subject: x\n\n\x00\xff\r\nno newline at end'
        self.ok(self.local(message=msg))
        self.assertEqual(self.maildir_messages(), [self.head() + msg])

    def test_maildir_missing(self):
        self.write('.qmail', './nothere/\n')
        self.fails(self.local(), 111, b'Unable to chdir to maildir. (#4.2.1)\n')
        self.maildir('broken')
        os.rmdir(self.path('broken/tmp'))
        self.write('.qmail', './broken/\n')
        self.fails(self.local(), 111, b'Temporary error on maildir delivery. (#4.3.0)\n')

    def test_maildir_not_a_searchable_directory(self):
        # what chdir into the maildir would refuse
        self.write('plainfile', b'x')
        self.write('.qmail', './plainfile/\n')
        self.fails(self.local(), 111, b'Unable to chdir to maildir. (#4.2.1)\n')
        self.maildir('locked')
        os.chmod(self.path('locked'), 0o600)
        self.write('.qmail', './locked/\n')
        self.fails(self.local(), 111, b'Unable to chdir to maildir. (#4.2.1)\n')
        self.assertEqual(os.listdir(self.path('locked/new')), [])

    def test_maildir_twice_then_mbox(self):
        # one qmail-local delivers twice into one maildir (two names, the
        # second taken after the first is in new/), then to a relative
        # mbox path, still relative to the home directory
        self.maildir()
        self.write('.qmail', './Maildir/\n./Maildir/\n./Mailbox\n')
        self.ok(self.local(), b'did 3+0+0\n')
        self.assertEqual(self.maildir_messages(), [self.head() + MSG] * 2)
        self.assertEqual(len(set(os.listdir(self.path('Maildir/new')))), 2)
        self.assertEqual(os.listdir(self.path('Maildir/tmp')), [])
        self.assertTrue(self.read('Mailbox').startswith(b'From sender@example.net '))
        self.assertFalse(os.path.exists(self.path('Maildir/Mailbox')))

    # ---- mbox ----

    def test_mbox_exact_bytes(self):
        self.write('.qmail', './Mailbox\n')
        self.ok(self.local(sender='a b\tc@example.net'))
        partial = b'Subject: p\n\nno end'
        self.ok(self.local(sender='', message=partial))
        data = self.read('Mailbox')
        m = FROM_LINE.match(data)
        self.assertTrue(m, data[:100])
        self.assertEqual(m.group(1), b'a-b-c@example.net')
        first = (m.group(0) + b'Return-Path: <"a b\tc"@example.net>\n'
                 b'Delivered-To: qltest1@example.org\n'
                 b'From: someone@example.net\nSubject: test\n\n'
                 b'>From the start\n>>From quoted\n>>>From twice\nnot From here\nlast line\n\n')
        self.assertEqual(data[:len(first)], first)
        rest = data[len(first):]
        m2 = FROM_LINE.match(rest)
        self.assertTrue(m2, rest)
        self.assertEqual(m2.group(1), b'MAILER-DAEMON')
        self.assertEqual(rest[m2.end():], b'Return-Path: <>\nDelivered-To: qltest1@example.org\n'
                         + partial + b'\n\n')
        st = os.stat(self.path('Mailbox'))
        self.assertEqual((st.st_uid, stat.S_IMODE(st.st_mode)), (self.pw.pw_uid, 0o600))

    def test_mbox_quoting_edges(self):
        self.write('.qmail', './Mailbox\n')
        body = (b'From \n' b'From\n' b'Fro\n' b'>From\n' b'>>>>\n' b'>\n' b'\n' b' From x\n'
                b'>>>From y\n' b'>F\n' b'From')
        self.ok(self.local(message=body))
        data = self.read('Mailbox')
        data = data[FROM_LINE.match(data).end():]
        self.assertEqual(data, self.head() + b'>From \n' b'From\n' b'Fro\n' b'>From\n' b'>>>>\n'
                         b'>\n' b'\n' b' From x\n' b'>>>>From y\n' b'>F\n' b'From\n\n')
        # a partial last line that is a whole From_
        os.unlink(self.path('Mailbox'))
        self.ok(self.local(message=b'>>From '))
        data = self.read('Mailbox')
        self.assertEqual(data[FROM_LINE.match(data).end():], self.head() + b'>>>From \n\n')

    def test_mbox_open_failure(self):
        self.write('.qmail', './nodir/Mailbox\n')
        self.fails(self.local(), 111,
                   b'Unable to open ./nodir/Mailbox: file does not exist. (#4.2.1)\n')

    def test_mbox_waits_for_lock(self):
        self.write('.qmail', './Mailbox\n')
        self.write('Mailbox', b'')
        fd = os.open(self.path('Mailbox'), os.O_RDWR)
        fcntl.flock(fd, fcntl.LOCK_EX)
        timer = threading.Timer(1.5, lambda: os.close(fd))
        timer.start()
        start = time.time()
        self.ok(self.local())
        timer.join()
        self.assertGreaterEqual(time.time() - start, 1.0)
        self.assertTrue(self.read('Mailbox').startswith(b'From sender@example.net '))

    def test_mbox_lock_timeout(self):
        self.write('.qmail', './Mailbox\n')
        self.write('Mailbox', b'old contents\n')
        fd = os.open(self.path('Mailbox'), os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            start = time.time()
            self.fails(self.local(), 111, b'File has been locked for 30 seconds straight. (#4.3.0)\n')
            self.assertGreaterEqual(time.time() - start, 29)
        finally:
            os.close(fd)
        self.assertEqual(self.read('Mailbox'), b'old contents\n')

    # ---- programs ----

    def environment(self, name='env.out'):
        env = {}
        for item in self.read(name).split(b'\0')[:-1]:
            k, _, v = item.partition(b'=')
            env[k.decode()] = v
        return env

    def test_program_environment(self):
        # /proc/$$/environ is exactly what sh was started with
        self.write('.qmail-foo:bar-default', '|cat /proc/$$/environ > env.out\n')
        self.write('.qmail-foo:bar-x-y-z-owner', b'')
        r = self.local(local='qltest1-Foo.Bar-x-y-z', dash='-', ext='Foo.Bar-x-y-z',
                       sender='s@x.example')
        self.ok(r, b'did 0+0+1\n')
        env = self.environment()
        ufline = env.pop('UFLINE')
        self.assertTrue(FROM_LINE.match(ufline) and ufline.startswith(b'From s@x.example '), ufline)
        self.assertTrue(ufline.endswith(b'\n'))
        self.assertEqual(env, {
            'PATH': b'/usr/bin:/bin',
            'USER': b'qltest1',
            'HOME': self.home.encode(),
            'LOCAL': b'qltest1-Foo.Bar-x-y-z',
            'HOST': b'example.org',
            'HOST2': b'example',
            'HOST3': b'example',
            'HOST4': b'example',
            'RECIPIENT': b'qltest1-Foo.Bar-x-y-z@example.org',
            'SENDER': b's@x.example',
            'NEWSENDER': b'qltest1-Foo.Bar-x-y-z-owner@example.org',
            'DTLINE': b'Delivered-To: qltest1-Foo.Bar-x-y-z@example.org\n',
            'RPLINE': b'Return-Path: <s@x.example>\n',
            'EXT': b'Foo.Bar-x-y-z',
            'EXT2': b'x-y-z',
            'EXT3': b'y-z',
            'EXT4': b'z',
            'DEFAULT': b'x-y-z',
        })

    def test_program_environment_hosts_and_short_ext(self):
        self.write('.qmailab', '|cat /proc/$$/environ > env.out\n')  # dash '', ext ab
        r = self.local(local='u', dash='', ext='ab', sender='',
                       args=[USER, self.home, 'u', '', 'ab', 'mx.dept.example.com', '', './Mailbox'])
        self.ok(r, b'did 0+0+1\n')
        env = self.environment()
        self.assertEqual([env[k] for k in ('HOST', 'HOST2', 'HOST3', 'HOST4')],
                         [b'mx.dept.example.com', b'mx.dept.example', b'mx.dept', b'mx'])
        self.assertEqual([env[k] for k in ('EXT', 'EXT2', 'EXT3', 'EXT4')], [b'ab', b'', b'', b''])
        self.assertEqual(env['NEWSENDER'], b'')
        self.assertEqual(env['RPLINE'], b'Return-Path: <>\n')
        self.assertTrue(env['UFLINE'].startswith(b'From MAILER-DAEMON '))
        self.assertNotIn('DEFAULT', env)

    def test_program_gets_plain_message_each_time(self):
        self.maildir()
        self.write('.qmail', '|cat > one\n./Maildir/\n|cat > two\n./Mailbox\n| cat > three \n')
        r = self.local()
        self.ok(r, b'did 2+0+3\n')
        for name in ('one', 'two', 'three'):
            self.assertEqual(self.read(name), MSG)
        self.assertEqual(self.maildir_messages(), [self.head() + MSG])
        data = self.read('Mailbox')
        self.assertTrue(data.endswith(b'last line\n\n'))

    def test_program_runs_in_home(self):
        self.write('.qmail', '|pwd > where; echo to-report; echo err >&2\n')
        r = self.local()
        self.assertEqual((r.stdout, r.stderr), (b'to-report\ndid 0+0+1\n', b'err\n'))
        self.assertEqual(self.read('where'), self.home.encode() + b'\n')

    def test_program_exit_codes(self):
        for code in (0, 99, 100, 64, 65, 70, 76, 77, 78, 112, 111, 1, 63, 66, 75, 98, 101, 113, 255):
            self.write('.qmail', '|echo said %d; exit %d\n|touch second\n' % (code, code))
            r = self.local()
            want = {0: 0, 99: 0}.get(code, 100 if code in (64, 65, 70, 76, 77, 78, 100, 112) else 111)
            self.assertEqual(r.returncode, want, code)
            out = b'said %d\n' % code
            if want == 0:
                out += b'did 0+0+%d\n' % (1 if code == 99 else 2)
            self.assertEqual(r.stdout, out, code)
            self.assertEqual(os.path.exists(self.path('second')), code == 0, code)
            if code == 0:
                os.unlink(self.path('second'))

    def test_program_crash(self):
        self.write('.qmail', '|kill -SEGV $$\n')
        self.fails(self.local(), 111, b'Aack, child crashed. (#4.3.0)\n')

    def test_exit99_keeps_earlier_forwards(self):
        self.write('.qmail', '&before@example.net\n|exit 99\n&after@example.net\n./Mailbox\n')
        r = self.local()
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, rb'^did 0\+1\+1\nqp \d+\n$')
        q = self.queued()
        self.assertEqual(len(q), 1)
        self.assertEqual([f for f in q[0][0] if f[:1] == b'T'], [b'Tbefore@example.net'])
        self.assertFalse(os.path.exists(self.path('Mailbox')))

    # ---- forwarding ----

    def test_forward(self):
        self.write('.qmail', '&first@example.net\nsecond@example.com\n# not this\n')
        r = self.local(sender='orig@example.net')
        self.assertEqual(r.returncode, 0, r.stdout)
        m = re.match(rb'^did 0\+2\+0\nqp (\d+)\n$', r.stdout)
        self.assertTrue(m, r.stdout)
        q = self.queued()
        self.assertEqual(len(q), 1)
        fields, mess = q[0]
        self.assertEqual(fields, [b'u%d' % self.pw.pw_uid, b'p' + m.group(1), b'Forig@example.net',
                                  b'Tfirst@example.net', b'Tsecond@example.com'])
        rcv = re.match(rb'^Received: \(qmail (\d+) invoked by uid (\d+)\); [^\n]*\n', mess)
        self.assertTrue(rcv, mess[:200])
        self.assertEqual(rcv.group(1), m.group(1))
        self.assertEqual(int(rcv.group(2)), self.pw.pw_uid)
        # Delivered-To added, Return-Path not
        self.assertEqual(mess[rcv.end():], b'Delivered-To: qltest1@example.org\n' + MSG)

    def test_forward_owner_rule(self):
        self.write('.qmail-list', '&member@example.net\n')
        cases = [
            ([], 'orig@example.net', b'Forig@example.net'),
            (['.qmail-list-owner'], 'orig@example.net', b'Fqltest1-list-owner@example.org'),
            (['.qmail-list-owner', '.qmail-list-owner-default'], 'orig@example.net',
             b'Fqltest1-list-owner-@example.org-@[]'),
            (['.qmail-list-owner'], '', b'F'),
            (['.qmail-list-owner'], '#@[]', b'F#@[]'),
            (['.qmail-list-owner-default'], 'orig@example.net', b'Forig@example.net'),
        ]
        for files, sender, want in cases:
            for f in ('.qmail-list-owner', '.qmail-list-owner-default'):
                if os.path.exists(self.path(f)):
                    os.unlink(self.path(f))
            for f in files:
                self.write(f, b'')
            Q.clear_queue()
            r = self.local(local='qltest1-list', dash='-', ext='list', sender=sender)
            self.assertEqual(r.returncode, 0, (files, sender, r.stdout))
            q = self.queued()
            self.assertEqual(len(q), 1)
            self.assertEqual(q[0][0][2], want, (files, sender))

    def test_forward_after_everything_else(self):
        self.write('.qmail', '&a@example.net\n./nodir/box\n')
        r = self.local()
        self.assertEqual(r.returncode, 111)
        self.assertEqual(self.queued(), [])

    def test_forward_refused_by_queue(self):
        self.write('.qmail', '&' + 'x' * 1100 + '@example.net\n')
        self.fails(self.local(), 100,
                   b'Unable to forward message: envelope address too long for qq (#5.1.3).\n')
        self.assertEqual(self.queued(), [])

    def test_forward_only_x_bit(self):
        self.write('.qmail', '&a@example.net\n', mode=0o744)
        r = self.local()
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertEqual(len(self.queued()), 1)
        for line, kind in (('./Mailbox', b'file'), ('./Maildir/', b'file'), ('|true', b'prog')):
            self.write('.qmail', '&a@example.net\n' + line + '\n', mode=0o744)
            Q.clear_queue()
            self.fails(self.local(), 111,
                       b'Uh-oh: .qmail has ' + kind + b' delivery but has x bit set. (#4.7.0)\n')
            self.assertEqual(self.queued(), [])
        # aliasempty is not subject to the x bit of an empty .qmail
        self.write('.qmail', b'', mode=0o744)
        self.ok(self.local())

    # ---- lookup ----

    def which(self, ext, local=None):
        r = self.local(local=local or 'qltest1-' + ext, dash='-', ext=ext, opts=['-n'])
        return r.returncode, r.stdout

    def test_lookup_order(self):
        for name in ('.qmail-a-b-c', '.qmail-a-b-default', '.qmail-a-default', '.qmail-default'):
            self.write(name, '&%s@example.net\n' % name[1:])
        self.assertEqual(self.which('a-b-c'), (0, b'forward qmail-a-b-c@example.net\ndid 0+1+0\n'))
        self.assertEqual(self.which('a-b-d'), (0, b'forward qmail-a-b-default@example.net\ndid 0+1+0\n'))
        self.assertEqual(self.which('a-x'), (0, b'forward qmail-a-default@example.net\ndid 0+1+0\n'))
        self.assertEqual(self.which('b'), (0, b'forward qmail-default@example.net\ndid 0+1+0\n'))
        os.unlink(self.path('.qmail-default'))
        self.assertEqual(self.which('b'), (100, SORRY))
        self.assertEqual(self.which('a-b-c-d'), (0, b'forward qmail-a-b-default@example.net\ndid 0+1+0\n'))

    def test_lookup_case_and_dots(self):
        self.write('.qmail-joe:smith', '&dots@example.net\n')
        self.assertEqual(self.which('Joe.Smith'), (0, b'forward dots@example.net\ndid 0+1+0\n'))
        self.assertEqual(self.which('JOE:SMITH'), (0, b'forward dots@example.net\ndid 0+1+0\n'))
        self.assertEqual(self.which('joe..smith'), (100, SORRY))
        self.assertEqual(self.which('../etc'), (100, SORRY))

    def test_default_variable(self):
        self.write('.qmail-foo-default', '|printf %s "$DEFAULT" > default.out\n')
        self.ok(self.local(local='qltest1-foo-Bar.Baz', dash='-', ext='Foo-Bar.Baz'), b'did 0+0+1\n')
        self.assertEqual(self.read('default.out'), b'Bar.Baz')

    def test_no_mailbox(self):
        self.fails(self.local(local='qltest1-nope', dash='-', ext='nope'), 100, SORRY)
        # with dash empty a missing .qmail means aliasempty
        self.ok(self.local(dash='', ext=''))
        self.assertTrue(os.path.exists(self.path('Mailbox')))

    def test_qmail_not_regular_file_skipped(self):
        os.mkdir(self.path('.qmail-dir'))
        self.write('.qmail-default', '&fallback@example.net\n')
        self.assertEqual(self.which('dir'), (0, b'forward fallback@example.net\ndid 0+1+0\n'))

    # ---- loops ----

    def test_delivered_to_loop(self):
        self.write('.qmail', './Mailbox\n')
        msg = b'Received: x\nDelivered-To: qltest1@example.org\nSubject: y\n\nbody\n'
        self.fails(self.local(message=msg), 100, LOOPING)
        self.assertFalse(os.path.exists(self.path('Mailbox')))
        for harmless in (b'Subject: y\n\nDelivered-To: qltest1@example.org\n',   # in the body
                         b'Delivered-To: QLTEST1@example.org\n\n',               # case differs
                         b'Delivered-To: qltest1@example.org \n\n',              # extra space
                         b'Delivered-To: other@example.org\n\n',
                         b'Delivered-To: qltest1@example.org'):                   # no newline
            self.ok(self.local(message=harmless))
        # -n does not read the message
        r = self.local(message=msg, opts=['-n'])
        self.assertEqual((r.returncode, r.stdout), (0, b'mbox ./Mailbox\ndid 1+0+0\n'))

    def test_huge_header_line(self):
        self.maildir()
        self.write('.qmail', './Maildir/\n./Mailbox\n')
        long_line = b'X-Long: ' + b'a' * 200000 + b'\n'
        msg = b'Subject: big\n' + long_line + b'X-After: 1\n\nbody\n'
        self.ok(self.local(message=msg), b'did 2+0+0\n')
        self.assertEqual(self.maildir_messages(), [self.head() + msg])
        data = self.read('Mailbox')
        self.assertEqual(data[FROM_LINE.match(data).end():], self.head() + msg + b'\n')
        # the loop check still scans past it
        looping = b'Subject: big\n' + long_line + b'Delivered-To: qltest1@example.org\n\nbody\n'
        self.fails(self.local(message=looping), 100, LOOPING)
        # a huge line that is all header, no newline anywhere
        self.ok(self.local(message=b'X: ' + b'b' * 300000), b'did 2+0+0\n')
        # a long run of '>' before From in an mbox
        os.unlink(self.path('Mailbox'))
        body = b'\n' + b'>' * 100000 + b'From x\n'
        self.ok(self.local(message=body), b'did 2+0+0\n')
        data = self.read('Mailbox')
        self.assertEqual(data[FROM_LINE.match(data).end():], self.head() + b'\n>' + body[1:] + b'\n')

    def test_memory_is_bounded(self):
        # A 48 MB header line with 32 MB of address space: qmail-local
        # never holds a line (qmail-1.03 did, and overflowed at 4 GB).
        self.write('.qmail', './Mailbox\n')
        line = b'X-Huge: ' + b'c' * (48 << 20) + b'\n'
        self.fails(self.local(message=line + b'Delivered-To: qltest1@example.org\n\nbody\n',
                              vmem_kb=32768), 100, LOOPING)
        msg = line + b'\n' + b'>' * (8 << 20) + b'From x\n'
        self.ok(self.local(message=msg, vmem_kb=32768))
        data = self.read('Mailbox')
        end = FROM_LINE.match(data).end()
        self.assertEqual(len(data), end + len(self.head()) + len(msg) + 2)
        self.assertTrue(data[end:].startswith(self.head() + line + b'\n>>>>'))
        self.assertTrue(data.endswith(b'>>>From x\n\n'))

    def test_very_long_header(self):
        self.maildir()
        self.write('.qmail', './Maildir/\n')
        header = b''.join(b'X-H%d: %s\n' % (i, b'v' * 100) for i in range(30000))
        msg = header + b'\nbody\n'
        self.ok(self.local(message=msg))
        self.assertEqual(self.maildir_messages(), [self.head() + msg])

    # ---- permissions and .qmail problems ----

    def test_home_writable(self):
        self.write('.qmail', './Mailbox\n')
        bits = patrn()
        os.chmod(self.home, 0o755 | bits)
        self.fails(self.local(), 111, b'Uh-oh: home directory is writable. (#4.7.0)\n')
        ok_bits = 0o022 & ~bits
        if ok_bits:
            os.chmod(self.home, 0o755 | ok_bits)
            self.ok(self.local())

    def test_home_sticky(self):
        self.write('.qmail', './Mailbox\n')
        os.chmod(self.home, 0o1755)
        self.fails(self.local(), 111,
                   b'Home directory is sticky: user is editing his .qmail file. (#4.2.1)\n')
        self.assertFalse(os.path.exists(self.path('Mailbox')))
        r = self.local(opts=['-n'])
        self.assertEqual((r.returncode, r.stdout),
                         (0, b'Warning: home directory is sticky.\nmbox ./Mailbox\ndid 1+0+0\n'))

    def test_qmail_writable(self):
        self.write('.qmail', './Mailbox\n', mode=0o644 | patrn())
        self.fails(self.local(), 111, b'Uh-oh: .qmail file is writable. (#4.7.0)\n')
        self.write('.qmail-default', './Mailbox\n', mode=0o644 | patrn())
        self.fails(self.local(local='qltest1-x', dash='-', ext='x'), 111,
                   b'Uh-oh: .qmail file is writable. (#4.7.0)\n')

    def test_qmail_unreadable(self):
        self.write('.qmail-x', './Mailbox\n', mode=0o000)
        self.fails(self.local(local='qltest1-x', dash='-', ext='x'), 111,
                   b'Unable to open .qmail-x: access denied. (#4.3.0)\n')

    def test_blank_first_line(self):
        for text in ('\n./Mailbox\n', ' \t\n./Mailbox\n'):
            self.write('.qmail', text)
            self.fails(self.local(), 111, b'Uh-oh: first line of .qmail file is blank. (#4.2.1)\n')
        # blank lines later are fine; trailing white space is stripped
        self.write('.qmail', '# c\n\n  \n./Mailbox \t \n')
        self.ok(self.local())
        self.assertTrue(os.path.exists(self.path('Mailbox')))

    def test_home_missing(self):
        missing = os.path.join(self.top, 'missing')
        self.fails(self.local(home=missing), 111,
                   b'Unable to switch to ' + missing.encode() + b': file does not exist. (#4.3.0)\n')

    def test_not_seekable(self):
        self.write('.qmail', './Mailbox\n')
        self.fails(self.local(stdin_pipe=True), 111, b'Unable to rewind message. (#4.3.0)\n')

    # ---- -n and usage ----

    def test_n_mode(self):
        self.write('.qmail', '# comment\n|preline prog arg \n&fwd@example.net\nplain@example.com\n'
                   './Mailbox\n./Maildir/\n/abs/box\n')
        r = self.local(opts=['-n'])
        self.assertEqual((r.returncode, r.stderr), (0, b''))
        self.assertEqual(r.stdout, b'program preline prog arg\nforward fwd@example.net\n'
                         b'forward plain@example.com\nmbox ./Mailbox\nmaildir ./Maildir/\n'
                         b'mbox /abs/box\ndid 3+2+1\n')
        self.assertEqual(sorted(os.listdir(self.home)), ['.qmail'])
        self.assertEqual(self.queued(), [])
        # -N after -n delivers; -nN in one argument too
        r = self.local(opts=['-n', '-N'])
        self.assertEqual(r.returncode, 111)  # preline is not installed here: exits 127
        r = self.local(opts=['-Nn'])
        self.assertEqual(r.returncode, 0)
        # aliasempty when there is no .qmail
        os.unlink(self.path('.qmail'))
        r = self.local(opts=['-n'], aliasempty='./Maildir/\n|two lines')
        self.assertEqual(r.stdout, b'maildir ./Maildir/\nprogram two lines\ndid 1+0+1\n')

    def test_usage(self):
        base = [USER, self.home, USER, '', '', DOMAIN, 's@x', './Mailbox']
        for args in ([], base[:7], base + ['extra'], ['-x'] + base,
                     [USER, 'relative/home'] + base[2:]):
            self.fails(self.local(args=args), 100, USAGE)
        # "--" ends the options: a sender or local part starting with '-' is data
        self.write('.qmail', '&a@example.net\n')
        r = self.local(args=['-n', '--', USER, self.home, '-n', '', '', DOMAIN, '-N', './Mailbox'])
        self.assertEqual((r.returncode, r.stdout), (0, b'forward a@example.net\ndid 0+1+0\n'))

    def test_return_path_quoting(self):
        self.write('.qmail', './Maildir/\n')
        self.maildir()
        cases = [
            ('plain@example.net', b'plain@example.net'),
            ('a b@example.net', b'"a b"@example.net'),
            ('a"b\\c@example.net', b'"a\\"b\\\\c"@example.net'),
            ('a\nb@example.net', b'"a\\_b"@example.net'),
            ('.dot@example.net', b'".dot"@example.net'),
            ('do..t@example.net', b'"do..t"@example.net'),
            ('d.o.t@example.net', b'd.o.t@example.net'),
            ('@example.net', b'""@example.net'),
            ('x@y@example.net', b'"x@y"@example.net'),
            ('noat', b'noat'),
            ('no at', b'"no at"'),
            ("!#$%&'*+-/=?^_`{|}~@example.net", b"!#$%&'*+-/=?^_`{|}~@example.net"),
        ]
        for sender, quoted in cases:
            self.ok(self.local(sender=sender))
        got = [m.split(b'\n', 1)[0] for m in self.maildir_messages()]
        # maildir names sort by time then pid: order is delivery order within a second at most
        self.assertEqual(sorted(got), sorted(b'Return-Path: <' + q + b'>' for _, q in cases))

    def test_delivered_to_newline(self):
        self.maildir()
        self.write('.qmail', './Maildir/\n')
        self.ok(self.local(local='qltest1\nX-Evil: 1'))
        self.assertEqual(self.maildir_messages()[0].split(b'\n')[1],
                         b'Delivered-To: qltest1_X-Evil: 1@example.org')


if __name__ == '__main__':
    unittest.main()
