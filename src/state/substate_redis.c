/* Subscriber state in Redis, shared by several firewall nodes (DESIGN.md "Embedded default and
 * scale").
 *
 * Keys (PREFIX is the configured prefix, "dfsg:" by default):
 *   PREFIX s:IMSI        hash: vlr msc sgsn loc node moved msisdn mts upd (a struct sub_record)
 *   PREFIX m:MSISDN      hash: imsi upd (the binding)
 *   PREFIX r:KIND:KEY    hash: units last (a token bucket, as in substate_mem.c)
 *   PREFIX stats         hash: subscribers msisdns rate_keys (keys created, by every node)
 * Times are the callers' (the `now` arguments), stored as fields: a record whose `upd` is more
 * than the subscriber TTL before `now` is treated as absent, exactly as in process, so capture
 * replays give the same results. Redis' own clock is used only through PEXPIRE, to bound
 * memory: every write sets the key's expiry to the TTL.
 *
 * Updates that read and write (bind, put, rate_take) are Lua scripts, atomic in Redis, so two
 * nodes binding one MSISDN to different IMSIs at the same moment see exactly one change. The
 * scripts are loaded once per connection (SCRIPT LOAD) and run with EVALSHA; a NOSCRIPT answer
 * (the server lost its script cache) falls back to EVAL.
 *
 * With cache_ms, records read (or written) by this node are kept in a local LRU table and served
 * from it for cache_ms of the caller's time, negative answers too: another node's update is seen
 * up to cache_ms late. A bind of this node drops the IMSI's entry; bindings themselves are never
 * cached, so a SIM swap is still detected once, in Redis.
 *
 * A failure (no connection, timeout, error reply) makes the call return a negative errno and is
 * counted; the connection is dropped and the next call after a backoff (reconnect_ms doubling
 * up to 5 s) connects again. While waiting, calls fail at once without touching the network. */
#include "substate.h"

#include <errno.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lru_table.h"

#define REDIS_DEFAULT_ADDR "127.0.0.1:6379"
#define REDIS_DEFAULT_PREFIX "dfsg:"
#define REDIS_BACKOFF_MAX_MS 5000u
#define REDIS_PASSWORD_MAX 512
#define REDIS_KEY_MAX 160

/* KEYS[1] record, KEYS[2] stats; ARGV now ttl vlr msc sgsn loc node moved msisdn mts.
 * The whole record is written, except that a live record's binding written later (by another
 * node between this node's get and put) is kept. */
static const char lua_put[] =
	"local now, ttl = tonumber(ARGV[1]), tonumber(ARGV[2])\n"
	"local cur = redis.call('HMGET', KEYS[1], 'upd', 'mts')\n"
	"if not cur[1] then redis.call('HINCRBY', KEYS[2], 'subscribers', 1) end\n"
	"local keep = cur[1] and now - tonumber(cur[1]) <= ttl and cur[2]"
	" and tonumber(cur[2]) > tonumber(ARGV[10])\n"
	"redis.call('HSET', KEYS[1], 'upd', ARGV[1], 'vlr', ARGV[3], 'msc', ARGV[4], 'sgsn', ARGV[5],"
	" 'loc', ARGV[6], 'node', ARGV[7], 'moved', ARGV[8])\n"
	"if not keep then redis.call('HSET', KEYS[1], 'msisdn', ARGV[9], 'mts', ARGV[10]) end\n"
	"redis.call('PEXPIRE', KEYS[1], ARGV[2])\n"
	"return 0\n";

/* KEYS[1] binding, KEYS[2] record, KEYS[3] stats; ARGV now ttl imsi msisdn.
 * Returns {1, old_imsi} when the MSISDN was bound to another IMSI, else {0}. */
