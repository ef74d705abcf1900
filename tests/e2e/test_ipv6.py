"""test_ipv6.py: IPv6 in and out, each test in a private network
namespace (dnsserver.Namespace) where no packet can leave the machine.

There, the loopback interface has 127.0.0.1 and ::1, the whole prefixes
fd00:7::/64 and fd00:9::/64 are routed to it as 127.0.0.0/8 is (so servers can listen on
fd00:7::2 and the like, and these are not this host's own addresses, as
127.0.0.2 is not), and fd00:8::1 is an address of the interface itself
(this host's, as ipme sees it). A DNS server for the zone below owns
127.0.0.1:53.

Out: qmail-remote (as qmailr) to an IPv6-only exchanger, with and
without control/remoteipv6; to a dual-stack one whose IPv6 address
refuses (it goes on to IPv4) or whose families both answer (the order
remoteipv6 asks for); an exchanger without MX; this host's own IPv6
address as exchanger; an [IPv6:...] route in smtproutes with a port;
control/outgoingip and outgoingip6; an IPv6 host that times out
(queue/lock/tcpto's IPv6 records, qmail-tcpto, qmail-tcpok); the texts of
a refusal; the dns programs (dnsip6, dnsmxip -6, dnsptr, ipmeprint); and
a name server at an IPv6 address in resolv.conf.

In: qmail-smtpd and qmail-qmtpd under ucspi-tcp-ipv6's tcpserver
(unpacked into build/ucspi6 by tests/run, as Debian's package conflicts
with the ucspi-tcp the other tests use), on ::1 and fd00:7::25: the
Received line, [IPv6:...] literals of this host, relaying by tcprules
for ::1 and for the prefix fd00:9:: and not for another IPv6 client; and tcp-env on an IPv6
connection."""
import ipaddress
import os
import re
import socket
import subprocess
import sys
import time
import unittest

import dnsserver
from dnsserver import A, AAAA, MX, Zone
from harness import Q, REPO
from test_remote import ControlFiles, Sink
from test_remote_dns import (AMBIGMX, FAST, MSG, NOCONN, NOMX, Blackhole, TCPTO, tcpto_clear)
from clients import DATE, QQ_RECEIVED

UCSPI6 = os.path.join(REPO, 'build', 'ucspi6', 'usr', 'bin')


def ok(where):
    return b'r\0K%s accepted message.\nRemote host said: 250 ok 1234\n\0' % where.encode()


def zone():
    z = Zone()
    z.add('v6only.test', MX, (10, 'mx.v6only.test'))
    z.add('mx.v6only.test', AAAA, 'fd00:7::2')
    # dual stack; its IPv6 address refuses connections
    z.add('dual.test', MX, (10, 'mx.dual.test'))
    z.add('mx.dual.test', AAAA, 'fd00:7::3')
    z.add('mx.dual.test', A, '127.0.0.2')
    # dual stack, both answering
    z.add('both.test', MX, (10, 'mx.both.test'))
    z.add('mx.both.test', A, '127.0.0.2')
    z.add('mx.both.test', AAAA, 'fd00:7::2')
    z.add('nomx6.test', AAAA, 'fd00:7::2')
    # this host as exchanger, by an address of its interface and by ::1
    z.add('self6.test', MX, (10, 'me.self6.test'))
    z.add('me.self6.test', AAAA, 'fd00:8::1')
    z.add('loop6.test', MX, (10, 'me.loop6.test'))
    z.add('me.loop6.test', AAAA, '::1')
    z.add('slow6.test', MX, (10, 'mx.slow6.test'))
    z.add('mx.slow6.test', AAAA, 'fd00:7::9')
    z.add('reject6.test', MX, (10, 'mx.reject6.test'))
    z.add('mx.reject6.test', AAAA, 'fd00:7::5')
    z.add('relay6.test', AAAA, 'fd00:7::2')
    return z


