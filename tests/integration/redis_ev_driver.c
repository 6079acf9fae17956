/*
 * redis_ev_driver - common/redis_ev against a real redis-server, for
 * tests/integration/redis_ev.sh.  Prints TAP lines without numbers ("ok -",
 * "not ok -"), diagnostics ("# ...") and "turns=T rounds=R" (the shell
 * checks the bound on T).
 *
 *   redis_ev_driver PORT CLOSED_PORT ADAPTER
 *     PORT: a redis-server; CLOSED_PORT: a port nobody listens on;
 *     ADAPTER: redis_ev, or hiredis (hiredis' own adapter, for comparison)
 *
 * 1. ROUNDS rounds of PIPELINE INCRs, each round sent from the callback of
 *    the last reply of the one before (as rcache's users do): every reply in
 *    order, and the loop turns (event_base_loop EVLOOP_ONCE calls, one
 *    epoll_wait each) counted.  redis_ev writes in the turn that read the
 *    replies: about one turn per round; hiredis' adapter waits for a write
 *    event: two.
 * 2. A 16 MiB SET: more than a loopback socket takes at once, so the write
 *    is partial and the rest waits for the socket (the write event path).
 * 3. QUIT with a command behind it: hiredis frees the context from inside
 *    our read callback; the command behind gets no reply.
 * 4. A refused connection: freed from inside our write callback.
 * 5. redisAsyncFree with a flush pending: nothing runs afterwards.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <hiredis/adapters/libevent.h>

#include "redis_ev.h"

#define ROUNDS 200
#define PIPELINE 16
#define BIG (16u << 20)

static struct event_base *base;
static bool use_hiredis;
static long long expect = 1;	/* next INCR value */
static unsigned rounds_done, bad_order, null_replies, disconnects;
static bool finished;

static void ok(bool cond, const char *what)
{
	printf("%s - %s\n", cond ? "ok" : "not ok", what);
	fflush(stdout);
}

static redisAsyncContext *connect_to(int port)
{
	redisAsyncContext *ac = redisAsyncConnect("127.0.0.1", port);

	if (ac == NULL || ac->err) {
		printf("Bail out! cannot create a context\n");
		exit(1);
	}
	if ((use_hiredis ? redisLibeventAttach(ac, base) != REDIS_OK : redis_ev_attach(ac, base) != 0)) {
		printf("Bail out! cannot attach\n");
		exit(1);
	}
	return ac;
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
	(void)ac;
	(void)status;
	disconnects++;
}

static void on_connect(const redisAsyncContext *ac, int status)
{
	(void)ac;
	if (status != REDIS_OK)
		disconnects++;	/* a refused connect: no disconnect callback follows */
}

static void send_round(redisAsyncContext *ac);

static void incr_cb(redisAsyncContext *ac, void *r, void *priv)
{
	redisReply *reply = r;
	bool last = priv != NULL;

	if (reply == NULL) {
		null_replies++;
		finished = true;
		return;
	}
	if (reply->type != REDIS_REPLY_INTEGER || reply->integer != expect)
		bad_order++;
	expect++;
	if (!last)
		return;
	if (++rounds_done < ROUNDS)
		send_round(ac);
	else
		finished = true;
}

static void send_round(redisAsyncContext *ac)
{
	for (int i = 0; i < PIPELINE; i++)
		redisAsyncCommand(ac, incr_cb, i == PIPELINE - 1 ? (void *)1 : NULL, "INCR ev:n");
}

static void generic_cb(redisAsyncContext *ac, void *r, void *priv)
{
	redisReply **out = priv;

	(void)ac;
	if (r == NULL) {
		null_replies++;
		return;
	}
	*out = malloc(sizeof(**out));
	**out = *(redisReply *)r;	/* type, integer and str pointer (str unused) */
}

static void run_until(bool *flag, unsigned *turns)
{
	for (unsigned guard = 0; !*flag && guard < 100000; guard++) {
		event_base_loop(base, EVLOOP_ONCE);
		(*turns)++;
	}
}

