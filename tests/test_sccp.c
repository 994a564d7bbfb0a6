/* SCCP connectionless codec (Q.713): real messages from the shared captures, round trips for
 * every connectionless type and GTI 0..4 with odd and even digit counts, every truncation point,
 * bad input, and agreement with tshark field by field. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sccp.h"
#include "codec_testlib.h"
#include "tshark_oracle.h"

/* gsm_map_with_ussd_string.pcap frame 1 (after the MTP3 label): UDT, GTI 4, odd digit counts */
static const char ussd_udt[] =
	"0900030d180a129300110472281906000b12060011047228196041066c626a48042f3b46026b3a2838060700"
	"118605010101a02d602b80020780a109060704000001001302be1a2818060704000001010101a00da00b8009"
	"9656051124006913f66c26a12402010102013b301c04010f040eaa180da682dd6c31192d36bbdd4680079172"
	"67415827f2";
/* camel.pcap frame 3: UDT routed on SSN with point codes, no global title */
static const char camel_udt[] =
	"09810305090242c804430a00981e651c480206f7490213b86c12a1100201020201183008800107a403800101";

/* A MAP TCAP Begin (the one in ussd_udt), used as the payload of the built messages so that
 * tshark dissects them without complaint. */
static uint8_t tcap[108];

static void load_tcap(void)
{
	uint8_t b[256];
	size_t n = unhex(ussd_udt, b, sizeof(b));
	assert_true(n >= 29 + sizeof(tcap));
	assert_int_equal(b[28], sizeof(tcap));
	memcpy(tcap, b + 29, sizeof(tcap));
}

static void test_real_messages(void **state)
{
	(void)state;
	uint8_t b[256], again[256];
	struct sccp_msg m;
	struct dfs_err e = {0};
	size_t n = unhex(ussd_udt, b, sizeof(b));
	assert_int_equal(sccp_decode(b, n, 5, &m, &e), 0);
	assert_int_equal(m.msg_type, SCCP_MSG_UDT);
	assert_string_equal(sccp_msg_type_name(m.msg_type), "UDT");
	assert_int_equal(m.proto_class, 0);
	assert_true(m.called.present && m.called.has_ssn && !m.called.has_pc && !m.called.route_on_ssn);
	assert_int_equal(m.called.gti, 4);
	assert_int_equal(m.called.ssn, SCCP_SSN_GSMSCF);
	assert_int_equal(m.called.np, SCCP_NP_E164);
	assert_int_equal(m.called.es, SCCP_ES_BCD_ODD);
	assert_int_equal(m.called.nai, SCCP_NAI_INTERNATIONAL);
	assert_string_equal(m.called.digits, "278291600");
	assert_int_equal(m.calling.ssn, SCCP_SSN_HLR);
	assert_string_equal(m.calling.digits, "27829106146");
	assert_string_equal(sccp_ssn_name(m.calling.ssn), "HLR");
	assert_int_equal(m.data.len, 108);
	assert_ptr_equal(m.data.p, b + 29);
	struct dfs_wbuf w = dfs_wbuf_init(again, sizeof(again));
	assert_int_equal(sccp_encode(&w, &m), 0);
	assert_int_equal(w.len, n);
	assert_memory_equal(again, b, n);

	n = unhex(camel_udt, b, sizeof(b));
	assert_int_equal(sccp_decode(b, n, 0, &m, &e), 0);
	assert_int_equal(m.proto_class, 0x81);
	assert_true(!m.called.has_pc && m.called.route_on_ssn && m.calling.has_pc);
	assert_int_equal(m.called.gti, 0);
	assert_int_equal(m.called.ssn, 0xc8);
	assert_int_equal(m.calling.pc, 10);
	assert_int_equal(m.calling.ssn, 0x98);
	assert_string_equal(m.calling.digits, "");
	w = dfs_wbuf_init(again, sizeof(again));
	assert_int_equal(sccp_encode(&w, &m), 0);
	assert_memory_equal(again, b, n);
}

/* The broad set: every connectionless type, GTI 0..4, odd and even counts, PC/SSN/GT routing,
 * segmentation and importance. */
