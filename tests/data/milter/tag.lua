-- dnsbl_action = tag: the message of a listed client gets ONE X-Relayguard
-- header with the exact value; copies that came with the message are deleted.
-- HEADER is the expected value; FORGED the number of copies sent in.
dofile(DIR .. "/common.lua")
local conn = open_client(IP or "192.0.2.5")
helo(conn)
mail(conn, "TAGGED")
rcpt(conn)
expect_reply(conn, SMFIR_CONTINUE, "RCPT of a tagged client")
local headers = { { "From", "s@example.org" } }
for i = 1, tonumber(FORGED or "0") do
	table.insert(headers, { "X-Relayguard", "clean action=pass score=0 forged=" .. i })
end
table.insert(headers, { "Subject", "hello" })
message(conn, headers)
if HEADER ~= nil and HEADER ~= "" then
	if not mt.eom_check(conn, MT_HDRADD, "X-Relayguard", HEADER) then
		fail("X-Relayguard: " .. HEADER .. " not added (got " ..
		     tostring(mt.getheader(conn, "X-Relayguard", 0)) .. ")")
	end
	if mt.getheader(conn, "X-Relayguard", 1) ~= nil then fail("header added twice") end
else
	if mt.eom_check(conn, MT_HDRADD) then fail("a header was added") end
end
if tonumber(FORGED or "0") > 0 then
	if not mt.eom_check(conn, MT_HDRDELETE, "X-Relayguard") then fail("forged header kept") end
else
	if mt.eom_check(conn, MT_HDRDELETE) then fail("a header was deleted") end
end
mt.disconnect(conn)
