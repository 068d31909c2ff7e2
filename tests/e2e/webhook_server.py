#!/usr/bin/python3
"""webhook_server.py - a real Standard Webhooks receiver for e2e tests.

Verifies every request's signature in constant time (hmac.compare_digest)
and its timestamp within 5 minutes, records one JSON line per request in
--log (path, id, timestamp, sig_ok, body length), and answers by path:

  /ok          200
  /redirect    302 to /ok on this server (a client must not follow it)
  /gone        410
  /throttle    429 with Retry-After: N (?after=N, default 2)
  /throttle-date 503 with Retry-After as an HTTP-date N seconds ahead
  /error       500
  /flaky       503 for the first ?fail=N requests of an id (default 1), then 200
  /stall       sleeps ?secs=N (default 6) before answering 200
  /huge        200 announcing 1 GiB, streamed lazily until the client quits
A bad signature gets 401.  Threaded; HTTP/1.1 keep-alive; --tls CERT KEY
wraps the listening socket.  The bound port is written to --port-file.
"""
import argparse
import base64
import email.utils
import hashlib
import hmac
import http.server
import json
import os
import ssl
import sys
import threading
import time
import urllib.parse

TOLERANCE = 300
CHUNK = b"x" * 65536
HUGE = 1 << 30


def make_handler(key, log, lock, log_bodies=False):
    seen = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # headers and body are separate writes: without this, Nagle and
        # delayed ACKs add 40 ms to every keep-alive request
        disable_nagle_algorithm = True

        def log_message(self, fmt, *args):
            pass

        def reply(self, code, body=b"ok\n", headers=()):
            self.send_response(code)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def verify(self, body):
            mid = self.headers.get("webhook-id", "")
            ts = self.headers.get("webhook-timestamp", "")
            sigs = self.headers.get("webhook-signature", "")
            try:
                ts_ok = abs(time.time() - int(ts)) <= TOLERANCE
            except ValueError:
                return False
            signed = mid.encode() + b"." + ts.encode() + b"." + body
            want = base64.b64encode(
                hmac.new(key, signed, hashlib.sha256).digest())
            ok = False
            for s in sigs.split(" "):
                ver, _, val = s.partition(",")
                if ver == "v1" and hmac.compare_digest(val.encode(), want):
                    ok = True
            return ok and ts_ok

        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(n)
            url = urllib.parse.urlsplit(self.path)
            q = dict(urllib.parse.parse_qsl(url.query))
            ok = self.verify(body)
            rec = {"path": url.path, "id": self.headers.get("webhook-id"),
                   "ts": self.headers.get("webhook-timestamp"),
                   "sig_ok": ok, "len": len(body),
                   "ctype": self.headers.get("Content-Type"),
                   "peer_port": self.client_address[1]}
            if log_bodies:
                rec["body"] = body.decode("utf-8", "replace")
            with lock:
                log.write(json.dumps(rec) + "\n")
                log.flush()
            if not ok:
                return self.reply(401, b"bad signature\n")
            p = url.path
            if p == "/ok":
                self.reply(200)
            elif p == "/redirect":
                port = self.server.server_address[1]
                self.reply(302, b"moved\n",
                           [("Location", "http://127.0.0.1:%d/ok" % port)])
            elif p == "/gone":
                self.reply(410, b"gone\n")
            elif p == "/throttle":
                self.reply(429, b"slow down\n",
                           [("Retry-After", q.get("after", "2"))])
            elif p == "/throttle-date":
                when = time.time() + int(q.get("after", "5"))
                self.reply(503, b"later\n", [("Retry-After",
                           email.utils.formatdate(when, usegmt=True))])
            elif p == "/error":
                self.reply(500, b"boom\n")
            elif p == "/flaky":
                with lock:
                    seen[rec["id"]] = seen.get(rec["id"], 0) + 1
                    n = seen[rec["id"]]
                if n <= int(q.get("fail", "1")):
                    self.reply(503, b"not yet\n")
                else:
                    self.reply(200)
            elif p == "/stall":
                time.sleep(float(q.get("secs", "6")))
                self.reply(200)
            elif p == "/huge":
                self.send_response(200)
                self.send_header("Content-Length", str(HUGE))
                self.end_headers()
                sent = 0
                try:
                    while sent < HUGE:
                        self.wfile.write(CHUNK)
                        sent += len(CHUNK)
                except OSError:
                    pass
                self.close_connection = True
            else:
                self.reply(404, b"no such path\n")

        def do_GET(self):
            self.reply(405, b"POST only\n")

    return Handler


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--secret", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    ap.add_argument("--log-bodies", action="store_true",
                    help="also record each request body (responder tests)")
    a = ap.parse_args()
    sec = a.secret[6:] if a.secret.startswith("whsec_") else a.secret
    key = base64.b64decode(sec)
    log = open(a.log, "a")
    srv = http.server.ThreadingHTTPServer(
        ("127.0.0.1", a.port),
        make_handler(key, log, threading.Lock(), a.log_bodies))
    srv.daemon_threads = True
    if a.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.tls[0], a.tls[1])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(a.port_file + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(a.port_file + ".tmp", a.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
