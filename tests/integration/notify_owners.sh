#!/bin/sh
# notify_owners.sh - relayguard-notify with owners files in each registry's
# real shape: the notice for an ASSIGNED PA without a contact of its own goes
# to its LIR's abuse-c (through the ALLOCATED PA's organisation), a
# lower-case abuse-c finds its role, ARIN's reassignment inherits its
# parent's Org abuse POC, LACNIC's abbreviated prefix and nic-hdl e-mail
# work, a quoted CSV owner with a comma keeps the right mailbox, and no
# notice goes to a hostile contact (root, -oQ..., a list): the refused
# contact is logged with its file:line.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh" || { echo "Bail out! cannot read tests/integration/lib.sh"; exit 99; }
rg_require redis-server redis-cli python3

DRV="$RG_TOP_BUILDDIR/tests/integration/report_driver"
NOTIFY="$RG_TOP_BUILDDIR/notify/relayguard-notify"
D="$RG_TOP_SRCDIR/tests/data/owners"
PORT=$(rg_free_port)
rg_start_redis "$PORT"

# client -> the contact its notice must go to ("-" = no notice at all)
cat >"$RUN/want" <<'W'
198.18.1.7 abuse@lir1.example
198.18.2.5 abuse@end2.example
198.18.8.8 abuse@lir1.example
100.64.1.5 abuse@example-networks.example
198.51.100.7 noc@cliente.example
203.0.112.9 owner@so-owner.example
45.0.2.9 abuse@two.example
45.0.6.9 abuse@parent.example
192.0.2.5 -
192.0.2.20 -
192.0.2.40 -
192.0.2.90 -
W
cut -d' ' -f1 "$RUN/want" >"$RUN/bl.list"
cat >"$RUN/mx.conf" <<CONF
allow_root = yes
myhostname = mx1.test
redis_server = 127.0.0.1:$PORT
redis_prefix = o1:
report_spool = $RUN/spool
report_dedupe_window = 0
skip_special = no
file_lists = bl.test:$RUN/bl.list*2
dnsbl_threshold = 2
owners_db = $D/ripe.db.inetnum $D/ripe.db.contacts $D/arin_db.txt $D/lacnic.db $D/hostile.db $D/hostile.csv
notify_min_hits = 1
notify_window = 1d
notify_template = $RG_TOP_SRCDIR/conf/notice.txt
notify_transport = outbox:$RUN/outbox
notify_state_dir = $RUN/state
CONF

out=$("$DRV" "$RUN/mx.conf" engine $(cat "$RUN/bl.list"))
rg_is "$out" "listed=12" "12 listed clients reported"
"$NOTIFY" -c "$RUN/mx.conf" --once 2>"$RUN/notify.err"; rc=$?
rg_is "$rc" 0 "relayguard-notify --once"

# Each notice's To: and the clients it names, against the table above.
cat >"$RUN/check.py" <<'PY'
import email, email.policy, glob, sys
want = dict(l.split() for l in open(sys.argv[2]).read().splitlines())
got = {}
for path in glob.glob(sys.argv[1] + "/*.eml"):
    msg = email.message_from_binary_file(open(path, "rb"), policy=email.policy.default)
    to = str(msg["To"])
    text = msg.as_string()
    for client in want:
        if client in text:
            got[client] = to
bad = []
for client, to in sorted(want.items()):
    if got.get(client, "-") != to:
        bad.append("%s: want %s, got %s" % (client, to, got.get(client, "-")))
print("\n".join(bad) if bad else "ok")
PY
res=$(python3 "$RUN/check.py" "$RUN/outbox" "$RUN/want" 2>&1)
rg_is "$res" ok "every notice goes to the contact the registry names (inherited, case-insensitive, ARIN, LACNIC, quoted CSV)"
tos=$(grep -h '^To:' "$RUN/outbox"/*.eml | sort -u | tr '\n' ' ')
rg_is "$(cat "$RUN/outbox"/*.eml | grep -c '^To:')" 8 "eight notices: one per network with a contact"
case "$tos" in
*root*|*-oQ*|*'Inc"'*|*localhost*|*one.example*) rg_ok 1 "no notice to a refused contact: $tos" ;;
*) rg_ok 0 "no notice to a refused contact" ;;
esac
err=$(cat "$RUN/notify.err")
rg_like "$err" "hostile.db:6: contact refused \(no domain \(a local name\)\) for 192.0.2.0 - 192.0.2.15 \(LOCAL-NAME\); it has no contact" \
	"a refused contact is logged with its file:line and network"
rg_like "$err" "ripe.db.contacts:[0-9]+: contact refused .* \(HOSTILE1-NET\); it inherits one" \
	"a refused abuse-c, the enclosing network's contact used"
rg_like "$err" "owners: 15 contacts refused" "and counted"
rg_like "$err" "hostile.csv:8: more than 3 fields \(quote a field that holds a comma\)" "an unquoted comma in CSV is a bad line"

rg_done
