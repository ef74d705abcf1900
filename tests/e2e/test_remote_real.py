"""test_remote_real.py: qmail-remote against real programs instead of
Python stand-ins: Debian's dnsmasq answers the DNS, and our own
qmail-smtpd under tcpserver takes the message.

Inside a private network namespace (dnsserver.Namespace, with no Python
DNS server) dnsmasq owns 127.0.0.1:53 and serves

    dm.test        MX 10 mx1.dm.test, MX 20 mx2.dm.test
    mx1.dm.test    A 127.0.0.2   (nothing listens: connections are refused)
    mx2.dm.test    A 127.0.0.3   (tcpserver running qmail-smtpd as qmaild)

so qmail-remote (as qmailr) must fall back from the refusing preferred
exchanger to the second one, and the message must land in the scratch
queue through qmail-smtpd and qmail-queue. If dnsmasq is not installed or
cannot run in the namespace, the tests are skipped with the reason.
"""
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import time
import unittest

import dnsserver
from dnsserver import MX
from harness import Q
from test_remote_dns import tcpto_clear
from test_smtpd import DATE, QQ_RECEIVED, quiesce

DNSMASQ = '/usr/sbin/dnsmasq'
TCPSERVER = '/usr/bin/tcpserver'
FAST = 'nameserver 127.0.0.1\noptions timeout:2 attempts:1\n'
MSG = b'Subject: real\n\nhello from qmail-remote\n'
CONTROLS = ('me', 'helohost', 'timeoutremote', 'timeoutconnect', 'rcpthosts', 'smtproutes')
# --local=/dm.test/ makes dnsmasq answer for dm.test itself: without it
# (and with --no-resolv, so no upstream) it answers REFUSED to every query
# it has no record for, such as the CNAME query qmail-remote makes first,
# which qmail-remote rightly takes as a temporary failure
# ("ZCNAME lookup failed temporarily.").
DNSMASQ_ARGS = ['--no-resolv', '--no-hosts', '--bind-interfaces', '--listen-address=127.0.0.1',
                '--keep-in-foreground', '--port=53', '--conf-file=/dev/null', '--pid-file=',
                '--log-facility=-', '--local=/dm.test/',
                '--mx-host=dm.test,mx1.dm.test,10', '--mx-host=dm.test,mx2.dm.test,20',
                '--host-record=mx1.dm.test,127.0.0.2', '--host-record=mx2.dm.test,127.0.0.3']


def query(name, qtype, qid=0x1234):
    w = dnsserver.Writer()
    w.buf += struct.pack('>HHHHHH', qid, 0x0100, 1, 0, 0, 0)
    w.name(name)
    w.buf += struct.pack('>HH', qtype, 1)
    return bytes(w.buf)


