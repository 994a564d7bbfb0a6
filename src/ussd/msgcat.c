/* Message catalogue, see msgcat.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "msgcat.h"

void msgcat_free(struct msgcat *c)
{
	for (unsigned i = 0; i < c->n; i++) {
		free(c->m[i].key);
		free(c->m[i].text);
	}
	c->n = 0;
}

const char *msgcat_get(const struct msgcat *c, const char *key)
{
	for (unsigned i = 0; i < c->n; i++)
		if (!strcmp(c->m[i].key, key))
			return c->m[i].text;
	return "";
}

int msgcat_load(struct msgcat *c, const char *path, const char *const *required, char *err,
		size_t errsz)
{
	memset(c, 0, sizeof(*c));
	FILE *f = fopen(path, "rb");
	if (!f) {
		int e = errno;
		snprintf(err, errsz, "%s: %s", path, strerror(e));
		return -e;
	}
	yaml_parser_t p;
	yaml_document_t d;
	yaml_parser_initialize(&p);
	yaml_parser_set_input_file(&p, f);
	int ret = 0;
	if (!yaml_parser_load(&p, &d)) {
		snprintf(err, errsz, "%s:%zu: %s", path, p.problem_mark.line + 1,
			 p.problem ? p.problem : "YAML syntax error");
		yaml_parser_delete(&p);
		fclose(f);
		return -EINVAL;
	}
	yaml_node_t *root = yaml_document_get_root_node(&d);
	if (!root || root->type != YAML_MAPPING_NODE) {
		snprintf(err, errsz, "%s:1: messages: want a mapping of key: text", path);
		ret = -EINVAL;
		goto out;
	}
	for (yaml_node_pair_t *pr = root->data.mapping.pairs.start;
	     pr < root->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(&d, pr->key);
		yaml_node_t *v = yaml_document_get_node(&d, pr->value);
		if (k->type != YAML_SCALAR_NODE || v->type != YAML_SCALAR_NODE) {
			snprintf(err, errsz, "%s:%zu: messages: want key: text", path,
				 k->start_mark.line + 1);
			ret = -EINVAL;
			goto out;
		}
		const char *key = (const char *)k->data.scalar.value;
		if (*msgcat_get(c, key)) {
			snprintf(err, errsz, "%s:%zu: %s: defined twice", path,
				 k->start_mark.line + 1, key);
			ret = -EINVAL;
			goto out;
		}
		if (c->n >= MSGCAT_MAX) {
			snprintf(err, errsz, "%s:%zu: %s: more than %d messages", path,
				 k->start_mark.line + 1, key, MSGCAT_MAX);
			ret = -E2BIG;
			goto out;
		}
		c->m[c->n].key = strdup(key);
		c->m[c->n].text = strdup((const char *)v->data.scalar.value);
		c->n++;
	}
	for (const char *const *r = required; r && *r; r++)
		if (!*msgcat_get(c, *r)) {
			snprintf(err, errsz, "%s: %s: message missing", path, *r);
			ret = -ENOENT;
			goto out;
		}
out:
	yaml_document_delete(&d);
	yaml_parser_delete(&p);
	fclose(f);
	if (ret)
		msgcat_free(c);
	return ret;
}

int msgcat_format(const struct msgcat *c, const char *key, char *out, size_t outsz, ...)
{
	va_list ap;
	va_start(ap, outsz);
	int rc = msgcat_vformat(c, key, out, outsz, ap);
	va_end(ap);
	return rc;
}

int msgcat_vformat(const struct msgcat *c, const char *key, char *out, size_t outsz, va_list ap)
{
	const char *t = msgcat_get(c, key);
	const char *names[16], *vals[16];
	unsigned nargs = 0;
	for (const char *n; nargs < 16 && (n = va_arg(ap, const char *));) {
		names[nargs] = n;
		vals[nargs++] = va_arg(ap, const char *);
	}
	size_t o = 0;
	while (*t) {
		const char *rep = NULL;
		size_t skip = 1;
		if (*t == '{') {
			const char *close = strchr(t, '}');
			for (unsigned i = 0; close && i < nargs; i++) {
				size_t nl = strlen(names[i]);
				if ((size_t)(close - t - 1) == nl && !strncmp(t + 1, names[i], nl)) {
					rep = vals[i] ? vals[i] : "";
					skip = nl + 2;
					break;
				}
			}
		}
		size_t add = rep ? strlen(rep) : 1;
		if (o + add >= outsz)
			return -E2BIG;
		memcpy(out + o, rep ? rep : t, add);
		o += add;
		t += skip;
	}
	if (outsz == 0)
		return -E2BIG;
	out[o] = 0;
	return (int)o;
}
