/* TBCD digits: round trips, odd counts, fillers, bad input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdint.h>
#include <string.h>

#include "tbcd.h"

static void test_imsi(void **state)
{
	/* IMSI 111111111111111 as it appears in ../shared/vectors/sigfw-cases.md */
	const uint8_t imsi[] = {0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0xf1};
	char out[17];
	assert_int_equal(tbcd_decode(imsi, sizeof(imsi), -1, out, sizeof(out)), 15);
	assert_string_equal(out, "111111111111111");
}

static void test_round_trip(void **state)
{
	const char *cases[] = {"", "1", "12", "491721234567", "2348031234567", "*140*0761#", "abc"};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t enc[16];
		char dec[33];
		int n = tbcd_encode(cases[i], enc, sizeof(enc));
		assert_int_equal(n, (int)(strlen(cases[i]) + 1) / 2);
		assert_int_equal(tbcd_decode(enc, (size_t)n, -1, dec, sizeof(dec)), (int)strlen(cases[i]));
		assert_string_equal(dec, cases[i]);
	}
}

static void test_bad(void **state)
{
	uint8_t enc[2];
	char dec[4];
	assert_int_equal(tbcd_encode("12x", enc, sizeof(enc)), -1);
	assert_int_equal(tbcd_encode("12345", enc, sizeof(enc)), -1); /* no room */
	const uint8_t mid_filler[] = {0xf1, 0x21};
	assert_int_equal(tbcd_decode(mid_filler, 2, -1, dec, sizeof(dec)), -1);
	const uint8_t four[] = {0x21, 0x43};
	assert_int_equal(tbcd_decode(four, 2, -1, dec, 4), -1); /* 4 digits + NUL do not fit 4 */
	assert_int_equal(tbcd_decode(four, 2, 3, dec, 4), 3);   /* odd count from the caller */
	assert_string_equal(dec, "123");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_imsi),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_bad),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
