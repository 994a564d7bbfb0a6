/* Subscriber state learned from signalling: where each subscriber is served, the IMSI <->
 * MSISDN binding (a change is a SIM-swap signal), and rate counters.
 *
 * One interface (a vtable) so the firewall can keep state in process (sub_state_mem_new) or
 * share it between nodes (sub_state_redis_new). Every call takes the time explicitly, in
 * milliseconds on the caller's clock, so that tests and capture replays are deterministic.
 * Implementations bound their memory and forget entries that were not updated for a TTL.
 * A backend that can fail (Redis) returns a negative errno other than -ENOENT; callers treat
 * that as "state unknown" (no record, no swap, no rate limit hit). */
#ifndef DFS_SUBSTATE_H
#define DFS_SUBSTATE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sigmsg.h"

#define SUB_IMSI_MAX 16 /* 15 digits + NUL */

struct sub_record {
	char vlr[DFS_DIGITS_MAX + 1];  /* serving VLR number (or the VLR GT) */
	char msc[DFS_DIGITS_MAX + 1];  /* serving MSC number */
	char sgsn[DFS_DIGITS_MAX + 1]; /* serving SGSN number */
	uint64_t loc_ms;    /* last evidence of the serving location (0: location unknown) */
	char loc_node[DFS_DIGITS_MAX + 1]; /* the node that gave that evidence (for its country) */
	uint64_t moved_ms;  /* when the serving network last changed (0: never seen to change) */
	char msisdn[SUB_IMSI_MAX];
	uint64_t msisdn_ms;
};

struct sub_state_stats {
	uint64_t subscribers, msisdns, rate_keys;
	uint64_t evictions, expirations;
	uint64_t errors; /* operations that failed (a shared backend unreachable); 0 in process */
};

/* Rate counter families, so that the same digits can be counted for several purposes. */
enum rate_kind { RATE_SRI_SM_SOURCE = 1, RATE_SRI_SM_TARGET = 2 };

struct sub_state;
struct sub_state_ops {
	/* 0 and *out filled, or -ENOENT (never seen or expired). */
	int (*get)(struct sub_state *s, const char *imsi, uint64_t now, struct sub_record *out);
	/* Store the whole record (creating it). 0 or negative errno. */
	int (*put)(struct sub_state *s, const char *imsi, const struct sub_record *rec, uint64_t now);
	/* Bind msisdn to imsi in both directions. Returns 1 when the MSISDN was bound to another
	 * IMSI before (a SIM swap; old_imsi gets it), 0 otherwise, or a negative errno. */
	int (*bind)(struct sub_state *s, const char *msisdn, const char *imsi, uint64_t now,
		    char old_imsi[SUB_IMSI_MAX]);
	/* 0 and imsi filled, or -ENOENT. */
	int (*imsi_of)(struct sub_state *s, const char *msisdn, uint64_t now, char imsi[SUB_IMSI_MAX]);
	/* Token bucket of `count` tokens refilled over per_s seconds, keyed by kind + key.
	 * Returns 0 when a token was taken, 1 when the limit is exceeded (nothing taken), or a
	 * negative errno (callers must not count that as exceeded). */
	int (*rate_take)(struct sub_state *s, enum rate_kind kind, const char *key, uint32_t count,
			 uint32_t per_s, uint64_t now);
	/* Forget what was not updated for the TTLs. */
	void (*expire)(struct sub_state *s, uint64_t now);
	void (*stats)(struct sub_state *s, struct sub_state_stats *st);
	void (*destroy)(struct sub_state *s);
};

struct sub_state {
	const struct sub_state_ops *ops;
};

struct sub_state_limits {
	uint32_t max_subscribers; /* IMSI records; MSISDN bindings get the same cap */
	uint32_t max_rate_keys;
	uint64_t subscriber_ttl_ms;
	uint64_t rate_ttl_ms;
};

enum sub_state_backend { SUB_STATE_MEMORY = 0, SUB_STATE_REDIS = 1 };

/* A Redis server shared by several nodes (docs/configuration.md, state.redis). */
struct sub_state_redis_cfg {
	char address[256];       /* "HOST:PORT", "[V6]:PORT" or "unix:/PATH"; "" = 127.0.0.1:6379 */
	char prefix[64];         /* key prefix; "" = "dfsg:" */
	uint32_t timeout_ms;     /* connect and command timeout; 0 = 50 */
	uint32_t reconnect_ms;   /* first wait before reconnecting, doubling up to 5 s; 0 = 100 */
	char password_file[256]; /* "" = no AUTH; else the file's first line is the password */
	uint32_t cache_ms;       /* node-local read cache of records for this long (caller's time); 0 = off */
	uint32_t cache_entries;  /* its size; 0 = 100000 */
};

/* The in-process implementation; NULL on bad limits or out of memory. */
struct sub_state *sub_state_mem_new(const struct sub_state_limits *lim);

/* The Redis implementation. The connection is made now (a failure is an error here, with a
 * message in err that never contains the password); later failures make the calls return
 * -EIO / -ETIMEDOUT / -ENOTCONN and the next call after a backoff reconnects. NULL on error. */
struct sub_state *sub_state_redis_new(const struct sub_state_redis_cfg *cfg,
				      const struct sub_state_limits *lim, char *err, size_t errsz);

/* Parse a state.redis address: 0 with host and port (port 0: host is a unix socket path), or
 * -EINVAL. "" is the default, 127.0.0.1:6379. */
int sub_state_redis_address(const char *addr, char *host, size_t hostsz, int *port);

/* The configured backend: memory (redis is ignored) or Redis. NULL with a message in err. */
struct sub_state *sub_state_open(enum sub_state_backend backend, const struct sub_state_redis_cfg *redis,
				 const struct sub_state_limits *lim, char *err, size_t errsz);

/* Which implementation s is. */
enum sub_state_backend sub_state_backend_of(const struct sub_state *s);

/* SQLite snapshot of an in-process state (for a firewall restart): 0 or negative errno with a
 * message in err. Loading replaces the current content; entries keep their update times. */
int sub_state_mem_save(struct sub_state *s, const char *path, char *err, size_t errsz);
int sub_state_mem_load(struct sub_state *s, const char *path, char *err, size_t errsz);

#endif
