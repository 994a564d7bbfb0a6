#include "e214.h"

#include <errno.h>
#include <string.h>

int e214_from_imsi(const char *imsi, const struct e214_map *map, size_t n, char *out, size_t outsz)
{
	size_t len = strlen(imsi);
	if (len < 6 || len > 15 || strspn(imsi, "0123456789") != len)
		return -EINVAL;
	const struct e214_map *best = NULL;
	for (size_t i = 0; i < n; i++) {
		size_t k = strlen(map[i].mcc_mnc);
		if ((k == 5 || k == 6) && !strncmp(imsi, map[i].mcc_mnc, k) &&
		    (!best || k > strlen(best->mcc_mnc)))
			best = &map[i];
	}
	if (!best)
		return -ENOENT;
	const char *msin = imsi + strlen(best->mcc_mnc);
	size_t total = strlen(best->cc_ndc) + strlen(msin);
	if (total + 1 > outsz)
		return -ENOSPC;
	strcpy(out, best->cc_ndc);
	strcat(out, msin);
	return (int)total;
}
