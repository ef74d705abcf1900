"""make setup / make check on the scratch tree: the installed hierarchy
matches the spec's table, check names wrong entries, setup repairs them and
keeps the queue and the control files, and missing accounts stop the build
with a clear message."""
import os
import shutil
import stat
import subprocess
import tempfile
import unittest

from harness import Q, mode_of

# (path, kind, owner, mode) from the spec's installed-hierarchy table
DIRS = [('.', 'root', 0o755), ('alias', 'alias', 0o2755)] + \
    [(d, 'root', 0o755) for d in ('bin', 'boot', 'control', 'doc', 'man', 'users')] + \
    [('man/%s%d' % (k, n), 'root', 0o755) for k in ('man', 'cat') for n in (1, 5, 7, 8)] + \
    [('queue', 'qmailq', 0o750), ('queue/pid', 'qmailq', 0o700), ('queue/intd', 'qmailq', 0o700),
     ('queue/todo', 'qmailq', 0o750), ('queue/bounce', 'qmails', 0o700),
     ('queue/lock', 'qmailq', 0o750)]
SPLIT = [('queue/mess', 'qmailq', 0o750), ('queue/info', 'qmails', 0o700),
         ('queue/local', 'qmails', 0o700), ('queue/remote', 'qmails', 0o700)]


def make(*targets):
    return subprocess.run(['make', '-s', '-C', Q.tree] + list(targets),
                          capture_output=True, text=True)


class Hierarchy(unittest.TestCase):
    def assertEntry(self, rel, owner, mode, kind=stat.S_ISDIR):
        st = os.lstat(os.path.join(Q.home, rel))
        self.assertTrue(kind(st.st_mode), rel)
        self.assertEqual(st.st_uid, Q.uid(owner), rel)
        self.assertEqual(st.st_gid, Q.gid('qmail'), rel)
        self.assertEqual(mode_of(st), mode, '%s: %o' % (rel, mode_of(st)))

    def test_directories(self):
        for rel, owner, mode in DIRS:
            self.assertEntry(rel, owner, mode)
        for rel, owner, mode in SPLIT:
            self.assertEntry(rel, owner, mode)
            subdirs = sorted(os.listdir(os.path.join(Q.home, rel)), key=int)
            self.assertEqual(subdirs, [str(i) for i in range(Q.split)])
            for sub in subdirs:
                self.assertEntry(rel + '/' + sub, owner, mode)

    def test_lock_files(self):
        self.assertEntry('queue/lock/tcpto', 'qmailr', 0o644, stat.S_ISREG)
        self.assertEntry('queue/lock/sendmutex', 'qmails', 0o600, stat.S_ISREG)
        self.assertEntry('queue/lock/trigger', 'qmails', 0o622, stat.S_ISFIFO)
        self.assertEqual(open(os.path.join(Q.queue, 'lock/tcpto'), 'rb').read(), b'\0' * 3072)
        self.assertEqual(os.path.getsize(os.path.join(Q.queue, 'lock/sendmutex')), 0)

    def test_programs(self):
        self.assertEntry('bin/qmail-queue', 'qmailq', 0o4711, stat.S_ISREG)
        # setuid root, and only qmaild's group may run it
        st = os.lstat(Q.bin('qmail-rcptcheck'))
        self.assertEqual((st.st_uid, st.st_gid, mode_of(st)), (0, Q.gid('nofiles'), 0o4510))
        for name in os.listdir(os.path.join(Q.home, 'bin')):
            if name == 'qmail-rcptcheck':
                continue
            st = os.lstat(Q.bin(name))
            self.assertTrue(stat.S_ISREG(st.st_mode), name)
            self.assertEqual(st.st_gid, Q.gid('qmail'), name)
            self.assertIn(mode_of(st), (0o755, 0o711, 0o700, 0o4711), name)

    def test_manual_pages(self):
        for name in os.listdir(os.path.join(Q.tree, 'man')):
            section = name.rsplit('.', 1)[1]
            self.assertEntry('man/man%s/%s' % (section, name), 'root', 0o644, stat.S_ISREG)


