-- connect.lua - one client through the packaged relayguard-milter on
-- inet:PORT@127.0.0.1 (tests/integration/debian_pkg.sh).  The shipped
-- configuration checks nothing: every step goes on.
local conn = mt.connect("inet:" .. PORT .. "@127.0.0.1", 40, 0.25)
if conn == nil then error("cannot connect to the milter on port " .. PORT) end
local err = mt.negotiate(conn, nil, nil, nil)
if err ~= nil then error("negotiate: " .. err) end
if mt.conninfo(conn, "client.example", "192.0.2.1") ~= nil then error("conninfo") end
if not mt.test_option(conn, SMFIP_NR_CONN) and mt.getreply(conn) ~= SMFIR_CONTINUE then
	error("connect: the milter did not let the client go on")
end
if mt.helo(conn, "client.example") ~= nil then error("helo") end
if not mt.test_option(conn, SMFIP_NR_HELO) and mt.getreply(conn) ~= SMFIR_CONTINUE then
	error("HELO: the milter did not let the client go on")
end
mt.disconnect(conn)
