"""Crash safety under load, as root.

MESSAGES messages, each numbered in its Subject, go in over SMTP
(qmail-smtpd under tcpserver as qmaild on 127.0.0.1, CLIENTS smtplib
sessions at once; a message refused with 4xx is sent again until taken)
to one local address that delivers to a Maildir, while the whole
qmail-start process group (qmail-send, the spawners, qmail-clean and any
qmail-local under way) is stopped and killed with SIGKILL at random
instants and started again, and a few more times while the queue drains.
Checked at the end: every message is in the Maildir at least once, whole
and unchanged (extra copies are counted and reported, and bounded by
concurrencylocal per kill); the queue is empty but for orphaned mess/
files, at most one per kill; the activity record of every qmail-send run
keeps to qmail-log(5) without an alert or a warning, the last run ending
cleanly on TERM. One summary line goes to stderr. The kill instants come
from a seeded generator: the seed is printed, and SOAK_SEED=seed repeats
them.

The test account is TEST_USER with a scratch home named in users/assign;
control/ and users/ are put back as they were."""
import concurrent.futures
import os
import random
import re
import signal
import smtplib
import sys
import threading
import time

from clients import DATE, QQ_RECEIVED
from harness import Q, UserHomeCase, set_users_assign
from test_delivery import (Daemon, check_run, maildir_messages, restore, snapshot, subreaper,
                           wait_for)
from test_smtpd import Server, quiesce

MESSAGES = 10000
CLIENTS = 10
KILL_EVERY = (0.5, 3.0)  # seconds from one kill to the next, drawn uniformly
DRAIN_KILLS = 3
CONCURRENCY_LOCAL = 10  # qmail-send's default: the deliveries a kill can catch under way
SEND_TIMEOUT = 300  # seconds for every message to be accepted
DRAIN_TIMEOUT = 300  # seconds for the queue to empty after that
ME = 'example.org'
SENDER = 'soak-sender@' + ME
SMTPD_RECEIVED = re.compile(rb'Received: from unknown \(HELO soak\.example\) \(127\.0\.0\.1\)\n'
                            rb'  by mx\.example with SMTP; ' + DATE + rb'\n')


def soak_message(k):
    """Message k, about 1 KB, as it is delivered (LF line ends)."""
    return (b'From: <%s>\nTo: <soak@%s>\nSubject: soak %d\nMessage-ID: <soak.%d@%s>\n\n'
            % (SENDER.encode(), ME.encode(), k, k, ME.encode()) +
            b''.join(b'Line %d of message %d, to see that none is cut short.\n' % (i, k)
                     for i in range(18)))


def transaction(c, rcpt, k):
    """(code, text) of the reply that ends message k's SMTP transaction."""
    code, text = c.mail(SENDER)
    if code == 250:
        code, text = c.rcpt(rcpt)
    if code == 250:
        try:
            code, text = c.data(soak_message(k).replace(b'\n', b'\r\n'))
        except smtplib.SMTPDataError as e:  # no 354
            code, text = e.smtp_code, e.smtp_error
    return code, text


def send(port, rcpt, numbers, abort):
    """Send messages numbers in one SMTP session; after a 4xx reply, open
    a new session and send the message again, until it is accepted.
    Returns the 4xx replies, or None if abort was set first. Any other
    reply, or a session lost, is an error."""
    refused = []
    c = None
    try:
        for k in numbers:
            while True:
                if abort.is_set():
                    return None
                if c is None:
                    c = smtplib.SMTP('127.0.0.1', port, timeout=60)
                    code, text = c.ehlo('soak.example')
                    if code != 250:
                        raise AssertionError('EHLO: %d %r' % (code, text))
                code, text = transaction(c, rcpt, k)
                if code == 250:
                    break
                if code // 100 != 4:
                    raise AssertionError('message %d: %d %r' % (k, code, text))
                refused.append((k, code, text))
                c.close()
                c = None
        if c is not None:
            c.quit()
    finally:
        if c is not None:
            c.close()
    return refused


