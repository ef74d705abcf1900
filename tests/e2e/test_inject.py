"""qmail-inject end to end: the exact message `qmail-inject -n` prints for
header completion and address rewriting (only the clock and the pid are
matched by pattern), the controls and environment variables it obeys, its
errors, and real injection into the scratch queue with the envelope read
back from todo/."""
import calendar
import os
import re
import time
import unittest

from harness import Q

MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
# The fields qmail-inject adds come first: [Resent-]Date, then [Resent-]Message-ID.
DATE = re.compile(rb'((?:Resent-)?)Date: ([1-9]|[12][0-9]|3[01]) (%s) (\d{4}) '
                  rb'([01]\d|2[0-3]):([0-5]\d):([0-5]\d) -0000\n' % '|'.join(MONTHS).encode())
MSGID = re.compile(rb'((?:Resent-)?)Message-ID: <(\d{14})\.(\d+)\.qmail@([^>\n]*)>\n')
CONTROLS = ('me', 'defaultdomain', 'defaulthost', 'plusdomain', 'idhost')
# The defaults of the examples in qmail-header(5).
BERKELEY = {'me': 'mail.example.org', 'defaulthost': 'silverton', 'defaultdomain': 'berkeley.edu',
            'plusdomain': 'berkeley.edu', 'idhost': 'id.example.org'}


def set_controls(values):
    """Write the controls in values, remove the other inject controls."""
    for name in CONTROLS:
        path = os.path.join(Q.home, 'control', name)
        if name in values:
            Q.control(name, values[name] + '\n')
        elif os.path.exists(path):
            os.unlink(path)


def stamp_time(m):
    day, mon, year, hh, mm, ss = m.group(2, 3, 4, 5, 6, 7)
    return calendar.timegm((int(year), MONTHS.index(mon.decode()) + 1, int(day),
                            int(hh), int(mm), int(ss)))


