/* GSM 03.38: alphabet, packing with fill bits and the USSD CR rule, UCS2, DCS groups,
 * and the USSD string of ../shared/vectors/captures/gsm_map_with_ussd_string.pcap. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gsm0338.h"

/* The ussd-String of frame 1 of gsm_map_with_ussd_string.pcap (DCS 0x0F). */
static const uint8_t capture_ussd[] = {0xaa, 0x18, 0x0d, 0xa6, 0x82, 0xdd, 0x6c,
				       0x31, 0x19, 0x2d, 0x36, 0xbb, 0xdd, 0x46};

static void test_capture_ussd(void **state)
{
	char text[64];
	assert_int_equal(ussd_decode_text(0x0f, capture_ussd, sizeof(capture_ussd), text, sizeof(text)), 16);
	assert_string_equal(text, "*140*0761241377#");
	uint8_t out[USSD_MAX_OCTETS];
	assert_int_equal(ussd_encode_text("*140*0761241377#", 0x0f, out, sizeof(out)), sizeof(capture_ussd));
	assert_memory_equal(out, capture_ussd, sizeof(capture_ussd));
}

static void test_known_packing(void **state)
{
	/* the classic TS 23.038 packing illustration: "hellohello" in 9 octets */
	const uint8_t hello[] = {0xe8, 0x32, 0x9b, 0xfd, 0x46, 0x97, 0xd9, 0xec, 0x37};
	uint8_t sept[16], out[16];
	char text[32];
	assert_int_equal(gsm7_encode("hellohello", sept, sizeof(sept)), 10);
	assert_int_equal(gsm7_pack(sept, 10, 0, out, sizeof(out)), 9);
	assert_memory_equal(out, hello, sizeof(hello));
	assert_int_equal(gsm7_unpack(hello, sizeof(hello), 0, 10, sept, sizeof(sept)), 10);
	assert_int_equal(gsm7_decode(sept, 10, text, sizeof(text)), 10);
	assert_string_equal(text, "hellohello");
	/* *100# as every USSD trace shows it */
	const uint8_t bal[] = {0xaa, 0x18, 0x0c, 0x36, 0x02};
	assert_int_equal(ussd_encode_text("*100#", 0x0f, out, sizeof(out)), 5);
	assert_memory_equal(out, bal, sizeof(bal));
}

static void test_fill_bits(void **state)
{
	/* after a 6-octet UDH (UDHL 5) one fill bit aligns the text to a septet boundary:
	 * "A" = 0x41 shifted left by one bit */
	uint8_t sept[1] = {0x41}, out[4], back[1];
	assert_int_equal(gsm7_pack(sept, 1, 1, out, sizeof(out)), 1);
	assert_int_equal(out[0], 0x82);
	assert_int_equal(gsm7_unpack(out, 1, 1, 1, back, 1), 1);
	assert_int_equal(back[0], 0x41);
	for (unsigned fill = 0; fill <= 6; fill++) {
		uint8_t s[50], p[64], u[50];
		for (size_t i = 0; i < sizeof(s); i++)
			s[i] = (uint8_t)((i * 37 + fill) & 0x7f);
		int n = gsm7_pack(s, sizeof(s), fill, p, sizeof(p));
		assert_int_equal(n, (int)((fill + 7 * sizeof(s) + 7) / 8));
		assert_int_equal(gsm7_unpack(p, (size_t)n, fill, sizeof(s), u, sizeof(u)), (int)sizeof(s));
		assert_memory_equal(s, u, sizeof(s));
		/* one octet short: clean error */
		assert_int_equal(gsm7_unpack(p, (size_t)n - 1, fill, sizeof(s), u, sizeof(u)), -EINVAL);
	}
	assert_int_equal(gsm7_pack(sept, 1, 7, out, sizeof(out)), -EINVAL);
}