def local_routes():
    """The namespace's IPv6 set-up (see the module's text)."""
    for argv in (['ip', '-6', 'route', 'add', 'local', 'fd00:7::/64', 'dev', 'lo'],
                 ['ip', '-6', 'route', 'add', 'local', 'fd00:9::/64', 'dev', 'lo'],
                 ['ip', '-6', 'addr', 'add', 'fd00:8::1/128', 'dev', 'lo', 'nodad'],
                 ['sysctl', '-qw', 'net.ipv6.ip_nonlocal_bind=1']):
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)


class Hosts:
    """The SMTP side in the namespace: Sinks at (addr, port, replies) and
    Blackholes at addresses (port 25)."""

    def __init__(self, sinks, blackholes):
        local_routes()
        self.sinks = {'%s:%d' % (a, p): Sink(a, p, **r) for a, p, r in sinks}
        self.blackholes = [Blackhole(a) for a in blackholes]

    def state(self):
        return {where: {'connections': s.connections, 'peers': s.peers}
                for where, s in self.sinks.items()}


SINKS = [('fd00:7::2', 25, {}), ('127.0.0.2', 25, {}), ('fd00:7::2', 2525, {}),
         ('fd00:7::5', 25, {'mail': b'553 no\r\n'})]


class Net(dnsserver.Namespace):
    def __init__(self):
        super().__init__(FAST, zone(), setup=lambda: Hosts(SINKS, ['fd00:7::9']))

    def remote(self, host, recips=('u@x.test',)):
        r = self.run('qmail-remote', host, 'a@b.example', *recips, input=MSG, user='qmailr')
        if (r['rc'], r['err']) != (0, ''):
            raise AssertionError('qmail-remote: %r' % r)
        return r['out'].encode('latin-1'), r['elapsed']

    def connections(self):
        return {k: v['connections'] for k, v in self.state().items()}


