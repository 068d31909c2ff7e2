#!/usr/bin/python3
"""rawclient.py - a minimal MTA side of the milter protocol (version 6),
for what miltertest cannot send: header values over ~1 KB (miltertest
overflows a 1 KB stack buffer) and the connect Postfix's cleanup(8)
emulates for sendmail/pickup mail (localhost, 127.0.0.1, port 0).

usage: rawclient.py SOCKET     (unix:/path or inet:PORT@HOST)
Sends its messages, checks that every reply is CONTINUE ('c'), exits 0.
"""
import socket
import struct
import sys


def connect(spec):
    if spec.startswith("unix:"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(spec[5:])
    else:
        port, host = spec[5:].split("@")
        s = socket.create_connection((host, int(port)))
    s.settimeout(10)
    return s


def send(s, cmd, data=b""):
    s.sendall(struct.pack(">I", len(data) + 1) + cmd + data)


def recv(s):
    hdr = b""
    while len(hdr) < 4:
        chunk = s.recv(4 - len(hdr))
        if not chunk:
            raise SystemExit("FAIL: milter closed the connection")
        hdr += chunk
    (n,) = struct.unpack(">I", hdr)
    body = b""
    while len(body) < n:
        chunk = s.recv(n - len(body))
        if not chunk:
            raise SystemExit("FAIL: short reply")
        body += chunk
    return body[:1], body[1:]


def z(*items):
    return b"".join(i + b"\0" for i in items)


NR_CONN, NR_MAIL, NR_RCPT, NR_HDR, NR_EOH = (0x1000, 0x4000, 0x8000, 0x80,
                                            0x40000)


def expect_continue(s, what, proto=0, nr=0):
    """a CONTINUE reply, unless the milter negotiated no reply (nr)"""
    if proto & nr:
        return
    cmd, _ = recv(s)
    if cmd != b"c":
        raise SystemExit("FAIL: %s: reply %r, not CONTINUE" % (what, cmd))


class Session:
    def __init__(self, spec, host, addr, port):
        self.s = connect(spec)
        # offer everything; the milter picks its protocol steps
        send(self.s, b"O", struct.pack(">III", 6, 0x1FF, 0x1FFFFF))
        cmd, data = recv(self.s)
        if cmd != b"O":
            raise SystemExit("FAIL: no option negotiation reply")
        self.proto = struct.unpack(">III", data[:12])[2]
        send(self.s, b"D", b"C" + z(b"{daemon_name}", b"mail.client.test"))
        send(self.s, b"C", z(host) + b"4" + struct.pack(">H", port) +
             z(addr))
        expect_continue(self.s, "connect", self.proto, NR_CONN)

    def message(self, sender, rcpts, headers, mail_macros=(),
                rcpt_qid=None):
        send(self.s, b"D", b"M" + z(b"{mail_addr}", sender, *mail_macros))
        send(self.s, b"M", z(b"<" + sender + b">"))
        expect_continue(self.s, "mail", self.proto, NR_MAIL)
        for r in rcpts:
            macros = [b"{rcpt_addr}", r]
            if rcpt_qid:
                macros += [b"i", rcpt_qid]
            send(self.s, b"D", b"R" + z(*macros))
            send(self.s, b"R", z(b"<" + r + b">"))
            expect_continue(self.s, "rcpt", self.proto, NR_RCPT)
        for name, value in headers:
            send(self.s, b"L", z(name, value))
            expect_continue(self.s, "header", self.proto, NR_HDR)
        send(self.s, b"N")
        expect_continue(self.s, "eoh", self.proto, NR_EOH)
        send(self.s, b"E")
        expect_continue(self.s, "eom")

    def close(self):
        send(self.s, b"Q")
        self.s.close()


def main():
    spec = sys.argv[1]
    # an SMTP client with a 10 KB Subject and a 10 KB encoded From
    smtp = Session(spec, b"client.example", b"203.0.113.5", 40000)
    smtp.message(b"big@remote.example", [b"victim@client.test"],
                 [(b"Message-ID", b"<raw.big@x>"),
                  (b"Subject", b"\xc3\xa9" * 5120),
                  (b"From", b"=?UTF-8?B?w6k=?= " * 700),
                  (b"List-Id", b"x" * 10000)],
                 rcpt_qid=b"4RAWBIG1")
    smtp.close()
    # cleanup(8)'s emulated connect for sendmail/pickup mail: port 0,
    # {i} known from MAIL on, and no Message-ID added by us here
    local = Session(spec, b"localhost", b"127.0.0.1", 0)
    local.message(b"root@client.test", [b"ops@remote.test"],
                  [(b"Subject", b"cron output")],
                  mail_macros=(b"i", b"4RAWLOCAL1"))
    local.close()
    print("rawclient: ok")


main()
