#!/usr/bin/env python3
"""CPU time of the registration phase of `registration-bench`, read from /proc (user +
system of the whole process: server, client and SQLite threads; PostgreSQL's own backends
are other processes and not counted). Prints the bench's output and, after the
registrations line, the process's CPU milliseconds per registration and its share of the
machine's cores during the phase. On a shared machine this is the steadier figure: it
does not depend on how much CPU the other builds leave us.

    python3 bench/registration/cpu.py ./target/release/registration-bench sqlite 4000 16
"""
import os
import subprocess
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")


def cpu(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, text=True)
start = None
n = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
for line in proc.stdout:
    print(line, end="", flush=True)
    if line.startswith("challenges issued"):
        start = (cpu(proc.pid), time.monotonic())
    elif line.startswith("registrations") and start:
        c, t = cpu(proc.pid) - start[0], time.monotonic() - start[1]
        print(f"  registration phase: {c * 1000 / n:.2f} ms CPU per registration, "
              f"process at {100 * c / t:.0f} % of one core", flush=True)
proc.wait()
sys.exit(proc.returncode)
