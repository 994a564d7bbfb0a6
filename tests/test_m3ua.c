/* M3UA codec (RFC 4666): real messages from the shared captures, every class and type encoded
 * and decoded, every truncation point, TCP framing, and agreement with tshark field by field. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "m3ua.h"
#include "codec_testlib.h"
#include "tshark_oracle.h"

/* From ../shared/vectors/captures: centile_m3ua.cap frames 7, 9, 13 and m3ua_isup.cap frame 77. */
static const char *const real_hex[] = {
	"0100030400000008",                                 /* ASPUP_ACK */
	"0100000100000018000d0008000100020011000800000000", /* NTFY AS-Inactive, ASP id 0 */
	"010000000000003c000c0008000000090007002c010001010000002c02100021000007d000000491030200"
	"0009810305070242010242010501921608", /* ERR invalid stream id + diagnostic */
	"01000101000000340210002a0000000100000002050200000100010020010a030208060290214365000a06"
	"021321436587000000", /* DATA carrying an ISUP IAM */
};

static void test_real_messages(void **state)
{
	(void)state;
	uint8_t b[256];
	struct m3ua_msg m;
	struct dfs_err e = {0};
	size_t n;

	n = unhex(real_hex[0], b, sizeof(b));
	assert_int_equal(m3ua_decode(b, n, 0, &m, &e), 0);
	assert_int_equal(m.msg_class, M3UA_CLS_ASPSM);
	assert_int_equal(m.msg_type, M3UA_ASPSM_ASPUP_ACK);
	assert_int_equal(m.n_params, 0);
	assert_string_equal(m3ua_msg_name(m.msg_class, m.msg_type), "ASPUP_ACK");

	n = unhex(real_hex[1], b, sizeof(b));
	assert_int_equal(m3ua_decode(b, n, 0, &m, &e), 0);
	assert_string_equal(m3ua_msg_name(m.msg_class, m.msg_type), "NTFY");
	assert_true(m.has_status && m.has_asp_id);
	assert_int_equal(m.status_type, M3UA_NTFY_AS_STATE_CHANGE);
	assert_int_equal(m.status_info, M3UA_NTFY_AS_INACTIVE);
	assert_int_equal(m.asp_id, 0);

	n = unhex(real_hex[2], b, sizeof(b));
	assert_int_equal(m3ua_decode(b, n, 100, &m, &e), 0);
	assert_true(m.has_error_code);
	assert_int_equal(m.error_code, M3UA_ERR_INVALID_STREAM_ID);
	assert_string_equal(m3ua_err_name(m.error_code), "Invalid Stream Identifier");
	assert_int_equal(m.n_params, 2);
	assert_int_equal(m.params[1].tag, M3UA_TAG_DIAG_INFO);
	assert_int_equal(m.params[1].value.len, 40);
	assert_ptr_equal(m.params[1].value.p, b + 20);

	n = unhex(real_hex[3], b, sizeof(b));
	assert_int_equal(m3ua_decode(b, n, 0, &m, &e), 0);
	assert_string_equal(m3ua_msg_name(m.msg_class, m.msg_type), "DATA");
	assert_true(m.has_proto_data);
	assert_false(m.has_rctx);
	assert_int_equal(m.pd.opc, 1);
	assert_int_equal(m.pd.dpc, 2);
	assert_int_equal(m.pd.si, 5);
	assert_int_equal(m.pd.ni, 2);
	assert_int_equal(m.pd.mp, 0);
	assert_int_equal(m.pd.sls, 0);
	assert_int_equal(m.pd.user_data.len, 0x2a - 16);
	assert_ptr_equal(m.pd.user_data.p, b + 24);
	assert_int_equal(m.pd.user_data.p[2], 0x01); /* ISUP IAM */
}

/* A broad set: every class and type RFC 4666 defines, with their parameters. */
struct built {
	uint8_t buf[512];
	size_t len;
};

static const uint8_t iam[] = {0x01, 0x00, 0x01, 0x00, 0x20, 0x01, 0x0a, 0x03, 0x02, 0x08,
			      0x06, 0x02, 0x90, 0x21, 0x43, 0x65, 0x00, 0x0a, 0x06, 0x02,
			      0x13, 0x21, 0x43, 0x65, 0x87, 0x00};

