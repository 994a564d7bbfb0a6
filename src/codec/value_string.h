/* Name tables for enums, as in libosmocore: { VALUE, "Name" } ... { 0, NULL }. */
#ifndef DFS_VALUE_STRING_H
#define DFS_VALUE_STRING_H
#include <stdint.h>

struct value_string {
	uint32_t value;
	const char *str;
};

/* The name of val, or "unknown" when it has none. Never returns NULL. */
const char *get_value_string(const struct value_string *vs, uint32_t val);
/* The name of val, or NULL. */
const char *get_value_string_or_null(const struct value_string *vs, uint32_t val);
/* The value for a name (case-sensitive); returns 0 on success, -1 when absent. */
int get_string_value(const struct value_string *vs, const char *str, uint32_t *val);

#endif
