/* The JSON writer produces valid, escaped JSON and reports overflow. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "json_writer.h"

static void test_nested(void **state)
{
	char buf[256];
	struct json_writer j;
	json_init(&j, buf, sizeof(buf));
	json_obj_begin(&j);
	json_kv_int(&j, "frame", 1);
	json_kv_str(&j, "s", "a\"b\\c\n\x01");
	json_key(&j, "list");
	json_arr_begin(&j);
	json_int(&j, 1);
	json_obj_begin(&j);
	json_kv_bool(&j, "x", true);
	json_obj_end(&j);
	json_str(&j, NULL);
	json_arr_end(&j);
	const unsigned char h[] = {0xde, 0xad};
	json_kv_hex(&j, "hex", h, 2);
	json_key(&j, "empty");
	json_obj_begin(&j);
	json_obj_end(&j);
	json_obj_end(&j);
	assert_true(json_ok(&j));
	assert_string_equal(buf, "{\"frame\":1,\"s\":\"a\\\"b\\\\c\\n\\u0001\",\"list\":[1,{\"x\":true},null],"
				 "\"hex\":\"dead\",\"empty\":{}}");
}

static void test_utf8(void **state)
{
	char buf[64];
	struct json_writer j;
	json_init(&j, buf, sizeof(buf));
	json_str(&j, "\xc3\xa9\xff");
	assert_string_equal(buf, "\"\xc3\xa9\\u00ff\"");
}

static void test_overflow(void **state)
{
	char buf[8];
	struct json_writer j;
	json_init(&j, buf, sizeof(buf));
	json_obj_begin(&j);
	json_kv_str(&j, "long-key", "value");
	json_obj_end(&j);
	assert_false(json_ok(&j));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nested),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_overflow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
