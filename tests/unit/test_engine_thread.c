/* test_engine_thread - an engine thread stopped right after its start stops.
 *
 * engine_thread_stop() used to call event_base_loopbreak() from the caller's
 * thread; when that came before the engine thread had entered its loop,
 * event_base_loop() cleared the flag on entry and pthread_join() waited
 * forever (found by the milter fuzzer, whose inputs switch configuration
 * generations back to back; a milter reloaded twice in quick succession or
 * stopped right after a reload hung the same way).  A watchdog turns a hang
 * into a failure. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "engine.h"
#include "log.h"
#include "tap.h"

#define ROUNDS 300

static void on_alarm(int sig)
{
	static const char msg[] = "not ok - engine_thread_stop() hung: the engine thread never left its loop\n";

	(void)sig;
	(void)!write(STDOUT_FILENO, msg, sizeof(msg) - 1);
	_exit(1);
}

int main(void)
{
	static const char text[] = "stats_dir =\nreport_enable = no\n";
	cfg_t *cfg = NULL;
	char *error = NULL;
	int started = 0, stopped = 0;

	log_set_level(LOG_LVL_ERROR);
	setvbuf(stdout, NULL, _IONBF, 0);
	signal(SIGALRM, on_alarm);
	alarm(60);	/* 300 rounds take well under a second; generous for a loaded machine */
	if (!ok(cfg_load_mem("test.conf", text, strlen(text), &cfg, &error) == 0, "configuration loads")) {
		tap_diag("%s", error);
		return tap_done();
	}
	for (int i = 0; i < ROUNDS; i++) {
		engine_thread_t *et = NULL;
		if (engine_thread_start(cfg, &et, &error) != 0) {
			tap_diag("%s", error);
			free(error);
			break;
		}
		started++;
		engine_thread_stop(&et);	/* at once: the thread may not be in its loop yet */
		stopped += et == NULL;
	}
	is_int(started, ROUNDS, "%d engine threads started", ROUNDS);
	is_int(stopped, ROUNDS, "and each stopped right after its start");
	cfg_unref(&cfg);
	return tap_done();
}