static const char lua_bind[] =
	"local now, ttl = tonumber(ARGV[1]), tonumber(ARGV[2])\n"
	"local function live(upd) return upd and now - tonumber(upd) <= ttl end\n"
	"local b = redis.call('HMGET', KEYS[1], 'imsi', 'upd')\n"
	"local old = false\n"
	"if b[1] and live(b[2]) and b[1] ~= ARGV[3] then old = b[1] end\n"
	"if not b[2] then redis.call('HINCRBY', KEYS[3], 'msisdns', 1) end\n"
	"redis.call('HSET', KEYS[1], 'imsi', ARGV[3], 'upd', ARGV[1])\n"
	"redis.call('PEXPIRE', KEYS[1], ARGV[2])\n"
	"local r = redis.call('HMGET', KEYS[2], 'msisdn', 'upd')\n"
	"if not r[2] then redis.call('HINCRBY', KEYS[3], 'subscribers', 1) end\n"
	"if not live(r[2]) then\n"
	"  redis.call('DEL', KEYS[2])\n"
	"  redis.call('HSET', KEYS[2], 'msisdn', ARGV[4], 'upd', ARGV[1])\n"
	"elseif r[1] ~= ARGV[4] then\n"
	"  redis.call('HSET', KEYS[2], 'msisdn', ARGV[4], 'upd', ARGV[1])\n"
	"end\n"
	"redis.call('HSET', KEYS[2], 'mts', ARGV[1])\n"
	"redis.call('PEXPIRE', KEYS[2], ARGV[2])\n"
	"if old then return {1, old} end\n"
	"return {0}\n";

/* KEYS[1] bucket, KEYS[2] stats; ARGV now count per_s ttl. The token bucket of substate_mem.c:
 * one token is per_s * 1000 units, every millisecond adds `count` units. 0 taken, 1 exceeded. */
static const char lua_rate[] =
	"local now, count, per = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])\n"
	"local token = per * 1000\n"
	"local full = count * token\n"
	"local b = redis.call('HMGET', KEYS[1], 'units', 'last')\n"
	"local units, last\n"
	"if not b[1] then\n"
	"  units, last = full, now\n"
	"  redis.call('HINCRBY', KEYS[2], 'rate_keys', 1)\n"
	"else\n"
	"  units, last = tonumber(b[1]), tonumber(b[2])\n"
	"  if now > last then\n"
	"    local add = (now - last) * count\n"
	"    if add >= full - units then units = full else units = units + add end\n"
	"    last = now\n"
	"  end\n"
	"end\n"
	"local over = 0\n"
	"if units < token then over = 1 else units = units - token end\n"
	"redis.call('HSET', KEYS[1], 'units', string.format('%.0f', units), 'last',"
	" string.format('%.0f', last))\n"
	"redis.call('PEXPIRE', KEYS[1], ARGV[4])\n"
	"return over\n";

enum { SCRIPT_PUT, SCRIPT_BIND, SCRIPT_RATE, SCRIPT_COUNT };
static const char *const scripts[SCRIPT_COUNT] = {lua_put, lua_bind, lua_rate};

struct sub_redis {
	struct sub_state base; /* first */
	struct sub_state_limits lim;
	char host[256];
	int port; /* 0: host is a unix socket path */
	char prefix[64];
	struct timeval timeout;
	char password[REDIS_PASSWORD_MAX + 1];
	bool has_password;
	redisContext *c;
	char sha[SCRIPT_COUNT][41];
	uint32_t backoff_min_ms, backoff_ms;
	uint64_t retry_at; /* monotonic ms before which no reconnect is tried */
	uint64_t errors;
	char last_error[256];
	struct lru_table cache; /* digits_key(IMSI) -> struct cached_record, when cache_ms */
	uint64_t cache_ms;
};

struct cached_record {
	char imsi[SUB_IMSI_MAX];
	uint64_t fetched_ms, upd_ms; /* when read here; the record's last update */
	bool present;
	struct sub_record rec;
};

