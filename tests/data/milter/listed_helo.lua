-- milter_reject_stage = helo: connect goes on, refused at HELO.
dofile(DIR .. "/common.lua")
local conn = open_client("192.0.2.5")
expect_go_on(conn, SMFIP_NR_CONN, "connect")
helo(conn)
expect_reply(conn, SMFIR_REPLYCODE, "HELO of a listed client")
mt.disconnect(conn)
