#!/usr/bin/python3
"""A real SMTP server for Success's tests (Debian's python3-aiosmtpd).

Every message it accepts is saved in a Maildir, so a test counts what arrived and reads it.
Options make it behave like the servers Success must cope with: AUTH, STARTTLS, a refusal, and
a connection that drops after the message was received (the sender cannot know it arrived).

    smtp-server.py --port 2525 --maildir /tmp/mail [--user U --password P]
                   [--tls-cert cert.pem --tls-key key.pem] [--reply "550 5.1.1 No such user"]
                   [--drop-after-data]

Prints "ready <port>" once it listens; stops on SIGTERM or SIGINT.
"""
import argparse
import mailbox
import signal
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class Handler:
    def __init__(self, maildir, reply, drop_after_data):
        self.box = mailbox.Maildir(maildir, create=True)
        self.reply = reply
        self.drop_after_data = drop_after_data

    async def handle_DATA(self, server, session, envelope):
        if self.reply:
            return self.reply
        self.box.add(envelope.original_content or envelope.content)
        self.box.flush()
        if self.drop_after_data:
            # The message is stored, but the client never hears "250".
            server.transport.abort()
            return "250 OK (never seen)"
        return "250 2.0.0 OK queued"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--maildir", required=True)
    p.add_argument("--user")
    p.add_argument("--password")
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--reply", help="answer every message with this SMTP reply instead of accepting it")
    p.add_argument("--drop-after-data", action="store_true")
    a = p.parse_args()

    kwargs = {}
    if a.tls_cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(a.tls_cert, a.tls_key)
        kwargs["tls_context"] = context
        kwargs["require_starttls"] = True
    if a.user:
        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = auth_data.login == a.user.encode() and auth_data.password == a.password.encode()
            return AuthResult(success=ok, handled=False)

        kwargs["authenticator"] = authenticator
        kwargs["auth_required"] = True
        kwargs["auth_require_tls"] = bool(a.tls_cert)

    controller = Controller(
        Handler(a.maildir, a.reply, a.drop_after_data), hostname=a.host, port=a.port, **kwargs
    )
    controller.start()
    print(f"ready {a.port}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    sys.exit(main())
