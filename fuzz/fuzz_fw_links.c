/* libFuzzer target: the links section parser of dfsguard fw must accept or reject any YAML
 * cleanly, with every error in the "file:line: field: problem" form and within bounds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fw_links *l = malloc(sizeof(*l));
	struct cfg_errors *errs = malloc(sizeof(*errs));
	if (!l || !errs)
		abort();
	int rc = fw_links_parse_text("fuzz.yaml", (const char *)data, size, l, errs);
	if ((rc == 0) != (errs->n == 0) || errs->n > CFG_MAX_ERRORS)
		abort();
	for (unsigned i = 0; i < errs->n; i++)
		if (strncmp(errs->msg[i], "fuzz.yaml:", 10))
			abort();
	if (rc == 0 && (!l->relay.n_partners || !l->relay.n_homes ||
			l->relay.n_partners > RELAY_MAX_LINKS || l->relay.n_homes > RELAY_MAX_LINKS))
		abort();
	free(l);
	free(errs);
	return 0;
}
