/* bench_relay: messages per second through the M3UA relay on loopback, and the latency it adds.
 *
 * A partner ASP (load generator) sends M3UA DATA to a home STP (sink, an SGP) over TCP, through:
 *   direct      no middle box (the latency floor);
 *   socat       a plain TCP proxy (Debian's socat), the baseline for "just forwarding bytes";
 *   relay         the relay, no verdict hook (pass-through: policy off);
 *   relay+m3ua    the relay with a hook that only decodes the M3UA message again;
 *   relay+policy  the relay with what dfsguard fw does per message: sig_decode_m3ua (M3UA, SCCP,
 *                 TCAP, MAP) and policy_eval (policy on).
 * The message is a real updateLocation from a partner VLR to the home HLR (allowed).
 * Each mode runs twice: a throughput phase (up to WINDOW messages in flight) and a latency phase
 * (one message in flight: p50/p99 of send-to-receive time). The generator and the sink share one
 * thread; the relay runs on its own thread, socat in its own processes. Every phase is bounded
 * by a message count and a time limit.
 *
 * usage: bench_relay [-n MESSAGES] [-w WINDOW] [-t SECONDS] */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "evloop.h"
#include "m3ua_asp.h"
#include "m3ua.h"
#include "relay.h"
#include "fw.h"
#include "map.h"
#include "policy.h"
#include "sccp.h"
#include "transport.h"

#define RC 10
#define BENCH_IMSI "640990000000001"
#define BENCH_VLR "491799001234"
#define BENCH_HLR "25579900001"

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct phase {
	size_t want, sent, rcvd;
	unsigned window;
	uint64_t *lat; /* ns, one per received message */
	uint64_t t0, t1;
	uint64_t deadline_ns;
	bool bad;
};

struct bench {
	struct evloop *l;
	struct tp_net *net;
	struct m3ua_sg *sink;
	struct m3ua_link *gen;
	struct phase *ph;
	uint8_t msg[4096];
	size_t msg_len, ts_off; /* where the send timestamp goes in msg */
	size_t sls_off;
};

static void sink_on_data(struct m3ua_link *lk, const uint8_t *msg, size_t len,
			 const struct m3ua_msg *m, uint16_t stream, void *ud)
{
	struct bench *b = ud;
	struct phase *ph = b->ph;
	if (!ph || len != b->msg_len) {
		if (ph)
			ph->bad = true;
		return;
	}
	uint64_t sent;
	memcpy(&sent, msg + b->ts_off, 8);
	if (ph->rcvd < ph->want)
		ph->lat[ph->rcvd] = now_ns() - sent;
	ph->rcvd++;
	if (ph->rcvd == ph->want)
		ph->t1 = now_ns();
}

static const struct m3ua_cbs sink_cbs = {.on_data = sink_on_data};
static const struct m3ua_cbs gen_cbs = {0};

/* DATA: routing context, protocol data (OPC, DPC, SI 3 SCCP, NI 2, SLS) carrying a real
 * updateLocation (SCCP UDT, TCAP Begin with its MAP dialogue, MAP argument with IMSI, VLR and
 * MSC numbers) from a roaming partner's VLR to the home HLR, which the policy allows; the send
 * timestamp rides in a trailing Info String parameter so the user part stays intact. */
