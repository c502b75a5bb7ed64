"""A private SMTP server for tests (Debian python3-aiosmtpd): STARTTLS required, AUTH LOGIN/PLAIN
only after STARTTLS with one user, every accepted message printed as one JSON line on stdout.

usage: smtp-server.py PORT CERTFILE KEYFILE USER PASSWORD
"""
import asyncio
import base64
import json
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

port, certfile, keyfile, user, password = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]


class Handler:
    async def handle_DATA(self, server, session, envelope):
        print(json.dumps({
            "from": envelope.mail_from,
            "to": envelope.rcpt_tos,
            "tls": session.ssl is not None,
            "authenticated": bool(session.authenticated),
            "data": base64.b64encode(envelope.original_content or envelope.content).decode(),
        }), flush=True)
        return "250 OK"


def authenticate(server, session, envelope, mechanism, auth_data):
    if isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user and auth_data.password.decode() == password:
        return AuthResult(success=True)
    return AuthResult(success=False, handled=False)


context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
context.load_cert_chain(certfile, keyfile)
controller = Controller(
    Handler(), hostname="127.0.0.1", port=int(port), tls_context=context, require_starttls=True,
    authenticator=authenticate, auth_required=True, auth_require_tls=True,
)
controller.start()
print("READY", flush=True)
try:
    asyncio.get_event_loop().run_forever()
except KeyboardInterrupt:
    pass
finally:
    controller.stop()
