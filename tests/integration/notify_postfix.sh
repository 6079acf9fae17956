#!/bin/sh
# notify_postfix.sh - notices delivered for real: relayguard-notify's SMTP
# client straight to smtp-sink, then through a private Postfix instance
# (smtp: into its smtpd, and sendmail: through Postfix's own sendmail),
# Postfix relaying to smtp-sink, which writes every message to a file.
# The envelope sender (notify_envelope_sender, by default notify_from's
# address) is what the sink sees as MAIL FROM, through both transports.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh" || { echo "Bail out! cannot read tests/integration/lib.sh"; exit 99; }
rg_require redis-server redis-cli postfix smtp-sink
if [ "$(id -u)" != 0 ]; then
	[ -n "${CI:-}" ] && rg_bail "Postfix needs root (CI runs as root)"
	rg_skip_all "Postfix needs root"
fi
NOTIFY="$RG_TOP_BUILDDIR/notify/relayguard-notify"
SENDMAIL=$(command -v sendmail || echo /usr/sbin/sendmail)
REDIS_PORT=$(rg_free_port)
SMTP_PORT=$(rg_free_port)
SINK_PORT=$(rg_free_port)
rg_start_redis "$REDIS_PORT"
R() { redis-cli -p "$REDIS_PORT" "$@"; }

rg_start_sink

rg_start_postfix notify-main.cf.in