static void test_cr_rule(void **state)
{
	uint8_t out[32];
	char text[64];
	/* 7 characters: the 7 spare bits carry CR (0x0D << 1 in the last octet) */
	int n = ussd_encode_text("1234567", 0x0f, out, sizeof(out));
	assert_int_equal(n, 7);
	assert_int_equal(out[6] >> 1, 0x0d);
	assert_int_equal(ussd_decode_text(0x0f, out, (size_t)n, text, sizeof(text)), 7);
	assert_string_equal(text, "1234567");
	/* without the rule the receiver would read '@' */
	uint8_t sept[8];
	assert_int_equal(gsm7_encode("1234567", sept, sizeof(sept)), 7);
	assert_int_equal(gsm7_pack(sept, 7, 0, out, sizeof(out)), 7);
	assert_int_equal(gsm7_unpack(out, 7, 0, 8, sept, sizeof(sept)), 8);
	assert_int_equal(sept[7], 0x00);
	/* a wanted CR ending on an octet boundary gets another CR */
	n = ussd_encode_text("1234567\r", 0x0f, out, sizeof(out));
	assert_int_equal(n, 8);
	assert_int_equal(out[7], 0x0d);
	assert_int_equal(ussd_decode_text(0x0f, out, (size_t)n, text, sizeof(text)), 9);
	assert_string_equal(text, "1234567\r\r"); /* CR CR means the same as CR (6.1.2.3.1) */
	/* 8 characters end on the boundary without a CR: nothing added */
	assert_int_equal(ussd_encode_text("12345678", 0x0f, out, sizeof(out)), 7);
	assert_int_equal(ussd_decode_text(0x0f, out, 7, text, sizeof(text)), 8);
	assert_string_equal(text, "12345678");
	/* 15 characters: the second octet group is padded too */
	n = ussd_encode_text("123456789012345", 0x0f, out, sizeof(out));
	assert_int_equal(n, 14);
	assert_int_equal(out[13] >> 1, 0x0d);
	assert_int_equal(ussd_decode_text(0x0f, out, (size_t)n, text, sizeof(text)), 15);
	assert_string_equal(text, "123456789012345");
}

static void test_alphabet(void **state)
{
	/* every basic character and every extension character round-trips */
	const char *all = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
			  "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
	const char *ext = "\f^{}\\[~]|€";
	uint8_t sept[256];
	char back[512];
	int n = gsm7_encode(all, sept, sizeof(sept));
	assert_int_equal(n, 127);
	for (int i = 0; i < n; i++)
		assert_int_equal(sept[i], i < 0x1b ? i : i + 1);
	assert_int_equal(gsm7_decode(sept, (size_t)n, back, sizeof(back)), (int)strlen(all));
	assert_string_equal(back, all);
	n = gsm7_encode(ext, sept, sizeof(sept));
	assert_int_equal(n, 20);
	const uint8_t ext_codes[] = {0x0a, 0x14, 0x28, 0x29, 0x2f, 0x3c, 0x3d, 0x3e, 0x40, 0x65};
	for (int i = 0; i < 10; i++) {
		assert_int_equal(sept[2 * i], GSM7_ESC);
		assert_int_equal(sept[2 * i + 1], ext_codes[i]);
	}
	assert_int_equal(gsm7_decode(sept, (size_t)n, back, sizeof(back)), (int)strlen(ext));
	assert_string_equal(back, ext);
	assert_int_equal(gsm7_count_septets("a€{"), 5);
	assert_int_equal(gsm7_count_septets("ç"), -EINVAL); /* not in the default alphabet */
	assert_int_equal(gsm7_count_septets("\xc3"), -EILSEQ);
	assert_int_equal(gsm7_count_septets("\xc0\xaf"), -EILSEQ); /* overlong '/' */
	/* receiving rules of 6.2.1.1 */
	const uint8_t odd[] = {GSM7_ESC, 0x41, GSM7_ESC, GSM7_ESC, 0x42, GSM7_ESC};
	assert_int_equal(gsm7_decode(odd, sizeof(odd), back, sizeof(back)), 4);
	assert_string_equal(back, "A B ");
	/* output too small: error, never an overrun */
	const uint8_t ab[] = {0x41, 0x42};
	assert_int_equal(gsm7_decode(ab, 2, back, 2), -ENOSPC);
	assert_int_equal(gsm7_decode(ab, 2, back, 3), 2);
	assert_int_equal(gsm7_encode("abc", sept, 2), -ENOSPC);
}

