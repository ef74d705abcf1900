"""test_remote_dns.py: qmail-remote's routing through DNS, and its memory
of hosts that time out (queue/lock/tcpto, qmail-tcpto, qmail-tcpok).

Each test runs qmail-remote (as qmailr) inside a private network
namespace (dnsserver.Namespace): a DNS server for the zone below owns
127.0.0.1:53, SMTP sinks (test_remote.Sink) listen on 127.0.0.2:25,
127.0.0.3:25 and so on, an address where nothing listens refuses at once,
and a listener whose backlog is full makes connections time out. There,
127.0.0.1 is this host's only address besides 0.0.0.0. The tcpto file is
the scratch installation's own, cleared before and after each test.
"""
import os
import struct
import socket
import time
import unittest

import dnsserver
from dnsserver import A, CNAME, MX, Zone
from harness import Q
from test_remote import ControlFiles, Sink

FAST = 'nameserver 127.0.0.1\noptions timeout:2 attempts:1\n'
MSG = b'Subject: x\n\nhello\n'
NOCONN = b"ZSorry, I wasn't able to establish an SMTP connection. (#4.4.1)\n\0"
CNAME_SOFT = b'ZCNAME lookup failed temporarily. (#4.4.3)\n\0'
DNS_SOFT = b"ZSorry, I couldn't find any host by that name. (#4.1.2)\n\0"
NOMX = b"DSorry, I couldn't find a mail exchanger or IP address. (#5.4.4)\n\0"
AMBIGMX = (b"DSorry. Although I'm listed as a best-preference MX or A for that host,\n"
           b"it isn't in my control/locals file, so I don't treat it as local. (#5.4.6)\n\0")
REFUSING = '127.0.0.20'  # nothing listens there
BIG_MX = 40              # exchangers of big.test: about 2000 bytes of answer
MAXTRY = 64              # qmail-remote's cap on addresses tried


def ok(ip):
    return b'r\0K%s accepted message.\nRemote host said: 250 ok 1234\n\0' % ip.encode()


def perm_dns(name):
    return b"DSorry, I couldn't find any host named %s. (#5.1.2)\n\0" % name


def zone():
    z = Zone()
    # Two exchangers: 127.0.0.2 preferred to 127.0.0.3.
    z.add('pref.test', MX, (20, 'mx2.pref.test'))
    z.add('pref.test', MX, (10, 'mx1.pref.test'))
    z.add('mx1.pref.test', A, '127.0.0.2')
    z.add('mx2.pref.test', A, '127.0.0.3')
    # One exchanger with two addresses, the first refusing.
    z.add('multi.test', MX, (10, 'mx.multi.test'))
    z.add('mx.multi.test', A, REFUSING)
    z.add('mx.multi.test', A, '127.0.0.2')
    z.add('nomx.test', A, '127.0.0.2')
    z.add('alias.test', CNAME, 'nomx.test')
    z.add('cfail.test', 'SERVFAIL', CNAME)
    z.add('cfail.test', A, '127.0.0.2')
    z.add('mxfail.test', 'SERVFAIL', MX)
    z.add('sfa.test', 'SERVFAIL', None)
    z.add('softmx.test', MX, (10, 'sfa.test'))
    z.add('halfsoft.test', MX, (10, 'sfa.test'))
    z.add('halfsoft.test', MX, (20, 'mx2.pref.test'))
    z.add('deadmx.test', MX, (10, 'nosuch.test'))
    # This host as an exchanger.
    z.add('self.test', MX, (10, 'me.self.test'))
    z.add('me.self.test', A, '127.0.0.1')
    z.add('selfalias.test', CNAME, 'self.test')
    z.add('selfmid.test', MX, (5, 'refusing.selfmid.test'))
    z.add('selfmid.test', MX, (10, 'me.self.test'))
    z.add('selfmid.test', MX, (10, 'mx2.pref.test'))
    z.add('selfmid.test', MX, (20, 'mx1.pref.test'))
    z.add('refusing.selfmid.test', A, REFUSING)
    z.add('selfbest.test', MX, (5, 'mx1.pref.test'))
    z.add('selfbest.test', MX, (10, 'me.self.test'))
    # Relays for smtproutes.
    z.add('relay.test', A, '127.0.0.2')
    z.add('self-a.test', A, '127.0.0.1')
    # More than 512 bytes of MX records, all exchangers at 127.0.0.2.
    for k in range(BIG_MX):
        name = 'exchanger-number-%02d.big-mx-domain-for-testing.test' % k
        z.add('big.test', MX, (10 + k % 3, name))
        z.add(name, A, '127.0.0.2')
    # Exchangers that refuse, then a good one: more of them than
    # qmail-remote tries (many.test), and fewer (few.test).
    for domain, count in (('many.test', MAXTRY + 6), ('few.test', MAXTRY - 4)):
        for k in range(count):
            name = 'r%d.%s' % (k, domain)
            z.add(domain, MX, (10, name))
            z.add(name, A, '127.0.1.%d' % (k + 1))
        z.add(domain, MX, (20, 'mx1.pref.test'))
    return z


