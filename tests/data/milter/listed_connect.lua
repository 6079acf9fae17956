-- milter_reject_stage = connect: refused at connect.
dofile(DIR .. "/common.lua")
local conn = open_client("192.0.2.5")
if mt.test_option(conn, SMFIP_NR_CONN) then fail("connect negotiated without reply") end
expect_reply(conn, SMFIR_REPLYCODE, "connect of a listed client")
mt.disconnect(conn)
