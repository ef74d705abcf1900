"""dnsserver.py: a small DNS server written with socket and struct, and a
private network namespace to run it and the programs under test in
(shared by test_dns.py and test_remote_dns.py).

A Namespace is a child process with its own mount and network
namespaces: the loopback interface is brought up there (so servers can
take 127.0.0.1:53, 127.0.0.2:25 and so on, and no packet can leave the
machine), and a test resolv.conf is bind-mounted over /etc/resolv.conf,
so the programs read the real path, as in production. The DNS servers
answer from a zone given as {name: [(type, value), ...]}; they can
answer as a normal recursive server, truncate over UDP and answer over
TCP, send more than 512 bytes over UDP (with or without EDNS0), fail
(SERVFAIL, FORMERR to EDNS0), stay silent, and send forged replies
first.
"""
import ctypes
import fcntl
import json
import os
import pwd
import socket
import struct
import subprocess
import threading
import time
import unittest

from harness import Q

CLONE_NEWNS = 0x00020000
CLONE_NEWNET = 0x40000000
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 1 << 18
SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
IFF_UP = 0x1

A, CNAME, PTR, MX, AAAA, OPT = 1, 5, 12, 15, 28, 41
NOERROR, FORMERR, SERVFAIL, NXDOMAIN = 0, 1, 2, 3


class Zone(dict):
    """{lower-case name: [(type, value)]}. Values: an address for A and
    AAAA (IPv6 text), a name for CNAME and PTR, (preference, name) for MX; the type
    'SERVFAIL' makes the server fail for the name, for every type (value
    None) or for one (value a type)."""

    def add(self, name, rtype, value):
        self.setdefault(name.lower(), []).append((rtype, value))


# ---- DNS messages ---------------------------------------------------------

def parse_query(data):
    qid, flags, qd, an, ns, ar = struct.unpack('>HHHHHH', data[:12])
    pos, labels = 12, []
    while data[pos]:
        n = data[pos]
        labels.append(data[pos + 1:pos + 1 + n].decode('latin-1'))
        pos += 1 + n
    pos += 1
    qtype, qclass = struct.unpack('>HH', data[pos:pos + 4])
    pos += 4
    edns = None
    if ar and data[pos] == 0 and struct.unpack('>H', data[pos + 1:pos + 3])[0] == OPT:
        edns = struct.unpack('>H', data[pos + 3:pos + 5])[0]
    return qid, flags, '.'.join(labels), qtype, qclass, edns


class Writer:
    """A message with name compression."""

    def __init__(self):
        self.buf = bytearray()
        self.seen = {}

    def name(self, name):
        labels = [l for l in name.split('.') if l]
        for i in range(len(labels)):
            key = tuple(l.lower() for l in labels[i:])
            if key in self.seen:
                self.buf += struct.pack('>H', 0xc000 | self.seen[key])
                return
            if len(self.buf) < 0x4000:
                self.seen[key] = len(self.buf)
            raw = labels[i].encode('latin-1')
            self.buf += bytes([len(raw)]) + raw
        self.buf.append(0)

    def rr(self, owner, rtype, value):
        self.name(owner)
        self.buf += struct.pack('>HHI', rtype, 1, 300)
        at = len(self.buf)
        self.buf += b'\0\0'
        if rtype == A:
            self.buf += socket.inet_aton(value)
        elif rtype == AAAA:
            self.buf += socket.inet_pton(socket.AF_INET6, value)
        elif rtype == MX:
            self.buf += struct.pack('>H', value[0])
            self.name(value[1])
        else:
            self.name(value)
        struct.pack_into('>H', self.buf, at, len(self.buf) - at - 2)


def answer(z, qname, qtype):
    """(rcode, [(owner, type, value)]) as a recursive server gives them:
    CNAMEs followed (unless the CNAME itself is asked for)."""
    records, name = [], qname
    for _ in range(8):
        recs = z.get(name.lower(), [])
        if any(t == 'SERVFAIL' and v in (None, qtype) for t, v in recs):
            return SERVFAIL, []
        recs = [(t, v) for t, v in recs if t != 'SERVFAIL']
        cnames = [v for t, v in recs if t == CNAME]
        if qtype != CNAME and cnames and not any(t == qtype for t, _ in recs):
            records.append((name, CNAME, cnames[0]))
            name = cnames[0]
            continue
        records += [(name, t, v) for t, v in recs if t == qtype]
        return (NOERROR if recs or name.lower() in z else NXDOMAIN), records
    return NOERROR, records


