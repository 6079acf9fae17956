-- dnsbl_action = quarantine: the message is held with the rendered reason.
dofile(DIR .. "/common.lua")
local conn = open_client("192.0.2.5")
helo(conn)
mail(conn, "QUARANTINED")
rcpt(conn)
expect_reply(conn, SMFIR_CONTINUE, "RCPT")
message(conn, { { "From", "s@example.org" } })
if not mt.eom_check(conn, MT_QUARANTINE, REASON) then fail("not quarantined with '" .. REASON .. "'") end
mt.disconnect(conn)
