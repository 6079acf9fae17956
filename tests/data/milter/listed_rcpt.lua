-- A listed client (bl1.test) is refused at RCPT (milter_reject_stage = rcpt),
-- with a reply code (smfi_setreply); connect, HELO and MAIL go on.
dofile(DIR .. "/common.lua")
local conn = open_client(IP or "192.0.2.5")
expect_go_on(conn, SMFIP_NR_CONN, "connect")
helo(conn)
expect_go_on(conn, SMFIP_NR_HELO, "HELO")
mail(conn, "LISTEDRCPT")
rcpt(conn)
expect_reply(conn, SMFIR_REPLYCODE, "RCPT of a listed client")
-- a second recipient of the same transaction gets the same answer
rcpt(conn)
expect_reply(conn, SMFIR_REPLYCODE, "second RCPT")
mt.disconnect(conn)
