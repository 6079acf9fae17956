# make install: the files a site edits, under $(sysconfdir)/relayguard/.
#
# The programs (sbin_PROGRAMS) and the man pages (dist_man_MANS) install
# through their own fragments; the copies under $(docdir)/examples stay
# pristine for reference.  Here: the configuration file and the notice
# template where the programs look for them by default, so that after
# `make install` every program starts with nothing more than a site's own
# settings.  A file that already exists is never overwritten: it is the
# site's.  `make uninstall` removes such a file only while it is still
# byte for byte what we installed, so that local edits survive.
#
# The configuration installed is `relayguard-ctl show-config --sample` of
# this build, so that the defaults shown in its comments carry this
# build's prefix (conf/relayguard.conf in the tree shows /usr/local).

relayguardconfdir = $(sysconfdir)/relayguard

# What to install as the site's files: FILE-IN-BUILD-OR-SOURCE:NAME.
# conf/notice.txt is optional (a build may embed its default template).
install_site_files = conf/relayguard.conf.installed:relayguard.conf conf/notice.txt:notice.txt

conf/relayguard.conf.installed: ctl/relayguard-ctl$(EXEEXT)
	@$(MKDIR_P) conf
	$(AM_V_GEN)ctl/relayguard-ctl$(EXEEXT) show-config --sample >$@.tmp && mv $@.tmp $@
noinst_DATA = conf/relayguard.conf.installed
CLEANFILES += conf/relayguard.conf.installed conf/relayguard.conf.installed.tmp

# Each SRC:NAME goes to $(relayguardconfdir)/NAME unless that exists.  SRC is looked up in the build tree, then in $(srcdir).
install-data-hook: install-relayguard-site-files
install-relayguard-site-files:
	@$(MKDIR_P) '$(DESTDIR)$(relayguardconfdir)'
	@set -e; for pair in $(install_site_files); do \
	  src=$${pair%%:*}; name=$${pair#*:}; \
	  if test -f "$$src"; then f="$$src"; \
	  elif test -f '$(srcdir)'/"$$src"; then f='$(srcdir)'/"$$src"; \
	  else echo "  (no $$src to install as $$name)"; continue; fi; \
	  dst='$(DESTDIR)$(relayguardconfdir)'/"$$name"; \
	  if test -e "$$dst"; then \
	    echo "  $$dst exists: kept (the new default is in $(docdir)/examples)"; \
	  else \
	    echo " $(INSTALL_DATA) $$f $$dst"; \
	    $(INSTALL_DATA) "$$f" "$$dst"; \
	  fi; \
	done

uninstall-local:
	@for pair in $(install_site_files); do \
	  src=$${pair%%:*}; name=$${pair#*:}; \
	  if test -f "$$src"; then f="$$src"; else f='$(srcdir)'/"$$src"; fi; \
	  dst='$(DESTDIR)$(relayguardconfdir)'/"$$name"; \
	  test -f "$$dst" || continue; \
	  if cmp -s "$$f" "$$dst"; then rm -f "$$dst"; \
	  else echo "  $$dst was changed: kept"; fi; \
	done
	@rmdir '$(DESTDIR)$(relayguardconfdir)' 2>/dev/null || :

.PHONY: install-relayguard-site-files

# systemd units and the Debian packaging; their test, run once by
# ./quickstart.sh test (it builds and installs the packages), not by make check.
EXTRA_DIST += contrib/systemd debian tests/integration/debian_pkg.sh tests/data/debian

TESTS += tests/integration/install.sh
EXTRA_DIST += tests/integration/install.sh
