-- hostile.lua - what a hostile sender can put in headers: CR/LF inside
-- values, a 10 KB subject, encoded-words hiding =0D=0A, invalid UTF-8,
-- no Message-ID at all, a null sender.  The milter must answer CONTINUE
-- to everything and store bounded, single-line, valid UTF-8.
dofile(lib)

local conn = open("client.example", "198.51.100.7")

-- CR/LF inside values and an encoded CR/LF
mail(conn, "evil@remote.example")
rcpt(conn, "victim@client.test", "4HOSTILE1")
headers(conn, {
	"Message-ID", "<h1@x>\r\nBcc: injected@x",
	"Subject", "=?UTF-8?Q?hello=0D=0ABcc:_injected@example?=",
	"From", "Evil\r\nX-Injected: yes <evil@remote.example>",
})
eom(conn)

-- long values: miltertest itself overflows its stack on a header value
-- longer than about 1 KB, so the 10 KB cases are in rawclient.py
mail(conn, "big@remote.example")
rcpt(conn, "victim@client.test", "4HOSTILE2")
headers(conn, {
	"Message-ID", "<h2@x>",
	"Subject", string.rep("\195\169", 500),
	"From", string.rep("=?UTF-8?B?w6k=?= ", 60),
})
eom(conn)

-- invalid UTF-8, raw and encoded; no Message-ID; null sender
mail(conn, "")
rcpt(conn, "victim@client.test", "4HOSTILE3")
headers(conn, {
	"Subject", "bad \255\254 bytes =?UTF-8?Q?and_=FF_encoded?=",
	"From", "\192\175 overlong",
})
eom(conn)
ok(mt.disconnect(conn), "disconnect")
