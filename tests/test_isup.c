/* ISUP codec (Q.763): real messages from m3ua_isup.cap, IAM round trips over the number fields,
 * every truncation point, bad input, and agreement with tshark (IAMs inside M3UA DATA). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "isup.h"
#include "m3ua.h"
#include "codec_testlib.h"
#include "tshark_oracle.h"

/* ../shared/vectors/captures/m3ua_isup.cap, the M3UA user data of frames 77 (IAM), 86 (ACM),
 * 87 (ANM), 434 (REL), 439 (RLC) */
static const char *const real_hex[] = {
	"0100010020010a030208060290214365000a0602132143658700",
	"01000616140100",
	"0100090100",
	"01000c020402849000",
	"01001000",
};

static void test_real_messages(void **state)
{
	(void)state;
	uint8_t b[64];
	struct isup_msg m;
	struct dfs_err e = {0};
	size_t n = unhex(real_hex[0], b, sizeof(b));
	assert_int_equal(isup_decode(b, n, 0, &m, &e), 0);
	assert_int_equal(m.cic, 1);
	assert_int_equal(m.msg_type, ISUP_IAM);
	assert_string_equal(isup_msg_type_name(m.msg_type), "IAM");
	assert_true(m.called.present && m.calling.present);
	assert_int_equal(m.called.nai, ISUP_NAI_UNKNOWN);
	assert_int_equal(m.called.npi, ISUP_NPI_ISDN);
	assert_false(m.called.odd);
	assert_string_equal(m.called.digits, "12345600");
	assert_int_equal(m.calling.nai, ISUP_NAI_UNKNOWN);
	assert_int_equal(m.calling.npi, ISUP_NPI_ISDN);
	assert_int_equal(m.calling.presentation, ISUP_PRES_ALLOWED);
	assert_int_equal(m.calling.screening, ISUP_SCR_NETWORK);
	assert_string_equal(m.calling.digits, "12345678");
	static const uint8_t types[] = {ISUP_ACM, ISUP_ANM, ISUP_REL, ISUP_RLC};
	for (size_t i = 1; i < 5; i++) {
		n = unhex(real_hex[i], b, sizeof(b));
		assert_int_equal(isup_decode(b, n, 0, &m, &e), 0);
		assert_int_equal(m.cic, 1);
		assert_int_equal(m.msg_type, types[i - 1]);
		assert_false(m.called.present || m.calling.present);
	}
	/* re-encoded from the struct: the same numbers; INN (called octet 2 bit 8) is not kept */
	uint8_t out[64];
	n = unhex(real_hex[0], b, sizeof(b));
	assert_int_equal(isup_decode(b, n, 0, &m, &e), 0);
	struct dfs_wbuf w = dfs_wbuf_init(out, sizeof(out));
	assert_int_equal(isup_encode_iam(&w, &m), 0);
	assert_int_equal(w.len, n);
	assert_memory_equal(out, b, 7);          /* CIC, type, NCI, FCI, CPC */
	assert_int_equal(out[7], ISUP_IAM_TMR);  /* the capture has 3.1 kHz audio */
	assert_memory_equal(out + 8, b + 8, 4);  /* pointers, called length, odd/NAI */
	assert_int_equal(out[12], b[12] & 0x7f); /* INN dropped */
	assert_memory_equal(out + 13, b + 13, n - 13);
}

static size_t build_iams(struct isup_msg *ms, size_t cap)
{
	static const char *const digits[] = {"4930123456", "493012345", "27821234567", "1", "", "2348031234567890"};
	size_t n = 0;
	for (uint8_t nai = 1; nai <= 4; nai++)
		for (uint8_t pres = 0; pres <= 2 && n < cap; pres++)
			for (uint8_t scr = 0; scr <= 3 && n < cap; scr++) {
				struct isup_msg *m = &ms[n];
				memset(m, 0, sizeof(*m));
				m->msg_type = ISUP_IAM;
				m->cic = (uint16_t)(n * 97 % 0x1000);
				m->called.present = true;
				m->called.nai = nai;
				m->called.npi = ISUP_NPI_ISDN;
				strcpy(m->called.digits, digits[n % 3]);
				if (n % 6 != 5) {
					m->calling.present = true;
					m->calling.nai = (uint8_t)(5 - nai);
					m->calling.npi = ISUP_NPI_ISDN;
					m->calling.presentation = pres;
					m->calling.screening = scr;
					strcpy(m->calling.digits, pres == ISUP_PRES_NOT_AVAILABLE ? "" : digits[(n + 1) % 3]);
				}
				m->called.odd = strlen(m->called.digits) % 2;
				m->calling.odd = strlen(m->calling.digits) % 2;
				n++;
			}
	return n;
}

