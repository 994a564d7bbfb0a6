#include "value_string.h"
#include <string.h>

const char *get_value_string_or_null(const struct value_string *vs, uint32_t val)
{
	for (; vs->str; vs++)
		if (vs->value == val)
			return vs->str;
	return NULL;
}

const char *get_value_string(const struct value_string *vs, uint32_t val)
{
	const char *s = get_value_string_or_null(vs, val);
	return s ? s : "unknown";
}

int get_string_value(const struct value_string *vs, const char *str, uint32_t *val)
{
	for (; vs->str; vs++)
		if (!strcmp(vs->str, str)) {
			*val = vs->value;
			return 0;
		}
	return -1;
}
