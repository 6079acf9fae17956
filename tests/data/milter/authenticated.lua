-- A listed client that authenticated ({auth_authen} at MAIL) is not refused.
-- ONCE: only that transaction.
dofile(DIR .. "/common.lua")
local conn = open_client("192.0.2.5")
helo(conn)
mail(conn, "AUTHED", "alice")
rcpt(conn)
expect_reply(conn, SMFIR_CONTINUE, "RCPT of an authenticated listed client")
message(conn, { { "From", "alice@example.org" } })
if ONCE ~= nil then
	mt.disconnect(conn)
	return
end
-- the next transaction of the same connection without AUTH is checked again
mail(conn, "NOTAUTHED")
rcpt(conn)
expect_reply(conn, SMFIR_REPLYCODE, "RCPT of the next, unauthenticated transaction")
mt.disconnect(conn)
