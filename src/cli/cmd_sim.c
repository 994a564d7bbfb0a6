/* dfsguard sim SCENARIO... [--config FILE] [--seed N] [--count N] -o FILE.pcap
 * dfsguard sim dial ...   (cmd_sim_dial.c) */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "cli.h"
#include "sim.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: dfsguard sim SCENARIO... [--config FILE] [--seed N] [--count N] [--sctp]\n"
		   "                    [--labels FILE] -o FILE.pcap\n"
		   "  Writes simulated signalling traffic for the network of the configuration (default\n"
		   "  config/example.yaml) and a labels file (default FILE.pcap.labels.csv: frame, time,\n"
		   "  expected verdict, rule, ...). --count: messages per scenario (default 2000), plus an\n"
		   "  attach wave first. Link type: exported PDUs (M3UA), or Ethernet/IPv4/SCTP with --sctp.\n"
		   "       dfsguard sim dial --connect ENDPOINT --msisdn N --imsi I [...] INPUT...\n"
		   "  Plays MSC + HLR in a live USSD dialogue with a gateway's MAP face\n"
		   "  (dfsguard sim dial --help).\n"
		   "scenarios:\n");
	for (unsigned i = 0; sim_scenario_names[i][0]; i++)
		fprintf(f, "  %-14s %s\n", sim_scenario_names[i][0], sim_scenario_names[i][1]);
}

int cmd_sim(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "dial"))
		return cmd_sim_dial(argc - 1, argv + 1);
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'}, {"seed", required_argument, NULL, 's'},
		{"count", required_argument, NULL, 'n'},  {"output", required_argument, NULL, 'o'},
		{"labels", required_argument, NULL, 'l'}, {"sctp", no_argument, NULL, 'S'},
		{"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
	};
	const char *config = "config/example.yaml", *out = NULL, *labels = NULL;
	uint64_t seed = 1, count = 0;
	enum cap_out_link link = CAP_OUT_EXPORTED_PDU_M3UA;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:s:n:o:l:Sh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 'n': count = strtoull(optarg, NULL, 0); break;
		case 'o': out = optarg; break;
		case 'l': labels = optarg; break;
		case 'S': link = CAP_OUT_ETH_IPV4_SCTP; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!out || optind >= argc) {
		usage(stderr);
		return 2;
	}
	struct policy_config *cfg = policy_config_load_report(config, stderr);
	if (!cfg)
		return 2;
	char err[256];
	int status = 2;
	struct sim *s = sim_new(cfg, seed, err, sizeof(err));
	struct cap_writer *w = NULL;
	FILE *lf = NULL;
	char lpath[4096];
	if (!s) {
		fprintf(stderr, "sim: %s\n", err);
		goto out;
	}
	for (int i = optind; i < argc; i++) {
		if (sim_add_scenario(s, argv[i], count) < 0) {
			fprintf(stderr, "sim: unknown scenario '%s' (dfsguard sim --help lists them)\n", argv[i]);
			goto out;
		}
	}
	status = 1;
	snprintf(lpath, sizeof(lpath), "%s", labels ? labels : out);
	if (!labels && strlen(lpath) + 12 < sizeof(lpath))
		strcat(lpath, ".labels.csv");
	if (!(w = cap_writer_open(out, link, err, sizeof(err)))) {
		fprintf(stderr, "%s: %s\n", out, err);
		goto out;
	}
	if (!(lf = fopen(lpath, "w"))) {
		fprintf(stderr, "%s: %s\n", lpath, strerror(errno));
		goto out;
	}
	fprintf(lf, "%s\n", SIM_LABEL_HEADER);
	uint8_t buf[4096];
	const struct sim_msg *sm;
	uint64_t n = 0, attacks = 0;
	while ((sm = sim_next(s)) != NULL) {
		struct dfs_wbuf wb = dfs_wbuf_init(buf, sizeof(buf));
		int rc = sim_encode(sm, &wb);
		if (rc < 0) {
			fprintf(stderr, "sim: frame %llu (%s): cannot encode: %s\n", (unsigned long long)sm->frame,
				sm->flow, strerror(-rc));
			goto out;
		}
		struct timespec ts = {(time_t)(sm->t_ms / 1000), (long)(sm->t_ms % 1000) * 1000000L};
		if (cap_writer_put(w, &ts, buf, wb.len) < 0) {
			fprintf(stderr, "%s: write failed\n", out);
			goto out;
		}
		char line[512];
		sim_label_csv(sm, line, sizeof(line));
		fprintf(lf, "%s\n", line);
		n++;
		attacks += sm->exp_rule != RULE_NONE;
	}
	fprintf(stderr, "%s: %llu messages (%llu labelled as attacks), labels in %s\n", out,
		(unsigned long long)n, (unsigned long long)attacks, lpath);
	status = 0;
out:
	if (lf && fclose(lf) != 0)
		status = 1;
	if (w && cap_writer_close(w) < 0)
		status = 1;
	sim_free(s);
	policy_config_free(cfg);
	return status;
}
