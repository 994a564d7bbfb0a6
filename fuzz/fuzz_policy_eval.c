/* libFuzzer target: the rule engine over arbitrary decoded messages. The input is read as a
 * sequence of messages, each field taken from the next bytes (a structure-aware decode), so
 * every combination of TCAP type, transaction ids, opcodes, identities and addresses reaches
 * policy_eval() with state and dialogues carried from one message to the next. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "policy.h"

struct rd {
	const uint8_t *p;
	size_t len, pos;
};

static uint8_t u8(struct rd *r) { return r->pos < r->len ? r->p[r->pos++] : 0; }
static uint32_t u32(struct rd *r) { return (uint32_t)u8(r) << 24 | (uint32_t)u8(r) << 16 | (uint32_t)u8(r) << 8 | u8(r); }

/* A digit string: a length byte then that many digit picks from a small alphabet that makes
 * home, partner and foreign numbers likely. */
static void digits(struct rd *r, char *out, size_t sz)
{
	static const char *const stems[] = {"", "25579900", "4917990", "2547990", "336", "64099", "26299", "0", "1"};
	size_t n = 0;
	const char *stem = stems[u8(r) % (sizeof(stems) / sizeof(*stems))];
	while (*stem && n + 1 < sz)
		out[n++] = *stem++;
	unsigned k = u8(r) % 12;
	for (unsigned i = 0; i < k && n + 1 < sz; i++)
		out[n++] = (char)('0' + u8(r) % 10);
	out[n] = 0;
}

static void one(struct rd *r, struct sig_msg *m)
{
	static const uint8_t types[] = {TCAP_UNI, TCAP_BEGIN, TCAP_END, TCAP_CONTINUE, TCAP_ABORT, 0x70};
	uint8_t flags = u8(r), flags2 = u8(r);
	memset(m, 0, sizeof(*m));
	m->has_sccp = !(flags & 0x80);
	m->has_tcap = !(flags & 0x40);
	m->has_isup = flags & 0x20;
	m->has_m3ua = true;
	m->m3ua.has_proto_data = true;
	m->m3ua.pd.ni = u8(r) & 3;
	digits(r, m->sccp.calling.digits, sizeof(m->sccp.calling.digits));
	digits(r, m->sccp.called.digits, sizeof(m->sccp.called.digits));
	m->sccp.calling.has_ssn = m->sccp.called.has_ssn = flags & 1;
	m->sccp.calling.ssn = u8(r);
	m->sccp.called.ssn = u8(r);
	m->sccp.called.np = u8(r) & 7;
	struct tcap_msg *t = &m->tcap;
	t->msg_type = types[u8(r) % sizeof(types)];
	t->otid.present = flags & 2;
	t->otid.len = 4;
	t->otid.val = u8(r) & 7;
	t->dtid.present = flags & 4;
	t->dtid.len = 4;
	t->dtid.val = u8(r) & 7;
	t->has_dialogue = flags & 8;
	t->ac_is_map = flags & 16;
	static const uint8_t oid[] = {4, 0, 0, 1, 0, 1, 3};
	t->ac_oid = t->has_dialogue ? (struct dfs_view){oid, sizeof(oid)} : (struct dfs_view){NULL, 0};
	t->map_ac = u8(r) % 50;
	t->map_ac_version = u8(r) % 5;
	t->has_open_info = flags2 & 1;
	digits(r, t->dest_ref, sizeof(t->dest_ref));
	digits(r, t->orig_ref, sizeof(t->orig_ref));
	t->dest_ref_ton_npi = u8(r);
	t->n_components = u8(r) % 3;
	for (unsigned i = 0; i < t->n_components; i++) {
		struct tcap_component *c = &t->comp[i];
		static const uint8_t ctypes[] = {TCAP_INVOKE, TCAP_RESULT_L, TCAP_ERROR, TCAP_REJECT, TCAP_RESULT_NL};
		c->type = ctypes[u8(r) % sizeof(ctypes)];
		c->has_opcode = u8(r) & 1;
		c->opcode_global = u8(r) == 0xff;
		c->opcode = (int8_t)u8(r);
	}
	m->has_map = flags2 & 2;
	struct map_fields *f = &m->map;
	f->opcode = (int8_t)u8(r);
	f->is_result = flags2 & 4;
	f->has_imsi = flags2 & 8;
	digits(r, f->imsi, sizeof(f->imsi));
	struct dfs_addr *addrs[] = {&f->msisdn, &f->msc, &f->vlr, &f->sgsn, &f->sc_addr, &f->ftn, &f->serving_node};
	for (unsigned i = 0; i < sizeof(addrs) / sizeof(*addrs); i++) {
		addrs[i]->present = u8(r) & 1;
		addrs[i]->ton_npi = 0x91;
		digits(r, addrs[i]->digits, sizeof(addrs[i]->digits));
	}
	f->sm_rp_da_type = u8(r) % 6;
	f->sm_rp_oa_type = u8(r) % 6;
	digits(r, f->sm_rp_oa, sizeof(f->sm_rp_oa));
	f->has_tpdu = flags2 & 16;
	f->tpdu.is_deliver = flags2 & 32;
	f->tpdu.pid = u8(r);
	f->tpdu.dcs = u8(r);
	f->tpdu.has_cmd_pkt = flags2 & 64;
	f->tpdu.has_ota_hdr = flags2 & 128;
	f->tpdu.ota.tar = u32(r) & 0xffffff;
	f->tpdu.ota.spi[0] = u8(r);
	digits(r, f->tpdu.addr, sizeof(f->tpdu.addr));
	m->isup.msg_type = u8(r) & 1;
	m->isup.calling.present = true;
	m->isup.calling.nai = u8(r) & 7;
	digits(r, m->isup.calling.digits, sizeof(m->isup.calling.digits));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char yaml[] =
		"home: {country_code: '255', gt_prefixes: ['2557990'], imsi_prefixes: ['64099'],"
		" mgt: [{imsi_prefix: '64099', mgt_prefix: '25579'}]}\n"
		"nodes: {ussd_gateway: ['25579900400'], ota: {smsc: ['25579900310'], originators: ['1']}}\n"
		"partners:\n"
		"  - {name: A, country: '49', gt_prefixes: ['4917990'], imsi_prefixes: ['26299']}\n"
		"  - {name: B, country: '254', gt_prefixes: ['2547990'], hub: true}\n"
		"state: {max_subscribers: 16, max_rate_keys: 16}\n"
		"dialogues: {max: 16, timeout: 5s}\n";
	struct cfg_errors errs;
	struct policy_config *c = policy_config_parse("fuzz.yaml", yaml, sizeof(yaml) - 1, &errs);
	if (!c)
		__builtin_trap();
	char err[128];
	struct policy_ctx *p = policy_new(c, NULL, err, sizeof(err));
	struct rd r = {data, size, 0};
	uint64_t now = 1000;
	while (r.pos < r.len) {
		struct sig_msg m;
		struct verdict v;
		char line[1024];
		struct json_writer j;
		one(&r, &m);
		now += u8(&r) * 1000u;
		policy_eval(p, &m, now, &v);
		json_init(&j, line, sizeof(line));
		verdict_to_json(p, &v, 1, NULL, &j);
		verdict_to_text(p, &v, 1, NULL, line, sizeof(line));
		policy_tick(p, now);
	}
	policy_free(p);
	policy_config_free(c);
	return 0;
}