#define P(t, ...)                                                                              \
	{                                                                                      \
		.tag = (t), .value = {(const uint8_t[]){__VA_ARGS__}, sizeof((uint8_t[]){__VA_ARGS__}) } \
	}

static size_t build_all(struct built *out, size_t cap)
{
	size_t n = 0;
	struct dfs_wbuf w;
#define ADD(cls, type, ...)                                                                    \
	do {                                                                                   \
		const struct m3ua_param ps_[] = {__VA_ARGS__};                                 \
		assert_true(n < cap);                                                          \
		w = dfs_wbuf_init(out[n].buf, sizeof(out[n].buf));                             \
		assert_int_equal(m3ua_encode(&w, cls, type, ps_, sizeof(ps_) / sizeof(ps_[0])), 0); \
		out[n++].len = w.len;                                                          \
	} while (0)
	const struct m3ua_param rc = P(M3UA_TAG_ROUTING_CTX, 0, 0, 0, 7);
	const struct m3ua_param info = P(M3UA_TAG_INFO_STRING, 'd', 'f', 's', 'g', 'u');
	ADD(M3UA_CLS_MGMT, M3UA_MGMT_ERR, P(M3UA_TAG_ERROR_CODE, 0, 0, 0, 0x19), rc,
	    P(M3UA_TAG_DIAG_INFO, 1, 2, 3));
	ADD(M3UA_CLS_MGMT, M3UA_MGMT_ERR, P(M3UA_TAG_ERROR_CODE, 0, 0, 0, 0x13));
	ADD(M3UA_CLS_MGMT, M3UA_MGMT_NTFY, P(M3UA_TAG_STATUS, 0, 1, 0, 3),
	    P(M3UA_TAG_ASP_ID, 0, 0, 1, 0), rc, info);
	ADD(M3UA_CLS_MGMT, M3UA_MGMT_NTFY, P(M3UA_TAG_STATUS, 0, 2, 0, 3));
	const struct m3ua_param apc = P(M3UA_TAG_AFFECTED_PC, 0, 0, 0x12, 0x34);
	ADD(M3UA_CLS_SSNM, M3UA_SSNM_DUNA, P(M3UA_TAG_NETWORK_APP, 0, 0, 0, 2), rc,
	    P(M3UA_TAG_AFFECTED_PC, 0, 0, 0x12, 0x34, 8, 0, 0x20, 0), info);
	ADD(M3UA_CLS_SSNM, M3UA_SSNM_DAVA, rc, apc);
	ADD(M3UA_CLS_SSNM, M3UA_SSNM_DAUD, apc);
	ADD(M3UA_CLS_SSNM, M3UA_SSNM_SCON, rc, apc, P(M3UA_TAG_CONCERNED_DEST, 0, 0, 0, 9),
	    P(M3UA_TAG_CONGESTION, 0, 0, 0, 2));
	ADD(M3UA_CLS_SSNM, M3UA_SSNM_DUPU, rc, apc, P(M3UA_TAG_USER_CAUSE, 0, 2, 0, 5), info);
	ADD(M3UA_CLS_SSNM, M3UA_SSNM_DRST, apc);
	const struct m3ua_param aspid = P(M3UA_TAG_ASP_ID, 0xde, 0xad, 0xbe, 0xef);
	ADD(M3UA_CLS_ASPSM, M3UA_ASPSM_ASPUP, aspid, info);
	ADD(M3UA_CLS_ASPSM, M3UA_ASPSM_ASPUP);
	ADD(M3UA_CLS_ASPSM, M3UA_ASPSM_ASPDN, info);
	ADD(M3UA_CLS_ASPSM, M3UA_ASPSM_BEAT, P(M3UA_TAG_HEARTBEAT, 9, 8, 7, 6, 5, 4, 3));
	ADD(M3UA_CLS_ASPSM, M3UA_ASPSM_ASPUP_ACK, aspid);
	ADD(M3UA_CLS_ASPSM, M3UA_ASPSM_ASPDN_ACK);
	ADD(M3UA_CLS_ASPSM, M3UA_ASPSM_BEAT_ACK, P(M3UA_TAG_HEARTBEAT, 9, 8, 7, 6, 5, 4, 3));
	const struct m3ua_param tmt = P(M3UA_TAG_TRAFFIC_MODE, 0, 0, 0, 2);
	ADD(M3UA_CLS_ASPTM, M3UA_ASPTM_ASPAC, tmt, P(M3UA_TAG_ROUTING_CTX, 0, 0, 0, 1, 0, 0, 0, 2));
	ADD(M3UA_CLS_ASPTM, M3UA_ASPTM_ASPIA, rc, info);
	ADD(M3UA_CLS_ASPTM, M3UA_ASPTM_ASPAC_ACK, tmt, rc);
	ADD(M3UA_CLS_ASPTM, M3UA_ASPTM_ASPIA_ACK, rc);

	/* RKM: the Routing Key, Registration Result and Deregistration Result hold parameters */
	uint8_t rk[64], rr[64], dr[64];
	struct dfs_wbuf wk = dfs_wbuf_init(rk, sizeof(rk));
	const struct m3ua_param rk_p[] = {P(M3UA_TAG_LOCAL_RK_ID, 0, 0, 0, 1), rc,
					  P(M3UA_TAG_DPC, 0, 0, 0, 2), P(M3UA_TAG_SI, 3, 5, 0, 0),
					  P(M3UA_TAG_OPC_LIST, 0, 0, 0, 1)};
	assert_int_equal(m3ua_encode_params(&wk, rk_p, 5), 0);
	struct dfs_wbuf wr = dfs_wbuf_init(rr, sizeof(rr));
	const struct m3ua_param rr_p[] = {P(M3UA_TAG_LOCAL_RK_ID, 0, 0, 0, 1),
					  P(M3UA_TAG_REG_STATUS, 0, 0, 0, 0), rc};
	assert_int_equal(m3ua_encode_params(&wr, rr_p, 3), 0);
	struct dfs_wbuf wd = dfs_wbuf_init(dr, sizeof(dr));
	const struct m3ua_param dr_p[] = {rc, P(M3UA_TAG_DEREG_STATUS, 0, 0, 0, 0)};
	assert_int_equal(m3ua_encode_params(&wd, dr_p, 2), 0);
	ADD(M3UA_CLS_RKM, M3UA_RKM_REG_REQ, {M3UA_TAG_ROUTING_KEY, {rk, wk.len}});
	ADD(M3UA_CLS_RKM, M3UA_RKM_REG_RSP, {M3UA_TAG_REG_RESULT, {rr, wr.len}});
	ADD(M3UA_CLS_RKM, M3UA_RKM_DEREG_REQ, rc);
	ADD(M3UA_CLS_RKM, M3UA_RKM_DEREG_RSP, {M3UA_TAG_DEREG_RESULT, {dr, wd.len}});
#undef ADD

	/* DATA with and without Routing Context, through the DATA encoder */
	struct m3ua_proto_data pd = {.opc = 0x1234, .dpc = 0x0321, .si = 5, .ni = 2, .mp = 1, .sls = 9,
				     .user_data = {iam, sizeof(iam)}};
	uint32_t rctx = 0x01020304;
	w = dfs_wbuf_init(out[n].buf, sizeof(out[n].buf));
	assert_int_equal(m3ua_encode_data(&w, &rctx, &pd), 0);
	out[n++].len = w.len;
	pd.opc = 0x3fff, pd.dpc = 1, pd.ni = 0, pd.mp = 0, pd.sls = 15, pd.user_data.len = 25;
	w = dfs_wbuf_init(out[n].buf, sizeof(out[n].buf));
	assert_int_equal(m3ua_encode_data(&w, NULL, &pd), 0);
	out[n++].len = w.len;
	uint32_t na = 42;
	w = dfs_wbuf_init(out[n].buf, sizeof(out[n].buf));
	assert_int_equal(m3ua_encode_data_na(&w, &na, &rctx, &pd), 0);
	out[n++].len = w.len;
	return n;
}