static void build_msg(struct bench *b)
{
	struct map_fields f;
	memset(&f, 0, sizeof(f));
	f.has_imsi = true;
	snprintf(f.imsi, sizeof(f.imsi), "%s", BENCH_IMSI);
	f.vlr = f.msc = (struct dfs_addr){.present = true, .ton_npi = 0x91};
	snprintf(f.vlr.digits, sizeof(f.vlr.digits), "%s", BENCH_VLR);
	snprintf(f.msc.digits, sizeof(f.msc.digits), "%s", BENCH_VLR);
	uint8_t tcap[512], sccp[640], pd[700];
	struct dfs_wbuf tw = dfs_wbuf_init(tcap, sizeof(tcap));
	struct sccp_msg sm;
	memset(&sm, 0, sizeof(sm));
	sm.msg_type = 0x09;
	sccp_addr_gt(&sm.called, BENCH_HLR, 6);
	sccp_addr_gt(&sm.calling, BENCH_VLR, 7);
	struct dfs_wbuf sw = dfs_wbuf_init(sccp, sizeof(sccp));
	if (map_build_begin(&tw, 0x01020304, 1 /* networkLocUpContext */, 3, 2, 1, &f) < 0 ||
	    (sm.data = (struct dfs_view){tcap, tw.len}, sccp_encode(&sw, &sm) < 0)) {
		fprintf(stderr, "bench_relay: cannot build the updateLocation\n");
		exit(1);
	}
	const uint8_t hdr[12] = {0, 0, 0x20, 0x01, 0, 0, 0x12, 0x34, 3, 2, 0, 0};
	memcpy(pd, hdr, 12);
	memcpy(pd + 12, sccp, sw.len);
	uint8_t rcb[4] = {0, 0, 0, RC}, ts[8] = {0};
	struct m3ua_param params[3] = {{M3UA_TAG_ROUTING_CTX, {rcb, 4}},
				       {M3UA_TAG_PROTOCOL_DATA, {pd, 12 + sw.len}},
				       {M3UA_TAG_INFO_STRING, {ts, 8}}};
	struct dfs_wbuf w = dfs_wbuf_init(b->msg, sizeof(b->msg));
	if (m3ua_encode(&w, M3UA_CLS_XFER, M3UA_XFER_DATA, params, 3) < 0) {
		fprintf(stderr, "bench_relay: message too large\n");
		exit(1);
	}
	b->msg_len = w.len;
	b->ts_off = w.len - 8;
	b->sls_off = 8 + 8 + 4 + 11; /* header, RC parameter, Protocol Data tag/length, PD header */
}

/* Top up the generator to the window. */
static void feed(struct bench *b)
{
	struct phase *ph = b->ph;
	while (ph->sent < ph->want && ph->sent - ph->rcvd < ph->window &&
	       m3ua_link_writable(b->gen)) {
		uint8_t sls = (uint8_t)(ph->sent % 16);
		b->msg[b->sls_off] = sls; /* SLS is the last Protocol Data header byte */
		uint64_t t = now_ns();
		memcpy(b->msg + b->ts_off, &t, 8);
		if (m3ua_link_send(b->gen, b->msg, b->msg_len, m3ua_link_stream_for_sls(b->gen, sls)) < 0)
			break;
		ph->sent++;
	}
}

