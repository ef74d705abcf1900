"""The .qmail tools end to end, run as a real user (qltest1, created if
missing and left in place) against the scratch installation: except,
bouncesaying, condredirect, forward, preline, maildirmake, maildir2mbox,
maildirwatch, qbiff and qreceipt with their exact outputs and exit codes,
the messages they queue, several of them from a .qmail file through
qmail-local, and the boot scripts' qmail-start command lines."""
import calendar
import fcntl
import mailbox
import os
import re
import select
import shutil
import stat
import struct
import subprocess
import time
import tty
import unittest

from harness import Q, REPO, TEST_USER as USER, UserHomeCase

DOMAIN = 'example.org'
MSG = (b'From: Someone <someone@example.net>\nSubject: tools test\n\n'
       b'From the start\n>From quoted\nlast line\n')
FROM_LINE = re.compile(rb'^From (\S+) (Sun|Mon|Tue|Wed|Thu|Fri|Sat) '
                       rb'(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) '
                       rb'[ 0123]\d \d\d:\d\d:\d\d \d{4}\n')
RECEIVED = re.compile(rb'^Received: \(qmail (\d+) invoked by uid (\d+)\); [^\n]*\n')
DTLINE = 'Delivered-To: qltest1@example.org\n'
with open(os.path.join(Q.tree, 'conf-groups')) as _f:
    GROUP = _f.readline().strip()  # the queue group, every installed file's group
TOOLS = ['forward', 'condredirect', 'bouncesaying', 'except', 'preline', 'maildirmake',
         'maildir2mbox', 'maildirwatch', 'qbiff', 'qreceipt']


def ctime(t):
    """qmail's From_ line date for t: ctime() form, GMT."""
    return time.strftime('%a %b %d %H:%M:%S %Y', time.gmtime(t)).encode()


