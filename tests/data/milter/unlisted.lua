-- An unlisted client goes through; nothing is added to its message.
dofile(DIR .. "/common.lua")
local conn = open_client(IP or "192.0.2.99")
expect_go_on(conn, SMFIP_NR_CONN, "connect")
helo(conn)
expect_go_on(conn, SMFIP_NR_HELO, "HELO")
mail(conn, "UNLISTED")
rcpt(conn)
expect_reply(conn, SMFIR_CONTINUE, "RCPT of an unlisted client")
message(conn, { { "From", "s@example.org" }, { "Subject", "hello" } })
if mt.eom_check(conn, MT_HDRADD) then fail("a header was added for an unlisted client") end
if mt.eom_check(conn, MT_HDRDELETE) then fail("a header was deleted") end
mt.disconnect(conn)
