-- milter_early_accept = yes: WANT=accept, the connection is accepted at
-- connect (the MTA then sends nothing more); WANT=continue, it goes on.
dofile(DIR .. "/common.lua")
local conn = open_client(IP or "192.0.2.99")
if WANT == "accept" then
	expect_reply(conn, SMFIR_ACCEPT, "connect of a client that passed")
else
	expect_go_on(conn, SMFIP_NR_CONN, "connect")
	helo(conn)
	mail(conn, "EARLY")
	rcpt(conn)
	expect_reply(conn, SMFIR_CONTINUE, "RCPT")
end
mt.disconnect(conn)