class CheckAndRepair(unittest.TestCase):
    def tearDown(self):
        # leave a correct installation behind for the other tests
        r = make('setup', 'check')
        self.assertEqual(r.returncode, 0, r.stderr)
        Q.clear_queue()

    def test_check_names_wrong_entries(self):
        self.assertEqual(make('check').returncode, 0)
        os.chmod(os.path.join(Q.queue, 'todo'), 0o755)
        os.chown(os.path.join(Q.queue, 'lock/tcpto'), 0, Q.gid('qmail'))
        r = make('check')
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(os.path.join(Q.queue, 'todo') + ': wrong mode (is 755, should be 750)', r.stderr)
        self.assertIn(os.path.join(Q.queue, 'lock/tcpto') + ': wrong owner (is 0, should be %d)'
                      % Q.uid('qmailr'), r.stderr)
        self.assertIn('instcheck: fatal: the installation under %s is not right' % Q.home, r.stderr)

    def test_check_names_missing_and_wrong_type(self):
        trigger = os.path.join(Q.queue, 'lock/trigger')
        os.unlink(trigger)
        open(trigger, 'w').close()
        os.rmdir(os.path.join(Q.queue, 'mess', '7'))
        r = make('check')
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(trigger + ': wrong type', r.stderr)
        self.assertIn(os.path.join(Q.queue, 'mess/7') + ': missing', r.stderr)
        # setup puts the named pipe and the directory back
        self.assertEqual(make('setup', 'check').returncode, 0)
        self.assertTrue(stat.S_ISFIFO(os.lstat(trigger).st_mode))

    def test_setup_repairs_what_check_refuses(self):
        """What check would refuse and setup can put right without losing
        queued mail: a lock file of the wrong size, a trigger of the wrong
        type, owner or mode, missing queue subdirectories."""
        tcpto = os.path.join(Q.queue, 'lock/tcpto')
        trigger = os.path.join(Q.queue, 'lock/trigger')
        open(tcpto, 'wb').close()
        os.chmod(trigger, 0o600)
        os.chown(trigger, 0, 0)
        for d in ('local/2', 'info/3'):
            os.rmdir(os.path.join(Q.queue, d))
        r = make('check')
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(tcpto + ': wrong size (is 0, should be 3072)', r.stderr)
        self.assertIn(trigger + ': wrong mode (is 600, should be 622)', r.stderr)
        r = make('setup', 'check')
        self.assertEqual((r.returncode, r.stderr), (0, ''))
        self.assertEqual(open(tcpto, 'rb').read(), b'\0' * 3072)
        st = os.lstat(tcpto)
        self.assertEqual((st.st_uid, mode_of(st)), (Q.uid('qmailr'), 0o644))
        st = os.lstat(trigger)
        self.assertTrue(stat.S_ISFIFO(st.st_mode))
        self.assertEqual((st.st_uid, st.st_gid, mode_of(st)), (Q.uid('qmails'), Q.gid('qmail'), 0o622))
        for d in ('local/2', 'info/3'):
            self.assertTrue(os.path.isdir(os.path.join(Q.queue, d)), d)

    def test_setup_again_keeps_queue_and_control(self):
        Q.clear_queue()
        env_r, env_w = os.pipe()
        os.write(env_w, b'Fa\0Tb\0\0')
        os.close(env_w)
        r = subprocess.run([Q.bin('qmail-queue')], input=b'keep me\n', stdout=env_r, cwd='/')
        os.close(env_r)
        self.assertEqual(r.returncode, 0)
        before = Q.queue_files()
        Q.control('me', 'kept.example\n')
        tcpto = os.path.join(Q.queue, 'lock/tcpto')
        with open(tcpto, 'r+b') as f:
            f.write(b'\1' * 16)
        self.assertEqual(make('setup', 'check').returncode, 0)
        self.assertEqual(Q.queue_files(), before)
        self.assertEqual(open(os.path.join(Q.home, 'control/me')).read(), 'kept.example\n')
        self.assertEqual(open(tcpto, 'rb').read(16), b'\1' * 16)
        os.unlink(os.path.join(Q.home, 'control/me'))
        with open(tcpto, 'wb') as f:
            f.write(b'\0' * 3072)


class MissingAccounts(unittest.TestCase):
    def test_build_stops_naming_the_missing_users(self):
        tree = tempfile.mkdtemp()
        try:
            for name in ('conf-users', 'conf-groups'):
                shutil.copy(os.path.join(Q.tree, name), tree)
            with open(os.path.join(tree, 'conf-users'), 'w') as f:
                f.write('alias\nqmaild\nnosuchqmailuser\nroot\nqmailp\nqmailq\nqmailr\nqmails\n')
            r = subprocess.run([os.path.join(Q.tree, 'src/mkauto'), 'uids', tree],
                               capture_output=True, text=True)
            self.assertEqual(r.returncode, 1)
            self.assertEqual(r.stdout, '')
            self.assertEqual(r.stderr,
                             'mkauto: fatal: these qmail accounts do not exist: nosuchqmailuser\n'
                             "mkauto: create them with 'make users' (as root), see INSTALL\n")
        finally:
            shutil.rmtree(tree)

    def test_make_users_is_idempotent(self):
        r = make('users')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn('created', r.stdout)


if __name__ == '__main__':
    unittest.main()
