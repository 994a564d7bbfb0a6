/* bench_ussd: dialogue steps per second and latency (p50/p99) of the USSD gateway over HTTP on
 * 127.0.0.1, next to a baseline HTTP server (same libmicrohttpd setup) answering a constant, and
 * over its MAP face: the simulator's USSD peer (src/sim/ussd_peer.h) as MSC + HLR, an M3UA ASP
 * over TCP on 127.0.0.1, with C dialogues in flight.
 *
 *   bench_ussd [--steps N] [--clients C] [--pg CONNINFO | --pg auto] [--messages FILE]
 * (run from the source tree, or give --messages config/messages/en.yaml). --pg auto starts a
 * throwaway PostgreSQL server as the tests do (tests/pg_harness.h).
 *
 * Mixes: "menu" = dialogues that navigate to a transfer confirmation and cancel (5 steps, no
 * Argon2id); "transfer" = the same with the PIN (Argon2id at the interactive cost) and a ledger
 * transfer. Signed requests (GW-APPAUTH) throughout. Bounded by --steps. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <microhttpd.h>

#include "../tests/pg_harness.h"
#include "appauth.h"
#include "evloop.h"
#include "map_listener.h"
#include "ussd_peer.h"
#include "ussd_service.h"
#include "wallet.h"

#define KEY "bench-aggregator-key-0123456789ab"
#define PIN "947361"

struct run {
	unsigned port;
	unsigned clients, dialogues_per_client;
	bool transfer, baseline;
	atomic_uint next_dialogue;
	unsigned run_no; /* session ids differ between runs */
	double *lat; /* per step, seconds */
	atomic_uint nlat;
	unsigned cap;
};

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static size_t sink(char *p, size_t sz, size_t n, void *ud)
{
	char *b = ud;
	size_t k = sz * n < 511 ? sz * n : 511;
	memcpy(b, p, k);
	b[k] = 0;
	return sz * n;
}

static int step(struct run *r, CURL *h, const char *sid, const char *phone, const char *text,
		char *out)
{
	char body[512], url[64], t[24], sig[APPAUTH_SIG_HEX], h1[64], h2[96];
	snprintf(body, sizeof(body),
		 "sessionId=%s&serviceCode=%%2A384%%23&phoneNumber=%%2B%s&networkCode=63902&text=%s",
		 sid, phone, text);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/ussd", r->port);
	snprintf(t, sizeof(t), "%lld", (long long)time(NULL));
	appauth_sign((const uint8_t *)KEY, strlen(KEY), t, body, strlen(body), sig);
	snprintf(h1, sizeof(h1), APPAUTH_TS_HEADER ": %s", t);
	snprintf(h2, sizeof(h2), APPAUTH_SIG_HEADER ": %s", sig);
	struct curl_slist *hd = curl_slist_append(curl_slist_append(NULL, h1), h2);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
	double t0 = now_s();
	CURLcode rc = curl_easy_perform(h);
	double dt = now_s() - t0;
	curl_slist_free_all(hd);
	unsigned i = atomic_fetch_add(&r->nlat, 1);
	if (i < r->cap)
		r->lat[i] = dt;
	return rc == CURLE_OK ? 0 : -1;
}

