#!/bin/sh
# notice_formats.sh - relayguard-notify's notices read by real report
# parsers: report events with several addresses per network, a hostile
# netname (8-bit bytes, quotes, a comma) and hostile HELO names (8-bit, CR
# LF, a fake header, quotes) go through Redis to notices in ARF and in
# X-ARF.  Python's email package (policy.default) must register no defect;
# every message must be 7-bit with no CR and no line over 998 bytes; the
# feedback report must carry one Source-IP, the most active address;
# every offending address must come back from the CSV (the text/csv part,
# or the X-ARF evidence); Sisimai must see the report with that address;
# the X-ARF report must pass the xarf-spec v4 schema (tests/data/xarf); the
# lists' TXT texts (served by rbldnsd, carried by report events) are in the CSV.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh" || { echo "Bail out! cannot read tests/integration/lib.sh"; exit 99; }
rg_require redis-server redis-cli rbldnsd perl /usr/bin/python3
perl -MSisimai -e 1 2>/dev/null || rg_bail "Sisimai missing (apt-get install libsisimai-perl)"
/usr/bin/python3 -c 'import jsonschema' 2>/dev/null || rg_bail "python3-jsonschema missing (apt-get install python3-jsonschema)"

NOTIFY="$RG_TOP_BUILDDIR/notify/relayguard-notify"
PY=/usr/bin/python3
PORT=$(rg_free_port)
rg_start_redis "$PORT"
R() { redis-cli -p "$PORT" "$@"; }

# An RPSL owners file whose netname carries bytes no header may hold.
printf '%s\n' \
	'inetnum:        192.0.2.0 - 192.0.2.255' \
	"netname:        NET-$(printf '\377\376')-\"Quoted\", Inc" \
	'country:        NL' \
	'abuse-mailbox:  abuse@hostile.example' \
	'source:         TEST' '' \
	'inet6num:       2001:db8::/32' \
	'netname:        NET-V6' \
	'abuse-mailbox:  abuse6@v6.example' \
	'source:         TEST' >"$RUN/owners.db"

# Events as report_event writes them (percent-encoded values), each address
# with its own count: the most active one of each network must be reported.
$PY - "$RUN/events.resp" <<'PY'
import sys, time
t = int(time.time()) - 60
hostile = "%FF%FEevil%0D%0ABcc:%20x@evil.example,%22q%22"
events = [("192.0.2.10", hostile, 5), ("192.0.2.11", "client11.example", 2),
          ("192.0.2.12", "", 1), ("192.0.2.13", "c%2C13.example", 1),
          ("2001:db8::5", "v6.example", 3), ("2001:db8::6", "v6.example", 1)]
def cmd(*a):
    return "*%d\r\n" % len(a) + "".join("$%d\r\n%s\r\n" % (len(x.encode()), x) for x in a)
with open(sys.argv[1], "w") as f:
    n = 0
    for prefix in ("fa:", "fx:"):
        for addr, helo, hits in events:
            for k in range(hits):
                n += 1
                f.write(cmd("XADD", prefix + "reports", "*", "id", "ev%d@gen" % n, "t", str(t + k),
                            "client", addr, "helo", helo, "host", "mx1.test",
                            "lists", "bl.test%3D127.0.0.2%20ev%C3il.test%3D127.0.0.3",
                            "txt", "Open%20proxy,%20%22see%22%20%FF%0D%0ASource-IP:%201.2.3.4%09"))
PY
R --pipe <"$RUN/events.resp" >/dev/null
rg_is "$(R XLEN fa:reports) $(R XLEN fx:reports)" "13 13" "13 events on each stream"

conf() {	# conf PREFIX FORMAT
	cat <<CONF
allow_root = yes
myhostname = mx1.test
redis_server = 127.0.0.1:$PORT
redis_prefix = $1
owners_db = $RUN/owners.db
notify_min_hits = 3
notify_window = 1d
notify_interval = 30d
notify_template = $RG_TOP_SRCDIR/conf/notice.txt
notify_from = rg-reports@\$myhostname
notify_format = $2
notify_transport = outbox:$RUN/out-$2
notify_state_dir = $RUN/state-$2
CONF
}
conf fa: arf >"$RUN/arf.conf"
conf fx: xarf >"$RUN/xarf.conf"
"$NOTIFY" -c "$RUN/arf.conf" --once 2>"$RUN/arf.err"; rc1=$?
"$NOTIFY" -c "$RUN/xarf.conf" --once 2>"$RUN/xarf.err"; rc2=$?
rg_is "$rc1 $rc2" "0 0" "relayguard-notify --once, ARF and X-ARF"
rg_is "$(ls "$RUN/out-arf" | grep -c '\.eml$') $(ls "$RUN/out-xarf" | grep -c '\.eml$')" "2 2" \
	"one notice per network in each format"