/* RFC 4666 3.3.1: Network Appearance, Routing Context, Protocol Data, in that order. */
static void test_data_network_appearance(void **state)
{
	(void)state;
	static const uint8_t ud[3] = {1, 2, 3};
	struct m3ua_proto_data pd = {.opc = 7, .dpc = 9, .si = 3, .ni = 2, .sls = 4, .user_data = {ud, 3}};
	uint32_t na = 0x0a0b0c0d, rctx = 77;
	uint8_t buf[128];
	struct dfs_wbuf w = dfs_wbuf_init(buf, sizeof(buf));
	assert_int_equal(m3ua_encode_data_na(&w, &na, &rctx, &pd), 0);
	struct m3ua_msg m;
	struct dfs_err e;
	assert_int_equal(m3ua_decode(buf, w.len, 0, &m, &e), 0);
	assert_true(m.has_na && m.has_rctx && m.has_proto_data);
	assert_int_equal(m.na, na);
	assert_int_equal(m.rctx, rctx);
	assert_int_equal(m.n_params, 3);
	assert_int_equal(m.params[0].tag, M3UA_TAG_NETWORK_APP);
	assert_int_equal(m.params[1].tag, M3UA_TAG_ROUTING_CTX);
	assert_int_equal(m.params[2].tag, M3UA_TAG_PROTOCOL_DATA);
	assert_int_equal(m.pd.user_data.len, 3);
	/* without a routing context: NA then Protocol Data */
	w = dfs_wbuf_init(buf, sizeof(buf));
	assert_int_equal(m3ua_encode_data_na(&w, &na, NULL, &pd), 0);
	assert_int_equal(m3ua_decode(buf, w.len, 0, &m, &e), 0);
	assert_true(m.has_na && !m.has_rctx);
	assert_int_equal(m.params[0].tag, M3UA_TAG_NETWORK_APP);
}