static void *client(void *arg)
{
	struct run *r = arg;
	CURL *h = curl_easy_init();
	char out[512];
	for (unsigned d; (d = atomic_fetch_add(&r->next_dialogue, 1)) <
			 r->clients * r->dialogues_per_client;) {
		char sid[32], phone[16], to[16], text[96];
		snprintf(sid, sizeof(sid), "b%u-%u", r->run_no, d);
		snprintf(phone, sizeof(phone), "2547%08u", d % 50);
		snprintf(to, sizeof(to), "2547%08u", (d + 1) % 50);
		if (r->baseline) {
			for (int k = 0; k < 5; k++)
				if (step(r, h, sid, phone, "", out))
					goto out;
			continue;
		}
		const char *seq[5] = {"", "1", NULL, NULL, NULL};
		char t2[40], t3[48], t4[64];
		snprintf(t2, sizeof(t2), "1*%s", to);
		snprintf(t3, sizeof(t3), "1*%s*10", to);
		snprintf(t4, sizeof(t4), "1*%s*10*%s", to, r->transfer ? PIN : "0");
		seq[2] = t2;
		seq[3] = t3;
		seq[4] = t4;
		for (int k = 0; k < 5; k++) {
			snprintf(text, sizeof(text), "%s", seq[k]);
			if (step(r, h, sid, phone, text, out))
				goto out;
		}
	}
out:
	curl_easy_cleanup(h);
	return NULL;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void report(const char *name, double *lat, unsigned n, double dt)
{
	qsort(lat, n, sizeof(double), cmp);
	printf("| %-28s | %8u | %10.0f | %8.2f | %8.2f |\n", name, n, n / dt,
	       n ? lat[n / 2] * 1e3 : 0, n ? lat[(size_t)(n * 0.99)] * 1e3 : 0);
	fflush(stdout);
}

static void measure(const char *name, struct run *r)
{
	r->cap = r->clients * r->dialogues_per_client * 5;
	r->lat = calloc(r->cap, sizeof(double));
	atomic_store(&r->nlat, 0);
	atomic_store(&r->next_dialogue, 0);
	r->run_no++;
	pthread_t th[64];
	double t0 = now_s();
	for (unsigned i = 0; i < r->clients; i++)
		pthread_create(&th[i], NULL, client, r);
	for (unsigned i = 0; i < r->clients; i++)
		pthread_join(th[i], NULL);
	double dt = now_s() - t0;
	unsigned n = atomic_load(&r->nlat);
	if (n > r->cap)
		n = r->cap;
	report(name, r->lat, n, dt);
	free(r->lat);
}

/* --- over the MAP face: the USSD peer keeps C dialogues in flight --- */
struct map_run {
	unsigned total, started, done, failed;
	double *lat;
	unsigned nlat, cap;
};

static void map_screen(struct ussd_peer *p, void *ud, const char *text, bool end, uint64_t us)
{
	(void)ud, (void)text, (void)end;
	struct map_run *m = ussd_peer_userdata(p);
	if (m->nlat < m->cap)
		m->lat[m->nlat++] = (double)us / 1e6;
}

static void map_done(struct ussd_peer *p, void *ud, enum ussd_peer_outcome o, const char *detail)
{
	(void)ud;
	struct map_run *m = ussd_peer_userdata(p);
	m->done++;
	if (o != USSD_PEER_END && m->failed++ == 0)
		fprintf(stderr, "bench_ussd: MAP dialogue %s: %s\n",
			get_value_string(ussd_peer_outcome_names, o), detail);
}

static void measure_map(const char *name, struct ussd_service *svc, struct run *r,
			unsigned dialogues)
{
	char err[256];
	struct map_run m = {.total = dialogues, .cap = dialogues * 5};
	m.lat = calloc(m.cap, sizeof(double));
	struct evloop *l = evloop_new(err, sizeof(err));
	struct tp_net *net = l ? tp_net_new(l, err, sizeof(err)) : NULL;
	struct ussd_peer_cfg pc = {.has_rctx = true, .rctx = 7, .max_dialogues = r->clients,
				   .step_timeout_ms = 30000};
	static const struct ussd_peer_cbs cbs = {.on_screen = map_screen, .on_done = map_done};
	struct ussd_peer *p = NULL;
	if (net && tp_endpoint_parse(&pc.remote, "tcp:127.0.0.1:1", err, sizeof(err)) == 0) {
		pc.remote.port = map_listener_port(svc->map);
		p = ussd_peer_new(net, &pc, &cbs, &m, err, sizeof(err));
	}
	uint64_t deadline = evloop_now_ms() + 300000; /* bounded in time as well as count */
	while (p && !ussd_peer_active(p) && evloop_now_ms() < deadline)
		evloop_run_once(l, 10);
	double t0 = now_s();
	while (p && ussd_peer_active(p) && m.done < m.total && evloop_now_ms() < deadline) {
		while (m.started < m.total && ussd_peer_in_flight(p) < r->clients) {
			unsigned d = m.started;
			char msisdn[16], imsi[16], to[16];
			snprintf(msisdn, sizeof(msisdn), "2547%08u", d % 50);
			snprintf(imsi, sizeof(imsi), "6390200%08u", d % 50);
			snprintf(to, sizeof(to), "2547%08u", (d + 1) % 50);
			struct ussd_peer_dial q = {.msisdn = msisdn, .imsi = imsi, .n_inputs = 4,
						   .inputs = {"1", to, "10", r->transfer ? PIN : "0"}};
			if (ussd_peer_dial(p, &q, NULL))
				break;
			m.started++;
		}
		evloop_run_once(l, 5);
	}
	double dt = now_s() - t0;
	if (!p || m.done < m.total || m.failed)
		fprintf(stderr, "bench_ussd: MAP run: %u of %u dialogues done, %u failed%s%s\n",
			m.done, m.total, m.failed, p ? "" : ": ", p ? "" : err);
	report(name, m.lat, m.nlat, dt);
	ussd_peer_free(p);
	if (net)
		tp_net_free(net);
	if (l)
		evloop_free(l);
	free(m.lat);
}

static enum MHD_Result constant(void *cls, struct MHD_Connection *c, const char *url,
				const char *method, const char *version, const char *upload,
				size_t *upload_size, void **con_cls)
{
	if (!*con_cls) {
		*con_cls = (void *)1;
		return MHD_YES;
	}
	if (*upload_size) {
		*upload_size = 0;
		return MHD_YES;
	}
	static const char answer[] = "END ok";
	struct MHD_Response *r = MHD_create_response_from_buffer(sizeof(answer) - 1, (void *)answer,
								 MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	return ret;
}

static int gateway(const char *dir, const char *pg, const char *msgs, unsigned threads,
		   struct run *r, const char *label)
{
	char path[256], cfgp[256], err[512];
	snprintf(path, sizeof(path), "%s/agg.key", dir);
	FILE *f = fopen(path, "w");
	fputs(KEY, f);
	fclose(f);
	snprintf(cfgp, sizeof(cfgp), "%s/bench.yaml", dir);
	f = fopen(cfgp, "w");
	fprintf(f, "ussd:\n  listen: \"127.0.0.1:0\"\n  threads: %u\n", threads);
	if (pg)
		fprintf(f, "  database: {backend: postgresql, conninfo: \"%s\", pool: %u}\n", pg,
			threads);
	else
		fprintf(f, "  database: {backend: sqlite, path: %s/bench.db}\n", dir);
	fprintf(f, "  audit_log: %s/audit.jsonl\n  audit_fsync: false\n"
		   "  messages: %s\n  aggregator: {secret_file: %s}\n"
		   "  limits: {per_transaction_min: 1, velocity: {count: 100000, window: 60}}\n"
		   "  services: [{code: \"*384#\", app: wallet}]\n"
		   "  map: {listen: \"tcp:127.0.0.1:0\", routing_context: 7, network: \"63902\"}\n",
		dir, msgs, path);
	fclose(f);
	static struct ussd_config cfg;
	static struct ussd_service svc;
	if (ussd_config_load(&cfg, cfgp, err, sizeof(err)) ||
	    ussd_service_start(&svc, &cfg, NULL, NULL, err, sizeof(err))) {
		fprintf(stderr, "bench_ussd: %s\n", err);
		return -1;
	}
	char hash[PIN_HASH_MAX];
	pin_hash(&cfg.gw.pin, PIN, hash);
	for (unsigned i = 0; i < 50; i++) {
		char m[16], key[32];
		snprintf(m, sizeof(m), "2547%08u", i);
		wallet_register(svc.db, m, "Bench User", "", hash, 1);
		snprintf(key, sizeof(key), "bench-fund-%u-%ld", i, (long)time(NULL));
		struct ledger_transfer_req q = {.idem_key = key, .kind = LEDGER_XFER_ISSUE,
						.debit = "sys:issue", .credit = m, .amount = 100000000,
						.now = 1};
		struct ledger_transfer_res res;
		ledger_transfer(&svc.g.ledger, &q, &res);
	}
	r->port = http_face_port(svc.http);
	char name[64];
	r->transfer = false;
	snprintf(name, sizeof(name), "%s menu", label);
	measure(name, r);
	r->transfer = true;
	unsigned keep = r->dialogues_per_client;
	r->dialogues_per_client = keep / 10 ? keep / 10 : 1;
	snprintf(name, sizeof(name), "%s transfer+PIN", label);
	measure(name, r);
	r->dialogues_per_client = keep;
	unsigned dialogues = r->clients * keep;
	r->transfer = false;
	snprintf(name, sizeof(name), "%s MAP menu", label);
	measure_map(name, &svc, r, dialogues);
	r->transfer = true;
	snprintf(name, sizeof(name), "%s MAP transfer+PIN", label);
	measure_map(name, &svc, r, dialogues / 10 ? dialogues / 10 : 1);
	ussd_service_stop(&svc);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned steps = 20000, clients = 4;
	const char *pg = NULL, *msgs = "config/messages/en.yaml";
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--steps") && i + 1 < argc)
			steps = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--clients") && i + 1 < argc)
			clients = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--pg") && i + 1 < argc)
			pg = argv[++i];
		else if (!strcmp(argv[i], "--messages") && i + 1 < argc)
			msgs = argv[++i];
	}
	if (clients < 1 || clients > 64 || steps < 5) {
		fprintf(stderr, "usage: bench_ussd [--steps N] [--clients 1-64] [--pg CONNINFO|auto]\n");
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	char dir[] = "/tmp/dfsg-bench-XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	struct run r = {.clients = clients, .dialogues_per_client = steps / 5 / clients};
	printf("| run | steps | steps/s | p50 ms | p99 ms |\n|---|---:|---:|---:|---:|\n");

	struct sockaddr_in lo = {.sin_family = AF_INET};
	lo.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0,
						NULL, NULL, constant, NULL,
						MHD_OPTION_THREAD_POOL_SIZE, clients,
						MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&lo,
						MHD_OPTION_END);
	if (d) {
		r.port = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port;
		r.baseline = true;
		measure("baseline (constant answer)", &r);
		r.baseline = false;
		MHD_stop_daemon(d);
	}
	int rc = gateway(dir, NULL, msgs, clients, &r, "sqlite");
	struct pg_harness pgh = {.running = false};
	char conninfo[256];
	if (rc == 0 && pg && !strcmp(pg, "auto")) {
		pg = NULL;
		if (pg_harness_for_suite(&pgh, "bench_ussd postgresql") == 0 &&
		    pg_harness_newdb(&pgh, "bench", conninfo, sizeof(conninfo)) == 0)
			pg = conninfo;
	}
	if (rc == 0 && pg)
		rc = gateway(dir, pg, msgs, clients, &r, "postgresql");
	pg_harness_stop(&pgh);
	char cmd[64];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	curl_global_cleanup();
	return rc ? 1 : 0;
}
