# lib_sentinel.sh - a Redis Sentinel set on loopback for integration tests
# (sourced after lib.sh).  Real servers: one redis-server master, one
# replica, three Debian redis-sentinel watching them as "mymaster" (quorum
# 2, down-after-milliseconds 1000).  Every process is tracked by lib.sh
# (rg_track) and stopped on exit.
#
#   rg_start_sentinel_set      start it all and wait until the Sentinels know
#                              the replica and each other; sets
#     RG_SENTINEL_MASTER         the master's name for redis_sentinel_master
#     RG_SENTINELS               "127.0.0.1:P, 127.0.0.1:P, 127.0.0.1:P"
#                                (for redis_sentinels)
#     RG_SENTINEL_PORT           the first Sentinel's port
#     RG_REDIS_P1, RG_REDIS_P2   the ports of the first master and the replica
#   rg_redis_pid PORT          the PID of the redis-server on PORT
#   rg_sentinel_master_port    the master's port as the first Sentinel says
#   rg_sentinel_wait_master PORT [TENTHS]  wait (default 30 s) until the
#                              Sentinels name PORT as the master; 1 if not
#   rg_redis_cli ARGS...       redis-cli for a server, with its password
#   rg_sentinel_cli ARGS...    redis-cli for a Sentinel, with theirs
# Passwords, when set before rg_start_sentinel_set:
#   RG_REDIS_REQUIREPASS       the servers' requirepass (and masterauth, and
#                              the Sentinels' auth-pass for them)
#   RG_SENTINEL_REQUIREPASS    the Sentinels' requirepass (which they also
#                              use with each other)
# ACL users (Redis 6.2+), when set too: the default user is then off, and
#   RG_REDIS_USER              is the servers' user, with RG_REDIS_REQUIREPASS
#                              (also for replication and the Sentinels)
#   RG_SENTINEL_USER           the Sentinels' user, with RG_SENTINEL_REQUIREPASS
#                              (also between the Sentinels)

rg_require redis-server redis-cli redis-sentinel
RG_SENTINEL_MASTER=mymaster
RG_REDIS_REQUIREPASS=${RG_REDIS_REQUIREPASS:-}
RG_SENTINEL_REQUIREPASS=${RG_SENTINEL_REQUIREPASS:-}
RG_REDIS_USER=${RG_REDIS_USER:-}
RG_SENTINEL_USER=${RG_SENTINEL_USER:-}

rg_redis_cli() { rg_redis_cli_pw "$RG_REDIS_REQUIREPASS" ${RG_REDIS_USER:+--user "$RG_REDIS_USER"} "$@"; }
rg_sentinel_cli() { rg_redis_cli_pw "$RG_SENTINEL_REQUIREPASS" ${RG_SENTINEL_USER:+--user "$RG_SENTINEL_USER"} "$@"; }