static struct sub_redis *rds(struct sub_state *s) { return (struct sub_redis *)s; }

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int sub_state_redis_address(const char *addr, char *host, size_t hostsz, int *port)
{
	if (!addr[0])
		addr = REDIS_DEFAULT_ADDR;
	if (!strncmp(addr, "unix:", 5)) {
		if (addr[5] != '/' || strlen(addr + 5) >= hostsz || strlen(addr + 5) >= 108)
			return -EINVAL;
		snprintf(host, hostsz, "%s", addr + 5);
		*port = 0;
		return 0;
	}
	const char *colon, *h = addr;
	size_t hl;
	if (addr[0] == '[') {
		const char *close = strchr(addr, ']');
		if (!close || close[1] != ':')
			return -EINVAL;
		h = addr + 1;
		hl = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(addr, ':');
		if (!colon || strchr(addr, ':') != colon)
			return -EINVAL;
		hl = (size_t)(colon - addr);
	}
	if (!hl || hl >= hostsz)
		return -EINVAL;
	char *end;
	long p = strtol(colon + 1, &end, 10);
	if (!colon[1] || *end || p < 1 || p > 65535)
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = 0;
	*port = (int)p;
	return 0;
}

/* The password: the file's first line, trailing white space removed. */
static int read_password(const char *path, char *out, size_t outsz, char *err, size_t errsz)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		int e = errno;
		snprintf(err, errsz, "redis password_file %s: %s", path, strerror(e));
		return -e;
	}
	size_t n = fread(out, 1, outsz - 1, f);
	fclose(f);
	out[n] = 0;
	out[strcspn(out, "\r\n")] = 0;
	n = strlen(out);
	while (n && (out[n - 1] == ' ' || out[n - 1] == '\t'))
		out[--n] = 0;
	if (!n) {
		snprintf(err, errsz, "redis password_file %s: empty", path);
		return -EINVAL;
	}
	return 0;
}

static int ctx_errno(const redisContext *c)
{
	if (c->err == REDIS_ERR_IO)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == ETIMEDOUT ? -ETIMEDOUT : -EIO;
	if (c->err == REDIS_ERR_EOF)
		return -ECONNRESET;
	return -EIO;
}

static void drop(struct sub_redis *r, int rc, const char *what)
{
	if (r->c) {
		snprintf(r->last_error, sizeof(r->last_error), "%s: %.120s", what, r->c->errstr[0] ? r->c->errstr : strerror(-rc));
		redisFree(r->c);
		r->c = NULL;
	}
	r->retry_at = mono_ms() + r->backoff_ms;
	r->backoff_ms = r->backoff_ms * 2 > REDIS_BACKOFF_MAX_MS ? REDIS_BACKOFF_MAX_MS : r->backoff_ms * 2;
}

/* One command on the connection; the reply or NULL with *rc set (and the connection dropped on
 * a connection error). An error reply is returned to the caller. */
static redisReply *command(struct sub_redis *r, int argc, const char **argv, const size_t *argvlen, int *rc)
{
	redisReply *rep = redisCommandArgv(r->c, argc, argv, argvlen);
	if (!rep) {
		*rc = ctx_errno(r->c);
		drop(r, *rc, "redis");
	}
	return rep;
}

static int connect_redis(struct sub_redis *r)
{
	r->c = r->port ? redisConnectWithTimeout(r->host, r->port, r->timeout)
		       : redisConnectUnixWithTimeout(r->host, r->timeout);
	if (!r->c)
		return -ENOMEM;
	int rc = 0;
	if (r->c->err) {
		rc = strstr(r->c->errstr, "timed out") ? -ETIMEDOUT : -ECONNREFUSED;
		drop(r, rc, "redis connect");
		return rc;
	}
	if (redisSetTimeout(r->c, r->timeout) != REDIS_OK) {
		drop(r, -EIO, "redis timeout");
		return -EIO;
	}
	redisReply *rep;
	if (r->has_password) {
		const char *argv[] = {"AUTH", r->password};
		size_t len[] = {4, strlen(r->password)};
		if (!(rep = command(r, 2, argv, len, &rc)))
			return rc;
		bool ok = rep->type == REDIS_REPLY_STATUS;
		freeReplyObject(rep);
		if (!ok) {
			/* the reply names no password; keep it out of the message anyway */
			redisFree(r->c);
			r->c = NULL;
			snprintf(r->last_error, sizeof(r->last_error), "redis: authentication refused");
			drop(r, -EACCES, "redis");
			return -EACCES;
		}
	}
	for (int i = 0; i < SCRIPT_COUNT; i++) {
		const char *argv[] = {"SCRIPT", "LOAD", scripts[i]};
		size_t len[] = {6, 4, strlen(scripts[i])};
		if (!(rep = command(r, 3, argv, len, &rc)))
			return rc;
		bool ok = rep->type == REDIS_REPLY_STRING && rep->len == 40;
		if (ok)
			memcpy(r->sha[i], rep->str, 41);
		else
			snprintf(r->last_error, sizeof(r->last_error), "redis SCRIPT LOAD: %.200s",
				 rep->type == REDIS_REPLY_ERROR ? rep->str : "unexpected reply");
		freeReplyObject(rep);
		if (!ok) {
			redisFree(r->c);
			r->c = NULL;
			drop(r, -EIO, "redis");
			return -EIO;
		}
	}
	r->backoff_ms = r->backoff_min_ms;
	return 0;
}

