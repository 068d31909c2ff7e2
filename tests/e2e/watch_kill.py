#!/usr/bin/python3
"""watch_kill.py - the kill/rotate driver of t_watcher_kill.sh.

Writes numbered units (a Postfix-shaped bounce line with a unique queue
ID, then its "removed" line) to LOG, rotates the file by rename+create
and by copytruncate in turn, and kills plainbounce-watcher with SIGKILL at
random points, restarting it each time.  Seeded (the seed is printed).
Then it checks the store: no event derived twice, one outbox row per
event, no gap for rename+create, and every missing unit inside a gap the
watcher recorded for a copytruncate (matched by inode, fingerprint of the
file's first bytes, and offset).
Usage: watch_kill.py WATCHER CONF LOG DB SEED SECONDS
"""
import os, random, signal, sqlite3, subprocess, sys, time

watcher, conf, log, db, seed, secs = sys.argv[1:7]
seed, secs = int(seed), float(secs)
rng = random.Random(seed)
print("seed", seed, flush=True)
errlog = open(os.path.join(os.path.dirname(db), "watcher.log"), "ab")


def fnv(b):
    h = 14695981039346656037
    for c in b:
        h ^= c
        h = (h * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h


def start():
    p = subprocess.Popen([watcher, "-f", "-c", conf], stderr=errlog)
    return p


def unit(n):
    qid = "%010X" % (0xA000000000 + n)
    t = time.strftime("%b %d %H:%M:%S", time.localtime())
    return (("%s mail postfix/smtp[4242]: %s: to=<u%d@remote.test>, "
             "relay=mx.remote.test[192.0.2.1]:25, delay=0.1, "
             "delays=0/0/0/0.1, dsn=5.1.1, status=bounced (host "
             "mx.remote.test[192.0.2.1] said: 550 5.1.1 <u%d@remote.test>: "
             "User unknown (in reply to RCPT TO command))\n"
             "%s mail postfix/qmgr[4241]: %s: removed\n")
            % (t, qid, n, n, t, qid)).encode()


def cursor_ino():
    try:
        c = sqlite3.connect(db, timeout=5)
        r = c.execute("SELECT cursor FROM cursors").fetchone()
        c.close()
    except sqlite3.Error:
        return None
    if not r or not r[0] or r[0] == "none":
        return None
    return int(r[0].split(":")[1])


# generations: ino, first bytes; units: n -> (generation index, offset)
gens = []
where = {}
open(log, "wb").close()
gens.append([os.stat(log).st_ino, b""])
ended = {}  # generation index -> how it ended
w = start()
# the first start begins at the end of the log: write only once its
# starting position is committed
t0 = time.time()
while cursor_ino() is None and time.time() - t0 < 10:
    time.sleep(0.05)
kills = renames = truncs = lost_between = 0
n = 0
end = time.time() + secs
next_kill = time.time() + rng.uniform(0.2, 1.0)
next_rot = time.time() + rng.uniform(0.5, 1.5)
rot_kind = rng.choice(["rename", "copytruncate"])
while time.time() < end:
    for _ in range(rng.randint(1, 20)):
        n += 1
        b = unit(n)
        with open(log, "ab") as f:
            off = f.tell()
            f.write(b)
        g = gens[-1]
        if len(g[1]) < 64:
            g[1] = (g[1] + b)[:64]
        where[n] = (len(gens) - 1, off)
    now = time.time()
    if now >= next_kill:
        w.send_signal(signal.SIGKILL)
        w.wait()
        kills += 1
        if rng.random() < 0.3:
            time.sleep(rng.uniform(0, 0.3))  # write while it is down
            for _ in range(rng.randint(1, 10)):
                n += 1
                b = unit(n)
                with open(log, "ab") as f:
                    off = f.tell()
                    f.write(b)
                where[n] = (len(gens) - 1, off)
        w = start()
        next_kill = now + rng.uniform(0.1, 0.8)
    if now >= next_rot:
        if rot_kind == "rename":
            # never rename twice before the watcher reached the new file
            ino = os.stat(log).st_ino
            t0 = time.time()
            while cursor_ino() != ino and time.time() - t0 < 5:
                time.sleep(0.05)
            os.rename(log, log + ".1")
            ended[len(gens) - 1] = "rename"
            open(log, "wb").close()
            gens.append([os.stat(log).st_ino, b""])
            renames += 1
        else:
            with open(log, "rb") as src, open(log + ".1", "wb") as dst:
                dst.write(src.read())
            # lines written between copy and truncate are in no file
            for _ in range(rng.randint(0, 3)):
                n += 1
                with open(log, "ab") as f:
                    off = f.tell()
                    f.write(unit(n))
                where[n] = (len(gens) - 1, off)
                lost_between += 1
            os.truncate(log, 0)
            ended[len(gens) - 1] = "copytruncate"
            gens.append([os.stat(log).st_ino, b""])
            truncs += 1
        rot_kind = "copytruncate" if rot_kind == "rename" else "rename"
        next_rot = now + rng.uniform(0.4, 1.2)
    time.sleep(rng.uniform(0, 0.03))

# let it catch up, then stop it cleanly
size = os.path.getsize(log)
t0 = time.time()
while time.time() - t0 < 10:
    c = sqlite3.connect(db, timeout=5)
    r = c.execute("SELECT cursor FROM cursors").fetchone()
    c.close()
    if r and r[0] and r[0].split(":")[1] == str(os.stat(log).st_ino) \
            and int(r[0].split(":")[4]) == size:
        break
    time.sleep(0.1)
w.send_signal(signal.SIGTERM)
w.wait()

c = sqlite3.connect(db, timeout=5)
got = {}
for qid, cnt in c.execute("SELECT m.queue_id, count(*) FROM events e JOIN "
                          "messages m ON m.id = e.message GROUP BY "
                          "m.queue_id"):
    got[int(qid, 16) - 0xA000000000] = cnt
fails = []
dups = [k for k, v in got.items() if v != 1]
if dups:
    fails.append("events more than once: %r" % dups[:10])
rep = c.execute("SELECT coalesce(max(value), 0) FROM counters WHERE name = "
                "'watcher_event_repeats'").fetchone()[0]
if rep:
    fails.append("%d final events derived twice (a line fed twice)" % rep)
bad = c.execute("SELECT count(*) FROM events e WHERE (SELECT count(*) FROM "
                "outbox_events x JOIN outbox o ON o.id = x.outbox WHERE "
                "x.event = e.id AND o.channel = 'route') != 1").fetchone()[0]
if bad:
    fails.append("%d events without exactly one route row" % bad)
hist = c.execute("SELECT count(*) FROM events WHERE historical != 0").fetchone()[0]
if hist:
    fails.append("%d events historical" % hist)
gaps = c.execute("SELECT from_pos, to_pos, note FROM gaps").fetchall()
cover = []
for fp, to, note in gaps:
    dev, ino, fplen, h, off = fp.split(":")
    cover.append((int(ino), int(fplen), int(h, 16), int(off)))
    # the generation the gap starts in must have ended by copytruncate
    kinds = set(ended.get(i, "live") for i, (gi, first) in enumerate(gens)
                if gi == int(ino) and fnv(first[:int(fplen)]) == int(h, 16))
    if kinds != {"copytruncate"}:
        fails.append("gap not explained by a copytruncate (%s): %r"
                     % (sorted(kinds), (fp, to, note)))
missing = sorted(set(range(1, n + 1)) - set(got))
uncovered = []
for m in missing:
    gi, off = where[m]
    ino, first = gens[gi]
    ok = any(ino == ci and fnv(first[:fl]) == h and off >= co
             for ci, fl, h, co in cover)
    if not ok:
        uncovered.append((m, gi, off))
if uncovered:
    fails.append("%d missing units outside any gap, e.g. %r"
                 % (len(uncovered), uncovered[:5]))
print("units %d, events %d, missing %d (all inside %d gaps; %d written "
      "between copy and truncate), kills %d, renames %d, copytruncates %d"
      % (n, len(got), len(missing), len(gaps), lost_between, kills, renames,
         truncs), flush=True)
for f in fails:
    print("FAIL:", f)
sys.exit(1 if fails else 0)
