"""test_qmtp.py: QMTP, QMQP and the config script, end to end.

qmail-qmtpd runs under the real tcpserver as qmaild on 127.0.0.1 (a free
port), spoken to by the small QMTP client here: exact responses, several
packages per connection (in one write or one by one), both line-end
conventions, the exact Received line, rcpthosts, morercpthosts.cdb,
RELAYCLIENT, databytes, bad senders and recipients, the recipient cap,
qmail-queue failures. Protocol violations and their exit codes are
checked with qmail-qmtpd and qmail-qmqpd on pipes (as qmaild).

QMQP has a fixed port, 628, so qmail-qmqpd's tcpserver runs inside a
private network namespace (dnsserver.Namespace): nothing else can hold
the port there and nothing leaves the machine. qmail-qmqpc runs there
too, with control/qmqpservers naming 127.0.0.1; other addresses of the
namespace's loopback hold fake QMQP servers (answering Z, D, nothing, or
garbage, and recording the bytes qmail-qmqpc sent), a listener whose
backlog is full (connections time out), or nothing (refused).

config runs in a namespace of its own too, with its own host name (a UTS
namespace), /etc/resolv.conf pointing at the DNS server of dnsserver.py
and only the loopback interface (ipmeprint lists 127.0.0.1 and, as
qmail's ipme does, 0.0.0.0): its output and the control files it writes
are checked exactly, for success and for a host DNS does not know.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

import clients
import dnsserver
from clients import DATE, QQ_RECEIVED, date_epoch, rules_cdb, tcpserver_argv, wait_listening
from dnsserver import A, PTR, Zone
from harness import Q

OK = re.compile(rb'^Kok (\d+) qp (\d+)$')
CONTROLS = ['me', 'rcpthosts', 'morercpthosts', 'morercpthosts.cdb', 'databytes', 'qmqpservers',
            'smtplog']

REFUSED_DOMAIN = b"Dsorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)"
BAD_RCPT = b"Dsorry, I can't handle that recipient (#5.1.3)"
BAD_SENDER = b'Dunacceptable sender (#5.1.7)'
TOO_BIG = b'Dsorry, that message size exceeds my databytes limit (#5.3.4)'
TOO_MANY = b'Ztoo many recipients (#4.5.3)'
BAD_ADDR = b"Dsorry, I can't accept addresses like that (#5.1.3)"


# ---- netstrings, QMTP and QMQP as a client writes them ---------------------

def ns(b):
    return b'%d:%s,' % (len(b), b)


def qmtp(message, sender, recipients, crlf=False):
    """A QMTP package; message with LF line ends, sent as is or in CR LF."""
    body = b'\r' + message.replace(b'\n', b'\r\n') if crlf else b'\n' + message
    return ns(body) + ns(sender) + ns(b''.join(ns(r) for r in recipients))


def qmqp(message, sender, recipients):
    return ns(ns(message) + ns(sender) + b''.join(ns(r) for r in recipients))


def netstrings(data):
    """The payloads of the netstrings that make up data, which must hold
    nothing else."""
    out = []
    while data:
        m = re.match(rb'(0|[1-9][0-9]*):', data)
        if not m:
            raise AssertionError('not a netstring: %r' % data[:80])
        n, start = int(m.group(1)), m.end()
        if data[start + n:start + n + 1] != b',':
            raise AssertionError('netstring without its comma: %r' % data[:80])
        out.append(data[start:start + n])
        data = data[start + n + 1:]
    return out


def envelope(intd):
    """(sender, [recipients]) from a queue/intd file."""
    fields = intd.split(b'\0')
    i = next(k for k, f in enumerate(fields) if f.startswith(b'F'))
    return fields[i][1:], [f[1:] for f in fields[i + 1:] if f]


# ---- processes --------------------------------------------------------------

def quiesce():
    """Wait until no qmail-qmtpd, qmail-qmqpd or qmail-queue of the
    installation runs."""
    clients.quiesce(['qmail-qmtpd', 'qmail-qmqpd', 'qmail-queue'])


def running(pid):
    """1 while pid is a process that has not ended (a zombie has)."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rindex(')') + 2] != 'Z'


class QmtpServer(clients.TcpServer):
    """tcpserver running qmail-qmtpd as qmaild on 127.0.0.1:port."""

    program = 'qmail-qmtpd'
    timeout = 60

    def session(self, timeout=None):
        return QmtpSession(self.connect(timeout))