static void test_ucs2(void **state)
{
	/* "Привет 👋" : Cyrillic and a supplementary-plane character (surrogate pair) */
	const char *text = "Привет \xf0\x9f\x91\x8b";
	const uint8_t ucs2[] = {0x04, 0x1f, 0x04, 0x40, 0x04, 0x38, 0x04, 0x32, 0x04, 0x35,
				0x04, 0x42, 0x00, 0x20, 0xd8, 0x3d, 0xdc, 0x4b};
	uint8_t out[64];
	char back[64];
	assert_int_equal(ussd_encode_text(text, 0x48, out, sizeof(out)), sizeof(ucs2));
	assert_memory_equal(out, ucs2, sizeof(ucs2));
	assert_int_equal(ussd_decode_text(0x48, ucs2, sizeof(ucs2), back, sizeof(back)), (int)strlen(text));
	assert_string_equal(back, text);
	const uint8_t lone_hi[] = {0xd8, 0x3d, 0x00, 0x41}, lone_lo[] = {0xdc, 0x4b}, odd[] = {0x00, 0x41, 0x00};
	assert_int_equal(ucs2_to_utf8(lone_hi, sizeof(lone_hi), back, sizeof(back)), -EILSEQ);
	assert_int_equal(ucs2_to_utf8(lone_lo, sizeof(lone_lo), back, sizeof(back)), -EILSEQ);
	assert_int_equal(ucs2_to_utf8(odd, sizeof(odd), back, sizeof(back)), -EILSEQ);
	assert_int_equal(ucs2_to_utf8(lone_hi, 2, back, sizeof(back)), -EILSEQ);
	const uint8_t nul[] = {0x00, 0x41, 0x00, 0x00};
	assert_int_equal(ucs2_to_utf8(nul, sizeof(nul), back, sizeof(back)), -EILSEQ);
	assert_int_equal(ucs2_to_utf8(nul, 2, back, sizeof(back)), 1);
	/* DCS 0x11: two packed GSM-7 language characters ("en") then UCS2 */
	const uint8_t lang[] = {0x65, 0x37, 0x00, 0x48, 0x00, 0x69};
	assert_int_equal(ussd_decode_text(0x11, lang, sizeof(lang), back, sizeof(back)), 2);
	assert_string_equal(back, "Hi");
}

