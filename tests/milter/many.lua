-- many.lua - 100 messages on one connection; each record must carry only
-- its own recipients and subject.
dofile(lib)

local conn = open("client.example", "192.0.2.13")
for n = 1, 100 do
	local qid = string.format("4MANY%03d", n)
	mail(conn, string.format("s%d@client.test", n))
	for r = 1, (n % 3) + 1 do
		rcpt(conn, string.format("r%d.%d@remote.test", n, r), qid)
	end
	headers(conn, {
		"Message-ID", string.format("<many.%d@client.test>", n),
		"Subject", string.format("message %d", n),
	})
	eom(conn)
end
ok(mt.disconnect(conn), "disconnect")