class Blackhole:
    """addr:port where connections time out: a listener whose backlog is
    full, so the kernel drops new connection attempts."""

    def __init__(self, addr, port=25):
        family = socket.AF_INET6 if ':' in addr else socket.AF_INET
        self.lsock = socket.socket(family)
        self.lsock.bind((addr, port))
        self.lsock.listen(0)
        self.fillers = []
        for _ in range(4):
            c = socket.socket(family)
            c.setblocking(False)
            c.connect_ex((addr, port))
            self.fillers.append(c)
        time.sleep(0.1)


class Hosts:
    """The SMTP side, started inside the namespace: a Sink for each
    'addr' or 'addr:port' in sinks (mapped to its replies), a Blackhole
    at each address in blackholes (port 25)."""

    def __init__(self, sinks, blackholes):
        self.sinks = {}
        for where, replies in sinks.items():
            addr, _, port = where.partition(':')
            self.sinks[where] = Sink(addr, int(port or 25), **replies)
        self.blackholes = [Blackhole(addr) for addr in blackholes]

    def state(self):
        return {where: {'connections': s.connections, 'received': s.received.decode('latin-1'),
                        'data': None if s.data is None else s.data.decode('latin-1')}
                for where, s in self.sinks.items()}


class Net(dnsserver.Namespace):
    def __init__(self, sinks=None, blackholes=(), servers=(('127.0.0.1', ()),), conf=FAST):
        super().__init__(conf, zone(), servers, setup=lambda: Hosts(sinks or {}, blackholes))

    def remote(self, host, recips, sender='a@b.example', message=MSG):
        """qmail-remote's output (bytes) and how long it took."""
        r = self.run('qmail-remote', host, sender, *recips, input=message, user='qmailr')
        if (r['rc'], r['err']) != (0, ''):
            raise AssertionError('qmail-remote: %r' % r)
        return r['out'].encode('latin-1'), r['elapsed']

    def queries(self):
        """(name, type) of each query the DNS server got."""
        return [(q[3].lower(), q[4]) for q in self.log()[0]]


# ---- the tcpto file -------------------------------------------------------

TCPTO = os.path.join(Q.home, 'queue', 'lock', 'tcpto')


def tcpto_records():
    """{address: (count, time)} of the records with a count."""
    with open(TCPTO, 'rb') as f:
        data = f.read()
    out = {}
    for i in range(0, min(len(data), 1024) - 15, 16):  # the IPv4 records
        rec = data[i:i + 16]
        if rec[4]:
            out[socket.inet_ntoa(rec[:4])] = (rec[4], struct.unpack('<I', rec[8:12])[0])
    return out


def tcpto_set(slot, ip, count, when):
    with open(TCPTO, 'r+b') as f:
        f.seek(16 * slot)
        f.write(socket.inet_aton(ip) + bytes([count, 0, 0, 0]) + struct.pack('<I', int(when)) +
                b'\0' * 4)


