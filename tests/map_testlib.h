/* A map_fields with every field set, per operation (SM-RP-DA/OA and the SMS TPDU follow the
 * direction of the operation), and a comparison of named fields. Header-only, shared by the
 * MAP tests and the MAP fuzz seeds generator. */
#ifndef DFS_MAP_TESTLIB_H
#define DFS_MAP_TESTLIB_H
#include <stdio.h>
#include <string.h>

#include "map.h"

/* SMS-DELIVER from +49170123456 "Hello" and SMS-SUBMIT to the same number (TS 23.040 9.2.2) */
static const uint8_t mt_tpdu[] = {0x04, 0x0b, 0x91, 0x94, 0x71, 0x10, 0x32, 0x54,
				  0xf6, 0x00, 0x00, 0x62, 0x11, 0x32, 0x11, 0x00,
				  0x00, 0x00, 0x05, 0xc8, 0x32, 0x9b, 0xfd, 0x06};
static const uint8_t mo_tpdu[] = {0x01, 0x00, 0x0b, 0x91, 0x94, 0x71, 0x10, 0x32, 0x54,
				  0xf6, 0x00, 0x00, 0x05, 0xc8, 0x32, 0x9b, 0xfd, 0x06};
/* "*140*0761241377#" in GSM 7-bit (from gsm_map_with_ussd_string.pcap) */
static const uint8_t ussd_packed[] = {0xaa, 0x18, 0x0d, 0xa6, 0x82, 0xdd, 0x6c,
				      0x31, 0x19, 0x2d, 0x36, 0xbb, 0xdd, 0x46};

static inline void mt_addr(struct dfs_addr *a, const char *digits)
{
	a->present = true;
	a->ton_npi = 0x91;
	snprintf(a->digits, sizeof(a->digits), "%s", digits);
}

static inline void mt_full_fields(struct map_fields *f, int op)
{
	map_fields_init(f);
	f->opcode = op;
	f->has_imsi = true;
	snprintf(f->imsi, sizeof(f->imsi), "%s", "262011234567890");
	mt_addr(&f->msisdn, "491701234567");
	mt_addr(&f->msc, "491700000001");
	mt_addr(&f->vlr, "491700000002");
	mt_addr(&f->hlr, "491700000003");
	mt_addr(&f->sgsn, "491700000004");
	mt_addr(&f->sc_addr, "491700000005");
	mt_addr(&f->ftn, "4917000000061");
	mt_addr(&f->gmlc, "491700000007");
	mt_addr(&f->msrn, "491700000008");
	mt_addr(&f->gsmscf, "491700000009");
	mt_addr(&f->ggsn, "491700000010");
	mt_addr(&f->gmsc, "491700000011");
	f->serving_node = f->msc;
	f->has_lmsi = true;
	memcpy(f->lmsi, "\x01\x02\x03\x04", 4);
	f->has_imei = true;
	snprintf(f->imei, sizeof(f->imei), "%s", "356938035643809");
	f->has_ss_code = true;
	f->ss_code = 0x21;
	f->has_ussd = true;
	f->ussd_dcs = 0x0f;
	f->ussd_string = (struct dfs_view){ussd_packed, sizeof(ussd_packed)};
	f->requested_info = MAP_RI_LOCATION | MAP_RI_STATE | MAP_RI_IMEI | MAP_RI_CURRENT_LOCATION;
	if (op == MAP_OP_MO_FORWARD_SM) {
		f->sm_rp_da_type = MAP_SMRP_SC_ADDR;
		f->sm_rp_oa_type = MAP_SMRP_MSISDN;
		f->sm_rp_ui = (struct dfs_view){mo_tpdu, sizeof(mo_tpdu)};
	} else {
		f->sm_rp_da_type = MAP_SMRP_IMSI;
		f->sm_rp_oa_type = MAP_SMRP_SC_ADDR;
		f->sm_rp_ui = (struct dfs_view){mt_tpdu, sizeof(mt_tpdu)};
	}
}