static size_t build_set(struct sccp_msg *ms, size_t cap)
{
	static const uint8_t types[] = {SCCP_MSG_UDT, SCCP_MSG_UDTS, SCCP_MSG_XUDT, SCCP_MSG_XUDTS,
					SCCP_MSG_LUDT, SCCP_MSG_LUDTS};
	static const char *const digits[] = {"4912345678", "491234567", "2348031234567", "27", "491"};
	size_t n = 0;
	for (size_t t = 0; t < sizeof(types); t++)
		for (uint8_t gti = 0; gti <= 4; gti++)
			for (size_t d = 0; d < 2 && n < cap; d++) {
				struct sccp_msg *m = &ms[n++];
				memset(m, 0, sizeof(*m));
				m->msg_type = types[t];
				m->proto_class = d ? 0x81 : 0x00;
				m->return_cause = (uint8_t)(gti + d);
				m->hop_counter = (uint8_t)(15 - gti);
				sccp_addr_gt(&m->called, digits[(gti + d) % 5], SCCP_SSN_HLR);
				sccp_addr_gt(&m->calling, digits[(gti + d + 1) % 5], SCCP_SSN_MSC);
				m->called.gti = gti;
				if (gti == SCCP_GTI_NONE) {
					m->called.digits[0] = 0;
					m->called.route_on_ssn = true;
					m->called.has_pc = true;
					m->called.pc = 0x3fff;
				}
				if (gti == SCCP_GTI_TT) { /* TT only: the count must be even */
					strcpy(m->called.digits, d ? "88123456" : "4912");
					m->called.tt = 17;
				}
				if (gti == SCCP_GTI_NAI)
					m->called.nai = d ? SCCP_NAI_NATIONAL : SCCP_NAI_SUBSCRIBER;
				if (gti == SCCP_GTI_TT_NP_ES) { /* tshark wants a whole MCC+MNC */
					m->called.np = d ? SCCP_NP_E214 : SCCP_NP_E212;
					strcpy(m->called.digits, d ? "23480312345678" : "234150123456789");
					m->called.tt = 0;
				}
				if (d) {
					m->calling.has_pc = true;
					m->calling.pc = (uint16_t)(0x123 + gti);
					m->called.tt = gti >= SCCP_GTI_TT ? 1 : 0;
				}
				m->called.odd = strlen(m->called.digits) % 2;
				m->called.es = m->called.odd ? SCCP_ES_BCD_ODD : SCCP_ES_BCD_EVEN;
				m->data.p = tcap;
				m->data.len = sizeof(tcap);
				if (types[t] != SCCP_MSG_UDT && types[t] != SCCP_MSG_UDTS) {
					m->has_importance = d;
					m->importance = (uint8_t)(gti + 2);
				}
				if (types[t] == SCCP_MSG_XUDT && d) {
					m->has_segmentation = true;
					m->seg_first = true;
					m->seg_class1 = true;
					m->seg_remaining = 0;
					m->seg_local_ref = 0x0a0b0c;
				}
			}
	return n;
}

static void assert_addr_equal(const struct sccp_addr *a, const struct sccp_addr *b)
{
	assert_int_equal(a->present, b->present);
	assert_int_equal(a->has_pc, b->has_pc);
	assert_int_equal(a->has_ssn, b->has_ssn);
	assert_int_equal(a->route_on_ssn, b->route_on_ssn);
	assert_int_equal(a->gti, b->gti);
	if (a->has_pc)
		assert_int_equal(a->pc, b->pc);
	if (a->has_ssn)
		assert_int_equal(a->ssn, b->ssn);
	if (a->gti >= SCCP_GTI_TT)
		assert_int_equal(a->tt, b->tt);
	if (a->gti >= SCCP_GTI_TT_NP_ES) {
		assert_int_equal(a->np, b->np);
		assert_int_equal(a->es, b->es);
	}
	if (a->gti == SCCP_GTI_NAI || a->gti == SCCP_GTI_TT_NP_ES_NAI)
		assert_int_equal(a->nai, b->nai);
	assert_string_equal(a->digits, b->digits);
}

