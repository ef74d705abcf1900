"""qmail-send's remote batches (beyond qmail-1.03), as root.

A message's remote recipients at one domain (after the last '@', ASCII
case ignored) go to qmail-rspawn in one request, up to 100 of them, so
one qmail-remote run and one SMTP connection carry them; each recipient
keeps its own delivery number, log lines and checkpoint; a VERP message
and a recipient longer than qmail-rspawn takes go one per request;
control/remotebatch 0 turns it off; concurrencyremote counts requests.

First with the test playing the spawners (test_send.Send): the exact
requests, the per-recipient rule of doc/INTERNALS.md in a batch, the
caps, the window of 1000 recipients, the control file and HUP. Then the
real daemons under qmail-start (in a process group of their own, the
test a child subreaper) with an SMTP sink reached through
control/smtproutes that counts connections: 50 recipients at one domain
take one connection with 50 RCPTs; mixed domains one connection each;
550 and 451 RCPT answers give exact per-recipient outcomes (the bounce
lists the 550 ones, the 451 ones go again after ALRM in a new batch);
remotebatch 0 takes 50 connections; and the whole activity record keeps
to qmail-log(5), with the status lines' remote count rising once per
connection. Last, qmail-showctl's paragraph on remotebatch. The control/
files of the scratch installation are put back as they were."""
import os
import re
import shutil
import signal
import tempfile
import time
import unittest

from harness import Q
from test_send import Send, SendBase, inject as queue_inject, qpath, read_file, controls
from test_delivery import (Sink, Daemon, classify, snapshot, restore, message,
                           inject as mail_inject, wait_for, subreaper)

DEADLINE = 20


def rcpt_list(fmt, count):
    return [(fmt % i).encode() for i in range(count)]


# ================================================================ pipes

