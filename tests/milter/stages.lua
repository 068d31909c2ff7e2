-- stages.lua - one message through every stage, with every fact the
-- milter records: SASL login, NOTIFY=, encoded Subject, the list headers.
dofile(lib)

-- set up: what the milter negotiates
local probe = mt.connect(sock, 40, 0.25)
if probe == nil then fail("connect") end
ok(mt.conninfo(probe, "client.example", "192.0.2.9"), "conninfo")
-- skip unused steps, and no replies except at end of message
for _, opt in ipairs({ SMFIP_NOHELO, SMFIP_NOBODY, SMFIP_NODATA,
		       SMFIP_NOUNKNOWN, SMFIP_NR_CONN, SMFIP_NR_MAIL,
		       SMFIP_NR_RCPT, SMFIP_NR_HDR, SMFIP_NR_EOH }) do
	if not mt.test_option(probe, opt) then
		fail("milter did not negotiate protocol option " .. opt)
	end
end
ok(mt.disconnect(probe), "disconnect probe")

local conn = open("client.example", "192.0.2.10")
mail(conn, "alice@client.test", "alice", "SIZE=100", "BODY=8BITMIME")
rcpt(conn, "bob@remote.test", nil, "NOTIFY=FAILURE,DELAY",
	"ORCPT=rfc822;bob@remote.test")
rcpt(conn, "carol@remote.test", "4STAGES1")
rcpt(conn, "dave@remote.test", "4STAGES1", "NOTIFY=NEVER")
data(conn)
headers(conn, {
	"Message-ID", "<stages.1@client.test>",
	"Subject", "=?UTF-8?Q?Caf=C3=A9_menu?=",
	"From", "=?ISO-8859-1?Q?Ren=E9?= <alice@client.test>",
	"Auto-Submitted", "no",
	"Precedence", "bulk",
	"List-Id", "Team list <team.client.test>",
	"Subject", "second subject is ignored",
})
eom(conn)
ok(mt.disconnect(conn), "disconnect")