static void assert_msg_equal(const struct sccp_msg *a, const struct sccp_msg *b)
{
	assert_int_equal(a->msg_type, b->msg_type);
	if (a->msg_type == SCCP_MSG_UDT || a->msg_type == SCCP_MSG_XUDT || a->msg_type == SCCP_MSG_LUDT)
		assert_int_equal(a->proto_class, b->proto_class);
	else
		assert_int_equal(a->return_cause, b->return_cause);
	if (a->msg_type != SCCP_MSG_UDT && a->msg_type != SCCP_MSG_UDTS)
		assert_int_equal(a->hop_counter, b->hop_counter);
	assert_addr_equal(&a->called, &b->called);
	assert_addr_equal(&a->calling, &b->calling);
	assert_int_equal(a->data.len, b->data.len);
	assert_memory_equal(a->data.p, b->data.p, a->data.len);
	assert_int_equal(a->has_segmentation, b->has_segmentation);
	if (a->has_segmentation) {
		assert_int_equal(a->seg_first, b->seg_first);
		assert_int_equal(a->seg_class1, b->seg_class1);
		assert_int_equal(a->seg_remaining, b->seg_remaining);
		assert_int_equal(a->seg_local_ref, b->seg_local_ref);
	}
	assert_int_equal(a->has_importance, b->has_importance);
	if (a->has_importance)
		assert_int_equal(a->importance, b->importance);
}

struct encoded {
	uint8_t buf[400];
	size_t len;
};

static size_t encode_set(struct sccp_msg *ms, struct encoded *enc, size_t cap)
{
	size_t n = build_set(ms, cap);
	for (size_t i = 0; i < n; i++) {
		struct dfs_wbuf w = dfs_wbuf_init(enc[i].buf, sizeof(enc[i].buf));
		assert_int_equal(sccp_encode(&w, &ms[i]), 0);
		enc[i].len = w.len;
	}
	return n;
}

static void test_round_trip(void **state)
{
	(void)state;
	load_tcap();
	static struct sccp_msg ms[64];
	static struct encoded enc[64];
	size_t n = encode_set(ms, enc, 64);
	assert_int_equal(n, 60);
	for (size_t i = 0; i < n; i++) {
		struct sccp_msg m;
		struct dfs_err e = {0};
		assert_int_equal(sccp_decode(enc[i].buf, enc[i].len, 0, &m, &e), 0);
		assert_msg_equal(&ms[i], &m);
		uint8_t again[400];
		struct dfs_wbuf w = dfs_wbuf_init(again, sizeof(again));
		assert_int_equal(sccp_encode(&w, &m), 0);
		assert_int_equal(w.len, enc[i].len);
		assert_memory_equal(again, enc[i].buf, w.len);
	}
}

static void test_truncation(void **state)
{
	(void)state;
	load_tcap();
	static struct sccp_msg ms[64];
	static struct encoded enc[64];
	size_t n = encode_set(ms, enc, 62);
	n += 2;
	enc[n - 2].len = unhex(ussd_udt, enc[n - 2].buf, sizeof(enc[0].buf));
	enc[n - 1].len = unhex(camel_udt, enc[n - 1].buf, sizeof(enc[0].buf));
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < enc[i].len; k++) {
			struct sccp_msg m;
			struct dfs_err e = {0};
			assert_int_equal(sccp_decode(enc[i].buf, k, 500, &m, &e), -EBADMSG);
			assert_string_equal(e.layer, "sccp");
			assert_non_null(e.field);
			assert_non_null(e.reason);
			assert_true(e.offset >= 500 && e.offset <= 500 + k);
		}
}

static int decode_hex(const char *h, struct sccp_msg *m, struct dfs_err *e)
{
	uint8_t b[256];
	size_t n = unhex(h, b, sizeof(b));
	*e = (struct dfs_err){0};
	return sccp_decode(b, n, 0, m, e);
}

