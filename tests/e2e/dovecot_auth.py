#!/usr/bin/python3
"""dovecot_auth.py - a stand-in for Dovecot's auth service, so the real
Postfix smtpd (smtpd_sasl_type = dovecot) can authenticate test users.

Speaks the server side of the Dovecot authentication protocol 1.x that
Postfix's xsasl_dovecot client uses: the handshake (VERSION, MECH, SPID,
CUID, COOKIE, DONE), then AUTH requests for PLAIN and LOGIN, answered OK
with user=NAME or FAIL.  Debian 12 has Dovecot and Cyrus SASL only as
packages this machine does not carry (no dovecot-core, no sasl2-bin for
saslpasswd2/saslauthd); this keeps the test on Postfix's own SASL code.

usage: dovecot_auth.py SOCKET_PATH USER:PASSWORD...
"""
import base64
import os
import socketserver
import sys

USERS = {}


def check_plain(data):
    """check_plain - authzid NUL authcid NUL password -> user or None."""
    parts = data.split(b"\0")
    if len(parts) != 3:
        return None
    user, password = parts[1].decode(), parts[2].decode()
    return user if USERS.get(user) == password else None


class Handler(socketserver.StreamRequestHandler):
    def send(self, line):
        self.wfile.write(line.encode() + b"\n")
        self.wfile.flush()

    def handle(self):
        self.send("VERSION\t1\t2")
        self.send("MECH\tPLAIN\tplaintext")
        self.send("MECH\tLOGIN\tplaintext")
        self.send("SPID\t%d" % os.getpid())
        self.send("CUID\t1")
        self.send("COOKIE\t" + "0" * 32)
        self.send("DONE")
        login = {}          # id -> [stage, user]
        for raw in self.rfile:
            f = raw.decode(errors="replace").rstrip("\n").split("\t")
            if f[0] == "AUTH" and len(f) >= 3:
                rid, mech = f[1], f[2].upper()
                resp = [a[5:] for a in f[3:] if a.startswith("resp=")]
                if mech == "PLAIN":
                    if not resp:
                        self.send("CONT\t%s\t" % rid)
                        login[rid] = ["plain", None]
                        continue
                    self.finish_plain(rid, base64.b64decode(resp[0]))
                elif mech == "LOGIN":
                    login[rid] = ["user", None]
                    self.send("CONT\t%s\t%s" % (
                        rid, base64.b64encode(b"Username:").decode()))
                else:
                    self.send("FAIL\t%s\treason=unsupported" % rid)
            elif f[0] == "CONT" and len(f) >= 3 and f[1] in login:
                rid, data = f[1], base64.b64decode(f[2])
                stage = login[rid]
                if stage[0] == "plain":
                    del login[rid]
                    self.finish_plain(rid, data)
                elif stage[0] == "user":
                    stage[:] = ["pass", data.decode()]
                    self.send("CONT\t%s\t%s" % (
                        rid, base64.b64encode(b"Password:").decode()))
                else:
                    del login[rid]
                    user = stage[1]
                    if USERS.get(user) == data.decode():
                        self.send("OK\t%s\tuser=%s" % (rid, user))
                    else:
                        self.send("FAIL\t%s\tuser=%s" % (rid, user))

    def finish_plain(self, rid, data):
        user = check_plain(data)
        if user:
            self.send("OK\t%s\tuser=%s" % (rid, user))
        else:
            self.send("FAIL\t%s\treason=bad password" % rid)


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def main():
    path = sys.argv[1]
    for arg in sys.argv[2:]:
        user, password = arg.split(":", 1)
        USERS[user] = password
    if os.path.exists(path):
        os.unlink(path)
    server = Server(path, Handler)
    os.chmod(path, 0o666)
    server.serve_forever()


main()
