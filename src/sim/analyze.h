/* The capture analyser behind `dfsguard analyze` (docs/simulator.md): every unit of a capture
 * goes through the whole-stack decoder and the rule engine; what is not allowed is reported.
 * Also used by the simulator's tests and bench/bench_analyze.c. */
#ifndef DFS_ANALYZE_H
#define DFS_ANALYZE_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "capture.h"
#include "policy.h"

#define AN_TOP_SLOTS 4096

struct an_count {
	char key[DFS_DIGITS_MAX + 1];
	uint64_t n;
};

struct analyzer {
	struct policy_ctx *ctx;
	FILE *out;          /* NULL: judge and count only */
	bool json;
	uint64_t units, decoded, malformed, alerts, blocks;
	uint64_t by_rule[RULE_COUNT];
	struct an_count sources[AN_TOP_SLOTS], targets[AN_TOP_SLOTS];
	uint64_t sources_dropped, targets_dropped;
	/* sources and targets fill up in order; these hash indexes (slot + 1, 0 = empty, half
	 * full at most) find a key's slot in a probe or two */
	unsigned sources_used, targets_used;
	uint16_t sources_index[2 * AN_TOP_SLOTS], targets_index[2 * AN_TOP_SLOTS];
	/* the last verdict, for callers that compare with labels */
	struct verdict last;
	uint64_t last_frame;
};

/* Judge one unit (an M3UA message or an MTP3 MSU) at its time stamp; prints when not allowed. */
int analyze_unit(struct analyzer *a, const struct cap_unit *u);
/* cap_read_file callback wrapping analyze_unit (ud is the analyzer). */
int analyze_cap_cb(void *ud, const struct cap_unit *u);
/* Per rule counts, top source GTs and top targeted subscribers. */
void analyze_summary(const struct analyzer *a, FILE *f, unsigned top);

#endif
