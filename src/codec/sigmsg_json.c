/* JSON for a decoded signalling message: one key per layer, names next to numbers. */
#include <stdio.h>
#include <string.h>

#include "gsm0338.h"
#include "isup.h"
#include "m3ua.h"
#include "map.h"
#include "mtp3.h"
#include "sccp.h"
#include "sigmsg_json.h"
#include "sms.h"
#include "tcap.h"

/* BER OBJECT IDENTIFIER content octets as dotted text (X.690 8.19). */
static void oid_text(const struct dfs_view *oid, char *out, size_t outsz)
{
	size_t off = 0;
	uint64_t v = 0;
	bool first = true;
	out[0] = 0;
	for (size_t i = 0; i < oid->len && off + 24 < outsz; i++) {
		v = (v << 7) | (oid->p[i] & 0x7f);
		if (oid->p[i] & 0x80)
			continue;
		if (first) {
			unsigned a = v < 40 ? 0 : v < 80 ? 1 : 2;
			off += (size_t)snprintf(out + off, outsz - off, "%u.%llu", a,
						(unsigned long long)(v - 40 * a));
			first = false;
		} else {
			off += (size_t)snprintf(out + off, outsz - off, ".%llu", (unsigned long long)v);
		}
		v = 0;
	}
}

static void kv_digits(struct json_writer *j, const char *k, const char *digits)
{
	if (digits && digits[0])
		json_kv_str(j, k, digits);
}

static void json_addr(struct json_writer *j, const char *k, const struct dfs_addr *a)
{
	if (!a->present)
		return;
	json_key(j, k);
	json_obj_begin(j);
	json_kv_str(j, "digits", a->digits);
	json_kv_int(j, "nai", (a->ton_npi >> 4) & 7);
	json_kv_int(j, "np", a->ton_npi & 15);
	json_obj_end(j);
}

static void json_m3ua(struct json_writer *j, const struct sig_msg *m)
{
	const struct m3ua_proto_data *pd = &m->m3ua.pd;
	if (m->has_m3ua) {
		const struct m3ua_msg *a = &m->m3ua;
		json_key(j, "m3ua");
		json_obj_begin(j);
		json_kv_int(j, "class", a->msg_class);
		json_kv_int(j, "type", a->msg_type);
		json_kv_str(j, "name", m3ua_msg_name(a->msg_class, a->msg_type));
		if (a->has_rctx)
			json_kv_uint(j, "rctx", a->rctx);
		if (a->has_na)
			json_kv_uint(j, "na", a->na);
		if (a->has_error_code) {
			json_kv_uint(j, "error_code", a->error_code);
			json_kv_str(j, "error", m3ua_err_name(a->error_code));
		}
		if (a->has_status) {
			json_kv_int(j, "status_type", a->status_type);
			json_kv_int(j, "status_info", a->status_info);
		}
		if (a->has_asp_id)
			json_kv_uint(j, "asp_id", a->asp_id);
	} else {
		json_key(j, "mtp3");
		json_obj_begin(j);
	}
	if (m->m3ua.has_proto_data) {
		json_kv_uint(j, "opc", pd->opc);
		json_kv_uint(j, "dpc", pd->dpc);
		json_kv_int(j, "si", pd->si);
		json_kv_int(j, "ni", pd->ni);
		json_kv_int(j, "mp", pd->mp);
		json_kv_int(j, "sls", pd->sls);
	}
	json_obj_end(j);
}

static void json_sccp_addr(struct json_writer *j, const char *k, const struct sccp_addr *a)
{
	json_key(j, k);
	json_obj_begin(j);
	json_kv_int(j, "gti", a->gti);
	json_kv_bool(j, "route_on_ssn", a->route_on_ssn);
	if (a->gti) {
		json_kv_str(j, "digits", a->digits);
		if (a->gti >= 2)
			json_kv_int(j, "tt", a->tt);
		if (a->gti >= 3)
			json_kv_int(j, "np", a->np);
		if (a->gti == 1 || a->gti == 4)
			json_kv_int(j, "nai", a->nai);
	}
	if (a->has_ssn) {
		json_kv_int(j, "ssn", a->ssn);
		json_kv_str(j, "ssn_name", sccp_ssn_name(a->ssn));
	}
	if (a->has_pc)
		json_kv_int(j, "pc", a->pc);
	json_obj_end(j);
}

static void json_sccp(struct json_writer *j, const struct sccp_msg *s)
{
	json_key(j, "sccp");
	json_obj_begin(j);
	json_kv_int(j, "type", s->msg_type);
	json_kv_str(j, "name", sccp_msg_type_name(s->msg_type));
	if (s->msg_type == 0x0a || s->msg_type == 0x12 || s->msg_type == 0x14)
		json_kv_int(j, "return_cause", s->return_cause);
	else
		json_kv_int(j, "class", s->proto_class & 0x0f);
	json_sccp_addr(j, "called", &s->called);
	json_sccp_addr(j, "calling", &s->calling);
	if (s->has_segmentation) {
		json_key(j, "segmentation");
		json_obj_begin(j);
		json_kv_bool(j, "first", s->seg_first);
		json_kv_int(j, "remaining", s->seg_remaining);
		json_kv_uint(j, "local_ref", s->seg_local_ref);
		json_obj_end(j);
	}
	json_obj_end(j);
}

