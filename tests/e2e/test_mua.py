"""A real mail user agent, Debian's bsd-mailx, sending through our
sendmail: the message lands in the queue with the header qmail-inject
completes. tests/run unpacks bsd-mailx into build/mailx (the package
depends on an MTA, so it is extracted rather than installed)."""
import os
import re
import shutil
import unittest

from harness import Q, REPO

MAILX = os.path.join(REPO, 'build', 'mailx', 'usr', 'bin', 'bsd-mailx')


class Mailx(unittest.TestCase):
    def setUp(self):
        if not os.path.exists(MAILX):
            self.fail('bsd-mailx was not unpacked into build/mailx (tests/run does that)')
        # a copy the test user can reach (the checkout may be private)
        self.mailx = os.path.join(Q.root, 'bsd-mailx')
        shutil.copy(MAILX, self.mailx)
        os.chmod(self.mailx, 0o755)
        Q.clear_queue()
        Q.control('me', 'mua.example.org\n')
        self.rc = os.path.join(Q.root, 'mailrc')
        with open(self.rc, 'w') as f:
            f.write('set sendmail=%s\n' % Q.bin('sendmail'))
        os.chmod(self.rc, 0o644)

    def tearDown(self):
        Q.clear_queue()
        os.unlink(os.path.join(Q.home, 'control/me'))

    def test_mailx_send(self):
        r = Q.run([self.mailx, '-s', 'Greetings from mailx', 'friend@example.net', 'other'],
                  input=b'first line\n.dot line\nlast line\n', user='nobody',
                  env={'MAILRC': self.rc, 'HOME': '/nonexistent', 'USER': 'nobody',
                       'LOGNAME': 'nobody'})
        self.assertEqual((r.returncode, r.stderr), (0, b''), r)
        files = Q.queue_files()
        todo = [v for k, v in files.items() if k.startswith('todo/')]
        self.assertEqual(len(todo), 1, files.keys())
        env = todo[0].split(b'\0')
        self.assertEqual(env[0], b'u%d' % Q.uid('nobody'))
        self.assertEqual(env[2], b'Fnobody@mua.example.org')
        # mailx hands over the header's To: line; qmail-inject takes the
        # addresses of one field from its end
        self.assertEqual(env[3:-1], [b'Tother@mua.example.org', b'Tfriend@example.net'])
        mess = [v for k, v in files.items() if k.startswith('mess/')][0]
        header, body = mess.split(b'\n\n', 1)
        self.assertEqual(body, b'first line\n.dot line\nlast line\n')
        lines = header.split(b'\n')
        self.assertRegex(lines[0], rb'^Received: \(qmail \d+ invoked by uid %d\); ' % Q.uid('nobody'))
        self.assertIn(b'Subject: Greetings from mailx', lines)
        self.assertIn(b'To: friend@example.net, other@mua.example.org', lines)
        self.assertIn(b'From: nobody@mua.example.org', lines)
        self.assertTrue(any(re.match(rb'^Date: \d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d -0000$', l)
                            for l in lines), header)
        self.assertTrue(any(re.match(rb'^Message-ID: <\d{14}\.\d+\.qmail@mua\.example\.org>$', l)
                            for l in lines), header)


if __name__ == '__main__':
    unittest.main()
