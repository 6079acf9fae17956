-- check.lua - one check through relayguard-milter for tests/integration/fleet.sh:
-- a client from IP says HELO client.example, MAIL FROM <s@example.org> with
-- queue id QID, RCPT TO <r@example.net>.  Prints "RESULT refused" when RCPT
-- is refused with a reply code, "RESULT continue" when the milter lets it on;
-- anything else fails.  SOCK, DIR, IP and QID come with -D.
dofile(DIR .. "/../milter/common.lua")
local conn = open_client(IP)
helo(conn, "client.example")
mail(conn, QID)
rcpt(conn)
local got = mt.getreply(conn)
if got == SMFIR_REPLYCODE then
	mt.echo("RESULT refused")
elseif got == SMFIR_CONTINUE then
	mt.echo("RESULT continue")
else
	fail("RCPT: reply " .. tostring(got))
end
mt.disconnect(conn)
