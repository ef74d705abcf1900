"""harness.py: a scratch qmail installation for end-to-end tests.

The scratch tree lives in its own directory (never /var/qmail): the
sources are copied there, conf-qmail is pointed at SCRATCH/qmail, and the
real `make setup check` builds and installs it as root with the real qmail
users. One installation serves a whole test run; run.py builds it and
passes its location on in QMAIL_E2E_ROOT, so each test module reuses it.

Use:
    from harness import Q
    Q.home               the scratch QMAILHOME
    Q.bin('qmail-queue') path of an installed program
    Q.run([...], input=b'', env={}, user='alias')  run a program
    Q.clear_queue()      remove every queued message
    Q.queue_names()      relative path of every file in the queue
    Q.queue_files()      {relative path: bytes} of every file in the queue
    Q.control('me', 'example.org\\n'); Q.clear_controls()
    set_users_assign([(pw, home)])  users/assign and users/cdb

    class T(UserHomeCase)  tests run as TEST_USER, each in a fresh home
                           directory (self.home) with an empty queue
"""
import grp
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COPIED = ['src', 'man', 'doc', 'Makefile', 'conf-cc', 'conf-ld', 'conf-split', 'conf-users',
          'conf-groups', 'conf-spawn', 'conf-break', 'conf-patrn']
QUEUE_SPLIT_DIRS = ['mess', 'info', 'local', 'remote']
QUEUE_FLAT_DIRS = ['pid', 'intd', 'todo', 'bounce']
TEST_USER = 'qltest1'  # a real user for deliveries: created if missing, left in place


def build_scratch(root):
    """Copy the sources to root/tree, install into root/qmail."""
    tree = os.path.join(root, 'tree')
    os.makedirs(tree, exist_ok=True)
    for name in COPIED:
        src = os.path.join(REPO, name)
        dst = os.path.join(tree, name)
        if os.path.isdir(src):
            shutil.rmtree(dst, ignore_errors=True)
            shutil.copytree(src, dst)
        elif os.path.exists(src):
            shutil.copy(src, dst)
    with open(os.path.join(tree, 'conf-qmail'), 'w') as f:
        f.write(os.path.join(root, 'qmail') + '\n\nscratch QMAILHOME for the tests\n')
    subprocess.run(['make', '-s', '-C', tree, 'setup', 'check'], check=True,
                   stdout=subprocess.DEVNULL)


def new_root():
    # Under /tmp with mode 0755: the qmail users must be able to reach it,
    # which a checkout inside a private directory would not allow.
    root = tempfile.mkdtemp(prefix='qmail-e2e-', dir='/tmp')
    os.chmod(root, 0o755)
    return root


class Scratch:
    def __init__(self):
        root = os.environ.get('QMAIL_E2E_ROOT')
        if not root:
            root = new_root()
            os.environ['QMAIL_E2E_ROOT'] = root
        self.root = root
        self.home = os.path.join(root, 'qmail')
        self.tree = os.path.join(root, 'tree')
        if not os.path.exists(os.path.join(self.home, 'bin', 'qmail-queue')):
            build_scratch(root)
        self.queue = os.path.join(self.home, 'queue')
        self.split = int(open(os.path.join(self.tree, 'conf-split')).readline())

    def bin(self, name):
        return os.path.join(self.home, 'bin', name)

    def run(self, argv, input=b'', env=None, user=None, timeout=60, cwd=None, pass_fds=()):
        """Run argv (argv[0] may be a bare program name from bin/)."""
        argv = list(argv)
        if '/' not in argv[0]:
            argv[0] = self.bin(argv[0])
        kwargs = {}
        if user is not None:
            pw = pwd.getpwnam(user)
            kwargs.update(user=pw.pw_uid, group=pw.pw_gid, extra_groups=[])
        full_env = {'PATH': '/usr/bin:/bin'}
        if env:
            full_env.update(env)
        return subprocess.run(argv, input=input, capture_output=True, env=full_env,
                              timeout=timeout, cwd=cwd or '/', pass_fds=pass_fds, **kwargs)

    def uid(self, user):
        return pwd.getpwnam(user).pw_uid

    def gid(self, group):
        return grp.getgrnam(group).gr_gid

    def queue_dirs(self):
        for d in QUEUE_FLAT_DIRS:
            yield d
        for d in QUEUE_SPLIT_DIRS:
            for i in range(self.split):
                yield '%s/%d' % (d, i)

    def clear_queue(self):
        for d in self.queue_dirs():
            path = os.path.join(self.queue, d)
            for name in os.listdir(path):
                os.unlink(os.path.join(path, name))

    def queue_names(self):
        """['mess/5/1234', ...]: every file in the queue."""
        return ['%s/%s' % (d, name) for d in self.queue_dirs()
                for name in os.listdir(os.path.join(self.queue, d))]

    def queue_files(self):
        """{'mess/5/1234': b'...', ...} for every file in the queue (one
        that goes while they are read is left out)."""
        found = {}
        for k in self.queue_names():
            try:
                with open(os.path.join(self.queue, k), 'rb') as f:
                    found[k] = f.read()
            except FileNotFoundError:
                pass
        return found

    def queue_stat(self, relpath):
        return os.lstat(os.path.join(self.queue, relpath))

    def control(self, name, text):
        with open(os.path.join(self.home, 'control', name), 'w') as f:
            f.write(text)

    def clear_controls(self):
        cdir = os.path.join(self.home, 'control')
        for name in os.listdir(cdir):
            os.unlink(os.path.join(cdir, name))


