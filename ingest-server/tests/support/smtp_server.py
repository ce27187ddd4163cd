"""A real SMTP server for the notification tests (aiosmtpd, from PyPI).

    python smtp_server.py PORT CERT KEY USER PASSWORD OUT_DIR

Listens on 127.0.0.1:PORT, requires STARTTLS (with CERT/KEY) and then AUTH
with USER/PASSWORD; writes each accepted mail to OUT_DIR/<n>.json
({"from", "to", "data"}) and prints "ready" once it accepts connections.
Runs until terminated.
"""

import json
import os
import ssl
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

port, cert, key, user, password, out = sys.argv[1:7]


class Keep:
    async def handle_DATA(self, server, session, envelope):
        n = len([f for f in os.listdir(out) if f.endswith(".json")])
        tmp = os.path.join(out, f"{n}.tmp")
        with open(tmp, "w") as f:
            json.dump({"from": envelope.mail_from, "to": envelope.rcpt_tos,
                       "data": envelope.content.decode("utf-8", "replace")}, f)
        os.rename(tmp, os.path.join(out, f"{n}.json"))  # whole files only
        return "250 OK"


def authenticate(server, session, envelope, mechanism, auth_data):
    ok = (isinstance(auth_data, LoginPassword) and auth_data.login == user.encode()
          and auth_data.password == password.encode())
    return AuthResult(success=ok, handled=False)


context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
context.load_cert_chain(cert, key)
controller = Controller(Keep(), hostname="127.0.0.1", port=int(port), tls_context=context,
                        require_starttls=True, authenticator=authenticate,
                        auth_required=True, auth_require_tls=True)
controller.start()
print("ready", flush=True)
while True:
    time.sleep(3600)