def tcpto_clear():
    r = Q.run(['qmail-tcpok'])
    if (r.returncode, r.stdout, r.stderr) != (0, b'', b''):
        raise AssertionError('qmail-tcpok: %r' % r)


class RemoteDns(unittest.TestCase, ControlFiles):
    def setUp(self):
        if os.geteuid() != 0:
            self.skipTest('namespaces need root')
        if not os.path.exists('/etc/resolv.conf'):
            self.skipTest('no /etc/resolv.conf to mount over')
        self.controls = set()
        self.set_control('me', 'me.example\n')
        self.set_control('helohost', 'helo.example\n')
        self.set_control('timeoutremote', '10\n')
        self.set_control('timeoutconnect', '1\n')
        tcpto_clear()

    def tearDown(self):
        self.remove_controls()
        tcpto_clear()

    def delivered(self, net, where, host, recips=('u@pref.test',)):
        out, _ = net.remote(host, list(recips))
        self.assertEqual(out, b'r\0' * (len(recips) - 1) + ok(where.split(':')[0]))
        return net.state()[where]


class Exchangers(RemoteDns):
    def test_best_preference_first(self):
        with Net({'127.0.0.2': {}, '127.0.0.3': {}}) as net:
            got = self.delivered(net, '127.0.0.2', 'pref.test')
            self.assertEqual(got['data'], 'Subject: x\r\n\r\nhello\r\n.\r\n')
            self.assertIn('RCPT TO:<u@pref.test>\r\n', got['received'])
            self.assertEqual(net.state()['127.0.0.3']['connections'], 0)
            self.assertEqual(net.queries(), [('pref.test', CNAME), ('pref.test', MX),
                                              ('mx1.pref.test', A), ('mx2.pref.test', A)])

    def test_next_exchanger_when_refused(self):
        with Net({'127.0.0.3': {}}) as net:
            self.delivered(net, '127.0.0.3', 'pref.test')
        self.assertEqual(tcpto_records(), {})  # a refusal is no timeout

    def test_next_address_of_one_exchanger(self):
        with Net({'127.0.0.2': {}}) as net:
            self.delivered(net, '127.0.0.2', 'multi.test', ['u@multi.test'])

    def test_next_exchanger_when_timed_out(self):
        with Net({'127.0.0.3': {}}, blackholes=['127.0.0.2']) as net:
            out, took = net.remote('pref.test', ['u@pref.test'])
            self.assertEqual(out, ok('127.0.0.3'))
            self.assertGreaterEqual(took, 0.9)
        self.assertEqual(list(tcpto_records()), ['127.0.0.2'])

    def test_next_exchanger_after_bad_greeting(self):
        for greeting in (b'421 busy\r\n', b'554 go away\r\n', b'hello\r\n'):
            with Net({'127.0.0.2': {'greeting': greeting}, '127.0.0.3': {}}) as net:
                self.delivered(net, '127.0.0.3', 'pref.test')
                first = net.state()['127.0.0.2']
                self.assertEqual((first['connections'], first['received']), (1, 'QUIT\r\n'))

    def test_every_greeting_bad(self):
        with Net({'127.0.0.2': {'greeting': b'554 go away\r\n'},
                  '127.0.0.3': {'greeting': b'421 busy\r\n'}}) as net:
            out, _ = net.remote('pref.test', ['u@pref.test'])
            self.assertEqual(out, b'ZConnected to 127.0.0.3 but greeting failed.\n'
                             b'Remote host said: 421 busy\n\0')
        with Net({'127.0.0.2': {'greeting': b'554 go away\r\n'}}) as net:
            out, _ = net.remote('pref.test', ['u@pref.test'])
            self.assertEqual(out, b'ZConnected to 127.0.0.2 but greeting failed.\n'
                             b'Remote host said: 554 go away\n\0')

    def test_greeting_timeout_ends_delivery(self):
        # As in qmail-1.03: a server that took the connection and then
        # died or fell silent ends the attempt; the next is not tried.
        self.set_control('timeoutremote', '1\n')
        with Net({'127.0.0.2': {'greeting': None}, '127.0.0.3': {}}) as net:
            out, _ = net.remote('pref.test', ['u@pref.test'])
            self.assertEqual(out, b'ZConnected to 127.0.0.2 but connection died. (#4.4.2)\n\0')
            self.assertEqual(net.state()['127.0.0.3']['connections'], 0)

    def test_all_down(self):
        with Net(blackholes=['127.0.0.3']) as net:
            out, took = net.remote('pref.test', ['u@pref.test'])
            self.assertEqual(out, NOCONN)
            self.assertGreaterEqual(took, 0.9)

    def test_a_record_without_mx(self):
        with Net({'127.0.0.2': {}}) as net:
            self.delivered(net, '127.0.0.2', 'nomx.test', ['u@nomx.test'])
            self.assertIn(('nomx.test', MX), net.queries())
            self.assertEqual(net.queries()[-1], ('nomx.test', A))

    def test_address_literal(self):
        with Net({'127.0.0.2': {}}) as net:
            got = self.delivered(net, '127.0.0.2', '[127.0.0.2]', ['u@[127.0.0.2]'])
            self.assertIn('RCPT TO:<u@[127.0.0.2]>\r\n', got['received'])
            self.assertEqual(net.queries(), [])

    def test_big_mx_set_over_tcp(self):
        with Net({'127.0.0.2': {}}, servers=[('127.0.0.1', ('truncate',))]) as net:
            self.delivered(net, '127.0.0.2', 'big.test', ['u@big.test'])
            mx = [q for q in net.log()[0] if q[4] == MX]
            self.assertEqual([q[0] for q in mx], ['udp', 'tcp'])
            self.assertGreater(mx[1][6], 512)

    def test_addresses_tried_are_capped(self):
        with Net({'127.0.0.2': {}}) as net:
            out, _ = net.remote('many.test', ['u@many.test'])
            self.assertEqual(out, NOCONN)
            self.assertEqual(net.state()['127.0.0.2']['connections'], 0)
            self.delivered(net, '127.0.0.2', 'few.test', ['u@few.test'])


