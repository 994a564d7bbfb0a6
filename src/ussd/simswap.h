/* SIM swap state (GW-SIMSWAP, GW-SIMSWAP-API): which IMSI each MSISDN has, and when it last
 * changed. Fed by what the gateway sees in signalling (the IMSI of a dialogue), by the
 * operator's feed (HTTP endpoint and CSV import), and read by the cooling-period check and the
 * CAMARA SIM Swap API. Stored in the gateway database (tables subscribers, sim_swap_events). */
#ifndef DFS_SIMSWAP_H
#define DFS_SIMSWAP_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "udb.h"

struct simswap_info {
	bool known;          /* the MSISDN has been seen */
	char imsi[16];
	int64_t swapped_at;  /* unix seconds of the last IMSI change, 0 = none seen */
	int64_t first_seen;  /* when the pairing was first recorded */
};

/* Record that msisdn is served by imsi at time now. When a different IMSI was known, this is
 * a swap: swapped_at becomes now and an event is stored (*swapped = true). A report older
 * than the state it would replace is ignored. 0 or negative errno. */
int simswap_observe(struct udb *db, const char *msisdn, const char *imsi, int64_t now,
		    const char *source, bool *swapped);
/* 0 (info->known false when never seen) or negative errno. */
int simswap_get(struct udb *db, const char *msisdn, struct simswap_info *info);
/* True while a swap is younger than the cooling period. */
bool simswap_cooling(const struct simswap_info *info, int64_t now, int64_t cooling_s);

/* Operator feed as CSV: "msisdn,imsi,time" a line (time: unix seconds or
 * YYYY-MM-DDTHH:MM:SSZ), '#' comments and a header line "msisdn,..." allowed.
 * Stops at the first bad line with "line N: problem" in err. *swaps counts detected swaps. */
int simswap_import_csv(struct udb *db, FILE *f, const char *source, unsigned *lines,
		       unsigned *swaps, char *err, size_t errsz);

/* Digits-only MSISDN, 5..15 digits (E.164 without '+'). */
bool simswap_valid_msisdn(const char *s);
bool simswap_valid_imsi(const char *s);
/* Parse "YYYY-MM-DDTHH:MM:SS[.fff](Z|+hh:mm|-hh:mm)" or unix seconds. 0 or -EINVAL. */
int simswap_parse_time(const char *s, int64_t *out);
/* RFC 3339 UTC with milliseconds: "2024-09-18T07:37:53.000Z". */
void simswap_format_time(int64_t t, char *out, size_t outsz);

#endif
