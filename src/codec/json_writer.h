/* A small JSON writer into a caller-owned fixed buffer (no allocation): used for decode
 * output, alerts and metrics. Strings are escaped per RFC 8259; invalid UTF-8 bytes are
 * written as \u00XX so output is always valid JSON. On overflow the writer marks itself
 * failed and the caller can flush and retry with a bigger buffer. */
#ifndef DFS_JSON_WRITER_H
#define DFS_JSON_WRITER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_DEPTH 16

struct json_writer {
	char *buf;
	size_t cap, len;
	bool overflow;
	int depth;
	bool after_key;
	bool first[JSON_MAX_DEPTH];
};

void json_init(struct json_writer *j, char *buf, size_t cap);
void json_obj_begin(struct json_writer *j);
void json_obj_end(struct json_writer *j);
void json_arr_begin(struct json_writer *j);
void json_arr_end(struct json_writer *j);
/* Keys: call json_key() then a value, or the json_kv_* shorthands. */
void json_key(struct json_writer *j, const char *key);
void json_str(struct json_writer *j, const char *s);
void json_strn(struct json_writer *j, const char *s, size_t n);
void json_int(struct json_writer *j, int64_t v);
void json_uint(struct json_writer *j, uint64_t v);
void json_double(struct json_writer *j, double v, int decimals);
void json_bool(struct json_writer *j, bool v);
void json_null(struct json_writer *j);
void json_hex(struct json_writer *j, const uint8_t *p, size_t n); /* lower-case hex string */
void json_raw(struct json_writer *j, const char *s);              /* pre-formatted JSON value */
void json_kv_str(struct json_writer *j, const char *k, const char *v);
void json_kv_int(struct json_writer *j, const char *k, int64_t v);
void json_kv_uint(struct json_writer *j, const char *k, uint64_t v);
void json_kv_bool(struct json_writer *j, const char *k, bool v);
void json_kv_hex(struct json_writer *j, const char *k, const uint8_t *p, size_t n);
static inline bool json_ok(const struct json_writer *j) { return !j->overflow && j->depth == 0; }

#endif