class Failures(RemoteDns):
    def test_no_such_host(self):
        with Net() as net:
            self.assertEqual(net.remote('nosuch.test', ['u@nosuch.test'])[0],
                             perm_dns(b'nosuch.test'))
            # The name is shown with unprintable bytes as '?'.
            self.assertEqual(net.remote('bad host\x7f.test', ['u@x.test'])[0],
                             perm_dns(b'bad?host?.test'))

    def test_exchanger_without_address(self):
        with Net() as net:
            self.assertEqual(net.remote('deadmx.test', ['u@deadmx.test'])[0], NOMX)

    def test_cname_lookup_fails(self):
        with Net({'127.0.0.2': {}}) as net:
            self.assertEqual(net.remote('cfail.test', ['u@cfail.test'])[0], CNAME_SOFT)
            self.assertEqual(net.remote('nomx.test', ['u@nomx.test', 'v@cfail.test'])[0], CNAME_SOFT)
            self.assertEqual(net.state()['127.0.0.2']['connections'], 0)

    def test_mx_lookup_fails(self):
        with Net() as net:
            self.assertEqual(net.remote('mxfail.test', ['u@nomx.test'])[0], DNS_SOFT)
            # The only exchanger's address fails temporarily.
            self.assertEqual(net.remote('softmx.test', ['u@nomx.test'])[0], DNS_SOFT)

    def test_one_exchanger_lookup_fails(self):
        with Net({'127.0.0.3': {}}) as net:
            self.delivered(net, '127.0.0.3', 'halfsoft.test', ['u@nomx.test'])

    def test_no_dns_server(self):
        with Net(conf='nameserver 127.0.0.7\noptions timeout:1 attempts:1\n') as net:
            self.assertEqual(net.remote('pref.test', ['u@pref.test'])[0], CNAME_SOFT)
            self.assertEqual(net.remote('pref.test', ['u@[127.0.0.2]'])[0], DNS_SOFT)


