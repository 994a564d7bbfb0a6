/* Channel limits and velocity (GW-LIMITS): per-transaction minimum and maximum, a daily
 * maximum per account (calendar day in the configured UTC offset), a velocity limit per
 * account (at most N debits in a sliding window, counted in the ledger) and per source (at
 * most N debits in a fixed window from one network / serving node, counted in memory). */
#ifndef DFS_CHANNEL_LIMITS_H
#define DFS_CHANNEL_LIMITS_H
#include <pthread.h>
#include <stdint.h>

#include "ledger.h"
#include "value_string.h"

struct limits_config {
	int64_t per_tx_min, per_tx_max; /* minor units, amount without fee */
	int64_t daily_max;              /* amount + fee debited per calendar day */
	unsigned account_count;         /* debits per account ... */
	int64_t account_window_s;       /* ... in this sliding window (0 = off) */
	unsigned source_count;          /* debits per source ... */
	int64_t source_window_s;        /* ... in this fixed window (0 = off) */
	int64_t tz_offset_s;            /* where the day starts, seconds east of UTC */
};

enum limit_result {
	LIMIT_OK = 0,
	LIMIT_MIN,
	LIMIT_PER_TX,
	LIMIT_DAILY,
	LIMIT_ACCOUNT_VELOCITY,
	LIMIT_SOURCE_VELOCITY,
};
extern const struct value_string limit_result_names[];

#define LIMITS_SOURCES 1024

struct limits_source {
	char key[40];
	int64_t window_start;
	unsigned count;
};

struct limits {
	struct limits_config cfg;
	pthread_mutex_t lock;
	struct limits_source src[LIMITS_SOURCES];
};

void limits_init(struct limits *L, const struct limits_config *cfg);
void limits_destroy(struct limits *L);
/* Would a debit of amount (+ fee) from account, arriving from source, be within limits?
 * 0 with *res set, or negative errno (database). */
int limits_check(struct limits *L, struct ledger *ledger, const char *account, const char *source,
		 int64_t amount, int64_t fee, int64_t now, enum limit_result *res);
/* Count an executed debit against its source. */
void limits_record(struct limits *L, const char *source, int64_t now);
/* Start of the calendar day containing now. */
int64_t limits_day_start(const struct limits_config *cfg, int64_t now);

#endif
