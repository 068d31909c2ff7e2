#!/usr/bin/python3
"""smtplat.py - per-message SMTP latency for the milter benchmark.

Sends N small messages one after another over one SMTP connection and
prints one line: "lat_ms p50 P50 p99 P99 max MAX n N", where each
latency runs from MAIL FROM to the 250 reply after the message data: the
part of a transaction a milter can slow down (it sees MAIL, RCPT, the
headers and end of message).  usage: smtplat.py PORT N
"""
import smtplib
import sys
import time


def main():
    port, n = int(sys.argv[1]), int(sys.argv[2])
    msg = (b"From: bench@client.test\r\nTo: lat@sink.test\r\n"
           b"Subject: latency\r\nMessage-ID: <%d.%d@client.test>\r\n\r\n"
           b"latency probe\r\n")
    s = smtplib.SMTP("127.0.0.1", port, local_hostname="client.test",
                     timeout=30)
    s.ehlo()
    lat = []
    for i in range(n):
        t0 = time.perf_counter()
        s.sendmail("bench@client.test", ["lat@sink.test"],
                   msg % (time.time_ns(), i))
        lat.append((time.perf_counter() - t0) * 1000.0)
    s.quit()
    lat.sort()
    print("lat_ms p50 %.3f p99 %.3f max %.3f n %d" % (
        lat[len(lat) // 2], lat[min(len(lat) - 1, int(len(lat) * 0.99))],
        lat[-1], len(lat)))


main()
