-- SPF at MAIL FROM (spf = tag|reject), from tests/integration/milter.sh.
-- IP, HELO, SENDER (without <>, "" = null sender) and AUTH ({auth_authen})
-- describe the client; WANT says what must happen:
--   reject  MAIL FROM is refused with a reply code (SPF fail, spf = reject)
--   listed  MAIL goes on, RCPT is refused (the DNSBL's verdict, no SPF)
--   accept  the message is accepted; HEADER is then the exact value of the
--           one Received-SPF header inserted on top, HEADER_PREFIX its
--           start, and without either no Received-SPF may be added.
-- The message brings a Received-SPF of an earlier hop, which must stay.
dofile(DIR .. "/common.lua")
local conn = open_client(IP or "192.0.2.77")
helo(conn, HELO)
if AUTH ~= nil then
	mt.macro(conn, SMFIC_MAIL, "i", "SPFTEST", "{auth_authen}", AUTH)
else
	mt.macro(conn, SMFIC_MAIL, "i", "SPFTEST")
end
if mt.mailfrom(conn, "<" .. (SENDER or "") .. ">") ~= nil then fail("mailfrom") end
if WANT == "reject" then
	expect_reply(conn, SMFIR_REPLYCODE, "MAIL of an SPF fail sender")
	mt.disconnect(conn)
	return
end
expect_go_on(conn, SMFIP_NR_MAIL, "MAIL")
rcpt(conn)
if WANT == "listed" then
	expect_reply(conn, SMFIR_REPLYCODE, "RCPT of a listed client")
	mt.disconnect(conn)
	return
end
expect_reply(conn, SMFIR_CONTINUE, "RCPT")
message(conn, { { "Received-SPF", "pass (earlier.example: an earlier hop)" },
		{ "From", "s@example.org" } })
if mt.eom_check(conn, MT_HDRDELETE) or mt.eom_check(conn, MT_HDRCHANGE) then
	fail("a header of the message was changed or deleted")
end
if HEADER ~= nil then
	if not mt.eom_check(conn, MT_HDRINSERT, "Received-SPF", HEADER, 0) then
		fail("Received-SPF: " .. HEADER .. " not inserted at 0")
	end
elseif HEADER_PREFIX ~= nil then
	if not mt.eom_check(conn, MT_HDRINSERT, "Received-SPF") then fail("no Received-SPF inserted") end
	local got = mt.getheader(conn, "Received-SPF", 0)
	if got == nil or string.sub(got, 1, #HEADER_PREFIX) ~= HEADER_PREFIX then
		fail("Received-SPF " .. tostring(got) .. " does not start with " .. HEADER_PREFIX)
	end
else
	if mt.eom_check(conn, MT_HDRINSERT) or mt.eom_check(conn, MT_HDRADD) then
		fail("a header was added")
	end
end
mt.disconnect(conn)