class Out(unittest.TestCase, ControlFiles):
    def setUp(self):
        if os.geteuid() != 0:
            self.skipTest('namespaces need root')
        self.controls = set()
        self.set_control('me', 'me.example\n')
        self.set_control('timeoutremote', '10\n')
        self.set_control('timeoutconnect', '2\n')
        tcpto_clear()
        self.net = Net()

    def tearDown(self):
        self.net.close()
        self.remove_controls()
        tcpto_clear()

    def test_off_as_qmail_103(self):
        # without remoteipv6 only A records count
        self.assertEqual(self.net.remote('v6only.test')[0], NOMX)
        self.assertEqual(self.net.remote('both.test')[0], ok('127.0.0.2'))
        self.assertEqual(self.net.remote('dual.test')[0], ok('127.0.0.2'))
        self.assertEqual(self.net.connections()['fd00:7::2:25'], 0)
        self.assertNotIn(AAAA, [q[4] for q in self.net.log()[0]])
        self.set_control('remoteipv6', '0\n')
        self.assertEqual(self.net.remote('v6only.test')[0], NOMX)

    def test_ipv6_only_exchanger(self):
        self.set_control('remoteipv6', '1\n')
        self.assertEqual(self.net.remote('v6only.test')[0], ok('IPv6:fd00:7::2'))
        self.assertEqual(self.net.remote('nomx6.test')[0], ok('IPv6:fd00:7::2'))
        self.assertEqual(self.net.connections()['fd00:7::2:25'], 2)

    def test_order_of_the_families(self):
        self.set_control('remoteipv6', '1\n')  # IPv6 first
        self.assertEqual(self.net.remote('both.test')[0], ok('IPv6:fd00:7::2'))
        self.set_control('remoteipv6', '2\n')  # IPv4 first
        self.assertEqual(self.net.remote('both.test')[0], ok('127.0.0.2'))
        c = self.net.connections()
        self.assertEqual((c['fd00:7::2:25'], c['127.0.0.2:25']), (1, 1))

    def test_refusing_ipv6_falls_back_to_ipv4(self):
        self.set_control('remoteipv6', '1\n')
        out, took = self.net.remote('dual.test')
        self.assertEqual(out, ok('127.0.0.2'))
        self.assertLess(took, 2)
        # a refusal shows the host is up: nothing in tcpto
        with open(TCPTO, 'rb') as f:
            self.assertEqual(f.read(), b'\0' * 3072)

    def test_this_host_is_not_an_exchanger(self):
        self.set_control('remoteipv6', '1\n')
        self.assertEqual(self.net.remote('self6.test')[0], AMBIGMX)
        self.assertEqual(self.net.remote('loop6.test')[0], AMBIGMX)
        lines = self.net.run('ipmeprint')['out'].splitlines()
        self.assertEqual(lines[:3], ['0.0.0.0', '127.0.0.1', '::'])
        self.assertEqual(sorted(lines[3:]), ['::1', 'fd00:8::1'])

    def test_route_to_ipv6_literal(self):
        # an [IPv6:...] relay with a port is used even with remoteipv6 off
        self.set_control('smtproutes', 'x.test:[IPv6:fd00:7::2]:2525\n')
        self.assertEqual(self.net.remote('x.test')[0], ok('IPv6:fd00:7::2'))
        self.set_control('smtproutes', ':[IPv6:FD00:7:0::2]\n')
        self.assertEqual(self.net.remote('x.test')[0], ok('IPv6:fd00:7::2'))
        self.set_control('remoteipv6', '1\n')
        self.set_control('smtproutes', ':relay6.test:2525\n')
        self.assertEqual(self.net.remote('x.test')[0], ok('IPv6:fd00:7::2'))
        c = self.net.connections()
        self.assertEqual((c['fd00:7::2:2525'], c['fd00:7::2:25']), (2, 1))
        # a recipient at an IPv6 address literal
        self.set_control('smtproutes', '\n')
        self.assertEqual(self.net.remote('[IPv6:fd00:7::2]', ['u@[IPv6:fd00:7::2]'])[0],
                         ok('IPv6:fd00:7::2'))

    def test_outgoing_addresses(self):
        self.set_control('remoteipv6', '2\n')
        self.set_control('outgoingip', '127.0.0.5\n')
        self.set_control('outgoingip6', 'fd00:7::4\n')
        self.assertEqual(self.net.remote('both.test')[0], ok('127.0.0.2'))
        self.assertEqual(self.net.remote('v6only.test')[0], ok('IPv6:fd00:7::2'))
        st = self.net.state()
        self.assertEqual(st['127.0.0.2:25']['peers'], ['127.0.0.5'])
        self.assertEqual(st['fd00:7::2:25']['peers'], ['fd00:7::4'])
        # an address of the wrong family is a configuration error
        self.set_control('outgoingip6', '127.0.0.5\n')
        self.assertEqual(self.net.remote('v6only.test')[0],
                         b'ZUnable to read control files. (#4.3.0)\n\0')

    def test_refusal_texts(self):
        self.set_control('remoteipv6', '1\n')
        self.assertEqual(self.net.remote('reject6.test')[0],
                         b'DConnected to IPv6:fd00:7::5 but sender was rejected.\n'
                         b'Remote host said: 553 no\n\0')

    def test_timeouts_remembered(self):
        self.set_control('remoteipv6', '1\n')
        out, took = self.net.remote('slow6.test')
        self.assertEqual(out, NOCONN)
        self.assertGreaterEqual(took, 1.5)
        with open(TCPTO, 'rb') as f:
            data = f.read()
        self.assertEqual(data[:1024], b'\0' * 1024)  # qmail-1.03's part
        rec = data[1024:1056]
        self.assertEqual(rec[:16], socket.inet_pton(socket.AF_INET6, 'fd00:7::9'))
        self.assertEqual(rec[16], 1)
        self.assertRegex(Q.run(['qmail-tcpto']).stdout,
                         rb'^fd00:7::9 timed out [0-9] seconds ago; # recent timeouts: 1\n$')
        # a second timeout, two minutes on: the host is skipped at once
        with open(TCPTO, 'r+b') as f:
            f.seek(1024 + 16)
            f.write(bytes([2]))
        out, took = self.net.remote('slow6.test')
        self.assertEqual(out, NOCONN)
        self.assertLess(took, 1)
        tcpto_clear()
        with open(TCPTO, 'rb') as f:
            self.assertEqual(f.read(), b'\0' * 3072)
        self.assertEqual(Q.run(['qmail-tcpto']).stdout, b'')

    def test_dns_programs(self):
        r = self.net.run('dnsip6', 'mx.both.test')
        self.assertEqual((r['rc'], r['out']), (0, 'fd00:7::2\n'))
        r = self.net.run('dnsip', 'mx.both.test')
        self.assertEqual((r['rc'], r['out']), (0, '127.0.0.2\n'))
        r = self.net.run('dnsip6', '[IPv6:2001:DB8::1]')
        self.assertEqual((r['rc'], r['out']), (0, '2001:db8::1\n'))
        r = self.net.run('dnsmxip', 'both.test')
        self.assertEqual((r['rc'], r['out']), (0, '127.0.0.2 10\n'))
        r = self.net.run('dnsmxip', '-6', 'both.test')
        self.assertEqual((r['rc'], r['out']), (0, 'fd00:7::2 10\n127.0.0.2 10\n'))
        r = self.net.run('dnsmxip', '-6', 'v6only.test')
        self.assertEqual((r['rc'], r['out']), (0, 'fd00:7::2 10\n'))
        r = self.net.run('dnsptr', 'fd00:7::2')
        self.assertEqual((r['rc'], r['err']), (100, 'hard error\n'))
        names = [q[3] for q in self.net.log()[0] if q[4] == 12]
        self.assertEqual(names, [ipaddress.ip_address('fd00:7::2').reverse_pointer])


