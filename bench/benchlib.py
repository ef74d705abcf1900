"""benchlib.py: helpers shared by the benchmark scripts in bench/.

Everything here runs as root against a scratch qmail installation built
by tests/e2e/harness.py (never /var/qmail), on loopback addresses only.
Postfix, where a benchmark compares against it, is installed from Debian
for the measurement only and purged again afterwards.

    cpu_seconds()                busy CPU-seconds of the whole machine (/proc/stat)
    time_limit(seconds)          SIGALRM raises BenchTimeout: finally blocks still clean up
    scratch()                    the harness installation (Q), built on first use
    Controls(Q)                  set control files; restore() puts the old ones back
    BenchUser()                  the local user qbench with a fresh ~/Maildir/
    QmailSend(Q, log)            qmail-start ./Maildir/ in a session of its own
    run_injections(...)          parallel qmail-inject (or sendmail) streams
    HwmSampler(pids_fn)          peak VmHWM of sampled processes
    tcp_sockets(port)            the IPv4 TCP sockets with port at one end (/proc/net/tcp)
    PostfixTools()               smtp-source and smtp-sink, unpacked from Debian's postfix
    SmtpLoader()                 Postfix's smtp-source, or a Python equivalent
    Sinks(n)                     n SMTP sinks on 127.0.0.1 in a child process
    SmtpSinks(tools, addrs, port) one Postfix smtp-sink per address, counting recipients
    Postfix(...)                 install, configure, start; stop and purge
"""
import multiprocessing
import os
import pwd
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tests', 'e2e'))

USER = 'qbench'
BODY = ''.join('line %04d of the benchmark message, padding it out to about two KB\n' % i
               for i in range(28))


class BenchTimeout(Exception):
    pass


class WaitTimeout(BenchTimeout):
    """wait_until's deadline passed (time_limit's alarm raises the base
    class): a caller may catch this one, report, and go on."""


def _alarm(signum, frame):
    raise BenchTimeout('time limit reached')


def time_limit(seconds):
    """Bound the whole run: at the limit an exception unwinds every
    finally block, which stop the daemons and remove what we made."""
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(int(seconds))


def need_root():
    if os.getuid() != 0:
        raise SystemExit('run as root')


def arg_int(argv, default):
    """The first bare number among the arguments, else default."""
    for a in argv[1:]:
        if a.isdigit():
            return int(a)
    return default


def arg_value(argv, name, default):
    """--name=VALUE or --name VALUE."""
    for i, a in enumerate(argv):
        if a.startswith(name + '='):
            return a.split('=', 1)[1]
        if a == name and i + 1 < len(argv):
            return argv[i + 1]
    return default


def cpu_seconds():
    """Busy CPU-seconds of the whole machine since boot: every state in
    the first line of /proc/stat but idle and iowait."""
    with open('/proc/stat') as f:
        fields = f.readline().split()[1:]
    busy = sum(int(x) for i, x in enumerate(fields) if i not in (3, 4))
    return busy / os.sysconf('SC_CLK_TCK')


QUIET_SECONDS = 35


def settle():
    """Before a measured run: write everything out and wait until the
    file system has forgotten what was freed just before (the scratch
    build, an earlier run's queue, a Maildir moved aside). On ext4
    without a journal, as on the project's benchmark machine, every inode
    allocation passes over the inodes of its block group freed in the
    last 5 to 30 seconds, at a cost that grows with their number: a run
    started right after thousands of files were removed pays for them,
    whichever MTA it measures. Every run, ours and Postfix's, starts
    after the same pause."""
    os.sync()
    time.sleep(QUIET_SECONDS)


def wait_until(cond, timeout, what, poll=0.02, check=None):
    """Poll cond() until true; check() may raise to give up early."""
    deadline = time.time() + timeout
    while not cond():
        if check:
            check()
        if time.time() > deadline:
            raise WaitTimeout('timed out waiting for ' + what())
        time.sleep(poll)


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_listening(port, proc=None, timeout=10):
    deadline = time.time() + timeout
    while True:
        try:
            socket.create_connection(('127.0.0.1', port), timeout=1).close()
            return
        except OSError:
            if time.time() > deadline or (proc is not None and proc.poll() is not None):
                raise SystemExit('nothing listens on 127.0.0.1:%d' % port)
            time.sleep(0.02)