def response(qid, qname, qtype, rcode, records, tc=False, upper=False):
    w = Writer()
    if upper:
        qname = qname.upper()
        records = [(o.upper(), t, v if t in (A, AAAA) else (v[0], v[1].upper()) if t == MX else v.upper())
                   for o, t, v in records]
    flags = 0x8180 | rcode | (0x0200 if tc else 0)
    w.buf += struct.pack('>HHHHHH', qid, flags, 1, 0 if tc else len(records), 0, 0)
    w.name(qname)
    w.buf += struct.pack('>HH', qtype, 1)
    if not tc:
        for owner, rtype, value in records:
            w.rr(owner, rtype, value)
    return bytes(w.buf)


# ---- the server -----------------------------------------------------------

class Server:
    """A DNS server on addr:53 (UDP and, unless mode says not, TCP); addr
    may be an IPv6 address.
    mode is a set of words:
      silent     read queries, never answer
      truncate   answers over 512 bytes (or the EDNS0 size) go as TC=1
      tcall      every UDP answer goes as TC=1
      notcp      no TCP listener
      noedns     FORMERR to a query with an OPT record
      spoof      forged replies before each real one
      upper      the answer echoes names in upper case
    Without truncate, UDP answers of any size are sent whole. Every query
    is logged: (transport, client port, id, name, type, EDNS0 size, bytes
    of the answer)."""

    def __init__(self, addr, z, mode=()):
        self.addr, self.z, self.mode, self.log = addr, z, set(mode), []
        family = socket.AF_INET6 if ':' in addr else socket.AF_INET
        self.udp = socket.socket(family, socket.SOCK_DGRAM)
        self.udp.bind((addr, 53))
        threading.Thread(target=self.serve_udp, daemon=True).start()
        if 'notcp' not in self.mode:
            self.tcp = socket.socket(family, socket.SOCK_STREAM)
            self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.tcp.bind((addr, 53))
            self.tcp.listen(16)
            threading.Thread(target=self.serve_tcp, daemon=True).start()
        if 'spoof' in self.mode:
            self.forger = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.forger.bind(('127.0.0.9', 53))

    def reply(self, data, transport, port):
        qid, flags, qname, qtype, qclass, edns = parse_query(data)
        if 'noedns' in self.mode and edns is not None:
            out = struct.pack('>HHHHHH', qid, 0x8100 | FORMERR, 0, 0, 0, 0)
        else:
            rcode, records = answer(self.z, qname, qtype)
            out = response(qid, qname, qtype, rcode, records, upper='upper' in self.mode)
            limit = edns if edns else 512
            if transport == 'udp' and ('tcall' in self.mode or
                                       ('truncate' in self.mode and len(out) > limit)):
                out = response(qid, qname, qtype, rcode, records, tc=True)
        self.log.append((transport, port, qid, qname, qtype, edns, len(out)))
        return qid, qname, qtype, out

    def serve_udp(self):
        while True:
            data, peer = self.udp.recvfrom(65535)
            if 'silent' in self.mode:
                self.log.append(('udp', peer[1], None, None, None, None, 0))
                continue
            qid, qname, qtype, out = self.reply(data, 'udp', peer[1])
            if 'spoof' in self.mode:
                bogus = [(qname, A, '6.6.6.6')]
                self.udp.sendto(response(qid ^ 0x5555, qname, qtype, NOERROR, bogus), peer)
                self.udp.sendto(response(qid, 'evil.test', qtype, NOERROR,
                                         [('evil.test', A, '6.6.6.7')]), peer)
                self.forger.sendto(response(qid, qname, qtype, NOERROR,
                                            [(qname, A, '6.6.6.8')]), peer)
                time.sleep(0.05)
            self.udp.sendto(out, peer)

    def serve_tcp(self):
        while True:
            conn, peer = self.tcp.accept()
            with conn:
                try:
                    n = struct.unpack('>H', recv_all(conn, 2))[0]
                    _, _, _, out = self.reply(recv_all(conn, n), 'tcp', peer[1])
                    conn.sendall(struct.pack('>H', len(out)) + out)
                except (OSError, struct.error):
                    pass


def recv_all(conn, n):
    data = b''
    while len(data) < n:
        more = conn.recv(n - len(data))
        if not more:
            raise OSError('short')
        data += more
    return data


# ---- the namespace --------------------------------------------------------

def libc_call(name, *args):
    libc = ctypes.CDLL(None, use_errno=True)
    if getattr(libc, name)(*args) != 0:
        e = ctypes.get_errno()
        raise OSError(e, '%s: %s' % (name, os.strerror(e)))


