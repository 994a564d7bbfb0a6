/* SMS-PP carriage (TS 31.115 4, TS 23.040): OTA packets wrapped into SMS-DELIVER / SMS-SUBMIT
 * TPDUs (PID 0x7F, DCS 0xF6, UDH 0x70/0x71, concatenation) decode with the SMS codec, show the
 * TS 102 225 header (SPI, KIc, KID, TAR) and reassemble to the original packet. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "ota_packet.h"
#include "ota_test_util.h"
#include "ota_transport.h"
#include "sms.h"

static const uint8_t SCTS[7] = {0x62, 0x11, 0x32, 0x11, 0x54, 0x00, 0x00};

/* An AES command packet to the USIM RFM TAR with data_len octets of data. */
static size_t cmd_packet(uint8_t *pkt, size_t sz, size_t data_len, struct ota_cmd_params *p)
{
	static uint8_t data[600];
	struct ota_keyset ks;
	t_kat_aes(&ks);
	for (size_t i = 0; i < data_len; i++)
		data[i] = (uint8_t)i;
	*p = (struct ota_cmd_params){.spi = {0x16, 0x21}, .kic = 0x22, .kid = 0x22,
				     .tar = 0xb00011, .cntr = {0, 0, 0, 0, 9},
				     .data = data, .data_len = data_len};
	struct dfs_wbuf w = dfs_wbuf_init(pkt, sz);
	assert_int_equal(ota_cmd_encode(&w, p, &ks, NULL, 0, 0), 0);
	return w.len;
}

/* Decode every TPDU, check the SMS-PP framing, and reassemble the packet. */
static void check_tpdus(const struct ota_tpdu *tp, int n, bool response, const uint8_t *pkt,
			size_t len, const struct ota_cmd_params *p)
{
	struct ota_reasm *ra = ota_reasm_new(OTA_BEARER_SMS);
	assert_non_null(ra);
	for (int i = 0; i < n; i++) {
		struct sms_tpdu t;
		struct dfs_err e = {0};
		assert_true(tp[i].len <= OTA_TPDU_MAX);
		assert_int_equal(sms_tpdu_decode(tp[i].b, tp[i].len, 0,
						 response ? SMS_DIR_MO : SMS_DIR_MT, &t, &e), 0);
		assert_int_equal(t.is_deliver, !response);
		assert_int_equal(t.pid, SMS_PID_SIM_DATA_DOWNLOAD);
		assert_int_equal(t.dcs, 0xf6);
		assert_true(t.udhi);
		assert_int_equal(t.has_concat, n > 1);
		if (n > 1) {
			assert_int_equal(t.concat_total, n);
			assert_int_equal(t.concat_seq, i + 1);
		}
		/* the 0x70/0x71 IE is in the first segment only */
		assert_int_equal(t.has_cmd_pkt, !response && i == 0);
		assert_int_equal(t.has_rsp_pkt, response && i == 0);
		if (!response && i == 0) {
			assert_true(t.has_ota_hdr);
			assert_memory_equal(t.ota.spi, p->spi, 2);
			assert_int_equal(t.ota.kic, p->kic);
			assert_int_equal(t.ota.kid, p->kid);
			assert_int_equal(t.ota.tar, p->tar);
			/* CNTR is ciphered under SPI 0x16: not comparable in the clear */
			assert_int_equal(t.ota.cpl, len - 2);
			assert_memory_equal(t.scts, SCTS, 7);
		}
		int rc = ota_reasm_add(ra, t.ud.p, t.ud.len, NULL);
		assert_int_equal(rc, i == n - 1 ? 1 : 0);
	}
	size_t got;
	bool resp;
	const uint8_t *q = ota_reasm_packet(ra, &got, &resp);
	assert_int_equal(got, len);
	assert_int_equal(resp, response);
	assert_memory_equal(q, pkt, len);
	ota_reasm_free(ra);
}

static void test_sms_pp_command_single(void **state)
{
	(void)state;
	uint8_t pkt[200];
	struct ota_cmd_params p;
	struct ota_tpdu tp[4];
	size_t len = cmd_packet(pkt, sizeof(pkt), 7, &p);
	int n = ota_sms_tpdus(pkt, len, false, "+4915112345", 0x2a, SCTS, tp, 4);
	assert_int_equal(n, 1);
	/* DELIVER, TP-UDHI, numeric international originator */
	assert_int_equal(tp[0].b[0] & 0x43, 0x40);
	check_tpdus(tp, n, false, pkt, len, &p);
}

static void test_sms_pp_command_concatenated(void **state)
{
	(void)state;
	uint8_t pkt[700];
	struct ota_cmd_params p;
	struct ota_tpdu tp[8];
	size_t len = cmd_packet(pkt, sizeof(pkt), 400, &p);
	int n = ota_sms_tpdus(pkt, len, false, "4915112345", 0x11, SCTS, tp, 8);
	assert_true(n >= 3);
	check_tpdus(tp, n, false, pkt, len, &p);
	/* not enough room: a clean error */
	assert_int_equal(ota_sms_tpdus(pkt, len, false, "4915112345", 0x11, SCTS, tp, 2), -EMSGSIZE);
}

static void test_sms_pp_por_submit(void **state)
{
	(void)state;
	/* the KAT PoR (RPL onwards, the UDH "02 71 00" stripped) */
	uint8_t por[64];
	size_t len = t_hex("002412b00011ebc6b497e2cad7aedf36ace0e3a29b38853f0fe9ccde81913be5702b73abce1f",
			   por, sizeof(por));
	struct ota_tpdu tp[2];
	int n = ota_sms_tpdus(por, len, true, "+4915112345", 5, NULL, tp, 2);
	assert_int_equal(n, 1);
	assert_int_equal(tp[0].b[0] & 0x03, 0x01); /* SMS-SUBMIT */
	assert_int_equal(tp[0].b[1], 5);           /* TP-MR */
	check_tpdus(tp, n, true, por, len, NULL);
	assert_int_equal(ota_sms_tpdus(por, len, true, "49x5", 5, NULL, tp, 2), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sms_pp_command_single),
		cmocka_unit_test(test_sms_pp_command_concatenated),
		cmocka_unit_test(test_sms_pp_por_submit),
	};
	return cmocka_run_group_tests_name("ota_sms_pp", tests, NULL, NULL);
}