/* A usable connection, or a negative errno (counted) while Redis is away. */
static int ready(struct sub_redis *r)
{
	if (r->c)
		return 0;
	int rc = mono_ms() < r->retry_at ? -ENOTCONN : connect_redis(r);
	if (rc < 0)
		r->errors++;
	return rc;
}

/* Run a command; NULL (error counted, *rc set) on failure or an error reply. For EVALSHA of
 * `script` (else -1), a NOSCRIPT answer (the server lost its script cache) is retried as EVAL. */
static redisReply *run(struct sub_redis *r, int argc, const char **argv, size_t *argvlen, int script, int *rc)
{
	if ((*rc = ready(r)) < 0)
		return NULL;
	redisReply *rep = command(r, argc, argv, argvlen, rc);
	if (script >= 0 && rep && rep->type == REDIS_REPLY_ERROR && !strncmp(rep->str, "NOSCRIPT", 8)) {
		freeReplyObject(rep);
		argv[0] = "EVAL";
		argv[1] = scripts[script];
		argvlen[0] = 4;
		argvlen[1] = strlen(scripts[script]);
		rep = command(r, argc, argv, argvlen, rc);
	}
	if (rep && rep->type == REDIS_REPLY_ERROR) {
		snprintf(r->last_error, sizeof(r->last_error), "redis: %.200s", rep->str);
		freeReplyObject(rep);
		rep = NULL;
		*rc = -EIO;
	}
	if (!rep)
		r->errors++;
	return rep;
}

/* EVALSHA script with keys and arguments (strings). */
static redisReply *run_script(struct sub_redis *r, int script, int nkeys, const char **keys, int nargs,
			      const char **args, int *rc)
{
	const char *argv[16];
	size_t len[16];
	char nk[4];
	snprintf(nk, sizeof(nk), "%d", nkeys);
	int argc = 0;
	argv[argc++] = "EVALSHA";
	argv[argc++] = r->sha[script];
	argv[argc++] = nk;
	for (int i = 0; i < nkeys; i++)
		argv[argc++] = keys[i];
	for (int i = 0; i < nargs; i++)
		argv[argc++] = args[i];
	for (int i = 0; i < argc; i++)
		len[i] = strlen(argv[i]);
	return run(r, argc, argv, len, script, rc);
}

static void key_of(const struct sub_redis *r, char *out, const char *kind, const char *digits)
{
	snprintf(out, REDIS_KEY_MAX, "%s%s%.64s", r->prefix, kind, digits);
}

static void copy_field(char *dst, size_t dstsz, const redisReply *e)
{
	size_t n = 0;
	if (e->type == REDIS_REPLY_STRING) {
		n = e->len < dstsz - 1 ? e->len : dstsz - 1;
		memcpy(dst, e->str, n);
	}
	dst[n] = 0;
}

static uint64_t num_field(const redisReply *e)
{
	if (e->type == REDIS_REPLY_INTEGER)
		return (uint64_t)e->integer;
	return e->type == REDIS_REPLY_STRING ? strtoull(e->str, NULL, 10) : 0;
}

