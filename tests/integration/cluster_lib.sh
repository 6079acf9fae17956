# cluster_lib.sh - a private Redis Cluster on loopback for tests and benchmarks.
#
# Source it after lib.sh (it uses $RUN, rg_free_port, rg_track, rg_wait_port,
# rg_bail):
#
#     . "$RG_TOP_SRCDIR/tests/integration/lib.sh"
#     . "$RG_TOP_SRCDIR/tests/integration/cluster_lib.sh"
#     rg_start_redis_cluster 3 1      # 3 masters with 1 replica each
#     echo "$RG_CLUSTER_NODES"        # "127.0.0.1:P1,127.0.0.1:P2,..." (redis_cluster_nodes)
#
# rg_start_redis_cluster MASTERS REPLICAS: starts MASTERS*(1+REPLICAS)
# redis-server processes with --cluster-enabled yes on free loopback ports
# (folders $RUN/cluster-PORT), joins them with `redis-cli --cluster create
# ... --cluster-replicas REPLICAS --cluster-yes` and waits until every node
# says cluster_state:ok and agrees on the slots.  Every server is tracked by
# PID (rg_cleanup stops it, also on failure).  Sets:
#   RG_CLUSTER_PORTS  every port, in creation order (masters first)
#   RG_CLUSTER_NODES  the same as a redis_cluster_nodes value
#   RG_CLUSTER_PID_<PORT>  the PID of the server on PORT
# cluster-node-timeout is RG_CLUSTER_NODE_TIMEOUT ms (default 2000): a killed
# master is replaced by its replica within a few seconds.
#
# Helpers: rg_cluster_start_node PORT (a killed node started again),
# rg_cluster_master_of KEY (HOST:PORT of the master serving KEY's
# slot), rg_cluster_wait_ok (cluster_state:ok on every live node, 30 s),
# rg_cluster_pid PORT, rg_cluster_replica_of PORT (a replica of that master),
# rg_cluster_cli ARGS... (redis-cli with the nodes' password, if any).
# RG_CLUSTER_REQUIREPASS, set before rg_start_redis_cluster, gives every node
# that requirepass (and masterauth, for its replicas); with RG_CLUSTER_USER
# too, it is that ACL user's password instead, and the default user is off.

RG_CLUSTER_NODE_TIMEOUT=${RG_CLUSTER_NODE_TIMEOUT:-2000}
RG_CLUSTER_REQUIREPASS=${RG_CLUSTER_REQUIREPASS:-}
RG_CLUSTER_USER=${RG_CLUSTER_USER:-}

rg_cluster_cli() { rg_redis_cli_pw "$RG_CLUSTER_REQUIREPASS" ${RG_CLUSTER_USER:+--user "$RG_CLUSTER_USER"} "$@"; }

rg_start_redis_cluster() {
	_masters=$1
	_replicas=$2
	rg_require redis-server redis-cli
	_n=$((_masters * (1 + _replicas)))
	RG_CLUSTER_PORTS=""
	RG_CLUSTER_NODES=""
	_i=0
	while [ "$_i" -lt "$_n" ]; do
		_p=$(rg_free_port)
		# the cluster bus is PORT+10000: it must be free too
		while ss -Hltn "sport = :$((_p + 10000))" 2>/dev/null | grep -q . || [ "$_p" -gt 55000 ]; do
			_p=$(rg_free_port)
		done
		case " $RG_CLUSTER_PORTS " in *" $_p "*) continue ;; esac
		mkdir -p "$RUN/cluster-$_p"
		rg_cluster_start_node "$_p"
		RG_CLUSTER_PORTS="$RG_CLUSTER_PORTS $_p"
		RG_CLUSTER_NODES="$RG_CLUSTER_NODES${RG_CLUSTER_NODES:+,}127.0.0.1:$_p"
		_i=$((_i + 1))
	done
	RG_CLUSTER_PORTS=${RG_CLUSTER_PORTS# }
	for _p in $RG_CLUSTER_PORTS; do
		rg_wait_port "$_p" tcp || rg_bail "cluster node $_p did not start"
	done
	_addrs=""
	for _p in $RG_CLUSTER_PORTS; do _addrs="$_addrs 127.0.0.1:$_p"; done
	# shellcheck disable=SC2086
	rg_cluster_cli --cluster create $_addrs --cluster-replicas "$_replicas" --cluster-yes \
		>"$RUN/cluster-create.log" 2>&1 || rg_bail "redis-cli --cluster create failed: $(tail -5 "$RUN/cluster-create.log")"
	rg_cluster_wait_ok || rg_bail "the cluster did not reach cluster_state:ok"
}