class Canonical(RemoteDns):
    def test_recipient_domain_made_canonical(self):
        with Net({'127.0.0.2': {}}) as net:
            got = self.delivered(net, '127.0.0.2', 'alias.test',
                                 ['u@alias.test', 'v@alias.test', 'w@nomx.test', 'x@ALIAS.test'])
            self.assertIn('RCPT TO:<u@nomx.test>\r\nRCPT TO:<v@nomx.test>\r\n'
                          'RCPT TO:<w@nomx.test>\r\nRCPT TO:<x@nomx.test>\r\n', got['received'])
            # The sender is never touched. Each alias is followed to a
            # name that is none; a recipient with the same domain as the
            # one before it costs no lookup.
            self.assertIn('MAIL FROM:<a@b.example>\r\n', got['received'])
            cnames = [q[0] for q in net.queries() if q[1] == CNAME]
            self.assertEqual(cnames, ['alias.test', 'nomx.test',  # u
                                      'nomx.test',                # w
                                      'alias.test', 'nomx.test'])  # x


class Self(RemoteDns):
    def test_this_host_is_the_best_exchanger(self):
        with Net({'127.0.0.1': {}}) as net:
            self.assertEqual(net.remote('self.test', ['u@self.test'])[0], AMBIGMX)
            self.assertEqual(net.state()['127.0.0.1']['connections'], 0)

    def test_only_better_exchangers_are_tried(self):
        # 127.0.0.3 shares this host's preference, 127.0.0.2 is worse:
        # neither may be used; the better one refuses.
        with Net({'127.0.0.2': {}, '127.0.0.3': {}}) as net:
            self.assertEqual(net.remote('selfmid.test', ['u@selfmid.test'])[0], NOCONN)
            state = net.state()
            self.assertEqual([state[a]['connections'] for a in ('127.0.0.2', '127.0.0.3')], [0, 0])
            self.delivered(net, '127.0.0.2', 'selfbest.test', ['u@selfbest.test'])

    def test_every_recipient_an_alias(self):
        # As in qmail-1.03: then nothing is left out, this host included.
        with Net({'127.0.0.1': {}}) as net:
            got = self.delivered(net, '127.0.0.1', 'selfalias.test', ['u@selfalias.test'])
            self.assertIn('RCPT TO:<u@self.test>\r\n', got['received'])
            self.assertEqual(net.remote('selfalias.test', ['u@selfalias.test', 'v@self.test'])[0],
                             AMBIGMX)


class Routes(RemoteDns):
    def test_relay_name_looked_up(self):
        self.set_control('smtproutes', 'routed.example:relay.test\n')
        with Net({'127.0.0.2': {}}) as net:
            got = self.delivered(net, '127.0.0.2', 'routed.example', ['u@routed.example'])
            self.assertIn('RCPT TO:<u@routed.example>\r\n', got['received'])
            # No CNAME and no MX lookup: the relay's address only.
            self.assertEqual(net.queries(), [('relay.test', A)])

    def test_relay_name_and_port(self):
        self.set_control('smtproutes', '.example:relay.test:2525\n')
        with Net({'127.0.0.2:2525': {}}) as net:
            self.delivered(net, '127.0.0.2:2525', 'x.routed.example', ['u@x.routed.example'])

    def test_relay_name_failures(self):
        with Net() as net:
            self.set_control('smtproutes', 'routed.example:nxrelay.test\n')
            self.assertEqual(net.remote('routed.example', ['u@routed.example'])[0],
                             perm_dns(b'nxrelay.test'))
            self.set_control('smtproutes', 'routed.example:sfa.test\n')
            self.assertEqual(net.remote('routed.example', ['u@routed.example'])[0], DNS_SOFT)
            self.set_control('smtproutes', 'routed.example:[127.0.0.2]\n')
            self.assertEqual(net.remote('routed.example', ['u@routed.example'])[0], NOCONN)

    def test_empty_relay_means_mx(self):
        self.set_control('smtproutes', 'pref.test:\n:[127.0.0.3]\n')
        with Net({'127.0.0.2': {}, '127.0.0.3': {}}) as net:
            self.delivered(net, '127.0.0.2', 'pref.test')
            self.delivered(net, '127.0.0.3', 'other.test', ['u@other.test'])

    def test_route_to_this_host(self):
        self.set_control('smtproutes', 'routed.example:self-a.test\n')
        with Net({'127.0.0.1': {}}) as net:
            self.delivered(net, '127.0.0.1', 'routed.example', ['u@routed.example'])


