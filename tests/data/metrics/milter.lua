-- metrics.sh: two milter sessions, one listed client (192.0.2.5) and one
-- unlisted (192.0.2.99); the counters they move are checked by the scrape.
for _, ip in ipairs({ "192.0.2.5", "192.0.2.99" }) do
	local conn = mt.connect(SOCK, 40, 0.25)
	if conn == nil then mt.echo("FAIL: cannot connect to " .. SOCK); error("connect") end
	if mt.negotiate(conn, nil, nil, nil) ~= nil then mt.echo("FAIL: negotiate"); error("negotiate") end
	mt.macro(conn, SMFIC_CONNECT, "j", "mx.example", "{client_addr}", ip)
	if mt.conninfo(conn, "client.example", ip) ~= nil then mt.echo("FAIL: conninfo"); error("conninfo") end
	if not mt.test_option(conn, SMFIP_NOHELO) then mt.helo(conn, "client.example") end
	mt.macro(conn, SMFIC_MAIL, "i", "QID" .. ip)
	mt.mailfrom(conn, "<s@example.org>")
	mt.rcptto(conn, "<r@example.net>")
	mt.disconnect(conn)
end