class Resolver(unittest.TestCase, ControlFiles):
    """A name server at an IPv6 address in resolv.conf is asked over IPv6:
    the only usable one there, answering both for the dns programs and
    for qmail-remote, at once."""

    def setUp(self):
        if os.geteuid() != 0:
            self.skipTest('namespaces need root')
        self.controls = set()
        self.set_control('me', 'me.example\n')
        self.set_control('remoteipv6', '1\n')
        # a link-local server with a zone is skipped, not asked
        self.net = dnsserver.Namespace('nameserver fe80::1%lo\nnameserver ::1\n'
                                       'options timeout:2 attempts:1\n', zone(),
                                       servers=(('::1', ()),),
                                       setup=lambda: Hosts(SINKS, []))

    def tearDown(self):
        self.net.close()
        self.remove_controls()

    def test_ipv6_name_server(self):
        r = self.net.run('dnsip6', 'mx.both.test')
        self.assertEqual((r['rc'], r['out']), (0, 'fd00:7::2\n'))
        self.assertLess(r['elapsed'], 1)
        r = self.net.run('qmail-remote', 'v6only.test', 'a@b.example', 'u@x.test', input=MSG,
                         user='qmailr')
        self.assertEqual(r['out'].encode('latin-1'), ok('IPv6:fd00:7::2'))
        self.assertEqual({q[0] for q in self.net.log()[0]}, {'udp'})


# ---- in -------------------------------------------------------------------

CLIENT = r'''
import socket, sys
src, port, lines = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
s = socket.socket(socket.AF_INET6)
if src:
    s.bind((src, 0))
s.connect(('::1' if not src or src == '::1' else 'fd00:7::25', port))
s.settimeout(20)
f = s.makefile('rb')
def reply():
    while True:
        line = f.readline().decode('latin-1').rstrip('\r\n')
        if line[3:4] != '-':
            return line
out = [reply()]
for l in lines:
    s.sendall(l.encode('latin-1') + b'\r\n')
    out.append(reply())
print('\n'.join(out))
'''