static void test_bad_input(void **state)
{
	(void)state;
	struct sccp_msg m;
	struct dfs_err e;
	assert_int_equal(decode_hex("01", &m, &e), -EBADMSG); /* CR: connection-oriented */
	assert_string_equal(e.field, "message type");
	assert_int_equal(decode_hex("0900000507024208024208020000", &m, &e), -EBADMSG);
	assert_string_equal(e.field, "called party address");
	assert_string_equal(e.reason, "mandatory pointer is zero");
	assert_int_equal(decode_hex("09000340090242080242080100", &m, &e), -EBADMSG);
	assert_string_equal(e.reason, "pointer beyond the message");
	assert_int_equal(e.offset, 3);
	/* GTI 5 in the called address */
	assert_int_equal(decode_hex("090003050702160802420801aa", &m, &e), -EBADMSG);
	assert_string_equal(e.field, "called party address");
	assert_string_equal(e.reason, "global title indicator not defined by ITU");
	/* GTI 0 with trailing octets */
	assert_int_equal(decode_hex("09000306080342080102420801aa", &m, &e), -EBADMSG);
	assert_int_equal(e.offset, 8);
	/* XUDT whose segmentation parameter has 3 octets; then one without end of optional part */
	assert_int_equal(decode_hex("11000f0406080902420802420801aa1003800102", &m, &e), -EBADMSG);
	assert_string_equal(e.field, "segmentation");
	assert_int_equal(decode_hex("11000f0406080902420802420801aa120102", &m, &e), -EBADMSG);
	assert_string_equal(e.reason, "end of optional parameters missing");
	/* unknown optional parameters are skipped */
	assert_int_equal(decode_hex("11000f0406080902420802420801aa1301ff00", &m, &e), 0);
	assert_false(m.has_importance || m.has_segmentation);
	/* a global title of 17 octets */
	assert_int_equal(decode_hex("090003191b16120800120411111111111111111111111111111111110242080100", &m, &e),
			 -EBADMSG);
	assert_string_equal(e.reason, "global title longer than supported");

	/* encoder refusals */
	struct sccp_msg ok;
	memset(&ok, 0, sizeof(ok));
	ok.msg_type = SCCP_MSG_UDT;
	sccp_addr_gt(&ok.called, "12345", 6);
	sccp_addr_gt(&ok.calling, "1234", 8);
	uint8_t out[600];
	struct dfs_wbuf w = dfs_wbuf_init(out, sizeof(out));
	assert_int_equal(sccp_encode(&w, &ok), 0);
	struct sccp_msg bad = ok;
	bad.msg_type = SCCP_MSG_CR;
	w = dfs_wbuf_init(out, sizeof(out));
	assert_int_equal(sccp_encode(&w, &bad), -EINVAL);
	bad = ok;
	bad.has_importance = true; /* UDT has no optional part */
	assert_int_equal(sccp_encode(&w, &bad), -EINVAL);
	bad = ok;
	bad.called.gti = SCCP_GTI_TT; /* an odd count cannot be told without ES */
	w = dfs_wbuf_init(out, sizeof(out));
	assert_int_equal(sccp_encode(&w, &bad), -EINVAL);
	bad = ok;
	strcpy(bad.called.digits, "12x4");
	w = dfs_wbuf_init(out, sizeof(out));
	assert_int_equal(sccp_encode(&w, &bad), -EINVAL);
	bad = ok;
	bad.called.pc = 0x4000;
	w = dfs_wbuf_init(out, sizeof(out));
	assert_int_equal(sccp_encode(&w, &bad), -EINVAL);
	bad = ok;
	static uint8_t big[300];
	bad.data.p = big, bad.data.len = sizeof(big); /* UDT data is at most 255 octets */
	w = dfs_wbuf_init(out, sizeof(out));
	assert_int_equal(sccp_encode(&w, &bad), -EINVAL);
	bad.msg_type = SCCP_MSG_LUDT;
	w = dfs_wbuf_init(out, sizeof(out));
	assert_int_equal(sccp_encode(&w, &bad), 0);
	assert_int_equal(sccp_decode(out, w.len, 0, &m, &e), 0);
	assert_int_equal(m.data.len, sizeof(big));
	w = dfs_wbuf_init(out, 20);
	assert_int_equal(sccp_encode(&w, &bad), -ENOSPC);
	/* hex nibbles survive (Q.713 3.4.2.3.1 codes 11 and 12, filler f) */
	bad = ok;
	strcpy(bad.called.digits, "12bc0f");
	w = dfs_wbuf_init(out, sizeof(out));
	assert_int_equal(sccp_encode(&w, &bad), 0);
	assert_int_equal(sccp_decode(out, w.len, 0, &m, &e), 0);
	assert_string_equal(m.called.digits, "12bc0f");
}