# queue PREFIX ADDR...: one event per address, now
queue() {
	_p=$1; shift
	for _a in "$@"; do
		R XADD "${_p}reports" '*' id "ev-$_p$_a" t "$(date +%s)" client "$_a" helo h.example \
			host mx.test lists 'bl.test%3D127.0.0.2' >/dev/null
	done
}
conf() {	# conf PREFIX TRANSPORT [extra line]
	cat <<CONF
allow_root = yes
myhostname = mx.test
redis_server = 127.0.0.1:$REDIS_PORT
redis_prefix = $1
owners_db = $RG_TOP_SRCDIR/tests/data/owners/registry.db
notify_min_hits = 3
notify_template = $RG_TOP_SRCDIR/conf/notice.txt
notify_from = rg-notices@relayguard.test
notify_bcc = copies@relayguard.test
notify_transport = $2
${3:-}
CONF
}
sink_count() { ls "$RUN/sink" | wc -l | tr -d ' '; }
wait_sink() {	# wait_sink N: up to 20 s for N messages in the sink
	for _ in $(seq 1 200); do
		[ "$(sink_count)" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# 1. SMTP straight to the sink.
conf a: "smtp:127.0.0.1:$SINK_PORT" >"$RUN/a.conf"
queue a: 192.0.2.1 192.0.2.2 192.0.2.3
"$NOTIFY" -c "$RUN/a.conf" --once 2>"$RUN/a.err"; rc=$?
rg_is "$rc" 0 "smtp: relayguard-notify --once"
wait_sink 1
rg_is "$(sink_count)" 1 "smtp: one message at the sink"
m=$(cat "$RUN/sink"/*)
rg_like "$m" "X-Rcpt-Args: <abuse@net-a.example>" "smtp: to the network's abuse contact"
rg_like "$m" "X-Rcpt-Args: <copies@relayguard.test>" "smtp: and to notify_bcc"
rg_like "$m" "X-Mail-Args: <rg-notices@relayguard.test>" "smtp: MAIL FROM is notify_from's address by default"
rg_ok "$(printf '%s' "$m" | grep -c '^Bcc:')" "smtp: the Bcc header is not sent"
rg_like "$m" "Content-Type: multipart/report; report-type=feedback-report" "smtp: the report arrives whole"
rg_is "$(printf '%s\n' "$m" | grep -c '^Source-IP: ')" 1 "smtp: one Source-IP in the feedback report"
rg_like "$m" "^192\.0\.2\.3,[0-9T:Z-]+,[0-9T:Z-]+,1," "smtp: every address in the CSV part"
res=$(/usr/bin/python3 - "$RUN/sink"/* <<'PY' 2>&1
import csv, email, email.policy, io, sys
msg = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
defects = [(p.get_content_type(), d) for p in msg.walk() for d in p.defects]
assert not defects, defects
table = [p for p in msg.walk() if p.get_content_type() == "text/csv"][0].get_content()
assert sorted(r["address"] for r in csv.DictReader(io.StringIO(table))) == ["192.0.2.1", "192.0.2.2", "192.0.2.3"]
report = [p for p in msg.walk() if p.get_content_type() == "message/feedback-report"][0].get_payload()[0]
assert len(report.get_all("Source-IP")) == 1 and report["Reporting-MTA"] == "dns; mx.test", report.items()
print("ok")
PY
)
rg_is "$res" ok "smtp: as received, no defect for Python's email, every address back from the CSV, one Source-IP"

# 2. SMTP through Postfix.
rm -f "$RUN/sink"/*
conf b: "smtp:127.0.0.1:$SMTP_PORT" "notify_envelope_sender = bounces@relayguard.test" >"$RUN/b.conf"
queue b: 198.51.100.1 198.51.100.2 198.51.100.3
"$NOTIFY" -c "$RUN/b.conf" --once 2>"$RUN/b.err"; rc=$?
rg_is "$rc" 0 "through Postfix: relayguard-notify --once"
wait_sink 1
rg_is "$(sink_count)" 1 "through Postfix: the notice reached the sink"
rg_like "$(cat "$RUN/sink"/*)" "Message-ID: <rg-[0-9a-f]{16}@mx.test>" "through Postfix: with the notice's stable Message-ID"
rg_like "$(grep -h 'X-Rcpt-Args' "$RUN/sink"/* | sort | tr '\n' ' ')" "<abuse@net-d.example> .*<copies@relayguard.test>" \
	"through Postfix: to the abuse contact of NET-D and the Bcc copy"
rg_like "$(cat "$RUN/sink"/*)" "X-Mail-Args: <bounces@relayguard.test>" "through Postfix: MAIL FROM is notify_envelope_sender"
rg_like "$(cat "$RUN/sink"/*)" "From: rg-notices@relayguard.test" "while From: stays notify_from"

# 3. sendmail: Postfix's own sendmail.
rm -f "$RUN/sink"/*
printf '#!/bin/sh\nexec %s -C %s "$@"\n' "$SENDMAIL" "$BASE/etc" >"$RUN/pf-sendmail"
chmod +x "$RUN/pf-sendmail"
conf c: "sendmail:$RUN/pf-sendmail" "notify_envelope_sender = bounces@relayguard.test" >"$RUN/c.conf"
queue c: 192.0.2.130 192.0.2.131 192.0.2.132
"$NOTIFY" -c "$RUN/c.conf" --once 2>"$RUN/c.err"; rc=$?
rg_is "$rc" 0 "sendmail: relayguard-notify --once"
wait_sink 1
rg_is "$(sink_count)" 1 "sendmail through Postfix: the notice reached the sink"
rg_like "$(grep -h 'X-Rcpt-Args' "$RUN/sink"/* | sort | tr '\n' ' ')" "<copies@relayguard.test> .*<irt@net-b.example>" \
	"sendmail: to the irt of NET-B-SUB and the Bcc copy (sendmail -t reads Bcc:)"
rg_ok "$(grep -c '^Bcc:' "$RUN/sink"/*)" "sendmail: Postfix removed the Bcc header"
rg_like "$(cat "$RUN/sink"/*)" "X-Mail-Args: <bounces@relayguard.test>" "sendmail -f: the envelope sender reaches the next hop"
"$NOTIFY" -c "$RUN/c.conf" --once 2>/dev/null
sleep 1
rg_is "$(sink_count)" 1 "a second run sends nothing more"

rg_done