def mode_of(st):
    return stat.S_IMODE(st.st_mode)


Q = Scratch()


def set_users_assign(homes, tail=''):
    """users/assign as qmail-pw2u would make it for the accounts in homes
    ([(pw, home directory)]: each user and its extensions delivered in
    that home), then the lines of tail; compiled into users/cdb by
    qmail-newu."""
    lines = ''
    for pw, home in homes:
        lines += '=%s:%s:%d:%d:%s:::\n' % (pw.pw_name, pw.pw_name, pw.pw_uid, pw.pw_gid, home)
        lines += '+%s-:%s:%d:%d:%s:-::\n' % (pw.pw_name, pw.pw_name, pw.pw_uid, pw.pw_gid, home)
    with open(os.path.join(Q.home, 'users', 'assign'), 'w') as f:
        f.write(lines + tail + '.\n')
    r = Q.run(['qmail-newu'])
    assert (r.returncode, r.stderr) == (0, b''), r


def ensure_test_user():
    try:
        pwd.getpwnam(TEST_USER)
    except KeyError:
        subprocess.run(['useradd', '-M', '-N', '-d', '/nonexistent', '-s', '/bin/sh', TEST_USER],
                       check=True, stdout=subprocess.DEVNULL)


class UserHomeCase(unittest.TestCase):
    """Tests run as TEST_USER (self.pw): each gets a fresh scratch
    directory self.top (named after scratch_prefix) holding its home
    directory self.home (TEST_USER's, mode 0755) and self.msgfile, the
    message file a program reads on fd 0; the queue is emptied before and
    after each test."""

    scratch_prefix = 'home-'

    @classmethod
    def setUpClass(cls):
        ensure_test_user()
        cls.pw = pwd.getpwnam(TEST_USER)

    def setUp(self):
        Q.clear_queue()
        self.top = tempfile.mkdtemp(prefix=self.scratch_prefix, dir=Q.root)
        os.chmod(self.top, 0o755)
        self.home = os.path.join(self.top, 'home')
        os.mkdir(self.home, 0o755)
        os.chown(self.home, self.pw.pw_uid, self.pw.pw_gid)
        os.chmod(self.home, 0o755)
        self.msgfile = os.path.join(self.top, 'message')

    def tearDown(self):
        Q.clear_queue()
        shutil.rmtree(self.top, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.home, name)

    def write(self, name, data, mode=0o644, mtime=None):
        """Write data (bytes or str) to name in the home, owned by TEST_USER."""
        p = self.path(name)
        with open(p, 'wb') as f:
            f.write(data if isinstance(data, bytes) else data.encode())
        os.chown(p, self.pw.pw_uid, self.pw.pw_gid)
        os.chmod(p, mode)
        if mtime is not None:
            os.utime(p, (mtime, mtime))

    def read(self, name):
        with open(self.path(name), 'rb') as f:
            return f.read()

    def mkdirs(self, *names):
        """Make each of names in the home, mode 0700, owned by TEST_USER."""
        for name in names:
            os.mkdir(self.path(name), 0o700)
            os.chown(self.path(name), self.pw.pw_uid, self.pw.pw_gid)

    def run_with_message_file(self, argv, message, env=None, cwd=None, timeout=60, vmem_kb=None):
        """Run argv as TEST_USER with message on fd 0 as a file (seekable,
        as qmail-local gives it), with at most vmem_kb of address space if
        given."""
        with open(self.msgfile, 'wb') as f:
            f.write(message)
        os.chmod(self.msgfile, 0o644)
        limit = 'ulimit -v %d; ' % vmem_kb if vmem_kb else ''
        return Q.run(['/bin/sh', '-c', limit + 'f=$1; shift; exec "$@" < "$f"', 'sh', self.msgfile] + argv,
                     env=env, user=TEST_USER, cwd=cwd, timeout=timeout)

    def run_qmail_local(self, args, message, vmem_kb=None):
        """qmail-local args, as run_with_message_file runs it; env -u PWD
        keeps sh's PWD out of the environment qmail-local passes on."""
        return self.run_with_message_file(['env', '-u', 'PWD', Q.bin('qmail-local')] + args, message,
                                          vmem_kb=vmem_kb)

    def queued(self):
        """[(intd envelope fields, message)] of every queued message."""
        files = Q.queue_files()
        found = []
        for k in sorted(files):
            if k.startswith('todo/'):
                n = k.split('/')[1]
                fields = files['intd/' + n].split(b'\0')[:-1]
                found.append((fields, files['mess/%d/%s' % (int(n) % Q.split, n)]))
        return found
