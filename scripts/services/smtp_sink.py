#!/usr/bin/env python3
"""An SMTP sink for tests: accepts every message and stores it as a file.

    smtp_sink.py --port PORT --dir DIR [--host 127.0.0.1]

Each message accepted is written to DIR/mail/<time>-<id>.eml as the raw RFC 5322 bytes the
client sent after DATA. The file is written under DIR/tmp/ first and renamed into DIR/mail/,
so a reader never sees a partial message and DIR/mail/ holds nothing but complete .eml files.
The SMTP envelope (MAIL FROM, RCPT TO: what Bcc turns into) is written beside it, before the
rename, as DIR/envelopes/<same name>.json. File names sort in arrival order.

AUTH PLAIN/LOGIN is offered without TLS and any credentials are accepted, so clients work
with or without a user name. There is no STARTTLS. Runs until SIGTERM or SIGINT.
"""

import argparse
import asyncio
import itertools
import json
import os
import signal
import time
import uuid

from aiosmtpd.smtp import SMTP, AuthResult


class MaildirHandler:
    def __init__(self, root: str) -> None:
        self.mail = os.path.join(root, "mail")
        self.tmp = os.path.join(root, "tmp")
        self.envelopes = os.path.join(root, "envelopes")
        for d in (self.mail, self.tmp, self.envelopes):
            os.makedirs(d, exist_ok=True)
        self.seq = itertools.count()

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content
        if raw is None:
            raw = envelope.content if isinstance(envelope.content, bytes) else envelope.content.encode()
        name = f"{time.time_ns():020d}-{next(self.seq):06d}-{uuid.uuid4().hex[:8]}"
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "peer": str(session.peer[0]) if session.peer else None,
            "received_at_ms": time.time_ns() // 1_000_000,
            "size": len(raw),
        }
        self._write(os.path.join(self.envelopes, name + ".json"), json.dumps(meta, indent=2).encode())
        self._write(os.path.join(self.mail, name + ".eml"), raw)
        return "250 2.0.0 Message accepted"

    def _write(self, final: str, data: bytes) -> None:
        tmp = os.path.join(self.tmp, os.path.basename(final) + ".part")
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, final)


def accept_any(server, session, envelope, mechanism, auth_data):
    return AuthResult(success=True)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True)
    args = parser.parse_args()

    handler = MaildirHandler(args.dir)
    loop = asyncio.get_running_loop()

    def factory():
        return SMTP(
            handler,
            hostname="atrium-test-sink",
            decode_data=False,
            enable_SMTPUTF8=True,
            authenticator=accept_any,
            auth_require_tls=False,
            data_size_limit=64 * 1024 * 1024,
        )

    server = await loop.create_server(factory, host=args.host, port=args.port)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"smtp sink listening on {args.host}:{args.port}, writing to {handler.mail}", flush=True)
    await stop.wait()
    server.close()
    await server.wait_closed()


if __name__ == "__main__":
    asyncio.run(main())
