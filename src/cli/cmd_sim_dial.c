/* dfsguard sim dial --connect ENDPOINT --msisdn N --imsi I [options] INPUT...
 * One USSD dialogue against a gateway's MAP face, the simulator playing MSC + HLR (ussd_peer.h):
 * prints each screen as "CON ..." / "END ..." and exits 0 when the dialogue ends with its final
 * screen after the last input. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "evloop.h"
#include "ussd_peer.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: dfsguard sim dial --connect ENDPOINT --msisdn N --imsi I [--network MCCMNC]\n"
		"                         [--code \"*384#\"] [--rctx N] [--ucs2] [--timeout S]\n"
		"                         [--wait-ni N] [--ni-reply TEXT] INPUT...\n"
		"  Dials CODE as subscriber MSISDN/IMSI on the MAP face of a USSD gateway, as the MSC and\n"
		"  HLR would: an M3UA ASP connects to ENDPOINT (tcp:HOST:PORT, sctp:..., usrsctp:...),\n"
		"  goes active with routing context N, and answers each menu with the next INPUT.\n"
		"  Prints every screen as \"CON text\" or \"END text\". Exit 0 when the gateway ends the\n"
		"  dialogue after the last input; 1 on a refusal, abort, timeout (S seconds to connect\n"
		"  and per step, default 10), a menu left after the last input or an End before it.\n"
		"  --network: the serving network the subscriber is in; MAP carries none, so the gateway\n"
		"  takes its map.network or the IMSI's MCC+MNC: it must be the IMSI's prefix here.\n"
		"  --wait-ni N: then wait (S seconds) for N gateway-initiated USSD operations, printing\n"
		"  \"NI <op> <imsi> <text>\"; with no --msisdn, only wait. --ni-reply: the answer to a\n"
		"  gateway's unstructuredSS-Request (default \"1\").\n");
}

struct dial_run {
	bool done;
	enum ussd_peer_outcome outcome;
	char detail[160];
	unsigned screens;
	unsigned ni_seen;
	bool cons_after_last;
};

static void on_screen(struct ussd_peer *p, void *ud, const char *text, bool end, uint64_t step_us)
{
	(void)p, (void)step_us;
	struct dial_run *r = ud;
	r->screens++;
	printf("%s %s\n", end ? "END" : "CON", text);
	fflush(stdout);
}

static void on_done(struct ussd_peer *p, void *ud, enum ussd_peer_outcome o, const char *detail)
{
	(void)p;
	struct dial_run *r = ud;
	r->done = true;
	r->outcome = o;
	snprintf(r->detail, sizeof(r->detail), "%s", detail);
}

static void on_ni(struct ussd_peer *p, int opcode, const char *dest_ref, const char *text)
{
	struct dial_run *r = ussd_peer_userdata(p);
	r->ni_seen++;
	printf("NI %d %s %s\n", opcode, dest_ref[0] ? dest_ref : "-", text);
	fflush(stdout);
}

static bool digits(const char *s, size_t lo, size_t hi)
{
	size_t n = strlen(s);
	if (n < lo || n > hi)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* Turn the loop until cond or the deadline. */
static bool pump(struct evloop *l, uint64_t deadline, bool (*cond)(void *), void *arg)
{
	while (!cond(arg)) {
		uint64_t now = evloop_now_ms();
		if (now >= deadline)
			return false;
		uint64_t left = deadline - now;
		if (evloop_run_once(l, left > 50 ? 50 : (int)left) < 0)
			return false;
	}
	return true;
}

static bool peer_active(void *arg)
{
	return ussd_peer_active(arg);
}

static bool run_done(void *arg)
{
	return ((struct dial_run *)arg)->done;
}

struct ni_wait {
	struct dial_run *r;
	unsigned want;
};

static bool ni_done(void *arg)
{
	struct ni_wait *w = arg;
	return w->r->ni_seen >= w->want;
}