class QmtpSession:
    """One connection, package by package: send() returns the responses."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b''

    def response(self):
        while True:
            m = re.match(rb'(0|[1-9][0-9]*):', self.buf)
            if m and len(self.buf) > m.end() + int(m.group(1)):
                n, start = int(m.group(1)), m.end()
                assert self.buf[start + n:start + n + 1] == b',', self.buf
                payload, self.buf = self.buf[start:start + n], self.buf[start + n + 1:]
                return payload
            more = self.sock.recv(65536)
            if not more:
                raise AssertionError('connection closed; have %r' % self.buf)
            self.buf += more

    def send(self, package, count):
        self.sock.sendall(package)
        return [self.response() for _ in range(count)]

    def close(self):
        self.sock.close()


class Base(unittest.TestCase):
    def setUp(self):
        quiesce()
        Q.clear_queue()
        self.saved = {}
        for name in CONTROLS:
            path = os.path.join(Q.home, 'control', name)
            if os.path.exists(path):
                with open(path, 'rb') as f:
                    self.saved[name] = f.read()
                os.unlink(path)
        self.servers = []
        self.tmp = tempfile.mkdtemp(prefix='qmtp-', dir=Q.root)
        os.chmod(self.tmp, 0o755)
        Q.control('me', 'mx.example\n')

    def tearDown(self):
        for s in self.servers:
            s.stop()
        quiesce()
        Q.clear_queue()
        for name in CONTROLS:
            try:
                os.unlink(os.path.join(Q.home, 'control', name))
            except FileNotFoundError:
                pass
        for name, data in self.saved.items():
            with open(os.path.join(Q.home, 'control', name), 'wb') as f:
                f.write(data)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def messages(self):
        """[(sender, [recipients], mess bytes)] of every queued message."""
        quiesce()
        files = Q.queue_files()
        found = []
        for key in files:
            if key.startswith('todo/'):
                n = key.split('/')[1]
                sender, rcpts = envelope(files['intd/' + n])
                found.append((sender, rcpts, files['mess/%d/%s' % (int(n) % Q.split, n)]))
        return found

    def only_message(self):
        msgs = self.messages()
        self.assertEqual(len(msgs), 1, msgs)
        return msgs[0]

    def assertNothingQueued(self):
        quiesce()
        self.assertEqual(Q.queue_files(), {})

    def split_received(self, mess, proto, host=b'unknown', ip=b'127.0.0.1', local=b'mx.example'):
        """Check qmail-queue's Received line and ours (with its exact
        form) at the top of mess: (qmail-queue's pid, our date as seconds,
        the rest)."""
        m = QQ_RECEIVED.match(mess)
        self.assertTrue(m, mess[:200])
        rest = mess[m.end():]
        r = re.match(rb'Received: from ' + re.escape(host) + rb' \(' + re.escape(ip) + rb'\)\n  by ' +
                     re.escape(local) + rb' with ' + proto + rb'; ' + DATE + rb'\n', rest)
        self.assertTrue(r, rest[:300])
        return int(m.group(1)), date_epoch(r.groups()), rest[r.end():]


# ---- QMTP -------------------------------------------------------------------

class Qmtp(Base):
    def server(self, **kw):
        s = QmtpServer(**kw)
        self.servers.append(s)
        return s

    def direct(self, data, env=None):
        """qmail-qmtpd on pipes as qmaild: (exit code, output)."""
        p = Q.run(['qmail-qmtpd'], input=data, env=env, user='qmaild')
        self.assertEqual(p.stderr, b'')
        return p.returncode, p.stdout

    def assertAccepted(self, responses, count, before, after):
        """count identical responses "Kok TIME qp PID"; returns PID."""
        self.assertEqual(len(responses), count, responses)
        self.assertEqual(len(set(responses)), 1, responses)
        m = OK.match(responses[0])
        self.assertTrue(m, responses)
        self.assertTrue(before <= int(m.group(1)) <= after)
        return int(m.group(2))

    def test_round_trip_several_packages(self):
        srv = self.server()
        before = int(time.time())
        s = srv.session()
        r1 = s.send(qmtp(b'Subject: one\n\nfirst\n', b'a@b.example', [b'c@d.example', b'e@f.example']), 2)
        r2 = s.send(qmtp(b'Subject: two\n\nsecond\r\nline\n', b'', [b'g@h.example'], crlf=True), 1)
        r3 = s.send(qmtp(b'no newline at end', b'x@y', [b'z@w', b'z@w', b'q@r']), 3)
        s.close()
        after = int(time.time())
        qps = [self.assertAccepted(r, n, before, after) for r, n in ((r1, 2), (r2, 1), (r3, 3))]
        want = {
            qps[0]: (b'a@b.example', [b'c@d.example', b'e@f.example'], b'Subject: one\n\nfirst\n'),
            qps[1]: (b'', [b'g@h.example'], b'Subject: two\n\nsecond\r\nline\n'),
            qps[2]: (b'x@y', [b'z@w', b'z@w', b'q@r'], b'no newline at end'),
        }
        msgs = self.messages()
        self.assertEqual(len(msgs), 3)
        for sender, rcpts, mess in msgs:
            qp, when, rest = self.split_received(mess, b'QMTP')
            self.assertTrue(before <= when <= after)
            self.assertEqual((sender, rcpts, rest), want[qp])

    def test_packages_in_one_write_and_in_pieces(self):
        srv = self.server()
        data = b''.join(qmtp(b'm%d\n' % k, b's@x', [b'r%d@y' % k, b'q@y']) for k in range(5))
        for chunks in ([data], [data[i:i + 1] for i in range(len(data))],
                       [data[i:i + 7] for i in range(0, len(data), 7)]):
            quiesce()
            Q.clear_queue()
            before = int(time.time())
            out = srv.talk(None, chunks=chunks)
            after = int(time.time())
            resp = netstrings(out)
            self.assertEqual(len(resp), 10, out)
            qps = [self.assertAccepted(resp[2 * k:2 * k + 2], 2, before, after) for k in range(5)]
            self.assertEqual(len(set(qps)), 5)
            got = {}
            for sender, rcpts, mess in self.messages():
                qp, _, rest = self.split_received(mess, b'QMTP')
                got[qp] = (sender, rcpts, rest)
            self.assertEqual(got, {qps[k]: (b's@x', [b'r%d@y' % k, b'q@y'], b'm%d\n' % k) for k in range(5)})

    def test_line_ends(self):
        """LF: stored as sent. CR: CR LF becomes LF, any other CR stays
        (before a CR, at the end, before other bytes)."""
        srv = self.server()
        cases = [
            (b'\n' + b'a\r\nb\rc\n\r', b'a\r\nb\rc\n\r'),
            (b'\r' + b'a\r\nb\r\r\nc\rd\r', b'a\nb\r\nc\rd\r'),
            (b'\r' + b'\r\r\r\n\n\r\n', b'\r\r\n\n\n'),
            (b'\r', b''),
            (b'\n', b''),
            (b'\r' + b'\0\xff\r\n', b'\0\xff\n'),
        ]
        for body, stored in cases:
            quiesce()
            Q.clear_queue()
            out = srv.talk(ns(body) + ns(b'a@b') + ns(ns(b'c@d')))
            self.assertTrue(OK.match(netstrings(out)[0]), (body, out))
            self.assertEqual(self.split_received(self.only_message()[2], b'QMTP')[2], stored, body)

    def test_received_line_variants(self):
        rules = rules_cdb(self.tmp, '127.0.0.1:allow,TCPREMOTEHOST="Client.Example",'
                                    'TCPREMOTEINFO="joe user"\n')
        srv = self.server(rules=rules, localname='local(host)')
        out = srv.talk(qmtp(b'x\n', b'a@b', [b'c@d']))
        self.assertTrue(OK.match(netstrings(out)[0]), out)
        mess = self.only_message()[2]
        m = QQ_RECEIVED.match(mess)
        self.assertTrue(m)
        self.assertRegex(mess[m.end():], rb'^Received: from Client.Example \(joe\?user@127.0.0.1\)\n'
                                         rb'  by local\?host\? with QMTP; ' + DATE + rb'\nx\n$')
        # Without the tcp-environ variables: "unknown" everywhere.
        Q.clear_queue()
        code, out = self.direct(qmtp(b'y\n', b'a@b', [b'c@d']))
        self.assertEqual(code, 0)
        self.assertTrue(OK.match(netstrings(out)[0]), out)
        mess = self.only_message()[2]
        self.assertEqual(self.split_received(mess, b'QMTP', ip=b'unknown', local=b'unknown')[2], b'y\n')

    def test_rcpthosts(self):
        Q.control('rcpthosts', 'Example.COM\n.sub.example.net\n# comment.example\n\n')
        srv = self.server()
        rcpts = [b'a@example.com', b'b@EXAMPLE.com', b'c@b@example.com', b'd@x.example.com',
                 b'e@x.sub.example.net', b'f@y.x.SUB.example.net', b'g@sub.example.net', b'h@example.org',
                 b'postmaster', b'i@', b'j@comment.example', b'k@example.com.', b'']
        allowed = [True, True, True, False, True, True, False, False, True, False, False, False, True]
        before = int(time.time())
        resp = netstrings(srv.talk(qmtp(b'x\n', b'a@b', rcpts)))
        after = int(time.time())
        self.assertEqual(len(resp), len(rcpts))
        ok = [r for r, a in zip(resp, allowed) if a]
        self.assertAccepted(ok, len(ok), before, after)
        self.assertEqual([r for r, a in zip(resp, allowed) if not a], [REFUSED_DOMAIN] * allowed.count(False))
        sender, got, _ = self.only_message()
        self.assertEqual(got, [r for r, a in zip(rcpts, allowed) if a])
        # Every recipient refused: nothing is queued.
        Q.clear_queue()
        resp = netstrings(srv.talk(qmtp(b'x\n', b'a@b', [b'a@example.org', b'b@example.org'])))
        self.assertEqual(resp, [REFUSED_DOMAIN] * 2)
        self.assertNothingQueued()

    def test_morercpthosts(self):
        Q.control('rcpthosts', 'example.com\n')
        Q.control('morercpthosts', 'More.Example\n.deep.example\n')
        p = Q.run(['qmail-newmrh'])
        self.assertEqual(p.returncode, 0, p.stderr)
        rcpts = [b'a@example.com', b'b@MORE.example', b'c@x.more.example', b'd@x.deep.example',
                 b'e@deep.example']
        resp = netstrings(self.server().talk(qmtp(b'x\n', b'', rcpts)))
        self.assertEqual([r == REFUSED_DOMAIN for r in resp], [False, False, True, False, True])
        self.assertEqual(self.only_message()[1], [b'a@example.com', b'b@MORE.example', b'd@x.deep.example'])

    def test_relayclient(self):
        Q.control('rcpthosts', 'example.com\n')
        rules = rules_cdb(self.tmp, '127.0.0.1:allow,RELAYCLIENT="@relay.example"\n')
        resp = netstrings(self.server(rules=rules).talk(qmtp(b'x\n', b'a@b', [b'x@y', b'z@anywhere'])))
        self.assertEqual(len(resp), 2)
        self.assertTrue(OK.match(resp[0]) and resp[0] == resp[1], resp)
        self.assertEqual(self.only_message()[1], [b'x@y@relay.example', b'z@anywhere@relay.example'])
        # The address and RELAYCLIENT together must stay under 1000 bytes.
        Q.clear_queue()
        long_ok, long_bad = b'a' * 985, b'b' * 986
        resp = netstrings(self.server(rules=rules).talk(qmtp(b'x\n', b'a@b', [long_ok, long_bad])))
        self.assertEqual(resp[1], BAD_RCPT)
        self.assertTrue(OK.match(resp[0]), resp)
        self.assertEqual(self.only_message()[1], [long_ok + b'@relay.example'])

    def logged(self, program, data, env):
        """Run program on data as qmaild twice: without control/smtplog
        nothing on fd 2; with it, the qp of its first response and the
        log lines, the pid they all start with checked and taken off."""
        r = Q.run([program], input=data, env=env, user='qmaild')
        self.assertEqual((r.returncode, r.stderr), (0, b''))
        Q.clear_queue()
        Q.control('smtplog', '1\n')
        r = Q.run([program], input=data, env=env, user='qmaild')
        self.assertEqual(r.returncode, 0)
        qp = OK.match(netstrings(r.stdout)[0]).group(2).decode()
        log = r.stderr.decode().splitlines()
        pid = log[0].split(' ', 1)[0]
        self.assertTrue(pid.isdigit() and all(l.startswith(pid + ' ') for l in log), log)
        return qp, [l.split(' ', 1)[1] for l in log]

    def test_session_log(self):
        """control/smtplog: a line per event on fd 2, the client's bytes
        escaped; nothing without it."""
        Q.control('rcpthosts', 'example.com\n')
        env = {'TCPREMOTEIP': '192.0.2.7', 'TCPREMOTEHOST': 'c\x01.example'}
        data = (qmtp(b'x\n', b'a b@c', [b'd@example.com', b'e@other.example']) +
                qmtp(b'y\n', b'a' * 1000, [b'd@example.com']))
        qp, log = self.logged('qmail-qmtpd', data, env)
        self.assertEqual(log, [
            'qmtp from 192.0.2.7 host c\\x01.example',
            'rcpt <d@example.com> ok',
            "rcpt <e@other.example> refused Dsorry, that domain isn't in my list of allowed "
            'rcpthosts (#5.7.1)',
            'queued qp %s bytes 2 from <a\\x20b@c> rcpts 1' % qp,
            'rcpt <d@example.com> ok',
            # a sender too long is not kept
            'message <> refused Dunacceptable sender (#5.1.7)',
            'end closed messages 2 queued 1'])

    def test_qmqpd_session_log(self):
        env = {'TCPREMOTEIP': '192.0.2.8'}
        data = qmqp(b'Subject: x\n\nhi\n', b'a@b', [b'c@d', b'e\nf@g'])
        qp, log = self.logged('qmail-qmqpd', data, env)
        self.assertEqual(log, [
            'qmqp from 192.0.2.8 host unknown',
            'queued qp %s bytes 15 from <a@b> rcpts 2' % qp,
            'end done'])

    def test_bad_sender(self):
        srv = self.server()
        for sender in (b'a' * 1000, b'a\0b@c', b'\0'):
            resp = netstrings(srv.talk(qmtp(b'x\n', sender, [b'c@d', b'e@f'])))
            self.assertEqual(resp, [BAD_SENDER] * 2, sender[:20])
            self.assertNothingQueued()
        resp = netstrings(srv.talk(qmtp(b'x\n', b'a' * 999, [b'c@d'])))
        self.assertTrue(OK.match(resp[0]), resp)
        self.assertEqual(self.only_message()[0], b'a' * 999)

    def test_bad_recipients(self):
        srv = self.server()
        rcpts = [b'r' * 1000, b'ok@x', b'a\0b@c', b'r' * 999, b'r' * 5000]
        resp = netstrings(srv.talk(qmtp(b'x\n', b's@t', rcpts)))
        self.assertEqual([resp[0], resp[2], resp[4]], [BAD_RCPT] * 3)
        self.assertTrue(OK.match(resp[1]) and resp[1] == resp[3], resp)
        self.assertEqual(self.only_message()[1], [b'ok@x', b'r' * 999])

    def test_databytes(self):
        Q.control('databytes', '10\n')
        srv = self.server()
        s = srv.session()
        # LF: the message after its first byte counts.
        self.assertTrue(OK.match(s.send(ns(b'\n' + b'x' * 10) + ns(b'') + ns(ns(b'a@b')), 1)[0]))
        self.assertEqual(s.send(ns(b'\n' + b'x' * 11) + ns(b'') + ns(ns(b'a@b') + ns(b'c@d')), 2),
                         [TOO_BIG] * 2)
        # CR: the message as stored counts (CR LF is one byte).
        self.assertTrue(OK.match(s.send(ns(b'\r' + b'x\r\n' * 5) + ns(b'') + ns(ns(b'a@b')), 1)[0]))
        self.assertEqual(s.send(ns(b'\r' + b'x\r\n' * 5 + b'y') + ns(b'') + ns(ns(b'a@b')), 1), [TOO_BIG])
        # Refused for its domain: that text wins for that recipient.
        Q.control('rcpthosts', 'b\n')
        s2 = srv.session()
        self.assertEqual(s2.send(ns(b'\n' + b'x' * 11) + ns(b'') + ns(ns(b'a@b') + ns(b'c@d')), 2),
                         [TOO_BIG, REFUSED_DOMAIN])
        s.close()
        s2.close()
        self.assertEqual(sorted(self.split_received(m[2], b'QMTP')[2] for m in self.messages()),
                         [b'x\n' * 5, b'x' * 10])
        # DATABYTES in the environment overrides the control file.
        Q.clear_queue()
        code, out = self.direct(ns(b'\n' + b'x' * 11) + ns(b'') + ns(ns(b'a@b')), env={'DATABYTES': '11'})
        self.assertTrue(OK.match(netstrings(out)[0]), out)
        code, out = self.direct(ns(b'\n' + b'x' * 12) + ns(b'') + ns(ns(b'a@b')), env={'DATABYTES': '11'})
        self.assertEqual(netstrings(out), [TOO_BIG])

    def test_too_many_recipients(self):
        rcpts = [b'r%d@x' % k for k in range(10003)]
        before = int(time.time())
        resp = netstrings(self.server().talk(qmtp(b'x\n', b'a@b', rcpts), timeout=120))
        after = int(time.time())
        self.assertEqual(len(resp), 10003)
        self.assertAccepted(resp[:10000], 10000, before, after)
        self.assertEqual(resp[10000:], [TOO_MANY] * 3)
        self.assertEqual(self.only_message()[1], rcpts[:10000])

    def test_large_message(self):
        body = b''.join(b'line %07d of a long message\n' % k for k in range(200000))  # 5.8 MB
        resp = netstrings(self.server().talk(qmtp(body, b'a@b', [b'c@d']), timeout=120))
        self.assertTrue(OK.match(resp[0]), resp)
        self.assertEqual(self.split_received(self.only_message()[2], b'QMTP')[2], body)

    def test_queue_failures(self):
        srv = self.server()
        todo = os.path.join(Q.queue, 'todo')
        os.chmod(todo, 0o500)
        try:
            resp = netstrings(srv.talk(qmtp(b'x\n', b'a@b', [b'c@d', b'e@f'])))
        finally:
            os.chmod(todo, 0o750)
        self.assertEqual(resp, [b'Zqq trouble creating files in queue (#4.3.0)'] * 2)
        self.assertNothingQueued()
        queue = Q.bin('qmail-queue')
        os.rename(queue, queue + '.away')
        try:
            resp = netstrings(srv.talk(qmtp(b'x\n', b'a@b', [b'c@d'])))
        finally:
            os.rename(queue + '.away', queue)
        self.assertEqual(resp, [b'Zunable to exec qq (#4.3.0)'])

    def test_protocol_violations(self):
        good = qmtp(b'x\n', b'a@b', [b'c@d'])
        cases = [
            (b'x', 100),                                   # not a netstring
            (b'01:\nx,', 100),                             # a leading zero
            (b'0:,' + ns(b'a') + ns(ns(b'c@d')), 100),     # an empty message
            (ns(b'Xabc') + ns(b'a') + ns(ns(b'c@d')), 100),  # no line-end byte
            (b'2:\nx;', 100),                              # no comma
            (ns(b'\nx') + b'1:a;', 100),
            (ns(b'\nx') + ns(b'a') + b'5:3:c@d,,', 100),   # a recipient past the list
            (ns(b'\nx') + ns(b'a') + b'6:3:c@d;,', 100),   # a recipient without its comma
            (ns(b'\nx') + ns(b'a') + b'4:3:c@,', 100),     # the list ends inside a recipient
            (ns(b'\nx') + ns(b'a') + b'6:c:c@d,,', 100),   # garbage in the list
            (ns(b'\nx') + ns(b'a') + b'5:03:c@,,', 100),
            (b'2000000001:\n', 111),                       # longer than we take
            (b'99999999999999999999999:', 111),
            (ns(b'\nx') + ns(b'a') + b'2000000001:', 111),
        ]
        for data, code in cases:
            got, out = self.direct(data)
            self.assertEqual((got, out), (code, b''), data)
            got, out = self.direct(good + data)
            self.assertEqual(got, code, data)
            self.assertTrue(OK.match(netstrings(out)[0]), (data, out))
        quiesce()
        self.assertEqual(len(self.messages()), len(cases))

    def test_end_of_input(self):
        good = qmtp(b'x\n', b'a@b', [b'c@d'])
        # Between packages: a normal end, every response sent.
        for data in (b'', good, good + good):
            code, out = self.direct(data)
            self.assertEqual(code, 0)
            self.assertEqual(len(netstrings(out)), data.count(b'c@d'))
        # Inside a package: nothing more is said or queued.
        Q.clear_queue()
        for cut in range(1, len(good)):
            code, out = self.direct(good[:cut])
            self.assertEqual((code, out), (0, b''), cut)
        self.assertNothingQueued()
        # Responses to a package are not held back for the next one.
        srv = self.server()
        s = srv.session()
        s.sock.sendall(good + good[:10])
        self.assertTrue(OK.match(s.response()))
        s.close()

    def test_no_recipients(self):
        code, out = self.direct(ns(b'\nx') + ns(b'a@b') + ns(b''))
        self.assertEqual((code, out), (0, b''))
        self.assertNothingQueued()

    def test_unreadable_control(self):
        Q.control('rcpthosts', 'example.com\n')
        os.chmod(os.path.join(Q.home, 'control', 'rcpthosts'), 0o600)
        code, out = self.direct(qmtp(b'x\n', b'a@b', [b'c@example.com']))
        self.assertEqual((code, out), (111, b''))
        self.assertNothingQueued()


# ---- QMQP -------------------------------------------------------------------

FAST = 'nameserver 127.0.0.1\noptions timeout:2 attempts:1\n'


class FakeQmqp:
    """A QMQP server on addr:628 that reads one request and then answers
    with reply (bytes), or closes at once (reply None)."""

    def __init__(self, addr, reply):
        self.reply, self.got = reply, []
        self.lsock = socket.socket()
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind((addr, 628))
        self.lsock.listen(8)
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            conn, _ = self.lsock.accept()
            with conn:
                data = b''
                while True:
                    m = re.match(rb'(\d+):', data)
                    if m and len(data) >= m.end() + int(m.group(1)) + 1:
                        break
                    more = conn.recv(65536)
                    if not more:
                        break
                    data += more
                self.got.append(data.decode('latin-1'))
                if self.reply is not None:
                    conn.sendall(self.reply)


class QmqpHosts:
    """Started inside the namespace: tcpserver running qmail-qmqpd on
    127.0.0.1:628; fake servers at the addresses of fakes; a full backlog
    at 127.0.0.7:628 (connections time out). 127.0.0.9 has nothing."""

    FAKES = {'127.0.0.2': b'30:Ztemporarily out of service.,', '127.0.0.3': b'10:Dgo away.,',
             '127.0.0.4': None, '127.0.0.5': b'nonsense', '127.0.0.6': b'0:,'}

    def __init__(self):
        self.proc = subprocess.Popen(tcpserver_argv('127.0.0.1', 628, 'qmail-qmqpd'),
                                     env={'PATH': '/usr/bin:/bin'}, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_listening('127.0.0.1', 628, self.proc)
        self.fakes = {addr: FakeQmqp(addr, reply) for addr, reply in self.FAKES.items()}
        self.blackhole = socket.socket()
        self.blackhole.bind(('127.0.0.7', 628))
        self.blackhole.listen(0)
        self.fillers = []
        for _ in range(4):
            c = socket.socket()
            c.setblocking(False)
            c.connect_ex(('127.0.0.7', 628))
            self.fillers.append(c)
        time.sleep(0.1)

    def state(self):
        """tcpserver's pid (the test ends it) and what each fake got."""
        return {'pid': self.proc.pid, 'got': {addr: f.got for addr, f in self.fakes.items()}}