def loopback_up():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    ifr = fcntl.ioctl(s, SIOCGIFFLAGS, struct.pack('16sH14x', b'lo', 0))
    flags = struct.unpack('16sH', ifr[:18])[1]
    fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack('16sH14x', b'lo', flags | IFF_UP))
    s.close()


class Namespace:
    """A child process in new mount and network namespaces, with
    resolv_conf over /etc/resolv.conf and DNS servers for zone running at
    the addresses given as (address, mode). setup, if given, is called in
    the child once they run (to start more servers there); what it
    returns must have a state() method, whose JSON-able result state()
    fetches, and may have a close() method, called when the namespace
    ends (to stop programs it started). run() executes a program there."""

    def __init__(self, resolv_conf, zone, servers=(('127.0.0.1', ()),), setup=None):
        self.conf = os.path.join(Q.root, 'resolv.conf.%d' % os.getpid())
        with open(self.conf, 'w') as f:
            f.write(resolv_conf)
        to_child_r, self.to_child = os.pipe()
        self.from_child, from_child_w = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:
            os.close(self.to_child)
            os.close(self.from_child)
            self.child(zone, servers, setup, os.fdopen(to_child_r), os.fdopen(from_child_w, 'w'))
        os.close(to_child_r)
        os.close(from_child_w)
        self.w = os.fdopen(self.to_child, 'w')
        self.r = os.fdopen(self.from_child)
        status = json.loads(self.r.readline())
        if status.get('error'):
            self.close()
            raise unittest.SkipTest('no private namespace: ' + status['error'])

    def child(self, zone, servers, setup, rd, wr):
        code = 0
        extra = None
        try:
            try:
                libc_call('unshare', CLONE_NEWNS | CLONE_NEWNET)
                libc_call('mount', None, b'/', None, MS_REC | MS_PRIVATE, None)
                libc_call('mount', self.conf.encode(), b'/etc/resolv.conf', None, MS_BIND, None)
                loopback_up()
                started = [Server(addr, zone, mode) for addr, mode in servers]
                extra = setup() if setup else None
            except OSError as e:
                wr.write(json.dumps({'error': str(e)}) + '\n')
                wr.flush()
                return
            wr.write('{}\n')
            wr.flush()
            for line in rd:
                req = json.loads(line)
                if 'log' in req:
                    wr.write(json.dumps([s.log for s in started]) + '\n')
                elif 'state' in req:
                    wr.write(json.dumps(extra.state()) + '\n')
                else:
                    wr.write(json.dumps(self.execute(req)) + '\n')
                wr.flush()
        except BaseException:
            code = 1
        finally:
            if extra is not None and hasattr(extra, 'close'):
                extra.close()
            os._exit(code)

    @staticmethod
    def execute(req):
        kwargs = {}
        if req.get('user'):
            pw = pwd.getpwnam(req['user'])
            kwargs.update(user=pw.pw_uid, group=pw.pw_gid, extra_groups=[])
        t0 = time.monotonic()
        p = subprocess.run(req['argv'], input=req.get('input', '').encode('latin-1'),
                           capture_output=True, timeout=req.get('timeout', 120), cwd='/',
                           env={'PATH': '/usr/bin:/bin'}, **kwargs)
        return {'rc': p.returncode, 'out': p.stdout.decode('latin-1'),
                'err': p.stderr.decode('latin-1'), 'elapsed': time.monotonic() - t0}

    def run(self, *argv, input=b'', user=None, timeout=120):
        """Run argv there (argv[0] may be a program name from bin/), with
        input on fd 0, as user (or root): {'rc', 'out', 'err', 'elapsed'},
        the outputs as latin-1 text."""
        argv = list(argv)
        if '/' not in argv[0]:
            argv[0] = Q.bin(argv[0])
        req = {'argv': argv, 'input': input.decode('latin-1'), 'user': user, 'timeout': timeout}
        self.w.write(json.dumps(req) + '\n')
        self.w.flush()
        return json.loads(self.r.readline())

    def log(self):
        """The query logs of the servers, in the order given."""
        self.w.write('{"log": 1}\n')
        self.w.flush()
        return json.loads(self.r.readline())

    def state(self):
        """What setup's object reports."""
        self.w.write('{"state": 1}\n')
        self.w.flush()
        return json.loads(self.r.readline())

    def close(self):
        self.w.close()
        self.r.close()
        os.waitpid(self.pid, 0)
        os.unlink(self.conf)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