static bool run_until_active(struct bench *b, struct m3ua_link *lk, unsigned ms)
{
	uint64_t end = evloop_now_ms() + ms;
	while (m3ua_link_state(lk) != M3UA_ASP_ACTIVE && evloop_now_ms() < end)
		evloop_run_once(b->l, 10);
	return m3ua_link_state(lk) == M3UA_ASP_ACTIVE;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

struct result {
	double rate;          /* messages per second */
	double p50_us, p99_us; /* one message in flight */
	size_t msgs;
	bool ok;
};

static bool run_phase(struct bench *b, struct phase *ph, unsigned seconds)
{
	b->ph = ph;
	ph->lat = calloc(ph->want, sizeof(uint64_t));
	if (!ph->lat)
		return false;
	ph->t0 = now_ns();
	ph->deadline_ns = ph->t0 + (uint64_t)seconds * 1000000000u;
	while (ph->rcvd < ph->want && now_ns() < ph->deadline_ns && !ph->bad) {
		feed(b);
		evloop_run_once(b->l, 10);
	}
	if (ph->rcvd < ph->want) { /* time limit: report what was measured */
		ph->t1 = now_ns();
		ph->want = ph->rcvd;
	}
	b->ph = NULL;
	/* let stragglers drain so the next phase starts clean */
	for (int i = 0; i < 50 && m3ua_link_conn(b->gen) && tp_queued_bytes(m3ua_link_conn(b->gen)); i++)
		evloop_run_once(b->l, 10);
	return !ph->bad && ph->rcvd > 0;
}

/* Connect the generator to port, measure, close it. */
static struct result measure(struct bench *b, uint16_t port, size_t n, unsigned window,
			     unsigned seconds)
{
	struct result r = {0};
	char err[256];
	struct m3ua_asp_cfg cfg = {.name = "generator", .has_rctx = true, .rctx = RC,
				   .tmt = M3UA_TMT_LOADSHARE, .reconnect_ms = 20};
	cfg.remote = (struct tp_endpoint){.kind = TP_TCP, .n_addrs = 1, .addrs = {"127.0.0.1"},
					  .port = port};
	b->gen = m3ua_asp_new(b->net, &cfg, &gen_cbs, b, err, sizeof(err));
	if (!b->gen || !run_until_active(b, b->gen, 10000)) {
		fprintf(stderr, "bench_relay: generator did not come up: %s\n", b->gen ? "timeout" : err);
		m3ua_link_close(b->gen);
		return r;
	}
	struct phase tput = {.want = n, .window = window};
	struct phase lat = {.want = n / 10 ? n / 10 : 1, .window = 1};
	r.ok = run_phase(b, &tput, seconds) && run_phase(b, &lat, seconds);
	if (r.ok) {
		r.msgs = tput.rcvd;
		r.rate = (double)tput.rcvd * 1e9 / (double)(tput.t1 - tput.t0);
		qsort(lat.lat, lat.want, sizeof(uint64_t), cmp_u64);
		r.p50_us = (double)lat.lat[lat.want / 2] / 1000.0;
		r.p99_us = (double)lat.lat[(lat.want * 99) / 100] / 1000.0;
	}
	free(tput.lat);
	free(lat.lat);
	m3ua_link_close(b->gen);
	b->gen = NULL;
	for (int i = 0; i < 20; i++)
		evloop_run_once(b->l, 5);
	return r;
}

/* ---- the relay on its own thread ---------------------------------------------------------- */

struct relay_thread {
	struct evloop *l;
	struct tp_net *net;
	struct relay *relay;
	pthread_t th;
	unsigned decoded;
	struct policy_config *cfg; /* relay+policy */
	struct policy_ctx *ctx;
	uint64_t verdicts[3];
};

/* The home network of docs/configuration.md's example, and the partner the VLR belongs to. */
static const char bench_policy_yaml[] =
	"operator: Bench\n"
	"home: {country_code: '255', imsi_prefixes: ['64099'], gt_prefixes: ['2557990'],\n"
	"       msisdn_prefixes: ['25579']}\n"
	"nodes: {hlr: ['25579900001'], vlr: ['25579900100'], msc: ['25579900100']}\n"
	"partners:\n"
	"  - {name: Alpen, country: '49', gt_prefixes: ['49179900'], imsi_prefixes: ['26299']}\n";

/* What dfsguard fw does per message: decode every layer, judge it, forward what is allowed. */
static int policy_hook(void *ud, const struct relay_msg *msg, struct dfs_wbuf *answer)
{
	struct relay_thread *rt = ud;
	struct sig_msg m;
	struct dfs_err e;
	struct verdict v;
	if (sig_decode_m3ua(msg->p, msg->len, &m, &e) < 0)
		return -EBADMSG;
	rt->decoded++;
	policy_eval(rt->ctx, &m, evloop_now_ms(), &v);
	rt->verdicts[v.action]++;
	return v.action == ACT_BLOCK ? RELAY_DROP : RELAY_FORWARD;
}

/* The stand-in for the policy: decode the M3UA message again, as the real hook will before
 * going on to SCCP/TCAP/MAP. */
static int decode_hook(void *ud, const struct relay_msg *msg, struct dfs_wbuf *answer)
{
	struct relay_thread *rt = ud;
	struct m3ua_msg m;
	struct dfs_err e;
	if (m3ua_decode(msg->p, msg->len, 0, &m, &e) < 0 || !m.has_proto_data)
		return -EBADMSG;
	rt->decoded++;
	return RELAY_FORWARD;
}

static void *relay_main(void *arg)
{
	struct relay_thread *rt = arg;
	evloop_run(rt->l);
	return NULL;
}

enum relay_mode { MODE_PASS = 0, MODE_DECODE_M3UA = 1, MODE_POLICY = 2 };

static bool relay_start(struct relay_thread *rt, uint16_t sink_port, enum relay_mode mode, char *err,
			size_t errsz)
{
	memset(rt, 0, sizeof(*rt));
	if (mode == MODE_POLICY) {
		struct cfg_errors errs;
		rt->cfg = policy_config_parse("bench", bench_policy_yaml, strlen(bench_policy_yaml), &errs);
		rt->ctx = rt->cfg ? policy_new(rt->cfg, NULL, err, errsz) : NULL;
		if (!rt->ctx) {
			if (!rt->cfg)
				snprintf(err, errsz, "%s", errs.n ? errs.msg[0] : "policy configuration");
			return false;
		}
	}
	rt->l = evloop_new(err, errsz);
	if (!rt->l)
		return false;
	rt->net = tp_net_new(rt->l, err, errsz);
	if (!rt->net)
		return false;
	struct relay_cfg cfg = {.n_partners = 1, .n_homes = 1};
	cfg.partners[0].sg = (struct m3ua_sg_cfg){
		.name = "partner", .has_rctx = true, .rctx = RC, .tmt = M3UA_TMT_LOADSHARE,
		.local = {.kind = TP_TCP, .n_addrs = 1, .addrs = {"127.0.0.1"}}};
	cfg.homes[0] = (struct m3ua_asp_cfg){.name = "home", .has_rctx = true, .rctx = RC,
					     .tmt = M3UA_TMT_LOADSHARE, .reconnect_ms = 20};
	cfg.homes[0].remote = (struct tp_endpoint){.kind = TP_TCP, .n_addrs = 1,
						   .addrs = {"127.0.0.1"}, .port = sink_port};
	if (mode != MODE_PASS) {
		cfg.hook = mode == MODE_POLICY ? policy_hook : decode_hook;
		cfg.hook_ud = rt;
	}
	rt->relay = relay_new(rt->net, &cfg, err, errsz);
	if (!rt->relay)
		return false;
	return pthread_create(&rt->th, NULL, relay_main, rt) == 0;
}

static void relay_stop(struct relay_thread *rt, struct relay_counters *tot)
{
	evloop_stop(rt->l);
	pthread_join(rt->th, NULL);
	relay_totals(rt->relay, RELAY_FROM_PARTNER, tot);
	relay_free(rt->relay);
	tp_net_free(rt->net);
	evloop_free(rt->l);
	policy_free(rt->ctx);
	policy_config_free(rt->cfg);
}

/* ---- socat ------------------------------------------------------------------------------- */

static uint16_t free_tcp_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET};
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	socklen_t sl = sizeof(sin);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &sl) < 0) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	close(fd);
	return ntohs(sin.sin_port);
}

