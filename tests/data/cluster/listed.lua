-- listed.lua - one client through relayguard-milter on a Redis Cluster
-- (tests/integration/cluster.sh): -D SOCK=path -D IP=address.  Prints
-- "REJECTED AT step" when the milter refuses the client, "PASSED" when
-- every step went on.
local conn = mt.connect("unix:" .. SOCK, 40, 0.25)
if conn == nil then mt.echo("FAIL: cannot connect"); error("connect") end
if mt.negotiate(conn, nil, nil, nil) ~= nil then mt.echo("FAIL: negotiate"); error("negotiate") end
local function step(name, err, opt)
	if err ~= nil then mt.echo("FAIL: " .. name .. ": " .. err); error(name) end
	if opt ~= nil and mt.test_option(conn, opt) then return false end
	local r = mt.getreply(conn)
	if r == SMFIR_REPLYCODE or r == SMFIR_REJECT or r == SMFIR_TEMPFAIL then
		mt.echo("REJECTED AT " .. name)
		return true
	end
	return false
end
if step("connect", mt.conninfo(conn, "client.example", IP), SMFIP_NR_CONN) then return end
if step("helo", mt.helo(conn, "client.example"), SMFIP_NR_HELO) then return end
if step("mail", mt.mailfrom(conn, "<s@example.org>"), SMFIP_NR_MAIL) then return end
if step("rcpt", mt.rcptto(conn, "<r@example.net>"), SMFIP_NR_RCPT) then return end
mt.echo("PASSED")
mt.disconnect(conn)
