/* dfsguard analyze --config FILE [--json] CAPTURE...: run the firewall rules over captures. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "cli.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: dfsguard analyze --config FILE [--json] [--top N] CAPTURE...\n"
		   "  Decodes every M3UA/MTP3 message of the captures (pcap, pcapng) and judges it with the\n"
		   "  firewall rules, in time order. Prints each alert and block (one JSON object per line\n"
		   "  with --json), then, without --json, counts per rule, top source GTs and top targeted\n"
		   "  subscribers. Exit status 0, 1 on a read error, 2 on bad usage.\n");
}

/* Several captures: every unit is copied, then all are judged in time stamp order. */
struct held {
	struct timespec ts;
	uint64_t frame;
	enum cap_proto proto;
	size_t off, len;
	unsigned file, seq;
};

struct hold {
	struct held *u;
	size_t n, cap;
	uint8_t *bytes;
	size_t blen, bcap;
	unsigned file;
};

static int hold_cb(void *ud, const struct cap_unit *u)
{
	struct hold *h = ud;
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 1024;
		struct held *nu = realloc(h->u, cap * sizeof(*nu));
		if (!nu)
			return 1;
		h->u = nu, h->cap = cap;
	}
	if (h->blen + u->len > h->bcap) {
		size_t cap = h->bcap ? h->bcap * 2 : 65536;
		while (cap < h->blen + u->len)
			cap *= 2;
		uint8_t *nb = realloc(h->bytes, cap);
		if (!nb)
			return 1;
		h->bytes = nb, h->bcap = cap;
	}
	memcpy(h->bytes + h->blen, u->p, u->len);
	h->u[h->n] = (struct held){u->ts, u->frame, u->proto, h->blen, u->len, h->file, (unsigned)h->n};
	h->blen += u->len;
	h->n++;
	return 0;
}

static int by_time(const void *x, const void *y)
{
	const struct held *a = x, *b = y;
	if (a->ts.tv_sec != b->ts.tv_sec)
		return a->ts.tv_sec < b->ts.tv_sec ? -1 : 1;
	if (a->ts.tv_nsec != b->ts.tv_nsec)
		return a->ts.tv_nsec < b->ts.tv_nsec ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int err_cb(void *ud, const struct cap_error *e)
{
	(void)ud;
	fprintf(stderr, "frame %llu: %s %s at offset %zu: %s\n", (unsigned long long)e->frame, e->layer,
		e->field ? e->field : "", e->offset, e->reason);
	return 0;
}

int cmd_analyze(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'}, {"json", no_argument, NULL, 'j'},
		{"top", required_argument, NULL, 't'},    {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *config = NULL;
	bool json = false;
	unsigned top = 10;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:jt:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'j': json = true; break;
		case 't': top = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!config || optind >= argc) {
		usage(stderr);
		return 2;
	}
	struct policy_config *cfg = policy_config_load_report(config, stderr);
	if (!cfg)
		return 2;
	char err[256];
	struct analyzer *a = calloc(1, sizeof(*a));
	if (!a || !(a->ctx = policy_new(cfg, NULL, err, sizeof(err)))) {
		fprintf(stderr, "analyze: %s\n", a ? err : "out of memory");
		free(a);
		policy_config_free(cfg);
		return 1;
	}
	a->out = stdout;
	a->json = json;
	int status = 0;
	int nfiles = argc - optind;
	if (nfiles == 1) {
		if (cap_read_file(argv[optind], analyze_cap_cb, err_cb, a, err, sizeof(err)) < 0) {
			fprintf(stderr, "%s: %s\n", argv[optind], err);
			status = 1;
		}
	} else {
		struct hold h = {0};
		for (int i = optind; i < argc; i++) {
			h.file = (unsigned)(i - optind);
			int rc = cap_read_file(argv[i], hold_cb, err_cb, &h, err, sizeof(err));
			if (rc != 0) {
				fprintf(stderr, "%s: %s\n", argv[i], rc > 0 ? "out of memory" : err);
				status = 1;
			}
		}
		qsort(h.u, h.n, sizeof(*h.u), by_time);
		for (size_t i = 0; i < h.n; i++) {
			struct cap_unit u = {.frame = h.u[i].frame, .ts = h.u[i].ts, .proto = h.u[i].proto,
					     .p = h.bytes + h.u[i].off, .len = h.u[i].len};
			if (!json && (i == 0 || h.u[i].file != h.u[i - 1].file))
				printf("== %s\n", argv[optind + (int)h.u[i].file]);
			analyze_unit(a, &u);
		}
		free(h.u);
		free(h.bytes);
	}
	if (!json)
		analyze_summary(a, stdout, top);
	fflush(stdout);
	struct sub_state *state = policy_state(a->ctx);
	struct sub_state_stats st;
	state->ops->stats(state, &st);
	if (st.errors) {
		fprintf(stderr, "analyze: %llu subscriber state operations failed (Redis): those messages were "
				"judged with the state unknown\n", (unsigned long long)st.errors);
		status = 1;
	}
	policy_free(a->ctx);
	free(a);
	policy_config_free(cfg);
	return status;
}
