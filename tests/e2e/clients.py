"""clients.py: what the SMTP and QMTP tests share to speak to a daemon of
the scratch installation: tcpserver running it as qmaild on 127.0.0.1 (a
free port, an optional tcprules file), a whole session written and read
back, waiting until the daemons and qmail-queue have gone, and the
Received line qmail-queue writes."""
import calendar
import os
import re
import socket
import subprocess
import threading
import time

from harness import Q

MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
DATE = rb'(\d{1,2}) (%s) (\d{4}) (\d\d):(\d\d):(\d\d) -0000' % '|'.join(MONTHS).encode()
QQ_RECEIVED = re.compile(rb'^Received: \(qmail (\d+) invoked from network\); ' + DATE + rb'\n')


def date_epoch(groups):
    """Seconds since the epoch of the groups DATE matched."""
    day, mon, year, hh, mm, ss = [g.decode() for g in groups]
    return calendar.timegm((int(year), MONTHS.index(mon) + 1, int(day), int(hh), int(mm), int(ss)))


def free_port():
    """A TCP port of 127.0.0.1 that nothing listens on just now."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def quiesce(programs):
    """Wait until none of programs (names in the installation's bin/)
    runs: a session that ended early may leave a qmail-queue that has not
    yet seen its end of input (it then removes its files and exits)."""
    ours = {os.path.realpath(Q.bin(p)) for p in programs}
    deadline = time.time() + 20
    while time.time() < deadline:
        running = False
        for name in os.listdir('/proc'):
            if name.isdigit():
                try:
                    running = os.readlink('/proc/%s/exe' % name) in ours
                except OSError:
                    continue
                if running:
                    break
        if not running:
            return
        time.sleep(0.02)
    raise AssertionError('still running: one of %s' % ', '.join(programs))


def rules_cdb(directory, text):
    """Compile tcprules text into directory/rules.cdb."""
    cdb = os.path.join(directory, 'rules.cdb')
    subprocess.run(['/usr/bin/tcprules', cdb, cdb + '.tmp'], input=text.encode(), check=True)
    os.chmod(cdb, 0o644)
    return cdb


def tcpserver_argv(addr, port, program, rules=None, localname='mx.example'):
    """tcpserver running the installed program as qmaild on addr:port."""
    argv = ['/usr/bin/tcpserver', '-R', '-H', '-l', localname,
            '-u', str(Q.uid('qmaild')), '-g', str(Q.gid('nofiles'))]
    if rules:
        argv += ['-x', rules]
    return argv + [addr, str(port), Q.bin(program)]


def wait_listening(addr, port, proc):
    """Wait until addr:port takes connections (proc is its tcpserver)."""
    deadline = time.time() + 10
    while True:
        try:
            socket.create_connection((addr, port), timeout=1).close()
            return
        except OSError:
            if time.time() > deadline or proc.poll() is not None:
                raise
            time.sleep(0.02)


class TcpServer:
    """tcpserver running the class's program as qmaild on 127.0.0.1:port.
    timeout is the default for connect() and talk()."""

    program = None
    timeout = 30

    def __init__(self, env=None, rules=None, localname='mx.example'):
        self.port = free_port()
        full_env = {'PATH': '/usr/bin:/bin'}
        full_env.update(env or {})
        self.proc = subprocess.Popen(tcpserver_argv('127.0.0.1', self.port, self.program, rules, localname),
                                     env=full_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_listening('127.0.0.1', self.port, self.proc)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)

    def connect(self, timeout=None):
        return socket.create_connection(('127.0.0.1', self.port), timeout=timeout or self.timeout)

    def talk(self, data, timeout=None, chunks=None, during=None):
        """Send data (or each of chunks, one after another), end the input,
        return everything the server says until it closes. A thread reads
        while we write, so large pipelined inputs cannot deadlock.
        during(sock) runs after the writes, before the input is ended."""
        timeout = timeout or self.timeout
        s = self.connect(timeout)
        got = []

        def reader():
            while True:
                try:
                    b = s.recv(65536)
                except OSError:
                    break
                if not b:
                    break
                got.append(b)
        t = threading.Thread(target=reader)
        t.start()
        try:
            for piece in chunks or [data]:
                s.sendall(piece)
        except (BrokenPipeError, ConnectionResetError):
            pass
        if during:
            during(s)
        try:
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        t.join(timeout)
        s.close()
        return b''.join(got)