/* A hash's `upd` field is within the TTL of now (a later `upd` is live too). */
static bool live(const redisReply *upd, uint64_t now, uint64_t ttl_ms)
{
	if (upd->type != REDIS_REPLY_STRING)
		return false;
	uint64_t t = num_field(upd);
	return now <= t || now - t <= ttl_ms;
}

/* The cached answer for imsi (0 or -ENOENT), or 1 when there is none valid at now. */
static int cache_get(struct sub_redis *r, const char *imsi, uint64_t now, struct sub_record *out)
{
	if (!r->cache_ms)
		return 1;
	const struct cached_record *c = lru_get(&r->cache, digits_key(imsi), 0, now, 0);
	if (!c || strcmp(c->imsi, imsi) || now < c->fetched_ms || now - c->fetched_ms > r->cache_ms)
		return 1;
	if (!c->present || (now > c->upd_ms && now - c->upd_ms > r->lim.subscriber_ttl_ms))
		return -ENOENT;
	*out = c->rec;
	return 0;
}

static void cache_put(struct sub_redis *r, const char *imsi, uint64_t now, uint64_t upd, const struct sub_record *rec)
{
	if (!r->cache_ms || strlen(imsi) >= SUB_IMSI_MAX)
		return;
	struct cached_record *c = lru_put(&r->cache, digits_key(imsi), 0, now, NULL);
	memcpy(c->imsi, imsi, strlen(imsi) + 1);
	c->fetched_ms = now;
	c->upd_ms = upd;
	c->present = rec != NULL;
	if (rec)
		c->rec = *rec;
}

static int redis_get(struct sub_state *s, const char *imsi, uint64_t now, struct sub_record *out)
{
	struct sub_redis *r = rds(s);
	int cached = cache_get(r, imsi, now, out);
	if (cached <= 0)
		return cached;
	char key[REDIS_KEY_MAX];
	key_of(r, key, "s:", imsi);
	const char *argv[] = {"HMGET", key, "vlr", "msc", "sgsn", "loc", "node", "moved", "msisdn", "mts", "upd"};
	size_t len[11];
	for (int i = 0; i < 11; i++)
		len[i] = strlen(argv[i]);
	int rc;
	redisReply *rep = run(r, 11, argv, len, -1, &rc);
	if (!rep)
		return rc;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 9) {
		freeReplyObject(rep);
		r->errors++;
		return -EPROTO;
	}
	redisReply **e = rep->element;
	rc = -ENOENT;
	if (live(e[8], now, r->lim.subscriber_ttl_ms)) {
		memset(out, 0, sizeof(*out));
		copy_field(out->vlr, sizeof(out->vlr), e[0]);
		copy_field(out->msc, sizeof(out->msc), e[1]);
		copy_field(out->sgsn, sizeof(out->sgsn), e[2]);
		out->loc_ms = num_field(e[3]);
		copy_field(out->loc_node, sizeof(out->loc_node), e[4]);
		out->moved_ms = num_field(e[5]);
		copy_field(out->msisdn, sizeof(out->msisdn), e[6]);
		out->msisdn_ms = num_field(e[7]);
		rc = 0;
	}
	cache_put(r, imsi, now, rc == 0 ? num_field(e[8]) : 0, rc == 0 ? out : NULL);
	freeReplyObject(rep);
	return rc;
}

/* Integer script result, or rc < 0. */
static int script_int(struct sub_redis *r, int script, int nkeys, const char **keys, int nargs, const char **args)
{
	int rc;
	redisReply *rep = run_script(r, script, nkeys, keys, nargs, args, &rc);
	if (!rep)
		return rc;
	rc = rep->type == REDIS_REPLY_INTEGER ? (int)rep->integer : -EPROTO;
	if (rc < 0)
		r->errors++;
	freeReplyObject(rep);
	return rc;
}

#define NUM(buf, v) (snprintf(buf, sizeof(buf), "%llu", (unsigned long long)(v)), buf)

