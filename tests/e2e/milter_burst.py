#!/usr/bin/python3
"""milter_burst.py - N parallel SMTP sessions, each one message with its
own Subject, Message-ID and recipients, for t_milter_postfix_load.sh.

Every message i has Subject "burst i", Message-ID <burst.i.RUN@client.test>
and 1 + i % 3 recipients "bN-i-k@sink.test".  All sessions start together
(a barrier).  Prints one line per queued message:
QID<TAB>MESSAGE-ID<TAB>SUBJECT<TAB>RCPT,RCPT...   (recipients sorted)
usage: milter_burst.py PORT N          exit 1 if any message was refused
"""
import smtplib
import sys
import threading
import uuid


def main():
    port, n = int(sys.argv[1]), int(sys.argv[2])
    run = uuid.uuid4().hex[:8]
    start = threading.Barrier(n)
    lock = threading.Lock()
    lines, failed = [], []

    def one(i):
        rcpts = sorted("b%d-%d-%d@sink.test" % (n, i, k)
                       for k in range(1 + i % 3))
        msgid = "<burst.%d.%s@client.test>" % (i, run)
        subject = "burst %d" % i
        msg = ("From: alice@client.test\r\nTo: %s\r\nSubject: %s\r\n"
               "Message-ID: %s\r\n\r\nburst message %d\r\n"
               % (", ".join(rcpts), subject, msgid, i)).encode()
        start.wait()
        try:
            s = smtplib.SMTP("127.0.0.1", port, local_hostname="client.test",
                             timeout=60)
            s.ehlo()
            s.mail("alice@client.test")
            for r in rcpts:
                code, _ = s.rcpt(r)
                if code != 250:
                    raise smtplib.SMTPException("RCPT %s: %d" % (r, code))
            code, text = s.data(msg)
            if code != 250:
                raise smtplib.SMTPException("DATA: %d" % code)
            qid = text.decode().rsplit("queued as ", 1)[-1].strip()
            s.quit()
        except (OSError, smtplib.SMTPException) as e:
            with lock:
                failed.append("%d: %s" % (i, e))
            return
        with lock:
            lines.append("%s\t%s\t%s\t%s" % (qid, msgid, subject,
                                             ",".join(rcpts)))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for line in sorted(lines):
        print(line)
    for f in failed:
        sys.stderr.write("milter_burst: refused %s\n" % f)
    return 1 if failed else 0


sys.exit(main())
