#!/usr/bin/python3
"""A stand-in for journald's socket in the benchmarks: binds a datagram
socket at argv[1] and reads every datagram sent to it, as journald does,
until it is killed. Prints how many it read, on SIGTERM, to argv[2]."""
import os
import signal
import socket
import sys

path, count_file = sys.argv[1], sys.argv[2]
received = 0


def stop(*_):
    with open(count_file, "w") as out:
        out.write(f"{received}\n")
    sys.exit(0)


signal.signal(signal.SIGTERM, stop)
if os.path.exists(path):
    os.unlink(path)
sink = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sink.bind(path)
while True:
    sink.recv(1 << 16)
    received += 1
