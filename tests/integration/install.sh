#!/usr/bin/env bash
# install.sh - `make install DESTDIR=...` of this build: the programs in
# sbindir, the man pages, and relayguard.conf and notice.txt under
# sysconfdir/relayguard; a second install keeps a file the site changed;
# `make uninstall` removes the unchanged files and keeps the changed one.
. "$(dirname "$0")/lib.sh"

MAKE=${MAKE:-make}
D=$RUN/dest
# A make of its own: not the jobserver nor the flags of the make running
# the tests (distcheck's print "Entering directory" lines).
mk_() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL "$MAKE" -C "$RG_TOP_BUILDDIR" "$@"; }
mk() { mk_ -s DESTDIR="$D" "$@" >>"$RUN/make.log" 2>&1; }
# An installation folder of this build, from its Makefile.
var() { mk_ -s -f Makefile -f - print-var V="$1" <<'MK' | sed -n 's/^VALUE=//p'
print-var:
	@echo VALUE=$($(V))
MK
}
sbindir=$(var sbindir)
sysconfdir=$(var sysconfdir)
mandir=$(var mandir)
etc=$D$sysconfdir/relayguard

mk install
rc=$?
rg_ok $rc "make install DESTDIR=..."
[ $rc -eq 0 ] || sed 's/^/# /' "$RUN/make.log"
for p in relayguard-policyd relayguard-milter relayguard-notify relayguard-ctl relayguard-probe; do
	rg_ok "$([ -x "$D$sbindir/$p" ] && echo 0 || echo 1)" "$p installed in sbindir ($sbindir)"
done
n=$(ls "$D$mandir"/man5/relayguard.conf.5 "$D$mandir"/man8/relayguard-*.8 2>/dev/null | wc -l)
want=$(ls "$RG_TOP_SRCDIR"/man/*.5 "$RG_TOP_SRCDIR"/man/*.8 | wc -l)
rg_is "$n" "$want" "every man page of man/ is installed ($want)"
rg_ok "$(cmp -s "$etc/notice.txt" "$RG_TOP_SRCDIR/conf/notice.txt"; echo $?)" \
	"notice.txt installed where relayguard-notify looks by default"
rg_like "$(grep -c '^#' "$etc/relayguard.conf" 2>&1)" "^[0-9]{2,}$" "relayguard.conf installed (the sample)"
rg_like "$(grep '^#notify_template' "$etc/relayguard.conf")" "= $sysconfdir/relayguard/notice.txt$" \
	"its comments show this build's paths"
rg_is "$(grep -vc '^#\|^$' "$etc/relayguard.conf")" 0 "every setting in it is commented out"

# The site's changes survive a second install and the uninstall.
echo "dnsbl_sites = zen.example.org" >>"$etc/relayguard.conf"
mk install
rg_like "$(tail -n 1 "$etc/relayguard.conf")" "^dnsbl_sites = zen.example.org$" \
	"a second make install keeps the site's relayguard.conf"
mk uninstall
rg_like "$(tail -n 1 "$etc/relayguard.conf" 2>&1)" "^dnsbl_sites = zen.example.org$" \
	"make uninstall keeps a relayguard.conf the site changed"
rg_ok "$([ ! -e "$etc/notice.txt" ] && [ ! -e "$D$sbindir/relayguard-policyd" ] && echo 0 || echo 1)" \
	"make uninstall removes the unchanged notice.txt and the programs"
rg_done