static void json_tid(struct json_writer *j, const char *k, const struct tcap_tid *t)
{
	if (!t->present)
		return;
	uint8_t b[4];
	for (unsigned i = 0; i < t->len; i++)
		b[i] = (uint8_t)(t->val >> (8 * (t->len - 1 - i)));
	json_kv_hex(j, k, b, t->len);
}

static void json_component(struct json_writer *j, const struct tcap_component *c)
{
	json_obj_begin(j);
	json_kv_str(j, "type", tcap_comp_type_name(c->type));
	if (c->has_invoke_id)
		json_kv_int(j, "invoke_id", c->invoke_id);
	if (c->has_linked_id)
		json_kv_int(j, "linked_id", c->linked_id);
	if (c->has_opcode) {
		if (c->opcode_global) {
			char oid[96];
			oid_text(&c->opcode_oid, oid, sizeof(oid));
			json_kv_str(j, "opcode_global", oid);
		} else {
			json_kv_int(j, "opcode", c->opcode);
			json_kv_str(j, "op", map_op_name(c->opcode));
		}
	}
	if (c->has_error_code) {
		json_kv_int(j, "error_code", c->error_code);
		json_kv_str(j, "error", map_error_name(c->error_code));
	}
	if (c->type == TCAP_REJECT) {
		json_kv_int(j, "problem_tag", c->problem_tag);
		json_kv_int(j, "problem", c->problem_code);
	}
	json_obj_end(j);
}

static void json_tcap(struct json_writer *j, const struct tcap_msg *t)
{
	json_key(j, "tcap");
	json_obj_begin(j);
	json_kv_str(j, "type", tcap_msg_type_name(t->msg_type));
	json_tid(j, "otid", &t->otid);
	json_tid(j, "dtid", &t->dtid);
	if (t->has_dialogue && t->ac_oid.len) {
		char oid[96];
		oid_text(&t->ac_oid, oid, sizeof(oid));
		json_kv_str(j, "ac", oid);
		if (t->ac_is_map) {
			json_kv_str(j, "ac_name", map_ac_name(t->map_ac));
			json_kv_int(j, "ac_version", t->map_ac_version);
		}
	}
	if (t->has_open_info) {
		kv_digits(j, "destination_reference", t->dest_ref);
		kv_digits(j, "origination_reference", t->orig_ref);
	}
	if (t->has_p_abort)
		json_kv_int(j, "p_abort_cause", t->p_abort_cause);
	json_key(j, "components");
	json_arr_begin(j);
	for (unsigned i = 0; i < t->n_components; i++)
		json_component(j, &t->comp[i]);
	json_arr_end(j);
	json_obj_end(j);
}

static void json_sms(struct json_writer *j, const struct sms_tpdu *t)
{
	json_key(j, "sms");
	json_obj_begin(j);
	if (t->is_report) { /* only what TP-PI announces */
		json_kv_str(j, "type", t->is_deliver ? "SMS-DELIVER-REPORT" : "SMS-SUBMIT-REPORT");
		if (t->has_fcs)
			json_kv_int(j, "fcs", t->fcs);
		json_kv_int(j, "pi", t->pi);
		if (!t->is_deliver)
			json_kv_hex(j, "scts", t->scts, sizeof(t->scts));
		if (t->pi & SMS_PI_PID)
			json_kv_int(j, "pid", t->pid);
		if (t->pi & SMS_PI_DCS)
			json_kv_int(j, "dcs", t->dcs);
		if (t->pi & SMS_PI_UDL)
			json_kv_int(j, "udl", t->udl);
	} else {
		json_kv_str(j, "type", t->is_deliver ? "SMS-DELIVER" : "SMS-SUBMIT");
		json_kv_str(j, t->is_deliver ? "oa" : "da", t->addr);
		json_kv_int(j, "pid", t->pid);
		json_kv_int(j, "dcs", t->dcs);
		json_kv_int(j, "udl", t->udl);
	}
	if (t->udh.len)
		json_kv_hex(j, "udh", t->udh.p, t->udh.len);
	if (t->has_concat) {
		json_kv_int(j, "concat_ref", t->concat_ref);
		json_kv_int(j, "concat_total", t->concat_total);
		json_kv_int(j, "concat_seq", t->concat_seq);
	}
	char text[1024];
	if ((!t->is_report || (t->pi & SMS_PI_UDL)) && !t->has_cmd_pkt && !t->has_rsp_pkt &&
	    sms_tpdu_text_utf8(t, text, sizeof(text)) >= 0)
		json_kv_str(j, "text", text);
	if (t->has_ota_hdr) {
		const struct ota_cmd_hdr *o = &t->ota;
		json_key(j, "ota");
		json_obj_begin(j);
		json_kv_int(j, "cpl", o->cpl);
		json_kv_int(j, "chl", o->chl);
		json_kv_hex(j, "spi", o->spi, 2);
		json_kv_hex(j, "kic", &o->kic, 1);
		json_kv_hex(j, "kid", &o->kid, 1);
		uint8_t tar[3] = {(uint8_t)(o->tar >> 16), (uint8_t)(o->tar >> 8), (uint8_t)o->tar};
		json_kv_hex(j, "tar", tar, 3);
		json_kv_hex(j, "cntr", o->cntr, 5);
		json_obj_end(j);
	}
	json_obj_end(j);
}