class BatchPipes(SendBase):
    """qmail-send with the test on the spawners' ends of its pipes."""

    def start(self, limit=20):
        s = Send(self)
        self.senders.append(s)
        s.expect_next(r'status: local 0/10 remote 0/%d' % limit)
        return s

    def starts(self, s, n, rcpts, first):
        """The start lines of one request: deliveries first, first+1, ...
        for rcpts in order, each followed by a status line; returns the
        remote counts those status lines show."""
        counts = []
        for i, r in enumerate(rcpts):
            self.assertEqual(s.next_line(), 'starting delivery %d: msg %d to remote %s'
                             % (first + i, n, r.decode()))
            m = re.fullmatch(r'status: local \d+/\d+ remote (\d+)/\d+', s.next_line())
            self.assertTrue(m, s.lines[-1])
            counts.append(int(m.group(1)))
        return counts

    def results(self, s, expected):
        """Result lines (delivery number, text regex) in order, each
        followed by a status line."""
        for d, text in expected:
            line = s.next_line()
            self.assertTrue(re.fullmatch(r'delivery %d: %s' % (d, text), line),
                            '%r does not match %r' % (line, text))
            self.assertTrue(s.next_line().startswith('status: '))

    def test_one_request_per_domain(self):
        s = self.start()
        rcpts = [b'a@one.test', b'b@two.test', b'c@ONE.test', b'd@two.test', b'e@One.Test',
                 b'f@xone.test']
        n = s.new_message(queue_inject(b'x\n', b'joe@example.org', rcpts))
        self.assertEqual(s.rreq.get('one.test'),
                         (0, n, b'joe@example.org', [b'a@one.test', b'c@ONE.test', b'e@One.Test']))
        self.assertEqual(s.rreq.get('two.test'), (1, n, b'joe@example.org',
                                                  [b'b@two.test', b'd@two.test']))
        self.assertEqual(s.rreq.get('xone.test'), (2, n, b'joe@example.org', [b'f@xone.test']))
        # one delivery number per recipient; the remote count is per request
        self.assertEqual(self.starts(s, n, [b'a@one.test', b'c@ONE.test', b'e@One.Test'], 1),
                         [1, 1, 1])
        self.assertEqual(self.starts(s, n, [b'b@two.test', b'd@two.test'], 4), [2, 2])
        self.assertEqual(self.starts(s, n, [b'f@xone.test'], 6), [3])
        # reports in request order, then the message report
        s.remote(1, b'r', b'h1.2.3.4 does not like recipient.\nRemote host said: 550 no\n',
                 b'K1.2.3.4 accepted message.\n')
        self.results(s, [(4, r'success: 1.2.3.4_accepted_message./'),
                         (5, r'failure: 1.2.3.4_does_not_like_recipient./'
                             r'Remote_host_said:_550_no/')])
        self.assertEqual(s.lines[-1], 'status: local 0/10 remote 2/20')
        s.committed(n)  # pending until then: its records only in memory
        self.assertEqual(read_file(qpath('remote', n)),
                         b'Ta@one.test\0Db@two.test\0Tc@ONE.test\0Dd@two.test\0Te@One.Test\0'
                         b'Tf@xone.test\0')
        self.assertEqual(read_file(os.path.join(Q.queue, 'bounce', str(n))),
                         b'<d@two.test>:\n1.2.3.4 does not like recipient.\n'
                         b'Remote host said: 550 no\n\n')
        # the third recipient has no report: deferred with the message's text
        s.remote(0, b's1.2.3.4 does not like recipient.\n', b'rsaid yes\n', b'Kok\n')
        self.results(s, [(1, r'deferral: 1.2.3.4_does_not_like_recipient./'),
                         (2, r'success: said_yes/ok/'),
                         (3, r'deferral: ok/')])
        self.assertEqual(s.lines[-1], 'status: local 0/10 remote 1/20')
        s.remote(2, b'r', b'Kok\n')
        self.results(s, [(6, r'success: ok/')])
        self.assertEqual(s.lines[-1], 'status: local 0/10 remote 0/20')
        self.assertEqual(read_file(qpath('remote', n)),
                         b'Ta@one.test\0Db@two.test\0Dc@ONE.test\0Dd@two.test\0Te@One.Test\0'
                         b'Df@xone.test\0')
        # the retry: the two left, again in one request
        s.proc.send_signal(signal.SIGALRM)
        self.assertEqual(s.rreq.get('the retry')[3], [b'a@one.test', b'e@One.Test'])
        self.assertEqual(self.starts(s, n, [b'a@one.test', b'e@One.Test'], 7), [1, 1])
        s.remote(0, b'r', b'r', b'Kfine\n')
        self.results(s, [(7, r'success: fine/'), (8, r'success: fine/')])
        s.expect(r'bounce msg %d qp \d+' % n)
        s.expect(r'end msg %d' % n)

    def test_message_report_rule_per_recipient(self):
        """doc/INTERNALS.md's rule, for every recipient of one request."""
        s = self.start()
        rcpts = rcpt_list('r%d@far.test', 4)
        n1 = s.new_message(queue_inject(b'x\n', b'joe@example.org', rcpts))
        slot1 = s.rreq.get('first')[0]
        n2 = s.new_message(queue_inject(b'x\n', b'joe@example.org', rcpts))
        slot2 = s.rreq.get('second')[0]
        s.expect(r'starting delivery 8: msg %d to remote r3@far.test' % n2)
        s.next_line()  # its status line
        reports = [b'sSTXT\n', b'hHTXT\n', b'rRTXT\n']  # and none for r3
        s.remote(slot1, *reports, b'ZZTXT\n')
        self.results(s, [(1, r'deferral: STXT/ZTXT/'), (2, r'failure: HTXT/'),
                         (3, r'deferral: ZTXT/'), (4, r'deferral: ZTXT/')])
        s.remote(slot2, *reports, b'DDTXT\n')
        self.results(s, [(5, r'deferral: STXT/DTXT/'), (6, r'failure: HTXT/DTXT/'),
                         (7, r'failure: DTXT/'), (8, r'failure: DTXT/')])
        s.committed(n1, 1.0)  # each has a deferred recipient: committed at once
        s.committed(n2, 1.0)
        self.assertEqual(read_file(qpath('remote', n1)),
                         b'Tr0@far.test\0Dr1@far.test\0Tr2@far.test\0Tr3@far.test\0')
        self.assertEqual(read_file(qpath('remote', n2)),
                         b'Tr0@far.test\0Dr1@far.test\0Dr2@far.test\0Dr3@far.test\0')
        self.assertEqual(read_file(os.path.join(Q.queue, 'bounce', str(n2))),
                         b'<r1@far.test>:\nHTXT\nDTXT\n\n<r2@far.test>:\nDTXT\n\n'
                         b'<r3@far.test>:\nDTXT\n\n')

    def test_mangled_results(self):
        s = self.start()
        n = s.new_message(queue_inject(b'x\n', b'joe@example.org', rcpt_list('m%d@far.test', 2)))
        slot = s.rreq.get('request')[0]
        self.starts(s, n, rcpt_list('m%d@far.test', 2), 1)
        s.remote(slot, b'r', b'r', b'r', b'Kone too many\n')
        self.results(s, [(1, r'report mangled, will defer'), (2, r'report mangled, will defer')])
        s.proc.send_signal(signal.SIGALRM)
        slot = s.rreq.get('retry')[0]
        self.starts(s, n, rcpt_list('m%d@far.test', 2), 3)
        s.remote(slot, b'r', b'r', b'Xno such letter\n')
        self.results(s, [(3, r'report mangled, will defer'), (4, r'report mangled, will defer')])
        self.assertEqual(read_file(qpath('remote', n)), b'Tm0@far.test\0Tm1@far.test\0')
        s.finish()

    def test_queuelifetime_per_recipient(self):
        controls(queuelifetime='1000\n')
        s = self.start()
        n = s.new_message(queue_inject(b'x\n', b'joe@example.org', rcpt_list('q%d@far.test', 3)))
        s.remote(s.rreq.get('the first try')[0], b'Ztemporary trouble\n')
        s.expect(r'delivery 3: deferral: temporary_trouble/')
        s.next_line()
        s.committed(n, 1.0)
        # make it old, then retry now: one last try, a deferral bounces
        old = time.time() - 2000
        os.utime(qpath('info', n), (old, old))
        s.proc.send_signal(signal.SIGALRM)
        slot, _, _, rcpts = s.rreq.get('the last try')
        self.assertEqual(rcpts, rcpt_list('q%d@far.test', 3))
        s.remote(slot, b'r', b'sbusy\n', b'Kok\n')
        too_long = r"I'm_not_going_to_try_again;_this_message_has_been_in_the_queue_too_long./"
        self.assertEqual(self.starts(s, n, rcpt_list('q%d@far.test', 3), 4), [1, 1, 1])
        self.results(s, [(4, r'success: ok/'), (5, r'failure: busy/' + too_long),
                         (6, r'failure: ok/' + too_long)])
        s.expect(r'bounce msg %d qp \d+' % n)

    def test_caps_and_concurrency(self):
        """100 recipients a request; concurrencyremote counts requests."""
        controls(concurrencyremote='2\n')
        s = self.start(limit=2)
        rcpts = rcpt_list('c%03d@big.test', 250)
        n = s.new_message(queue_inject(b'x\n', b'joe@example.org', rcpts))
        r1, r2 = s.rreq.get('first 100'), s.rreq.get('second 100')
        self.assertEqual((r1[0], r1[3]), (0, rcpts[:100]))
        self.assertEqual((r2[0], r2[3]), (1, rcpts[100:200]))
        s.rreq.none_within(0.5)  # two requests are the limit
        self.assertEqual(self.starts(s, n, rcpts[:100], 1), [1] * 100)
        self.assertEqual(self.starts(s, n, rcpts[100:200], 101), [2] * 100)
        s.remote(1, *[b'r'] * 100, b'Kok\n')
        r3 = s.rreq.get('the last 50')
        self.assertEqual((r3[0], r3[3]), (1, rcpts[200:]))
        self.results(s, [(101 + i, r'success: ok/') for i in range(100)])
        self.assertEqual(s.lines[-1], 'status: local 0/10 remote 1/2')
        self.assertEqual(self.starts(s, n, rcpts[200:], 201), [2] * 50)
        s.remote(0, *[b'r'] * 100, b'Kok\n')
        s.remote(1, *[b'r'] * 50, b'Kok\n')
        s.expect(r'end msg %d' % n)
        s.finish()
        ok = [l for l in s.lines if re.fullmatch(r'delivery \d+: success: ok/', l)]
        self.assertEqual(len(ok), 250)

    def test_window(self):
        """A pass groups up to 1000 recipients at a time: one at the same
        domain beyond them goes in a later request."""
        s = self.start()
        rcpts = rcpt_list('w%03d@win.test', 999) + [b'other@else.test', b'late@win.test']
        n = s.new_message(queue_inject(b'x\n', b'joe@example.org', rcpts))
        got = [s.rreq.get('request %d' % i) for i in range(12)]
        self.assertEqual([g[3] for g in got],
                         [rcpts[i:i + 100] for i in range(0, 900, 100)] +
                         [rcpts[900:999], [b'other@else.test'], [b'late@win.test']])
        for slot, _, _, r in got:
            s.remote(slot, *[b'r'] * len(r), b'Kok\n')
        s.expect(r'end msg %d' % n)

    def test_verp_and_long_addresses_go_alone(self):
        # qmail-queue takes addresses of up to 1002 bytes; a long
        # envnoathost makes longer ones
        host = 'h' * (4000 - len('a@'))
        controls(envnoathost=host + '\n')
        s = self.start()
        rcpts = [b'a@far.test', b'b@far.test']
        s.new_message(queue_inject(b'x\n', b'list-@example.org-@[]', rcpts))
        got = sorted(s.rreq.get('verp')[2:] for _ in range(2))
        self.assertEqual(got, [(b'list-a=far.test@example.org', [b'a@far.test']),
                               (b'list-b=far.test@example.org', [b'b@far.test'])])
        # qmail-rspawn takes strings of up to 4000 bytes: one more, alone
        s.new_message(queue_inject(b'x\n', b'joe@example.org', [b'a', b'bb', b'c']))
        self.assertEqual(s.rreq.get('batch')[3], [b'a@' + host.encode(), b'c@' + host.encode()])
        self.assertEqual(s.rreq.get('alone')[3], [b'bb@' + host.encode()])

    def test_remotebatch_control_and_hup(self):
        rcpts = rcpt_list('h%d@far.test', 3)
        for value in ('0\n', '000\n'):
            controls(remotebatch=value)
            s = self.start()
            s.new_message(queue_inject(b'x\n', b'joe@example.org', rcpts))
            self.assertEqual([s.rreq.get('one')[3] for _ in range(3)], [[r] for r in rcpts])
            s.stop()
            Q.clear_queue()
        for value in ('1\n', '7\n', 'yes\n'):  # any other number, or none: on
            controls(remotebatch=value)
            s = self.start()
            s.new_message(queue_inject(b'x\n', b'joe@example.org', rcpts))
            self.assertEqual(s.rreq.get('batch')[3], rcpts)
            s.stop()
            Q.clear_queue()
        s = self.start()
        controls(remotebatch='0\n')
        s.proc.send_signal(signal.SIGHUP)
        time.sleep(0.3)
        s.new_message(queue_inject(b'x\n', b'joe@example.org', rcpts))
        self.assertEqual([s.rreq.get('one')[3] for _ in range(3)], [[r] for r in rcpts])
        controls()
        s.proc.send_signal(signal.SIGHUP)
        time.sleep(0.3)
        s.new_message(queue_inject(b'x\n', b'joe@example.org', rcpts))
        self.assertEqual(s.rreq.get('batch again')[3], rcpts)