class Qmqp(Base):
    def setUp(self):
        super().setUp()
        self.net = dnsserver.Namespace(FAST, Zone(), setup=QmqpHosts)

    def tearDown(self):
        pid = self.net.state()['pid']
        os.kill(pid, signal.SIGTERM)
        self.net.close()
        deadline = time.time() + 10
        while running(pid) and time.time() < deadline:
            time.sleep(0.02)
        super().tearDown()

    def qmqpc(self, message, env, user=None):
        """qmail-qmqpc in the namespace with message on fd 0 and the
        envelope bytes on fd 1: the exit code."""
        path = os.path.join(self.tmp, 'envelope')
        with open(path, 'wb') as f:
            f.write(env)
        os.chmod(path, 0o644)
        r = self.net.run('/bin/sh', '-c', 'exec "$0" 1<"$1"', Q.bin('qmail-qmqpc'), path,
                         input=message, user=user)
        self.assertEqual(r['err'], '')
        return r['rc']

    def test_round_trip(self):
        Q.control('qmqpservers', '127.0.0.1\n')
        message = b'Subject: via QMQP\n\nbody\n\0binary\xff\r\n'
        before = int(time.time())
        self.assertEqual(self.qmqpc(message, b'Fa@b.example\0Tc@d.example\0Te@f.example\0\0', user='alias'), 0)
        after = int(time.time())
        sender, rcpts, mess = self.only_message()
        self.assertEqual((sender, rcpts), (b'a@b.example', [b'c@d.example', b'e@f.example']))
        _, when, rest = self.split_received(mess, b'QMQP')
        self.assertEqual(rest, message)
        self.assertTrue(before <= when <= after)
        # An empty message, the null sender, no recipients at all.
        Q.clear_queue()
        self.assertEqual(self.qmqpc(b'', b'F\0\0'), 0)
        sender, rcpts, mess = self.only_message()
        self.assertEqual((sender, rcpts, self.split_received(mess, b'QMQP')[2]), (b'', [], b''))

    def test_what_qmqpc_sends(self):
        Q.control('qmqpservers', '127.0.0.3\n')
        self.assertEqual(self.qmqpc(b'msg\n', b'Fa@b\0Tc@d\0T\0\0'), 31)
        self.assertEqual(self.net.state()['got']['127.0.0.3'],
                         [qmqp(b'msg\n', b'a@b', [b'c@d', b'']).decode('latin-1')])

    def test_servers_in_order(self):
        # Not addresses, then nothing listening: the next one takes it.
        Q.control('qmqpservers', 'mail.example\n\n# a comment\n127.0.0.9\n127.0.0.1\n127.0.0.2\n')
        self.assertEqual(self.qmqpc(b'x\n', b'Fa@b\0Tc@d\0\0'), 0)
        self.assertEqual(self.only_message()[1], [b'c@d'])
        self.assertEqual(self.net.state()['got']['127.0.0.2'], [])
        # The first to answer decides, even with Z.
        Q.clear_queue()
        Q.control('qmqpservers', '127.0.0.2\n127.0.0.1\n')
        self.assertEqual(self.qmqpc(b'x\n', b'Fa@b\0Tc@d\0\0'), 71)
        self.assertNothingQueued()

    def test_exit_codes(self):
        env = b'Fa@b\0Tc@d\0\0'
        self.assertEqual(self.qmqpc(b'x\n', env), 55)          # no qmqpservers
        for servers, code in (('', 55), ('not.an.address\n', 55), ('127.0.0.9\n', 73),
                              ('127.0.0.2\n', 71), ('127.0.0.3\n', 31), ('127.0.0.4\n', 74),
                              ('127.0.0.5\n', 74), ('127.0.0.6\n', 74), ('127.0.0.9\n127.0.0.4\n', 74)):
            Q.control('qmqpservers', servers)
            self.assertEqual(self.qmqpc(b'x\n', env), code, servers)
        Q.control('qmqpservers', '127.0.0.1\n')
        for bad in (b'', b'Fa@b', b'Fa@b\0', b'Fa@b\0Tc@d\0', b'Xa@b\0\0', b'\0', b'Fa@b\0Xc@d\0\0',
                    b'F\0T'):
            self.assertEqual(self.qmqpc(b'x\n', bad), 91, bad)
        # qmail-qmqpd refuses an address of 1000 bytes: permanently.
        self.assertEqual(self.qmqpc(b'x\n', b'Fa@b\0T' + b'c' * 1000 + b'\0\0'), 31)
        self.assertEqual(self.qmqpc(b'x\n', b'F' + b'a' * 1000 + b'\0Tc@d\0\0'), 31)
        self.assertNothingQueued()

    def test_connect_timeout(self):
        Q.control('qmqpservers', '127.0.0.7\n')
        t0 = time.time()
        self.assertEqual(self.qmqpc(b'x\n', b'Fa@b\0Tc@d\0\0'), 72)
        self.assertTrue(9 <= time.time() - t0 < 30)
        # A timeout, then a refusal: the last failure is the exit code.
        Q.control('qmqpservers', '127.0.0.7\n127.0.0.9\n')
        self.assertEqual(self.qmqpc(b'x\n', b'Fa@b\0Tc@d\0\0'), 73)

    # qmail-qmqpd on pipes

    def direct(self, data, env=None):
        p = Q.run(['qmail-qmqpd'], input=data, env=env, user='qmaild')
        self.assertEqual(p.stderr, b'')
        return p.returncode, p.stdout

    def test_qmqpd_responses(self):
        env = {'TCPREMOTEIP': '192.0.2.9', 'TCPREMOTEHOST': 'Client Host', 'TCPREMOTEINFO': 'joe',
               'TCPLOCALIP': '192.0.2.1'}
        before = int(time.time())
        code, out = self.direct(qmqp(b'hello\n', b'a@b', [b'c@d', b'e@f']), env)
        after = int(time.time())
        self.assertEqual(code, 0)
        resp = netstrings(out)
        m = OK.match(resp[0])
        self.assertTrue(len(resp) == 1 and m, out)
        self.assertTrue(before <= int(m.group(1)) <= after)
        sender, rcpts, mess = self.only_message()
        self.assertEqual((sender, rcpts), (b'a@b', [b'c@d', b'e@f']))
        qp, _, rest = self.split_received(mess, b'QMQP', host=b'Client?Host', ip=b'joe@192.0.2.9',
                                          local=b'192.0.2.1')
        self.assertEqual((qp, rest), (int(m.group(2)), b'hello\n'))
        Q.clear_queue()
        for parts in ([b'a' * 1000, b'c@d'], [b'a@b', b'c@d', b'x\0y'], [b'a@b', b'c' * 1000]):
            code, out = self.direct(ns(ns(b'm\n') + b''.join(ns(p) for p in parts)))
            self.assertEqual((code, netstrings(out)), (0, [BAD_ADDR]), parts)
        self.assertNothingQueued()

    def test_qmqpd_protocol_violations(self):
        cases = [
            (b'x', 100), (b'0:,', 100), (ns(ns(b'm')), 100),                 # no sender
            (ns(ns(b'm') + ns(b'a@b') + b'junk'), 100),                     # not a netstring inside
            (b'14:1:m,3:a@b,3:c@d,,', 100),                                 # a part past the end
            (ns(ns(b'm') + ns(b'a@b'))[:-1] + b';', 100),                  # no final comma
            (b'5:1:m,0:,', 100), (b'01:x,', 100),
            (b'2000000001:', 111), (b'99999999999999999999999:', 111),
        ]
        for data, code in cases:
            self.assertEqual(self.direct(data), (code, b''), data)
        good = qmqp(b'm\n', b'a@b', [b'c@d'])
        for cut in range(0, len(good)):
            self.assertEqual(self.direct(good[:cut]), (0, b''), cut)
        self.assertNothingQueued()


