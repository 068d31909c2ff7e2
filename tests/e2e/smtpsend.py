#!/usr/bin/python3
"""smtpsend.py - submit test messages over SMTP for the e2e harness.

Sends one message (or a parallel burst) to 127.0.0.1:PORT with a given
envelope, Subject and extra headers, and prints the queue ID that the
server named in its reply to DATA ("250 2.0.0 Ok: queued as QID"), one per
line.  Each refused command is reported on stderr as
"smtpsend: refused STAGE <addr>: CODE TEXT".  With --record FILE, a line
"QID<TAB>MESSAGE-ID<TAB>SUBJECT" is appended per queued message so tests
can find a message by Subject without touching the Postfix log.

Exit: 0 queued (some recipients may have been refused), 2 AUTH, MAIL or
every RCPT refused, 3 DATA refused, 1 connection or usage error.  With
--auth, smtplib tries each mechanism the server offers that it knows
(CRAM-MD5, PLAIN, LOGIN in that order) until one succeeds; --auth-mech
names the only one to try.
Standard library only; run with /usr/bin/python3 (not a pyenv python).
"""
import argparse
import os
import smtplib
import sys
import threading
import time
import uuid
from email.utils import formatdate


def build_message(args, subject, msgid):
    """build_message - bytes of a small RFC 5322 message, CRLF line ends."""
    if args.data_file:
        with open(args.data_file, "rb") as f:
            return f.read()
    hdrs = []
    sender = args.sender if args.sender else "MAILER-DAEMON@client.test"
    hdrs.append(b"From: " + os.fsencode(args.header_from or sender))
    hdrs.append(b"To: " + os.fsencode(", ".join(args.to)))
    hdrs.append(b"Subject: " + os.fsencode(subject))
    hdrs.append(b"Date: " + formatdate(localtime=True).encode())
    if msgid:
        hdrs.append(b"Message-ID: " + os.fsencode(msgid))
    for h in args.header:
        hdrs.append(os.fsencode(h))
    body = os.fsencode(args.body).replace(b"\r\n", b"\n").split(b"\n")
    return b"\r\n".join(hdrs) + b"\r\n\r\n" + b"\r\n".join(body) + b"\r\n"


def send_one(args, subject, msgid, out, lock):
    """send_one - run one SMTP transaction; return the exit code for it."""
    try:
        smtp = smtplib.SMTP(args.host, args.port, local_hostname=args.helo,
                            timeout=args.timeout)
    except OSError as e:
        sys.stderr.write("smtpsend: connect %s:%d: %s\n" % (args.host, args.port, e))
        return 1
    try:
        smtp.ehlo()
        if args.auth:
            user, _, password = args.auth.partition(":")
            try:
                if args.auth_mech:
                    smtp.user, smtp.password = user, password
                    mech = args.auth_mech.upper()
                    smtp.auth(mech, getattr(smtp, "auth_" + mech.lower().replace("-", "_")))
                else:
                    smtp.login(user, password)
            except smtplib.SMTPAuthenticationError as e:
                report("AUTH", user, e.smtp_code, e.smtp_error)
                return 2
        mail_opts = []
        if args.ret:
            mail_opts.append("RET=" + args.ret)
        code, msg = smtp.mail(args.sender, mail_opts)
        if code != 250:
            report("MAIL", args.sender, code, msg)
            return 2
        accepted = 0
        rcpt_opts = ["NOTIFY=" + args.notify] if args.notify else []
        for rcpt in args.to:
            code, msg = smtp.rcpt(rcpt, rcpt_opts)
            if code in (250, 251):
                accepted += 1
            else:
                report("RCPT", rcpt, code, msg)
        if accepted == 0:
            smtp.rset()
            return 2
        code, msg = smtp.data(build_message(args, subject, msgid))
        if code != 250:
            report("DATA", "", code, msg)
            return 3
        text = msg.decode("utf-8", "replace")
        qid = text.rsplit("queued as ", 1)[-1].strip() if "queued as " in text else "?"
        with lock:
            out.append(qid)
            print(qid, flush=True)
            if args.record:
                with open(args.record, "a", encoding="utf-8",
                          errors="surrogateescape") as f:
                    f.write("%s\t%s\t%s\n" % (qid, msgid or "", subject))
        return 0
    except (smtplib.SMTPException, OSError) as e:
        sys.stderr.write("smtpsend: %s\n" % e)
        return 1
    finally:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            pass


def report(stage, addr, code, msg):
    """report - one stderr line per refused command, for tests to grep."""
    sys.stderr.write("smtpsend: refused %s <%s>: %d %s\n"
                     % (stage, addr, code, msg.decode("utf-8", "replace")))


def new_msgid():
    """new_msgid - a unique Message-ID in the sender's test domain."""
    return "<pb.%d.%s@client.test>" % (int(time.time()), uuid.uuid4().hex[:12])


def main():
    """main - parse options, send one message or a burst, return exit code."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--from", dest="sender", default="alice@client.test",
                   help="envelope sender; '' is the null sender")
    p.add_argument("--to", action="append", required=True, help="repeatable")
    p.add_argument("--subject", default="plainbounce test")
    p.add_argument("--header", action="append", default=[],
                   help="extra header line 'Name: value'; repeatable")
    p.add_argument("--header-from", default="", help="From: header if not sender")
    p.add_argument("--message-id", default=None,
                   help="Message-ID header; default generated, '' omits it")
    p.add_argument("--body", default="plainbounce harness test message.")
    p.add_argument("--data-file", help="send this raw message instead")
    p.add_argument("--helo", default="client.test")
    p.add_argument("--auth", help="USER:PASSWORD for SMTP AUTH")
    p.add_argument("--auth-mech", choices=["PLAIN", "LOGIN", "CRAM-MD5"],
                   help="use only this SASL mechanism with --auth")
    p.add_argument("--notify", help="RCPT NOTIFY= value, e.g. NEVER")
    p.add_argument("--ret", help="MAIL RET= value (FULL or HDRS)")
    p.add_argument("--burst", type=int, default=0,
                   help="send N messages in parallel, Subject suffixed ' #i'")
    p.add_argument("--record", help="append QID, Message-ID, Subject here")
    p.add_argument("--timeout", type=float, default=10.0)
    args = p.parse_args()

    lock = threading.Lock()
    out = []
    if args.burst <= 0:
        msgid = new_msgid() if args.message_id is None else args.message_id
        return send_one(args, args.subject, msgid, out, lock)

    results = [1] * args.burst
    start = threading.Barrier(args.burst)

    def worker(i):
        """worker - one message of the burst, started together with the rest."""
        start.wait()
        results[i] = send_one(args, "%s #%d" % (args.subject, i + 1),
                              new_msgid(), out, lock)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.burst)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return max(results)


if __name__ == "__main__":
    sys.exit(main())
