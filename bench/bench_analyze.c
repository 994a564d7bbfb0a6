/* bench_analyze [N] [CONFIG]: the analyser's speed over a simulated capture of N messages
 * (default 1000000, "mixed" scenario, example configuration):
 *   read   cap_read_file only (pcap parsing, exported-PDU unwrapping)
 *   decode read + sig_decode_m3ua (M3UA, SCCP, TCAP, MAP, SMS)
 *   full   read + decode + policy_eval (subscriber state, dialogues, rate counters)
 *   tshark `tshark -T fields` extracting the same fields, over the first min(N, T) frames
 *          of the same file, per message (it is much slower); T is 20000, or the environment
 *          variable BENCH_TSHARK_FRAMES (0 = the whole file)
 * Prints ns/message and messages/s for each (wall clock), and the CPU time of this process per
 * message, which moves much less than the wall clock when other jobs share the cores. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "analyze.h"
#include "sim.h"

static uint64_t clock_ns(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t now_ns(void) { return clock_ns(CLOCK_MONOTONIC); }
static uint64_t cpu_ns(void) { return clock_ns(CLOCK_PROCESS_CPUTIME_ID); }

struct ctr {
	uint64_t units, sink;
};

static int read_cb(void *ud, const struct cap_unit *u)
{
	struct ctr *c = ud;
	c->units++;
	c->sink += u->len;
	return 0;
}

static int decode_cb(void *ud, const struct cap_unit *u)
{
	struct ctr *c = ud;
	struct sig_msg m;
	struct dfs_err e;
	c->units++;
	c->sink += sig_decode_m3ua(u->p, u->len, &m, &e) == 0;
	return 0;
}

/* cpu: CPU nanoseconds of this process over the run, 0 when not measured (tshark) */
static void line(const char *what, uint64_t n, uint64_t ns, uint64_t cpu, const char *note)
{
	char cb[32] = "-";
	if (cpu)
		snprintf(cb, sizeof(cb), "%.0f", (double)cpu / n);
	printf("| %-34s | %9llu | %8.0f | %7s | %11.0f | %s\n", what, (unsigned long long)n, (double)ns / n, cb,
	       n * 1e9 / ns, note);
}

int main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
	const char *config = argc > 2 ? argv[2] : DFSG_SOURCE_DIR "/config/example.yaml";
	struct cfg_errors errs;
	struct policy_config *cfg = policy_config_load(config, &errs);
	if (!cfg) {
		fprintf(stderr, "%s: cannot load\n", config);
		return 1;
	}
	char err[256], path[] = "/tmp/bench_analyze_XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		return 1;
	close(fd);

	uint64_t t0 = now_ns(), c0 = cpu_ns();
	struct sim *s = sim_new(cfg, 1, err, sizeof(err));
	struct cap_writer *w = s ? cap_writer_open(path, CAP_OUT_EXPORTED_PDU_M3UA, err, sizeof(err)) : NULL;
	if (!w || sim_add_scenario(s, "mixed", n) < 0) {
		fprintf(stderr, "bench_analyze: %s\n", err);
		return 1;
	}
	uint8_t buf[4096];
	const struct sim_msg *sm;
	uint64_t made = 0;
	while ((sm = sim_next(s)) != NULL) {
		struct dfs_wbuf wb = dfs_wbuf_init(buf, sizeof(buf));
		if (sim_encode(sm, &wb) < 0)
			return 1;
		struct timespec ts = {(time_t)(sm->t_ms / 1000), (long)(sm->t_ms % 1000) * 1000000L};
		cap_writer_put(w, &ts, buf, wb.len);
		made++;
	}
	cap_writer_close(w);
	sim_free(s);
	uint64_t t_sim = now_ns() - t0, c_sim = cpu_ns() - c0;

	printf("| run | messages | ns/msg | cpu ns/msg | msgs/s | note |\n|---|---:|---:|---:|---:|---|\n");
	line("simulate + encode + write", made, t_sim, c_sim, "sim_next, sim_encode, cap_writer_put");

	struct ctr c = {0};
	t0 = now_ns(), c0 = cpu_ns();
	cap_read_file(path, read_cb, NULL, &c, err, sizeof(err));
	line("read (cap_read_file only)", c.units, now_ns() - t0, cpu_ns() - c0, "");

	memset(&c, 0, sizeof(c));
	t0 = now_ns(), c0 = cpu_ns();
	cap_read_file(path, decode_cb, NULL, &c, err, sizeof(err));
	line("read + decode", c.units, now_ns() - t0, cpu_ns() - c0, "sig_decode_m3ua, all layers");

	struct analyzer *a = calloc(1, sizeof(*a));
	a->ctx = policy_new(cfg, NULL, err, sizeof(err));
	t0 = now_ns(), c0 = cpu_ns();
	cap_read_file(path, analyze_cap_cb, NULL, a, err, sizeof(err));
	uint64_t t_full = now_ns() - t0;
	line("read + decode + policy", a->units, t_full, cpu_ns() - c0, "analyze_unit: what dfsguard analyze does");
	printf("\n(%llu blocked, %llu alerts)\n", (unsigned long long)a->blocks, (unsigned long long)a->alerts);
	policy_free(a->ctx);
	free(a);

	const char *tenv = getenv("BENCH_TSHARK_FRAMES");
	uint64_t tcap = tenv ? strtoull(tenv, NULL, 10) : 20000;
	uint64_t tn = tcap == 0 || made < tcap ? made : tcap;
	char cmd[1024];
	snprintf(cmd, sizeof(cmd),
		 "tshark -n -r %s -c %llu -T fields -e frame.number -e sccp.calling.digits -e sccp.called.digits "
		 "-e gsm_old.localValue -e e212.imsi -e e164.msisdn >/dev/null 2>&1",
		 path, (unsigned long long)tn);
	if (system("command -v tshark >/dev/null 2>&1") == 0) {
		t0 = now_ns();
		int rc = system(cmd);
		uint64_t t_ts = now_ns() - t0;
		if (rc == 0)
			line("tshark -T fields (same fields)", tn, t_ts, 0,
			     tn < made ? "first frames only, per message" : "the whole file");
	} else {
		printf("tshark not installed: no comparison\n");
	}
	unlink(path);
	policy_config_free(cfg);
	return 0;
}
