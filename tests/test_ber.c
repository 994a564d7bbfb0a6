/* BER reader and writer: short and long lengths, high tags, indefinite lengths, truncation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ber.h"

static void test_short_and_long_lengths(void **state)
{
	(void)state;
	/* the same OCTET STRING 'ab' with 0x02, 0x81 02, 0x82 00 02, 0x83 00 00 02 */
	const uint8_t forms[4][7] = {{0x04, 0x02, 0xab, 0xcd},
				     {0x04, 0x81, 0x02, 0xab, 0xcd},
				     {0x04, 0x82, 0x00, 0x02, 0xab, 0xcd},
				     {0x04, 0x83, 0x00, 0x00, 0x02, 0xab, 0xcd}};
	for (unsigned k = 0; k < 4; k++) {
		size_t n = 4 + k;
		struct dfs_buf b = dfs_buf_init(forms[k], n, 100);
		struct ber_tlv t;
		struct dfs_err e = {0};
		assert_int_equal(ber_read(&b, &t, false, "x", "f", &e), 0);
		assert_int_equal(t.tag, BER_OCTET_STRING);
		assert_int_equal(t.len_octets, k);
		assert_int_equal(t.hdr_len, 2 + k);
		assert_int_equal(t.v.len, 2);
		assert_int_equal(t.v.p[0], 0xab);
		assert_int_equal(t.off, 100);
		assert_int_equal(t.total, n);
		assert_int_equal(dfs_buf_left(&b), 0);
		/* every truncation is a clean error and leaves the cursor alone */
		for (size_t cut = 0; cut < n; cut++) {
			struct dfs_buf c = dfs_buf_init(forms[k], cut, 100);
			assert_int_equal(ber_read(&c, &t, false, "x", "f", &e), -EBADMSG);
			assert_string_equal(e.layer, "x");
			assert_string_equal(e.field, "f");
			assert_true(e.offset >= 100 && e.offset <= 100 + cut);
			assert_int_equal(c.pos, 0);
		}
	}
}

static void test_long_length_300(void **state)
{
	(void)state;
	uint8_t buf[400] = {0x30, 0x82, 0x01, 0x2c};
	struct dfs_buf b = dfs_buf_init(buf, 304, 0);
	struct ber_tlv t;
	assert_int_equal(ber_read(&b, &t, false, "x", "f", NULL), 0);
	assert_int_equal(t.tag, BER_SEQUENCE);
	assert_int_equal(t.v.len, 300);
	b = dfs_buf_init(buf, 303, 0);
	struct dfs_err e;
	assert_int_equal(ber_read(&b, &t, false, "x", "f", &e), -EBADMSG);
	assert_string_equal(e.reason, "length past the end");
}

static void test_bad_forms(void **state)
{
	(void)state;
	struct ber_tlv t;
	struct dfs_err e;
	const uint8_t five[] = {0x04, 0x85, 0, 0, 0, 0, 1, 0xaa};
	struct dfs_buf b = dfs_buf_init(five, sizeof(five), 0);
	assert_int_equal(ber_read(&b, &t, true, "x", "f", &e), -EBADMSG);
	assert_int_equal(e.offset, 1);
	const uint8_t prim_indef[] = {0x04, 0x80, 0xaa, 0x00, 0x00};
	b = dfs_buf_init(prim_indef, sizeof(prim_indef), 0);
	assert_int_equal(ber_read(&b, &t, true, "x", "f", &e), -EBADMSG);
	assert_string_equal(e.reason, "indefinite length on a primitive element");
	const uint8_t cons_indef[] = {0x30, 0x80, 0x04, 0x01, 0xaa, 0x30,
				      0x80, 0x00, 0x00, 0x00, 0x00, 0x05};
	b = dfs_buf_init(cons_indef, sizeof(cons_indef), 0);
	assert_int_equal(ber_read(&b, &t, false, "x", "f", &e), -EBADMSG);
	assert_string_equal(e.reason, "indefinite length not allowed here");
	assert_int_equal(ber_read(&b, &t, true, "x", "f", &e), 0);
	assert_true(t.indefinite);
	assert_int_equal(t.v.len, 7); /* 04 01 aa 30 80 00 00 */
	assert_int_equal(t.total, 11);
	assert_int_equal(dfs_buf_left(&b), 1);
	for (size_t cut = 0; cut < 11; cut++) { /* no end-of-contents */
		b = dfs_buf_init(cons_indef, cut, 0);
		assert_int_equal(ber_read(&b, &t, true, "x", "f", &e), -EBADMSG);
	}
	/* high tag number form: [APPLICATION 300] */
	const uint8_t high[] = {0x5f, 0x82, 0x2c, 0x01, 0x07};
	b = dfs_buf_init(high, sizeof(high), 0);
	assert_int_equal(ber_read(&b, &t, false, "x", "f", &e), 0);
	assert_int_equal(t.tag, BER_A(300));
	const uint8_t leading_zero[] = {0x5f, 0x80, 0x01, 0x00};
	b = dfs_buf_init(leading_zero, sizeof(leading_zero), 0);
	assert_int_equal(ber_read(&b, &t, false, "x", "f", &e), -EBADMSG);
	/* wrong tag */
	const uint8_t i1[] = {0x02, 0x01, 0x05};
	b = dfs_buf_init(i1, sizeof(i1), 7);
	assert_int_equal(ber_expect(&b, BER_OCTET_STRING, &t, false, "x", "g", &e), -EBADMSG);
	assert_string_equal(e.reason, "unexpected tag");
	assert_int_equal(e.offset, 7);
}

