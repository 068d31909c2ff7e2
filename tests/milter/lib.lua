-- lib.lua - helpers shared by the plainbounce-milter miltertest scripts.
-- Every script is run as: miltertest -D sock=SOCKET -D lib=THIS_FILE -s x.lua
-- Each step must succeed and the milter must answer CONTINUE (it never
-- rejects, delays or modifies mail); anything else ends the test with an error.

-- miltertest does not print a script's errors, so fail() says why first.

function fail(why)
	mt.echo("FAIL: " .. why)
	error(why)
end

function ok(err, what)
	if err ~= nil then
		fail(what .. ": " .. tostring(err))
	end
end

-- cont - the step was answered CONTINUE; a step the milter asked not to be
-- answered for (nr, an SMFIP_NR_* flag) must have been negotiated so
function cont(conn, what, nr)
	if nr ~= nil and mt.test_option(conn, nr) then
		return
	end
	if mt.getreply(conn) ~= SMFIR_CONTINUE then
		fail(what .. ": reply is not CONTINUE")
	end
end

-- open - a connection from host/ip with the connect macros Postfix sends
function open(host, ip)
	local conn = mt.connect(sock, 40, 0.25)
	if conn == nil then
		error("cannot connect to " .. sock)
	end
	ok(mt.macro(conn, SMFIC_CONNECT, "j", "mail.client.test",
		"{daemon_name}", "mail.client.test"), "connect macros")
	ok(mt.conninfo(conn, host, ip), "conninfo")
	cont(conn, "connect", SMFIP_NR_CONN)
	-- the milter asks the MTA to skip the steps it has no use for
	if not mt.test_option(conn, SMFIP_NOHELO) then
		ok(mt.helo(conn, "client.example"), "helo")
	end
	return conn
end

-- mail - MAIL FROM with optional SASL login and ESMTP args
function mail(conn, from, auth, ...)
	if auth ~= nil then
		ok(mt.macro(conn, SMFIC_MAIL, "{mail_addr}", from,
			"{auth_authen}", auth, "{auth_type}", "PLAIN"), "mail macros")
	else
		ok(mt.macro(conn, SMFIC_MAIL, "{mail_addr}", from), "mail macros")
	end
	ok(mt.mailfrom(conn, "<" .. from .. ">", ...), "mailfrom")
	cont(conn, "mail", SMFIP_NR_MAIL)
end

-- rcpt - RCPT TO; qid is given as {i} the way Postfix does from the 2nd RCPT
function rcpt(conn, addr, qid, ...)
	if qid ~= nil then
		ok(mt.macro(conn, SMFIC_RCPT, "{rcpt_addr}", addr, "i", qid),
			"rcpt macros")
	else
		ok(mt.macro(conn, SMFIC_RCPT, "{rcpt_addr}", addr), "rcpt macros")
	end
	ok(mt.rcptto(conn, "<" .. addr .. ">", ...), "rcptto")
	cont(conn, "rcpt", SMFIP_NR_RCPT)
end

-- headers - send name/value pairs, then end of headers
function headers(conn, list)
	for i = 1, #list, 2 do
		ok(mt.header(conn, list[i], list[i + 1]), "header " .. list[i])
		cont(conn, "header " .. list[i], SMFIP_NR_HDR)
	end
	ok(mt.eoh(conn), "eoh")
	cont(conn, "eoh", SMFIP_NR_EOH)
	if not mt.test_option(conn, SMFIP_NOBODY) then
		ok(mt.bodystring(conn, "body\r\n"), "body")
	end
end

-- data - the DATA step, unless the milter negotiated it away
function data(conn)
	if not mt.test_option(conn, SMFIP_NODATA) then
		ok(mt.data(conn), "data")
		cont(conn, "data")
	end
end

function eom(conn)
	ok(mt.eom(conn), "eom")
	cont(conn, "eom")
end
