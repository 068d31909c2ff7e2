#!/usr/bin/python3
"""follow_lag.py - the live-lag benchmark's writer and store watcher.

Appends Postfix lines taken from a generated log (bench/gen_log output)
to LOG at RATE lines per second for SECONDS, each line's time stamp
rewritten to the moment it is written (RFC 3339, UTC), and remembers
when each line that makes an event (status=bounced / expired) was
written.  Meanwhile a second thread polls the store every 10 ms for new
event rows and notes when each first appears.  The lag of an event is
appearance minus the write time of its line: what a responder reading
the store would see.  Also reads the watcher's CPU time (utime + stime
from /proc/PID/stat) over the run.

usage: follow_lag.py SOURCE LOG STORE WATCHER_PID RATE SECONDS
Prints "key value" lines for b_follow.sh.
"""
import os
import re
import sqlite3
import sys
import threading
import time

STAMP = re.compile(r"^(?:[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d|\S+T\S+) ")
QID = re.compile(r" postfix[^:]*\[\d+\]: ([0-9A-Za-z]+): ")
TO = re.compile(r" to=<([^>]*)>")
POLL = 0.010


def cpu_ticks(pid):
    """utime + stime of pid, in clock ticks"""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def stamp(t):
    """RFC 3339 with microseconds, UTC, as rsyslog writes it"""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + \
        ".%06d+00:00" % int((t % 1) * 1e6)


class Poller(threading.Thread):
    """first sight of each event row: (queue_id, address, kind) -> time"""

    def __init__(self, db):
        super().__init__(daemon=True)
        self.db = db
        self.seen = {}
        self.historical = 0
        self.stop = False

    def run(self):
        con = None
        last = 0
        while not self.stop:
            try:
                if con is None:
                    con = sqlite3.connect(self.db, timeout=5)
                rows = con.execute(
                    "SELECT e.id, m.queue_id, r.address, e.kind,"
                    " e.historical FROM events e"
                    " JOIN messages m ON m.id = e.message"
                    " LEFT JOIN recipients r ON r.id = e.recipient"
                    " WHERE e.id > ? ORDER BY e.id", (last,)).fetchall()
            except sqlite3.Error:
                rows = []
            now = time.time()
            for eid, qid, addr, kind, hist in rows:
                last = eid
                self.seen.setdefault((qid, addr, kind), now)
                self.historical += hist
            time.sleep(POLL)


def main():
    src, log, db, pid, rate, secs = sys.argv[1:7]
    pid, rate, secs = int(pid), int(rate), float(secs)
    poller = Poller(db)
    poller.start()
    written = {}                # (qid, addr or None, kind) -> write time
    chunk = max(1, rate // 100)  # lines per 10 ms
    total = int(rate * secs)
    n = 0
    cpu0 = cpu_ticks(pid)
    t0 = time.time()
    with open(src, "r", errors="replace") as inp, \
            open(log, "a", buffering=1 << 16) as out:
        while n < total:
            batch = []
            for line in inp:
                batch.append(line)
                if len(batch) == chunk:
                    break
            if not batch:
                break
            due = t0 + n / rate
            delay = due - time.time()
            if delay > 0:
                time.sleep(delay)
            now = time.time()
            for line in batch:
                out.write(STAMP.sub(stamp(now) + " ", line, count=1))
                kind = "bounced" if "status=bounced" in line else \
                    "expired" if "status=expired" in line or \
                    "status=force-expired" in line else None
                q = QID.search(line)
                if kind and q:
                    to = TO.search(line)
                    written[(q.group(1), to.group(1) if to else None,
                             kind)] = now
            out.flush()
            n += len(batch)
    t1 = time.time()
    # let the watcher drain what it was sent, then stop looking
    want = len(written)
    deadline = time.time() + 10
    while time.time() < deadline:
        if sum(1 for k in poller.seen if k[2] in ("bounced", "expired")) \
                >= want:
            break
        time.sleep(0.1)
    time.sleep(0.5)
    t2 = time.time()
    cpu1 = cpu_ticks(pid)
    poller.stop = True
    poller.join()
    lags, missing = [], 0
    for (qid, addr, kind), seen in poller.seen.items():
        w = written.get((qid, addr, kind), written.get((qid, None, kind)))
        if w is not None:
            lags.append(seen - w)
    matched = len(lags)
    missing = sum(1 for (qid, addr, kind) in written
                  if addr is not None and
                  (qid, addr, kind) not in poller.seen)
    lags.sort()
    hz = os.sysconf("SC_CLK_TCK")

    def pct(p):
        return lags[min(len(lags) - 1, int(p * len(lags)))] if lags else -1
    print("lines %d" % n)
    print("write_seconds %.2f" % (t1 - t0))
    print("rate %.0f" % (n / (t1 - t0)))
    print("events %d" % len(poller.seen))
    print("events_matched %d" % matched)
    print("event_lines_without_event %d" % missing)
    print("historical %d" % poller.historical)
    print("lag_p50 %.3f" % pct(0.50))
    print("lag_p99 %.3f" % pct(0.99))
    print("lag_max %.3f" % (lags[-1] if lags else -1))
    print("cpu_pct %.2f" % (100.0 * (cpu1 - cpu0) / hz / (t2 - t0)))
    print("cpu_seconds %.2f" % ((cpu1 - cpu0) / hz))
    print("wall_seconds %.2f" % (t2 - t0))


if __name__ == "__main__":
    main()
