/* E.164 country codes with a representative coordinate (the capital, or a regional centre for
 * the NANP areas that lie far apart), longest-prefix lookup, great-circle distance and the
 * travel-speed plausibility check used by the location rules.
 * Source of the codes: ITU-T E.164 assigned country codes (complement to E.164, 2023), the
 * NANP area codes for the countries sharing +1, and +7 6/7 for Kazakhstan. */
#ifndef DFS_GEO_H
#define DFS_GEO_H
#include <stdbool.h>
#include <stdint.h>

#include "digit_trie.h"

struct geo_country {
	const char *cc;   /* E.164 prefix: country code, or CC + area code for shared codes */
	const char *iso;  /* ISO 3166-1 alpha-2 */
	const char *name;
	double lat, lon;  /* degrees */
};

/* The whole table (n entries); never NULL. */
const struct geo_country *geo_table(unsigned *n);

struct geo_index {
	struct digit_trie trie; /* prefix -> table index */
};

/* 0 or -ENOMEM. */
int geo_index_init(struct geo_index *g);
void geo_index_free(struct geo_index *g);

/* The country of an E.164 number or GT (international format digits), or NULL. */
const struct geo_country *geo_lookup(const struct geo_index *g, const char *e164);
/* The country with ISO code iso (upper case), or NULL. */
const struct geo_country *geo_by_iso(const char *iso);

/* Great-circle (haversine) distance in km. */
double geo_distance_km(double lat1, double lon1, double lat2, double lon2);

/* Whether a move of km kilometres in elapsed_ms is possible at max_kmh, after forgiving
 * slack_km (representative points are a country's capital, not the subscriber's place). */
bool geo_travel_plausible(double km, uint64_t elapsed_ms, double max_kmh, double slack_km);

#endif
