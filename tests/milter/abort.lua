-- abort.lua - a message aborted after its headers leaves no record; the
-- next message on the same connection is recorded with its own facts;
-- a connection that only connects and closes, and one that closes in
-- the middle of a message, cost nothing.
dofile(lib)

local conn = open("client.example", "192.0.2.11")
mail(conn, "aborted@client.test")
rcpt(conn, "x@remote.test", "4ABORTED1")
headers(conn, { "Message-ID", "<aborted@client.test>", "Subject", "gone" })
ok(mt.abort(conn), "abort")
mail(conn, "kept@client.test")
rcpt(conn, "y@remote.test", "4KEPT1")
headers(conn, { "Message-ID", "<kept@client.test>", "Subject", "kept" })
eom(conn)
ok(mt.disconnect(conn), "disconnect")

-- close is the only callback
local c2 = mt.connect(sock, 40, 0.25)
if c2 == nil then fail("connect") end
ok(mt.disconnect(c2), "disconnect only")

-- an abrupt close in the middle of a message
local c3 = open("client.example", "192.0.2.12")
mail(c3, "half@client.test")
rcpt(c3, "z@remote.test", "4HALF1")
ok(mt.disconnect(c3, false), "abrupt disconnect")
