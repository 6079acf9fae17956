# bench/lib.sh - what several benchmarks set up alike.  Sourced after
# tests/integration/lib.sh (RUN, rg_free_port, rg_track, rg_start_redis).

# bench_five_zones [soa]: five DNSBL zones z1.test .. z5.test, each listing
# about 10% of 198.18.0.0/16 (a different 10% each), served by one rbldnsd
# on a free loopback port (query logging off: it would measure rbldnsd's
# stdout).  Sets DNS_PORT.  soa: every zone also has an SOA and NS record,
# so that negative answers carry the SOA (negative caching).
bench_five_zones() {
	local z i args=()
	for z in 1 2 3 4 5; do
		{
			echo ":127.0.0.2:listed in z$z"
			echo "127.0.0.2"
			for i in $(seq $z 10 65535); do echo "198.$((18 + i / 65536)).$(((i / 256) % 256)).$((i % 256))"; done
		} >"$RUN/z$z.ip4set"
		args+=("z$z.test:ip4set:z$z.ip4set")
		[ "${1:-}" = soa ] && args+=("z$z.test:generic:common.generic")
	done
	printf '$SOA 3600 ns.test. hm.test. 0 600 300 86400 3600\n$NS 3600 ns.test.\n' >"$RUN/common.generic"
	DNS_PORT=$(rg_free_port)
	( cd "$RUN" && exec rbldnsd -n -u rbldns -b "127.0.0.1/$DNS_PORT" -t 3600 -c 0 -p "$RUN/rbldnsd.pid" "${args[@]}" >"$RUN/rbldnsd.log" 2>&1 ) &
	rg_track $!
	rg_wait_port "$DNS_PORT" udp || { echo "rbldnsd did not start" >&2; exit 1; }
}

# bench_redis_pair: a standalone master and one replica of it.  Sets MASTER,
# MASTER_PID, REPLICA, REPLICA_PID.
bench_redis_pair() {
	MASTER=$(rg_free_port)
	rg_start_redis "$MASTER"
	MASTER_PID=$RG_REDIS_PID
	REPLICA=$(rg_free_port)
	redis-server --bind 127.0.0.1 --port "$REPLICA" --save '' --appendonly no --dir "$RUN" \
		--logfile "$RUN/replica.log" --replicaof 127.0.0.1 "$MASTER" &
	REPLICA_PID=$!
	rg_track $!
	rg_wait_port "$REPLICA" tcp
}