static int redis_put(struct sub_state *s, const char *imsi, const struct sub_record *rec, uint64_t now)
{
	struct sub_redis *r = rds(s);
	if (!imsi[0])
		return -EINVAL;
	char key[REDIS_KEY_MAX], stats[REDIS_KEY_MAX], n[5][24];
	key_of(r, key, "s:", imsi);
	key_of(r, stats, "stats", "");
	const char *keys[] = {key, stats};
	const char *args[] = {NUM(n[0], now), NUM(n[1], r->lim.subscriber_ttl_ms), rec->vlr, rec->msc, rec->sgsn,
			      NUM(n[2], rec->loc_ms), rec->loc_node, NUM(n[3], rec->moved_ms), rec->msisdn,
			      NUM(n[4], rec->msisdn_ms)};
	int rc = script_int(r, SCRIPT_PUT, 2, keys, 10, args);
	if (rc < 0)
		return rc;
	cache_put(r, imsi, now, now, rec);
	return 0;
}

static int redis_bind(struct sub_state *s, const char *msisdn, const char *imsi, uint64_t now,
		      char old_imsi[SUB_IMSI_MAX])
{
	struct sub_redis *r = rds(s);
	if (!msisdn[0] || !imsi[0])
		return -EINVAL;
	char mkey[REDIS_KEY_MAX], skey[REDIS_KEY_MAX], stats[REDIS_KEY_MAX], n[2][24];
	key_of(r, mkey, "m:", msisdn);
	key_of(r, skey, "s:", imsi);
	key_of(r, stats, "stats", "");
	const char *keys[] = {mkey, skey, stats};
	const char *args[] = {NUM(n[0], now), NUM(n[1], r->lim.subscriber_ttl_ms), imsi, msisdn};
	int rc;
	redisReply *rep = run_script(r, SCRIPT_BIND, 3, keys, 4, args, &rc);
	if (!rep)
		return rc;
	rc = -EPROTO;
	if (rep->type == REDIS_REPLY_ARRAY && rep->elements >= 1 && rep->element[0]->type == REDIS_REPLY_INTEGER) {
		rc = rep->element[0]->integer == 1 ? 1 : 0;
		if (rc == 1 && rep->elements == 2)
			copy_field(old_imsi, SUB_IMSI_MAX, rep->element[1]);
		else if (rc == 1)
			rc = -EPROTO;
	}
	if (rc < 0)
		r->errors++;
	else if (r->cache_ms)
		lru_del(&r->cache, digits_key(imsi), 0);
	freeReplyObject(rep);
	return rc;
}

static int redis_imsi_of(struct sub_state *s, const char *msisdn, uint64_t now, char imsi[SUB_IMSI_MAX])
{
	struct sub_redis *r = rds(s);
	char key[REDIS_KEY_MAX];
	key_of(r, key, "m:", msisdn);
	const char *argv[] = {"HMGET", key, "imsi", "upd"};
	size_t len[] = {5, strlen(key), 4, 3};
	int rc;
	redisReply *rep = run(r, 4, argv, len, -1, &rc);
	if (!rep)
		return rc;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2) {
		freeReplyObject(rep);
		r->errors++;
		return -EPROTO;
	}
	rc = -ENOENT;
	if (rep->element[0]->type == REDIS_REPLY_STRING && live(rep->element[1], now, r->lim.subscriber_ttl_ms)) {
		copy_field(imsi, SUB_IMSI_MAX, rep->element[0]);
		rc = 0;
	}
	freeReplyObject(rep);
	return rc;
}

static int redis_rate_take(struct sub_state *s, enum rate_kind kind, const char *key, uint32_t count,
			   uint32_t per_s, uint64_t now)
{
	struct sub_redis *r = rds(s);
	if (!count || !per_s)
		return 0;
	char bkey[REDIS_KEY_MAX], stats[REDIS_KEY_MAX], kd[64], n[4][24];
	snprintf(kd, sizeof(kd), "%d:%.48s", (int)kind, key);
	key_of(r, bkey, "r:", kd);
	key_of(r, stats, "stats", "");
	const char *keys[] = {bkey, stats};
	const char *args[] = {NUM(n[0], now), NUM(n[1], count), NUM(n[2], per_s), NUM(n[3], r->lim.rate_ttl_ms)};
	return script_int(r, SCRIPT_RATE, 2, keys, 4, args);
}

