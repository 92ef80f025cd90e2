#!/usr/bin/env python3
"""A tiny SMTP sink for tests: accepts every message and writes it to a directory.

Usage: sink.py --dir DIR [--host 127.0.0.1] [--port 0]

Listens on HOST:PORT (port 0 picks a free one), prints `READY <port>` on stdout once it
accepts connections, and writes each received message to DIR/<n>.eml (written to a
temporary name first, then renamed, so readers never see half a file). The envelope is
recorded in `X-Sink-Mail-From` / `X-Sink-Rcpt-To` headers in front of the message.
Exits when stdin reaches end of file (the test that started it went away) or on SIGTERM.

Needs aiosmtpd (`pip install aiosmtpd`).
"""

import argparse
import asyncio
import itertools
import os
import sys
import threading

from aiosmtpd.smtp import SMTP


class Handler:
    def __init__(self, directory):
        self.directory = directory
        self.counter = itertools.count(1)

    async def handle_DATA(self, server, session, envelope):
        n = next(self.counter)
        head = (
            f"X-Sink-Mail-From: {envelope.mail_from}\r\n"
            f"X-Sink-Rcpt-To: {', '.join(envelope.rcpt_tos)}\r\n"
        ).encode()
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode()
        tmp = os.path.join(self.directory, f".{n}.tmp")
        with open(tmp, "wb") as f:
            f.write(head + content)
        os.replace(tmp, os.path.join(self.directory, f"{n}.eml"))
        return "250 Message accepted for delivery"


def watch_stdin():
    try:
        while sys.stdin.buffer.read(4096):
            pass
    except Exception:
        pass
    os._exit(0)


async def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--no-stdin-watch", action="store_true", help="keep running when stdin closes")
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    handler = Handler(args.dir)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, enable_SMTPUTF8=True), host=args.host, port=args.port
    )
    port = server.sockets[0].getsockname()[1]
    print(f"READY {port}", flush=True)
    if not args.no_stdin_watch:
        threading.Thread(target=watch_stdin, daemon=True).start()
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