static void assert_iam_equal(const struct isup_msg *a, const struct isup_msg *b)
{
	assert_int_equal(a->cic, b->cic);
	assert_int_equal(a->msg_type, b->msg_type);
	assert_int_equal(a->called.present, b->called.present);
	assert_int_equal(a->called.nai, b->called.nai);
	assert_int_equal(a->called.npi, b->called.npi);
	assert_int_equal(a->called.odd, b->called.odd);
	assert_string_equal(a->called.digits, b->called.digits);
	assert_int_equal(a->calling.present, b->calling.present);
	assert_int_equal(a->calling.nai, b->calling.nai);
	assert_int_equal(a->calling.npi, b->calling.npi);
	assert_int_equal(a->calling.odd, b->calling.odd);
	assert_int_equal(a->calling.presentation, b->calling.presentation);
	assert_int_equal(a->calling.screening, b->calling.screening);
	assert_string_equal(a->calling.digits, b->calling.digits);
}

static void test_round_trip(void **state)
{
	(void)state;
	struct isup_msg ms[48];
	size_t n = build_iams(ms, 48);
	assert_int_equal(n, 48);
	/* plus the extremes: 32 digits, ST and codes 11, 12 */
	strcpy(ms[0].called.digits, "12345678901234567890123456789012");
	strcpy(ms[1].called.digits, "12bc5f");
	ms[0].called.odd = ms[1].called.odd = false;
	for (size_t i = 0; i < n; i++) {
		uint8_t out[80], again[80];
		struct dfs_wbuf w = dfs_wbuf_init(out, sizeof(out));
		assert_int_equal(isup_encode_iam(&w, &ms[i]), 0);
		struct isup_msg m;
		struct dfs_err e = {0};
		assert_int_equal(isup_decode(out, w.len, 0, &m, &e), 0);
		assert_iam_equal(&ms[i], &m);
		struct dfs_wbuf w2 = dfs_wbuf_init(again, sizeof(again));
		assert_int_equal(isup_encode_iam(&w2, &m), 0);
		assert_int_equal(w2.len, w.len);
		assert_memory_equal(again, out, w.len);
	}
}

static void test_truncation(void **state)
{
	(void)state;
	struct isup_msg ms[48];
	size_t n = build_iams(ms, 48);
	for (size_t i = 0; i < n + 5; i++) {
		uint8_t b[80];
		size_t len;
		if (i < n) {
			struct dfs_wbuf w = dfs_wbuf_init(b, sizeof(b));
			assert_int_equal(isup_encode_iam(&w, &ms[i]), 0);
			len = w.len;
		} else {
			len = unhex(real_hex[i - n], b, sizeof(b));
		}
		for (size_t k = 0; k < len; k++) {
			struct isup_msg m;
			struct dfs_err e = {0};
			assert_int_equal(isup_decode(b, k, 40, &m, &e), -EBADMSG);
			assert_string_equal(e.layer, "isup");
			assert_non_null(e.field);
			assert_true(e.offset >= 40 && e.offset <= 40 + k);
		}
	}
}

static void test_bad_input(void **state)
{
	(void)state;
	uint8_t b[64];
	struct isup_msg m;
	struct dfs_err e = {0};
	size_t n = unhex("0100010020010a0300", b, sizeof(b)); /* called pointer zero */
	assert_int_equal(isup_decode(b, n, 0, &m, &e), -EBADMSG);
	assert_string_equal(e.reason, "mandatory pointer is zero");
	n = unhex("0100010020010a0302080101", b, sizeof(b)); /* called number of one octet */
	assert_int_equal(isup_decode(b, n, 0, &m, &e), -EBADMSG);
	assert_string_equal(e.field, "called party number");
	/* optional part without its end */
	n = unhex("0100010020010a030208060290214365000a06021321436587", b, sizeof(b));
	assert_int_equal(isup_decode(b, n, 0, &m, &e), -EBADMSG);
	assert_string_equal(e.reason, "end of optional parameters missing");
	assert_int_equal(e.offset, n);
	n = unhex("0100010020010a030208060290214365000a0202130a", b, sizeof(b));
	assert_int_equal(isup_decode(b, n, 0, &m, &e), -EBADMSG);
	assert_string_equal(e.reason, "optional parameter truncated");
	n = unhex("0100010020010a030208060290214365000a020213", b, sizeof(b));
	assert_int_equal(isup_decode(b, n, 0, &m, &e), -EBADMSG);
	assert_string_equal(e.reason, "end of optional parameters missing");
	/* a type whose format is not checked: CIC and type only */
	n = unhex("05006f", b, sizeof(b));
	assert_int_equal(isup_decode(b, n, 0, &m, &e), 0);
	assert_int_equal(m.cic, 5);
	assert_string_equal(isup_msg_type_name(0x6f), "unknown");
	/* encoder refusals */
	struct isup_msg ok;
	memset(&ok, 0, sizeof(ok));
	ok.called.present = true;
	strcpy(ok.called.digits, "123");
	uint8_t out[80];
	struct dfs_wbuf w = dfs_wbuf_init(out, sizeof(out));
	assert_int_equal(isup_encode_iam(&w, &ok), 0);
	struct isup_msg bad = ok;
	bad.cic = 0x1000;
	w = dfs_wbuf_init(out, sizeof(out));
	assert_int_equal(isup_encode_iam(&w, &bad), -EINVAL);
	bad = ok;
	strcpy(bad.called.digits, "12-3");
	w = dfs_wbuf_init(out, sizeof(out));
	assert_int_equal(isup_encode_iam(&w, &bad), -EINVAL);
	bad = ok;
	bad.calling.present = true;
	bad.calling.screening = 4;
	w = dfs_wbuf_init(out, sizeof(out));
	assert_int_equal(isup_encode_iam(&w, &bad), -EINVAL);
	w = dfs_wbuf_init(out, 10);
	assert_int_equal(isup_encode_iam(&w, &ok), -ENOSPC);
	assert_string_equal(get_value_string(isup_screening_names, ISUP_SCR_NETWORK), "network provided");
}