# rg_cluster_start_node PORT: starts (or, after a crash, restarts) the node
# on PORT in the background, tracked by PID.  Restarted, it reads its
# nodes.conf, so it rejoins the cluster under its old ID (a master whose
# slots went to its replica comes back as that replica's replica).
rg_cluster_start_node() {
	if [ -n "$RG_CLUSTER_USER" ]; then
		set -- "$1" --user default off --user "$RG_CLUSTER_USER" on ">$RG_CLUSTER_REQUIREPASS" "~*" "&*" "+@all" \
			--masteruser "$RG_CLUSTER_USER" --masterauth "$RG_CLUSTER_REQUIREPASS"
	elif [ -n "$RG_CLUSTER_REQUIREPASS" ]; then
		set -- "$1" --requirepass "$RG_CLUSTER_REQUIREPASS" --masterauth "$RG_CLUSTER_REQUIREPASS"
	fi
	redis-server --bind 127.0.0.1 --port "$@" --save '' --appendonly no --daemonize no \
		--cluster-enabled yes --cluster-config-file "$RUN/cluster-$1/nodes.conf" \
		--cluster-node-timeout "$RG_CLUSTER_NODE_TIMEOUT" --dir "$RUN/cluster-$1" \
		--logfile "$RUN/cluster-$1/redis.log" &
	eval "RG_CLUSTER_PID_$1=$!"
	rg_track "$!"
}

rg_cluster_pid() { eval "echo \${RG_CLUSTER_PID_$1:-}"; }

# rg_cluster_wait_ok: every live node says cluster_state:ok and every node
# knows all 16384 slots (redis-cli --cluster check passes), within 30 s.
rg_cluster_wait_ok() {
	for _ in $(seq 1 300); do
		_bad=0
		for _p in $RG_CLUSTER_PORTS; do
			_pid=$(rg_cluster_pid "$_p")
			kill -0 "$_pid" 2>/dev/null || continue
			rg_cluster_cli -p "$_p" cluster info 2>/dev/null | grep -q '^cluster_state:ok' || _bad=1
		done
		if [ "$_bad" = 0 ]; then
			for _p in $RG_CLUSTER_PORTS; do
				kill -0 "$(rg_cluster_pid "$_p")" 2>/dev/null || continue
				rg_cluster_cli --cluster check "127.0.0.1:$_p" >/dev/null 2>&1 && return 0
				break
			done
		fi
		sleep 0.1
	done
	return 1
}

# rg_cluster_master_of KEY: "127.0.0.1:PORT" of the master serving KEY now.
rg_cluster_master_of() {
	for _p in $RG_CLUSTER_PORTS; do
		kill -0 "$(rg_cluster_pid "$_p")" 2>/dev/null || continue
		_slot=$(rg_cluster_cli -p "$_p" cluster keyslot "$1" 2>/dev/null) || continue
		rg_cluster_cli -p "$_p" cluster slots 2>/dev/null | awk -v s="$_slot" '
			NR % 1 == 0 { a[NR] = $0 }
			END {
				# the reply is flat in redis-cli: start, end, ip, port, id, ...
				for (i = 1; i <= NR; i++)
					if (a[i] ~ /^[0-9]+$/ && a[i + 1] ~ /^[0-9]+$/ && a[i + 2] ~ /\./ &&
					    a[i] + 0 <= s && s <= a[i + 1] + 0) { print a[i + 2] ":" a[i + 3]; exit }
			}'
		return 0
	done
	return 1
}

# rg_cluster_replica_of PORT: the port of a replica of the master on PORT.
rg_cluster_replica_of() {
	rg_cluster_cli -p "$1" cluster replicas "$(rg_cluster_cli -p "$1" cluster myid)" 2>/dev/null |
		awk '{ split($2, a, "[:@]"); print a[2]; exit }'
}