# ---- config -----------------------------------------------------------------

class UtsHost:
    """Inside the namespace: a host name of our choosing."""

    def __init__(self, name):
        dnsserver.libc_call('unshare', 0x04000000)  # CLONE_NEWUTS
        raw = name.encode()
        dnsserver.libc_call('sethostname', raw, len(raw))

    def state(self):
        return socket.gethostname()


def config_zone():
    z = Zone()
    z.add('mail.example.test', A, '192.0.2.7')
    z.add('mail.example.test', A, '192.0.2.8')
    z.add('7.2.0.192.in-addr.arpa', PTR, 'Mail.Example.Test')
    z.add('1.0.0.127.in-addr.arpa', PTR, 'localhost')
    return z


class Config(unittest.TestCase):
    def setUp(self):
        if os.geteuid() != 0:
            self.skipTest('namespaces need root')
        self.cdir = os.path.join(Q.home, 'control')
        self.saved = {}
        for name in os.listdir(self.cdir):
            with open(os.path.join(self.cdir, name), 'rb') as f:
                self.saved[name] = f.read()
        Q.clear_controls()

    def tearDown(self):
        Q.clear_controls()
        for name, data in self.saved.items():
            with open(os.path.join(self.cdir, name), 'wb') as f:
                f.write(data)

    def config(self, hostname):
        conf = 'nameserver 127.0.0.1\nsearch example.test\noptions timeout:2 attempts:1\n'
        with dnsserver.Namespace(conf, config_zone(), setup=lambda: UtsHost(hostname)) as net:
            self.assertEqual(net.state(), hostname)
            return net.run(os.path.join(Q.tree, 'build', 'config'))

    def controls(self):
        found = {}
        for name in sorted(os.listdir(self.cdir)):
            st = os.stat(os.path.join(self.cdir, name))
            self.assertEqual(st.st_mode & 0o777, 0o644, name)
            with open(os.path.join(self.cdir, name)) as f:
                found[name] = f.read()
        return found

    def test_config(self):
        Q.control('locals', 'old.example\n')
        Q.control('rcpthosts', 'old.example\n')
        r = self.config('MAIL')
        c = self.cdir
        self.assertEqual((r['rc'], r['err']), (0, ''))
        self.assertEqual(r['out'],
                         'Your hostname is mail.\n'
                         "Your host's fully qualified name in DNS is mail.example.test.\n"
                         'Putting mail.example.test into control/me...\n'
                         'Putting example.test into control/defaultdomain...\n'
                         'Putting example.test into control/plusdomain...\n'
                         ' \n'
                         'Checking local IP addresses:\n'
                         '0.0.0.0: PTR lookup failed. I assume this address has no DNS name.\n'
                         '127.0.0.1: Adding localhost to control/locals...\n'
                         '192.0.2.7: Adding Mail.Example.Test to control/locals...\n'
                         '192.0.2.8: PTR lookup failed. I assume this address has no DNS name.\n'
                         ' \n'
                         'If there are any other domain names that point to you,\n'
                         'you will have to add them to %s/locals.\n'
                         "You don't have to worry about aliases, i.e., domains with CNAME records.\n"
                         ' \n'
                         'Copying %s/locals to %s/rcpthosts...\n'
                         'Now qmail will refuse to accept SMTP messages except to those hosts.\n'
                         'Make sure to change rcpthosts if you add hosts to locals or virtualdomains!\n'
                         % (c, c, c))
        self.assertEqual(self.controls(), {
            'me': 'mail.example.test\n', 'defaultdomain': 'example.test\n', 'plusdomain': 'example.test\n',
            'locals': 'localhost\nMail.Example.Test\n', 'rcpthosts': 'localhost\nMail.Example.Test\n'})

    def test_unknown_host(self):
        r = self.config('nosuchhost')
        self.assertEqual(r['rc'], 1)
        self.assertEqual(r['out'], 'Your hostname is nosuchhost.\n'
                                   "Sorry, I couldn't find your host's canonical name in DNS.\n"
                                   'You will have to set up control/me yourself.\n')
        self.assertEqual(r['err'], 'hard error\n')  # dnsfq's own complaint
        self.assertEqual(self.controls(), {})


if __name__ == '__main__':
    unittest.main()