static void test_integers(void **state)
{
	(void)state;
	const int32_t vals[] = {0,   1,	  127,	 128,	 -1,	     -128,     -129,
				255, 256, 32767, -32768, 0x7fffffff, INT32_MIN};
	const size_t lens[] = {1, 1, 1, 2, 1, 1, 2, 2, 2, 2, 2, 4, 4};
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		uint8_t out[8];
		struct dfs_wbuf w = dfs_wbuf_init(out, sizeof(out));
		ber_put_int(&w, BER_INTEGER, vals[i], 0);
		assert_true(dfs_wbuf_ok(&w));
		assert_int_equal(w.len, 2 + lens[i]);
		struct dfs_view v = {out + 2, out[1]};
		int32_t got;
		assert_int_equal(ber_int_value(&v, &got), 0);
		assert_int_equal(got, vals[i]);
	}
	struct dfs_view empty = {NULL, 0};
	int32_t got;
	assert_int_equal(ber_int_value(&empty, &got), -1);
}

static void test_writer_nesting(void **state)
{
	(void)state;
	uint8_t out[600];
	uint8_t big[200];
	memset(big, 0x5a, sizeof(big));
	for (unsigned fl = 0; fl <= BER_LEN_LONG; fl++) {
		struct dfs_wbuf w = dfs_wbuf_init(out, sizeof(out));
		struct ber_mark a = ber_open(&w, BER_SEQUENCE);
		struct ber_mark b = ber_open(&w, BER_CC(1));
		ber_put_tlv(&w, BER_C(0), "\x01\x02", 2, fl);
		ber_close(&w, b, fl);
		ber_put_tlv(&w, BER_OCTET_STRING, big, sizeof(big), fl);
		ber_put_tlv(&w, BER_TAG(BER_CLS_CTX, 40), "", 0, fl);
		ber_close(&w, a, fl);
		assert_true(dfs_wbuf_ok(&w));
		static const uint8_t short_form[] = {0x30, 0x81, 0xd4, 0xa1, 0x04, 0x80,
						     0x02, 0x01, 0x02, 0x04, 0x81, 0xc8};
		static const uint8_t long_form[] = {0x30, 0x81, 0xd7, 0xa1, 0x81, 0x05, 0x80,
						    0x81, 0x02, 0x01, 0x02, 0x04, 0x81, 0xc8};
		const uint8_t *want = fl ? long_form : short_form;
		size_t wl = fl ? sizeof(long_form) : sizeof(short_form);
		assert_memory_equal(out, want, wl);
		assert_int_equal(w.len, wl + 200 + (fl ? 4 : 3));
		assert_memory_equal(out + w.len - (fl ? 4 : 3),
				    fl ? "\x9f\x28\x81\x00" : "\x9f\x28\x00", fl ? 4 : 3);
		/* read it back */
		struct dfs_buf r = dfs_buf_init(out, w.len, 0), c;
		struct ber_tlv t;
		assert_int_equal(ber_expect(&r, BER_SEQUENCE, &t, false, "x", "f", NULL), 0);
		c = ber_contents(&t);
		assert_int_equal(ber_expect(&c, BER_CC(1), &t, false, "x", "f", NULL), 0);
		assert_int_equal(ber_expect(&c, BER_OCTET_STRING, &t, false, "x", "f", NULL), 0);
		assert_int_equal(t.v.len, 200);
		assert_int_equal(ber_expect(&c, BER_C(40), &t, false, "x", "f", NULL), 0);
		assert_int_equal(t.v.len, 0);
		assert_int_equal(dfs_buf_left(&c), 0);
	}
	/* overflow while inserting the length is reported, not written past the end */
	struct dfs_wbuf w = dfs_wbuf_init(out, 3);
	struct ber_mark a = ber_open(&w, BER_SEQUENCE);
	ber_put_tlv(&w, BER_NULL, NULL, 0, 0);
	ber_close(&w, a, 0);
	assert_false(dfs_wbuf_ok(&w));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_short_and_long_lengths),
	    cmocka_unit_test(test_long_length_300),
	    cmocka_unit_test(test_bad_forms),
	    cmocka_unit_test(test_integers),
	    cmocka_unit_test(test_writer_nesting),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