class Inject(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        set_controls(BERKELEY)
        Q.clear_queue()

    def tearDown(self):
        set_controls({})
        Q.clear_queue()

    def run_inject(self, message, args=(), env=None):
        full = {'USER': 'djb'}
        full.update(env or {})
        return Q.run(['qmail-inject'] + list(args), input=message, env=full)

    def unstamp(self, out, before, after, idhost=b'id.example.org'):
        """Check the Date and Message-ID fields qmail-inject made (time
        between before and after, the same second in both) and replace
        them by 'Date: DATE' and 'Message-ID: <ID>'."""
        d = DATE.match(out)
        if d:
            t = stamp_time(d)
            self.assertTrue(before <= t <= after, out)
            out = d.group(1) + b'Date: DATE\n' + out[d.end():]
        m = MSGID.match(out, len(d.group(1)) + 11 if d else 0)
        if m:
            self.assertEqual(m.group(4), idhost)
            if d:
                self.assertEqual(m.group(2), time.strftime('%Y%m%d%H%M%S', time.gmtime(t)).encode())
            out = out[:m.start()] + m.group(1) + b'Message-ID: <ID>\n' + out[m.end():]
        return out

    def printed(self, message, args=(), env=None, idhost=b'id.example.org', returnpath=None):
        """The message as -n prints it, stamps replaced, after its first
        line: the envelope sender as a Return-Path field, which must be
        there (and, given returnpath, name exactly that)."""
        # time() in C may read a coarse clock a little behind Python's
        before = int(time.time()) - 1
        r = self.run_inject(message, ['-n'] + list(args), env)
        after = int(time.time())
        self.assertEqual((r.returncode, r.stderr), (0, b''))
        rp, _, out = r.stdout.partition(b'\n')
        self.assertRegex(rp, rb'^Return-Path: <.*>$')
        if returnpath is not None:
            self.assertEqual(rp, b'Return-Path: <' + returnpath + b'>')
        return self.unstamp(out, before, after, idhost)

    def queued(self, message, args=(), env=None):
        """Inject for real; return (envelope records, message bytes)."""
        r = self.run_inject(message, args, env)
        self.assertEqual((r.returncode, r.stderr), (0, b''))
        files = Q.queue_files()
        todo = [k for k in files if k.startswith('todo/')]
        self.assertEqual(len(todo), 1, sorted(files))
        n = todo[0].split('/')[1]
        mess = files['mess/%d/%s' % (int(n) % Q.split, n)]
        envelope = files[todo[0]].split(b'\0')
        self.assertEqual(envelope[-1], b'')
        self.assertTrue(envelope[0] == b'u0' and envelope[1].startswith(b'p'), envelope)
        Q.clear_queue()
        return envelope[2:-1], mess


class Printing(Inject):
    def test_return_path_first(self):
        """-n begins with the envelope sender qmail-inject would queue,
        however it was set, quoted as in a delivered message."""
        msg = b'Subject: e\n\nbody\n'
        env = {'QMAILSUSER': 'suser', 'QMAILSHOST': 'shost.example'}
        self.assertEqual(self.printed(msg, ['x@y.example'], env, returnpath=b'suser@shost.example'),
                         b'Date: DATE\nMessage-ID: <ID>\nFrom: djb@silverton.berkeley.edu\n'
                         b'Cc: recipient list not shown: ;\nSubject: e\n\nbody\n')
        # the defaults: the user and host of the From field's defaults
        self.printed(msg, ['x@y.example'], returnpath=b'djb@silverton.berkeley.edu')
        self.printed(msg, ['x@y.example'], {'QMAILSUSER': 'su'},
                     returnpath=b'su@silverton.berkeley.edu')
        # -f, even empty
        self.printed(msg, ['-f', 'f@f.example', 'x@y.example'], env, returnpath=b'f@f.example')
        self.printed(msg, ['-f', '', 'x@y.example'], env, returnpath=b'')
        # a Return-Path field in the message (taken out of the header)
        out = self.printed(b'Return-Path: <rp@r.example>\n' + msg, ['x@y.example'], env,
                           returnpath=b'rp@r.example')
        self.assertNotIn(b'Return-Path', out)
        self.printed(b'Return-Path: <>\n' + msg, ['x@y.example'], env, returnpath=b'')
        # an unusual local part is quoted; the host never is
        self.printed(msg, ['-f', 'we ird@x.example', 'x@y.example'], returnpath=b'"we ird"@x.example')
        self.printed(msg, ['-f', 'a"b@x.example', 'x@y.example'], returnpath=b'"a\\"b"@x.example')
        self.printed(msg, ['x@y.example'], {'QMAILSUSER': 'a b'},
                     returnpath=b'"a b"@silverton.berkeley.edu')
        self.printed(msg, ['-f', '#@[]', 'x@y.example'], returnpath=b'#@[]')

    def test_header_completed(self):
        out = self.printed(b'To: djb, fred@silverton, eric@mammoth.cs+\nSubject: Go, Bears!\n\n'
                           b'I\'ve got money on this one.\n', env={'NAME': 'D. J. Bernstein'})
        self.assertEqual(out, b'Date: DATE\n'
                              b'Message-ID: <ID>\n'
                              b'From: "D. J. Bernstein" <djb@silverton.berkeley.edu>\n'
                              b'To: djb@silverton.berkeley.edu, fred@silverton.berkeley.edu,\n'
                              b'  eric@mammoth.cs.berkeley.edu\n'
                              b'Subject: Go, Bears!\n'
                              b'\n'
                              b'I\'ve got money on this one.\n')

    def test_message_id_pid_is_own(self):
        r = self.run_inject(b'To: a@b.example\n\n', ['-n'])
        m = MSGID.search(r.stdout)
        self.assertTrue(m and int(m.group(3)) > 1, r.stdout)

    def test_fields_present_are_kept(self):
        msg = (b'Received: from x\n  by y; 1 Jan 2000 00:00:00 -0000\n'
               b'Date: 1 Jan 2000 00:00:00 -0000\n'
               b'Message-Id: <x@y>\n'
               b'from:   Someone   <some@where.example>\n'
               b'subject:   two  spaces \n\tand a tab\n'
               b'X-Weird:no space\n'
               b'\n'
               b'body\n')
        out = self.printed(msg)
        self.assertEqual(out, b'Cc: recipient list not shown: ;\n'
                              b'Received: from x\n  by y; 1 Jan 2000 00:00:00 -0000\n'
                              b'Date: 1 Jan 2000 00:00:00 -0000\n'
                              b'Message-Id: <x@y>\n'
                              b'from: Someone <some@where.example>\n'
                              b'subject:   two  spaces \n\tand a tab\n'
                              b'X-Weird:no space\n'
                              b'\n'
                              b'body\n')

    def test_fields_removed(self):
        msg = (b'Return-Path: <a@b.example>\nBcc: hidden@x.example\nContent-Length: 12\n'
               b'Content-Type: text/plain\n\nbody\n')
        self.assertEqual(self.printed(msg),
                         b'Date: DATE\nMessage-ID: <ID>\nFrom: djb@silverton.berkeley.edu\n'
                         b'Cc: recipient list not shown: ;\nContent-Type: text/plain\n\nbody\n')

    def test_resent(self):
        msg = (b'Date: 1 Jan 2000 00:00:00 -0000\nFrom: a@b.example\nTo: c@d.example\n'
               b'Resent-To: x@y\nResent-Bcc: z@y.example\nBcc: q@y.example\n\nbody\n')
        self.assertEqual(self.printed(msg),
                         b'Resent-Date: DATE\nResent-Message-ID: <ID>\n'
                         b'Resent-From: djb@silverton.berkeley.edu\n'
                         b'Date: 1 Jan 2000 00:00:00 -0000\nFrom: a@b.example\nTo: c@d.example\n'
                         b'Resent-To: x@y.berkeley.edu\n\nbody\n')
        self.assertEqual(self.printed(b'Resent-From: a@b.example\nTo: c@d.example\n\n'),
                         b'Resent-Date: DATE\nResent-Message-ID: <ID>\n'
                         b'Resent-Cc: recipient list not shown: ;\n'
                         b'Resent-From: a@b.example\nTo: c@d.example\n\n')

    def test_address_forms(self):
        msg = (b'To: a b, Joe <joe@x.example> fred, random group: g@h.example, i@j;,\n'
               b'   <@r1.example,@r2.example:z@w.example>, "q r"@x.example (Q. R.)\n'
               b'Cc: <>, x@[1.2.3.4], y@[], J. Random Hacker <jrh@x.example.>\n'
               b'Reply-To: a(comment)@b\n'
               b'Sender: "quote\\"d"@x.example\n'
               b'\n')
        self.assertEqual(self.printed(msg),
                         b'Date: DATE\nMessage-ID: <ID>\nFrom: djb@silverton.berkeley.edu\n'
                         b'To: a@silverton.berkeley.edu, b@silverton.berkeley.edu, Joe <joe@x.example>,\n'
                         b'  fred@silverton.berkeley.edu, random group: g@h.example, i@j.berkeley.edu;,\n'
                         b'  <z@w.example>, "q r"@x.example (Q. R.)\n'
                         b'Cc: <>, x@[1.2.3.4], y@[], J.Random Hacker <jrh@x.example>\n'
                         b'Reply-To: a@b.berkeley.edu (comment)\n'
                         b'Sender: "quote\\"d"@x.example\n'
                         b'\n')

    def test_defaults_from_me(self):
        set_controls({'me': 'mail.example.org'})
        self.assertEqual(self.printed(b'To: x, y@z\n\n', idhost=b'mail.example.org'),
                         b'Date: DATE\nMessage-ID: <ID>\nFrom: djb@mail.example.org\n'
                         b'To: x@mail.example.org, y@z.mail.example.org\n\n')

    def test_defaults_without_me(self):
        set_controls({})
        self.assertEqual(self.printed(b'To: x, y@z, w@v+\n\n', idhost=b'idhost'),
                         b'Date: DATE\nMessage-ID: <ID>\nFrom: djb@defaulthost.defaultdomain\n'
                         b'To: x@defaulthost.defaultdomain, y@z.defaultdomain, w@v.plusdomain\n\n')

    def test_defaulthost_completed(self):
        set_controls({'me': 'mail.example.org', 'defaulthost': 'local+',
                      'plusdomain': 'plus.example'})
        self.assertEqual(self.printed(b'To: x\n\n', idhost=b'mail.example.org'),
                         b'Date: DATE\nMessage-ID: <ID>\nFrom: djb@local.plus.example\n'
                         b'To: x@local.plus.example\n\n')

    def test_environment_overrides(self):
        env = {'QMAILDEFAULTHOST': 'h', 'QMAILDEFAULTDOMAIN': 'dom.example',
               'QMAILPLUSDOMAIN': 'plus.example', 'QMAILIDHOST': 'other.example'}
        self.assertEqual(self.printed(b'To: x, y@z+\n\n', env=env, idhost=b'other.example'),
                         b'Date: DATE\nMessage-ID: <ID>\nFrom: djb@h.dom.example\n'
                         b'To: x@h.dom.example, y@z.plus.example\n\n')

    def from_line(self, env):
        out = self.printed(b'To: a@b.example\n\n', env=env)
        return [l for l in out.split(b'\n') if l.startswith(b'From: ')][0]

    def test_user_host_and_name(self):
        # USER is set by run_inject; the earlier variables win.
        self.assertEqual(self.from_line({}), b'From: djb@silverton.berkeley.edu')
        self.assertEqual(self.from_line({'LOGNAME': 'l', 'USER': 'u'}),
                         b'From: u@silverton.berkeley.edu')
        self.assertEqual(self.from_line({'MAILUSER': 'm', 'QMAILUSER': 'q'}),
                         b'From: q@silverton.berkeley.edu')
        self.assertEqual(self.from_line({'MAILHOST': 'mh.example'}), b'From: djb@mh.example')
        self.assertEqual(self.from_line({'MAILHOST': 'mh.example', 'QMAILHOST': 'qh'}),
                         b'From: djb@qh.berkeley.edu')
        self.assertEqual(self.from_line({'NAME': 'N', 'MAILNAME': 'M'}),
                         b'From: "M" <djb@silverton.berkeley.edu>')
        self.assertEqual(self.from_line({'NAME': 'N', 'QMAILNAME': 'Q (x) "y"'}),
                         b'From: "Q \\(x\\) \\"y\\"" <djb@silverton.berkeley.edu>')
        self.assertEqual(self.from_line({'NAME': 'Joe User', 'QMAILINJECT': 'c'}),
                         b'From: djb@silverton.berkeley.edu (Joe User)')
        self.assertEqual(self.from_line({'USER': 'a b'}), b'From: "a b"@silverton.berkeley.edu')
        r = Q.run(['qmail-inject', '-n'], input=b'To: a@b.example\n\n')
        self.assertIn(b'\nFrom: anonymous@silverton.berkeley.edu\n', r.stdout)

    def test_injectflags_f_i_s(self):
        msg = b'From: me@x.example\nMessage-ID: <old@x>\nReturn-Path: <r@x.example>\nTo: a@b.example\n\n'
        self.assertEqual(self.printed(msg, env={'QMAILINJECT': 'fis'}),
                         b'Date: DATE\nMessage-ID: <ID>\nFrom: djb@silverton.berkeley.edu\n'
                         b'To: a@b.example\n\n')

    def test_mail_followup_to(self):
        lists = os.path.join(Q.root, 'inject-mft')
        with open(lists, 'w') as f:
            f.write('# my lists\nList@L.example\n')
        env = {'QMAILMFTFILE': lists}
        msg = b'To: Joe <joe@x.example>, "a b"@y.example\nCc: list@l.example, fred\n\n'
        self.assertEqual(self.printed(msg, env=env),
                         b'Date: DATE\nMessage-ID: <ID>\nFrom: djb@silverton.berkeley.edu\n'
                         b'Mail-Followup-To: list@l.example,\n  fred@silverton.berkeley.edu,\n'
                         b'  joe@x.example,\n  "a b"@y.example\n'
                         b'To: Joe <joe@x.example>, "a b"@y.example\n'
                         b'Cc: list@l.example, fred@silverton.berkeley.edu\n\n')
        # none of the lists addressed, or a Mail-Followup-To already there
        self.assertNotIn(b'Mail-Followup-To', self.printed(b'To: a@b.example\n\n', env=env))
        self.assertEqual(self.printed(b'Mail-Followup-To: x@y.example\nTo: list@l.example\n\n',
                                      env=env),
                         b'Date: DATE\nMessage-ID: <ID>\nFrom: djb@silverton.berkeley.edu\n'
                         b'Mail-Followup-To: x@y.example\nTo: list@l.example\n\n')
        os.unlink(lists)
        self.assertNotIn(b'Mail-Followup-To', self.printed(b'To: list@l.example\n\n', env=env))

    def test_where_the_header_ends(self):
        # mbox From_ line, continuation, end of input without a newline
        self.assertEqual(self.printed(b'From me Thu Jan  1 00:00:00 1970\nTo: a@b.example,\n c@d.example'),
                         b'Date: DATE\nMessage-ID: <ID>\nFrom: djb@silverton.berkeley.edu\n'
                         b'MBOX-Line: From me Thu Jan  1 00:00:00 1970\n'
                         b'To: a@b.example, c@d.example\n')
        # a line that cannot start a field begins the body at once
        self.assertEqual(self.printed(b'To: a@b.example\nnot a field\nX: y\n'),
                         b'Date: DATE\nMessage-ID: <ID>\nFrom: djb@silverton.berkeley.edu\n'
                         b'To: a@b.example\nnot a field\nX: y\n')
        # CR LF is not an empty line
        self.assertEqual(self.printed(b'Subject: x\r\n\r\nbody\r\n'),
                         b'Date: DATE\nMessage-ID: <ID>\nFrom: djb@silverton.berkeley.edu\n'
                         b'Cc: recipient list not shown: ;\nSubject: x\r\n\r\nbody\r\n')
        # nothing at all
        self.assertEqual(self.printed(b''),
                         b'Date: DATE\nMessage-ID: <ID>\nFrom: djb@silverton.berkeley.edu\n'
                         b'Cc: recipient list not shown: ;\n')

    def test_body_bytes(self):
        body = bytes(range(256)) * 40 + b'\n' + b'x' * 200000 + b'\nlast'
        out = self.printed(b'To: a@b.example\n\n' + body)
        self.assertEqual(out, b'Date: DATE\nMessage-ID: <ID>\nFrom: djb@silverton.berkeley.edu\n'
                              b'To: a@b.example\n\n' + body + b'\n')
        # a body line longer than any header field is still just body
        body = b'y' * (3 << 20) + b'\nz\n'
        self.assertEqual(self.printed(body),
                         b'Date: DATE\nMessage-ID: <ID>\nFrom: djb@silverton.berkeley.edu\n'
                         b'Cc: recipient list not shown: ;\n' + body)

    def test_errors(self):
        for field in (b'To: "unterminated\n', b'To: a: b\n', b'Cc: x>\n', b'From: )\n'):
            r = self.run_inject(b'Subject: x\n' + field + b'\nbody\n', ['-n'])
            self.assertEqual((r.returncode, r.stdout, r.stderr),
                             (100, b'', b'qmail-inject: fatal: unable to parse this line:\n' + field))
        r = self.run_inject(b'To: a@b.example\n', ['-x'])
        self.assertEqual((r.returncode, r.stdout, r.stderr),
                         (100, b'', b'qmail-inject: usage: qmail-inject [ -aAhHnN ] [ -fsender ] '
                                    b'[ recip ... ]\n'))
        r = self.run_inject(b'To: ' + b'a' * (2 << 20) + b'\n\n', ['-n'])
        self.assertEqual((r.returncode, r.stderr), (100, b'qmail-inject: fatal: header field too long\n'))
        r = self.run_inject(b'X: y\n' + b' z\n' * (1 << 19) + b'\n', ['-n'])
        self.assertEqual((r.returncode, r.stderr), (100, b'qmail-inject: fatal: header field too long\n'))
        r = self.run_inject((b'X: ' + b'a' * 1000000 + b'\n') * 17 + b'\n', ['-n'])
        self.assertEqual((r.returncode, r.stderr), (100, b'qmail-inject: fatal: header too long\n'))
        r = self.run_inject(b'To: x\n\n', ['-n'], env={'QMAILDEFAULTHOST': 'a"b'})
        self.assertEqual((r.returncode, r.stderr),
                         (100, b'qmail-inject: fatal: unable to parse this line:\n@a"b\n'))
        self.assertEqual(Q.queue_files(), {})


class Queueing(Inject):
    def test_header_recipients(self):
        env, mess = self.queued(b'To: a@x.example, b@x.example\nCc: c\nBcc: d@x.example\n'
                                b'Apparently-To: e@x.example\nSubject: s\n\nbody\n')
        # each field's addresses come last first, as in qmail-inject 1.03
        self.assertEqual(env, [b'Fdjb@silverton.berkeley.edu', b'Tb@x.example', b'Ta@x.example',
                               b'Tc@silverton.berkeley.edu', b'Td@x.example', b'Te@x.example'])
        self.assertTrue(mess.startswith(b'Received: (qmail '), mess)
        rest = mess.split(b'\n', 1)[1]
        before = int(time.time()) - 60
        self.assertEqual(self.unstamp(rest, before, before + 120),
                         b'Date: DATE\nMessage-ID: <ID>\nFrom: djb@silverton.berkeley.edu\n'
                         b'To: a@x.example, b@x.example\nCc: c@silverton.berkeley.edu\n'
                         b'Apparently-To: e@x.example\nSubject: s\n\nbody\n')

    def test_argument_recipients(self):
        msg = b'To: h@x.example\n\n'
        env, _ = self.queued(msg, ['r1@y.example', 'plain'])
        self.assertEqual(env, [b'Fdjb@silverton.berkeley.edu', b'Tr1@y.example', b'Tplain@silverton.berkeley.edu'])
        env, _ = self.queued(msg, ['-a', 'r1@y.example'])
        self.assertEqual(env[1:], [b'Tr1@y.example'])
        env, _ = self.queued(msg, ['-a'])
        self.assertEqual(env[1:], [])
        env, _ = self.queued(msg, ['-H', 'r1@y.example'])
        self.assertEqual(env[1:], [b'Tr1@y.example', b'Th@x.example'])
        env, _ = self.queued(msg, ['-h', 'r1@y.example'])
        self.assertEqual(env[1:], [b'Th@x.example'])
        env, _ = self.queued(msg, ['-a', '-A'])
        self.assertEqual(env[1:], [b'Th@x.example'])
        env, _ = self.queued(msg, ['--', '-n'])
        self.assertEqual(env[1:], [b'T-n@silverton.berkeley.edu'])

    def test_resent_recipients(self):
        env, _ = self.queued(b'To: a@x.example\nResent-To: b@x.example\nResent-Cc: c@x.example\n'
                             b'Resent-Bcc: d@x.example\n\n')
        self.assertEqual(env[1:], [b'Tb@x.example', b'Tc@x.example', b'Td@x.example'])

    def test_senders(self):
        msg = b'To: a@x.example\n\n'
        self.assertEqual(self.queued(msg, env={'QMAILSUSER': 'su'})[0][0],
                         b'Fsu@silverton.berkeley.edu')
        self.assertEqual(self.queued(msg, env={'QMAILSHOST': 'sh.example'})[0][0],
                         b'Fdjb@sh.example')
        self.assertEqual(self.queued(msg, env={'QMAILHOST': 'fh.example'})[0][0],
                         b'Fdjb@fh.example')
        rp = b'Return-Path: <bounce@x.example>\n' + msg
        self.assertEqual(self.queued(rp, env={'QMAILSUSER': 'su'})[0][0], b'Fbounce@x.example')
        self.assertEqual(self.queued(rp, ['-f', 'forced@y.example'])[0][0], b'Fforced@y.example')
        self.assertEqual(self.queued(rp, env={'QMAILINJECT': 's'})[0][0],
                         b'Fdjb@silverton.berkeley.edu')
        self.assertEqual(self.queued(b'Return-Path: <>\n' + msg)[0][0], b'F')
        self.assertEqual(self.queued(msg, ['-f', ''])[0][0], b'F')
        self.assertEqual(self.queued(b'Return-Path: "a b"@x\n' + msg)[0][0], b'Fa b@x.berkeley.edu')

    def test_verp(self):
        msg = b'To: a@x.example\n\n'
        self.assertEqual(self.queued(msg, env={'QMAILINJECT': 'r'})[0][0],
                         b'Fdjb-@silverton.berkeley.edu-@[]')
        before = int(time.time()) - 1
        sender = self.queued(msg, env={'QMAILINJECT': 'm'})[0][0]
        m = re.match(rb'^Fdjb-(\d+)\.(\d+)@silverton\.berkeley\.edu$', sender)
        self.assertTrue(m, sender)
        self.assertTrue(before <= int(m.group(1)) <= before + 60)
        sender = self.queued(msg, env={'QMAILINJECT': 'mr'})[0][0]
        self.assertTrue(re.match(rb'^Fdjb-\d+\.\d+-@silverton\.berkeley\.edu-@\[\]$', sender), sender)
        # -f is used as given
        self.assertEqual(self.queued(msg, ['-fx@y.example'], env={'QMAILINJECT': 'rm'})[0][0],
                         b'Fx@y.example')

    def test_queue_refuses(self):
        r = self.run_inject(b'To: a@x.example\n\n', ['-f', 'x' * 1100])
        self.assertEqual((r.returncode, r.stderr),
                         (100, b'qmail-inject: fatal: envelope address too long for qq (#5.1.3)\n'))
        self.assertEqual(Q.queue_files(), {})


if __name__ == '__main__':
    unittest.main()
