"""qmail-smtpd end to end, under the real tcpserver as qmaild on 127.0.0.1:
every reply text, EHLO, pipelining, relay control (rcpthosts,
morercpthosts.cdb by qmail-newmrh, RELAYCLIENT from tcprules), badmailfrom,
databytes, hop count, bare LF, the exact Received line, SMTP smuggling
payloads, hostile sizes (1 MB and 8 MB lines, 10,000 recipients, a 200 KB
header line, a 10,000-character address), disconnects and timeouts,
qmail-queue failures; then tcp-env and qmail-newmrh on their own."""
import os
import re
import shutil
import smtplib
import socket
import subprocess
import tempfile
import time
import unittest

import clients
from clients import DATE, QQ_RECEIVED, date_epoch, rules_cdb
from harness import Q

ACCEPT = re.compile(rb'^250 ok (\d+) qp (\d+)\r\n$')
BARELF = b'451 See http://pobox.com/~djb/docs/smtplf.html.\r\n'
SMTPD_CONTROLS = ['me', 'smtpgreeting', 'localiphost', 'timeoutsmtpd', 'rcpthosts', 'morercpthosts',
                  'morercpthosts.cdb', 'badmailfrom', 'databytes', 'smtpsize', 'smtplog',
                  'rcptcheck']


def children(pid):
    """Pids of the processes whose parent is pid."""
    found = []
    for name in os.listdir('/proc'):
        if name.isdigit():
            try:
                with open('/proc/%s/stat' % name) as f:
                    stat = f.read()
            except OSError:
                continue
            if int(stat[stat.rindex(')') + 2:].split()[1]) == pid:
                found.append(int(name))
    return found


def quiesce():
    """Wait until no qmail-smtpd or qmail-queue of the installation runs."""
    clients.quiesce(['qmail-smtpd', 'qmail-queue'])


class Server(clients.TcpServer):
    """tcpserver running qmail-smtpd as qmaild on 127.0.0.1:port."""

    program = 'qmail-smtpd'

    def sessions(self):
        return children(self.proc.pid)


def socket_pair():
    """(client, server side) of a fresh TCP connection on 127.0.0.1."""
    ls = socket.socket()
    ls.bind(('127.0.0.1', 0))
    ls.listen(1)
    client = socket.create_connection(ls.getsockname())
    conn, _ = ls.accept()
    ls.close()
    return client, conn


def lines(*replies):
    return b''.join(r + b'\r\n' for r in replies)


GREET = b'220 mx.example ESMTP'
ENVELOPE = b'MAIL FROM:<a@b.example>\r\nRCPT TO:<c@example.com>\r\nDATA\r\n'


