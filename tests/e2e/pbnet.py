#!/usr/bin/python3
"""pbnet.py - loopback network helpers for the e2e harness.

Owns two small jobs the POSIX shell cannot do portably:
  ports N            print N distinct TCP ports on 127.0.0.1 that were free
                     a moment ago (all bound at once, so they differ).
  busy PORT...       print the PORTs that cannot be bound on 127.0.0.1 now;
                     exit 0 if any is busy, 1 if all are free.
  banner PORT [SECS] poll 127.0.0.1:PORT every 0.1 s until a line starting
                     with "220" arrives; exit 0 then, 1 after SECS (default 10).
Standard library only; run with /usr/bin/python3.
"""
import socket
import sys
import time


def free_ports(count):
    """free_ports - bind COUNT sockets to port 0 at once and report the ports."""
    socks = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def busy_ports(ports):
    """busy_ports - the ports someone else holds (bind fails) right now."""
    busy = []
    for port in ports:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            busy.append(port)
        finally:
            s.close()
    return busy


def wait_banner(port, secs):
    """wait_banner - True once the server on PORT greets with 220."""
    deadline = time.monotonic() + secs
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1.0) as s:
                s.settimeout(max(0.2, deadline - time.monotonic()))
                data = b""
                while b"\n" not in data:
                    chunk = s.recv(512)
                    if not chunk:
                        break
                    data += chunk
                if data.startswith(b"220"):
                    try:
                        s.sendall(b"QUIT\r\n")
                    except OSError:
                        pass
                    return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


def main(argv):
    """main - dispatch the sub-command; exit 2 on usage errors."""
    if len(argv) >= 2 and argv[0] == "ports":
        print(" ".join(str(p) for p in free_ports(int(argv[1]))))
        return 0
    if len(argv) >= 2 and argv[0] == "busy":
        busy = busy_ports(int(p) for p in argv[1:])
        if busy:
            print(" ".join(str(p) for p in busy))
            return 0
        return 1
    if len(argv) >= 2 and argv[0] == "banner":
        secs = float(argv[2]) if len(argv) > 2 else 10.0
        if wait_banner(int(argv[1]), secs):
            return 0
        sys.stderr.write("pbnet: no 220 banner on 127.0.0.1:%s within %ss\n"
                         % (argv[1], secs))
        return 1
    sys.stderr.write("usage: pbnet.py ports N | busy PORT... | banner PORT [SECS]\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