static void test_addr_gt_and_names(void **state)
{
	(void)state;
	struct sccp_addr a;
	sccp_addr_gt(&a, "491720000001", 6);
	assert_true(a.present && a.has_ssn && !a.has_pc && !a.route_on_ssn);
	assert_int_equal(a.gti, 4);
	assert_int_equal(a.tt, 0);
	assert_int_equal(a.np, 1);
	assert_int_equal(a.nai, 4);
	assert_int_equal(a.es, SCCP_ES_BCD_EVEN);
	assert_string_equal(a.digits, "491720000001");
	uint8_t out[32];
	struct dfs_wbuf w = dfs_wbuf_init(out, sizeof(out));
	assert_int_equal(sccp_addr_encode(&w, &a), 0);
	static const uint8_t want[] = {0x12, 0x06, 0x00, 0x12, 0x04, 0x94, 0x71, 0x02, 0x00, 0x00, 0x10};
	assert_int_equal(w.len, sizeof(want));
	assert_memory_equal(out, want, sizeof(want));
	sccp_addr_gt(&a, "0123456789012345678901234567890123456789", 7); /* cut at 32 */
	assert_int_equal(strlen(a.digits), DFS_DIGITS_MAX);
	assert_string_equal(sccp_msg_type_name(SCCP_MSG_LUDTS), "LUDTS");
	assert_string_equal(sccp_msg_type_name(0x42), "unknown");
	assert_string_equal(sccp_ssn_name(SCCP_SSN_GSMSCF), "gsmSCF (MAP)");
	assert_string_equal(get_value_string(sccp_return_cause_names, SCCP_RC_UNQUALIFIED), "unqualified");
}

static void add_addr(char want[][128], size_t *f, const struct sccp_addr *a)
{
	snprintf(want[(*f)++], 128, "%u", a->route_on_ssn);
	snprintf(want[(*f)++], 128, "%u", a->gti);
	snprintf(want[(*f)++], 128, "%u", a->has_pc);
	snprintf(want[(*f)++], 128, "%s", a->has_pc ? "" : "");
	if (a->has_pc)
		snprintf(want[*f - 1], 128, "%u", a->pc);
	snprintf(want[(*f)++], 128, "%s", "");
	if (a->has_ssn)
		snprintf(want[*f - 1], 128, "%u", a->ssn);
	snprintf(want[(*f)++], 128, "%s", "");
	if (a->gti >= SCCP_GTI_TT)
		snprintf(want[*f - 1], 128, "%u", a->tt);
	snprintf(want[(*f)++], 128, "%s", "");
	snprintf(want[(*f)++], 128, "%s", "");
	if (a->gti >= SCCP_GTI_TT_NP_ES) {
		snprintf(want[*f - 2], 128, "%u", a->np);
		snprintf(want[*f - 1], 128, "%u", a->es);
	}
	snprintf(want[(*f)++], 128, "%s", "");
	if (a->gti == SCCP_GTI_NAI || a->gti == SCCP_GTI_TT_NP_ES_NAI)
		snprintf(want[*f - 1], 128, "%u", a->nai);
	snprintf(want[(*f)++], 128, "%s", a->digits);
}

/* tshark prints BASE_HEX fields as 0x..: compare those by value */
static bool oracle_same(const char *got, const char *want)
{
	if (!strncmp(got, "0x", 2) && *want) {
		char *end;
		unsigned long g = strtoul(got, &end, 16);
		return !*end && g == strtoul(want, NULL, 10);
	}
	return !strcmp(got, want);
}