class BatchShowCtl(unittest.TestCase):
    """qmail-showctl's paragraph on control/remotebatch."""

    def tearDown(self):
        Q.clear_controls()

    def paragraph(self):
        r = Q.run(['qmail-showctl'], user='qmaild')
        self.assertEqual((r.returncode, r.stderr), (0, b''))
        return re.search(rb'\n\nremotebatch: (.*)\n\nremoteipv6: ', r.stdout).group(1)

    def test_remotebatch(self):
        on = b'Remote recipients at one domain share an SMTP connection, up to 100.'
        off = b'Each remote recipient gets an SMTP connection of its own.'
        Q.clear_controls()
        self.assertEqual(self.paragraph(), b'(Default.) ' + on)
        for text, shown in (('0\n', off), ('00', off), ('1\n', on), ('250\n', on),
                            ('on\n', b'(Default.) ' + on)):
            Q.control('remotebatch', text)
            self.assertEqual(self.paragraph(), shown, text)
        os.unlink(os.path.join(Q.home, 'control', 'remotebatch'))
        os.mkdir(os.path.join(Q.home, 'control', 'remotebatch'))
        try:
            self.assertEqual(self.paragraph(), b'Oops! Trouble reading this file.')
        finally:
            os.rmdir(os.path.join(Q.home, 'control', 'remotebatch'))