class Tools(UserHomeCase):
    scratch_prefix = 'tools-'

    # ---- helpers ----

    def run_tool(self, argv, message=MSG, env=None, seekable=True, cwd=None, timeout=60):
        """Run a tool as USER in the home directory with message on fd 0 (a
        file when seekable, as qmail-local gives it, else a pipe)."""
        argv = list(argv)
        if '/' not in argv[0]:
            argv[0] = Q.bin(argv[0])
        if not seekable:
            return Q.run(argv, input=message, env=env, user=USER, cwd=cwd or self.home,
                         timeout=timeout)
        return self.run_with_message_file(argv, message, env=env, cwd=cwd or self.home, timeout=timeout)

    def local(self, message=MSG, sender='sender@example.net'):
        """qmail-local for USER (no extension) with message on a file."""
        return self.run_qmail_local([USER, self.home, USER, '', '', DOMAIN, sender, './Mailbox'], message)

    def result(self, r, code, stdout=b'', stderr=b''):
        self.assertEqual((r.returncode, r.stdout, r.stderr), (code, stdout, stderr))

    def qp(self, r, name, code):
        """Check the "NAME: qp N" report and return N."""
        self.assertEqual(r.returncode, code, r.stderr)
        m = re.match(rb'^%s: qp (\d+)\n$' % name.encode(), r.stderr)
        self.assertTrue(m, r.stderr)
        self.assertEqual(r.stdout, b'')
        return m.group(1)

    def check_queued(self, qp, sender, recipients, message):
        q = self.queued()
        self.assertEqual(len(q), 1)
        fields, mess = q[0]
        self.assertEqual(fields, [b'u%d' % self.pw.pw_uid, b'p' + qp, b'F' + sender]
                         + [b'T' + r for r in recipients])
        m = RECEIVED.match(mess)
        self.assertTrue(m, mess[:200])
        self.assertEqual((m.group(1), int(m.group(2))), (qp, self.pw.pw_uid))
        self.assertEqual(mess[m.end():], message)

    # ---- installation ----

    def test_installed(self):
        for name in TOOLS:
            st = os.stat(Q.bin(name))
            self.assertEqual((st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)),
                             (0, Q.gid(GROUP), 0o755), name)

    # ---- except ----

    def test_except(self):
        fatal = b'except: fatal: '
        self.result(self.run_tool(['except', 'true']), 100)
        self.result(self.run_tool(['except', 'false']), 0)
        self.result(self.run_tool(['except', 'sh', '-c', 'exit 100']), 0)
        self.result(self.run_tool(['except', 'sh', '-c', 'exit 99']), 0)
        self.result(self.run_tool(['except', 'sh', '-c', 'exit 111']), 111, b'',
                    fatal + b'temporary child error\n')
        self.result(self.run_tool(['except', 'sh', '-c', 'kill -9 $$']), 111, b'',
                    fatal + b'child crashed\n')
        self.result(self.run_tool(['except', '/nonexistent/program']), 0)
        self.result(self.run_tool(['except']), 100, b'',
                    b'except: usage: except program [ arg ... ]\n')
        # the program gets the message and the output
        self.result(self.run_tool(['except', 'sh', '-c', 'cat; echo err >&2; exit 3']), 0,
                    MSG, b'err\n')
        self.result(self.run_tool(['except', 'grep', '-q', 'tools test']), 100)

    # ---- bouncesaying ----

    def test_bouncesaying(self):
        text = 'This address no longer accepts mail.'
        self.result(self.run_tool(['bouncesaying', text]), 100, b'', text.encode() + b'\n')
        self.result(self.run_tool(['bouncesaying', text, 'grep', '-q', 'tools test']), 100, b'',
                    text.encode() + b'\n')
        self.result(self.run_tool(['bouncesaying', text, 'grep', '-q', 'absent']), 0)
        self.result(self.run_tool(['bouncesaying', text, 'sh', '-c', 'exit 111']), 111, b'',
                    b'bouncesaying: fatal: temporary child error\n')
        self.result(self.run_tool(['bouncesaying', text, 'sh', '-c', 'kill -9 $$']), 111, b'',
                    b'bouncesaying: fatal: child crashed\n')
        self.result(self.run_tool(['bouncesaying', text, '/nonexistent/program']), 0)
        self.result(self.run_tool(['bouncesaying']), 100, b'',
                    b'bouncesaying: usage: bouncesaying error [ program [ arg ... ] ]\n')

    def test_bouncesaying_from_qmail(self):
        self.write('.qmail', '|%s "Gone fishing." grep -q fish\n./Mailbox\n' % Q.bin('bouncesaying'))
        r = self.local(message=b'Subject: fish\n\n')
        self.assertEqual((r.returncode, r.stderr), (100, b'Gone fishing.\n'))
        self.assertFalse(os.path.exists(self.path('Mailbox')))
        r = self.local(message=b'Subject: meat\n\n')
        self.assertEqual((r.returncode, r.stdout), (0, b'did 1+0+1\n'))
        self.assertTrue(os.path.exists(self.path('Mailbox')))

    # ---- condredirect ----

    def cr_env(self, **extra):
        env = {'SENDER': 'orig@example.net', 'DTLINE': DTLINE}
        env.update(extra)
        return env

    def test_condredirect_redirects(self):
        # the program reads the whole message first: condredirect rewinds
        r = self.run_tool(['condredirect', 'new@example.com', 'grep', '-q', 'last line'],
                          env=self.cr_env())
        qp = self.qp(r, 'condredirect', 99)
        self.check_queued(qp, b'orig@example.net', [b'new@example.com'], DTLINE.encode() + MSG)

    def test_condredirect_carries_on(self):
        for argv, code, err in (
                (['grep', '-q', 'absent'], 0, b''),
                (['sh', '-c', 'exit 100'], 0, b''),
                (['/nonexistent/program'], 0, b''),
                (['sh', '-c', 'exit 111'], 111, b'condredirect: fatal: temporary child error\n'),
                (['sh', '-c', 'kill -9 $$'], 111, b'condredirect: fatal: child crashed\n')):
            r = self.run_tool(['condredirect', 'new@example.com'] + argv, env=self.cr_env())
            self.result(r, code, b'', err)
            self.assertEqual(self.queued(), [], argv)

    def test_condredirect_errors(self):
        usage = b'condredirect: usage: condredirect newaddress program [ arg ... ]\n'
        self.result(self.run_tool(['condredirect']), 100, b'', usage)
        self.result(self.run_tool(['condredirect', 'a@example.com']), 100, b'', usage)
        # the environment is looked at only once the program said yes
        self.result(self.run_tool(['condredirect', 'a@example.com', 'false']), 0)
        self.result(self.run_tool(['condredirect', 'a@example.com', 'true'], env={'DTLINE': DTLINE}),
                    100, b'', b'condredirect: fatal: SENDER not set\n')
        self.result(self.run_tool(['condredirect', 'a@example.com', 'true'],
                                  env={'SENDER': 'x@example.net'}),
                    100, b'', b'condredirect: fatal: DTLINE not set\n')
        # a message on a pipe cannot be rewound
        self.result(self.run_tool(['condredirect', 'a@example.com', 'true'], env=self.cr_env(),
                                  seekable=False),
                    111, b'', b'condredirect: fatal: unable to rewind: unseekable descriptor\n')
        self.result(self.run_tool(['condredirect', 'x' * 1100 + '@example.com', 'true'],
                                  env=self.cr_env()),
                    100, b'', b'condredirect: fatal: envelope address too long for qq (#5.1.3)\n')
        self.assertEqual(self.queued(), [])

    def test_condredirect_from_qmail(self):
        self.write('.qmail', '|%s other@example.com grep -q redirect-me\n./Mailbox\n'
                   % Q.bin('condredirect'))
        r = self.local(message=b'Subject: keep\n\n')
        self.assertEqual((r.returncode, r.stdout), (0, b'did 1+0+1\n'))
        self.assertEqual(self.queued(), [])
        os.unlink(self.path('Mailbox'))
        msg = b'Subject: redirect-me\n\nbody\n'
        r = self.local(message=msg)
        self.assertEqual((r.returncode, r.stdout), (0, b'did 0+0+1\n'))
        qp = re.match(rb'^condredirect: qp (\d+)\n$', r.stderr).group(1)
        self.check_queued(qp, b'sender@example.net', [b'other@example.com'],
                          DTLINE.encode() + msg)
        self.assertFalse(os.path.exists(self.path('Mailbox')))

    # ---- forward ----

    def test_forward(self):
        env = {'NEWSENDER': 'owner@example.org', 'DTLINE': DTLINE}
        r = self.run_tool(['forward', 'a@example.com', 'b@example.net'], env=env, seekable=False)
        qp = self.qp(r, 'forward', 0)
        self.check_queued(qp, b'owner@example.org', [b'a@example.com', b'b@example.net'],
                          DTLINE.encode() + MSG)

    def test_forward_binary_message(self):
        msg = b'Subject: x\n\n\x00\xff\r\n' + b'y' * 200000 + b'\nno newline'
        env = {'NEWSENDER': '', 'DTLINE': DTLINE}
        r = self.run_tool(['forward', 'a@example.com'], message=msg, env=env)
        qp = self.qp(r, 'forward', 0)
        self.check_queued(qp, b'', [b'a@example.com'], DTLINE.encode() + msg)

    def test_forward_errors(self):
        self.result(self.run_tool(['forward', 'a@example.com'], env={'DTLINE': DTLINE}), 100, b'',
                    b'forward: fatal: NEWSENDER not set\n')
        self.result(self.run_tool(['forward', 'a@example.com'], env={'NEWSENDER': 'x@example.org'}),
                    100, b'', b'forward: fatal: DTLINE not set\n')
        env = {'NEWSENDER': 'x@example.org', 'DTLINE': DTLINE}
        self.result(self.run_tool(['forward', 'x' * 1100 + '@example.com'], env=env), 100, b'',
                    b'forward: fatal: envelope address too long for qq (#5.1.3)\n')
        self.assertEqual(self.queued(), [])

    def test_forward_from_qmail(self):
        self.write('.qmail-owner', b'')
        self.write('.qmail', '|%s "$SENDER-copy@example.com"\n' % Q.bin('forward'))
        r = self.local(sender='orig@example.net')
        self.assertEqual((r.returncode, r.stdout), (0, b'did 0+0+1\n'))
        qp = re.match(rb'^forward: qp (\d+)\n$', r.stderr).group(1)
        self.check_queued(qp, b'qltest1-owner@example.org', [b'orig@example.net-copy@example.com'],
                          DTLINE.encode() + MSG)

    # ---- preline ----

    UFLINE = 'From orig@example.net Thu Nov 24 13:42:01 2026\n'
    RPLINE = 'Return-Path: <orig@example.net>\n'

    def pl_env(self):
        return {'UFLINE': self.UFLINE, 'RPLINE': self.RPLINE, 'DTLINE': DTLINE}

    def test_preline(self):
        uf, rp, dt = self.UFLINE.encode(), self.RPLINE.encode(), DTLINE.encode()
        for opts, head in (([], uf + rp + dt), (['-f'], rp + dt), (['-r'], uf + dt),
                           (['-d'], uf + rp), (['-frd'], b''), (['-f', '-d'], rp),
                           (['-fdD'], rp + dt), (['-fr', '-FR'], uf + rp + dt),
                           (['-f', '--'], rp + dt)):
            r = self.run_tool(['preline'] + opts + ['cat'], env=self.pl_env(), seekable=False)
            self.result(r, 0, head + MSG)
        r = self.run_tool(['preline', 'sh', '-c', 'cat > /dev/null; echo out; exit 42'],
                          env=self.pl_env())
        self.result(r, 42, b'out\n')

    def test_preline_errors(self):
        usage = b'preline: usage: preline cmd [ arg ... ]\n'
        env = self.pl_env()
        for missing in ('UFLINE', 'RPLINE', 'DTLINE'):
            partial = dict(env)
            del partial[missing]
            self.result(self.run_tool(['preline', 'cat'], env=partial), 100, b'', usage)
        self.result(self.run_tool(['preline'], env=env), 100, b'', usage)
        self.result(self.run_tool(['preline', '-f'], env=env), 100, b'', usage)
        self.result(self.run_tool(['preline', '-x', 'cat'], env=env), 100, b'',
                    b'preline: illegal option -- x\n' + usage)
        self.result(self.run_tool(['preline', '/nonexistent/cmd'], env=env), 100, b'',
                    b'preline: fatal: unable to run /nonexistent/cmd: file does not exist\n')
        self.result(self.run_tool(['preline', 'sh', '-c', 'cat >/dev/null; kill -9 $$'], env=env),
                    111, b'', b'preline: fatal: child crashed\n')
        # a command that stops reading early, with more than a buffer left
        big = b'Subject: big\n\n' + b'x' * 1000000 + b'\n'
        self.result(self.run_tool(['preline', 'true'], message=big, env=env), 111, b'',
                    b'preline: fatal: unable to copy input: broken pipe\n')

    def test_preline_from_qmail(self):
        self.write('.qmail', '|%s cat > out\n' % Q.bin('preline'))
        r = self.local(sender='orig@example.net')
        self.assertEqual((r.returncode, r.stdout), (0, b'did 0+0+1\n'))
        out = self.read('out')
        m = FROM_LINE.match(out)
        self.assertTrue(m, out[:100])
        self.assertEqual(m.group(1), b'orig@example.net')
        self.assertEqual(out[m.end():], b'Return-Path: <orig@example.net>\n' + DTLINE.encode() + MSG)

    # ---- maildirmake ----

    def test_maildirmake(self):
        # a permissive umask changes nothing
        r = Q.run(['/bin/sh', '-c', 'umask 0; exec "$@"', 'sh', Q.bin('maildirmake'), 'Maildir'],
                  user=USER, cwd=self.home)
        self.result(r, 0)
        for sub in ('', '/tmp', '/new', '/cur'):
            st = os.stat(self.path('Maildir' + sub))
            self.assertTrue(stat.S_ISDIR(st.st_mode))
            self.assertEqual((st.st_uid, stat.S_IMODE(st.st_mode)), (self.pw.pw_uid, 0o700), sub)
        self.assertEqual(sorted(os.listdir(self.path('Maildir'))), ['cur', 'new', 'tmp'])
        # qmail-local delivers into it
        self.write('.qmail', './Maildir/\n')
        self.assertEqual(self.local().returncode, 0)
        self.assertEqual(len(os.listdir(self.path('Maildir/new'))), 1)

    def test_maildirmake_errors(self):
        self.mkdirs('exists')
        self.result(self.run_tool(['maildirmake', 'exists']), 111, b'',
                    b'maildirmake: fatal: unable to mkdir exists: file already exists\n')
        self.result(self.run_tool(['maildirmake', 'no/such/dir']), 111, b'',
                    b'maildirmake: fatal: unable to mkdir no/such/dir: file does not exist\n')
        self.result(self.run_tool(['maildirmake']), 100, b'',
                    b'maildirmake: usage: maildirmake name\n')
        self.mkdirs('half')
        os.chmod(self.path('half'), 0o500)
        self.result(self.run_tool(['maildirmake', 'half/md2']), 111, b'',
                    b'maildirmake: fatal: unable to mkdir half/md2: access denied\n')

    # ---- maildir2mbox ----

    def m2m_env(self, **extra):
        env = {'MAILDIR': self.path('Maildir'), 'MAIL': self.path('Mailbox'),
               'MAILTMP': self.path('Mailbox.tmp')}
        env.update(extra)
        return env

    # Days of the month from 10 on, so the From_ lines do not depend on
    # how a day below 10 is padded.
    T0 = calendar.timegm((2026, 3, 14, 9, 26, 53))

    def fill_maildir(self):
        """Messages in new/ and cur/; return the mbox bytes they make."""
        self.mkdirs('Maildir', 'Maildir/tmp', 'Maildir/new', 'Maildir/cur')
        t = self.T0
        msgs = [
            # (name, mtime, bytes, From_ address)
            ('new/3', t + 300, b'Return-Path: <a b\tc@example.net>\nSubject: 3\n\nFrom here\n', b'a-b-c@example.net'),
            ('cur/1:2,S', t, b'Return-Path: <>\nSubject: 1\n\n>From there\n>>From x\nFrom', b'MAILER-DAEMON'),
            ('new/2', t + 86400 * 5, b'Subject: no return path\n\nbody\n', b'XXX'),
            ('new/0', t - 86400, b'', b'XXX'),
            ('cur/4', t + 86400 * 7, b'Return-Path: <x@example.com>', b'XXX'),
        ]
        for name, mtime, data, _ in msgs:
            self.write('Maildir/' + name, data, mode=0o600, mtime=mtime)
        quoted = {
            'new/3': b'Return-Path: <a b\tc@example.net>\nSubject: 3\n\n>From here\n\n',
            'cur/1:2,S': b'Return-Path: <>\nSubject: 1\n\n>>From there\n>>>From x\nFrom\n\n',
            'new/2': b'Subject: no return path\n\nbody\n\n',
            'new/0': b'\n',
            'cur/4': b'Return-Path: <x@example.com>\n\n',
        }
        out = b''
        for name, mtime, data, addr in sorted(msgs, key=lambda m: m[1]):
            out += b'From ' + addr + b' ' + ctime(mtime) + b'\n' + quoted[name]
        return out, [quoted[m[0]][:-1] for m in sorted(msgs, key=lambda m: m[1])]

    def test_maildir2mbox(self):
        old = b'From old@example.net Thu Jan 15 10:00:00 2026\nSubject: old\n\nold body\n\n'
        self.write('Mailbox', old, mode=0o600)
        want, bodies = self.fill_maildir()
        # a stale file in tmp/ goes, a fresh one stays
        self.write('Maildir/tmp/stale', b'x', mtime=time.time() - 40 * 3600)
        self.write('Maildir/tmp/fresh', b'x')
        r = self.run_tool(['maildir2mbox'], env=self.m2m_env())
        self.result(r, 0)
        self.assertEqual(self.read('Mailbox'), old + want)
        st = os.stat(self.path('Mailbox'))
        self.assertEqual((st.st_uid, stat.S_IMODE(st.st_mode)), (self.pw.pw_uid, 0o600))
        self.assertFalse(os.path.exists(self.path('Mailbox.tmp')))
        self.assertEqual(os.listdir(self.path('Maildir/new')), [])
        self.assertEqual(os.listdir(self.path('Maildir/cur')), [])
        self.assertEqual(os.listdir(self.path('Maildir/tmp')), ['fresh'])
        # read back as an mbox
        box = mailbox.mbox(self.path('Mailbox'), create=False)
        keys = sorted(box.keys())
        self.assertEqual(len(keys), 6)
        self.assertEqual(box.get_bytes(keys[0]), b'Subject: old\n\nold body\n')
        self.assertEqual([box.get_bytes(k) for k in keys[1:]], bodies)
        self.assertEqual(box.get_message(keys[1]).get_from(), 'XXX ' + ctime(self.T0 - 86400).decode())
        box.close()
        # nothing left: nothing changes
        r = self.run_tool(['maildir2mbox'], env=self.m2m_env())
        self.result(r, 0)
        self.assertEqual(self.read('Mailbox'), old + want)

    def test_mua_wrappers(self):
        """elq, pinq and qail: maildir2mbox first, then the mail reader with
        the same arguments; no reader when the move fails."""
        fake = self.path('fakebin')
        self.mkdirs('fakebin')
        for mua in ('elm', 'pine', 'Mail'):
            with open(os.path.join(fake, mua), 'w') as f:
                f.write('#!/bin/sh\necho "%s $*"\nwc -c < "$MAIL"\n' % mua)
            os.chmod(os.path.join(fake, mua), 0o755)
        for tool, mua in (('elq', 'elm'), ('pinq', 'pine'), ('qail', 'Mail')):
            shutil.rmtree(self.path('Maildir'), ignore_errors=True)
            want, _ = self.fill_maildir()
            if os.path.exists(self.path('Mailbox')):
                os.unlink(self.path('Mailbox'))
            env = self.m2m_env(PATH=fake + ':/usr/bin:/bin')
            r = self.run_tool([tool, '-f', 'x y'], env=env)
            self.result(r, 0, ('%s -f x y\n%d\n' % (mua, len(want))).encode(), b'')
            self.assertEqual(self.read('Mailbox'), want)
            self.assertEqual(os.listdir(self.path('Maildir/new')), [])
            r = self.run_tool([tool], env=dict(env, MAILDIR=self.path('nosuch')))
            self.assertEqual((r.returncode, r.stdout), (111, b''), tool)
            self.assertTrue(r.stderr.startswith(b'maildir2mbox: fatal: '), r.stderr)

    def test_maildir2mbox_new_mailbox_relative_names(self):
        want, _ = self.fill_maildir()
        # MAIL and MAILTMP are taken from inside the maildir
        r = self.run_tool(['maildir2mbox'], env=self.m2m_env(MAIL='../mbox', MAILTMP='../mbox.tmp'),
                          cwd='/')
        self.result(r, 0)
        self.assertEqual(self.read('mbox'), want)

    def test_maildir2mbox_nothing_to_do(self):
        self.mkdirs('Maildir', 'Maildir/tmp', 'Maildir/new', 'Maildir/cur')
        self.result(self.run_tool(['maildir2mbox'], env=self.m2m_env()), 0)
        self.assertFalse(os.path.exists(self.path('Mailbox')))
        # a message arriving this very second waits for the next run
        self.write('Maildir/new/now', b'Subject: now\n\n', mtime=time.time() + 5)
        self.result(self.run_tool(['maildir2mbox'], env=self.m2m_env()), 0)
        self.assertFalse(os.path.exists(self.path('Mailbox')))

    def test_maildir2mbox_errors(self):
        fatal = b'maildir2mbox: fatal: '
        env = self.m2m_env()
        for var in ('MAIL', 'MAILTMP', 'MAILDIR'):
            partial = dict(env)
            del partial[var]
            self.result(self.run_tool(['maildir2mbox'], env=partial), 111, b'',
                        fatal + var.encode() + b' not set\n')
        self.result(self.run_tool(['maildir2mbox'], env=env), 111, b'',
                    fatal + b'unable to chdir to ' + self.path('Maildir').encode()
                    + b': file does not exist\n')
        self.mkdirs('Maildir', 'Maildir/new')
        self.result(self.run_tool(['maildir2mbox'], env=env), 111, b'',
                    fatal + b'unable to scan $MAILDIR/cur: file does not exist\n')
        shutil.rmtree(self.path('Maildir'))
        want, _ = self.fill_maildir()
        before = sorted(os.listdir(self.path('Maildir/new')))
        self.write('Mailbox', b'')
        # MAILTMP cannot be created: nothing moves
        self.result(self.run_tool(['maildir2mbox'], env=self.m2m_env(MAILTMP='/nonexistent/tmp')),
                    111, b'', fatal + b'unable to create /nonexistent/tmp: file does not exist\n')
        self.result(self.run_tool(['maildir2mbox'], env=self.m2m_env(MAIL='/nonexistent/mbox')),
                    111, b'', fatal + b'unable to lock /nonexistent/mbox: file does not exist\n')
        # an unreadable message: nothing moves either
        os.chmod(self.path('Maildir/new/2'), 0)
        self.result(self.run_tool(['maildir2mbox'], env=env), 111, b'',
                    fatal + b'unable to read $MAILDIR/new/2: access denied\n')
        self.assertEqual(self.read('Mailbox'), b'')
        self.assertEqual(sorted(os.listdir(self.path('Maildir/new'))), before)
        os.chmod(self.path('Maildir/new/2'), 0o600)
        self.result(self.run_tool(['maildir2mbox'], env=env), 0)
        self.assertEqual(self.read('Mailbox'), want)

    def test_maildir2mbox_unlink_warning(self):
        want, _ = self.fill_maildir()
        os.chmod(self.path('Maildir/cur'), 0o500)
        r = self.run_tool(['maildir2mbox'], env=self.m2m_env())
        os.chmod(self.path('Maildir/cur'), 0o700)
        warn = b'maildir2mbox: warning: $MAILDIR/%s will be delivered twice; unable to unlink: access denied\n'
        self.result(r, 0, b'', warn % b'cur/1:2,S' + warn % b'cur/4')
        self.assertEqual(self.read('Mailbox'), want)
        self.assertEqual(sorted(os.listdir(self.path('Maildir/cur'))), ['1:2,S', '4'])
        self.assertEqual(os.listdir(self.path('Maildir/new')), [])

    def test_maildir2mbox_waits_for_lock(self):
        want, _ = self.fill_maildir()
        self.write('Mailbox', b'')
        fd = os.open(self.path('Mailbox'), os.O_RDWR)
        fcntl.flock(fd, fcntl.LOCK_EX)
        pw = self.pw
        proc = subprocess.Popen([Q.bin('maildir2mbox')], env=self.m2m_env(), cwd='/',
                                user=pw.pw_uid, group=pw.pw_gid, extra_groups=[],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            time.sleep(1.5)
            self.assertIsNone(proc.poll())
            self.assertEqual(self.read('Mailbox'), b'')
            self.assertEqual(len(os.listdir(self.path('Maildir/new'))), 3)
        finally:
            os.close(fd)
        out, err = proc.communicate(timeout=30)
        self.assertEqual((proc.returncode, out, err), (0, b'', b''))
        self.assertEqual(self.read('Mailbox'), want)

    # ---- maildirwatch ----

    def test_maildirwatch(self):
        self.mkdirs('Maildir', 'Maildir/tmp', 'Maildir/new', 'Maildir/cur')
        t = time.time() - 100
        self.write('Maildir/new/b', b'Return-Path: <s@example.net>\nDelivered-To: qltest1@example.org\n'
                   b'From: Some One\n <one@example.net>\nSubject: second\n\nline 1\nline\t2\n\xff\n',
                   mtime=t + 10)
        self.write('Maildir/new/a', b'Subject: first\n\n' + b'x' * 300 + b'\n', mtime=t)
        self.write('Maildir/cur/c', b'Subject: not new\n\n', mtime=t)
        self.write('Maildir/new/d', b'Return-Path:\nDelivered-To: \x01bad\n\nbody only\n', mtime=t + 20)
        with self.assertRaises(subprocess.TimeoutExpired) as cm:
            self.run_tool(['maildirwatch'], env={'MAILDIR': self.path('Maildir')}, timeout=2)
        out = cm.exception.stdout
        self.assertEqual(out, b'\033[;H\033[;J'
                         b'FROM ? TO <?>\n'
                         + b'first//' + b'x' * 151 + b'\n\n'
                         b'FROM <s@example.net> TO <qltest1@example.org>\n'
                         b'\033[1mFrom: Some One/ <one@example.net>\033[0m\n'
                         b'second//line 1/line/2///\n\n'
                         b'FROM ? TO <?bad>\n'
                         b'/body only/\n\n')

    def test_maildirwatch_errors(self):
        self.result(self.run_tool(['maildirwatch']), 111, b'', b'maildirwatch: fatal: MAILDIR not set\n')
        self.result(self.run_tool(['maildirwatch'], env={'MAILDIR': self.path('none')}), 111, b'',
                    b'maildirwatch: fatal: unable to chdir to ' + self.path('none').encode()
                    + b': file does not exist\n')
        self.mkdirs('Maildir')
        self.result(self.run_tool(['maildirwatch'], env={'MAILDIR': self.path('Maildir')}), 111, b'',
                    b'maildirwatch: fatal: unable to scan $MAILDIR/new: file does not exist\n')

    # ---- qbiff ----

    UTMP = '/var/run/utmp'

    def utmp_add(self, line):
        """Add a login record for USER on line; restored by a cleanup."""
        try:
            with open(self.UTMP, 'rb') as f:
                saved = f.read()
        except FileNotFoundError:
            saved = None

        def restore():
            if saved is None:
                if os.path.exists(self.UTMP):
                    os.unlink(self.UTMP)
            else:
                with open(self.UTMP, 'wb') as f:
                    f.write(saved)
        self.addCleanup(restore)
        # struct utmp on Linux: type, pid, line[32], id[4], user[32],
        # host[256], exit, session, tv, addr_v6[4], unused[20]
        fmt = '<hxxi32s4s32s256shhiii4i20s'
        record = struct.pack(fmt, 7, os.getpid(), line.encode(), b'tq', USER.encode(), b'',
                             0, 0, 0, int(time.time()), 0, 0, 0, 0, 0, b'')
        self.assertEqual(len(record), 384)
        # an old login of the same user on another line: not a terminal to use
        dead = struct.pack(fmt, 8, 1, b'pts/999', b'td', USER.encode(), b'',
                           0, 0, 0, 0, 0, 0, 0, 0, 0, b'')
        with open(self.UTMP, 'ab') as f:
            f.write(dead + record)

    def qbiff(self, message, biff, sender='orig@example.net'):
        master, slave = os.openpty()
        self.addCleanup(os.close, master)
        self.addCleanup(os.close, slave)
        tty.setraw(slave)
        name = os.ttyname(slave)
        os.chown(name, self.pw.pw_uid, -1)
        os.chmod(name, 0o720 if biff else 0o620)
        self.utmp_add(name[len('/dev/'):])
        r = self.run_tool(['qbiff'], message=message,
                          env={'USER': USER, 'SENDER': sender, 'LOCAL': 'qltest1-ext'})
        self.result(r, 0)
        got = b''
        while select.select([master], [], [], 0.5)[0]:
            got += os.read(master, 4096)
        return got

    def test_qbiff(self):
        got = self.qbiff(b'From: x\nSubject: Hello\there\n\nbody \x1b[2J line\n' + b'y' * 100 + b'\n',
                         True, sender='o\x01rig@example.net')
        text = b'    Hello/here//body /[2J line/' + b'y' * 100
        self.assertEqual(got, b'\r\n\a*** TO <qltest1-ext> FROM <o_rig@example.net>\r\n'
                         + text[:78] + b'\r\n')

    def test_qbiff_off(self):
        self.assertEqual(self.qbiff(MSG, False), b'')

    def test_qbiff_quiet_without_environment(self):
        self.result(self.run_tool(['qbiff'], env={'SENDER': 'x', 'LOCAL': 'y'}), 0)
        self.result(self.run_tool(['qbiff'], env={'USER': USER, 'LOCAL': 'y'}), 0)
        self.result(self.run_tool(['qbiff'], env={'USER': USER, 'SENDER': 'x'}), 0)

    # ---- qreceipt ----

    NOTICE = (b'From: DELIVERY NOTICE SYSTEM <%s>\nTo: <%s>\nSubject: success notice\n\n'
              b'Hi! This is the qreceipt program. Your message was delivered to the\n'
              b'following address: joe@example.com. Thanks for asking.\n')

    def receipt(self, header, sender='orig@example.net', target='joe@example.com'):
        return self.run_tool(['qreceipt', target], message=header + b'\nbody\n',
                             env={'SENDER': sender})

    def test_qreceipt(self):
        r = self.receipt(b'Message-ID: <123@example.net>\n'
                         b'Notice-Requested-Upon-Delivery-To: Joe <joe@example.com>, other@x.org\n')
        self.result(r, 0)
        q = self.queued()
        self.assertEqual(len(q), 1)
        fields, mess = q[0]
        self.assertEqual(fields[2:], [b'F', b'Torig@example.net'])
        m = RECEIVED.match(mess)
        self.assertTrue(m, mess[:200])
        self.assertEqual(mess[m.end():], self.NOTICE % (b'orig@example.net', b'orig@example.net')
                         + b'Your Message-ID: <123@example.net>\n')

    def test_qreceipt_forms(self):
        for header in (b'notice-requested-upon-delivery-to: joe@example.com\n',
                       b'Notice-Requested-Upon-Delivery-To : a@b.c,\n (comment) joe@example.com\n',
                       b'Notice-Requested-Upon-Delivery-To: list: x@y.z, "joe"@example.com;\n',
                       b'Subject: x\nNotice-Requested-Upon-Delivery-To: nobody@x.org\n'
                       b'Notice-Requested-Upon-Delivery-To: <joe@example.com>\n'):
            Q.clear_queue()
            self.result(self.receipt(header, sender='a b@example.net'), 0)
            q = self.queued()
            self.assertEqual(len(q), 1, header)
            mess = q[0][1]
            self.assertEqual(mess[RECEIVED.match(mess).end():],
                             self.NOTICE % (b'"a b"@example.net', b'"a b"@example.net'), header)
            self.assertEqual(q[0][0][2:], [b'F', b'Ta b@example.net'])

    def test_qreceipt_no_notice(self):
        asked = b'Notice-Requested-Upon-Delivery-To: joe@example.com\n'
        for header, sender in ((b'Subject: none asked\n', 'orig@example.net'),
                               (b'Notice-Requested-Upon-Delivery-To: JOE@example.com\n',
                                'orig@example.net'),
                               (b'Notice-Requested-Upon-Delivery-To: joe@example.com.au\n',
                                'orig@example.net'),
                               (b'Subject: x\n\nNotice-Requested-Upon-Delivery-To: joe@example.com\n',
                                'orig@example.net'),
                               (asked, ''), (asked, '#@[]')):
            self.result(self.receipt(header, sender=sender), 0)
            self.assertEqual(self.queued(), [], (header, sender))

    def test_qreceipt_errors(self):
        usage = b'qreceipt: usage: qreceipt deliveryaddress\n'
        self.result(self.run_tool(['qreceipt'], env={'SENDER': 'x@y.z'}), 100, b'', usage)
        self.result(self.run_tool(['qreceipt', 'joe@example.com']), 100, b'', usage)
        bad = b'Notice-Requested-Upon-Delivery-To: "joe@example.com\n'
        self.result(self.receipt(bad), 100, b'', b'qreceipt: fatal: unable to parse this: ' + bad)
        r = self.receipt(b'Notice-Requested-Upon-Delivery-To: joe@example.com\n',
                         sender='x' * 1100 + '@example.net')
        self.result(r, 100, b'', b'qreceipt: fatal: permanent qmail-queue error\n')
        self.assertEqual(self.queued(), [])

    # ---- boot scripts ----

    BOOT = {
        'home': './Mailbox',
        'home+df': '|dot-forward .forward\n./Mailbox',
        'proc': '|preline procmail',
        'proc+df': '|dot-forward .forward\n|preline procmail',
        'binm1': '|preline -f /usr/libexec/mail.local -r "${SENDER:-MAILER-DAEMON}" -d "$USER"',
        'binm1+df': '|dot-forward .forward\n'
                    '|preline -f /usr/libexec/mail.local -r "${SENDER:-MAILER-DAEMON}" -d "$USER"',
        'binm2': '|preline -f /bin/mail -r "${SENDER:-MAILER-DAEMON}" -d "$USER"',
        'binm2+df': '|dot-forward .forward\n|preline -f /bin/mail -r "${SENDER:-MAILER-DAEMON}" -d "$USER"',
        'binm3': '|preline -f /bin/mail -f "${SENDER:-MAILER-DAEMON}" -d "$USER"',
        'binm3+df': '|dot-forward .forward\n|preline -f /bin/mail -f "${SENDER:-MAILER-DAEMON}" -d "$USER"',
    }

    def test_boot_scripts(self):
        """Each script, with a stand-in qmail-start, runs it with an empty
        environment but PATH, and the default delivery for its name."""
        boot = os.path.join(REPO, 'src', 'boot')
        self.assertEqual(sorted(os.listdir(boot)), sorted(self.BOOT))
        fake = os.path.join(self.top, 'fake')
        os.makedirs(os.path.join(fake, 'bin'))
        record = os.path.join(self.top, 'record')
        with open(os.path.join(fake, 'bin', 'qmail-start'), 'w') as f:
            f.write('#!/bin/sh\nfor a in "$@"; do printf "%%s\\0" "$a"; done > %s.args\n'
                    'env > %s.env\n' % (record, record))
        os.chmod(os.path.join(fake, 'bin', 'qmail-start'), 0o755)
        for name, delivery in sorted(self.BOOT.items()):
            with open(os.path.join(boot, name)) as f:
                text = f.read()
            self.assertTrue(text.startswith('#!/bin/sh\n'), name)
            script = os.path.join(self.top, 'script')
            with open(script, 'w') as f:
                f.write(text.replace('@QMAILHOME@', fake))
            r = subprocess.run(['/bin/sh', script], env={'PATH': '/usr/bin:/bin', 'JUNK': 'x'},
                               capture_output=True)
            self.assertEqual((r.returncode, r.stdout, r.stderr), (0, b'', b''), name)
            with open(record + '.args', 'rb') as f:
                args = f.read()
            self.assertEqual(args.split(b'\0')[:-1], [delivery.encode(), b'splogger', b'qmail'], name)
            with open(record + '.env') as f:
                env = dict(line.split('=', 1) for line in f.read().splitlines())
            env.pop('PWD', None)
            env.pop('SHLVL', None)
            env.pop('_', None)
            self.assertEqual(env, {'PATH': fake + '/bin:/usr/bin:/bin'}, name)
            mode = stat.S_IMODE(os.stat(os.path.join(boot, name)).st_mode)
            self.assertEqual(mode, 0o755, name)

    def test_boot_installed(self):
        for name in self.BOOT:
            with open(os.path.join(REPO, 'src', 'boot', name)) as f:
                want = f.read().replace('@QMAILHOME@', Q.home)
            path = os.path.join(Q.home, 'boot', name)
            with open(path) as f:
                self.assertEqual(f.read(), want, name)
            st = os.stat(path)
            self.assertEqual((st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)),
                             (0, Q.gid('qmail'), 0o755), name)


if __name__ == '__main__':
    unittest.main()