static void test_every_message_round_trip(void **state)
{
	(void)state;
	struct built all[40];
	size_t n = build_all(all, 40);
	unsigned seen_classes = 0;
	for (size_t i = 0; i < n; i++) {
		struct m3ua_msg m;
		struct dfs_err e = {0};
		assert_int_equal(all[i].len % 4, 0);
		assert_int_equal(m3ua_decode(all[i].buf, all[i].len, 0, &m, &e), 0);
		assert_true(m3ua_msg_known(m.msg_class, m.msg_type));
		assert_string_not_equal(m3ua_msg_name(m.msg_class, m.msg_type), "unknown");
		assert_int_equal(m3ua_frame_length(all[i].buf, all[i].len), (long)all[i].len);
		seen_classes |= 1u << m.msg_class;
		/* re-encode from the decoded parameters: byte-identical */
		uint8_t again[512];
		struct dfs_wbuf w = dfs_wbuf_init(again, sizeof(again));
		assert_int_equal(m3ua_encode(&w, m.msg_class, m.msg_type, m.params, m.n_params), 0);
		assert_int_equal(w.len, all[i].len);
		assert_memory_equal(again, all[i].buf, w.len);
		if (m.has_proto_data) { /* and through the DATA encoder */
			w = dfs_wbuf_init(again, sizeof(again));
			assert_int_equal(m3ua_encode_data_na(&w, m.has_na ? &m.na : NULL, m.has_rctx ? &m.rctx : NULL,
							     &m.pd), 0);
			assert_int_equal(w.len, all[i].len);
			assert_memory_equal(again, all[i].buf, w.len);
		}
	}
	assert_int_equal(seen_classes, 0x21f); /* classes 0-4 and 9 */
	/* the first of the three DATA messages */
	struct m3ua_msg m;
	assert_int_equal(m3ua_decode(all[n - 3].buf, all[n - 3].len, 0, &m, NULL), 0);
	assert_true(m.has_rctx);
	assert_int_equal(m.rctx, 0x01020304);
	assert_int_equal(m.pd.opc, 0x1234);
	assert_int_equal(m.pd.sls, 9);
	assert_int_equal(m.pd.mp, 1);
	assert_int_equal(m.pd.user_data.len, sizeof(iam));
	assert_memory_equal(m.pd.user_data.p, iam, sizeof(iam));
}

/* Every prefix of a valid message fails cleanly in layer m3ua, both as it is (length field
 * larger than the bytes) and with the length field set to the prefix length. */