# ================================================================ daemons

class State:
    pass


S = State()
SAFE = r'[!-~]*'


def set_controls(**extra):
    cdir = os.path.join(Q.home, 'control')
    for name in os.listdir(cdir):
        os.unlink(os.path.join(cdir, name))
    values = {'me': 'example.org\n', 'smtproutes': ':[127.0.0.1]:%d\n' % S.sink.port,
              'timeoutremote': '30\n', 'timeoutconnect': '5\n'}
    values.update(extra)
    for name, text in values.items():
        Q.control(name, text)


def setUpModule():
    subreaper(True)
    try:
        S.tmp = tempfile.mkdtemp(prefix='batch-', dir=Q.root)
        S.saved_control = snapshot(os.path.join(Q.home, 'control'))
        S.sink = Sink()
    except BaseException:
        tearDownModule()  # unittest will not
        raise


def tearDownModule():
    try:
        if hasattr(S, 'sink'):
            S.sink.close()
        Q.clear_queue()
        if hasattr(S, 'saved_control'):
            restore(os.path.join(Q.home, 'control'), S.saved_control)
        if hasattr(S, 'tmp'):
            shutil.rmtree(S.tmp, ignore_errors=True)
    finally:
        subreaper(False)


def check_log(test, lines, connections):
    """The activity record of one qmail-send run against qmail-log(5), as
    qmailanalog's matchup reads it: every line known; no alert, warning
    or mangled report; deliveries numbered 1, 2, ..., each with one start
    and, later, one result; a message ends after all its results; a
    status line after every start and result, its remote count within
    the limit, rising by one for each request (connections of them in
    all) and falling by one as each ends."""
    test.assertEqual(lines[0], 'status: local 0/10 remote 0/20')
    test.assertEqual(lines[-1], 'status: exiting')
    started, finished, pending = {}, set(), {}
    remote, rises, want_status = 0, 0, False
    for i, line in enumerate(lines):
        kind, m = classify(line)
        test.assertIsNotNone(kind, 'line %d is not qmail-log(5): %r' % (i + 1, line))
        test.assertNotIn(kind, ('alert', 'warning', 'mangled'), 'line %d: %r' % (i + 1, line))
        if want_status:
            test.assertEqual(kind, 'status',
                             'line %d: no status line after %r' % (i + 1, lines[i - 1]))
        want_status = kind in ('starting', 'result')
        if kind == 'starting':
            d = int(m.group(1))
            test.assertEqual(d, len(started) + 1, line)
            started[d] = int(m.group(2))
            pending[started[d]] = pending.get(started[d], 0) + 1
        elif kind == 'result':
            d = int(m.group(1))
            test.assertIn(d, started, line)
            test.assertNotIn(d, finished, line)
            finished.add(d)
            pending[started[d]] -= 1
        elif kind == 'end':
            test.assertEqual(pending.get(int(m.group(1)), 0), 0, 'ended too soon: %r' % line)
        elif kind == 'status' and i > 0:
            now = int(m.group(3))
            test.assertLessEqual(now, int(m.group(4)), line)
            test.assertIn(now - remote, (-1, 0, 1), 'line %d: %r' % (i + 1, line))
            rises += now > remote
            remote = now
    test.assertEqual(set(started), finished)
    test.assertEqual(remote, 0)
    test.assertEqual(rises, connections, 'requests started, by the status lines')