cat >"$RUN/check.py" <<'PY'
import base64, csv, email, email.policy, email.utils, hashlib, io, json, re, sys
fmt, paths = sys.argv[1], sys.argv[2:]
want = {"abuse@hostile.example": {"192.0.2.10": 5, "192.0.2.11": 2, "192.0.2.12": 1, "192.0.2.13": 1},
        "abuse6@v6.example": {"2001:db8::5": 3, "2001:db8::6": 1}}
top = {"abuse@hostile.example": "192.0.2.10", "abuse6@v6.example": "2001:db8::5"}
iso = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
seen = set()
for path in paths:
    raw = open(path, "rb").read()
    assert all(b < 0x80 for b in raw), (path, "8-bit bytes in the message")
    assert b"\r" not in raw, (path, "a CR in the message")
    assert max(len(l) for l in raw.split(b"\n")) <= 998, (path, "a line over 998 bytes")
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    defects = [(p.get_content_type(), d) for p in msg.walk() for d in p.defects]
    assert not defects, (path, defects)
    to = str(msg["To"])
    assert msg.get_content_type() == "multipart/report" and msg.get_param("report-type") == "feedback-report"
    if to == "abuse@hostile.example":
        assert "NET-\ufffd\ufffd-\"Quoted\", Inc" in str(msg["Subject"]), str(msg["Subject"])
    parts = list(msg.iter_parts())
    types = [p.get_content_type() for p in parts]
    third = "text/rfc822-headers" if fmt == "arf" else "application/json"
    first = "multipart/mixed" if fmt == "arf" else "text/plain"
    assert types == [first, "message/feedback-report", third], types
    report = parts[1].get_payload()[0]
    assert report.get_all("Source-IP") == [top[to]], report.get_all("Source-IP")
    assert report["Feedback-Type"] == ("abuse" if fmt == "arf" else "xarf"), report["Feedback-Type"]
    assert report["Version"] == "1" and report["User-Agent"].startswith("relayguard-notify/")
    assert report["Reporting-MTA"] == "dns; mx1.test", report["Reporting-MTA"]
    assert report["Incidents"] == str(want[to][top[to]]), report["Incidents"]
    email.utils.parsedate_to_datetime(report["Arrival-Date"])  # raises unless an RFC 5322 date
    if fmt == "arf":
        text, table = [p.get_content() for p in parts[0].iter_parts()]
        assert parts[0].get_payload()[1].get_content_type() == "text/csv"
        received = parts[2].get_content()
        assert "[%s]" % top[to] in received and "\nBcc" not in received, received
    else:
        text = parts[0].get_content()
        xarf = json.loads(parts[2].get_content())
        assert xarf["source_identifier"] == top[to], xarf["source_identifier"]
        assert (xarf["category"], xarf["type"]) == ("vulnerability", "open_service")
        assert iso.match(xarf["timestamp"]), xarf["timestamp"]
        ev = [e for e in xarf["evidence"] if e["content_type"] == "text/csv"]
        table = base64.b64decode(ev[0]["payload"]).decode("utf-8")
        assert ev[0]["hash"] == "sha256:" + hashlib.sha256(base64.b64decode(ev[0]["payload"])).hexdigest(), ev[0]["hash"]
        assert ev[0]["size"] == len(base64.b64decode(ev[0]["payload"])), ev[0]["size"]
    assert "\r" not in text and "Bcc: x@" not in text.split("\n\n")[0]
    rows = list(csv.DictReader(io.StringIO(table)))
    assert list(rows[0].keys()) == "address,first_seen,last_seen,hits,lists,list_texts,helo".split(","), rows[0].keys()
    got = {r["address"]: int(r["hits"]) for r in rows}
    assert got == want[to], (to, got)
    assert rows[0]["address"] == top[to], "the most active address comes first"
    for r in rows:
        assert iso.match(r["first_seen"]) and iso.match(r["last_seen"]), r
        assert r["first_seen"] <= r["last_seen"], r
        assert "bl.test=127.0.0.2" in r["lists"] and "ev\ufffdil.test=127.0.0.3" in r["lists"], r["lists"]
        assert "\r" not in r["helo"] and "\n" not in r["helo"], r["helo"]
        assert r["list_texts"] == "bl.test: Open proxy, \"see\" \ufffd  Source-IP: 1.2.3.4", r["list_texts"]
    if to == "abuse@hostile.example":
        h = {r["address"]: r["helo"] for r in rows}
        assert h["192.0.2.10"] == "\ufffd\ufffdevil  Bcc: x@evil.example,\"q\"", h["192.0.2.10"]
        assert h["192.0.2.13"] == "c,13.example" and h["192.0.2.12"] == "", h
    seen.add(to)