#define ADDR_FIELDS(x)                                                                         \
	"sccp." x ".ri", "sccp." x ".gti", "sccp." x ".pci", "sccp." x ".pc", "sccp." x ".ssn", \
		"sccp." x ".tt", "sccp." x ".np", "sccp." x ".es", "sccp." x ".nai", "sccp." x ".digits"

static void test_tshark_agreement(void **state)
{
	(void)state;
	if (!oracle_have_tshark()) {
		skip();
		return;
	}
	load_tcap();
	static struct sccp_msg ms[64];
	static struct encoded enc[64];
	size_t n = encode_set(ms, enc, 62);
	n += 2;
	enc[n - 2].len = unhex(ussd_udt, enc[n - 2].buf, sizeof(enc[0].buf));
	enc[n - 1].len = unhex(camel_udt, enc[n - 1].buf, sizeof(enc[0].buf));
	const uint8_t *pdus[64];
	size_t lens[64];
	for (size_t i = 0; i < n; i++)
		pdus[i] = enc[i].buf, lens[i] = enc[i].len;
	char path[128];
	oracle_tmpname(path, sizeof(path), "sccp");
	assert_int_equal(oracle_write_export(path, "sccp", pdus, lens, n), 0);
	static const char *const fields[] = {
		"sccp.message_type", "sccp.class", "sccp.handling", "sccp.return_cause", "sccp.hops",
		ADDR_FIELDS("called"), ADDR_FIELDS("calling"), "sccp.segmentation.first",
		"sccp.segmentation.class", "sccp.segmentation.remaining", "sccp.segmentation.slr",
		"sccp.importance",
	};
	enum { NF = sizeof(fields) / sizeof(fields[0]) };
	char *out = oracle_fields(path, fields, NF);
	assert_non_null(out);
	int malformed = oracle_malformed(path);
	unsigned mismatches = 0;
	for (size_t i = 0; i < n; i++) {
		struct sccp_msg m;
		assert_int_equal(sccp_decode(enc[i].buf, enc[i].len, 0, &m, NULL), 0);
		char want[NF][128];
		memset(want, 0, sizeof(want));
		size_t f = 0;
		bool returned = m.msg_type == SCCP_MSG_UDTS || m.msg_type == SCCP_MSG_XUDTS ||
				m.msg_type == SCCP_MSG_LUDTS;
		snprintf(want[f++], 128, "%u", m.msg_type);
		f += 2;
		if (!returned) {
			snprintf(want[1], 128, "%u", m.proto_class & 0x0f);
			snprintf(want[2], 128, "%u", m.proto_class >> 4);
		}
		f++;
		if (returned)
			snprintf(want[3], 128, "%u", m.return_cause);
		f++;
		if (m.msg_type != SCCP_MSG_UDT && m.msg_type != SCCP_MSG_UDTS)
			snprintf(want[4], 128, "%u", m.hop_counter);
		add_addr(want, &f, &m.called);
		add_addr(want, &f, &m.calling);
		if (m.has_segmentation) {
			snprintf(want[f], 128, "%u", m.seg_first);
			snprintf(want[f + 1], 128, "%u", m.seg_class1);
			snprintf(want[f + 2], 128, "%u", m.seg_remaining);
			snprintf(want[f + 3], 128, "%u", m.seg_local_ref);
		}
		f += 4;
		if (m.has_importance)
			snprintf(want[f], 128, "%u", m.importance);
		char line[4096], got[512];
		assert_non_null(oracle_line(out, i, line, sizeof(line)));
		for (size_t k = 0; k < NF; k++) {
			oracle_field(line, k, got, sizeof(got));
			if (!oracle_same(got, want[k])) {
				printf("frame %zu %s: tshark '%s' ours '%s'\n", i + 1, fields[k], got, want[k]);
				mismatches++;
			}
		}
	}
	free(out);
	if (malformed == 0 && mismatches == 0)
		unlink(path);
	else
		printf("kept %s: %d malformed frames, %u mismatches\n", path, malformed, mismatches);
	assert_int_equal(malformed, 0);
	assert_int_equal(mismatches, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_messages),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_addr_gt_and_names),
		cmocka_unit_test(test_tshark_agreement),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
