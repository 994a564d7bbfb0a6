/* Message catalogue for USSD screens: a flat YAML mapping of message keys to texts with
 * {placeholders} (config/messages/en.yaml). Every key the gateway and the wallet use must be
 * present; msgcat_load() checks that, and that no text is longer than a screen allows once
 * its placeholders hold their longest values (see msgcat_check_fit in the tests). */
#ifndef DFS_MSGCAT_H
#define DFS_MSGCAT_H
#include <stdarg.h>
#include <stddef.h>

#define MSGCAT_MAX 96

struct msgcat {
	unsigned n;
	struct {
		char *key;
		char *text;
	} m[MSGCAT_MAX];
};

/* Load a catalogue; required is a NULL-terminated list of keys that must be present.
 * 0 or negative errno with "file:line: key: problem" in err. */
int msgcat_load(struct msgcat *c, const char *path, const char *const *required, char *err,
		size_t errsz);
void msgcat_free(struct msgcat *c);
/* The text of a key ("" when absent, which msgcat_load's required list prevents). */
const char *msgcat_get(const struct msgcat *c, const char *key);
/* Render key into out, replacing {name} with the value given for name. args: name, value
 * pairs, then NULL. Unknown placeholders stay as they are. Returns the length or -E2BIG. */
int msgcat_format(const struct msgcat *c, const char *key, char *out, size_t outsz, ...);
int msgcat_vformat(const struct msgcat *c, const char *key, char *out, size_t outsz, va_list ap);

#endif
