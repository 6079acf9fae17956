-- Every DNS server times out: the check fails and milter_error_action decides.
-- WANT = "accept" (RCPT goes on) or "tempfail" (RCPT gets a 4xx reply code).
dofile(DIR .. "/common.lua")
mt.set_timeout(20)
local conn = open_client("192.0.2.77")
helo(conn)
mail(conn, "DNSDOWN")
rcpt(conn)
if WANT == "accept" then
	expect_reply(conn, SMFIR_CONTINUE, "RCPT with the DNS down, error action accept")
else
	expect_reply(conn, SMFIR_REPLYCODE, "RCPT with the DNS down, error action tempfail")
end
mt.disconnect(conn)