static void test_truncation(void **state)
{
	(void)state;
	struct built all[40];
	size_t n = build_all(all, 40);
	for (size_t r = 0; r < sizeof(real_hex) / sizeof(real_hex[0]) && n < 40; r++, n++)
		all[n].len = unhex(real_hex[r], all[n].buf, sizeof(all[n].buf));
	for (size_t i = 0; i < n; i++) {
		struct m3ua_msg full;
		assert_int_equal(m3ua_decode(all[i].buf, all[i].len, 0, &full, NULL), 0);
		for (size_t k = 0; k < all[i].len; k++) {
			struct m3ua_msg m;
			struct dfs_err e = {0};
			assert_int_equal(m3ua_decode(all[i].buf, k, 1000, &m, &e), -EBADMSG);
			assert_string_equal(e.layer, "m3ua");
			assert_non_null(e.field);
			assert_true(e.offset >= 1000 && e.offset <= 1000 + all[i].len);
			if (k < M3UA_HDR_LEN)
				continue;
			uint8_t cut[512];
			memcpy(cut, all[i].buf, k);
			cut[4] = 0, cut[5] = 0, cut[6] = (uint8_t)(k >> 8), cut[7] = (uint8_t)k;
			int rc = m3ua_decode(cut, k, 0, &m, &e);
			if (rc == 0) { /* only when the cut lands between parameters */
				assert_true(m.n_params < full.n_params);
				assert_true(k % 4 == 0);
				assert_int_not_equal(m.msg_class, M3UA_CLS_XFER);
			} else {
				assert_int_equal(rc, -EBADMSG);
				assert_string_equal(e.layer, "m3ua");
				assert_true(e.offset <= k);
			}
		}
	}
}

static int decode_hex(const char *h, struct m3ua_msg *m, struct dfs_err *e)
{
	uint8_t b[256];
	size_t n = unhex(h, b, sizeof(b));
	*e = (struct dfs_err){0};
	return m3ua_decode(b, n, 0, m, e);
}

static void test_bad_messages(void **state)
{
	(void)state;
	struct m3ua_msg m;
	struct dfs_err e;
	assert_int_equal(decode_hex("0200030400000008", &m, &e), -EBADMSG);
	assert_string_equal(e.field, "version");
	assert_int_equal(decode_hex("010003040000001000000000", &m, &e), -EBADMSG);
	assert_string_equal(e.field, "length");
	assert_int_equal(e.offset, 4);
	/* parameter length below 4 */
	assert_int_equal(decode_hex("010003010000000c00110002", &m, &e), -EBADMSG);
	assert_string_equal(e.field, "parameter length");
	assert_int_equal(e.offset, 10);
	/* ASP identifier of 3 bytes */
	assert_int_equal(decode_hex("01000301000000100011000700000100", &m, &e), -EBADMSG);
	assert_string_equal(e.field, "ASP Identifier");
	/* padding missing after the last parameter */
	assert_int_equal(decode_hex("010003010000000f00040007616263", &m, &e), -EBADMSG);
	assert_string_equal(e.field, "padding");
	/* DATA without Protocol Data */
	assert_int_equal(decode_hex("01000101000000100006000800000001", &m, &e), -EBADMSG);
	assert_string_equal(e.field, "Protocol Data");
	assert_string_equal(e.reason, "mandatory parameter missing");
	/* Protocol Data of 8 bytes */
	assert_int_equal(decode_hex("01000101000000140210000c0000000100000002", &m, &e), -EBADMSG);
	assert_string_equal(e.field, "Protocol Data");
	/* ERR without Error Code, NTFY without Status, DUPU without User/Cause */
	assert_int_equal(decode_hex("0100000000000008", &m, &e), -EBADMSG);
	assert_string_equal(e.field, "Error Code");
	assert_int_equal(decode_hex("0100000100000008", &m, &e), -EBADMSG);
	assert_string_equal(e.field, "Status");
	assert_int_equal(decode_hex("01000205000000100012000800000001", &m, &e), -EBADMSG);
	assert_string_equal(e.field, "User/Cause");
	/* Affected PC list not a multiple of 4 bytes */
	assert_int_equal(decode_hex("01000201000000100012000600000000", &m, &e), -EBADMSG);
	/* a Routing Key whose inner parameter overruns it */
	assert_int_equal(decode_hex("01000901000000140207000c020b001000000000", &m, &e), -EBADMSG);
	assert_int_equal(e.offset, 14);
	/* unknown class and tag still decode: the peer answers with an ERR */
	assert_int_equal(decode_hex("0100070100000010777700080a0b0c0d", &m, &e), 0);
	assert_false(m3ua_msg_known(7, 1));
	assert_string_equal(m3ua_msg_name(7, 1), "unknown");
	assert_int_equal(m.params[0].tag, 0x7777);
	assert_ptr_equal(m3ua_find_param(&m, 0x7777, 0), &m.params[0]);
	assert_null(m3ua_find_param(&m, 0x7777, 1));
	/* more parameters than M3UA_MAX_PARAMS */
	uint8_t big[8 + 8 * (M3UA_MAX_PARAMS + 1)];
	memset(big, 0, sizeof(big));
	big[0] = 1, big[2] = 3, big[3] = 1, big[7] = sizeof(big);
	for (size_t i = 0; i <= M3UA_MAX_PARAMS; i++)
		big[8 + 8 * i + 1] = 0x11, big[8 + 8 * i + 3] = 8;
	assert_int_equal(m3ua_decode(big, sizeof(big), 0, &m, &e), -EBADMSG);
	assert_string_equal(e.reason, "more parameters than supported");
}