class Tcpto(RemoteDns):
    def test_timeouts_remembered_and_skipped(self):
        with Net({'127.0.0.3': {}}, blackholes=['127.0.0.2']) as net:
            def attempt(tried):
                out, took = net.remote('pref.test', ['u@pref.test'])
                self.assertEqual(out, ok('127.0.0.3'))
                if tried:
                    self.assertGreaterEqual(took, 0.9)
                else:
                    self.assertLess(took, 0.9)

            attempt(True)
            count, when = tcpto_records()['127.0.0.2']
            self.assertEqual(count, 1)
            self.assertLessEqual(abs(when - time.time()), 5)
            r = Q.run(['qmail-tcpto'])
            self.assertEqual(r.returncode, 0)
            self.assertRegex(r.stdout, rb'^127\.0\.0\.2 timed out [0-9] seconds ago; '
                                       rb'# recent timeouts: 1\n$')
            # Once is not enough to skip it; a second timeout within two
            # minutes of the first does not count.
            attempt(True)
            self.assertEqual(tcpto_records()['127.0.0.2'], (1, when))
            # Two minutes later it does; then the host is skipped.
            tcpto_set(0, '127.0.0.2', 1, when - 300)
            attempt(True)
            self.assertEqual(tcpto_records()['127.0.0.2'][0], 2)
            attempt(False)
            self.assertEqual(tcpto_records()['127.0.0.2'][0], 2)
            self.assertRegex(Q.run(['qmail-tcpto']).stdout,
                             rb'^127\.0\.0\.2 timed out [0-9] seconds ago; # recent timeouts: 2\n$')
            # qmail-tcpok forgets it.
            tcpto_clear()
            with open(TCPTO, 'rb') as f:
                self.assertEqual(f.read(), b'\0' * 3072)
            self.assertEqual(Q.run(['qmail-tcpto']).stdout, b'')
            attempt(True)

    def test_every_exchanger_skipped(self):
        now = time.time()
        tcpto_set(3, '127.0.0.2', 2, now - 10)
        tcpto_set(7, '127.0.0.3', 10, now - 10)
        with Net({'127.0.0.2': {}, '127.0.0.3': {}}) as net:
            out, took = net.remote('pref.test', ['u@pref.test'])
            self.assertEqual(out, NOCONN)
            self.assertLess(took, 0.9)
            state = net.state()
            self.assertEqual([state[a]['connections'] for a in ('127.0.0.2', '127.0.0.3')], [0, 0])
        out = Q.run(['qmail-tcpto']).stdout.decode().splitlines()
        self.assertEqual([l.split(' timed out ')[0] for l in out], ['127.0.0.2', '127.0.0.3'])
        self.assertTrue(out[1].endswith(' seconds ago; # recent timeouts: 10'))

    def test_tried_again_after_an_hour_and_forgiven(self):
        # The longest wait is (60 + 31) * 64 seconds.
        tcpto_set(0, '127.0.0.2', 5, time.time() - 5900)
        tcpto_set(1, '127.0.0.3', 1, time.time())
        with Net({'127.0.0.2': {}}) as net:
            self.delivered(net, '127.0.0.2', 'pref.test')
        # It answered: its count is back to 0, the other record stays.
        self.assertEqual(list(tcpto_records()), ['127.0.0.3'])

    def test_refusal_clears_the_count(self):
        tcpto_set(0, '127.0.0.2', 1, time.time())
        with Net({'127.0.0.3': {}}) as net:
            self.delivered(net, '127.0.0.3', 'pref.test')
        self.assertEqual(tcpto_records(), {})