/* What each operation's argument and result carry, as space-separated field names. */
struct mt_expect {
	int op;
	const char *arg, *res;
};
static const struct mt_expect mt_expects[] = {
    {2, "imsi msc vlr lmsi", "hlr"},
    {3, "imsi lmsi", ""},
    {4, "imsi msc msisdn lmsi gmsc", "msrn msc"},
    {7, "imsi msisdn ss ftn gsmscf sgsn", ""},
    {8, "imsi", ""},
    {10, "ss ftn", "ss ftn"},
    {11, "ss", "ss ftn"},
    {12, "ss", "ss ftn"},
    {13, "ss", "ss ftn"},
    {14, "ss", "ftn"},
    {22, "msisdn gmsc", "imsi msrn msc msisdn"},
    {23, "imsi sgsn", "hlr"},
    {24, "imsi ggsn", ""},
    {43, "imei", ""},
    {44, "da oa ui imsi sc", "ui"},
    {45, "msisdn sc imsi", "imsi node msc sgsn lmsi"},
    {46, "da oa ui imsi sc msisdn", "ui"},
    {55, "msc vlr", "imsi"},
    {56, "imsi", ""},
    {58, "msisdn", "imsi"},
    {59, "ussd msisdn", "ussd"},
    {60, "ussd msisdn", "ussd"},
    {61, "ussd msisdn", NULL},
    {62, "imsi ss gsmscf", "ftn"},
    {65, "imsi gsmscf ss ftn", "ss ftn"},
    {67, "imsi vlr sgsn", ""},
    {70, "imsi lmsi ri", "vlr msc imei"},
    {71, "imsi ri gsmscf", "vlr msc imei"},
    {83, "gmlc imsi msisdn lmsi imei", ""},
    {85, "gmlc imsi", "imsi node msc sgsn lmsi"},
};
#define MT_N_OPS (sizeof(mt_expects) / sizeof(mt_expects[0]))

static inline bool mt_addr_eq(const struct dfs_addr *a, const struct dfs_addr *b)
{
	return a->present == b->present && a->ton_npi == b->ton_npi &&
	       !strcmp(a->digits, b->digits);
}

static inline bool mt_view_eq(struct dfs_view a, struct dfs_view b)
{
	return a.len == b.len && (!a.len || !memcmp(a.p, b.p, a.len));
}

/* Compares one named field of got against want; returns true when equal. */
static inline bool mt_field_eq(const char *name, const struct map_fields *got,
			       const struct map_fields *want)
{
	if (!strcmp(name, "imsi"))
		return got->has_imsi && !strcmp(got->imsi, want->imsi);
	if (!strcmp(name, "msisdn"))
		return mt_addr_eq(&got->msisdn, &want->msisdn);
	if (!strcmp(name, "msc"))
		return mt_addr_eq(&got->msc, &want->msc);
	if (!strcmp(name, "vlr"))
		return mt_addr_eq(&got->vlr, &want->vlr);
	if (!strcmp(name, "hlr"))
		return mt_addr_eq(&got->hlr, &want->hlr);
	if (!strcmp(name, "sgsn"))
		return mt_addr_eq(&got->sgsn, &want->sgsn);
	if (!strcmp(name, "sc"))
		return mt_addr_eq(&got->sc_addr, &want->sc_addr);
	if (!strcmp(name, "ftn"))
		return mt_addr_eq(&got->ftn, &want->ftn);
	if (!strcmp(name, "gmlc"))
		return mt_addr_eq(&got->gmlc, &want->gmlc);
	if (!strcmp(name, "msrn"))
		return mt_addr_eq(&got->msrn, &want->msrn);
	if (!strcmp(name, "gsmscf"))
		return mt_addr_eq(&got->gsmscf, &want->gsmscf);
	if (!strcmp(name, "ggsn"))
		return mt_addr_eq(&got->ggsn, &want->ggsn);
	if (!strcmp(name, "gmsc"))
		return mt_addr_eq(&got->gmsc, &want->gmsc);
	if (!strcmp(name, "node"))
		return mt_addr_eq(&got->serving_node, &want->serving_node);
	if (!strcmp(name, "lmsi"))
		return got->has_lmsi && !memcmp(got->lmsi, want->lmsi, 4);
	if (!strcmp(name, "imei"))
		return got->has_imei && !strcmp(got->imei, want->imei);
	if (!strcmp(name, "ss"))
		return got->has_ss_code && got->ss_code == want->ss_code;
	if (!strcmp(name, "ussd"))
		return got->has_ussd && got->ussd_dcs == want->ussd_dcs &&
		       mt_view_eq(got->ussd_string, want->ussd_string);
	if (!strcmp(name, "ui"))
		return mt_view_eq(got->sm_rp_ui, want->sm_rp_ui);
	if (!strcmp(name, "da"))
		return got->sm_rp_da_type == want->sm_rp_da_type;
	if (!strcmp(name, "oa"))
		return got->sm_rp_oa_type == want->sm_rp_oa_type;
	if (!strcmp(name, "ri"))
		return got->requested_info == want->requested_info;
	return false;
}

#endif
