#!/bin/sh
# ctl_config - relayguard-ctl check-config / show-config on good and bad files:
# exit codes, output and messages.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh" || { echo "Bail out! cannot read tests/integration/lib.sh"; exit 99; }

CTL="$RG_TOP_BUILDDIR/ctl/relayguard-ctl"
[ -x "$CTL" ] || rg_bail "$CTL not built"

cat >"$RUN/good.conf" <<'CONF'
# a good file
log_level = debug
dnsbl_sites = zen.example.org=127.0.0.[2..11]*3,
	bl.example.net*2
dnsbl_timeout = 5000ms
redis_password = hunter2
spf = no
CONF

out=$("$CTL" check-config -c "$RUN/good.conf" 2>"$RUN/err"); rc=$?
rg_is "$rc" 0 "check-config on a good file exits 0"
rg_is "$out" "log_level = debug
dnsbl_sites = zen.example.org=127.0.0.[2..11]*3, bl.example.net*2
redis_password = (hidden)" "check-config prints only the settings that differ from the defaults"
rg_is "$(cat "$RUN/err")" "" "check-config is quiet on stderr"

out=$("$CTL" -c "$RUN/good.conf" check-config); rc=$?
rg_is "$rc" 0 "the global -c works too"
rg_like "$out" "^log_level = debug" "global -c reads the same file"

out=$("$CTL" -c "$RUN/good.conf" show-config); rc=$?
rg_is "$rc" 0 "show-config exits 0"
rg_is "$(printf '%s\n' "$out" | wc -l | tr -d ' ')" "$(grep -c '^#[a-z_0-9]* =' "$RG_TOP_SRCDIR/conf/relayguard.conf")" \
	"show-config prints every setting (as many as the sample lists)"
rg_like "$out" "
dnsbl_timeout = 5s
" "show-config normalizes values"
rg_like "$out" "
redis_password = \(hidden\)
" "show-config hides the secret"
if printf '%s' "$out" | grep -q hunter2; then rg_ok 1 "the secret never appears"; else rg_ok 0 "the secret never appears"; fi

"$CTL" show-config --sample >"$RUN/sample.conf"; rc=$?
rg_is "$rc" 0 "show-config --sample exits 0"
out=$("$CTL" check-config -c "$RUN/sample.conf"); rc=$?
rg_is "$rc:$out" "0:" "the sample parses and sets nothing"

# Where a door cannot show the configured reply, check-config says so (exit 0).
printf 'milter_reject_stage = connect\n' >"$RUN/connect.conf"
out=$("$CTL" check-config -c "$RUN/connect.conf" 2>"$RUN/err"); rc=$?
rg_is "$rc:$out" "0:milter_reject_stage = connect" "milter_reject_stage = connect: valid, exit 0"
rg_like "$(cat "$RUN/err")" "^warning: milter_reject_stage = connect: Sendmail refuses the client with its own text .*milter_reject_stage = rcpt \(the default\) shows them in both MTAs\$" \
	"milter_reject_stage = connect: a warning that Sendmail shows its own text, and the stage that shows ours"
printf 'tempfail_code = 451\n' >"$RUN/defer.conf"
"$CTL" check-config -c "$RUN/defer.conf" >/dev/null 2>"$RUN/err"
rg_like "$(cat "$RUN/err")" "^warning: tempfail_code: relayguard-policyd answers a tempfail with DEFER_IF_PERMIT" \
	"tempfail_code other than 450: a warning that Postfix shows its own defer code"
printf 'milter_reject_stage = helo\ntempfail_code = 450\n' >"$RUN/quiet.conf"
"$CTL" check-config -c "$RUN/quiet.conf" >/dev/null 2>"$RUN/err"
rg_is "$(cat "$RUN/err")" "" "stage helo and tempfail_code 450: no warning"

printf 'log_level = info\ndnsbl_site = x\nreject_code = 450\n' >"$RUN/bad.conf"
out=$("$CTL" check-config -c "$RUN/bad.conf" 2>"$RUN/err"); rc=$?
rg_is "$rc" 1 "check-config on a bad file exits 1"
rg_is "$out" "" "nothing on stdout for a bad file"
rg_is "$(cat "$RUN/err")" "$RUN/bad.conf:2: unknown setting 'dnsbl_site' (did you mean 'dnsbl_sites'?)
$RUN/bad.conf:3: bad value for reject_code: \"450\": expected an integer from 500 to 599" \
	"every error on stderr with file and line"

"$CTL" check-config -c "$RUN/missing.conf" 2>"$RUN/err"; rc=$?
rg_is "$rc" 1 "a missing file exits 1"
rg_is "$(cat "$RUN/err")" "$RUN/missing.conf: No such file or directory" "a missing file is named"

"$CTL" -c "$RUN/bad.conf" show-config >/dev/null 2>&1; rc=$?
rg_is "$rc" 1 "show-config on a bad file exits 1"

"$CTL" >/dev/null 2>&1; rc=$?
rg_is "$rc" 2 "no verb is a usage error"
"$CTL" frobnicate 2>"$RUN/err"; rc=$?
rg_is "$rc" 2 "an unknown verb is a usage error"
rg_like "$(cat "$RUN/err")" "unknown verb 'frobnicate'" "the unknown verb is named"
"$CTL" check-config extra 2>/dev/null; rc=$?
rg_is "$rc" 2 "an extra argument is a usage error"
"$CTL" show-config --bogus 2>/dev/null; rc=$?
rg_is "$rc" 2 "an unknown verb option is a usage error"
"$CTL" -x 2>/dev/null; rc=$?
rg_is "$rc" 2 "an unknown global option is a usage error"
out=$("$CTL" -h); rc=$?
rg_is "$rc" 0 "-h exits 0"
rg_like "$out" "check-config" "-h lists check-config"
rg_like "$out" "show-config" "-h lists show-config"

rg_done
