-- loopback.lua - an SMTP client on 127.0.0.1 with a real source port is a
-- trusted-network client, not a local submission: only cleanup(8)'s
-- emulated connect (port 0, see rawclient.py) is "local".  {i} is given
-- at MAIL here, as Postfix does for pickup mail.
dofile(lib)

local conn = open("localhost", "127.0.0.1")
ok(mt.macro(conn, SMFIC_MAIL, "{mail_addr}", "root@client.test",
	"i", "4LOOP1"), "mail macros")
ok(mt.mailfrom(conn, "<root@client.test>"), "mailfrom")
cont(conn, "mail", SMFIP_NR_MAIL)
rcpt(conn, "ops@remote.test")
headers(conn, { "Message-ID", "<loop.1@client.test>", "Subject", "cron" })
eom(conn)
ok(mt.disconnect(conn), "disconnect")
