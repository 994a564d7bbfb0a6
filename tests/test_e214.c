/* E.214 global titles from IMSIs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "e214.h"

static const struct e214_map map[] = {
	{"26201", "49171"},  /* Telekom DE: CC 49, NDC 171 */
	{"310150", "1310"},  /* a 3-digit MNC */
	{"31015", "1999"},   /* shorter prefix must lose to the 6-digit one */
};

static void test_e214(void **state)
{
	char gt[33];
	/* TS 23.003 example shape: MCC 262 MNC 01 MSIN 1234567890 -> 49 171 1234567890 */
	assert_int_equal(e214_from_imsi("262011234567890", map, 3, gt, sizeof(gt)), 15);
	assert_string_equal(gt, "491711234567890");
	assert_int_equal(e214_from_imsi("310150123456789", map, 3, gt, sizeof(gt)), 13);
	assert_string_equal(gt, "1310123456789");
	assert_int_equal(e214_from_imsi("208011234567890", map, 3, gt, sizeof(gt)), -ENOENT);
	assert_int_equal(e214_from_imsi("26201x", map, 3, gt, sizeof(gt)), -EINVAL);
	assert_int_equal(e214_from_imsi("2620112345678901", map, 3, gt, sizeof(gt)), -EINVAL);
	assert_int_equal(e214_from_imsi("262011234567890", map, 3, gt, 15), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_e214)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
