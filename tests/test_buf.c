/* The read cursor and the writer never step outside their buffers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdint.h>

#include "dfs_buf.h"
#include "value_string.h"

static void test_cursor_bounds(void **state)
{
	const uint8_t data[] = {0x01, 0x02, 0x03, 0x04, 0x05};
	struct dfs_buf b = dfs_buf_init(data, sizeof(data), 10);
	uint32_t v32;
	uint16_t v16;
	uint8_t v8;
	assert_int_equal(dfs_buf_u32(&b, &v32), 0);
	assert_int_equal(v32, 0x01020304);
	assert_int_equal(dfs_buf_abs(&b), 14);
	assert_int_equal(dfs_buf_u16(&b, &v16), -1); /* only one byte left */
	assert_int_equal(dfs_buf_left(&b), 1);
	assert_int_equal(dfs_buf_u8(&b, &v8), 0);
	assert_int_equal(v8, 5);
	assert_int_equal(dfs_buf_u8(&b, &v8), -1);
	struct dfs_buf sub;
	b = dfs_buf_init(data, sizeof(data), 0);
	assert_int_equal(dfs_buf_sub(&b, 6, &sub), -1);
	assert_int_equal(dfs_buf_sub(&b, 2, &sub), 0);
	assert_int_equal(sub.base, 0);
	assert_int_equal(dfs_buf_abs(&b), 2);
}

static void test_writer_overflow(void **state)
{
	uint8_t out[3];
	struct dfs_wbuf w = dfs_wbuf_init(out, sizeof(out));
	dfs_wbuf_u16(&w, 0xabcd);
	assert_true(dfs_wbuf_ok(&w));
	dfs_wbuf_u16(&w, 0x1234);
	assert_false(dfs_wbuf_ok(&w));
	assert_int_equal(w.len, 2);
}

static void test_value_string(void **state)
{
	static const struct value_string vs[] = {{1, "one"}, {2, "two"}, {0, NULL}};
	uint32_t v;
	assert_string_equal(get_value_string(vs, 2), "two");
	assert_string_equal(get_value_string(vs, 3), "unknown");
	assert_null(get_value_string_or_null(vs, 3));
	assert_int_equal(get_string_value(vs, "one", &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(get_string_value(vs, "three", &v), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cursor_bounds),
		cmocka_unit_test(test_writer_overflow),
		cmocka_unit_test(test_value_string),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