TCP_LISTEN = 0x0A
# A server's end of a session it has not finished with: handshake done
# (queued or accepted), established, or closed by the client only.
TCP_SESSION = (0x01, 0x03, 0x08)


def tcp_sockets(port):
    """(local address, local port, remote address, remote port, state) of
    each IPv4 TCP socket with port at either end, from /proc/net/tcp;
    state is the kernel's number (TCP_LISTEN, TCP_SESSION...)."""
    found = []

    def endpoint(text):
        addr, p = text.split(':')
        return socket.inet_ntoa(struct.pack('<I', int(addr, 16))), int(p, 16)
    with open('/proc/net/tcp') as f:
        next(f)
        for line in f:
            fields = line.split()
            local, remote = endpoint(fields[1]), endpoint(fields[2])
            if port in (local[1], remote[1]):
                found.append(local + remote + (int(fields[3], 16),))
    return found


# ---------------------------------------------------------------- processes

def children(pid):
    """Pids of pid's children (of its main thread)."""
    try:
        with open('/proc/%d/task/%d/children' % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def comm(pid):
    try:
        with open('/proc/%d/comm' % pid) as f:
            return f.read().strip()
    except OSError:
        return None


def vm_hwm_kb(pid):
    try:
        with open('/proc/%d/status' % pid) as f:
            for line in f:
                if line.startswith('VmHWM:'):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def group_alive(pgid):
    for name in os.listdir('/proc'):
        if name.isdigit():
            try:
                with open('/proc/%s/stat' % name) as f:
                    stat = f.read()
            except OSError:
                continue
            fields = stat[stat.rindex(')') + 2:].split()
            if int(fields[2]) == pgid and fields[0] != 'Z':
                return True
    return False


def stop_group(proc, timeout=30):
    """TERM the process group that proc leads (started with
    start_new_session), wait for it; KILL what is left at the deadline."""
    if proc is None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        pass
    deadline = time.time() + timeout
    while group_alive(proc.pid) and time.time() < deadline:
        time.sleep(0.05)
    if group_alive(proc.pid) or proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()


class HwmSampler:
    """A thread sampling the VmHWM (peak resident set) of the processes
    pids_fn() names, every interval seconds; peak_kb is the largest seen
    and seen the number of distinct processes sampled."""

    def __init__(self, pids_fn, interval=0.05):
        self.pids_fn, self.interval = pids_fn, interval
        self.peak_kb, self.pids = 0, set()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stopped.wait(self.interval):
            for pid in self.pids_fn():
                kb = vm_hwm_kb(pid)
                if kb:
                    self.pids.add(pid)
                    self.peak_kb = max(self.peak_kb, kb)

    def stop(self):
        self.stopped.set()
        self.thread.join()
        return self.peak_kb


# ---------------------------------------------------------------- our installation

_OWN_ROOT = not os.environ.get('QMAIL_E2E_ROOT')


def scratch():
    """The harness's scratch installation, built (make setup check into a
    new /tmp/qmail-e2e-* root) unless QMAIL_E2E_ROOT names one."""
    import harness
    return harness.Q


def remove_scratch(Q):
    """Remove the scratch root if this run made it (QMAIL_E2E_KEEP keeps it)."""
    if _OWN_ROOT and not os.environ.get('QMAIL_E2E_KEEP'):
        shutil.rmtree(Q.root, ignore_errors=True)


class Controls:
    """Sets control files; restore() puts back what was there before."""

    def __init__(self, Q):
        self.dir = os.path.join(Q.home, 'control')
        self.saved = {}
        for name in os.listdir(self.dir):
            with open(os.path.join(self.dir, name), 'rb') as f:
                self.saved[name] = f.read()

    def set(self, name, text):
        with open(os.path.join(self.dir, name), 'w') as f:
            f.write(text)

    def remove(self, name):
        try:
            os.unlink(os.path.join(self.dir, name))
        except FileNotFoundError:
            pass

    def restore(self):
        for name in os.listdir(self.dir):
            if name not in self.saved:
                os.unlink(os.path.join(self.dir, name))
        for name, data in self.saved.items():
            with open(os.path.join(self.dir, name), 'wb') as f:
                f.write(data)


def queue_empty(Q):
    """No message left in the queue (mess/ holds one file per message)."""
    for i in range(Q.split):
        if os.listdir(os.path.join(Q.queue, 'mess', str(i))):
            return False
    return not os.listdir(os.path.join(Q.queue, 'todo'))


class QmailSend:
    """qmail-start ./Maildir/ as root in a process group of its own, its
    activity record in logpath."""

    def __init__(self, Q, logpath):
        self.logpath = logpath
        with open(logpath, 'ab') as log:
            self.proc = subprocess.Popen(
                [Q.bin('qmail-start'), './Maildir/'], stdin=subprocess.DEVNULL, stdout=log,
                stderr=log, cwd='/', start_new_session=True,
                env={'PATH': os.path.join(Q.home, 'bin') + ':/usr/bin:/bin'})
        wait_until(lambda: os.path.getsize(logpath) > 0 or self.proc.poll() is not None, 10,
                   lambda: 'qmail-send to start')
        if self.proc.poll() is not None:
            raise SystemExit('qmail-start exited: ' + self.tail())
        time.sleep(0.2)

    def tail(self, lines=20):
        with open(self.logpath, 'rb') as f:
            return b''.join(f.readlines()[-lines:]).decode(errors='replace')

    def stop(self):
        stop_group(self.proc)


class BenchUser:
    """The local user qbench (made if missing, removed again by remove()
    if we made it) and a fresh ~/Maildir/."""

    def __init__(self, name=USER):
        self.name = name
        self.created = False
        try:
            self.pw = pwd.getpwnam(name)
        except KeyError:
            subprocess.run(['useradd', '-m', '-d', '/var/tmp/' + name, '-s', '/bin/sh', name],
                           check=True)
            self.pw = pwd.getpwnam(name)
            self.created = True
        self.maildir = os.path.join(self.pw.pw_dir, 'Maildir')
        self.new = os.path.join(self.maildir, 'new')

    def fresh_maildir(self):
        """An empty ~/Maildir/. The one before is moved aside, not
        removed (remove() does that, after the measurements): ext4
        without a journal passes over every inode freed in the last 5 to
        30 seconds when it allocates one in the same block group, so
        removing a run's thousands of messages would slow the next run's
        deliveries down, and not for any reason of the MTA's."""
        if os.path.exists(self.maildir):
            n = 1
            while os.path.exists('%s.%d' % (self.maildir, n)):
                n += 1
            os.rename(self.maildir, '%s.%d' % (self.maildir, n))
        for sub in ('', 'tmp', 'new', 'cur'):
            os.mkdir(os.path.join(self.maildir, sub), 0o700)
            os.chown(os.path.join(self.maildir, sub), self.pw.pw_uid, self.pw.pw_gid)
        return self.new

    def delivered(self):
        return len(os.listdir(self.new))

    def remove(self):
        for name in os.listdir(self.pw.pw_dir):
            if name == 'Maildir' or name.startswith('Maildir.'):
                shutil.rmtree(os.path.join(self.pw.pw_dir, name), ignore_errors=True)
        if self.created:
            subprocess.run(['userdel', '-r', self.name], stderr=subprocess.DEVNULL)


def ensure_user():  # kept for scripts written before BenchUser
    """The old interface: the user exists, its Maildir is fresh; returns Maildir/new."""
    return BenchUser().fresh_maildir()


def count(newdir):
    return len(os.listdir(newdir))


def run_injections(n, argv_for, msg_for, done, injectors=4, timeout=600, check=None):
    """Inject n messages (argv_for(i) reading msg_for(i) on its input)
    with `injectors` parallel streams; then wait for done() (check() may
    raise to give up early). Returns
    (seconds, CPU-seconds) from the first injection on."""
    cpu0, t0 = cpu_seconds(), time.time()
    running = []

    def reap(p):
        if p.wait() != 0:
            raise SystemExit('%s exited %d' % (' '.join(p.args), p.returncode))
    try:
        for i in range(n):
            p = subprocess.Popen(argv_for(i), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
            p.stdin.write(msg_for(i))
            p.stdin.close()
            running.append(p)
            if len(running) >= injectors:
                reap(running.pop(0))
        while running:
            reap(running.pop(0))
    finally:
        for p in running:  # only when giving up: their input is complete, they end
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
    wait_until(done, timeout, lambda: 'the deliveries', poll=0.01, check=check)
    return time.time() - t0, cpu_seconds() - cpu0


# ---------------------------------------------------------------- SMTP load generator

def apt_download(package, directory):
    """apt-get download package into directory (apt-get update once if
    the lists do not know it yet); the .deb's path or None."""
    for attempt in (0, 1):
        r = subprocess.run(['apt-get', 'download', '-q', package], cwd=directory,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        debs = [f for f in os.listdir(directory) if f.startswith(package + '_') and f.endswith('.deb')]
        if r.returncode == 0 and debs:
            return os.path.join(directory, debs[0])
        if attempt == 0:
            subprocess.run(['apt-get', 'update', '-qq'], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    return None


class PostfixTools:
    """The test programs of the Debian postfix package (smtp-source,
    smtp-sink), never installed: the package is fetched (apt-get
    download) and unpacked (dpkg -x) into a temporary directory, and the
    programs run from there with its libpostfix-*.so beside them (env).
    why is None, or why the package could not be had; check(name) says
    why that program cannot run, or None."""

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix='bench-postfix-tools-')
        self.root = os.path.join(self.tmp, 'x')
        self.env = {'PATH': '/usr/bin:/bin',
                    'LD_LIBRARY_PATH': os.path.join(self.root, 'usr', 'lib', 'postfix')}
        self.deb = None
        try:
            deb = apt_download('postfix', self.tmp)
            if deb:
                subprocess.run(['dpkg', '-x', deb, self.root], check=True)
                self.deb = os.path.basename(deb)
                self.why = None
            else:
                self.why = 'apt-get download postfix failed'
        except BaseException:
            self.close()
            raise

    def path(self, name):
        return os.path.join(self.root, 'usr', 'sbin', name)

    def check(self, name):
        if self.why:
            return self.why
        prog = self.path(name)
        if not os.path.exists(prog):
            return 'no %s in %s' % (name, self.deb)
        r = subprocess.run(['ldd', prog], env=self.env, capture_output=True, text=True)
        if 'not found' in r.stdout:
            return '%s lacks libraries: %s' % (name, r.stdout)
        r = subprocess.run([prog], env=self.env, capture_output=True, text=True, timeout=10)
        if 'usage' not in r.stderr:
            return '%s does not run: %s' % (name, r.stderr)
        return None

    def close(self):
        shutil.rmtree(self.tmp, ignore_errors=True)


class SmtpLoader:
    """Sends n messages of about 2 KB (a 2048-byte body) over `sessions`
    parallel SMTP sessions, one message per session (HELO, MAIL, RCPT,
    DATA, QUIT), as Postfix's smtp-source does without -d. That tool
    comes from PostfixTools; when it cannot run (or with force_python) a
    Python loader with one thread per session speaks the same dialogue."""

    def __init__(self, force_python=False):
        self.tools = None
        self.argv0 = None
        self.kind = 'python threads'
        if force_python:
            self.why = 'asked for'
            return
        self.tools = PostfixTools()
        self.why = self.tools.check('smtp-source')
        if not self.why:
            self.argv0 = self.tools.path('smtp-source')
            self.env = self.tools.env
            self.kind = 'smtp-source from ' + self.tools.deb

    def start(self, port, sessions, n, sender, rcpt):
        if self.argv0:
            return _SmtpSourceRun(self, port, sessions, n, sender, rcpt)
        return _PythonRun(port, sessions, n, sender, rcpt)

    def close(self):
        if self.tools:
            self.tools.close()


class _SmtpSourceRun:
    def __init__(self, loader, port, sessions, n, sender, rcpt):
        self.err = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [loader.argv0, '-s', str(sessions), '-m', str(n), '-l', '2048', '-M', 'loader.example',
             '-f', sender, '-t', rcpt, '127.0.0.1:%d' % port],
            env=loader.env, stdout=subprocess.DEVNULL, stderr=self.err, start_new_session=True)

    def check(self):
        """Raise if the loader has failed."""
        if self.proc.poll() not in (None, 0):
            self.err.seek(0)
            raise SystemExit('smtp-source exited %d: %s'
                             % (self.proc.returncode, self.err.read().decode(errors='replace')))

    def finish(self, timeout=60):
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
        self.kill()
        self.check()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class _PythonRun:
    def __init__(self, port, sessions, n, sender, rcpt):
        self.port, self.sender, self.rcpt = port, sender, rcpt
        self.left = n
        self.lock = threading.Lock()
        self.error = None
        self.stopped = False
        body = b''.join(b'%dXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX\r\n'
                        % (i % 10) for i in range(26))[:2048 - 2] + b'\r\n'
        self.body = body
        self.threads = [threading.Thread(target=self.session_loop, daemon=True)
                        for _ in range(sessions)]
        for t in self.threads:
            t.start()

    def take(self):
        with self.lock:
            if self.left <= 0 or self.error or self.stopped:
                return None
            self.left -= 1
            return self.left

    def session_loop(self):
        try:
            while True:
                i = self.take()
                if i is None:
                    return
                self.one(i)
        except Exception as e:  # noqa: the first failure stops the run
            with self.lock:
                self.error = self.error or repr(e)

    def one(self, i):
        s = socket.create_connection(('127.0.0.1', self.port), timeout=60)
        f = s.makefile('rb')

        def reply(want):
            while True:
                line = f.readline()
                if not line:
                    raise OSError('connection closed')
                if line[3:4] != b'-':
                    break
            if not line.startswith(want):
                raise OSError('unexpected reply %r' % line)
        try:
            reply(b'220')
            for cmd, want in ((b'HELO loader.example', b'250'),
                              (b'MAIL FROM:<%s>' % self.sender.encode(), b'250'),
                              (b'RCPT TO:<%s>' % self.rcpt.encode(), b'250'),
                              (b'DATA', b'354')):
                s.sendall(cmd + b'\r\n')
                reply(want)
            head = (b'From: <%s>\r\nTo: <%s>\r\nMessage-Id: <%d.loader@loader.example>\r\n\r\n'
                    % (self.sender.encode(), self.rcpt.encode(), i))
            s.sendall(head + self.body + b'.\r\n')
            reply(b'250')
            s.sendall(b'QUIT\r\n')
        finally:
            f.close()
            s.close()

    def check(self):
        if self.error:
            raise SystemExit('python loader: ' + self.error)

    def finish(self, timeout=60):
        for t in self.threads:
            t.join(timeout)
        self.check()

    def kill(self):
        with self.lock:
            self.stopped = True


# ---------------------------------------------------------------- SMTP sinks

def _sink_main(ports_socks, counters, stop_fd):
    """The sinks' process: one asyncio server per listening socket; per
    sink i, counters[3*i:3*i+3] = connections, messages, recipients
    (those of transactions whose DATA was accepted)."""
    import asyncio
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGALRM, signal.SIG_DFL)

    async def talk(i, reader, writer):
        counters[3 * i] += 1
        rcpts = 0
        try:
            writer.write(b'220 sink%d.example ESMTP\r\n' % i)
            while True:
                line = await reader.readline()
                if not line:
                    break
                verb = line[:4].upper()
                if verb in (b'HELO', b'EHLO'):
                    writer.write(b'250 sink%d.example\r\n' % i)
                elif verb == b'MAIL':
                    rcpts = 0
                    writer.write(b'250 ok\r\n')
                elif verb == b'RCPT':
                    rcpts += 1
                    writer.write(b'250 ok\r\n')
                elif verb == b'DATA':
                    writer.write(b'354 go ahead\r\n')
                    while True:
                        dl = await reader.readline()
                        if not dl:
                            return
                        if dl == b'.\r\n':
                            break
                    counters[3 * i + 1] += 1
                    counters[3 * i + 2] += rcpts
                    rcpts = 0
                    writer.write(b'250 ok queued\r\n')
                elif verb == b'RSET':
                    rcpts = 0
                    writer.write(b'250 ok\r\n')
                elif verb == b'NOOP':
                    writer.write(b'250 ok\r\n')
                elif verb == b'QUIT':
                    writer.write(b'221 sink%d.example\r\n' % i)
                    await writer.drain()
                    break
                else:
                    writer.write(b'502 unimplemented\r\n')
                await writer.drain()
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            pass
        finally:
            writer.close()

    async def main():
        servers = []
        for i, sock in enumerate(ports_socks):
            servers.append(await asyncio.start_server(
                lambda r, w, i=i: talk(i, r, w), sock=sock, backlog=256))
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        loop.add_reader(stop_fd, lambda: done.done() or done.set_result(None))
        await done
        for s in servers:
            s.close()
    asyncio.run(main())


class Sinks:
    """n SMTP sinks on 127.0.0.1 (ports in .ports), served by a child
    process so that they do not compete with the benchmark for the GIL."""

    def __init__(self, n):
        socks = []
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(('127.0.0.1', 0))
            s.listen(256)
            socks.append(s)
        self.ports = [s.getsockname()[1] for s in socks]
        self.n = n
        ctx = multiprocessing.get_context('fork')
        self.counters = ctx.Array('q', 3 * n, lock=False)
        self.stop_r, self.stop_w = os.pipe()
        self.proc = ctx.Process(target=_sink_main, args=(socks, self.counters, self.stop_r),
                                daemon=True)
        self.proc.start()
        for s in socks:
            s.close()

    def reset(self):
        for i in range(3 * self.n):
            self.counters[i] = 0

    def connections(self, i=None):
        return sum(self.counters[3 * j] for j in (range(self.n) if i is None else [i]))

    def messages(self, i=None):
        return sum(self.counters[3 * j + 1] for j in (range(self.n) if i is None else [i]))

    def recipients(self, i=None):
        return sum(self.counters[3 * j + 2] for j in (range(self.n) if i is None else [i]))

    def check(self):
        if not self.proc.is_alive():
            raise SystemExit('the SMTP sinks died (exit %s)' % self.proc.exitcode)

    def close(self):
        os.write(self.stop_w, b'x')
        self.proc.join(10)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()
        os.close(self.stop_r)
        os.close(self.stop_w)


class SmtpSinks:
    """One Postfix smtp-sink (from PostfixTools) per address in addrs,
    all on one port, run as nobody, each with a backlog of 128 and up to
    256 sessions at a time (its -m default). A sink accepts every command
    at once; it appends each transaction whose "." it takes to a dump
    file of its own (-D), written whole before its 250, in which an
    X-Rcpt-Args line names each recipient; and it keeps running
    counters of sessions, QUITs and messages on its output (-c), a file
    of its own. recipients() counts X-Rcpt-Args lines as the dumps grow
    (a message's own lines never start so here); verify() compares them
    with what each sink should have had."""

    BACKLOG = 128

    def __init__(self, tools, addrs, port):
        why = tools.check('smtp-sink')
        if why:
            raise SystemExit('smtp-sink is needed: ' + why)
        self.addrs, self.port = list(addrs), port
        self.procs = []
        self.checked = 0
        self.dir = tempfile.mkdtemp(prefix='bench-sinks-')
        nobody = pwd.getpwnam('nobody')
        os.chown(self.dir, nobody.pw_uid, nobody.pw_gid)
        self.seen = [[0, 0] for _ in self.addrs]  # per sink: bytes read, recipients counted
        try:
            with open(os.path.join(self.dir, 'errors'), 'ab') as err:
                for i, addr in enumerate(self.addrs):
                    with open(self._path('counters', i), 'wb') as out:
                        self.procs.append(subprocess.Popen(
                            [tools.path('smtp-sink'), '-c', '-u', nobody.pw_name, '-h', 'sink.example',
                             '-D', self._path('dump', i), '%s:%d' % (addr, port), str(self.BACKLOG)],
                            env=tools.env, stdin=subprocess.DEVNULL, stdout=out, stderr=err))
            wait_until(lambda: self.listening() == len(self.addrs), 60,
                       lambda: '%d of %d smtp-sinks to listen' % (self.listening(), len(self.addrs)),
                       poll=0.1, check=self.check)
        except BaseException:
            self.close()
            raise

    def _path(self, kind, i):
        return os.path.join(self.dir, '%s-%s' % (kind, self.addrs[i]))

    def listening(self):
        want = set(self.addrs)
        return sum(1 for la, lp, _, _, st in tcp_sockets(self.port)
                   if st == TCP_LISTEN and lp == self.port and la in want)

    def check(self):
        """Raise if a sink has died. Looks once a second at most: the
        sinks may be thousands, and this is polled while the clock runs."""
        if time.time() - self.checked < 1:
            return
        self.checked = time.time()
        for i, p in enumerate(self.procs):
            if p.poll() is not None:
                with open(os.path.join(self.dir, 'errors'), 'rb') as f:
                    said = f.read()[-2000:].decode(errors='replace')
                raise SystemExit('the smtp-sink on %s exited %d: %s'
                                 % (self.addrs[i], p.returncode, said))

    def recipients(self):
        """Recipients of every transaction the sinks have taken so far."""
        for i, seen in enumerate(self.seen):
            try:
                with open(self._path('dump', i), 'rb') as f:
                    f.seek(seen[0])
                    data = f.read()
            except FileNotFoundError:
                continue
            whole = data.rfind(b'\n') + 1  # complete lines only
            seen[0] += whole
            seen[1] += (b'\n' + data[:whole]).count(b'\nX-Rcpt-Args: ')
        return sum(n for _, n in self.seen)

    def settle(self, timeout=30):
        """Wait until no session is open at any sink (the counters are
        final then)."""
        want = set(self.addrs)

        def open_sessions():
            return sum(1 for la, lp, _, _, st in tcp_sockets(self.port)
                       if lp == self.port and la in want and st in TCP_SESSION)
        wait_until(lambda: open_sessions() == 0, timeout,
                   lambda: 'the sinks\' %d open sessions to end' % open_sessions())

    def verify(self, expected):
        """Compare each sink's dump with expected[address] (the addresses,
        without <>, it should have had, each once, in any order). Returns
        (recipients, messages, sessions, problems): the totals over the
        sinks (messages from the dumps; sessions from the counters, final
        after settle()) and a list of what did not match, empty when all
        did."""
        rcpts = msgs = sessions = 0
        problems = []
        for i, addr in enumerate(self.addrs):
            got = []
            try:
                with open(self._path('dump', i), 'rb') as f:
                    for line in f:
                        if line.startswith(b'X-Rcpt-Args: '):  # <address> and any ESMTP options
                            args = line[len(b'X-Rcpt-Args: '):].split() or [b'']
                            got.append(args[0].strip(b'<>').decode(errors='replace'))
                        elif line.startswith(b'X-Mail-Args: '):
                            msgs += 1
            except FileNotFoundError:
                pass
            rcpts += len(got)
            if sorted(got) != sorted(expected[addr]):
                problems.append('%s: %d recipients, %d expected%s'
                                % (addr, len(got), len(expected[addr]),
                                   '' if len(got) != len(expected[addr]) else ', not the same'))
            with open(self._path('counters', i), 'rb') as f:
                counters = f.read().split(b'\r')
            last = [c for c in counters if c.startswith(b'sess=')]
            if last:
                sessions += int(last[-1].split()[0].split(b'=')[1])
        return rcpts, msgs, sessions, problems

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


# ---------------------------------------------------------------- Postfix

def postfix_present():
    r = subprocess.run(['dpkg-query', '-W', '-f=${Status}', 'postfix'], capture_output=True,
                       text=True)
    return 'installed' in r.stdout or shutil.which('postfix') or os.path.exists('/etc/postfix')


class Postfix:
    """Postfix from Debian, for one measurement: install() it (refusing if
    it is there already), configure with postconf, start(); purge()
    stops it and purges it and every package its installation added."""

    SPOOL = '/var/spool/postfix'
    MASTER_PID = SPOOL + '/pid/master.pid'
    QUEUES = ('maildrop', 'incoming', 'active', 'deferred', 'hold')

    def __init__(self):
        self.env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
        self.added = []

    def install(self):
        if postfix_present():
            raise SystemExit('postfix is already installed: not touching it')
        self.added = ['postfix']  # from here on purge() undoes what we did
        sim = subprocess.run(['apt-get', 'install', '-s', 'postfix'], capture_output=True,
                             text=True, env=self.env)
        self.added = [line.split()[1] for line in sim.stdout.splitlines()
                      if line.startswith('Inst ')] or ['postfix']
        subprocess.run(['sh', '-c', 'echo "postfix postfix/main_mailer_type select Local only"'
                        ' | debconf-set-selections'], check=True)
        # policy-rc.d keeps package scripts from starting it; and with
        # "Local only" it would listen on loopback only anyway.
        r = subprocess.run(['apt-get', 'install', '-y', '-qq', 'postfix'], env=self.env,
                           stdout=subprocess.DEVNULL)
        if r.returncode != 0:
            subprocess.run(['apt-get', 'update', '-qq'], stdout=subprocess.DEVNULL)
            subprocess.run(['apt-get', 'install', '-y', '-qq', 'postfix'], check=True,
                           env=self.env, stdout=subprocess.DEVNULL)
        self.version = subprocess.run(['postconf', '-h', 'mail_version'], capture_output=True,
                                      text=True).stdout.strip()

    def postconf(self, *settings):
        for setting in settings:
            subprocess.run(['postconf', '-e', setting], check=True)

    def local_only(self):
        """Deliver to ~/Maildir/ for bench.local and localhost; no port 25."""
        self.postconf('home_mailbox = Maildir/', 'mydestination = localhost, bench.local',
                      'myhostname = bench.local', 'inet_interfaces = loopback-only')
        subprocess.run(['postconf', '-M#', 'smtp/inet'], check=True)

    def add_smtpd(self, port):
        """An smtpd on 127.0.0.1:port (chrooted, as Debian's smtp service)."""
        subprocess.run(['postconf', '-Me',
                        '127.0.0.1:%d/inet = 127.0.0.1:%d inet n - y - - smtpd' % (port, port)],
                       check=True)

    def start(self):
        # what Debian's service unit does first: copy files into the chroot
        if os.path.exists('/usr/lib/postfix/configure-instance.sh'):
            subprocess.run(['/usr/lib/postfix/configure-instance.sh', '-'],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run(['postfix', 'check'], check=False)
        subprocess.run(['postfix', 'start'], check=False, stderr=subprocess.DEVNULL)
        subprocess.run(['postfix', 'reload'], check=False, stderr=subprocess.DEVNULL)
        wait_until(lambda: self.master_pid() is not None, 20, lambda: 'postfix master')
        time.sleep(1)

    def master_pid(self):
        try:
            with open(self.MASTER_PID) as f:
                pid = int(f.read().strip())
        except (OSError, ValueError):
            return None
        return pid if os.path.exists('/proc/%d' % pid) else None

    def transport_map(self, routes):
        """Route each domain in routes ({domain: 'smtp:[address]:port'})
        through the transport map /etc/postfix/transport (hash:, made by
        postmap; the purge removes /etc/postfix)."""
        path = '/etc/postfix/transport'
        with open(path, 'w') as f:
            f.writelines('%s %s\n' % route for route in routes.items())
        subprocess.run(['postmap', 'hash:' + path], check=True)
        self.postconf('transport_maps = hash:' + path)

    def settings(self, *names):
        """{name: value} of main.cf parameters, defaults included, $names
        expanded."""
        r = subprocess.run(['postconf', '-x'] + list(names), capture_output=True, text=True,
                           check=True)
        return {name.strip(): value.strip()
                for name, _, value in (line.partition('=') for line in r.stdout.splitlines())}

    def queue_empty(self):
        """No message in any queue postqueue lists (maildrop, incoming,
        active, deferred, hold), read from the spool directly: no
        process to start, so that it can be polled often."""
        for q in self.QUEUES:
            for _, _, files in os.walk(os.path.join(self.SPOOL, q)):
                if files:
                    return False
        return True

    def delete_queue(self):
        """postsuper -d ALL: remove every queued message."""
        subprocess.run(['postsuper', '-d', 'ALL'], check=False, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)

    def stop(self):
        """postfix stop, and wait for the master to go (KILL at 20 s)."""
        pid = self.master_pid()
        subprocess.run(['postfix', 'stop'], check=False, stderr=subprocess.DEVNULL)
        if pid:
            deadline = time.time() + 20
            while os.path.exists('/proc/%d' % pid) and time.time() < deadline:
                time.sleep(0.1)
            if os.path.exists('/proc/%d' % pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def purge(self):
        if not self.added:
            return  # install() never began: nothing of ours to remove
        self.stop()
        subprocess.run(['apt-get', 'purge', '-y', '-qq'] + self.added, env=self.env,
                       stdout=subprocess.DEVNULL)
        self.added = []
        shutil.rmtree(self.SPOOL, ignore_errors=True)
