-- common.lua - helpers shared by the miltertest scripts of tests/integration/milter.sh.
-- Every script gets SOCK (the milter socket) and DIR (this folder) with -D.

function fail(why)
	mt.echo("FAIL: " .. why)
	error(why)
end

function expect_reply(conn, want, what)
	local got = mt.getreply(conn)
	if got ~= want then
		fail(what .. ": reply " .. tostring(got) .. ", expected " .. tostring(want))
	end
end

-- A connection negotiated with the MTA defaults, and its client announced.
-- ip "unspec" = a local connection without an address.
function open_client(ip, host)
	local conn = mt.connect("unix:" .. SOCK, 40, 0.25)
	if conn == nil then fail("cannot connect to " .. SOCK) end
	local err = mt.negotiate(conn, nil, nil, nil)
	if err ~= nil then fail("negotiate: " .. err) end
	if mt.conninfo(conn, host or "client.example", ip) ~= nil then fail("conninfo") end
	return conn
end

-- The reply expected of a step the milter may have negotiated as "no reply".
function expect_go_on(conn, opt, what)
	if mt.test_option(conn, opt) then return end
	expect_reply(conn, SMFIR_CONTINUE, what)
end

function helo(conn, name)
	if mt.helo(conn, name or "client.example") ~= nil then fail("helo") end
end

-- MAIL FROM with the queue id and, when given, the SASL login.
function mail(conn, qid, auth)
	if auth ~= nil then
		mt.macro(conn, SMFIC_MAIL, "i", qid, "{auth_authen}", auth)
	else
		mt.macro(conn, SMFIC_MAIL, "i", qid)
	end
	if mt.mailfrom(conn, "<s@example.org>") ~= nil then fail("mailfrom") end
	expect_go_on(conn, SMFIP_NR_MAIL, "MAIL")
end

function rcpt(conn)
	if mt.rcptto(conn, "<r@example.net>") ~= nil then fail("rcptto") end
end

-- Headers (a list of {name, value}), then end of message; the reply must be accept.
function message(conn, headers)
	for _, h in ipairs(headers) do
		if mt.header(conn, h[1], h[2]) ~= nil then fail("header " .. h[1]) end
	end
	if not mt.test_option(conn, SMFIP_NOEOH) then
		if mt.eoh(conn) ~= nil then fail("eoh") end
	end
	if mt.eom(conn) ~= nil then fail("eom") end
	expect_reply(conn, SMFIR_ACCEPT, "EOM")
end
