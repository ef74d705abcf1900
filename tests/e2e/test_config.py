"""config-fast: the control files it writes and what it says."""
import os
import subprocess
import unittest

from harness import Q


class ConfigFast(unittest.TestCase):
    def setUp(self):
        self.saved = {}
        cdir = os.path.join(Q.home, 'control')
        for name in os.listdir(cdir):
            with open(os.path.join(cdir, name), 'rb') as f:
                self.saved[name] = f.read()
        Q.clear_controls()

    def tearDown(self):
        Q.clear_controls()
        for name, data in self.saved.items():
            with open(os.path.join(Q.home, 'control', name), 'wb') as f:
                f.write(data)

    def controls(self):
        cdir = os.path.join(Q.home, 'control')
        found = {}
        for name in sorted(os.listdir(cdir)):
            st = os.stat(os.path.join(cdir, name))
            self.assertEqual(st.st_mode & 0o777, 0o644, name)
            found[name] = open(os.path.join(cdir, name)).read()
        return found

    def config_fast(self, name):
        return subprocess.run([os.path.join(Q.tree, 'build', 'config-fast'), name],
                              capture_output=True, text=True)

    def test_three_labels(self):
        r = self.config_fast('mail.example.org')
        self.assertEqual((r.returncode, r.stderr), (0, ''))
        self.assertEqual(r.stdout,
                         'Your fully qualified host name is mail.example.org.\n'
                         'Putting mail.example.org into control/me...\n'
                         'Putting example.org into control/defaultdomain...\n'
                         'Putting example.org into control/plusdomain...\n'
                         'Putting mail.example.org into control/locals...\n'
                         'Putting mail.example.org into control/rcpthosts...\n'
                         'Now qmail will refuse to accept SMTP messages except to mail.example.org.\n'
                         'Make sure to change rcpthosts if you add hosts to locals or virtualdomains!\n')
        self.assertEqual(self.controls(), {
            'defaultdomain': 'example.org\n', 'locals': 'mail.example.org\n',
            'me': 'mail.example.org\n', 'plusdomain': 'example.org\n',
            'rcpthosts': 'mail.example.org\n'})

    def test_other_shapes_and_appending(self):
        self.assertEqual(self.config_fast('a.b.c.example.co.uk').returncode, 0)
        c = self.controls()
        self.assertEqual((c['defaultdomain'], c['plusdomain']), ('b.c.example.co.uk\n', 'co.uk\n'))
        self.assertEqual(self.config_fast('example.org').returncode, 0)
        c = self.controls()
        self.assertEqual((c['me'], c['defaultdomain'], c['plusdomain']),
                         ('example.org\n', 'example.org\n', 'example.org\n'))
        self.assertEqual(c['locals'], 'a.b.c.example.co.uk\nexample.org\n')
        self.assertEqual(c['rcpthosts'], 'a.b.c.example.co.uk\nexample.org\n')

    def test_usage(self):
        r = subprocess.run([os.path.join(Q.tree, 'build', 'config-fast')], capture_output=True, text=True)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('usage: config-fast fqdn', r.stderr)


if __name__ == '__main__':
    unittest.main()
