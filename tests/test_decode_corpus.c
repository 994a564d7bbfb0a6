/* The agreement corpus of issue 2: every MAP operation the codec models, as Invoke (in a Begin)
 * and as result (in an End), with short and with long-form BER lengths, in SCCP UDT and XUDT,
 * with odd and even global-title digit counts, SMS TPDUs with and without a UDH and the reports
 * in forwardSM results; written
 * as M3UA captures (exported PDU and Ethernet/IPv4/SCTP), then `dfsguard decode` is compared
 * with `tshark -T fields` field by field by tests/decode_agreement.py (zero mismatches, no
 * malformed frame). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "ber.h"
#include "capture.h"
#include "m3ua.h"
#include "map.h"
#include "map_testlib.h"
#include "sccp.h"
#include "sms.h"
#include "tcap.h"
#include "tshark_oracle.h"

struct corpus {
	struct cap_writer *w[2];
	unsigned frames;
	uint32_t tid;
};

/* TCAP bytes -> SCCP UDT or XUDT -> M3UA DATA -> both captures. */
static void put(struct corpus *c, const uint8_t *tcap, size_t tlen, bool xudt, bool odd_digits)
{
	struct sccp_msg s;
	memset(&s, 0, sizeof(s));
	s.msg_type = xudt ? 0x11 : 0x09;
	s.proto_class = 0x80;
	s.hop_counter = 15;
	sccp_addr_gt(&s.called, odd_digits ? "255799001" : "2557990010", 6);
	sccp_addr_gt(&s.calling, odd_digits ? "4479000123456" : "447900012345", 7);
	s.data = (struct dfs_view){tcap, tlen};
	uint8_t sccp[1200], m3ua[1400];
	struct dfs_wbuf sw = dfs_wbuf_init(sccp, sizeof(sccp));
	assert_int_equal(sccp_encode(&sw, &s), 0);
	struct m3ua_proto_data pd = {.opc = 1000 + c->frames % 7, .dpc = 2000, .si = 3, .ni = 2,
				     .sls = (uint8_t)(c->frames % 16),
				     .user_data = {sccp, sw.len}};
	uint32_t rctx = 1;
	struct dfs_wbuf mw = dfs_wbuf_init(m3ua, sizeof(m3ua));
	assert_int_equal(m3ua_encode_data(&mw, &rctx, &pd), 0);
	struct timespec ts = {1700000000 + c->frames, 0};
	for (int i = 0; i < 2; i++)
		assert_int_equal(cap_writer_put(c->w[i], &ts, m3ua, mw.len), 0);
	c->frames++;
}

static void put_op(struct corpus *c, int op, const struct map_fields *f, bool result, unsigned flags)
{
	uint8_t ac = 0, ver = 0;
	map_op_default_ac(op, &ac, &ver);
	uint8_t buf[1200];
	struct dfs_wbuf w = dfs_wbuf_init(buf, sizeof(buf));
	uint32_t tid = ++c->tid;
	struct map_tx tx = {.msg_type = result ? TCAP_END : TCAP_BEGIN, .otid = tid, .dtid = tid,
			    .ac = ac, .ac_version = ver, .flags = flags};
	int rc = result ? map_build_result(&w, &tx, 1, op, f) : map_build_invoke(&w, &tx, 1, op, f);
	if (rc < 0)
		fail_msg("op %d %s: %d", op, result ? "result" : "invoke", rc);
	put(c, buf, w.len, c->frames % 2, (c->frames / 2) % 2);
}

/* mt-forwardSM with the given TPDU, sm-RP-DA IMSI, sm-RP-OA service centre. */
static void put_sms(struct corpus *c, const uint8_t *tpdu, size_t len)
{
	struct map_fields f;
	mt_full_fields(&f, 44);
	f.sm_rp_ui = (struct dfs_view){tpdu, len};
	put_op(c, 44, &f, false, 0);
}

