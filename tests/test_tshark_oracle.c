/* The oracle helpers themselves: a hand-made M3UA ASPUP and DATA must come back from tshark
 * with the values we put in, and a truncated one must be flagged as malformed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "tshark_oracle.h"

static const uint8_t aspup[] = {1, 0, 3, 1, 0, 0, 0, 8};
/* DATA, Protocol Data OPC 1, DPC 2, SI 3, NI 2, MP 0, SLS 5, 4 bytes of user data (bad SCCP) */
static const uint8_t data_short[] = {1, 0, 1, 1, 0, 0, 0, 0x1c, 0x02, 0x10, 0, 0x14, 0, 0, 0, 1,
				     0, 0, 0, 2, 3, 2, 0, 5, 0x09, 0x80, 0x03, 0x0e};

static void oracle_agrees_and_flags_malformed(void **state)
{
	if (!oracle_have_tshark())
		skip();
	char path[128];
	oracle_tmpname(path, sizeof(path), "oracle");
	const uint8_t *pdus[] = {aspup, data_short};
	size_t lens[] = {sizeof(aspup), sizeof(data_short)};
	assert_int_equal(oracle_write_export(path, "m3ua", pdus, lens, 2), 0);
	const char *fields[] = {"m3ua.message_class", "m3ua.message_type", "m3ua.protocol_data_opc",
				"m3ua.protocol_data_dpc"};
	char *out = oracle_fields(path, fields, 4);
	assert_non_null(out);
	char line[256], f[64];
	assert_non_null(oracle_line(out, 0, line, sizeof(line)));
	assert_string_equal(oracle_field(line, 0, f, sizeof(f)), "3");
	assert_string_equal(oracle_field(line, 1, f, sizeof(f)), "1");
	assert_non_null(oracle_line(out, 1, line, sizeof(line)));
	assert_string_equal(oracle_field(line, 2, f, sizeof(f)), "1");
	assert_string_equal(oracle_field(line, 3, f, sizeof(f)), "2");
	free(out);
	assert_int_equal(oracle_malformed(path), 1);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(oracle_agrees_and_flags_malformed)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
