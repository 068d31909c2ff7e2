#!/usr/bin/python3
"""smtp_capture.py - a real SMTP server (aiosmtpd) that keeps every message.

Each accepted message is written as N.eml (the raw DATA bytes, after
dot-unstuffing, line ends as received) and N.json (envelope sender,
recipients, client address) in --dir.  Recipients whose local part starts
with "tempfail" get 451 4.3.0, with "reject" 550 5.1.1, so a client's
handling of both can be tested.  For "dropfirst" the first message is
kept but the connection is dropped after the final dot, before the reply
(the classic cause of duplicates).  With --tls CERT KEY the server offers
STARTTLS and refuses mail before it.  The port is written to --port-file.
"""
import argparse
import json
import os
import socket
import ssl
import sys
import threading

from aiosmtpd.controller import Controller


class Capture:
    def __init__(self, outdir):
        self.outdir = outdir
        self.n = 0
        self.lock = threading.Lock()
        self.dropped = False

    async def handle_RCPT(self, server, session, envelope, address,
                          rcpt_options):
        local = address.split("@")[0].lower()
        if local.startswith("tempfail"):
            return "451 4.3.0 Try again later"
        if local.startswith("reject"):
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.n += 1
            n = self.n
        base = os.path.join(self.outdir, "%d" % n)
        with open(base + ".eml.tmp", "wb") as f:
            f.write(envelope.original_content)
        with open(base + ".json.tmp", "w") as f:
            json.dump({"mail_from": envelope.mail_from,
                       "rcpt_tos": envelope.rcpt_tos,
                       "peer": session.peer[0]}, f)
        os.rename(base + ".eml.tmp", base + ".eml")
        os.rename(base + ".json.tmp", base + ".json")
        if any(r.lower().startswith("dropfirst") for r in envelope.rcpt_tos):
            with self.lock:
                drop, self.dropped = not self.dropped, True
            if drop:
                server.transport.abort()
                return "421 4.4.2 dropped"  # never reaches the client
        return "250 2.0.0 Ok: queued as %d" % n


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    a = ap.parse_args()
    port = free_port()
    extra = {}
    if a.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.tls[0], a.tls[1])
        extra = {"tls_context": ctx, "require_starttls": True}
    ctl = Controller(Capture(a.dir), hostname="127.0.0.1", port=port,
                     decode_data=False, **extra)
    ctl.start()
    with open(a.port_file + ".tmp", "w") as f:
        f.write("%d\n" % port)
    os.rename(a.port_file + ".tmp", a.port_file)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    ctl.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