int cmd_sim_dial(int argc, char **argv)
{
	static const struct option opts[] = {
		{"connect", required_argument, NULL, 'c'}, {"msisdn", required_argument, NULL, 'm'},
		{"imsi", required_argument, NULL, 'i'},    {"network", required_argument, NULL, 'N'},
		{"code", required_argument, NULL, 'C'},    {"rctx", required_argument, NULL, 'r'},
		{"ucs2", no_argument, NULL, 'u'},          {"timeout", required_argument, NULL, 't'},
		{"wait-ni", required_argument, NULL, 'w'}, {"ni-reply", required_argument, NULL, 'R'},
		{"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
	};
	const char *connect = NULL, *msisdn = NULL, *imsi = NULL, *network = NULL, *code = "*384#";
	const char *ni_reply = NULL;
	long long rctx = -1, timeout_s = 10, wait_ni = 0;
	bool ucs2 = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+c:m:i:N:C:r:ut:w:R:h", opts, NULL)) != -1) {
		char *end = NULL;
		switch (c) {
		case 'c': connect = optarg; break;
		case 'm': msisdn = optarg; break;
		case 'i': imsi = optarg; break;
		case 'N': network = optarg; break;
		case 'C': code = optarg; break;
		case 'R': ni_reply = optarg; break;
		case 'u': ucs2 = true; break;
		case 'r':
			rctx = strtoll(optarg, &end, 10);
			if (*end || rctx < 0 || rctx > 0xffffffffLL) {
				fprintf(stderr, "dial: --rctx: want 0..4294967295, got '%s'\n", optarg);
				return 2;
			}
			break;
		case 't':
			timeout_s = strtoll(optarg, &end, 10);
			if (*end || timeout_s < 1 || timeout_s > 600) {
				fprintf(stderr, "dial: --timeout: want 1..600 seconds, got '%s'\n", optarg);
				return 2;
			}
			break;
		case 'w':
			wait_ni = strtoll(optarg, &end, 10);
			if (*end || wait_ni < 0 || wait_ni > 1000) {
				fprintf(stderr, "dial: --wait-ni: want 0..1000, got '%s'\n", optarg);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!connect || (!msisdn && !wait_ni) || (msisdn && !imsi)) {
		usage(stderr);
		return 2;
	}
	if (msisdn && (!digits(msisdn, 1, 15) || !digits(imsi, 6, 15))) {
		fprintf(stderr, "dial: --msisdn and --imsi: want digits (IMSI 6 to 15)\n");
		return 2;
	}
	if (network && (!digits(network, 5, 6) || (imsi && strncmp(imsi, network, strlen(network))))) {
		fprintf(stderr, "dial: --network %s: want the MCC+MNC the IMSI starts with (MAP carries "
				"no serving network; the gateway takes it from the IMSI)\n",
			network);
		return 2;
	}
	if (argc - optind > USSD_PEER_INPUTS_MAX) {
		fprintf(stderr, "dial: at most %d inputs\n", USSD_PEER_INPUTS_MAX);
		return 2;
	}
	struct ussd_peer_cfg pc = {.step_timeout_ms = (unsigned)timeout_s * 1000u,
				   .max_dialogues = 16, .ni_reply = ni_reply};
	char err[256];
	if (tp_endpoint_parse(&pc.remote, connect, err, sizeof(err))) {
		fprintf(stderr, "dial: --connect: %s\n", err);
		return 2;
	}
	if (rctx >= 0) {
		pc.has_rctx = true;
		pc.rctx = (uint32_t)rctx;
	}
	struct dial_run r = {0};
	struct evloop *l = evloop_new(err, sizeof(err));
	struct tp_net *net = l ? tp_net_new(l, err, sizeof(err)) : NULL;
	static const struct ussd_peer_cbs cbs = {.on_screen = on_screen, .on_done = on_done,
						 .on_ni = on_ni};
	struct ussd_peer *p = net ? ussd_peer_new(net, &pc, &cbs, &r, err, sizeof(err)) : NULL;
	int status = 1;
	if (!p) {
		fprintf(stderr, "dial: %s\n", err);
		goto out;
	}
	if (!pump(l, evloop_now_ms() + (uint64_t)timeout_s * 1000u, peer_active, p)) {
		fprintf(stderr, "dial: %s: no M3UA ASP-ACTIVE within %lld s (%" PRIu64
				" failed connection attempts)\n",
			connect, timeout_s, ussd_peer_connect_failures(p));
		goto out;
	}
	if (msisdn) {
		struct ussd_peer_dial d = {.msisdn = msisdn, .imsi = imsi, .code = code, .ucs2 = ucs2,
					   .n_inputs = (unsigned)(argc - optind)};
		for (unsigned i = 0; i < d.n_inputs; i++)
			d.inputs[i] = argv[optind + (int)i];
		int rc = ussd_peer_dial(p, &d, &r);
		if (rc) {
			fprintf(stderr, "dial: cannot open the dialogue: %s\n", strerror(-rc));
			goto out;
		}
		/* the peer bounds every step; this bounds the whole in case the link stalls */
		uint64_t bound = (uint64_t)timeout_s * 1000u * (d.n_inputs + 2);
		if (!pump(l, evloop_now_ms() + bound, run_done, &r)) {
			fprintf(stderr, "dial: no end of the dialogue within %" PRIu64 " s\n", bound / 1000);
			goto out;
		}
		evloop_run_once(l, 0); /* writes a final U-Abort, if any */
		if (r.outcome != USSD_PEER_END) {
			fprintf(stderr, "dial: dialogue %s: %s\n",
				get_value_string(ussd_peer_outcome_names, r.outcome), r.detail);
			goto out;
		}
		unsigned used = r.screens ? r.screens - 1 : 0;
		if (used < d.n_inputs) {
			fprintf(stderr, "dial: the gateway ended the dialogue with %u of %u inputs unused\n",
				d.n_inputs - used, d.n_inputs);
			goto out;
		}
	}
	if (wait_ni) {
		struct ni_wait w = {&r, (unsigned)wait_ni};
		if (!pump(l, evloop_now_ms() + (uint64_t)timeout_s * 1000u, ni_done, &w)) {
			fprintf(stderr, "dial: %u of %lld gateway-initiated operations within %lld s\n",
				r.ni_seen, wait_ni, timeout_s);
			goto out;
		}
		/* let the last answer go out before closing */
		evloop_run_once(l, 0);
	}
	status = 0;
out:
	ussd_peer_free(p);
	if (net)
		tp_net_free(net);
	if (l)
		evloop_free(l);
	return status;
}