static void test_tshark_agreement(void **state)
{
	(void)state;
	if (!oracle_have_tshark()) {
		skip();
		return;
	}
	struct isup_msg ms[48];
	size_t n = build_iams(ms, 48);
	static uint8_t frames[48][128];
	const uint8_t *pdus[48];
	size_t lens[48];
	for (size_t i = 0; i < n; i++) {
		uint8_t iam[80];
		struct dfs_wbuf w = dfs_wbuf_init(iam, sizeof(iam));
		assert_int_equal(isup_encode_iam(&w, &ms[i]), 0);
		struct m3ua_proto_data pd = {.opc = 1, .dpc = 2, .si = 5, .ni = 2, .user_data = {iam, w.len}};
		struct dfs_wbuf f = dfs_wbuf_init(frames[i], sizeof(frames[i]));
		assert_int_equal(m3ua_encode_data(&f, NULL, &pd), 0);
		pdus[i] = frames[i], lens[i] = f.len;
	}
	char path[128];
	oracle_tmpname(path, sizeof(path), "isup");
	assert_int_equal(oracle_write_export(path, "m3ua", pdus, lens, n), 0);
	static const char *const fields[] = {
		"isup.cic", "isup.message_type", "isup.called_party_nature_of_address_indicator",
		"isup.calling_party_nature_of_address_indicator", "isup.numbering_plan_indicator",
		"isup.isdn_odd_even_indicator", "isup.address_presentation_restricted_indicator",
		"isup.screening_indicator", "isup.called", "isup.calling",
	};
	enum { NF = sizeof(fields) / sizeof(fields[0]) };
	char *out = oracle_fields(path, fields, NF);
	assert_non_null(out);
	int malformed = oracle_malformed(path);
	unsigned mismatches = 0;
	for (size_t i = 0; i < n; i++) {
		struct isup_msg m;
		struct dfs_err e = {0};
		assert_int_equal(isup_decode(pdus[i] + 24, lens[i] - 24, 24, &m, &e), 0);
		char want[NF][128];
		memset(want, 0, sizeof(want));
		snprintf(want[0], 128, "%u", m.cic);
		snprintf(want[1], 128, "%u", m.msg_type);
		snprintf(want[2], 128, "%u", m.called.nai);
		snprintf(want[4], 128, "%u", m.called.npi);
		snprintf(want[5], 128, "%u", m.called.odd);
		snprintf(want[8], 128, "%s", m.called.digits);
		if (m.calling.present) {
			snprintf(want[3], 128, "%u", m.calling.nai);
			snprintf(want[4] + strlen(want[4]), 64, ",%u", m.calling.npi);
			snprintf(want[5] + strlen(want[5]), 64, ",%u", m.calling.odd);
			snprintf(want[6], 128, "%u", m.calling.presentation);
			snprintf(want[7], 128, "%u", m.calling.screening);
			snprintf(want[9], 128, "%s", m.calling.digits);
		}
		char line[4096], got[512];
		assert_non_null(oracle_line(out, i, line, sizeof(line)));
		for (size_t k = 0; k < NF; k++) {
			oracle_field(line, k, got, sizeof(got));
			if (strcmp(got, want[k])) {
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
		cmocka_unit_test(test_tshark_agreement),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
