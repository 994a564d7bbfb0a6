/* dfsguard decode [--summary] FILE...: one JSON object per signalling message in the captures.
 * A unit that does not decode gives an object with "error" naming the layer, field and byte
 * offset; the run goes on, and the exit status is 1 when any frame failed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "cli.h"
#include "m3ua.h"
#include "map.h"
#include "sigmsg.h"
#include "sigmsg_json.h"
#include "tcap.h"

/* --summary: counts per MAP operation and component kind, and per other message kind. */
#define SUM_OPS 256
enum sum_kind { SUM_INVOKE, SUM_RESULT, SUM_ERROR, SUM_KINDS };
struct summary {
	uint64_t op[SUM_OPS][SUM_KINDS];
	uint64_t m3ua_mgmt[16][16]; /* non-DATA M3UA by class, type */
	uint64_t isup, tcap_other, tcap_no_map_comp, sccp_other, other_si, errors, units;
};

struct decode_run {
	const char *file;
	bool summary;
	bool failed;
	struct summary sum;
	char out[1 << 16];
};

static void count(struct summary *s, const struct sig_msg *m)
{
	s->units++;
	if (m->has_m3ua && m->m3ua.msg_class != 1) {
		s->m3ua_mgmt[m->m3ua.msg_class & 15][m->m3ua.msg_type & 15]++;
		return;
	}
	if (m->has_isup) {
		s->isup++;
		return;
	}
	if (!m->has_sccp) {
		s->other_si++;
		return;
	}
	if (!m->has_tcap) {
		s->sccp_other++;
		return;
	}
	if (!sig_tcap_is_map(m)) {
		s->tcap_other++;
		return;
	}
	bool any = false;
	for (unsigned i = 0; i < m->tcap.n_components; i++) {
		const struct tcap_component *c = &m->tcap.comp[i];
		int op = c->has_opcode && !c->opcode_global ? c->opcode : -1;
		if (op < 0 && m->has_map && m->map_comp == (int)i)
			op = m->map.opcode;
		if (op < 0 || op >= SUM_OPS)
			continue;
		enum sum_kind k = c->type == TCAP_INVOKE ? SUM_INVOKE
				  : c->type == TCAP_ERROR ? SUM_ERROR : SUM_RESULT;
		s->op[op][k]++;
		any = true;
	}
	if (!any)
		s->tcap_no_map_comp++;
}

static void print_summary(const struct summary *s)
{
	printf("%-40s %10s %10s %10s\n", "operation", "invoke", "result", "error");
	for (int op = 0; op < SUM_OPS; op++) {
		const uint64_t *c = s->op[op];
		if (c[0] + c[1] + c[2])
			printf("%-3d %-36s %10llu %10llu %10llu\n", op, map_op_name(op),
			       (unsigned long long)c[0], (unsigned long long)c[1], (unsigned long long)c[2]);
	}
	for (int cl = 0; cl < 16; cl++)
		for (int t = 0; t < 16; t++)
			if (s->m3ua_mgmt[cl][t])
				printf("M3UA %-35s %10llu\n", m3ua_msg_name((uint8_t)cl, (uint8_t)t),
				       (unsigned long long)s->m3ua_mgmt[cl][t]);
	const struct {
		const char *name;
		uint64_t n;
	} rows[] = {
		{"ISUP", s->isup},
		{"TCAP, not MAP (e.g. CAP)", s->tcap_other},
		{"MAP dialogue without operation", s->tcap_no_map_comp},
		{"SCCP, not TCAP", s->sccp_other},
		{"other user part", s->other_si},
		{"decode errors", s->errors},
		{"units", s->units + s->errors},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (rows[i].n)
			printf("%-40s %10llu\n", rows[i].name, (unsigned long long)rows[i].n);
}

static void begin_object(struct json_writer *j, struct decode_run *r, uint64_t frame,
			 const struct timespec *ts)
{
	json_init(j, r->out, sizeof(r->out));
	json_obj_begin(j);
	json_kv_str(j, "file", r->file);
	json_kv_uint(j, "frame", frame);
	char t[40];
	snprintf(t, sizeof(t), "%lld.%09ld", (long long)ts->tv_sec, ts->tv_nsec);
	json_key(j, "time");
	json_raw(j, t);
}

static void end_object(struct json_writer *j, struct decode_run *r)
{
	json_obj_end(j);
	if (json_ok(j))
		puts(r->out);
	else
		printf("{\"file\":\"%s\",\"error\":{\"layer\":\"output\",\"reason\":\"message too large to print\"}}\n",
		       r->file);
}

static int on_unit(void *ud, const struct cap_unit *u)
{
	struct decode_run *r = ud;
	struct sig_msg m;
	struct dfs_err e = {0};
	int rc = u->proto == CAP_MTP3 ? sig_decode_mtp3(u->p, u->len, &m, &e)
				      : sig_decode_m3ua(u->p, u->len, &m, &e);
	if (rc < 0) {
		r->failed = true;
		r->sum.errors++;
	} else {
		count(&r->sum, &m);
	}
	if (r->summary)
		return 0;
	struct json_writer j;
	begin_object(&j, r, u->frame, &u->ts);
	if (u->index_in_frame)
		json_kv_uint(&j, "index", u->index_in_frame);
	json_kv_str(&j, "transport", get_value_string(cap_transport_names, u->transport));
	sig_json_layers(&j, &m);
	if (rc < 0)
		sig_json_error(&j, &e);
	end_object(&j, r);
	return 0;
}

static int on_error(void *ud, const struct cap_error *ce)
{
	struct decode_run *r = ud;
	r->failed = true;
	r->sum.errors++;
	if (r->summary)
		return 0;
	struct json_writer j;
	begin_object(&j, r, ce->frame, &ce->ts);
	struct dfs_err e = {ce->layer, ce->field, ce->offset, ce->reason};
	sig_json_error(&j, &e);
	end_object(&j, r);
	return 0;
}

static void decode_usage(FILE *f)
{
	fprintf(f, "usage: dfsguard decode [--summary] FILE...\n"
		   "  Prints one JSON object per signalling message (M3UA, SCCP, TCAP, MAP, SMS, OTA header,\n"
		   "  ISUP) found in pcap/pcapng files. --summary prints counts per operation instead.\n"
		   "  Exit status: 0 all decoded, 1 some frame failed, 2 usage or unreadable file.\n");
}

int cmd_decode(int argc, char **argv)
{
	struct decode_run *r = calloc(1, sizeof(*r));
	if (!r)
		return 2;
	int first = 1, status = 0;
	for (; first < argc && argv[first][0] == '-'; first++) {
		if (!strcmp(argv[first], "--summary")) {
			r->summary = true;
		} else if (!strcmp(argv[first], "-h") || !strcmp(argv[first], "--help")) {
			decode_usage(stdout);
			free(r);
			return 0;
		} else {
			fprintf(stderr, "dfsguard decode: unknown option %s\n", argv[first]);
			decode_usage(stderr);
			free(r);
			return 2;
		}
	}
	if (first == argc) {
		decode_usage(stderr);
		free(r);
		return 2;
	}
	for (int i = first; i < argc; i++) {
		char err[256] = "";
		r->file = argv[i];
		int rc = cap_read_file(argv[i], on_unit, on_error, r, err, sizeof(err));
		if (rc < 0) {
			fprintf(stderr, "dfsguard decode: %s: %s\n", argv[i], err[0] ? err : strerror(-rc));
			status = 2;
		}
	}
	if (r->summary)
		print_summary(&r->sum);
	fflush(stdout);
	if (!status && r->failed)
		status = 1;
	free(r);
	return status;
}