static void test_rounds(int port)
{
	redisAsyncContext *ac = connect_to(port);
	unsigned turns = 0;

	redisAsyncCommand(ac, NULL, NULL, "DEL ev:n");
	send_round(ac);
	run_until(&finished, &turns);
	ok(rounds_done == ROUNDS && bad_order == 0 && null_replies == 0,
	   "every INCR answered, in order");
	printf("turns=%u rounds=%u\n", turns, rounds_done);
	redisAsyncFree(ac);
}

static void test_big(int port)
{
	redisAsyncContext *ac = connect_to(port);
	char *value = malloc(BIG);
	redisReply *set = NULL, *len = NULL;
	bool done = false;

	memset(value, 'x', BIG);
	redisAsyncCommand(ac, generic_cb, &set, "SET ev:big %b", value, (size_t)BIG);
	redisAsyncCommand(ac, generic_cb, &len, "STRLEN ev:big");
	free(value);
	for (unsigned guard = 0; !done && guard < 100000; guard++) {
		event_base_loop(base, EVLOOP_ONCE);
		done = len != NULL || null_replies > 0;
	}
	ok(set != NULL && set->type == REDIS_REPLY_STATUS, "a 16 MiB SET (partial writes) is accepted");
	ok(len != NULL && len->type == REDIS_REPLY_INTEGER && len->integer == (long long)BIG,
	   "... and stored whole");
	free(set);
	free(len);
	redisAsyncFree(ac);
}

static void test_quit(int port)
{
	redisAsyncContext *ac = connect_to(port);
	redisReply *first = NULL, *bye = NULL, *after = NULL;
	bool done = false;

	null_replies = disconnects = 0;
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	redisAsyncCommand(ac, generic_cb, &first, "PING");
	redisAsyncCommand(ac, generic_cb, &bye, "QUIT");
	redisAsyncCommand(ac, generic_cb, &after, "PING");
	for (unsigned guard = 0; !done && guard < 100000; guard++) {
		event_base_loop(base, EVLOOP_ONCE);
		done = disconnects > 0;
	}
	ok(first != NULL && bye != NULL, "PING and QUIT answered");
	ok(after == NULL && null_replies == 1 && disconnects == 1,
	   "the command behind QUIT gets no reply, one disconnect (context freed in our read callback)");
	free(first);
	free(bye);
	/* hiredis freed ac */
}

static void test_refused(int closed_port)
{
	redisAsyncContext *ac = connect_to(closed_port);
	redisReply *never = NULL;
	bool done = false;

	null_replies = disconnects = 0;
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncCommand(ac, generic_cb, &never, "PING");
	for (unsigned guard = 0; !done && guard < 100000; guard++) {
		event_base_loop(base, EVLOOP_ONCE);
		done = disconnects > 0;
	}
	ok(never == NULL && disconnects == 1 && null_replies == 1,
	   "a refused connection: the connect callback says so, the queued command gets no reply");
	/* hiredis freed ac from inside our write callback */
}

static void test_free_pending(int port)
{
	redisAsyncContext *ac = connect_to(port);
	redisReply *first = NULL, *second = NULL;
	bool done = false;

	null_replies = 0;
	redisAsyncCommand(ac, generic_cb, &first, "PING");
	for (unsigned guard = 0; !done && guard < 100000; guard++) {
		event_base_loop(base, EVLOOP_ONCE);
		done = first != NULL;
	}
	redisAsyncCommand(ac, generic_cb, &second, "PING");	/* connected: a flush is now due */
	redisAsyncFree(ac);
	for (int i = 0; i < 10; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
	ok(first != NULL && second == NULL && null_replies == 1,
	   "freed with a write pending: the command gets no reply, nothing runs after the free");
	free(first);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: %s PORT CLOSED_PORT redis_ev|hiredis\n", argv[0]);
		return 2;
	}
	int port = atoi(argv[1]), closed = atoi(argv[2]);
	use_hiredis = strcmp(argv[3], "hiredis") == 0;
	base = event_base_new();
	test_rounds(port);
	test_big(port);
	test_quit(port);
	test_refused(closed);
	test_free_pending(port);
	event_base_free(base);
	return 0;
}