static void json_map(struct json_writer *j, const struct map_fields *f)
{
	json_key(j, "map");
	json_obj_begin(j);
	if (f->opcode >= 0) {
		json_kv_int(j, "opcode", f->opcode);
		json_kv_str(j, "op", map_op_name(f->opcode));
	}
	json_kv_bool(j, "result", f->is_result);
	if (f->has_imsi)
		json_kv_str(j, "imsi", f->imsi);
	json_addr(j, "msisdn", &f->msisdn);
	json_addr(j, "msc", &f->msc);
	json_addr(j, "vlr", &f->vlr);
	json_addr(j, "hlr", &f->hlr);
	json_addr(j, "sgsn", &f->sgsn);
	json_addr(j, "sc_addr", &f->sc_addr);
	json_addr(j, "forwarded_to", &f->ftn);
	json_addr(j, "gmlc", &f->gmlc);
	json_addr(j, "serving_node", &f->serving_node);
	json_addr(j, "msrn", &f->msrn);
	json_addr(j, "gsmscf", &f->gsmscf);
	json_addr(j, "ggsn", &f->ggsn);
	json_addr(j, "gmsc", &f->gmsc);
	if (f->has_imei)
		json_kv_str(j, "imei", f->imei);
	if (f->sm_rp_da_type != MAP_SMRP_NONE && f->sm_rp_da[0])
		json_kv_str(j, "sm_rp_da", f->sm_rp_da);
	if (f->sm_rp_oa_type != MAP_SMRP_NONE && f->sm_rp_oa[0])
		json_kv_str(j, "sm_rp_oa", f->sm_rp_oa);
	if (f->has_ussd) {
		char text[1024];
		json_kv_int(j, "ussd_dcs", f->ussd_dcs);
		if (ussd_decode_text(f->ussd_dcs, f->ussd_string.p, f->ussd_string.len, text,
				     sizeof(text)) >= 0)
			json_kv_str(j, "ussd_text", text);
		else
			json_kv_hex(j, "ussd_string", f->ussd_string.p, f->ussd_string.len);
	}
	if (f->has_ss_code)
		json_kv_int(j, "ss_code", f->ss_code);
	if (f->requested_info)
		json_kv_int(j, "requested_info", f->requested_info);
	if (f->has_error) {
		json_kv_int(j, "error_code", f->error_code);
		json_kv_str(j, "error", map_error_name(f->error_code));
	}
	if (f->has_tpdu)
		json_sms(j, &f->tpdu);
	json_obj_end(j);
}

static void json_isup_number(struct json_writer *j, const char *k, const char *digits, uint8_t nai,
			     bool present)
{
	if (!present)
		return;
	json_key(j, k);
	json_obj_begin(j);
	json_kv_str(j, "digits", digits);
	json_kv_int(j, "nai", nai);
	json_obj_end(j);
}

static void json_isup(struct json_writer *j, const struct isup_msg *i)
{
	json_key(j, "isup");
	json_obj_begin(j);
	json_kv_int(j, "cic", i->cic);
	json_kv_int(j, "type", i->msg_type);
	json_isup_number(j, "calling", i->calling.digits, i->calling.nai, i->calling.present);
	json_isup_number(j, "called", i->called.digits, i->called.nai, i->called.present);
	json_obj_end(j);
}

void sig_json_layers(struct json_writer *j, const struct sig_msg *m)
{
	if (m->has_m3ua || m->has_mtp3)
		json_m3ua(j, m);
	if (m->has_sccp)
		json_sccp(j, &m->sccp);
	if (m->has_tcap)
		json_tcap(j, &m->tcap);
	if (m->has_map)
		json_map(j, &m->map);
	if (m->has_isup)
		json_isup(j, &m->isup);
}

void sig_json_error(struct json_writer *j, const struct dfs_err *e)
{
	json_key(j, "error");
	json_obj_begin(j);
	json_kv_str(j, "layer", e->layer ? e->layer : "unknown");
	json_kv_str(j, "field", e->field ? e->field : "unknown");
	json_kv_uint(j, "offset", e->offset);
	json_kv_str(j, "reason", e->reason ? e->reason : "malformed");
	json_obj_end(j);
}
