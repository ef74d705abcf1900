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
    Q.queue_files()      {relative path: bytes} of every file in the queue
    Q.control('me', 'example.org\\n'); Q.clear_controls()
"""
import grp
import os
import pwd
import shutil
import stat
import subprocess
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COPIED = ['src', 'man', 'doc', 'Makefile', 'conf-cc', 'conf-ld', 'conf-split', 'conf-users',
          'conf-groups', 'conf-spawn', 'conf-break', 'conf-patrn']
QUEUE_SPLIT_DIRS = ['mess', 'info', 'local', 'remote']
QUEUE_FLAT_DIRS = ['pid', 'intd', 'todo', 'bounce']


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

    def queue_files(self):
        """{'mess/5/1234': b'...', ...} for every file in the queue."""
        found = {}
        for d in self.queue_dirs():
            path = os.path.join(self.queue, d)
            for name in os.listdir(path):
                with open(os.path.join(path, name), 'rb') as f:
                    found['%s/%s' % (d, name)] = f.read()
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
