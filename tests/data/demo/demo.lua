-- demo.lua - tests/integration/quickstart_demo.sh: one client through the
-- demo configuration's milter on its TCP port.  -D PORT=, -D IP=, -D WANT=
-- ("reject": refused at RCPT with a reply code; "pass": goes through).
dofile(DIR .. "/../milter/common.lua")
local conn = mt.connect("inet:" .. PORT .. "@127.0.0.1", 40, 0.25)
if conn == nil then fail("cannot connect to the milter on port " .. PORT) end
local err = mt.negotiate(conn, nil, nil, nil)
if err ~= nil then fail("negotiate: " .. err) end
if mt.conninfo(conn, "client.example", IP) ~= nil then fail("conninfo") end
expect_go_on(conn, SMFIP_NR_CONN, "connect")
helo(conn)
expect_go_on(conn, SMFIP_NR_HELO, "HELO")
mail(conn, "DEMO")
rcpt(conn)
if WANT == "reject" then
	expect_reply(conn, SMFIR_REPLYCODE, "RCPT of a client the demo list lists")
else
	expect_reply(conn, SMFIR_CONTINUE, "RCPT of a client the demo list does not list")
end
mt.disconnect(conn)