static void sms_variants(struct corpus *c)
{
	static const uint8_t scts[7] = {0x62, 0x11, 0x32, 0x21, 0x43, 0x05, 0x00};
	uint8_t t[200];
	struct dfs_wbuf w = dfs_wbuf_init(t, sizeof(t));
	assert_int_equal(sms_build_deliver_text(&w, "255784000111", "Your OTP is 493021", scts), 0);
	put_sms(c, t, w.len);
	/* concatenated segment 1 of 2 (UDH IEI 00) with 8-bit data */
	static const uint8_t udh_concat[] = {0x00, 0x03, 0x2a, 0x02, 0x01};
	static const uint8_t data[] = {'p', 'a', 'r', 't', ' ', 'o', 'n', 'e'};
	w = dfs_wbuf_init(t, sizeof(t));
	assert_int_equal(sms_build_deliver_binary(&w, "255784000111", 0x00, 0x04, udh_concat,
						  sizeof(udh_concat), data, sizeof(data), scts), 0);
	put_sms(c, t, w.len);
	/* a command packet for the SIM (UDH IEI 70, PID 7F, DCS F6): SPI 1621, TAR B00010 */
	static const uint8_t udh_cmd[] = {0x70, 0x00};
	static const uint8_t pkt[] = {0x00, 0x15, 0x15, 0x16, 0x21, 0x12, 0x12, 0xb0, 0x00, 0x10, 0x00,
				      0x00, 0x00, 0x00, 0x01, 0x00, 0xa0, 0xa4, 0x00, 0x00, 0x02, 0x3f, 0x00};
	w = dfs_wbuf_init(t, sizeof(t));
	assert_int_equal(sms_build_deliver_binary(&w, "255799005", 0x7f, 0xf6, udh_cmd, sizeof(udh_cmd),
						  pkt, sizeof(pkt), scts), 0);
	put_sms(c, t, w.len);
}

/* A forwardSM result's sm-RP-UI is the report of an RP-ACK (TS 23.040 9.2.2.1a, 9.2.2.2a):
 * mt-forwardSM gets the SIM's SMS-DELIVER-REPORT (PID 7F, DCS F6, status words), mo-forwardSM
 * an SMS-SUBMIT-REPORT with its time stamp, PID and DCS. */
static void report_for(int op, struct map_fields *f)
{
	static const uint8_t deliver_report[] = {0x00, 0x07, 0x7f, 0xf6, 0x02, 0x90, 0x00};
	static const uint8_t submit_report[] = {0x01, 0x03, 0x62, 0x11, 0x32, 0x21, 0x43, 0x05, 0x00, 0x00, 0x08};
	if (op == MAP_OP_MT_FORWARD_SM)
		f->sm_rp_ui = (struct dfs_view){deliver_report, sizeof(deliver_report)};
	else if (op == MAP_OP_MO_FORWARD_SM)
		f->sm_rp_ui = (struct dfs_view){submit_report, sizeof(submit_report)};
}

static void decode_agrees_with_tshark(void **state)
{
	if (!oracle_have_tshark() || system("command -v python3 >/dev/null 2>&1") != 0)
		skip();
	char path[2][128], err[256];
	snprintf(path[0], sizeof(path[0]), "/tmp/dfsg-corpus-exp-%ld.pcap", (long)getpid());
	snprintf(path[1], sizeof(path[1]), "/tmp/dfsg-corpus-sctp-%ld.pcap", (long)getpid());
	struct corpus c = {0};
	c.w[0] = cap_writer_open(path[0], CAP_OUT_EXPORTED_PDU_M3UA, err, sizeof(err));
	c.w[1] = cap_writer_open(path[1], CAP_OUT_ETH_IPV4_SCTP, err, sizeof(err));
	assert_non_null(c.w[0]);
	assert_non_null(c.w[1]);
	unsigned ops = 0;
	for (size_t i = 0; i < sizeof(mt_expects) / sizeof(mt_expects[0]); i++) {
		const struct mt_expect *x = &mt_expects[i];
		for (unsigned flags = 0; flags <= BER_LEN_LONG; flags += BER_LEN_LONG) {
			struct map_fields f;
			mt_full_fields(&f, x->op);
			put_op(&c, x->op, &f, false, flags);
			if (x->res && x->res[0]) {
				f.is_result = true;
				report_for(x->op, &f);
				put_op(&c, x->op, &f, true, flags);
			}
		}
		ops++;
	}
	sms_variants(&c);
	for (int i = 0; i < 2; i++)
		assert_int_equal(cap_writer_close(c.w[i]), 0);
	printf("%u operations, %u messages in each capture\n", ops, c.frames);
	char cmd[1400];
	snprintf(cmd, sizeof(cmd),
		 "python3 %s/tests/decode_agreement.py %s %s %s > %s.log 2>&1; rc=$?; tail -n 30 %s.log; "
		 "rm -f %s.log; exit $rc",
		 DFSG_SOURCE_DIR, DFSG_BIN, path[0], path[1], path[0], path[0], path[0]);
	int rc = system(cmd);
	if (rc == 0) unlink(path[0]);
	if (rc == 0) unlink(path[1]);
	assert_int_equal(rc, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(decode_agrees_with_tshark)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