/* Redis expires keys itself (PEXPIRE); records older than the TTL are already ignored. */
static void redis_expire(struct sub_state *s, uint64_t now) {}

/* subscribers, msisdns, rate_keys: keys created by all nodes sharing the prefix since the data
 * was emptied; keys Redis expired are not subtracted (an upper bound of what is stored). */
static void redis_stats(struct sub_state *s, struct sub_state_stats *st)
{
	struct sub_redis *r = rds(s);
	char key[REDIS_KEY_MAX];
	key_of(r, key, "stats", "");
	const char *argv[] = {"HMGET", key, "subscribers", "msisdns", "rate_keys"};
	size_t len[] = {5, strlen(key), 11, 7, 9};
	memset(st, 0, sizeof(*st));
	int rc;
	redisReply *rep = run(r, 5, argv, len, -1, &rc);
	if (rep && rep->type == REDIS_REPLY_ARRAY && rep->elements == 3) {
		st->subscribers = num_field(rep->element[0]);
		st->msisdns = num_field(rep->element[1]);
		st->rate_keys = num_field(rep->element[2]);
	}
	if (rep)
		freeReplyObject(rep);
	st->errors = r->errors;
}

static void redis_destroy(struct sub_state *s)
{
	struct sub_redis *r = rds(s);
	if (!r)
		return;
	if (r->c)
		redisFree(r->c);
	if (r->cache_ms)
		lru_free(&r->cache);
	explicit_bzero(r->password, sizeof(r->password));
	free(r);
}

static const struct sub_state_ops sub_state_redis_ops = {
	.get = redis_get,
	.put = redis_put,
	.bind = redis_bind,
	.imsi_of = redis_imsi_of,
	.rate_take = redis_rate_take,
	.expire = redis_expire,
	.stats = redis_stats,
	.destroy = redis_destroy,
};

struct sub_state *sub_state_redis_new(const struct sub_state_redis_cfg *cfg,
				      const struct sub_state_limits *lim, char *err, size_t errsz)
{
	if (!lim->subscriber_ttl_ms || !lim->rate_ttl_ms) {
		snprintf(err, errsz, "redis state: the TTLs must not be 0");
		return NULL;
	}
	struct sub_redis *r = calloc(1, sizeof(*r));
	if (!r) {
		snprintf(err, errsz, "redis state: out of memory");
		return NULL;
	}
	r->base.ops = &sub_state_redis_ops;
	r->lim = *lim;
	if (sub_state_redis_address(cfg->address, r->host, sizeof(r->host), &r->port)) {
		snprintf(err, errsz, "redis address '%s': expected HOST:PORT, [V6]:PORT or unix:/PATH", cfg->address);
		free(r);
		return NULL;
	}
	snprintf(r->prefix, sizeof(r->prefix), "%s", cfg->prefix[0] ? cfg->prefix : REDIS_DEFAULT_PREFIX);
	uint32_t t = cfg->timeout_ms ? cfg->timeout_ms : 50;
	r->timeout = (struct timeval){.tv_sec = t / 1000, .tv_usec = (t % 1000) * 1000};
	r->backoff_min_ms = r->backoff_ms = cfg->reconnect_ms ? cfg->reconnect_ms : 100;
	if (cfg->cache_ms && lru_init(&r->cache, cfg->cache_entries ? cfg->cache_entries : 100000,
				      sizeof(struct cached_record))) {
		snprintf(err, errsz, "redis state: cannot allocate the local cache");
		free(r);
		return NULL;
	}
	r->cache_ms = cfg->cache_ms;
	if (cfg->password_file[0]) {
		if (read_password(cfg->password_file, r->password, sizeof(r->password), err, errsz) < 0) {
			redis_destroy(&r->base);
			return NULL;
		}
		r->has_password = true;
	}
	int rc = connect_redis(r);
	if (rc < 0) {
		snprintf(err, errsz, "%s (%s)", r->last_error[0] ? r->last_error : strerror(-rc),
			 cfg->address[0] ? cfg->address : REDIS_DEFAULT_ADDR);
		redis_destroy(&r->base);
		return NULL;
	}
	return &r->base;
}