static void test_frame_length(void **state)
{
	(void)state;
	uint8_t two[16] = {1, 0, 3, 4, 0, 0, 0, 8, 1, 0, 3, 4, 0, 0, 0, 8};
	for (size_t k = 1; k < 8; k++)
		assert_int_equal(m3ua_frame_length(two, k), 0);
	assert_int_equal(m3ua_frame_length(two, 0), 0);
	assert_int_equal(m3ua_frame_length(two, 8), 8);
	assert_int_equal(m3ua_frame_length(two, 16), 8);
	assert_int_equal(m3ua_frame_length(two + 8, 8), 8);
	uint8_t h[8] = {1, 0, 1, 1, 0, 0, 0x01, 0x00};
	assert_int_equal(m3ua_frame_length(h, 8), 0); /* 256 announced, 8 here */
	h[0] = 2;
	assert_int_equal(m3ua_frame_length(h, 1), -1);
	h[0] = 1, h[7] = 4, h[6] = 0;
	assert_int_equal(m3ua_frame_length(h, 8), -1); /* below the header */
	h[7] = 10;
	assert_int_equal(m3ua_frame_length(h, 8), -1); /* not padded */
	h[4] = 0x7f, h[7] = 0;
	assert_int_equal(m3ua_frame_length(h, 8), -1); /* absurdly long */
}

static void test_names_and_limits(void **state)
{
	(void)state;
	/* RFC 4666 3.8.1 */
	assert_string_equal(m3ua_err_name(0x13), "Unexpected Parameter");
	assert_string_equal(m3ua_err_name(0x19), "Invalid Routing Context");
	assert_string_equal(m3ua_err_name(0x16), "Missing Parameter");
	assert_string_equal(m3ua_err_name(0x1a), "No Configured AS for ASP");
	for (uint32_t c = 1; c <= 0x1a; c++)
		assert_string_not_equal(m3ua_err_name(c), "unknown");
	assert_string_equal(m3ua_err_name(0x1b), "unknown");
	assert_string_equal(m3ua_class_name(M3UA_CLS_RKM), "RKM");
	assert_string_equal(m3ua_tag_name(M3UA_TAG_PROTOCOL_DATA), "Protocol Data");
	assert_string_equal(m3ua_msg_name(M3UA_CLS_RKM, M3UA_RKM_DEREG_RSP), "DEREG_RSP");

	uint8_t small[20];
	struct dfs_wbuf w = dfs_wbuf_init(small, sizeof(small));
	struct m3ua_proto_data pd = {.si = 5, .user_data = {iam, sizeof(iam)}};
	assert_int_equal(m3ua_encode_data(&w, NULL, &pd), -ENOSPC);
	static uint8_t huge[70000];
	uint8_t out[64];
	w = dfs_wbuf_init(out, sizeof(out));
	const struct m3ua_param p = {M3UA_TAG_INFO_STRING, {huge, sizeof(huge)}};
	assert_int_equal(m3ua_encode(&w, M3UA_CLS_ASPSM, M3UA_ASPSM_ASPUP, &p, 1), -EINVAL);
}

/* Expected tshark view of one message: every parameter tag and length, nested ones included
 * (tshark dissects the contents of Routing Key / Registration Result / Deregistration Result). */
static void expect_params(const uint8_t *p, size_t len, char *tags, char *lens, size_t sz)
{
	struct dfs_buf b = dfs_buf_init(p, len, 0);
	while (dfs_buf_left(&b) >= 4) {
		uint16_t t = 0, l = 0;
		if (dfs_buf_u16(&b, &t) < 0 || dfs_buf_u16(&b, &l) < 0 || l < 4)
			break;
		size_t tl = strlen(tags), ll = strlen(lens);
		snprintf(tags + tl, sz - tl, "%s%u", tl ? "," : "", t);
		snprintf(lens + ll, sz - ll, "%s%u", ll ? "," : "", l);
		if (t == M3UA_TAG_ROUTING_KEY || t == M3UA_TAG_REG_RESULT || t == M3UA_TAG_DEREG_RESULT)
			expect_params(dfs_buf_cur(&b), (size_t)l - 4, tags, lens, sz);
		dfs_buf_skip(&b, ((size_t)l - 4 + 3) & ~(size_t)3);
	}
}