# rg_start_redis_node PORT [REPLICAOF-PORT]: one redis-server in its own folder.
rg_start_redis_node() {
	_dir="$RUN/redis-$1"
	mkdir -p "$_dir"
	_port=$1; shift
	if [ $# -gt 0 ]; then set -- --replicaof 127.0.0.1 "$1"; fi
	if [ -n "$RG_REDIS_USER" ]; then
		set -- "$@" --user default off --user "$RG_REDIS_USER" on ">$RG_REDIS_REQUIREPASS" "~*" "&*" "+@all" \
			--masteruser "$RG_REDIS_USER" --masterauth "$RG_REDIS_REQUIREPASS"
	elif [ -n "$RG_REDIS_REQUIREPASS" ]; then
		set -- "$@" --requirepass "$RG_REDIS_REQUIREPASS" --masterauth "$RG_REDIS_REQUIREPASS"
	fi
	redis-server --bind 127.0.0.1 --port "$_port" --save '' --appendonly no --daemonize no \
		--dir "$_dir" --logfile "$_dir/log" "$@" &
	rg_track $!
	eval "RG_REDIS_PID_$_port=$!"
	rg_wait_port "$_port" tcp || rg_bail "redis-server on $_port did not start"
}

rg_redis_pid() { eval "echo \${RG_REDIS_PID_$1:-}"; }

rg_sentinel_master_port() {
	rg_sentinel_cli -p "$RG_SENTINEL_PORT" sentinel get-master-addr-by-name "$RG_SENTINEL_MASTER" | sed -n 2p
}

rg_sentinel_wait_master() {
	for _ in $(seq 1 "${2:-300}"); do
		[ "$(rg_sentinel_master_port)" = "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# _rg_sentinel_field NAME: one field of SENTINEL MASTER.
_rg_sentinel_field() {
	rg_sentinel_cli -p "$RG_SENTINEL_PORT" sentinel master "$RG_SENTINEL_MASTER" | grep -A1 "^$1\$" | tail -1
}

rg_start_sentinel_set() {
	RG_REDIS_P1=$(rg_free_port)
	RG_REDIS_P2=$(rg_free_port)
	rg_start_redis_node "$RG_REDIS_P1"
	rg_start_redis_node "$RG_REDIS_P2" "$RG_REDIS_P1"
	for _ in $(seq 1 100); do
		rg_redis_cli -p "$RG_REDIS_P2" info replication | grep -q 'master_link_status:up' && break
		sleep 0.1
	done
	RG_SENTINELS=""
	RG_SENTINEL_PORT=""
	for _i in 1 2 3; do
		_sp=$(rg_free_port)
		cat >"$RUN/sentinel-$_i.conf" <<CONF
bind 127.0.0.1
port $_sp
daemonize no
dir $RUN
logfile $RUN/sentinel-$_i.log
sentinel monitor $RG_SENTINEL_MASTER 127.0.0.1 $RG_REDIS_P1 2
sentinel down-after-milliseconds $RG_SENTINEL_MASTER 1000
sentinel failover-timeout $RG_SENTINEL_MASTER 10000
sentinel parallel-syncs $RG_SENTINEL_MASTER 1
CONF
		[ -z "$RG_REDIS_REQUIREPASS" ] ||
			echo "sentinel auth-pass $RG_SENTINEL_MASTER $RG_REDIS_REQUIREPASS" >>"$RUN/sentinel-$_i.conf"
		[ -z "$RG_REDIS_USER" ] ||
			echo "sentinel auth-user $RG_SENTINEL_MASTER $RG_REDIS_USER" >>"$RUN/sentinel-$_i.conf"
		if [ -n "$RG_SENTINEL_USER" ]; then
			printf 'user default off\nuser %s on >%s ~* &* +@all\nsentinel sentinel-user %s\nsentinel sentinel-pass %s\n' \
				"$RG_SENTINEL_USER" "$RG_SENTINEL_REQUIREPASS" "$RG_SENTINEL_USER" "$RG_SENTINEL_REQUIREPASS" \
				>>"$RUN/sentinel-$_i.conf"
		elif [ -n "$RG_SENTINEL_REQUIREPASS" ]; then
			echo "requirepass $RG_SENTINEL_REQUIREPASS" >>"$RUN/sentinel-$_i.conf"
		fi
		redis-sentinel "$RUN/sentinel-$_i.conf" &
		rg_track $!
		rg_wait_port "$_sp" tcp || rg_bail "sentinel $_i did not start"
		RG_SENTINEL_PORT=${RG_SENTINEL_PORT:-$_sp}
		RG_SENTINELS="${RG_SENTINELS:+$RG_SENTINELS, }127.0.0.1:$_sp"
	done
	# A failover needs the Sentinels to know the replica and each other.
	for _ in $(seq 1 300); do
		[ "$(_rg_sentinel_field num-other-sentinels)" = 2 ] &&
			[ "$(_rg_sentinel_field num-slaves)" = 1 ] && return 0
		sleep 0.1
	done
	rg_bail "the Sentinels did not find the replica and each other in 30 s"
}