class Rspawn(RemoteDns):
    def test_through_qmail_rspawn(self):
        number = 900301
        fn = os.path.join(Q.queue, 'mess', str(number % Q.split), str(number))
        with open(fn, 'wb') as f:
            f.write(MSG)
        os.chown(fn, Q.uid('qmailq'), Q.gid('qmail'))
        try:
            req = (struct.pack('>H', 5) + b'%d\0a@b.example\0u@alias.test\0v@alias.test\0\0' % number)
            with Net({'127.0.0.2': {}}) as net:
                r = net.run('qmail-rspawn', input=req, user='qmailr')
                self.assertEqual((r['rc'], r['err']), (0, ''))
                self.assertEqual(r['out'].encode('latin-1'), struct.pack('>H', 5) + b'r\0' + ok('127.0.0.2'))
                got = net.state()['127.0.0.2']
                self.assertIn('RCPT TO:<u@nomx.test>\r\nRCPT TO:<v@nomx.test>\r\n', got['received'])
                self.assertEqual(got['data'], 'Subject: x\r\n\r\nhello\r\n.\r\n')
        finally:
            os.unlink(fn)


class Tools(unittest.TestCase):
    """qmail-tcpto and qmail-tcpok need to write the file: root or qmailr."""

    def setUp(self):
        if os.geteuid() != 0:
            self.skipTest('needs root')

    def test_as_qmailr(self):
        tcpto_set(2, '192.0.2.9', 3, time.time() - 100)
        try:
            r = Q.run(['qmail-tcpto'], user='qmailr')
            self.assertEqual(r.returncode, 0)
            self.assertRegex(r.stdout, rb'^192\.0\.2\.9 timed out 10[0-9] seconds ago; '
                                       rb'# recent timeouts: 3\n$')
            r = Q.run(['qmail-tcpok'], user='qmailr')
            self.assertEqual((r.returncode, r.stdout, r.stderr), (0, b'', b''))
            self.assertEqual(tcpto_records(), {})
        finally:
            tcpto_clear()

    def test_other_users_refused(self):
        r = Q.run(['qmail-tcpto'], user='nobody')
        self.assertEqual((r.returncode, r.stdout, r.stderr),
                         (111, b'fatal: unable to chdir: access denied\n', b''))
        r = Q.run(['qmail-tcpok'], user='nobody')
        self.assertEqual((r.returncode, r.stdout, r.stderr),
                         (111, b'', b'qmail-tcpok: fatal: unable to chdir to %s/queue/lock: '
                          b'access denied\n' % Q.home.encode()))

    def test_future_times_and_odd_sizes(self):
        try:
            tcpto_set(0, '192.0.2.1', 1, time.time() + 1000)
            r = Q.run(['qmail-tcpto'])
            self.assertEqual(r.stdout, b'192.0.2.1 timed out 0 seconds ago; # recent timeouts: 1\n')
            # A short file holds its whole records only.
            with open(TCPTO, 'r+b') as f:
                f.truncate(16 + 15)
            tcpto_set(1, '192.0.2.2', 1, time.time())
            with open(TCPTO, 'r+b') as f:
                f.truncate(16 + 15)
            self.assertEqual(Q.run(['qmail-tcpto']).stdout,
                             b'192.0.2.1 timed out 0 seconds ago; # recent timeouts: 1\n')
        finally:
            tcpto_clear()


if __name__ == '__main__':
    unittest.main()