class BatchDaemons(unittest.TestCase):
    """One qmail-start for the class; each test leaves the queue empty."""
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        Q.clear_queue()
        set_controls()
        cls.first_session = len(S.sink.sessions)
        cls.daemon = Daemon(os.path.join(S.tmp, 'batch.log'))
        cls.log = cls.daemon.log

    @classmethod
    def tearDownClass(cls):
        code = cls.daemon.stop()
        with open(cls.daemon.errpath, 'rb') as f:
            err = f.read()
        Q.clear_queue()
        set_controls()
        check = unittest.TestCase()
        check.maxDiff = None
        check.assertEqual((code, err), (0, b''))
        with S.sink.lock:
            connections = len(S.sink.sessions) - cls.first_session
        check_log(check, cls.daemon.lines(), connections)

    def setUp(self):
        self.mark = len(self.log.lines())
        with S.sink.lock:
            self.session_mark = len(S.sink.sessions)
        S.sink.rcpt_reply.clear()
        S.sink.end_reply.clear()

    def tearDown(self):
        S.sink.rcpt_reply.clear()
        wait_for(lambda: not Q.queue_files(), 'an empty queue')

    def sessions(self, count):
        """The SMTP sessions since the test began, once there are count;
        and no more after a moment."""
        def got():
            with S.sink.lock:
                new = S.sink.sessions[self.session_mark:]
            return new if len(new) >= count else None
        new = wait_for(got, '%d SMTP sessions' % count, DEADLINE)
        time.sleep(0.3)
        with S.sink.lock:
            self.assertEqual(len(S.sink.sessions) - self.session_mark, count)
        return new

    def queued(self, sender, start):
        i, m = self.log.wait(r'info msg (\d+): bytes \d+ from <%s> qp \d+ uid \d+'
                             % re.escape(sender), start)
        return int(m.group(1)), i

    def outcomes(self, n, rcpts, start):
        """{recipient: [(kind, text), ...]} for message n once it has ended
        (or, with rcpts counted, once each has that many results)."""
        def collect():
            lines = self.log.lines()[start:]
            who, out = {}, {}
            for line in lines:
                m = re.fullmatch(r'starting delivery (\d+): msg %d to remote (%s)' % (n, SAFE),
                                 line)
                if m:
                    who[m.group(1)] = m.group(2).encode()
                m = re.fullmatch(r'delivery (\d+): (success|failure|deferral): (%s)' % SAFE, line)
                if m and m.group(1) in who:
                    out.setdefault(who[m.group(1)], []).append((m.group(2), m.group(3)))
            return out if all(len(out.get(r, [])) >= c for r, c in rcpts.items()) else None
        return wait_for(collect, 'the results of message %d' % n, DEADLINE)

    def test_fifty_at_one_domain_one_connection(self):
        sender = 'owner@senders.example'
        rcpts = rcpt_list('u%02d@batch.example', 50)
        mail_inject(message(b'fifty'), sender, [r.decode() for r in rcpts])
        n, i = self.queued(sender, self.mark)
        self.log.wait(r'end msg %d' % n, i)
        (s,) = self.sessions(1)
        self.assertEqual(s['rcpts'], rcpts)
        self.assertEqual(s['received'].count(b'\r\nDATA\r\n'), 1)
        self.assertTrue(s['received'].startswith(
            b'HELO example.org\r\nMAIL FROM:<owner@senders.example>\r\n'))
        starts = [l for l in self.log.lines()[i:] if l.startswith('starting delivery')]
        first = int(starts[0].split()[2].rstrip(':'))
        self.assertEqual(starts, ['starting delivery %d: msg %d to remote %s'
                                  % (first + k, n, r.decode()) for k, r in enumerate(rcpts)])
        out = self.outcomes(n, {r: 1 for r in rcpts}, i)
        ok = ('success', '127.0.0.1_accepted_message./Remote_host_said:_250_ok_queued_as_12345/')
        self.assertEqual(out, {r: [ok] for r in rcpts})

    def test_mixed_domains_one_connection_each(self):
        sender = 'owner@senders.example'
        domains = ['one.example', 'two.example', 'Three.Example']
        rcpts = [('m%d@%s' % (k, domains[k % 3] if k != 3 else 'ONE.example')).encode()
                 for k in range(12)]
        mail_inject(message(b'mixed'), sender, [r.decode() for r in rcpts])
        n, i = self.queued(sender, self.mark)
        self.log.wait(r'end msg %d' % n, i)
        got = sorted((s['rcpts'] for s in self.sessions(3)), key=lambda r: r[0])
        self.assertEqual(got, [rcpts[0::3], rcpts[1::3], rcpts[2::3]])
        out = self.outcomes(n, {r: 1 for r in rcpts}, i)
        self.assertEqual(sorted(out), sorted(rcpts))
        self.assertTrue(all(v[0][0] == 'success' for v in out.values()), out)

    def test_rejections_and_deferrals_per_recipient(self):
        sender = 'owner@senders.example'
        rcpts = rcpt_list('p%d@mixed.example', 10)
        hard, soft = [rcpts[3], rcpts[7]], [rcpts[4], rcpts[8]]
        for r in hard:
            S.sink.rcpt_reply[r] = b'550 no such user\r\n'
        for r in soft:
            S.sink.rcpt_reply[r] = b'451 try later\r\n'
        mail_inject(message(b'rejections'), sender, [r.decode() for r in rcpts])
        n, i = self.queued(sender, self.mark)
        out = self.outcomes(n, {r: 1 for r in rcpts}, i)
        said = '127.0.0.1_does_not_like_recipient./Remote_host_said:_'
        ok = ('success', '127.0.0.1_accepted_message./Remote_host_said:_250_ok_queued_as_12345/')
        want = {r: [ok] for r in rcpts}
        for r in hard:
            want[r] = [('failure', said + '550_no_such_user/')]
        for r in soft:
            want[r] = [('deferral', said + '451_try_later/')]
        self.assertEqual(out, want)
        (s,) = self.sessions(1)
        self.assertEqual(s['rcpts'], rcpts)
        self.assertIsNotNone(s['data'])
        # the 451 ones again, after ALRM, together
        for r in soft:
            del S.sink.rcpt_reply[r]
        self.daemon.signal(signal.SIGALRM)
        out = self.outcomes(n, {r: 2 for r in soft}, i)
        for r in soft:
            self.assertEqual(out[r][1], ok)
        j = self.log.wait(r'bounce msg %d qp \d+' % n, i)[0]
        self.log.wait(r'end msg %d' % n, j)
        retry, bounce = self.sessions(3)[1:]
        self.assertEqual(retry['rcpts'], soft)
        # the bounce, to the sender through the sink, lists the 550 ones
        self.assertEqual(bounce['rcpts'], [sender.encode()])
        self.assertIn(b'MAIL FROM:<>\r\n', bounce['received'])
        text = bounce['data'].replace(b'\r\n', b'\n')
        listed = re.findall(rb'\n<([^>\n]+)>:\n', text)
        self.assertEqual(listed, hard)
        self.assertIn(b"didn't work out.\n\n<p3@mixed.example>:\n"
                      b'127.0.0.1 does not like recipient.\n'
                      b'Remote host said: 550 no such user\n\n<p7@mixed.example>:\n'
                      b'127.0.0.1 does not like recipient.\nRemote host said: 550 no such user\n\n'
                      b'--- Below this line is a copy of the message.\n', text)

    def test_remotebatch_zero_one_connection_each(self):
        Q.control('remotebatch', '0\n')
        self.daemon.signal(signal.SIGHUP)
        time.sleep(0.3)
        try:
            sender = 'owner@senders.example'
            rcpts = rcpt_list('z%02d@batch.example', 50)
            mail_inject(message(b'unbatched'), sender, [r.decode() for r in rcpts])
            n, i = self.queued(sender, self.mark)
            self.log.wait(r'end msg %d' % n, i)
            sessions = self.sessions(50)
            self.assertEqual(sorted(s['rcpts'] for s in sessions), [[r] for r in rcpts])
            out = self.outcomes(n, {r: 1 for r in rcpts}, i)
            self.assertTrue(all(v == [out[rcpts[0]][0]] and v[0][0] == 'success'
                                for v in out.values()), out)
        finally:
            os.unlink(os.path.join(Q.home, 'control', 'remotebatch'))
            self.daemon.signal(signal.SIGHUP)
            time.sleep(0.3)


if __name__ == '__main__':
    unittest.main()
