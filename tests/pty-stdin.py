#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Runs a command with a terminal on its standard input, as a person at a shell would.

    pty-stdin.py [--wait-for FILE] TEXT COMMAND [ARG]...

The command's stdin is the slave side of a new pseudo-terminal (its stdout and stderr
are this script's, so a test can still redirect them to files); TEXT and then an
end-of-file (^D) are typed into it.  What the terminal echoes is thrown away.  Exits with
the command's status (128+N when signal N ended it), or 124 when it has not ended within
30 seconds (it is then killed by its pid).  With --wait-for, the text is typed only once
FILE exists (a test holds the answer back while it checks what happens meanwhile).  Tests use it to answer prompts that tools only
ask on a terminal (reg's "(Yes/No)?").
"""
import fcntl
import os
import pty
import select
import signal
import sys
import termios
import time

args = sys.argv[1:]
wait_for = None
if len(args) >= 2 and args[0] == "--wait-for":
    wait_for = args[1]
    args = args[2:]
if len(args) < 2:
    sys.exit("usage: pty-stdin.py [--wait-for FILE] TEXT COMMAND [ARG]...")
text = args[0].encode()
master, slave = pty.openpty()
pid = os.fork()
if pid == 0:
    os.close(master)
    os.setsid()                         # a session whose controlling terminal is the pty
    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    os.dup2(slave, 0)
    if slave > 2:
        os.close(slave)
    try:
        os.execvp(args[1], args[1:])
    except OSError as e:
        print(f"pty-stdin.py: cannot run {args[1]}: {e.strerror}", file=sys.stderr)
        os._exit(127)
os.close(slave)
# Typed ahead: canonical mode holds each line until the command reads it; ^D at the start
# of a line is end of input.
typed = False
deadline = time.monotonic() + 30
status = None
while status is None:
    if not typed and (wait_for is None or os.path.exists(wait_for)):
        os.write(master, text + b"\n\x04" if text else b"\x04")
        typed = True
    left = deadline - time.monotonic()
    if left <= 0:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        sys.exit(124)
    r, _, _ = select.select([master], [], [], min(left, 0.05))
    if r:
        try:
            os.read(master, 4096)       # the echo
        except OSError:
            pass
    done, st = os.waitpid(pid, os.WNOHANG)
    if done:
        status = st
os.close(master)
sys.exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else
         128 + os.WTERMSIG(status))