static pid_t socat_start(uint16_t listen_port, uint16_t to_port)
{
	char a[96], c[96];
	snprintf(a, sizeof(a), "TCP-LISTEN:%u,bind=127.0.0.1,reuseaddr,fork,nodelay", listen_port);
	snprintf(c, sizeof(c), "TCP:127.0.0.1:%u,nodelay", to_port);
	pid_t pid = fork();
	if (pid == 0) {
		setpgid(0, 0); /* its own group: forked children go with it */
		execlp("socat", "socat", a, c, (char *)NULL);
		_exit(127);
	}
	if (pid < 0)
		return -1;
	/* wait until it listens (bounded) */
	for (int i = 0; i < 200; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(listen_port)};
		inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
		int ok = connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0;
		close(fd);
		if (ok)
			return pid;
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid)
			return -1; /* exited: not installed or failed */
		usleep(10000);
	}
	kill(-pid, SIGTERM);
	waitpid(pid, NULL, 0);
	return -1;
}

static void socat_stop(pid_t pid)
{
	kill(-pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

/* ---- main ---------------------------------------------------------------------------------- */

static void print_row(const char *mode, const struct result *r, const struct result *direct)
{
	if (!r->ok) {
		printf("%-12s  %s\n", mode, "(not measured)");
		return;
	}
	printf("%-12s %9zu %12.0f %10.1f %10.1f", mode, r->msgs, r->rate, r->p50_us, r->p99_us);
	if (direct && direct->ok && r != direct)
		printf("   +%.1f / +%.1f", r->p50_us - direct->p50_us, r->p99_us - direct->p99_us);
	printf("\n");
}

int main(int argc, char **argv)
{
	size_t n = 200000;
	unsigned window = 256, seconds = 10;
	int opt;
	while ((opt = getopt(argc, argv, "n:w:t:")) != -1) {
		switch (opt) {
		case 'n': n = strtoul(optarg, NULL, 10); break;
		case 'w': window = (unsigned)strtoul(optarg, NULL, 10); break;
		case 't': seconds = (unsigned)strtoul(optarg, NULL, 10); break;
		default:
			fprintf(stderr, "usage: %s [-n MESSAGES] [-w WINDOW] [-t SECONDS]\n",
				argv[0]);
			return 2;
		}
	}
	if (n == 0 || window == 0 || seconds == 0) {
		fprintf(stderr, "bench_relay: bad arguments\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	char err[256];
	struct bench b = {0};
	b.l = evloop_new(err, sizeof(err));
	b.net = b.l ? tp_net_new(b.l, err, sizeof(err)) : NULL;
	if (!b.net) {
		fprintf(stderr, "bench_relay: %s\n", err);
		return 1;
	}
	build_msg(&b);
	struct m3ua_sg_cfg sc = {.name = "home-stp", .has_rctx = true, .rctx = RC,
				 .tmt = M3UA_TMT_LOADSHARE,
				 .local = {.kind = TP_TCP, .n_addrs = 1, .addrs = {"127.0.0.1"}}};
	b.sink = m3ua_sg_new(b.net, &sc, &sink_cbs, &b, err, sizeof(err));
	if (!b.sink) {
		fprintf(stderr, "bench_relay: %s\n", err);
		return 1;
	}
	uint16_t sink_port = m3ua_sg_port(b.sink);
	printf("bench_relay: %zu messages of %zu bytes (M3UA DATA), window %u, limit %u s per phase, "
	       "TCP loopback\n", n, b.msg_len, window, seconds);
	printf("%-12s %9s %12s %10s %10s   %s\n", "mode", "messages", "msg/s", "p50 us", "p99 us",
	       "added vs direct (p50 / p99 us)");

	struct result direct = measure(&b, sink_port, n, window, seconds);
	print_row("direct", &direct, NULL);

	struct result socat = {0};
	uint16_t sp = free_tcp_port();
	pid_t spid = sp ? socat_start(sp, sink_port) : -1;
	if (spid > 0) {
		socat = measure(&b, sp, n, window, seconds);
		socat_stop(spid);
		print_row("socat", &socat, &direct);
	} else {
		printf("%-12s  (socat not available: install Debian's socat)\n", "socat");
	}

	int rc = 0;
	static const char *const mode_names[] = {"relay", "relay+m3ua", "relay+policy"};
	for (int hook = MODE_PASS; hook <= MODE_POLICY; hook++) {
		struct relay_thread rt;
		if (!relay_start(&rt, sink_port, (enum relay_mode)hook, err, sizeof(err))) {
			fprintf(stderr, "bench_relay: relay: %s\n", err);
			return 1;
		}
		/* the relay's home link must be active before partners send */
		uint64_t end = evloop_now_ms() + 10000;
		while (m3ua_sg_count(b.sink, M3UA_ASP_ACTIVE) < 1 && evloop_now_ms() < end)
			evloop_run_once(b.l, 10);
		struct result r = measure(&b, m3ua_sg_port(relay_partner(rt.relay, 0)), n, window,
					  seconds);
		struct relay_counters tot;
		relay_stop(&rt, &tot);
		print_row(mode_names[hook], &r, &direct);
		if (hook == MODE_POLICY && r.ok && rt.verdicts[ACT_ALLOW] != rt.decoded) {
			fprintf(stderr, "bench_relay: the policy did not allow every updateLocation\n");
			rc = 1;
		}
		if (r.ok && tot.in != tot.forwarded + tot.blocked + tot.rejected + tot.refused + tot.held) {
			fprintf(stderr, "bench_relay: counters do not add up\n");
			rc = 1;
		}
		if (hook && r.ok && rt.decoded != tot.in) {
			fprintf(stderr, "bench_relay: hook saw %u of %llu messages\n", rt.decoded,
				(unsigned long long)tot.in);
			rc = 1;
		}
		for (int i = 0; i < 50 && m3ua_sg_count(b.sink, M3UA_ASP_DOWN) > 0; i++)
			evloop_run_once(b.l, 10);
		if (!r.ok)
			rc = 1;
	}
	m3ua_sg_close(b.sink);
	tp_net_free(b.net);
	evloop_free(b.l);
	return rc;
}
