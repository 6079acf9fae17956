/*
 * null-milter - the cheapest libmilter milter, the floor under any milter in
 * milter-bench.sh: it decides nothing and looks up nothing.
 *
 *   null-milter full   SOCKET   every event relayguard-milter asks for on an
 *                               inet: socket (connect, HELO, MAIL, RCPT, DATA,
 *                               headers, end of message), each answered
 *                               "continue"; the message is accepted at the end
 *   null-milter accept SOCKET   "accept" at connect: the MTA sends nothing more
 *                               for the connection
 *
 * SOCKET is libmilter's syntax (inet:PORT@127.0.0.1, unix:/path).  Runs in
 * the foreground until SIGTERM.  Build: cc -O2 null-milter.c -lmilter -lpthread
 */
#include <libmilter/mfapi.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static int accept_at_connect;

static sfsistat null_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
			       unsigned long f3, unsigned long *pf0, unsigned long *pf1,
			       unsigned long *pf2, unsigned long *pf3)
{
	(void)ctx;
	(void)f0;
	(void)f2;
	(void)f3;
	*pf0 = 0;
	*pf1 = (SMFIP_NOBODY | SMFIP_NOUNKNOWN | SMFIP_NOEOH) & f1;
	*pf2 = *pf3 = 0;
	return SMFIS_CONTINUE;
}

static sfsistat null_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *addr)
{
	(void)ctx;
	(void)host;
	(void)addr;
	return accept_at_connect ? SMFIS_ACCEPT : SMFIS_CONTINUE;
}

static sfsistat null_args(SMFICTX *ctx, char **argv)
{
	(void)ctx;
	(void)argv;
	return SMFIS_CONTINUE;
}

static sfsistat null_helo(SMFICTX *ctx, char *helo)
{
	(void)ctx;
	(void)helo;
	return SMFIS_CONTINUE;
}

static sfsistat null_header(SMFICTX *ctx, char *name, char *value)
{
	(void)ctx;
	(void)name;
	(void)value;
	return SMFIS_CONTINUE;
}

static sfsistat null_step(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_CONTINUE;
}

static sfsistat null_eom(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_ACCEPT;
}

static struct smfiDesc desc = {
	.xxfi_name = "null-milter",
	.xxfi_version = SMFI_VERSION,
	.xxfi_connect = null_connect,
	.xxfi_helo = null_helo,
	.xxfi_envfrom = null_args,
	.xxfi_envrcpt = null_args,
	.xxfi_header = null_header,
	.xxfi_eom = null_eom,
	.xxfi_data = null_step,
	.xxfi_negotiate = null_negotiate,
};

int main(int argc, char **argv)
{
	if (argc != 3 || (strcmp(argv[1], "full") != 0 && strcmp(argv[1], "accept") != 0)) {
		fprintf(stderr, "usage: null-milter full|accept SOCKET\n");
		return 2;
	}
	accept_at_connect = strcmp(argv[1], "accept") == 0;
	if (smfi_setconn(argv[2]) != MI_SUCCESS || smfi_register(desc) != MI_SUCCESS ||
	    smfi_opensocket(1) != MI_SUCCESS) {
		fprintf(stderr, "null-milter: cannot listen on %s\n", argv[2]);
		return 1;
	}
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