assert seen == set(want), seen
print("ok")
PY
for fmt in arf xarf; do
	res=$($PY "$RUN/check.py" $fmt "$RUN/out-$fmt"/*.eml 2>&1)
	rg_is "$res" ok "$fmt: 7-bit, no CR, no defect for Python's email; one Source-IP (the most active address); every address with its hits from the CSV"
done

# Sisimai, which abuse desks' tooling resembles: one report per notice, about the reported address.
for fmt in arf xarf; do
	for f in "$RUN/out-$fmt"/*.eml; do
		perl -MSisimai -e 'print Sisimai->dump(shift)' "$f" >"$f.sisimai" 2>"$f.sisimai.err"
	done
	res=$($PY - $fmt "$RUN/out-$fmt" <<'PY' 2>&1
import glob, json, sys
fmt, folder = sys.argv[1], sys.argv[2]
tops = set()
for path in sorted(glob.glob(folder + "/*.eml")):
    got = json.load(open(path + ".sisimai"))
    assert len(got) == 1, (path, got)
    assert got[0]["reason"] == "feedback", got[0]
    assert got[0]["feedbacktype"] == ("abuse" if fmt == "arf" else "xarf"), got[0]["feedbacktype"]
    tops.add(got[0]["rhost"])
assert tops == {"192.0.2.10", "2001:db8::5"}, tops
print("ok")
PY
)
	rg_is "$res" ok "$fmt: Sisimai reads each notice as one feedback report about its most active address"
done

# The lists' TXT texts, end to end: an engine asks a real DNSBL (rbldnsd)
# whose TXT answer holds a comma, quotes and the address; its report events
# carry the text to the notice's CSV.
printf '%s\n' '$SOA 60 ns.test. hostmaster.test. 0 600 300 86400 60' '$NS 60 ns.test.' >"$RUN/px.generic"
printf '%s\n' ':127.0.0.4:Open proxy, "see" http://px.test/?ip=$' 127.0.0.2 192.0.2.50 192.0.2.51 192.0.2.52 >"$RUN/px.ip4set"
DNS_PORT=$(rg_free_port)
rg_start_rbldnsd "$DNS_PORT" px.test:generic:px.generic px.test:ip4set:px.ip4set
conf fe: arf | sed "s|out-arf|out-engine|; s|state-arf|state-engine|" >"$RUN/engine.conf"
cat >>"$RUN/engine.conf" <<CONF
dns_servers = 127.0.0.1:$DNS_PORT
dnsbl_sites = px.test*2
dnsbl_threshold = 2
dnsbl_timeout = 5s
report_spool = $RUN/spool-engine
report_dedupe_window = 0
CONF
out=$("$RG_TOP_BUILDDIR/tests/integration/report_driver" "$RUN/engine.conf" engine 192.0.2.50 192.0.2.51 192.0.2.52 2>"$RUN/engine-driver.err")
rg_is "$out" "listed=3" "the engine saw three clients listed by rbldnsd"
"$NOTIFY" -c "$RUN/engine.conf" --once 2>"$RUN/engine.err"; rc=$?
rg_is "$rc" 0 "relayguard-notify --once on the engine's events"
res=$($PY - "$RUN/out-engine" <<'PY' 2>&1
import csv, email, email.policy, glob, io, sys
paths = glob.glob(sys.argv[1] + "/*.eml")
assert len(paths) == 1, paths
msg = email.message_from_bytes(open(paths[0], "rb").read(), policy=email.policy.default)
part = [p for p in msg.walk() if p.get_content_type() == "text/csv"][0]
rows = {r["address"]: r for r in csv.DictReader(io.StringIO(part.get_content()))}
assert sorted(rows) == ["192.0.2.50", "192.0.2.51", "192.0.2.52"], sorted(rows)
for a, r in rows.items():
    assert r["lists"] == "px.test=127.0.0.4", r["lists"]
    assert r["list_texts"] == 'px.test: Open proxy, "see" http://px.test/?ip=%s' % a, r["list_texts"]
print("ok")
PY
)
rg_is "$res" ok "each address's row carries the list's TXT text as rbldnsd served it"

# X-ARF v4, validated against the xarf-spec schemas kept as test data.
SCHEMAS="$RG_TOP_SRCDIR/tests/data/xarf/schemas/v4"
VALIDATE="$RG_TOP_SRCDIR/tests/integration/xarf_validate.py"
res=$($PY "$VALIDATE" "$SCHEMAS" "$RG_TOP_SRCDIR/tests/data/xarf/samples/vulnerability-open-service.json" 2>&1)
rg_like "$res" "^ok " "the validator accepts xarf-spec's own open_service sample"
printf '{"Version":"4","ReportClass":"Vulnerability","ReportType":"Open"}' >"$RUN/v3ish.json"
$PY "$VALIDATE" "$SCHEMAS" "$RUN/v3ish.json" >"$RUN/v3ish.out" 2>&1; rc=$?
rg_is "$rc" 1 "and refuses v3 field names in a v4 wrapper"
res=$($PY "$VALIDATE" "$SCHEMAS" "$RUN/out-xarf"/*.eml 2>&1); rc=$?
rg_is "$rc" 0 "every X-ARF notice holds one report valid against the v4 master schema"
[ "$rc" -eq 0 ] || printf '# %s\n' "$res"

rg_done