class Servers:
    """tcpserver (ucspi-tcp-ipv6) in the namespace, listening on "0"
    (every address, IPv6 and IPv4) with rules, for qmail-smtpd (port 25) and qmail-qmtpd
    (port 209), as qmaild."""

    def __init__(self, rules):
        local_routes()
        self.procs = []
        for port, prog in ((25, 'qmail-smtpd'), (209, 'qmail-qmtpd')):
            argv = [os.path.join(UCSPI6, 'tcpserver'), '-R', '-H', '-l', 'mx.example',
                    '-u', str(Q.uid('qmaild')), '-g', str(Q.gid('nofiles')), '-x', rules,
                    '0', str(port), Q.bin(prog)]
            self.procs.append(subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                                               stderr=subprocess.DEVNULL,
                                               env={'PATH': '/usr/bin:/bin'}))
        for port in (25, 209):
            for _ in range(200):
                try:
                    socket.create_connection(('::1', port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.02)

    def state(self):
        return {}

    def close(self):
        for p in self.procs:
            p.kill()
            p.wait()


class In(unittest.TestCase, ControlFiles):
    def setUp(self):
        if os.geteuid() != 0:
            self.skipTest('namespaces need root')
        if not os.path.exists(os.path.join(UCSPI6, 'tcpserver')):
            self.fail('ucspi-tcp-ipv6 was not unpacked into build/ucspi6 (tests/run does that)')
        self.controls = set()
        for name, text in (('me', 'mx.example\n'), ('rcpthosts', 'mx.example\n'),
                           ('localiphost', 'mx.example\n')):
            self.set_control(name, text)
        Q.clear_queue()
        self.dir = os.path.join(Q.root, 'ipv6-in')
        os.makedirs(self.dir, exist_ok=True)
        rules = os.path.join(self.dir, 'rules.cdb')
        subprocess.run([os.path.join(UCSPI6, 'tcprules'), rules, rules + '.tmp'],
                       input=b'::1:allow,RELAYCLIENT=""\n127.0.0.1:allow,RELAYCLIENT=""\n'
                             b'fd00:9::allow,RELAYCLIENT=""\n:allow\n',
                       check=True)
        os.chmod(rules, 0o644)
        self.ns = dnsserver.Namespace(FAST, Zone(), setup=lambda: Servers(rules))

    def tearDown(self):
        self.ns.close()
        self.remove_controls()
        Q.clear_queue()

    def smtp(self, src, *lines):
        r = self.ns.run(sys.executable, '-c', CLIENT, src, '25', *lines)
        self.assertEqual(r['rc'], 0, r)
        return r['out'].splitlines()

    def queued(self):
        mess = [v for k, v in Q.queue_files().items() if k.startswith('mess/')]
        self.assertEqual(len(mess), 1)
        return mess[0]

    def test_received_line_and_literals(self):
        replies = self.smtp('::1', 'HELO client.example', 'MAIL FROM:<a@client.example>',
                            'RCPT TO:<u@[IPv6:::1]>', 'RCPT TO:<v@[IPv6:0:0::1]>',
                            'RCPT TO:<w@[IPv6:fd00:7::99]>', 'DATA', 'Subject: six\r\n\r\nhi\r\n.',
                            'QUIT')
        self.assertEqual(replies[:6], ['220 mx.example ESMTP', '250 mx.example', '250 ok',
                                       '250 ok', '250 ok', '250 ok'])
        self.assertEqual(replies[6], '354 go ahead')
        self.assertRegex(replies[7], r'^250 ok \d+ qp \d+$')
        mess = self.queued()
        qq = QQ_RECEIVED.match(mess)
        self.assertTrue(qq, mess)
        rest = mess[qq.end():]
        self.assertRegex(rest, rb'^Received: from unknown \(HELO client\.example\) \(IPv6:::1\)\n'
                               rb'  by mx\.example with SMTP; ' + DATE + rb'\nSubject: six\n\nhi\n$')
        todo = [v for k, v in Q.queue_files().items() if k.startswith('todo/')]
        self.assertEqual(len(todo), 1)
        self.assertTrue(todo[0].endswith(b'\0Fa@client.example\0Tu@mx.example\0Tv@mx.example\0'
                                         b'Tw@[IPv6:fd00:7::99]\0'), todo)

    def test_relay_by_tcprules(self):
        # ::1 and fd00:9::/64 (a prefix rule) may relay; fd00:7::5 may not
        self.assertEqual(self.smtp('::1', 'HELO c', 'MAIL FROM:<a@c.example>',
                                   'RCPT TO:<x@elsewhere.example>', 'QUIT')[3], '250 ok')
        self.assertEqual(self.smtp('fd00:7::5', 'HELO c', 'MAIL FROM:<a@c.example>',
                                   'RCPT TO:<x@elsewhere.example>', 'RCPT TO:<u@mx.example>',
                                   'QUIT')[3:5],
                         ["553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)",
                          '250 ok'])
        self.assertEqual(self.smtp('fd00:9::5', 'HELO c', 'MAIL FROM:<a@c.example>',
                                   'RCPT TO:<x@elsewhere.example>', 'QUIT')[3], '250 ok')

    def test_qmtp(self):
        msg = b'Subject: q\n\nhi\n'
        body = b'\n' + msg
        def ns(b):
            return b'%d:%s,' % (len(b), b)
        req = ns(body) + ns(b'a@c.example') + ns(ns(b'u@mx.example'))
        code = ('import socket,sys;s=socket.create_connection(("::1",209));'
                's.sendall(bytes.fromhex(sys.argv[1]));s.shutdown(1);'
                'print(s.recv(1000).decode())')
        r = self.ns.run(sys.executable, '-c', code, req.hex())
        self.assertRegex(r['out'], r'^\d+:K')
        mess = self.queued()
        qq = QQ_RECEIVED.match(mess)
        self.assertRegex(mess[qq.end():], rb'^Received: from unknown \(IPv6:::1\)\n'
                                          rb'  by mx\.example with QMTP; ' + DATE + rb'\n')

    def test_tcp_env(self):
        code = r'''
import socket, subprocess, sys
l = socket.socket(socket.AF_INET6); l.bind(('fd00:7::25', 0)); l.listen(1)
c = socket.socket(socket.AF_INET6); c.bind(('fd00:7::5', 0)); c.connect(l.getsockname()[:2])
a, _ = l.accept()
env = {'PATH': '/usr/bin:/bin'}
env.update(dict(v.split('=', 1) for v in sys.argv[2:]))
print(subprocess.run([sys.argv[1], 'env'], stdin=a, env=env, capture_output=True).stdout.decode())
'''
        r = self.ns.run(sys.executable, '-c', code, Q.bin('tcp-env'))
        env = dict(l.split('=', 1) for l in r['out'].splitlines() if '=' in l)
        self.assertEqual((env['PROTO'], env['TCPREMOTEIP'], env['TCPLOCALIP']),
                         ('TCP6', 'fd00:7::5', 'fd00:7::25'))
        # as tcpserver set it up: left alone
        r = self.ns.run(sys.executable, '-c', code, Q.bin('tcp-env'), 'PROTO=TCP6',
                        'TCPREMOTEIP=2001:db8::7')
        env = dict(l.split('=', 1) for l in r['out'].splitlines() if '=' in l)
        self.assertEqual((env['PROTO'], env['TCPREMOTEIP']), ('TCP6', '2001:db8::7'))


if __name__ == '__main__':
    unittest.main()
