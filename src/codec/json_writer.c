#include "json_writer.h"
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static void put(struct json_writer *j, const char *s, size_t n)
{
	if (j->overflow || j->cap - j->len < n + 1) {
		j->overflow = true;
		return;
	}
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	j->buf[j->len] = 0;
}
static void putc1(struct json_writer *j, char c) { put(j, &c, 1); }

void json_init(struct json_writer *j, char *buf, size_t cap)
{
	memset(j, 0, sizeof(*j));
	j->buf = buf;
	j->cap = cap;
	if (cap)
		buf[0] = 0;
	else
		j->overflow = true;
}

/* Before a value: a comma unless it is the first in its container or follows a key. */
static void before_value(struct json_writer *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->depth > 0 && !j->first[j->depth])
		putc1(j, ',');
	j->first[j->depth] = false;
}

static void open_(struct json_writer *j, char c)
{
	before_value(j);
	putc1(j, c);
	if (j->depth + 1 >= JSON_MAX_DEPTH) {
		j->overflow = true;
		return;
	}
	j->depth++;
	j->first[j->depth] = true;
}
static void close_(struct json_writer *j, char c)
{
	putc1(j, c);
	if (j->depth > 0)
		j->depth--;
}

void json_obj_begin(struct json_writer *j) { open_(j, '{'); }
void json_obj_end(struct json_writer *j) { close_(j, '}'); }
void json_arr_begin(struct json_writer *j) { open_(j, '['); }
void json_arr_end(struct json_writer *j) { close_(j, ']'); }

static void str_body(struct json_writer *j, const char *s, size_t n)
{
	putc1(j, '"');
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		unsigned char c = p[i];
		char esc[8];
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			put(j, esc, 2);
			i++;
		} else if (c < 0x20) {
			const char *named = c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" : NULL;
			if (named)
				put(j, named, 2);
			else {
				snprintf(esc, sizeof(esc), "\\u%04x", c);
				put(j, esc, 6);
			}
			i++;
		} else if (c < 0x80) {
			putc1(j, (char)c);
			i++;
		} else {
			/* pass through well-formed UTF-8 sequences, escape stray bytes */
			size_t need = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
			bool ok = need && i + need <= n;
			for (size_t k = 1; ok && k < need; k++)
				ok = (p[i + k] & 0xc0) == 0x80;
			if (ok) {
				put(j, s + i, need);
				i += need;
			} else {
				snprintf(esc, sizeof(esc), "\\u%04x", c);
				put(j, esc, 6);
				i++;
			}
		}
	}
	putc1(j, '"');
}

void json_key(struct json_writer *j, const char *key)
{
	before_value(j);
	str_body(j, key, strlen(key));
	putc1(j, ':');
	j->after_key = true;
}

void json_strn(struct json_writer *j, const char *s, size_t n)
{
	before_value(j);
	str_body(j, s, n);
}
void json_str(struct json_writer *j, const char *s)
{
	if (!s) {
		json_null(j);
		return;
	}
	json_strn(j, s, strlen(s));
}
void json_raw(struct json_writer *j, const char *s)
{
	before_value(j);
	put(j, s, strlen(s));
}
void json_int(struct json_writer *j, int64_t v)
{
	char t[24];
	snprintf(t, sizeof(t), "%" PRId64, v);
	json_raw(j, t);
}
void json_uint(struct json_writer *j, uint64_t v)
{
	char t[24];
	snprintf(t, sizeof(t), "%" PRIu64, v);
	json_raw(j, t);
}
void json_double(struct json_writer *j, double v, int decimals)
{
	char t[48];
	snprintf(t, sizeof(t), "%.*f", decimals, v);
	json_raw(j, t);
}
void json_bool(struct json_writer *j, bool v) { json_raw(j, v ? "true" : "false"); }
void json_null(struct json_writer *j) { json_raw(j, "null"); }
void json_hex(struct json_writer *j, const uint8_t *p, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	before_value(j);
	putc1(j, '"');
	for (size_t i = 0; i < n; i++) {
		char b[2] = {hx[p[i] >> 4], hx[p[i] & 15]};
		put(j, b, 2);
	}
	putc1(j, '"');
}

void json_kv_str(struct json_writer *j, const char *k, const char *v)
{
	json_key(j, k);
	json_str(j, v);
}
void json_kv_int(struct json_writer *j, const char *k, int64_t v)
{
	json_key(j, k);
	json_int(j, v);
}
void json_kv_uint(struct json_writer *j, const char *k, uint64_t v)
{
	json_key(j, k);
	json_uint(j, v);
}
void json_kv_bool(struct json_writer *j, const char *k, bool v)
{
	json_key(j, k);
	json_bool(j, v);
}
void json_kv_hex(struct json_writer *j, const char *k, const uint8_t *p, size_t n)
{
	json_key(j, k);
	json_hex(j, p, n);
}
