"""Start `python -m celprice ARGS...` the way a shell in a terminal starts it.

A program started in the background of a non-interactive shell (`pytest ... &`,
`nohup`, some CI runners) inherits SIGINT *ignored*, and Python then rightly
leaves it ignored: Ctrl-C tests run from such a pytest could never pass. This
restores SIGINT's default before exec, so the child installs its usual handler.
With `--tty` the child also becomes a session leader with the terminal on its
stdin as controlling terminal, so a Ctrl-C typed there (a 0x03 byte written to
the pty) sends it SIGINT, as it would for a user.

Usage: python foreground.py [--tty] ARGS...
"""
import os
import signal
import sys

args = sys.argv[1:]
signal.signal(signal.SIGINT, signal.SIG_DFL)
if args[:1] == ["--tty"]:
    import fcntl
    import termios

    args = args[1:]
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
os.execv(sys.executable, [sys.executable, "-m", "celprice", *args])