def ask(name, qtype, timeout=0.5):
    """(rcode, answer count) from 127.0.0.1:53 over UDP, or None."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(query(name, qtype), ('127.0.0.1', 53))
        data = s.recv(65535)
    except OSError:
        return None
    finally:
        s.close()
    qid, flags, qd, an = struct.unpack('>HHHH', data[:8])
    return flags & 0xf, an


class Servers:
    """Started in the namespace child: dnsmasq on 127.0.0.1:53, tcpserver
    with qmail-smtpd as qmaild on 127.0.0.3:25. An error starting them is
    kept (and reported by state()) rather than raised."""

    def __init__(self, logdir):
        self.procs = {}
        self.error = self.mx2_mx = None
        try:
            self.dnslog = open(os.path.join(logdir, 'dnsmasq.log'), 'wb')
            self.procs['dnsmasq'] = subprocess.Popen([DNSMASQ] + DNSMASQ_ARGS, stdin=subprocess.DEVNULL,
                                                     stdout=self.dnslog, stderr=self.dnslog)
            deadline = time.time() + 10
            while ask('dm.test', MX) != (0, 2):
                if self.procs['dnsmasq'].poll() is not None:
                    raise OSError('dnsmasq exited with status %d' % self.procs['dnsmasq'].returncode)
                if time.time() > deadline:
                    raise OSError('dnsmasq did not answer MX dm.test (last: %r)' % (ask('dm.test', MX),))
                time.sleep(0.05)
            self.procs['tcpserver'] = subprocess.Popen(
                [TCPSERVER, '-R', '-H', '-l', 'mx2.dm.test', '-u', str(Q.uid('qmaild')),
                 '-g', str(Q.gid('nofiles')), '127.0.0.3', '25', Q.bin('qmail-smtpd')],
                env={'PATH': '/usr/bin:/bin'}, stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.time() + 10
            while True:
                try:
                    c = socket.create_connection(('127.0.0.3', 25), timeout=1)
                    c.recv(512)  # the greeting, so the session ends cleanly
                    c.close()
                    break
                except OSError:
                    if time.time() > deadline or self.procs['tcpserver'].poll() is not None:
                        raise OSError('tcpserver did not listen on 127.0.0.3:25')
                    time.sleep(0.02)
            self.mx2_mx = ask('mx2.dm.test', MX)  # (rcode, answers): no MX there
        except OSError as e:
            self.error = str(e)

    def state(self):
        return {'error': self.error, 'mx2_mx': self.mx2_mx,
                'pids': {name: p.pid for name, p in self.procs.items()},
                'running': {name: p.poll() is None for name, p in self.procs.items()}}

    def stop(self):
        codes = {}
        for name, p in self.procs.items():
            if p.poll() is None:
                p.terminate()
            try:
                codes[name] = p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                codes[name] = p.wait(timeout=10)
        return codes


class Net(dnsserver.Namespace):
    """The namespace with Servers running in it; stop() ends them (from
    the child, which started them and so reaps them)."""

    def __init__(self, logdir):
        holder = {}

        def setup():
            holder['servers'] = Servers(logdir)
            return holder['servers']
        self.holder = holder
        super().__init__(FAST, dnsserver.Zone(), servers=(), setup=setup)

    def execute(self, req):
        if req.get('stop'):
            return {'stopped': self.holder['servers'].stop()}
        return dnsserver.Namespace.execute(req)

    def stop(self):
        self.w.write('{"stop": 1}\n')
        self.w.flush()
        return json.loads(self.r.readline())['stopped']


class RemoteReal(unittest.TestCase):
    def setUp(self):
        if os.geteuid() != 0:
            self.skipTest('namespaces need root')
        if not os.path.exists('/etc/resolv.conf'):
            self.skipTest('no /etc/resolv.conf to mount over')
        if not os.path.exists(DNSMASQ):
            self.skipTest('%s missing (apt-get install dnsmasq-base)' % DNSMASQ)
        if not os.path.exists(TCPSERVER):
            self.skipTest('%s missing (apt-get install ucspi-tcp)' % TCPSERVER)
        quiesce()
        Q.clear_queue()
        cdir = os.path.join(Q.home, 'control')
        self.saved = {}
        for name in CONTROLS:
            try:
                with open(os.path.join(cdir, name), 'rb') as f:
                    self.saved[name] = f.read()
            except FileNotFoundError:
                self.saved[name] = None
        self.addCleanup(self.restore_controls)
        for name in ('smtproutes',):
            if self.saved[name] is not None:
                os.unlink(os.path.join(cdir, name))
        Q.control('me', 'me.example\n')
        Q.control('helohost', 'helo.example\n')
        Q.control('timeoutremote', '10\n')
        Q.control('timeoutconnect', '2\n')
        Q.control('rcpthosts', 'dm.test\n')
        tcpto_clear()
        self.addCleanup(tcpto_clear)
        self.addCleanup(Q.clear_queue)
        self.addCleanup(quiesce)
        self.logdir = os.path.join(Q.root, 'remote-real.%d' % os.getpid())
        os.makedirs(self.logdir, exist_ok=True)
        self.addCleanup(shutil.rmtree, self.logdir, True)
        self.net = Net(self.logdir)
        self.addCleanup(self.close_net)
        st = self.net.state()
        if st['error']:
            with open(os.path.join(self.logdir, 'dnsmasq.log'), 'rb') as f:
                log = f.read().decode('latin-1')
            self.skipTest('dnsmasq/tcpserver cannot run in the namespace: %s; dnsmasq said: %r'
                          % (st['error'], log))
        self.pids = st['pids']

    def close_net(self):
        codes = self.net.stop()
        self.net.close()
        # Every process we started is gone (not merely signalled).
        for name, pid in self.pids.items():
            self.assertFalse(os.path.exists('/proc/%d' % pid), (name, pid, codes))

    def restore_controls(self):
        cdir = os.path.join(Q.home, 'control')
        for name, data in self.saved.items():
            path = os.path.join(cdir, name)
            if data is None:
                try:
                    os.unlink(path)
                except FileNotFoundError:
                    pass
            else:
                with open(path, 'wb') as f:
                    f.write(data)

    def remote(self, host, sender, *recips):
        r = self.net.run('qmail-remote', host, sender, *recips, input=MSG, user='qmailr', timeout=60)
        self.assertEqual((r['rc'], r['err']), (0, ''), r)
        return r['out'].encode('latin-1')

    def messages(self):
        """[(intd envelope, mess)] of every message in todo/."""
        files = Q.queue_files()
        return [(files['intd/' + k[5:]], files['mess/%d/%s' % (int(k[5:]) % Q.split, k[5:])])
                for k in files if k.startswith('todo/')]

    def test_second_mx_is_our_smtpd(self):
        before = int(time.time())
        out = self.remote('dm.test', 'sender@x.test', 'user@dm.test')
        after = int(time.time())
        m = re.match(rb'^r\0K127\.0\.0\.3 accepted message\.\n'
                     rb'Remote host said: 250 ok (\d+) qp (\d+)\n\0$', out)
        self.assertTrue(m, out)
        self.assertTrue(before <= int(m.group(1)) <= after, out)
        quiesce()
        msgs = self.messages()
        self.assertEqual(len(msgs), 1, Q.queue_files())
        envelope, mess = msgs[0]
        self.assertEqual(envelope, b'u%d\0p%d\0Fsender@x.test\0Tuser@dm.test\0'
                         % (Q.uid('qmaild'), int(m.group(2))))
        qq = QQ_RECEIVED.match(mess)
        self.assertTrue(qq, mess)
        self.assertEqual(int(qq.group(1)), int(m.group(2)))
        rest = mess[qq.end():]
        r = re.match(rb'^Received: from unknown \(HELO helo\.example\) \(127\.0\.0\.\d+\)\n'
                     rb'  by mx2\.dm\.test with SMTP; ' + DATE + rb'\n', rest)
        self.assertTrue(r, rest)
        self.assertEqual(rest[r.end():], MSG)
        # The refused exchanger is not a timeout: nothing in tcpto.
        with open(os.path.join(Q.queue, 'lock', 'tcpto'), 'rb') as f:
            data = f.read()
        self.assertFalse(any(data[i + 4] for i in range(0, len(data) - 15, 16)))

    def test_a_record_fallback_and_rcpthosts(self):
        # mx2.dm.test has no MX at dnsmasq: qmail-remote uses its A record,
        # and our qmail-smtpd refuses a recipient outside rcpthosts.
        self.assertEqual(self.net.state()['mx2_mx'], [0, 0])
        out = self.remote('mx2.dm.test', 'sender@x.test', 'user@mx2.dm.test')
        self.assertEqual(out, b"h127.0.0.3 does not like recipient.\n"
                              b"Remote host said: 553 sorry, that domain isn't in my list of "
                              b"allowed rcpthosts (#5.7.1)\n\0"
                              b"DGiving up on 127.0.0.3.\n\0")
        quiesce()
        self.assertEqual(Q.queue_files(), {})



if __name__ == '__main__':
    unittest.main()
