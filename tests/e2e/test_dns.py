"""test_dns.py: the resolver (src/dns.c) through qmail-1.03's dns test
programs (dnsip, dnsmxip, dnscname, dnsptr, dnsfq, hostname, ipmeprint),
against the small DNS server of dnsserver.py.

Each test runs in a child process with its own mount and network
namespaces: the loopback interface is brought up there (so the server
can take 127.0.0.1:53 and no packet can leave the machine), and a test
resolv.conf is bind-mounted over /etc/resolv.conf, so the programs read
the real path, as in production. The server can answer as a normal
recursive server, truncate over UDP and answer over TCP, send more than
512 bytes over UDP (with or without EDNS0), fail (SERVFAIL, FORMERR to
EDNS0), stay silent, and send forged replies first.
"""
import os
import socket
import subprocess
import unittest

import dnsserver
from dnsserver import A, CNAME, MX, PTR
from harness import Q

# ---- the zone -------------------------------------------------------------

BIG_MX = 90  # exchangers of big.test: about 3300 bytes of answer
DNS_MXMAX = 64  # src/dns.h: dns_mxip keeps the best 64 addresses


def zone():
    z = {}

    def add(name, rtype, value):
        z.setdefault(name.lower(), []).append((rtype, value))

    add('host.test', A, '192.0.2.1')
    add('host.test', A, '192.0.2.2')
    add('1.2.0.192.in-addr.arpa', PTR, 'host.test')
    add('alias.test', CNAME, 'host.test')
    add('c1.test', CNAME, 'c2.test')
    add('c2.test', CNAME, 'host.test')
    add('loop1.test', CNAME, 'loop2.test')
    add('loop2.test', CNAME, 'loop1.test')
    add('dangling.test', CNAME, 'nosuch.test')
    add('noaddr.test', CNAME, 'mxonly.test')
    # Preferences out of order in the answer; c has two addresses.
    add('pref.test', MX, (20, 'b.pref.test'))
    add('pref.test', MX, (10, 'a.pref.test'))
    add('pref.test', MX, (30, 'c.pref.test'))
    add('a.pref.test', A, '10.0.0.1')
    add('b.pref.test', A, '10.0.0.2')
    add('c.pref.test', A, '10.0.0.3')
    add('c.pref.test', A, '10.0.0.4')
    # One best exchanger, then four of equal preference.
    add('equal.test', MX, (5, 'first.equal.test'))
    add('first.equal.test', A, '10.1.0.100')
    for k in range(1, 5):
        add('equal.test', MX, (10, 'e%d.equal.test' % k))
        add('e%d.equal.test' % k, A, '10.1.0.%d' % k)
    add('nomx.test', A, '10.2.0.1')
    add('mxonly.test', MX, (10, 'host.test'))
    add('mxalias.test', CNAME, 'pref.test')
    add('partial.test', MX, (10, 'servfail.test'))
    add('partial.test', MX, (20, 'host.test'))
    add('deadmx.test', MX, (10, 'nosuch.test'))
    add('servfail.test', 'SERVFAIL', None)
    # Classless reverse delegation (RFC 2317): a CNAME to the PTR.
    add('5.2.0.192.in-addr.arpa', CNAME, '5.0-25.2.0.192.in-addr.arpa')
    add('5.0-25.2.0.192.in-addr.arpa', PTR, 'five.test')
    add('five.test', A, '192.0.2.5')
    # An MX RRset far over 512 bytes, in one piece.
    for k in range(BIG_MX):
        name = 'exchanger-number-%02d.big-mx-domain-for-testing.test' % k
        add('big.test', MX, (10 * (k % 3), name))
        add(name, A, '10.3.%d.%d' % (k // 100, k % 100))
    return z


def big_expected():
    """dnsmxip's lines for big.test, as a set per preference."""
    out = {}
    for k in range(BIG_MX):
        out.setdefault(10 * (k % 3), set()).add('10.3.%d.%d %d' % (k // 100, k % 100, 10 * (k % 3)))
    return out


class Namespace(dnsserver.Namespace):
    """dnsserver's namespace serving zone()."""

    def __init__(self, resolv_conf, servers=(('127.0.0.1', ()),)):
        super().__init__(resolv_conf, zone(), servers)


FAST = 'nameserver 127.0.0.1\noptions timeout:2 attempts:1\n'


class DnsCase(unittest.TestCase):
    def setUp(self):
        if os.geteuid() != 0:
            self.skipTest('namespaces need root')
        if not os.path.exists('/etc/resolv.conf'):
            self.skipTest('no /etc/resolv.conf to mount over')

    def ok(self, r, out):
        self.assertEqual((r['rc'], r['err'], r['out']), (0, '', out))

    def fails(self, r, rc, err):
        self.assertEqual((r['rc'], r['err'], r['out']), (rc, err, ''))


class TestLookups(DnsCase):
    def test_a(self):
        with Namespace(FAST) as ns:
            self.ok(ns.run('dnsip', 'host.test'), '192.0.2.1\n192.0.2.2\n')
            self.ok(ns.run('dnsip', 'HOST.Test.'), '192.0.2.1\n192.0.2.2\n')
            self.ok(ns.run('dnsip', 'five.test'), '192.0.2.5\n')

    def test_literals_ask_nobody(self):
        with Namespace(FAST) as ns:
            self.ok(ns.run('dnsip', '10.20.30.40'), '10.20.30.40\n')
            self.ok(ns.run('dnsip', '[10.20.30.41]'), '10.20.30.41\n')
            self.ok(ns.run('dnsmxip', '[10.20.30.42]'), '10.20.30.42 0\n')
            self.ok(ns.run('dnscname', '[10.20.30.43]'), '[10.20.30.43]\n')
            self.assertEqual(ns.log(), [[]])

    def test_cname(self):
        with Namespace(FAST) as ns:
            self.ok(ns.run('dnsip', 'alias.test'), '192.0.2.1\n192.0.2.2\n')
            self.ok(ns.run('dnsip', 'c1.test'), '192.0.2.1\n192.0.2.2\n')
            self.ok(ns.run('dnscname', 'alias.test'), 'host.test\n')
            self.ok(ns.run('dnscname', 'c1.test'), 'host.test\n')
            self.ok(ns.run('dnscname', 'host.test'), 'host.test\n')
            self.ok(ns.run('dnscname', 'Host.Test.'), 'Host.Test\n')
            # A name that does not exist is its own canonical name.
            self.ok(ns.run('dnscname', 'nosuch.test'), 'nosuch.test\n')
            # An alias loop is a permanent error.
            self.fails(ns.run('dnscname', 'loop1.test'), 100, 'hard error\n')
            self.fails(ns.run('dnsip', 'loop1.test'), 100, 'hard error\n')
            # An alias of nothing: NXDOMAIN with the CNAME.
            self.fails(ns.run('dnsip', 'dangling.test'), 100, 'hard error\n')
            self.ok(ns.run('dnscname', 'dangling.test'), 'nosuch.test\n')
            # An alias of a name that exists without addresses: none, as in
            # qmail (the name is there, so no error)
            self.ok(ns.run('dnsip', 'noaddr.test'), '')
            qtypes = {q[4] for q in ns.log()[0] if q[3].lower() == 'alias.test'}
            self.assertEqual(qtypes, {A, CNAME})

    def test_ptr(self):
        with Namespace(FAST) as ns:
            self.ok(ns.run('dnsptr', '192.0.2.1'), 'host.test\n')
            self.ok(ns.run('dnsptr', '192.0.2.5'), 'five.test\n')
            self.fails(ns.run('dnsptr', '192.0.2.9'), 100, 'hard error\n')
            names = [q[3] for q in ns.log()[0]]
            self.assertIn('1.2.0.192.in-addr.arpa', names)

    def test_nxdomain_and_nodata_are_hard(self):
        with Namespace(FAST) as ns:
            self.fails(ns.run('dnsip', 'nosuch.test'), 100, 'hard error\n')
            self.fails(ns.run('dnsmxip', 'nosuch.test'), 100, 'hard error\n')
            self.fails(ns.run('dnsip', 'mxonly.test'), 100, 'hard error\n')
            self.fails(ns.run('dnsip', 'a..b'), 100, 'hard error\n')
            self.fails(ns.run('dnsip', 'x' * 64 + '.test'), 100, 'hard error\n')

    def test_servfail_is_soft(self):
        with Namespace(FAST) as ns:
            self.fails(ns.run('dnsip', 'servfail.test'), 111, 'soft error\n')
            self.fails(ns.run('dnsmxip', 'servfail.test'), 111, 'soft error\n')
            self.fails(ns.run('dnscname', 'servfail.test'), 111, 'soft error\n')

    def test_dnsfq_uses_search(self):
        with Namespace('search nothing.invalid test\n' + FAST) as ns:
            self.ok(ns.run('dnsfq', 'host'), 'host.test\n')
            self.fails(ns.run('dnsip', 'host'), 100, 'hard error\n')
            self.ok(ns.run('dnsfq', '192.0.2.5'), 'five.test\n')
            self.fails(ns.run('dnsfq', 'nomx.test'), 100, 'hard error\n')
            tried = [q[3] for q in ns.log()[0] if q[4] == A]
            self.assertEqual(tried[:2], ['host.nothing.invalid', 'host.test'])

    def test_domain_line(self):
        with Namespace('domain test\n' + FAST) as ns:
            self.ok(ns.run('dnsfq', 'host'), 'host.test\n')

    def test_no_arguments(self):
        with Namespace(FAST) as ns:
            for prog in ('dnsip', 'dnsmxip', 'dnscname', 'dnsptr', 'dnsfq'):
                r = ns.run(prog)
                self.assertEqual((r['rc'], r['out'], r['err']), (100, '', ''), prog)
            self.assertEqual(ns.log(), [[]])


class TestMx(DnsCase):
    def test_preference_order(self):
        with Namespace(FAST) as ns:
            self.ok(ns.run('dnsmxip', 'pref.test'),
                    '10.0.0.1 10\n10.0.0.2 20\n10.0.0.3 30\n10.0.0.4 30\n')
            # An alias of a domain has the domain's exchangers.
            self.ok(ns.run('dnsmxip', 'mxalias.test'),
                    '10.0.0.1 10\n10.0.0.2 20\n10.0.0.3 30\n10.0.0.4 30\n')

    def test_no_mx_falls_back_to_a(self):
        with Namespace(FAST) as ns:
            self.ok(ns.run('dnsmxip', 'nomx.test'), '10.2.0.1 0\n')
            self.ok(ns.run('dnsmxip', 'alias.test'), '192.0.2.1 0\n192.0.2.2 0\n')
            self.ok(ns.run('dnsmxip', '10.9.8.7'), '10.9.8.7 0\n')

    def test_exchanger_failures(self):
        with Namespace(FAST) as ns:
            # One exchanger's address fails temporarily: the others still
            # come, and the program exits 0 as 1.03's does.
            self.ok(ns.run('dnsmxip', 'partial.test'), '192.0.2.1 20\n192.0.2.2 20\n')
            # An exchanger that does not exist gives no address.
            self.ok(ns.run('dnsmxip', 'deadmx.test'), '')

    def test_random_among_equals(self):
        orders, firsts = set(), set()
        with Namespace(FAST) as ns:
            for _ in range(60):
                r = ns.run('dnsmxip', 'equal.test')
                self.assertEqual((r['rc'], r['err']), (0, ''))
                lines = r['out'].splitlines()
                self.assertEqual(lines[0], '10.1.0.100 5')
                self.assertEqual(sorted(lines[1:]), ['10.1.0.%d 10' % k for k in range(1, 5)])
                orders.add(tuple(lines[1:]))
                firsts.add(lines[1])
        self.assertGreater(len(orders), 5)
        self.assertEqual(len(firsts), 4)

    def check_big(self, out):
        """The whole oversize answer was read (every exchanger of the best
        preferences is there); dns_mxip stops at DNS_MXMAX addresses."""
        lines = out.splitlines()
        self.assertEqual(len(lines), min(BIG_MX, DNS_MXMAX))
        want = big_expected()
        prefs = [int(l.split()[1]) for l in lines]
        self.assertEqual(prefs, sorted(prefs))
        for pref, ips in want.items():
            got = {l for l in lines if int(l.split()[1]) == pref}
            if pref < prefs[-1]:
                self.assertEqual(got, ips)
            else:
                self.assertLessEqual(got, ips)

    def test_big_mx_over_tcp_after_truncation(self):
        with Namespace(FAST, [('127.0.0.1', ('truncate',))]) as ns:
            r = ns.run('dnsmxip', 'big.test')
            self.assertEqual((r['rc'], r['err']), (0, ''))
            self.check_big(r['out'])
            mxq = [q for q in ns.log()[0] if q[4] == MX]
            self.assertEqual([q[0] for q in mxq], ['udp', 'tcp'])
            self.assertGreater(mxq[1][6], 3000)

    def test_big_mx_over_udp_with_edns(self):
        with Namespace(FAST + 'options edns0\n', [('127.0.0.1', ('truncate',))]) as ns:
            r = ns.run('dnsmxip', 'big.test')
            self.assertEqual((r['rc'], r['err']), (0, ''))
            self.check_big(r['out'])
            mxq = [q for q in ns.log()[0] if q[4] == MX]
            self.assertEqual(len(mxq), 1)
            self.assertEqual((mxq[0][0], mxq[0][5]), ('udp', 4096))
            self.assertGreater(mxq[0][6], 3000)

    def test_big_mx_over_udp_unasked(self):
        # A server that ignores the 512-byte limit (the reason for the
        # famous oversize-DNS patch): the whole answer is taken.
        with Namespace(FAST) as ns:
            r = ns.run('dnsmxip', 'big.test')
            self.assertEqual((r['rc'], r['err']), (0, ''))
            self.check_big(r['out'])
            mxq = [q for q in ns.log()[0] if q[4] == MX]
            self.assertEqual([(q[0], q[5]) for q in mxq], [('udp', None)])
            self.assertGreater(mxq[0][6], 3000)

    def test_everything_truncated(self):
        with Namespace(FAST, [('127.0.0.1', ('tcall',))]) as ns:
            self.ok(ns.run('dnsip', 'host.test'), '192.0.2.1\n192.0.2.2\n')
            self.ok(ns.run('dnscname', 'c1.test'), 'host.test\n')
            self.ok(ns.run('dnsptr', '192.0.2.1'), 'host.test\n')
            self.fails(ns.run('dnsip', 'nosuch.test'), 100, 'hard error\n')

    def test_truncated_without_tcp_is_soft(self):
        with Namespace(FAST, [('127.0.0.1', ('tcall', 'notcp'))]) as ns:
            self.fails(ns.run('dnsip', 'host.test'), 111, 'soft error\n')


class TestServers(DnsCase):
    def test_no_server_listening(self):
        with Namespace('nameserver 127.0.0.7\noptions timeout:1 attempts:1\n') as ns:
            r = ns.run('dnsip', 'host.test')
            self.fails(r, 111, 'soft error\n')
            self.assertLess(r['elapsed'], 1.0)  # refused at once

    def test_silent_server_times_out(self):
        with Namespace('nameserver 127.0.0.3\noptions timeout:1 attempts:1\n',
                       [('127.0.0.3', ('silent',))]) as ns:
            r = ns.run('dnsip', 'host.test')
            self.fails(r, 111, 'soft error\n')
            self.assertGreaterEqual(r['elapsed'], 0.9)
            self.assertLess(r['elapsed'], 2.5)
            self.assertEqual(len(ns.log()[0]), 1)

    def test_attempts(self):
        with Namespace('nameserver 127.0.0.3\noptions timeout:1 attempts:3\n',
                       [('127.0.0.3', ('silent',))]) as ns:
            r = ns.run('dnsip', 'host.test')
            self.fails(r, 111, 'soft error\n')
            self.assertGreaterEqual(r['elapsed'], 2.9)
            self.assertEqual(len(ns.log()[0]), 3)

    def test_next_server(self):
        conf = ('nameserver 127.0.0.3\nnameserver 127.0.0.4\nnameserver 127.0.0.1\n'
                'options timeout:1 attempts:1\n')
        with Namespace(conf, [('127.0.0.3', ('silent',)), ('127.0.0.1', ())]) as ns:
            r = ns.run('dnsip', 'host.test')
            self.ok(r, '192.0.2.1\n192.0.2.2\n')
            self.assertLess(r['elapsed'], 2.5)

    def test_default_server_is_loopback(self):
        with Namespace('# nothing here\nsearch test\n') as ns:
            self.ok(ns.run('dnsip', 'host.test'), '192.0.2.1\n192.0.2.2\n')

    def test_only_three_servers(self):
        conf = ''.join('nameserver 127.0.0.%d\n' % k for k in (3, 4, 5, 1))
        with Namespace(conf + 'options timeout:1 attempts:1\n', [('127.0.0.1', ())]) as ns:
            self.fails(ns.run('dnsip', 'host.test'), 111, 'soft error\n')
            self.assertEqual(ns.log(), [[]])

    def test_formerr_to_edns_retries_without(self):
        with Namespace(FAST + 'options edns0\n', [('127.0.0.1', ('noedns',))]) as ns:
            self.ok(ns.run('dnsip', 'host.test'), '192.0.2.1\n192.0.2.2\n')
            self.assertEqual([q[5] for q in ns.log()[0]], [4096, None])

    def test_forged_replies_are_ignored(self):
        with Namespace(FAST, [('127.0.0.1', ('spoof',))]) as ns:
            self.ok(ns.run('dnsip', 'host.test'), '192.0.2.1\n192.0.2.2\n')
            self.ok(ns.run('dnsmxip', 'pref.test'),
                    '10.0.0.1 10\n10.0.0.2 20\n10.0.0.3 30\n10.0.0.4 30\n')

    def test_case_of_the_echo_does_not_matter(self):
        with Namespace(FAST, [('127.0.0.1', ('upper',))]) as ns:
            self.ok(ns.run('dnsip', 'host.test'), '192.0.2.1\n192.0.2.2\n')
            self.ok(ns.run('dnsip', 'c1.test'), '192.0.2.1\n192.0.2.2\n')
            self.ok(ns.run('dnscname', 'alias.test'), 'HOST.TEST\n')

    def test_random_ids_and_ports(self):
        with Namespace(FAST) as ns:
            for _ in range(20):
                self.ok(ns.run('dnsip', 'host.test'), '192.0.2.1\n192.0.2.2\n')
            log = ns.log()[0]
        self.assertEqual(len(log), 20)
        ports = [q[1] for q in log]
        ids = [q[2] for q in log]
        self.assertGreaterEqual(len(set(ports)), 18)
        self.assertGreaterEqual(len(set(ids)), 18)
        self.assertTrue(all(p >= 1024 for p in ports))
        steps = {(b - a) % 65536 for a, b in zip(ports, ports[1:])}
        self.assertGreater(len(steps), 10)


class TestTools(DnsCase):
    def test_hostname(self):
        r = Q.run(['hostname'])
        self.assertEqual((r.returncode, r.stdout, r.stderr),
                         (0, (socket.gethostname() + '\n').encode(), b''))

    def test_ipmeprint_in_namespace(self):
        with Namespace(FAST) as ns:
            self.ok(ns.run('ipmeprint'), '0.0.0.0\n127.0.0.1\n::\n::1\n')

    def test_ipmeprint_here(self):
        r = Q.run(['ipmeprint'])
        self.assertEqual((r.returncode, r.stderr), (0, b''))
        lines = r.stdout.decode().splitlines()
        self.assertEqual(lines[0], '0.0.0.0')
        self.assertIn('127.0.0.1', lines)
        try:
            ip = subprocess.run(['ip', '-o', '-4', 'addr', 'show', 'up'],
                                capture_output=True, check=True).stdout.decode()
        except (OSError, subprocess.CalledProcessError):
            return
        want = {l.split()[3].split('/')[0] for l in ip.splitlines()}
        six = lines.index('::')  # the IPv4 addresses, then the IPv6 ones
        self.assertEqual(set(lines[1:six]), want | {'127.0.0.1'})
        ip6 = subprocess.run(['ip', '-o', '-6', 'addr', 'show', 'up'],
                             capture_output=True, check=True).stdout.decode()
        want6 = {socket.inet_ntop(socket.AF_INET6, socket.inet_pton(socket.AF_INET6,
                                                                    l.split()[3].split('/')[0]))
                 for l in ip6.splitlines()}
        self.assertEqual(set(lines[six + 1:]), want6 | {'::1'})


if __name__ == '__main__':
    unittest.main()