class Soak(UserHomeCase):
    scratch_prefix = 'soak-'

    def setUp(self):
        super().setUp()
        self.server = self.daemon = None
        subreaper(True)
        self.addCleanup(subreaper, False)
        for d in ('control', 'users'):
            path = os.path.join(Q.home, d)
            self.addCleanup(restore, path, snapshot(path))
        Q.clear_controls()
        for name in ('me', 'locals', 'rcpthosts'):
            Q.control(name, ME + '\n')
        set_users_assign([(self.pw, self.home)])
        self.rcpt = '%s-soak@%s' % (self.pw.pw_name, ME)
        self.maildir = self.path('Maildir-soak')
        self.mkdirs('Maildir-soak', 'Maildir-soak/tmp', 'Maildir-soak/new', 'Maildir-soak/cur')
        self.write('.qmail-soak', './Maildir-soak/\n')
        self.runs = []  # the Daemon of every qmail-send run, the last one current

    def tearDown(self):
        if self.server is not None:
            self.server.stop()
        quiesce()
        if self.daemon is not None:
            self.daemon.stop()
        super().tearDown()

    def start(self):
        self.daemon = Daemon(os.path.join(self.top, 'send-%d.log' % (len(self.runs) + 1)))
        self.runs.append(self.daemon)

    def crash(self):
        """Stop the whole group at one instant, so that none of them sees
        another die first, kill it with SIGKILL, and start it again."""
        os.killpg(self.daemon.pgid, signal.SIGSTOP)
        self.daemon.kill9()
        self.start()

    def busy(self):
        """The queue files other than mess/ ones: work left to do."""
        return [k for k in Q.queue_names() if not k.startswith('mess/')]

    def delivered(self):
        """{message number: copies} of what is in the Maildir, each copy
        checked to be the message as sent, below a Return-Path, a
        Delivered-To and the Received fields of qmail-queue and
        qmail-smtpd."""
        top = b'Return-Path: <%s>\nDelivered-To: %s\n' % (SENDER.encode(), self.rcpt.encode())
        copies = {}
        for got in maildir_messages(self.maildir):
            self.assertTrue(got.startswith(top), got[:500])
            m = QQ_RECEIVED.match(got[len(top):])
            self.assertTrue(m, got[:500])
            rest = got[len(top) + m.end():]
            m = SMTPD_RECEIVED.match(rest)
            self.assertTrue(m, got[:500])
            subject = re.search(rb'\nSubject: soak (\d+)\n', rest)
            self.assertTrue(subject, got[:500])
            k = int(subject.group(1))
            self.assertEqual(rest[m.end():], soak_message(k))
            copies[k] = copies.get(k, 0) + 1
        return copies

    def test_kill9_under_smtp_load(self):
        seed = int(os.environ.get('SOAK_SEED') or random.SystemRandom().randrange(1 << 32))
        sys.stderr.write('\n[soak: seed %d]\n' % seed)
        rng = random.Random(seed)
        t0 = time.time()
        self.start()
        self.server = Server()
        abort = threading.Event()
        with concurrent.futures.ThreadPoolExecutor(CLIENTS) as pool:
            futures = [pool.submit(send, self.server.port, self.rcpt,
                                   range(i, MESSAGES, CLIENTS), abort) for i in range(CLIENTS)]
            sending_kills = 0
            try:
                while True:
                    done, pending = concurrent.futures.wait(futures, rng.uniform(*KILL_EVERY),
                                                            concurrent.futures.FIRST_EXCEPTION)
                    if (not pending or any(f.exception() for f in done) or
                            time.time() > t0 + SEND_TIMEOUT):
                        break
                    self.crash()
                    sending_kills += 1
            finally:
                abort.set()  # the clients still sending after an error or the timeout stop
        results = [f.result() for f in futures]  # a client's error is raised here
        self.assertNotIn(None, results, 'not all accepted within %ds' % SEND_TIMEOUT)
        refused = sum(len(r) for r in results)
        t_sent = time.time()

        drain_kills = 0
        for _ in range(DRAIN_KILLS):
            time.sleep(rng.uniform(*KILL_EVERY))  # a random instant, not a wait for anything
            if not self.busy():
                break
            self.crash()
            drain_kills += 1
        try:
            wait_for(lambda: not self.busy(), 'the queue to drain', DRAIN_TIMEOUT)
        except AssertionError:
            self.fail('the queue has not drained in %ds: %r' % (DRAIN_TIMEOUT, self.busy()[:20]))
        t_done = time.time()
        self.assertEqual(self.daemon.stop(), 0)
        orphans = sorted(Q.queue_names())
        kills = sending_kills + drain_kills

        copies = self.delivered()
        lost = sorted(set(range(MESSAGES)) - set(copies))
        dups = sorted((k, c) for k, c in copies.items() if c > 1)
        extra = sum(c - 1 for _, c in dups)
        partial = os.listdir(os.path.join(self.maildir, 'tmp'))
        sys.stderr.write(
            '[soak: %d messages from %d SMTP clients (%d refused with 4xx and sent again), '
            'all accepted in %.1fs; %d kills (%d while sending, %d during the drain); '
            'delivered and the queue empty after %.1fs; %d lost; %d delivered more than once, '
            '%d extra copies %r; %d orphaned mess/ file(s) %r; %d file(s) left in the '
            "Maildir's tmp/; seed %d]\n"
            % (MESSAGES, CLIENTS, refused, t_sent - t0, kills, sending_kills, drain_kills,
               t_done - t0, len(lost), len(dups), extra, dups[:20], len(orphans), orphans,
               len(partial), seed))

        self.assertEqual(lost, [], '%d accepted messages lost' % len(lost))
        self.assertGreater(sending_kills, 0, 'no kill in %.1fs of sending' % (t_sent - t0))
        self.assertLessEqual(extra, CONCURRENCY_LOCAL * kills)
        self.assertLessEqual(len(orphans), kills)
        for run in self.runs:
            with open(run.errpath, 'rb') as f:
                self.assertEqual(f.read(), b'', run.errpath)
            check_run(self, run.lines(), complete=run is self.runs[-1])