static void test_tshark_agreement(void **state)
{
	(void)state;
	if (!oracle_have_tshark()) {
		skip();
		return;
	}
	struct built all[40];
	size_t n = build_all(all, 40);
	for (size_t r = 0; r < sizeof(real_hex) / sizeof(real_hex[0]) && n < 40; r++, n++)
		all[n].len = unhex(real_hex[r], all[n].buf, sizeof(all[n].buf));
	const uint8_t *pdus[40];
	size_t lens[40];
	for (size_t i = 0; i < n; i++)
		pdus[i] = all[i].buf, lens[i] = all[i].len;
	char path[128];
	oracle_tmpname(path, sizeof(path), "m3ua");
	assert_int_equal(oracle_write_export(path, "m3ua", pdus, lens, n), 0);
	static const char *const fields[] = {
		"m3ua.message_class", "m3ua.message_type", "m3ua.message_length",
		"m3ua.parameter_tag", "m3ua.parameter_length", "m3ua.protocol_data_opc",
		"m3ua.protocol_data_dpc", "m3ua.protocol_data_si", "m3ua.protocol_data_ni",
		"m3ua.protocol_data_mp", "m3ua.protocol_data_sls", "m3ua.error_code",
		"m3ua.status_type", "m3ua.status_info", "m3ua.asp_identifier",
		"m3ua.traffic_mode_type", "m3ua.info_string",
	};
	char *out = oracle_fields(path, fields, sizeof(fields) / sizeof(fields[0]));
	assert_non_null(out);
	assert_int_equal(oracle_malformed(path), 0);
	unsigned mismatches = 0;
	for (size_t i = 0; i < n; i++) {
		struct m3ua_msg m;
		assert_int_equal(m3ua_decode(all[i].buf, all[i].len, 0, &m, NULL), 0);
		char want[17][256] = {{0}};
		snprintf(want[0], 256, "%u", m.msg_class);
		snprintf(want[1], 256, "%u", m.msg_type);
		snprintf(want[2], 256, "%u", m.length);
		expect_params(all[i].buf + 8, all[i].len - 8, want[3], want[4], 256);
		if (m.has_proto_data) {
			snprintf(want[5], 256, "%u", m.pd.opc);
			snprintf(want[6], 256, "%u", m.pd.dpc);
			snprintf(want[7], 256, "%u", m.pd.si);
			snprintf(want[8], 256, "%u", m.pd.ni);
			snprintf(want[9], 256, "%u", m.pd.mp);
			snprintf(want[10], 256, "%u", m.pd.sls);
		}
		if (m.has_error_code)
			snprintf(want[11], 256, "%u", m.error_code);
		if (m.has_status) {
			snprintf(want[12], 256, "%u", m.status_type);
			snprintf(want[13], 256, "%u", m.status_info);
		}
		if (m.has_asp_id)
			snprintf(want[14], 256, "%u", m.asp_id);
		if (m.has_tmt)
			snprintf(want[15], 256, "%u", m.tmt);
		if (m.info_string.len)
			snprintf(want[16], 256, "%.*s", (int)m.info_string.len, (const char *)m.info_string.p);
		char line[4096], got[1024];
		assert_non_null(oracle_line(out, i, line, sizeof(line)));
		for (size_t f = 0; f < 17; f++) {
			oracle_field(line, f, got, sizeof(got));
			if (strcmp(got, want[f])) {
				printf("frame %zu %s: tshark '%s' ours '%s'\n", i + 1, fields[f], got, want[f]);
				mismatches++;
			}
		}
	}
	free(out);
	unlink(path);
	assert_int_equal(mismatches, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_messages),
		cmocka_unit_test(test_every_message_round_trip),
		cmocka_unit_test(test_data_network_appearance),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_bad_messages),
		cmocka_unit_test(test_frame_length),
		cmocka_unit_test(test_names_and_limits),
		cmocka_unit_test(test_tshark_agreement),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
