"""qmail-remote and qmail-rspawn end to end, against an SMTP sink on
127.0.0.1: exact reports, the exact bytes the server receives (commands,
quoting, dot-stuffing, smuggling payloads), every failure stage, timeouts,
refused connections, routes, and qmail-rspawn driven through its pipes.
Everything that needs DNS (names, mail exchangers, CNAMEs) is in
test_remote_dns.py, which runs in a private network namespace."""
import os
import select
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
import unittest

from harness import Q
from clients import free_port

OK_END = b'K127.0.0.1 accepted message.\nRemote host said: 250 ok 1234\n\0'
NOCONN = b"ZSorry, I wasn't able to establish an SMTP connection. (#4.4.1)\n\0"
DIED = b'ZConnected to 127.0.0.1 but connection died. (#4.4.2)\n\0'


class Sink:
    """A one-port SMTP server, on addr:port (a free port when 0; an IPv6
    address when addr has a colon). replies maps each stage (greeting, helo,
    mail, rcpt, data, end, quit) to the bytes to answer, None to hang
    (answer nothing and keep the connection open), or 'close'; rcpt may
    be a list used one item per RCPT (the last one repeats). Everything a
    client sends is recorded in self.received, the DATA bytes (up to and
    including the first line holding only a dot) in self.data, and the
    address each connection came from in self.peers."""

    DEFAULTS = {
        'greeting': b'220 sink.example ESMTP\r\n',
        'helo': b'250 sink.example\r\n',
        'mail': b'250 ok\r\n',
        'rcpt': b'250 ok\r\n',
        'data': b'354 go ahead\r\n',
        'end': b'250 ok 1234\r\n',
        'quit': b'221 bye\r\n',
    }

    def __init__(self, addr='127.0.0.1', port=0, **replies):
        self.replies = dict(self.DEFAULTS)
        self.replies.update(replies)
        self.received = bytearray()
        self.data = None
        self.connections = 0
        self.peers = []
        self.done = threading.Event()
        self.stop = threading.Event()
        family = socket.AF_INET6 if ':' in addr else socket.AF_INET
        self.listener = socket.socket(family, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((addr, port))
        self.listener.listen(5)
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def close(self):
        self.stop.set()
        self.thread.join(10)
        self.listener.close()

    def serve(self):
        while not self.stop.is_set():
            try:
                conn, peer = self.listener.accept()
            except socket.timeout:
                continue
            self.connections += 1
            self.peers.append(peer[0])
            conn.settimeout(0.2)
            try:
                self.talk(conn)
            finally:
                conn.close()
                self.done.set()

    def recv(self, conn):
        """More bytes from the client; b'' at its end or when stopped."""
        while not self.stop.is_set():
            try:
                chunk = conn.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return b''
            self.received += chunk
            return chunk
        return b''

    def answer(self, conn, what):
        """Send what; False when the conversation is over."""
        if what == 'close':
            return False
        if what is None:
            while self.recv(conn):
                pass
            return False
        conn.sendall(what)
        return True

    def talk(self, conn):
        buf = b''
        rcpts = self.replies['rcpt']
        if not isinstance(rcpts, list):
            rcpts = [rcpts]
        rcpt_i = 0
        if not self.answer(conn, self.replies['greeting']):
            return
        while True:
            while b'\n' not in buf:
                chunk = self.recv(conn)
                if not chunk:
                    return
                buf += chunk
            line, buf = buf.split(b'\n', 1)
            verb = line[:4].upper()
            if verb == b'HELO':
                what = self.replies['helo']
            elif verb == b'MAIL':
                what = self.replies['mail']
            elif verb == b'RCPT':
                what = rcpts[min(rcpt_i, len(rcpts) - 1)]
                rcpt_i += 1
            elif verb == b'DATA':
                what = self.replies['data']
                if isinstance(what, bytes) and what.startswith(b'3'):
                    if not self.answer(conn, what):
                        return
                    while not (buf.startswith(b'.\r\n') or b'\r\n.\r\n' in buf):
                        chunk = self.recv(conn)
                        if not chunk:
                            self.data = buf
                            return
                        buf += chunk
                    end = 3 if buf.startswith(b'.\r\n') else buf.index(b'\r\n.\r\n') + 5
                    self.data, buf = buf[:end], buf[end:]
                    what = self.replies['end']
            elif verb == b'QUIT':
                self.answer(conn, self.replies['quit'])
                return
            else:
                what = b'502 unimplemented\r\n'
            if not self.answer(conn, what):
                return

    def wait(self):
        """Wait until the (first) conversation is over."""
        if not self.done.wait(20):
            raise AssertionError('the SMTP conversation did not end')


class ControlFiles:
    """Set control files for one test; remove them afterwards."""

    def set_control(self, name, text):
        Q.control(name, text)
        self.controls.add(name)

    def remove_controls(self):
        for name in self.controls:
            try:
                os.unlink(os.path.join(Q.home, 'control', name))
            except FileNotFoundError:
                pass


class Remote(unittest.TestCase, ControlFiles):
    def setUp(self):
        self.controls = set()
        self.sinks = []
        self.set_control('me', 'me.example\n')
        self.set_control('helohost', 'helo.example\n')
        self.set_control('timeoutremote', '10\n')

    def tearDown(self):
        for s in self.sinks:
            s.close()
        self.remove_controls()

    def sink(self, route=True, **replies):
        s = Sink(**replies)
        self.sinks.append(s)
        if route:
            self.set_control('smtproutes', ':[127.0.0.1]:%d\n' % s.port)
        return s

    def remote(self, args, message=b'', timeout=60):
        p = Q.run(['qmail-remote'] + args, input=message, user='qmailr', timeout=timeout)
        self.assertEqual(p.returncode, 0)
        self.assertEqual(p.stderr, b'')
        return p.stdout

    def send(self, message=b'Subject: x\n\nhello\n', recips=('c@d.example',), sender='a@b.example',
             host='d.example'):
        return self.remote([host, sender] + list(recips), message)

    # ---- a normal delivery ----

    def test_delivery_exact_bytes(self):
        s = self.sink()
        msg = b'Subject: hi\n\nline\n.\n..x\nend\n'
        self.assertEqual(self.send(msg), b'r\0' + OK_END)
        s.wait()
        data = b'Subject: hi\r\n\r\nline\r\n..\r\n...x\r\nend\r\n.\r\n'
        self.assertEqual(bytes(s.received),
                         b'HELO helo.example\r\nMAIL FROM:<a@b.example>\r\n'
                         b'RCPT TO:<c@d.example>\r\nDATA\r\n' + data + b'QUIT\r\n')
        self.assertEqual(s.data, data)

    def test_helohost_defaults_to_me(self):
        os.unlink(os.path.join(Q.home, 'control', 'helohost'))
        s = self.sink()
        self.assertEqual(self.send(), b'r\0' + OK_END)
        s.wait()
        self.assertTrue(s.received.startswith(b'HELO me.example\r\n'))

    def test_no_me_no_helohost(self):
        os.unlink(os.path.join(Q.home, 'control', 'helohost'))
        os.unlink(os.path.join(Q.home, 'control', 'me'))
        s = self.sink()
        self.assertEqual(self.send(), b'ZUnable to read control files. (#4.3.0)\n\0')
        self.assertEqual(s.connections, 0)

    def test_usage(self):
        for args in ([], ['h'], ['h', 's']):
            self.assertEqual(self.remote(args), b'DI (qmail-remote) was invoked improperly. (#5.3.5)\n\0')

    def test_empty_message_and_empty_sender(self):
        s = self.sink()
        self.assertEqual(self.send(b'', sender=''), b'r\0' + OK_END)
        s.wait()
        self.assertIn(b'MAIL FROM:<>\r\n', s.received)
        self.assertEqual(s.data, b'.\r\n')

    def test_recipient_reports_in_order(self):
        s = self.sink(rcpt=[b'250 ok\r\n', b'550 no such user\r\n', b'451 try later\r\n',
                            b'250-fine\r\n250 really\r\n'])
        out = self.send(recips=['a@d.example', 'b@d.example', 'c@d.example', 'd@d.example'])
        self.assertEqual(out, b'r\0'
                         b'h127.0.0.1 does not like recipient.\nRemote host said: 550 no such user\n\0'
                         b's127.0.0.1 does not like recipient.\nRemote host said: 451 try later\n\0'
                         b'r\0' + OK_END)
        s.wait()
        self.assertIn(b'RCPT TO:<a@d.example>\r\nRCPT TO:<b@d.example>\r\n'
                      b'RCPT TO:<c@d.example>\r\nRCPT TO:<d@d.example>\r\nDATA\r\n', s.received)

    def test_all_recipients_rejected(self):
        s = self.sink(rcpt=[b'550 no\r\n', b'451 later\r\n'])
        out = self.send(recips=['a@d.example', 'b@d.example'])
        self.assertEqual(out, b'h127.0.0.1 does not like recipient.\nRemote host said: 550 no\n\0'
                         b's127.0.0.1 does not like recipient.\nRemote host said: 451 later\n\0'
                         b'DGiving up on 127.0.0.1.\n\0')
        s.wait()
        self.assertTrue(s.received.endswith(b'RCPT TO:<b@d.example>\r\nQUIT\r\n'))
        self.assertIsNone(s.data)

    def test_multiline_replies(self):
        s = self.sink(greeting=b'220-sink.example\r\n220-more words\r\n220 ready\r\n',
                      helo=b'250-sink.example\r\n250 hi\r\n',
                      end=b'250-queued\r\n250 as 77\r\n')
        out = self.send()
        self.assertEqual(out, b'r\0K127.0.0.1 accepted message.\nRemote host said: 250-queued\n250 as 77\n\0')
        s.wait()

    def test_bare_lf_replies(self):
        s = self.sink(greeting=b'220 hi\n', helo=b'250 hi\n', mail=b'250 ok\n', rcpt=b'250 ok\n',
                      data=b'354 go\n', end=b'250 fine\n')
        self.assertEqual(self.send(), b'r\0K127.0.0.1 accepted message.\nRemote host said: 250 fine\n\0')
        s.wait()

    # ---- failures at each stage ----

    def test_greeting_failed(self):
        for greeting in (b'554 go away\r\n', b'421 busy\r\n'):
            s = self.sink(greeting=greeting)
            out = self.send()
            self.assertEqual(out, b'ZConnected to 127.0.0.1 but greeting failed.\nRemote host said: ' +
                             greeting[:-2] + b'\n\0')
            s.wait()
            self.assertEqual(bytes(s.received), b'QUIT\r\n')

    def test_helo_rejected(self):
        s = self.sink(helo=b'501 who are you\r\n')
        self.assertEqual(self.send(), b'ZConnected to 127.0.0.1 but my name was rejected.\n'
                         b'Remote host said: 501 who are you\n\0')
        s.wait()

    def test_sender_rejected(self):
        for reply, letter in ((b'553 denied\r\n', b'D'), (b'451 later\r\n', b'Z')):
            s = self.sink(mail=reply)
            self.assertEqual(self.send(), letter + b'Connected to 127.0.0.1 but sender was rejected.\n'
                             b'Remote host said: ' + reply[:-2] + b'\n\0')
            s.wait()
            self.assertTrue(s.received.endswith(b'MAIL FROM:<a@b.example>\r\nQUIT\r\n'))

    def test_data_rejected(self):
        for reply, letter in ((b'554 no data\r\n', b'D'), (b'451 later\r\n', b'Z')):
            s = self.sink(data=reply)
            self.assertEqual(self.send(), b'r\0' + letter + b'127.0.0.1 failed on DATA command.\n'
                             b'Remote host said: ' + reply[:-2] + b'\n\0')
            s.wait()
            self.assertTrue(s.received.endswith(b'DATA\r\nQUIT\r\n'))

    def test_data_without_354_sends_no_message(self):
        # A 2xx to DATA means the server is not reading data: the message
        # lines would be commands. Nothing of the message may go out.
        s = self.sink(data=b'250 ok\r\n')
        self.assertEqual(self.send(b'RCPT TO:<victim@x>\n'),
                         b'r\0Z127.0.0.1 failed on DATA command.\nRemote host said: 250 ok\n\0')
        s.wait()
        self.assertTrue(s.received.endswith(b'DATA\r\nQUIT\r\n'))
        self.assertNotIn(b'victim', s.received)

    def test_message_rejected(self):
        for reply, letter in ((b'552 too big\r\n', b'D'), (b'451 disk full\r\n', b'Z')):
            s = self.sink(end=reply)
            self.assertEqual(self.send(), b'r\0' + letter + b'127.0.0.1 failed after I sent the message.\n'
                             b'Remote host said: ' + reply[:-2] + b'\n\0')
            s.wait()

    def test_malformed_reply_counts_as_temporary(self):
        s = self.sink(rcpt=[b'hello there\r\n', b'250-a\r\n251 b\r\n', b'250 ok\r\n'])
        out = self.send(recips=['a@d.example', 'b@d.example', 'c@d.example'])
        self.assertEqual(out, b's127.0.0.1 does not like recipient.\nRemote host said: hello there\n\0'
                         b's127.0.0.1 does not like recipient.\nRemote host said: 250-a\n251 b\n\0'
                         b'r\0' + OK_END)
        s.wait()

    def test_reply_text_nul_and_cr(self):
        s = self.sink(rcpt=b'550 bad\0user\rname\r\n')
        self.assertEqual(self.send(), b'h127.0.0.1 does not like recipient.\n'
                         b'Remote host said: 550 bad?username\n\0DGiving up on 127.0.0.1.\n\0')
        s.wait()

    def test_overlong_reply_line(self):
        self.sink(mail=b'250 ' + b'x' * 10000 + b'\r\n')
        self.assertEqual(self.send(), DIED)

    def test_endless_multiline_reply(self):
        self.sink(helo=b'250-x\r\n' * 1000 + b'250 x\r\n')
        self.assertEqual(self.send(), DIED)

    # ---- the connection ----

    def test_timeout_at_greeting(self):
        self.set_control('timeoutremote', '1\n')
        s = self.sink(greeting=None)
        start = time.time()
        self.assertEqual(self.send(), DIED)
        took = time.time() - start
        self.assertGreaterEqual(took, 0.9)
        self.assertLess(took, 8)
        s.close()

    def test_timeout_after_message_possible_duplicate(self):
        self.set_control('timeoutremote', '1\n')
        s = self.sink(end=None)
        self.assertEqual(self.send(), b'r\0ZConnected to 127.0.0.1 but connection died. '
                         b'Possible duplicate! (#4.4.2)\n\0')
        s.close()
        self.assertEqual(s.data, b'Subject: x\r\n\r\nhello\r\n.\r\n')

    def test_server_closes_connection(self):
        s = self.sink(rcpt='close')
        self.assertEqual(self.send(), DIED)
        s.wait()

    def test_connection_refused(self):
        self.set_control('smtproutes', ':[127.0.0.1]:%d\n' % free_port())
        self.assertEqual(self.send(), NOCONN)

    def test_connect_timeout(self):
        # A listener whose backlog is full drops new connection attempts.
        self.set_control('timeoutconnect', '1\n')
        lsock = socket.socket()
        lsock.bind(('127.0.0.1', 0))
        lsock.listen(0)
        port = lsock.getsockname()[1]
        fillers = []
        try:
            for _ in range(4):
                c = socket.socket()
                c.setblocking(False)
                c.connect_ex(('127.0.0.1', port))
                fillers.append(c)
            time.sleep(0.2)
            self.set_control('smtproutes', ':[127.0.0.1]:%d\n' % port)
            self.assertEqual(Q.run(['qmail-tcpok']).returncode, 0)
            start = time.time()
            self.assertEqual(self.send(), NOCONN)
            took = time.time() - start
            self.assertGreaterEqual(took, 0.9)
            self.assertLess(took, 8)
            # The timeout is remembered (qmail-tcpto(8)).
            self.assertRegex(Q.run(['qmail-tcpto']).stdout,
                             rb'^127\.0\.0\.1 timed out [0-9] seconds ago; # recent timeouts: 1\n$')
        finally:
            Q.run(['qmail-tcpok'])
            for c in fillers:
                c.close()
            lsock.close()

    # ---- routes (names in DNS: test_remote_dns.py) ----

    def test_literal_host_that_is_me(self):
        self.assertEqual(self.send(host='[127.0.0.1]', recips=['u@[127.0.0.1]']),
                         b"DSorry. Although I'm listed as a best-preference MX or A for that host,\n"
                         b"it isn't in my control/locals file, so I don't treat it as local. (#5.4.6)\n\0")

    def test_route_to_literal_host(self):
        s = self.sink()
        self.assertEqual(self.send(host='[127.0.0.1]', recips=['u@[127.0.0.1]']), b'r\0' + OK_END)
        s.wait()
        self.assertIn(b'RCPT TO:<u@[127.0.0.1]>\r\n', s.received)

    def test_routes(self):
        s = self.sink(route=False)
        other = self.sink(route=False)
        self.set_control('smtproutes',
                         '# comment\n'
                         'EXAMPLE.com:[127.0.0.1]:%d\n'
                         '.sub.example.org:127.0.0.1:%d\n'
                         'plain.example:\n'
                         'no colon here\n'
                         'dup.example:[127.0.0.1]:1\n'
                         'dup.example:[127.0.0.1]:%d\n'
                         ':[127.0.0.1]:%d\n' % (s.port, s.port, s.port, other.port))
        cases = [
            ('example.COM', s),          # exact, any case
            ('mx.sub.example.org', s),   # .domain matches below it
            ('a.b.sub.example.org', s),
            ('dup.example', s),          # the last line for a domain wins
            ('sub.example.org', other),  # but not the domain itself: the catch-all
            ('x.example.com', other),
        ]
        for host, expect in cases:
            before = expect.connections
            self.assertEqual(self.send(host=host, recips=['u@' + host]), b'r\0' + OK_END, host)
            expect.done.wait(10)
            self.assertEqual(expect.connections, before + 1, host)

    def test_route_port_out_of_range(self):
        self.set_control('smtproutes', ':[127.0.0.1]:70000\n')
        self.assertEqual(self.send(), b'ZUnable to read control files. (#4.3.0)\n\0')

    # ---- addresses ----

    def test_quoting(self):
        s = self.sink()
        out = self.send(sender='a b@x.example',
                        recips=['.a@d.example', 'a..b@d.example', 'a"b\\c@d.example',
                                'ok.name+tag@d.example', 'last.@d.example', '\xe9t\xe9@d.example',
                                'noat', 'x@y@d.example'])
        self.assertEqual(out, b'r\0' * 8 + OK_END)
        s.wait()
        self.assertIn(b'MAIL FROM:<"a b"@x.example>\r\n'
                      b'RCPT TO:<".a"@d.example>\r\n'
                      b'RCPT TO:<"a..b"@d.example>\r\n'
                      b'RCPT TO:<"a\\"b\\\\c"@d.example>\r\n'
                      b'RCPT TO:<ok.name+tag@d.example>\r\n'
                      b'RCPT TO:<"last."@d.example>\r\n'
                      b'RCPT TO:<"\xc3\xa9t\xc3\xa9"@d.example>\r\n'
                      b'RCPT TO:<noat>\r\n'
                      b'RCPT TO:<"x@y"@d.example>\r\n', s.received)

    def test_line_breaks_in_addresses_never_sent(self):
        s = self.sink()
        out = self.send(recips=['a\rRSET@d.example', 'b@d.example', 'c\nx@d.example'])
        self.assertEqual(out, b'hSorry, this address contains a CR or LF, which SMTP cannot carry. (#5.1.3)\n\0'
                         b'r\0'
                         b'hSorry, this address contains a CR or LF, which SMTP cannot carry. (#5.1.3)\n\0'
                         + OK_END)
        s.wait()
        self.assertNotIn(b'RSET', s.received)
        self.assertEqual(s.received.count(b'RCPT'), 1)
        s2 = self.sink()
        out = self.send(sender='evil\r\nRCPT TO:<x@y>@b.example')
        self.assertEqual(out, b'DSorry, the envelope sender contains a CR or LF, which SMTP cannot carry. (#5.1.7)\n\0')
        self.assertEqual(s2.connections, 0)

    # ---- the message ----

    def test_smuggling_payloads_arrive_stuffed(self):
        s = self.sink()
        msg = (b'Subject: smuggle\n\n'
               b'a\n.\r\nMAIL FROM:<x@evil>\n'    # \n.\r\n
               b'b\r\n.\nRCPT TO:<y@evil>\n'      # \r\n.\n
               b'c\r.\r\nDATA\n'                  # \r.\r\n
               b'd\r.\nQUIT\n'                    # \r.\n
               b'e\r.x\n'                         # a lone CR before a dot
               b'f\r\n.\r\ng\n'                   # \r\n.\r\n
               b'\0.\n.\0\n'                      # NUL bytes
               b'.\n')
        self.assertEqual(self.send(msg), b'r\0' + OK_END)
        s.wait()
        data = (b'Subject: smuggle\r\n\r\n'
                b'a\r\n..\r\nMAIL FROM:<x@evil>\r\n'
                b'b\r\n..\r\nRCPT TO:<y@evil>\r\n'
                b'c\r\n..\r\nDATA\r\n'
                b'd\r\n..\r\nQUIT\r\n'
                b'e\r\n..x\r\n'
                b'f\r\n..\r\ng\r\n'
                b'\0.\r\n..\0\r\n'
                b'..\r\n'
                b'.\r\n')
        self.assertEqual(s.data, data)
        # The server saw one message and one QUIT: nothing was smuggled.
        self.assertEqual(bytes(s.received), b'HELO helo.example\r\nMAIL FROM:<a@b.example>\r\n'
                         b'RCPT TO:<c@d.example>\r\nDATA\r\n' + data + b'QUIT\r\n')
        body = data[:-3]
        for end in (b'\r\n.\r\n', b'\n.\r\n', b'\r.\r\n', b'\r\n.\n', b'\r.\n', b'\n.\n', b'\r.\r'):
            self.assertNotIn(end, body)

    def test_eight_bit_and_big(self):
        s = self.sink()
        lines = [b'.' * (i % 5) + bytes(range(256)).replace(b'\n', b'').replace(b'\r', b'') for i in range(4000)]
        msg = b'\n'.join(lines) + b'\n'
        self.assertEqual(self.send(msg), b'r\0' + OK_END)
        s.wait()
        expect = b''.join((b'.' + l if l.startswith(b'.') else l) + b'\r\n' for l in lines) + b'.\r\n'
        self.assertEqual(s.data, expect)

    def test_partial_final_line(self):
        s = self.sink()
        self.assertEqual(self.send(b'a\nno newline'),
                         b'r\0DSMTP cannot transfer messages with partial final lines. (#5.6.2)\n\0')
        s.wait()
        # The data was never ended (the connection just closed): the
        # server must discard it.
        self.assertTrue(s.received.startswith(b'HELO '))
        self.assertNotIn(b'.\r\n', s.received)
        self.assertNotIn(b'QUIT', s.received)


def read_result(f, timeout=30):
    """One qmail-rspawn result: (slot, [reports])."""
    buf = b''
    deadline = time.time() + timeout

    def more():
        nonlocal buf
        left = deadline - time.time()
        if left <= 0 or not select.select([f], [], [], left)[0]:
            raise AssertionError('no result from qmail-rspawn; got %r' % buf)
        chunk = os.read(f.fileno(), 1)
        if not chunk:
            raise AssertionError('qmail-rspawn closed its output; got %r' % buf)
        buf += chunk

    while len(buf) < 2:
        more()
    slot = struct.unpack('>H', buf[:2])[0]
    reports = []
    while True:
        start = len(buf)
        more()
        while not buf.endswith(b'\0'):
            more()
        reports.append(buf[start:])
        if buf[start:start + 1] in (b'K', b'Z', b'D'):
            return slot, reports


def request(slot, number, sender, recips):
    return (struct.pack('>H', slot) + str(number).encode() + b'\0' + sender + b'\0' +
            b''.join(r + b'\0' for r in recips) + b'\0')


class RspawnBase(unittest.TestCase, ControlFiles):
    """qmail-rspawn driven through its pipes, as qmailr."""
    MSG = b'Subject: via rspawn\n\n.dot\nbody\n'

    def setUp(self):
        self.controls = set()
        self.sinks = []
        self.files = []
        self.set_control('me', 'me.example\n')
        self.set_control('helohost', 'helo.example\n')
        self.set_control('timeoutremote', '10\n')
        self.proc = subprocess_rspawn()

    def tearDown(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()
        self.proc.stderr.close()
        if self.proc.stdin:
            try:
                self.proc.stdin.close()
            except BrokenPipeError:
                pass
        for s in self.sinks:
            s.close()
        for fn in self.files:
            os.unlink(fn)
        self.remove_controls()

    def message(self, number, body=None, owner='qmailq'):
        fn = os.path.join(Q.queue, 'mess', str(number % Q.split), str(number))
        with open(fn, 'wb') as f:
            f.write(self.MSG if body is None else body)
        os.chown(fn, Q.uid(owner), Q.gid('qmail'))
        os.chmod(fn, 0o644)
        if fn not in self.files:
            self.files.append(fn)
        return number

    def sinks_routed(self, **named):
        """One sink per domain in named (domain -> replies dict)."""
        routes = ''
        out = {}
        for domain, replies in named.items():
            s = Sink(**replies)
            self.sinks.append(s)
            routes += '%s:[127.0.0.1]:%d\n' % (domain, s.port)
            out[domain] = s
        self.set_control('smtproutes', routes)
        return out

    def ask(self, data):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()


class Rspawn(RspawnBase):
    """Deliveries, concurrency, request checks, crashes, truncation."""

    def test_delivery(self):
        sinks = self.sinks_routed(**{'d.example': {}})
        n = self.message(900101)
        self.ask(request(5, n, b'a@b.example', [b'c@d.example', b'e@D.EXAMPLE']))
        self.assertEqual(read_result(self.proc.stdout), (5, [b'r\0', b'r\0', OK_END]))
        s = sinks['d.example']
        s.wait()
        self.assertEqual(s.data, b'Subject: via rspawn\r\n\r\n..dot\r\nbody\r\n.\r\n')
        self.assertIn(b'RCPT TO:<c@d.example>\r\nRCPT TO:<e@D.EXAMPLE>\r\n', s.received)
        # At end of file it exits.
        self.proc.stdin.close()
        self.assertEqual(self.proc.wait(10), 0)
        self.assertEqual(self.proc.stdout.read(), b'')

    def test_concurrent_deliveries_and_eof(self):
        self.set_control('timeoutremote', '2\n')
        sinks = self.sinks_routed(**{'slow.example': {'greeting': None}, 'fast.example': {}})
        n1 = self.message(900102)
        n2 = self.message(900103)
        self.ask(request(1, n1, b'a@b.example', [b'u@slow.example']))
        self.ask(request(2, n2, b'a@b.example', [b'u@fast.example']))
        self.assertEqual(read_result(self.proc.stdout), (2, [b'r\0', OK_END]))
        # End of input while a delivery runs: it is still reported.
        self.proc.stdin.close()
        self.assertEqual(read_result(self.proc.stdout), (1, [DIED]))
        self.assertEqual(self.proc.wait(10), 0)

    def test_slot_reuse_and_many(self):
        self.sinks_routed(**{'d.example': {}})
        n = self.message(900104)
        for slot in (0, 119, 0):
            self.ask(request(slot, n, b'a@b.example', [b'c@d.example']))
            self.assertEqual(read_result(self.proc.stdout), (slot, [b'r\0', OK_END]))

    def test_request_errors(self):
        n = self.message(900105)
        root_owned = self.message(900106, owner='root')
        too_long = b'ZInternal error: request too long. (#4.3.5)\n\0'
        cases = [
            # Over the limits; the requests after them still frame right.
            (request(3, n, b'a' * 5000, [b'c@d.example']), too_long),
            (request(3, n, b'a@b.example', [b'c@d.example', b'x' * 4001 + b'@d.example']), too_long),
            (request(3, n, b'a@b.example', [b'c%d@d.example' % i for i in range(10001)]), too_long),
            (request(3, n, b'a@b.example', [b'%s@d.example' % (b'c' * 3900) for i in range(300)]),
             too_long),
            (request(3, 900199, b'a@b.example', [b'c@d.example']),
             b'Zqmail-spawn unable to open message. (#4.3.0)\n\0'),
            (request(3, root_owned, b'a@b.example', [b'c@d.example']),
             b'ZSorry, message has wrong owner. (#4.3.5)\n\0'),
            (request(3, 'abc', b'a@b.example', [b'c@d.example']),
             b'ZInternal error: messid has nonnumerics. (#4.3.5)\n\0'),
            (request(3, '', b'a@b.example', [b'c@d.example']),
             b'ZInternal error: messid too short. (#4.3.5)\n\0'),
            (request(3, '1' * 21, b'a@b.example', [b'c@d.example']),
             b'ZInternal error: messid too long. (#4.3.5)\n\0'),
            (request(3, n, b'a@b.example', [b'nohost']),
             b'DSorry, address must include host name. (#5.1.3)\n\0'),
            (request(3, n, b'a@b.example', [b'c@d.example', b'e@f.example']),
             b'ZInternal error: recipients do not share one host. (#4.3.5)\n\0'),
            (request(3, n, b'a@b.example', []),
             b'ZInternal error: no recipients. (#4.3.5)\n\0'),
        ]
        for req, text in cases:
            self.ask(req)
            self.assertEqual(read_result(self.proc.stdout), (3, [text]), req[:40])

    def test_bad_slots_are_ignored(self):
        sinks = self.sinks_routed(**{'slow.example': {'greeting': None}, 'd.example': {}})
        n = self.message(900107)
        self.ask(request(7, n, b'a@b.example', [b'u@slow.example']))
        self.ask(request(7, n, b'a@b.example', [b'u@d.example']))    # busy
        self.ask(request(120, n, b'a@b.example', [b'u@d.example']))  # beyond conf-spawn
        self.ask(request(8, n, b'a@b.example', [b'u@d.example']))
        self.assertEqual(read_result(self.proc.stdout), (8, [b'r\0', OK_END]))
        self.assertEqual(sinks['d.example'].connections, 1)
        self.proc.stderr.seek(0)
        self.assertEqual(self.proc.stderr.read(),
                         b'qmail-rspawn: request for a busy slot ignored\n'
                         b'qmail-rspawn: request for a slot beyond conf-spawn ignored\n')

    def test_crash(self):
        self.sinks_routed(**{'slow.example': {'greeting': None}})
        n = self.message(900108)
        self.ask(request(4, n, b'a@b.example', [b'u@slow.example']))
        child = None
        deadline = time.time() + 10
        while child is None and time.time() < deadline:
            for pid in os.listdir('/proc'):
                if not pid.isdigit():
                    continue
                try:
                    with open('/proc/%s/stat' % pid) as f:
                        fields = f.read().rsplit(')', 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == self.proc.pid:
                    child = int(pid)
            time.sleep(0.05)
        self.assertIsNotNone(child)
        os.kill(child, signal.SIGKILL)
        self.assertEqual(read_result(self.proc.stdout), (4, [b'Zqmail-remote crashed.\n\0']))

    def test_report_truncated(self):
        line = b'x' * 1500
        rejection = b'550-' + line + b'\r\n550-' + line + b'\r\n550 ' + line + b'\r\n'
        self.sinks_routed(**{'d.example': {'rcpt': [rejection, b'250 ok\r\n']}})
        n = self.message(900109)
        self.ask(request(6, n, b'a@b.example', [b'c@d.example', b'e@d.example']))
        slot, reports = read_result(self.proc.stdout)
        full = (b'h127.0.0.1 does not like recipient.\nRemote host said: 550-' + line + b'\n550-' +
                line + b'\n550 ' + line + b'\n')
        self.assertEqual(slot, 6)
        self.assertEqual(reports, [full[:4001] + b'\0', b'r\0', OK_END])


class RspawnChecksOutput(RspawnBase):
    """qmail-rspawn with bin/qmail-remote replaced by small scripts that
    misbehave (the real one is put back after each test)."""

    def setUp(self):
        self.real = Q.bin('qmail-remote')
        os.rename(self.real, self.real + '.real')
        super().setUp()

    def tearDown(self):
        try:
            super().tearDown()
        finally:
            os.rename(self.real + '.real', self.real)

    def agent(self, script):
        with open(self.real, 'w') as f:
            f.write('#!/bin/sh\n' + script + '\n')
        os.chmod(self.real, 0o755)

    def result(self, recips=(b'c@d.example',)):
        n = self.message(900110)
        self.ask(request(9, n, b'a@b.example', list(recips)))
        return read_result(self.proc.stdout)

    def test_arguments_and_message(self):
        self.agent('printf "r\\000s%s\\000K%s|%s|%s|%s|" "$#" "$1" "$2" "$3" "$4"; '
                   'wc -c | tr -d " \\n"; printf "\\000"')
        self.assertEqual(self.result([b'c@d.example', b'-e@D.example']),
                         (9, [b'r\0', b's4\0', b'Kd.example|a@b.example|c@d.example|-e@D.example|%d\0'
                              % len(self.MSG)]))

    def test_bad_output(self):
        cases = [
            ('exit 0', b'Zqmail-remote produced no output.\n\0'),
            ('exit 111', b'ZUnable to run qmail-remote.\n\0'),
            ('exit 5', b'DUnable to run qmail-remote.\n\0'),
            ('printf "r\\000K\\000"; exit 1', b'DUnable to run qmail-remote.\n\0'),
            ('kill -9 $$', b'Zqmail-remote crashed.\n\0'),
            ('printf "X oops\\000"', b'Zqmail-remote produced malformed output.\n\0'),
            ('printf "r\\000r\\000Kok\\000"', b'Zqmail-remote produced malformed output.\n\0'),
            ('printf "r\\000Kok\\000junk"', b'Zqmail-remote produced malformed output.\n\0'),
            ('printf "r\\000"', b'Zqmail-remote produced malformed output.\n\0'),
            ('printf "r\\000Kok"', b'Zqmail-remote produced malformed output.\n\0'),
        ]
        for script, text in cases:
            self.agent(script)
            self.assertEqual(self.result(), (9, [text]), script)

    def test_endless_output_is_cut(self):
        self.agent('printf "h"; head -c 100000 /dev/zero | tr "\\000" x; printf "\\000Z"; '
                   'head -c 100000 /dev/zero | tr "\\000" y; printf "\\000"')
        self.assertEqual(self.result(), (9, [b'h' + b'x' * 4000 + b'\0', b'Z' + b'y' * 4000 + b'\0']))


def subprocess_rspawn():
    """qmail-rspawn as qmail-start runs it; its fd 2 goes to a file, left
    in proc.stderr."""
    errors = tempfile.TemporaryFile()
    p = subprocess.Popen([Q.bin('qmail-rspawn')], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=errors, cwd='/', env={'PATH': '/usr/bin:/bin'}, user=Q.uid('qmailr'),
                         group=Q.gid('qmail'), extra_groups=[])
    p.stderr = errors
    return p


if __name__ == '__main__':
    unittest.main()
