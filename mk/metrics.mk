# metrics_listen: the Prometheus exposition (common/metrics), its HTTP
# listener (common/metrics_http), the engines' and the notifier's metrics,
# the Grafana dashboard and their tests.
common_librelayguard_a_SOURCES += \
	common/metrics.c common/metrics.h \
	common/metrics_http.c common/metrics_http.h \
	common/engine_metrics.c common/engine_metrics.h

notify_libnotify_a_SOURCES += notify/notify_metrics.c notify/notify_metrics.h

check_PROGRAMS += tests/unit/test_metrics
TESTS += tests/unit/test_metrics
tests_unit_test_metrics_SOURCES = tests/unit/test_metrics.c tests/unit/tap.h

TESTS += tests/integration/metrics.sh
EXTRA_DIST += tests/integration/metrics.sh tests/integration/metrics_check.py tests/data/metrics bench/metrics-bench.sh \
	contrib/grafana/relayguard.json