static void test_dcs(void **state)
{
	char back[64];
	/* section 5 groups as USSD uses them */
	assert_int_equal(cbs_dcs_parse(0x0f).charset, GSM_CHARSET_7BIT);
	assert_int_equal(cbs_dcs_parse(0x48).charset, GSM_CHARSET_UCS2);
	assert_int_equal(cbs_dcs_parse(0x44).charset, GSM_CHARSET_8BIT);
	assert_int_equal(cbs_dcs_parse(0x96).charset, GSM_CHARSET_8BIT); /* TS 31.115 USSD mode */
	assert_true(cbs_dcs_parse(0x96).has_class);
	assert_int_equal(cbs_dcs_parse(0x96).msg_class, 2);
	assert_int_equal(cbs_dcs_parse(0xf4).charset, GSM_CHARSET_8BIT);
	assert_int_equal(cbs_dcs_parse(0x01).charset, GSM_CHARSET_7BIT); /* English */
	assert_true(cbs_dcs_parse(0x60).compressed);
	assert_true(cbs_dcs_parse(0x80).reserved);
	assert_int_equal(cbs_dcs_parse(0x80).charset, GSM_CHARSET_7BIT);
	assert_true(cbs_dcs_parse(0x12).reserved);
	/* section 4 (SMS) */
	assert_int_equal(sms_dcs_parse(0x00).charset, GSM_CHARSET_7BIT);
	assert_int_equal(sms_dcs_parse(0x08).charset, GSM_CHARSET_UCS2);
	assert_int_equal(sms_dcs_parse(0xf6).charset, GSM_CHARSET_8BIT);
	assert_int_equal(sms_dcs_parse(0xf6).msg_class, 2);
	assert_int_equal(sms_dcs_parse(0x16).charset, GSM_CHARSET_8BIT);
	assert_true(sms_dcs_parse(0x16).has_class);
	assert_int_equal(sms_dcs_parse(0xe0).charset, GSM_CHARSET_UCS2);
	assert_int_equal(sms_dcs_parse(0xc8).charset, GSM_CHARSET_7BIT);
	assert_true(sms_dcs_parse(0x0c).reserved);
	assert_true(sms_dcs_parse(0x24).compressed);
	assert_string_equal(get_value_string(gsm_charset_names, GSM_CHARSET_UCS2), "UCS2");
	/* 8-bit USSD data is shown and taken as hex */
	const uint8_t bin[] = {0x02, 0x70, 0x00, 0xff};
	uint8_t out[8];
	assert_int_equal(ussd_decode_text(0x96, bin, sizeof(bin), back, sizeof(back)), 8);
	assert_string_equal(back, "027000ff");
	assert_int_equal(ussd_encode_text("027000FF", 0x96, out, sizeof(out)), 4);
	assert_memory_equal(out, bin, 4);
	assert_int_equal(ussd_encode_text("0g", 0x96, out, sizeof(out)), -EINVAL);
	assert_int_equal(ussd_encode_text("abc", 0x60, out, sizeof(out)), -ENOTSUP);
	assert_int_equal(ussd_decode_text(0x60, bin, sizeof(bin), back, sizeof(back)), -ENOTSUP);
	/* DCS 0x10: the language and its CR are not part of the text */
	uint8_t lang[16];
	int n = ussd_encode_text("en\rHello", 0x0f, lang, sizeof(lang));
	assert_true(n > 0);
	assert_int_equal(ussd_decode_text(0x10, lang, (size_t)n, back, sizeof(back)), 5);
	assert_string_equal(back, "Hello");
}

static void test_fits(void **state)
{
	char s[400];
	memset(s, '1', 182);
	s[182] = 0;
	assert_true(ussd_text_fits(s, 0x0f));
	s[182] = '1';
	s[183] = 0;
	assert_false(ussd_text_fits(s, 0x0f));
	memset(s, 0, sizeof(s));
	memset(s, '1', 181);
	strcat(s, "€"); /* 181 + 2 septets: too long */
	assert_false(ussd_text_fits(s, 0x0f));
	s[180] = 0;
	strcat(s, "€"); /* 180 + 2 */
	assert_true(ussd_text_fits(s, 0x0f));
	memset(s, 0, sizeof(s));
	for (int i = 0; i < 80; i++)
		strcat(s, "Ж");
	assert_true(ussd_text_fits(s, 0x48));
	strcat(s, "Ж");
	assert_false(ussd_text_fits(s, 0x48));
	assert_false(ussd_text_fits("ç", 0x0f));
}

/* Random septet strings: USSD packing round-trips except the documented CR doubling. */
static void test_random_round_trip(void **state)
{
	unsigned seed = 12345;
	for (int iter = 0; iter < 5000; iter++) {
		uint8_t sept[200], back[200], packed[USSD_MAX_OCTETS + 1];
		seed = seed * 1103515245u + 12345u;
		size_t n = 1 + (seed >> 16) % 182;
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			sept[i] = (uint8_t)((seed >> 16) & 0x7f);
		}
		if (iter % 3 == 0)
			sept[n - 1] = GSM7_CR;
		int o = gsm7_pack_ussd(sept, n, packed, sizeof(packed));
		assert_true(o > 0);
		int m = gsm7_unpack_ussd(packed, (size_t)o, back, sizeof(back));
		bool doubled = n % 8 == 0 && sept[n - 1] == GSM7_CR;
		assert_int_equal(m, (int)n + doubled);
		assert_memory_equal(sept, back, n);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_capture_ussd), cmocka_unit_test(test_known_packing),
		cmocka_unit_test(test_fill_bits),    cmocka_unit_test(test_cr_rule),
		cmocka_unit_test(test_alphabet),     cmocka_unit_test(test_ucs2),
		cmocka_unit_test(test_dcs),          cmocka_unit_test(test_fits),
		cmocka_unit_test(test_random_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