class Smtpd(unittest.TestCase):
    def setUp(self):
        quiesce()
        Q.clear_queue()
        for name in SMTPD_CONTROLS:
            self.remove_control(name)
        self.created = set()
        self.servers = []
        self.tmp = tempfile.mkdtemp(prefix='smtpd-', dir=Q.root)
        os.chmod(self.tmp, 0o755)
        self.control('me', 'mx.example\n')
        self.control('rcpthosts', 'example.com\n')

    def tearDown(self):
        for s in self.servers:
            s.stop()
        quiesce()
        for name in self.created:
            self.remove_control(name)
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.clear()

    def remove_control(self, name):
        try:
            os.unlink(os.path.join(Q.home, 'control', name))
        except FileNotFoundError:
            pass

    def control(self, name, text):
        Q.control(name, text)
        self.created.add(name)

    def server(self, **kw):
        s = Server(**kw)
        self.servers.append(s)
        return s

    def messages(self, wait=True):
        """[(envelope from intd, mess bytes)] of every queued message."""
        files = Q.queue_files()
        found = []
        for key in files:
            if key.startswith('todo/'):
                n = key.split('/')[1]
                found.append((files['intd/' + n], files['mess/%d/%s' % (int(n) % Q.split, n)]))
        return found

    def only_message(self):
        msgs = self.messages()
        self.assertEqual(len(msgs), 1, msgs)
        return msgs[0]

    def clear(self):
        quiesce()
        Q.clear_queue()

    def assertNothingQueued(self):
        """Nothing in the queue, once any qmail-queue still running has gone."""
        quiesce()
        self.assertEqual(Q.queue_files(), {})

    def body_after_received(self, mess):
        """Split mess into (qmail-queue's pid, our Received line, the rest)."""
        m = QQ_RECEIVED.match(mess)
        self.assertTrue(m, mess[:200])
        rest = mess[m.end():]
        r = re.match(rb'^Received: from [^\n]*\n  by [^\n]* with SMTP; ' + DATE + rb'\n', rest)
        self.assertTrue(r, rest[:300])
        return int(m.group(1)), rest[:r.end()], rest[r.end():]

    # ---- replies ----

    def test_every_reply(self):
        srv = self.server()
        out = srv.talk(b'NOOP\r\nHELO client.example\r\nEHLO client.example\r\n'
                       b'RCPT TO:<c@example.com>\r\nDATA\r\nMAIL FROM:<a@b.example>\r\nDATA\r\n'
                       b'RSET\r\nRCPT TO:<c@example.com>\r\nVRFY x\r\nHELP\r\nEXPN x\r\nfoo bar\r\n\r\n'
                       b'helo\r\nnoop x\r\nMAIL\r\nmail from:<' + b'a' * 900 + b'>\r\n'
                       b'MAIL FROM:<' + b'a' * 899 + b'>\r\nrcpt to:<c@example.com>\r\n'
                       b'rcpt to:<c@other.example>\r\nQuit\r\nNOOP\r\n')
        self.assertEqual(out, lines(
            GREET, b'250 ok', b'250 mx.example', b'250-mx.example', b'250-PIPELINING',
            b'250 8BITMIME', b'503 MAIL first (#5.5.1)', b'503 MAIL first (#5.5.1)', b'250 ok',
            b'503 RCPT first (#5.5.1)', b'250 flushed', b'503 MAIL first (#5.5.1)',
            b"252 send some mail, i'll try my best",
            b'214 qmail home page: http://pobox.com/~djb/qmail.html',
            b'502 unimplemented (#5.5.1)', b'502 unimplemented (#5.5.1)', b'502 unimplemented (#5.5.1)',
            b'250 mx.example', b'250 ok', b'250 ok', b'555 syntax error (#5.5.4)', b'250 ok', b'250 ok',
            b"553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)",
            b'221 mx.example'))

    def test_greeting_from_smtpgreeting(self):
        self.control('smtpgreeting', 'greet.example Hello there  \n')
        out = self.server().talk(b'HELO x\r\nEHLO x\r\nQUIT\r\n')
        self.assertEqual(out, lines(b'220 greet.example Hello there ESMTP', b'250 greet.example Hello there',
                                    b'250-greet.example Hello there', b'250-PIPELINING', b'250 8BITMIME',
                                    b'221 greet.example Hello there'))

    def test_no_me_no_greeting(self):
        self.remove_control('me')
        out = self.server().talk(b'HELO x\r\n')
        self.assertEqual(out, lines(b'421 unable to read controls (#4.3.0)'))

    def test_unreadable_control(self):
        self.control('badmailfrom', 'x@y\n')
        os.chmod(os.path.join(Q.home, 'control', 'badmailfrom'), 0o600)
        out = self.server().talk(b'HELO x\r\n')
        self.assertEqual(out, lines(b'421 unable to read controls (#4.3.0)'))

    def test_smtplib_and_acceptance(self):
        srv = self.server()
        before = int(time.time())
        c = smtplib.SMTP('127.0.0.1', srv.port, timeout=30)
        code, msg = c.ehlo('client.example')
        self.assertEqual((code, msg), (250, b'mx.example\nPIPELINING\n8BITMIME'))
        self.assertTrue(c.has_extn('pipelining') and c.has_extn('8bitmime'))
        self.assertEqual(c.mail('a@b.example'), (250, b'ok'))
        self.assertEqual(c.rcpt('c@example.com'), (250, b'ok'))
        self.assertEqual(c.rcpt('d@EXAMPLE.com'), (250, b'ok'))
        code, msg = c.data(b'Subject: hi\r\n\r\nline 1\r\n.dot\r\n')
        after = int(time.time())
        self.assertEqual(code, 250)
        m = re.match(rb'^ok (\d+) qp (\d+)$', msg)
        self.assertTrue(m, msg)
        self.assertTrue(before <= int(m.group(1)) <= after)
        self.assertEqual(c.quit(), (221, b'mx.example'))
        envelope, mess = self.only_message()
        self.assertTrue(envelope.endswith(b'\0Fa@b.example\0Tc@example.com\0Td@EXAMPLE.com\0'), envelope)
        qp, received, rest = self.body_after_received(mess)
        self.assertEqual(qp, int(m.group(2)))
        self.assertEqual(rest, b'Subject: hi\n\nline 1\n.dot\n')  # smtplib stuffs the dot
        r = re.match(rb'^Received: from unknown \(HELO client.example\) \(127.0.0.1\)\n'
                     rb'  by mx.example with SMTP; ' + DATE + rb'\n$', received)
        self.assertTrue(r, received)
        self.assertTrue(before <= date_epoch(r.groups()) <= after)

    def test_received_line_variants(self):
        rules = rules_cdb(self.tmp, '127.0.0.1:allow,TCPREMOTEHOST="Client.Example",'
                                    'TCPREMOTEINFO="joe user"\n')
        srv = self.server(rules=rules, localname='local(host)')
        cases = [
            (b'', b'Received: from Client.Example (joe?user@127.0.0.1)\n  by local?host? with SMTP; '),
            (b'HELO client.EXAMPLE\r\n', b'Received: from Client.Example (joe?user@127.0.0.1)\n'
                                        b'  by local?host? with SMTP; '),
            (b'EHLO other.example\r\n', b'Received: from Client.Example (HELO other.example) '
                                       b'(joe?user@127.0.0.1)\n  by local?host? with SMTP; '),
            (b'HELO a<b>(c)"d e;f_g#h[i]j%k+l/m=n:o-p!\xff\x01\r\n',
             b'Received: from Client.Example (HELO a?b??c??d?e?f?g?h[i]j%k+l/m=n:o-p???) '
             b'(joe?user@127.0.0.1)\n  by local?host? with SMTP; '),
            (b'HELO\r\n', b'Received: from Client.Example (HELO ) (joe?user@127.0.0.1)\n'
                          b'  by local?host? with SMTP; '),
            (b'HELO x\x00y\r\n', b'Received: from Client.Example (HELO x) (joe?user@127.0.0.1)\n'
                                b'  by local?host? with SMTP; '),
        ]
        for helo, want in cases:
            self.clear()
            out = srv.talk(helo + ENVELOPE + b'x\r\n.\r\nQUIT\r\n')
            self.assertIn(b'\r\n354 go ahead\r\n250 ok ', out)
            _, received, rest = self.body_after_received(self.only_message()[1])
            self.assertTrue(received.startswith(want), (helo, received))
            self.assertEqual(rest, b'x\n')

    def test_received_defaults_without_tcp_environment(self):
        """Run directly (no tcpserver): the defaults are "unknown", and
        TCPLOCALIP stands in for TCPLOCALHOST."""
        session = b'HELO unknown\r\n' + ENVELOPE + b'x\r\n.\r\nQUIT\r\n'
        for env, want in (({}, b'Received: from unknown (unknown)\n  by unknown with SMTP; '),
                          ({'TCPLOCALIP': '10.1.2.3', 'TCPREMOTEIP': '10.9.8.7'},
                           b'Received: from unknown (10.9.8.7)\n  by 10.1.2.3 with SMTP; ')):
            self.clear()
            p = Q.run(['qmail-smtpd'], input=session, env=env, user='qmaild')
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertRegex(p.stdout, rb'354 go ahead\r\n250 ok \d+ qp \d+\r\n221 mx.example\r\n$')
            _, received, _ = self.body_after_received(self.only_message()[1])
            self.assertTrue(received.startswith(want), received)

    def test_pipelined_in_one_write(self):
        srv = self.server()
        session = (b'EHLO c\r\n' + ENVELOPE + b'one\r\n.\r\n' + ENVELOPE + b'two\r\n.\r\n'
                   b'MAIL FROM:<>\r\nRCPT TO:<x@other.example>\r\nRCPT TO:<postmaster>\r\nDATA\r\n'
                   b'three\r\n.\r\nQUIT\r\n')
        out = srv.talk(session)
        accept = rb'250 ok \d+ qp \d+\r\n'
        self.assertRegex(out, b'^' + re.escape(lines(GREET, b'250-mx.example', b'250-PIPELINING',
                                                     b'250 8BITMIME', b'250 ok', b'250 ok', b'354 go ahead'))
                         + accept + re.escape(lines(b'250 ok', b'250 ok', b'354 go ahead')) + accept
                         + re.escape(lines(b'250 ok',
                                           b"553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)",
                                           b'250 ok', b'354 go ahead')) + accept
                         + re.escape(lines(b'221 mx.example')) + b'$')
        bodies = sorted(self.body_after_received(m)[2] for _, m in self.messages())
        self.assertEqual(bodies, [b'one\n', b'three\n', b'two\n'])
        envelopes = sorted(e.split(b'\0', 2)[2] for e, _ in self.messages())
        self.assertIn(b'F\0Tpostmaster\0', envelopes)

    # ---- relaying ----

    def test_rcpthosts(self):
        self.control('rcpthosts', 'Example.COM\n.sub.example.net\n# comment.example\n\n')
        srv = self.server()
        refused = b"553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)"
        for rcpt, ok in ((b'a@example.com', True), (b'a@EXAMPLE.com', True), (b'a@b@example.com', True),
                         (b'a@x.example.com', False), (b'a@x.sub.example.net', True),
                         (b'a@y.x.SUB.example.net', True), (b'a@sub.example.net', False),
                         (b'a@example.org', False), (b'postmaster', True), (b'a@', False),
                         (b'a@comment.example', False), (b'a@example.com.', False)):
            out = srv.talk(b'MAIL FROM:<>\r\nRCPT TO:<' + rcpt + b'>\r\n')
            self.assertEqual(out, lines(GREET, b'250 ok', b'250 ok' if ok else refused), rcpt)

    def test_morercpthosts(self):
        self.control('morercpthosts', 'More.Example\n.deep.example\t \n')
        p = Q.run(['qmail-newmrh'])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.created.add('morercpthosts.cdb')
        srv = self.server()
        refused = b"553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)"
        for rcpt, ok in ((b'a@example.com', True), (b'a@MORE.example', True), (b'a@x.more.example', False),
                         (b'a@x.deep.example', True), (b'a@deep.example', False), (b'a@other', False)):
            out = srv.talk(b'MAIL FROM:<>\r\nRCPT TO:<' + rcpt + b'>\r\n')
            self.assertEqual(out, lines(GREET, b'250 ok', b'250 ok' if ok else refused), rcpt)
        # without rcpthosts, everything is allowed and the cdb is not read
        self.remove_control('rcpthosts')
        out = self.server().talk(b'MAIL FROM:<>\r\nRCPT TO:<a@anywhere.example>\r\n')
        self.assertEqual(out, lines(GREET, b'250 ok', b'250 ok'))

    def test_relayclient(self):
        rules = rules_cdb(self.tmp, '127.0.0.1:allow,RELAYCLIENT=""\n')
        out = self.server(rules=rules).talk(b'MAIL FROM:<a@b>\r\nRCPT TO:<x@anywhere.example>\r\n'
                                            b'DATA\r\nrelayed\r\n.\r\n')
        self.assertRegex(out, rb'354 go ahead\r\n250 ok \d+ qp \d+\r\n$')
        self.assertTrue(self.only_message()[0].endswith(b'\0Fa@b\0Tx@anywhere.example\0'))
        self.clear()
        rules = rules_cdb(self.tmp, '127.0.0.1:allow,RELAYCLIENT="@relay.example"\n')
        out = self.server(rules=rules).talk(b'MAIL FROM:<a@b>\r\nRCPT TO:<x@y>\r\nDATA\r\nr\r\n.\r\n')
        self.assertRegex(out, rb'250 ok \d+ qp \d+\r\n$')
        self.assertTrue(self.only_message()[0].endswith(b'\0Fa@b\0Tx@y@relay.example\0'))

    def test_localiphost(self):
        self.control('rcpthosts', 'lip.example\nmx.example\n')
        srv = self.server()
        out = srv.talk(b'MAIL FROM:<>\r\nRCPT TO:<a@[127.0.0.1]>\r\nRCPT TO:<b@[192.0.2.1]>\r\nDATA\r\nx\r\n.\r\n')
        self.assertRegex(out, rb'250 ok\r\n553 [^\r]*\r\n354 go ahead\r\n250 ok \d+')
        self.assertTrue(self.only_message()[0].endswith(b'\0F\0Ta@mx.example\0'))
        self.clear()
        self.control('localiphost', 'lip.example\n')
        srv = self.server()
        srv.talk(b'MAIL FROM:<x@[127.0.0.1]>\r\nRCPT TO:<a@[127.0.0.1]>\r\nDATA\r\nx\r\n.\r\n')
        self.assertTrue(self.only_message()[0].endswith(b'\0Fx@lip.example\0Ta@lip.example\0'))

    def test_badmailfrom(self):
        self.control('badmailfrom', 'bad@evil.example\n@spam.example\n')
        srv = self.server()
        bmf = b'553 sorry, your envelope sender is in my badmailfrom list (#5.7.1)'
        for sender, bad in ((b'bad@evil.example', True), (b'BAD@Evil.Example', True), (b'ok@evil.example', False),
                            (b'x@SPAM.example', True), (b'x@sub.spam.example', False), (b'', False),
                            (b'spam.example', False)):
            out = srv.talk(b'MAIL FROM:<' + sender + b'>\r\nRCPT TO:<c@example.com>\r\nRCPT TO:<c@x.org>\r\n')
            want = [bmf, bmf] if bad else [b'250 ok', b"553 sorry, that domain isn't in my list of allowed "
                                                      b"rcpthosts (#5.7.1)"]
            self.assertEqual(out, lines(GREET, b'250 ok', *want), sender)

    # ---- DATA ----

    def test_databytes(self):
        self.control('databytes', '100\n')
        srv = self.server()
        exact = b'Subject: x\r\n\r\n' + b'a' * 87 + b'\r\n'  # 100 bytes as stored
        out = srv.talk(ENVELOPE + exact + b'.\r\n' + ENVELOPE + b'b' + exact + b'.\r\nQUIT\r\n')
        self.assertRegex(out, rb'354 go ahead\r\n250 ok \d+ qp \d+\r\n250 ok\r\n250 ok\r\n354 go ahead\r\n'
                              rb'552 sorry, that message size exceeds my databytes limit \(#5.3.4\)\r\n'
                              rb'221 mx.example\r\n$')
        self.assertEqual(self.body_after_received(self.only_message()[1])[2], exact.replace(b'\r\n', b'\n'))
        # the environment overrides the control file; big limits do not wrap
        for env, control in (({'DATABYTES': '1000'}, '100\n'), ({}, '4294967297\n'),
                             ({}, '18446744073709551615\n'), ({}, '99999999999999999999999\n')):
            self.clear()
            self.control('databytes', control)
            out = self.server(env=env).talk(ENVELOPE + b'y' * 500 + b'\r\n.\r\n')
            self.assertRegex(out, rb'250 ok \d+ qp \d+\r\n$', (env, control))
        self.clear()
        out = self.server(env={'DATABYTES': '10'}).talk(ENVELOPE + b'y' * 11 + b'\r\n.\r\n')
        self.assertTrue(out.endswith(b'552 sorry, that message size exceeds my databytes limit (#5.3.4)\r\n'))
        self.assertNothingQueued()

    def test_size_extension(self):
        """control/smtpsize on: EHLO announces SIZE with databytes, and a
        MAIL whose SIZE is above databytes is refused at once; off (as in
        qmail-1.03, by default) SIZE is an ignored parameter."""
        self.control('databytes', '1000\n')
        out = self.server().talk(b'EHLO c\r\nMAIL FROM:<a@b.example> SIZE=5000\r\nQUIT\r\n')
        self.assertEqual(out, lines(GREET, b'250-mx.example', b'250-PIPELINING', b'250 8BITMIME',
                                    b'250 ok', b'221 mx.example'))
        self.control('smtpsize', '1\n')
        srv = self.server()
        out = srv.talk(b'EHLO c\r\nMAIL FROM:<a@b.example> SIZE=1001 BODY=8BITMIME\r\n'
                       b'RCPT TO:<c@example.com>\r\nMAIL FROM:<a@b.example> SIZE=1000\r\n'
                       b'MAIL FROM:<a@b.example> BODY=7BIT\r\nMAIL FROM:<> size=99999999999999999999\r\n'
                       b'QUIT\r\n')
        self.assertEqual(out, lines(
            GREET, b'250-mx.example', b'250-PIPELINING', b'250-8BITMIME', b'250 SIZE 1000',
            b'552 sorry, that message size exceeds my databytes limit (#5.3.4)',
            b'503 MAIL first (#5.5.1)', b'250 ok', b'250 ok',
            b'552 sorry, that message size exceeds my databytes limit (#5.3.4)', b'221 mx.example'))
        # a client that says too little still meets the check during DATA
        out = srv.talk(b'EHLO c\r\nMAIL FROM:<a@b.example> SIZE=10\r\nRCPT TO:<c@example.com>\r\n'
                       b'DATA\r\n' + b'x' * 2000 + b'\r\n.\r\nQUIT\r\n')
        self.assertTrue(out.endswith(lines(b'354 go ahead',
                                           b'552 sorry, that message size exceeds my databytes limit (#5.3.4)',
                                           b'221 mx.example')), out)
        self.assertNothingQueued()
        # unlimited: SIZE alone, and any size taken
        self.remove_control('databytes')
        c = smtplib.SMTP('127.0.0.1', self.server().port, timeout=30)
        self.assertEqual(c.ehlo('c'), (250, b'mx.example\nPIPELINING\n8BITMIME\nSIZE'))
        self.assertTrue(c.has_extn('size'))
        self.assertEqual(c.mail('a@b.example', ['SIZE=123456789']), (250, b'ok'))
        c.quit()
        # with a limit, smtplib learns it and sends SIZE itself
        self.control('databytes', '50\n')
        c = smtplib.SMTP('127.0.0.1', self.server().port, timeout=30)
        c.ehlo('c')
        self.assertEqual(c.esmtp_features['size'], '50')
        with self.assertRaises(smtplib.SMTPSenderRefused) as e:
            c.sendmail('a@b.example', ['c@example.com'], b'Subject: x\r\n\r\n' + b'y' * 100)
        self.assertEqual(e.exception.smtp_code, 552)
        c.quit()
        self.assertNothingQueued()

    # ---- the session log (control/smtplog)

    def run_smtpd(self, data, env):
        """qmail-smtpd on pipes as qmaild: (exit code, replies, log lines
        with the pid checked and taken off)."""
        r = Q.run(['qmail-smtpd'], input=data, env=env, user='qmaild')
        log = r.stderr.decode('latin-1').splitlines()
        pids = {l.split(' ', 1)[0] for l in log}
        self.assertTrue(len(pids) <= 1 and all(p.isdigit() for p in pids), log)
        return r.returncode, r.stdout, [l.split(' ', 1)[1] for l in log]

    def test_session_log(self):
        env = {'TCPREMOTEIP': '192.0.2.1', 'TCPREMOTEHOST': 'client.example',
               'TCPREMOTEINFO': 'u\nser', 'TCPLOCALHOST': 'mx.example'}
        session = (b'EHLO cl\x01i ent\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@example.com>\r\n'
                   b'RCPT TO:<c@other.example>\r\nDATA\r\nSubject: x\r\n\r\nhi\r\n.\r\n'
                   b'MAIL FROM:<bad@x.example>\r\nRCPT TO:<c@example.com>\r\nDATA\r\n'
                   b'MAIL FROM:<' + b'a' * 900 + b'>\r\nHELO x\r\n'
                   b'MAIL FROM:<a@b.example>\r\nRCPT TO:<c@example.com>\r\nDATA\r\n'
                   + b'y' * 200 + b'\r\n.\r\nQUIT\r\n')
        self.control('badmailfrom', 'bad@x.example\n')
        self.control('databytes', '100\n')
        # off, as in qmail-1.03: not a byte on fd 2
        code, out, log = self.run_smtpd(session, env)
        self.assertEqual((code, log), (0, []))
        self.clear()
        self.control('smtplog', '1\n')
        code, out, log = self.run_smtpd(session, env)
        self.assertEqual(code, 0)
        m = re.search(rb'250 ok \d+ qp (\d+)', out)
        self.assertTrue(m, out)
        self.assertEqual(log, [
            'smtp from 192.0.2.1 host client.example info u\\x0aser',
            'ehlo cl\\x01i\\x20ent',
            'mail <a@b.example> ok',
            'rcpt <c@example.com> ok',
            "rcpt <c@other.example> refused 553 sorry, that domain isn't in my list of allowed "
            'rcpthosts (#5.7.1)',
            'queued qp %s bytes 15 from <a@b.example> rcpts 1' % m.group(1).decode(),
            'mail <bad@x.example> ok',
            'rcpt <c@example.com> refused 553 sorry, your envelope sender is in my badmailfrom '
            'list (#5.7.1)',
            'data refused 503 RCPT first (#5.5.1)',
            'mail refused 555 syntax error (#5.5.4)',
            'helo x',
            'mail <a@b.example> ok',
            'rcpt <c@example.com> ok',
            'data <a@b.example> refused 552 sorry, that message size exceeds my databytes limit '
            '(#5.3.4)',
            'end quit mails 3 rcpts 2 queued 1'])

    def test_session_log_bounds_and_ends(self):
        self.control('smtplog', '1\n')
        env = {'TCPREMOTEIP': '192.0.2.1'}
        # a line is cut at 1000 bytes, whatever the client sends
        r = Q.run(['qmail-smtpd'], input=b'HELO ' + b'\x01' * 2000 + b'\r\n', env=env, user='qmaild')
        raw = r.stderr.split(b'\n')
        self.assertEqual(raw[-1], b'')
        self.assertLessEqual(max(len(l) + 1 for l in raw), 1000)  # newline included
        log = [l.split(b' ', 1)[1].decode() for l in raw[:-1]]
        self.assertEqual(log[0], 'smtp from 192.0.2.1 host unknown')
        self.assertTrue(log[1].startswith('helo \\x01\\x01'), log[1])
        self.assertTrue(log[1].endswith('...'), log[1])
        self.assertEqual(log[2], 'end dropped mails 0 rcpts 0 queued 0')
        # a client that goes quiet
        self.control('timeoutsmtpd', '1\n')
        p = subprocess.Popen([Q.bin('qmail-smtpd')], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=dict(env, PATH='/usr/bin:/bin'), cwd='/',
                             user=Q.uid('qmaild'), group=Q.gid('nofiles'), extra_groups=[])
        p.stdin.write(b'HELO x\r\n')
        p.stdin.flush()  # and the input stays open, silent
        out, err = p.stdout.read(), p.stderr.read()
        p.stdin.close()
        self.assertEqual(p.wait(timeout=20), 1)
        self.assertEqual(out, lines(GREET, b'250 mx.example', b'451 timeout (#4.4.2)'))
        self.assertEqual([l.split(' ', 1)[1] for l in err.decode().splitlines()],
                         ['smtp from 192.0.2.1 host unknown', 'helo x',
                          'end timeout mails 0 rcpts 0 queued 0'])

    def test_hop_count(self):
        srv = self.server()
        for hops, looping in ((99, False), (100, True)):
            self.clear()
            header = b''.join((b'Received: hop %d\r\n' if i % 2 else b'Delivered-To: x%d\r\n') % i
                              for i in range(hops))
            out = srv.talk(ENVELOPE + header + b'\r\nbody\r\n.\r\n' + b'MAIL FROM:<>\r\nQUIT\r\n')
            if looping:
                self.assertTrue(out.endswith(lines(b'354 go ahead',
                                                   b'554 too many hops, this message is looping (#5.4.6)',
                                                   b'250 ok', b'221 mx.example')), out[-200:])
                self.assertNothingQueued()
            else:
                self.assertRegex(out, rb'250 ok \d+ qp \d+\r\n250 ok\r\n221 mx.example\r\n$')
                self.assertEqual(len(self.messages()), 1)
        # Received lines after the header do not count
        self.clear()
        out = srv.talk(ENVELOPE + b'Subject: x\r\n\r\n' + b'Received: body\r\n' * 150 + b'.\r\n')
        self.assertRegex(out, rb'250 ok \d+ qp \d+\r\n$')

    def test_bare_lf(self):
        srv = self.server()
        out = srv.talk(ENVELOPE + b'line one\r\nbare\nline\r\n.\r\nQUIT\r\n')
        self.assertEqual(out, lines(GREET, b'250 ok', b'250 ok', b'354 go ahead') + BARELF)
        self.assertNothingQueued()
        # commands may end in a bare LF
        out = srv.talk(b'NOOP\nHELO x\nQUIT\n')
        self.assertEqual(out, lines(GREET, b'250 ok', b'250 mx.example', b'221 mx.example'))

    def test_message_bytes_exact(self):
        srv = self.server()
        msg = (b'Subject: bytes\r\n\r\n..leading dot\r\nlone\rcr\r\n\x00nul\x00\r\n'
               b'\xff\xfe 8bit\r\n...\r\n.x\r\n \r\n\r\n')
        out = srv.talk(ENVELOPE + msg + b'.\r\nQUIT\r\n')
        self.assertRegex(out, rb'250 ok \d+ qp \d+\r\n221 mx.example\r\n$')
        rest = self.body_after_received(self.only_message()[1])[2]
        self.assertEqual(rest, b'Subject: bytes\n\n.leading dot\nlone\rcr\n\x00nul\x00\n\xff\xfe 8bit\n..\nx\n \n\n')

    def test_nul_in_commands(self):
        srv = self.server()
        out = srv.talk(b'MAIL FROM:<a@b>\x00junk>\r\nRCPT TO:<c@example.com\x00x>\r\nDATA\r\nx\r\n.\r\n')
        self.assertRegex(out, rb'250 ok\r\n250 ok\r\n354 go ahead\r\n250 ok \d+')
        self.assertTrue(self.only_message()[0].endswith(b'\0Fa@b\0Tc@example.com\0'))

    def test_smuggling(self):
        """A payload that would end the data under a looser reading must
        not: either the session ends (bare LF) with nothing queued, or
        exactly one message is queued with the payload inside."""
        srv = self.server()
        smuggled = b'MAIL FROM:<evil@x>\r\nRCPT TO:<victim@example.com>\r\nDATA\r\nsmuggled\r\n'
        for payload in (b'\n.\r\n', b'\r\n.\n', b'\n.\n', b'\r.\r\n', b'\r.\n', b'\r\n.\r',
                        b'\r\n.\r\r\n', b'\r\n\x00.\r\n', b'\r\n .\r\n', b'\r\r\n.\r\r\n', b'\n..\r\n'):
            self.clear()
            out = srv.talk(ENVELOPE + b'Subject: s\r\n\r\nbefore' + payload + smuggled
                           + b'after\r\n.\r\nQUIT\r\n')
            head = lines(GREET, b'250 ok', b'250 ok', b'354 go ahead')
            if b'\n' in payload.replace(b'\r\n', b''):
                self.assertEqual(out, head + BARELF, payload)
                self.assertNothingQueued()
                continue
            self.assertRegex(out, b'^' + re.escape(head) + rb'250 ok \d+ qp \d+\r\n221 mx.example\r\n$', payload)
            envelope, mess = self.only_message()
            self.assertTrue(envelope.endswith(b'\0Fa@b.example\0Tc@example.com\0'), payload)
            body = self.body_after_received(mess)[2]
            self.assertIn(b'MAIL FROM:<evil@x>\nRCPT TO:<victim@example.com>\nDATA\nsmuggled\n', body)
            self.assertTrue(body.startswith(b'Subject: s\n\nbefore'), payload)
            self.assertTrue(body.endswith(b'smuggled\nafter\n'), payload)

    def test_disconnect_mid_data(self):
        srv = self.server()
        for cut in (ENVELOPE + b'Subject: x\r\n\r\npartial', ENVELOPE + b'x\r\n.', ENVELOPE + b'x\r\n.\r',
                    ENVELOPE + b'x\r\n', ENVELOPE):
            out = srv.talk(cut)
            self.assertTrue(out.endswith(b'354 go ahead\r\n'), out)
            self.assertNothingQueued()

    def test_timeout(self):
        self.control('timeoutsmtpd', '1\n')
        srv = self.server()
        for sent in (b'', ENVELOPE + b'Subject: slow\r\n\r\npart'):
            s = srv.connect()
            start = time.time()
            s.sendall(sent)
            got = b''
            while True:
                b = s.recv(65536)
                if not b:
                    break
                got += b
            elapsed = time.time() - start
            s.close()
            self.assertTrue(got.endswith(b'451 timeout (#4.4.2)\r\n'), got)
            self.assertTrue(got.startswith(lines(GREET)))
            self.assertTrue(0.9 <= elapsed < 5, elapsed)
            self.assertNothingQueued()

    def test_queue_failures(self):
        srv = self.server()
        todo = os.path.join(Q.queue, 'todo')
        os.chmod(todo, 0o500)
        try:
            out = srv.talk(ENVELOPE + b'x\r\n.\r\nQUIT\r\n')
        finally:
            os.chmod(todo, 0o750)
        self.assertTrue(out.endswith(lines(b'354 go ahead', b'451 qq trouble creating files in queue (#4.3.0)',
                                           b'221 mx.example')), out)
        self.assertNothingQueued()
        queue = Q.bin('qmail-queue')
        os.rename(queue, queue + '.away')
        try:
            out = srv.talk(ENVELOPE + b'x\r\n.\r\n')
        finally:
            os.rename(queue + '.away', queue)
        self.assertTrue(out.endswith(lines(b'354 go ahead', b'451 unable to exec qq (#4.3.0)')), out)
        # a permanent failure: an envelope address qmail-queue refuses
        rules = rules_cdb(self.tmp, '127.0.0.1:allow,RELAYCLIENT="%s"\n' % ('+' * 300))
        out = self.server(rules=rules).talk(b'MAIL FROM:<>\r\nRCPT TO:<' + b'a' * 800 + b'@x>\r\nDATA\r\nx\r\n.\r\n')
        self.assertTrue(out.endswith(lines(b'354 go ahead', b'554 envelope address too long for qq (#5.1.3)')), out)
        self.assertNothingQueued()

    # ---- hostile sizes ----

    def test_huge_command_lines(self):
        srv = self.server()
        hwm = []

        def measure(s):
            # the session's peak memory, while it is still running
            time.sleep(0.5)
            for pid in srv.sessions():
                try:
                    with open('/proc/%d/status' % pid) as f:
                        hwm.extend(int(l.split()[1]) for l in f if l.startswith('VmHWM:'))
                except OSError:
                    pass  # a session that has just ended
        out = srv.talk(b'MAIL FROM:<' + b'a' * (8 << 20) + b'>\r\nNOOP ' + b'b' * (1 << 20) + b'\r\n'
                       b'HELO ' + b'c' * 5000 + b'\r\nRCPT TO:<c@example.com>\r\n'
                       b'MAIL FROM:<a@b>\r\nRCPT TO:<' + b'c' * 10000 + b'@example.com>\r\n'
                       b'RCPT TO:<c@example.com> ' + b' ' * 3000 + b'\r\n' + b'x' * (1 << 20), during=measure)
        self.assertEqual(out, lines(GREET, b'555 syntax error (#5.5.4)', b'502 unimplemented (#5.5.1)',
                                    b'502 unimplemented (#5.5.1)', b'503 MAIL first (#5.5.1)', b'250 ok',
                                    b'555 syntax error (#5.5.4)', b'555 syntax error (#5.5.4)'))
        self.assertTrue(hwm)
        self.assertLess(max(hwm), 6 << 10, 'kB')

    def test_ten_thousand_recipients(self):
        srv = self.server()
        rcpts = b''.join(b'RCPT TO:<r%d@example.com>\r\n' % i for i in range(10000))
        start = time.time()
        out = srv.talk(b'MAIL FROM:<a@b>\r\n' + rcpts + b'RCPT TO:<one.too.many@example.com>\r\n'
                       b'DATA\r\nmany\r\n.\r\nQUIT\r\n')
        self.assertLess(time.time() - start, 20)
        self.assertRegex(out, b'^' + re.escape(lines(GREET) + b'250 ok\r\n' * 10001 +
                                               lines(b'452 too many recipients (#4.5.3)', b'354 go ahead'))
                         + rb'250 ok \d+ qp \d+\r\n221 mx.example\r\n$')
        envelope = self.only_message()[0]
        self.assertEqual(envelope.count(b'\0T'), 10000)
        self.assertIn(b'\0Tr9999@example.com\0', envelope)
        self.assertNotIn(b'one.too.many', envelope)

    def test_long_header_line(self):
        srv = self.server()
        header = b'X-Long: ' + b'h' * 200000
        out = srv.talk(ENVELOPE + header + b'\r\nReceived: x\r\n\r\nbody\r\n.\r\nQUIT\r\n')
        self.assertRegex(out, rb'250 ok \d+ qp \d+\r\n221 mx.example\r\n$')
        self.assertEqual(self.body_after_received(self.only_message()[1])[2],
                         header + b'\nReceived: x\n\nbody\n')

    def test_swaks(self):
        srv = self.server()
        p = subprocess.run(['swaks', '--server', '127.0.0.1', '--port', str(srv.port), '--from', 'a@b.example',
                            '--to', 'c@example.com', '--helo', 'client.example', '--timeout', '20',
                            '--header', 'Subject: from swaks', '--body', 'hello from swaks'],
                           capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertRegex(p.stdout, rb'<-  250 ok \d+ qp \d+\n')
        envelope, mess = self.only_message()
        self.assertTrue(envelope.endswith(b'\0Fa@b.example\0Tc@example.com\0'))
        body = self.body_after_received(mess)[2]
        self.assertIn(b'\nSubject: from swaks\n', b'\n' + body)
        self.assertIn(b'\n\nhello from swaks\n', body)


class TcpEnv(unittest.TestCase):
    def run_env(self, args, env, conn):
        p = subprocess.run([Q.bin('tcp-env')] + args + ['/usr/bin/env'], stdin=conn, capture_output=True,
                           env=env, timeout=60)
        return p, dict(l.split('=', 1) for l in p.stdout.decode().splitlines())

    def test_variables(self):
        client, conn = socket_pair()
        try:
            for args in ([], ['-R'], ['-r', '-t', '5'], ['-Rt5']):
                p, env = self.run_env(args, {'PATH': '/bin', 'TCPREMOTEINFO': 'forged', 'TCPLOCALHOST': 'x',
                                             'TCPREMOTEHOST': 'y'}, conn)
                self.assertEqual(p.returncode, 0, p.stderr)
                name = socket.getnameinfo(('127.0.0.1', 0), socket.NI_NAMEREQD)[0].lower()
                self.assertEqual(env['PROTO'], 'TCP')
                self.assertEqual(env['TCPLOCALIP'], '127.0.0.1')
                self.assertEqual(env['TCPLOCALPORT'], str(conn.getsockname()[1]))
                self.assertEqual(env['TCPREMOTEIP'], '127.0.0.1')
                self.assertEqual(env['TCPREMOTEPORT'], str(client.getsockname()[1]))
                self.assertEqual(env['TCPREMOTEHOST'], name)
                self.assertEqual(env['TCPLOCALHOST'], name)
                self.assertNotIn('TCPREMOTEINFO', env)
                self.assertEqual(env['PATH'], '/bin')
        finally:
            client.close()
            conn.close()

    def test_proto_tcp_is_trusted(self):
        given = {'PROTO': 'TCP', 'TCPREMOTEIP': '192.0.2.9', 'TCPREMOTEINFO': 'kept'}
        p, env = self.run_env([], given, subprocess.DEVNULL)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(env, given)

    def test_errors(self):
        for args in ([], ['-x', '/usr/bin/env'], ['-t']):
            p = subprocess.run([Q.bin('tcp-env')] + args, capture_output=True, stdin=subprocess.DEVNULL)
            self.assertEqual(p.returncode, 100, args)
            self.assertIn(b'tcp-env: usage: tcp-env [ -rR ] [ -t timeout ] program [ arg ... ]\n', p.stderr)
        p = subprocess.run([Q.bin('tcp-env'), '/usr/bin/env'], capture_output=True, stdin=subprocess.DEVNULL,
                           env={})
        self.assertEqual(p.returncode, 111)
        self.assertTrue(p.stderr.startswith(b'tcp-env: fatal: '), p.stderr)
        client, conn = socket_pair()
        try:
            p = subprocess.run([Q.bin('tcp-env'), '/nonexistent/prog'], capture_output=True, stdin=conn, env={})
            self.assertEqual(p.returncode, 111)
            self.assertTrue(p.stderr.startswith(b'tcp-env: fatal: unable to run /nonexistent/prog: '), p.stderr)
        finally:
            client.close()
            conn.close()

    def test_smtpd_under_tcp_env(self):
        """tcp-env as inetd would run it: qmail-smtpd sees the connection."""
        Q.control('me', 'mx.example\n')
        client, conn = socket_pair()
        try:
            p = subprocess.Popen([Q.bin('tcp-env'), '-R', Q.bin('qmail-smtpd')], stdin=conn, stdout=conn,
                                 env={}, user=Q.uid('qmaild'), group=Q.gid('nofiles'), extra_groups=[])
            conn.close()
            client.sendall(b'HELO x\r\nQUIT\r\n')
            got = b''
            while True:
                b = client.recv(4096)
                if not b:
                    break
                got += b
            self.assertEqual(p.wait(timeout=30), 0)
            self.assertEqual(got, lines(GREET, b'250 mx.example', b'221 mx.example'))
        finally:
            client.close()
            os.unlink(os.path.join(Q.home, 'control', 'me'))


class Newmrh(unittest.TestCase):
    def setUp(self):
        self.cdir = os.path.join(Q.home, 'control')

    def tearDown(self):
        for name in ('morercpthosts', 'morercpthosts.cdb', 'morercpthosts.tmp'):
            try:
                os.unlink(os.path.join(self.cdir, name))
            except FileNotFoundError:
                pass

    def test_compile(self):
        Q.control('morercpthosts', 'Foo.Example  \n#Comment.example\n\n  lead.example\n.Bar.EXAMPLE\t\n'
                                   'cr.example\r\nlast.example')
        p = Q.run(['qmail-newmrh'])
        self.assertEqual((p.returncode, p.stdout, p.stderr), (0, b'', b''))
        cdb = os.path.join(self.cdir, 'morercpthosts.cdb')
        self.assertEqual(os.stat(cdb).st_mode & 0o777, 0o644)
        dump = subprocess.run(['/usr/bin/cdbdump'], stdin=open(cdb, 'rb'), capture_output=True).stdout
        self.assertEqual(dump, b'+11,0:foo.example->\n+14,0:  lead.example->\n+12,0:.bar.example->\n'
                               b'+11,0:cr.example\r->\n+12,0:last.example->\n\n')
        # the same bytes as cdbmake makes from the same records
        ref = os.path.join(Q.root, 'ref.cdb')
        subprocess.run(['/usr/bin/cdbmake', ref, ref + '.tmp'], input=dump, check=True)
        with open(ref, 'rb') as a, open(cdb, 'rb') as b:
            self.assertEqual(a.read(), b.read())
        os.unlink(ref)
        self.assertFalse(os.path.exists(os.path.join(self.cdir, 'morercpthosts.tmp')))

    def test_missing_input(self):
        Q.control('morercpthosts.cdb', 'old')
        p = Q.run(['qmail-newmrh'])
        self.assertEqual(p.returncode, 111)
        self.assertEqual(p.stderr, b'qmail-newmrh: fatal: unable to read control/morercpthosts: '
                                   b'file does not exist\n')
        with open(os.path.join(self.cdir, 'morercpthosts.cdb')) as f:
            self.assertEqual(f.read(), 'old')
        self.assertFalse(os.path.exists(os.path.join(self.cdir, 'morercpthosts.tmp')))

    def test_unwritable(self):
        Q.control('morercpthosts', 'a.example\n')
        os.mkdir(os.path.join(self.cdir, 'morercpthosts.tmp'))
        try:
            p = Q.run(['qmail-newmrh'])
        finally:
            os.rmdir(os.path.join(self.cdir, 'morercpthosts.tmp'))
        self.assertEqual(p.returncode, 111)
        self.assertTrue(p.stderr.startswith(b'qmail-newmrh: fatal: unable to write to '
                                            b'control/morercpthosts.tmp: '), p.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.cdir, 'morercpthosts.cdb')))


if __name__ == '__main__':
    unittest.main()
