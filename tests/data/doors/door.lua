-- door.lua - one row of the door contract (tests/integration/doors.sh) through
-- relayguard-milter: a client from IP says HELO client.example, MAIL FROM
-- <s@example.org> with queue id QID, RCPT TO <r@example.net>.
--   REFUSED          "yes": RCPT is refused with a reply code (smfi_setreply)
--   HEADER           the exact X-Relayguard value added at end of message ("" = none)
--   REASON           the exact quarantine reason ("" = no quarantine)
dofile(DIR .. "/../milter/common.lua")
local conn = open_client(IP)
helo(conn, "client.example")
mail(conn, QID)
rcpt(conn)
if REFUSED == "yes" then
	-- smfi_setreply(): a reply code, not a plain reject.  miltertest shows
	-- the text only at end of message: the decision line (reply=) and
	-- tests/integration/postfix_milter.sh show the text the client gets.
	expect_reply(conn, SMFIR_REPLYCODE, "RCPT")
	mt.disconnect(conn)
	return
end
expect_reply(conn, SMFIR_CONTINUE, "RCPT")
message(conn, { { "From", "s@example.org" }, { "Subject", "door" } })
if HEADER ~= "" then
	if not mt.eom_check(conn, MT_HDRADD, "X-Relayguard", HEADER) then
		fail("X-Relayguard is " .. tostring(mt.getheader(conn, "X-Relayguard", 0)) ..
		     ", expected " .. HEADER)
	end
elseif mt.eom_check(conn, MT_HDRADD) then
	fail("a header was added: " .. tostring(mt.getheader(conn, "X-Relayguard", 0)))
end
if REASON ~= "" then
	if not mt.eom_check(conn, MT_QUARANTINE, REASON) then fail("not quarantined with '" .. REASON .. "'") end
elseif mt.eom_check(conn, MT_QUARANTINE) then
	fail("quarantined")
end
mt.disconnect(conn)
