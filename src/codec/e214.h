/* E.214 mobile global titles (TS 23.003 3.3 / ITU-T E.214): CC + NDC of the home network
 * followed by the MSIN, built from an IMSI (MCC + MNC + MSIN) with an operator-supplied map. */
#ifndef DFS_E214_H
#define DFS_E214_H
#include <stddef.h>

struct e214_map {
	const char *mcc_mnc; /* 5 or 6 digits */
	const char *cc_ndc;  /* E.164 country code + national destination code */
};

/* Writes CC+NDC+MSIN into out for the longest mcc_mnc prefix of imsi. Returns the digit
 * count, -ENOENT when no entry matches, -EINVAL for a bad IMSI, -ENOSPC when out is small. */
int e214_from_imsi(const char *imsi, const struct e214_map *map, size_t n, char *out, size_t outsz);

#endif
