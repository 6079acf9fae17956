# The quick start's DEMO configuration (conf/demo) and its test.
EXTRA_DIST += conf/demo/demo.ip4set conf/demo/relayguard-demo.conf.in conf/demo/render.sh \
	tests/integration/quickstart_demo.sh tests/data/demo/demo.lua
TESTS += tests/integration/quickstart_demo.sh
