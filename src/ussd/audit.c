/* Hash-chained audit log, see audit.h. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "audit.h"
#include "json_writer.h"

#define AUDIT_LINE_MAX 4096
#define HASH_TAIL_LEN (sizeof(",\"hash\":\"\"}") - 1 + 64)

struct audit_log {
	pthread_mutex_t lock;
	int fd;
	bool sync;
	uint64_t seq;
	char prev[AUDIT_HASH_HEX];
};

static void hash_hex(const char *p, size_t n, char out[AUDIT_HASH_HEX])
{
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, (const unsigned char *)p, n);
	sodium_bin2hex(out, AUDIT_HASH_HEX, h, sizeof(h));
}

static bool is_hex64(const char *p)
{
	for (int i = 0; i < 64; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
			return false;
	return true;
}

/* Check one line (without its '\n') against the expected seq and prev hash; on success
 * write its hash to out. Returns NULL or the problem. */
static const char *check_line(const char *line, size_t len, uint64_t want_seq, const char *prev,
			      char out[AUDIT_HASH_HEX])
{
	char head[48];
	int hl = snprintf(head, sizeof(head), "{\"seq\":%" PRIu64 ",", want_seq);
	if (len < (size_t)hl + HASH_TAIL_LEN + 75 || memcmp(line, head, (size_t)hl))
		return "sequence number missing or out of order";
	const char *tail = line + len - HASH_TAIL_LEN;
	if (memcmp(tail, ",\"hash\":\"", 9) || memcmp(line + len - 2, "\"}", 2) ||
	    !is_hex64(tail + 9))
		return "hash member missing or malformed";
	size_t plen = len - HASH_TAIL_LEN;
	/* the prefix ends with "prev":"<hex>" */
	if (plen < 73 || memcmp(line + plen - 73, "\"prev\":\"", 8) ||
	    line[plen - 1] != '"')
		return "prev member missing or malformed";
	if (memcmp(line + plen - 65, prev, 64))
		return "prev does not match the previous record's hash (record removed or reordered)";
	hash_hex(line, plen, out);
	if (memcmp(out, tail + 9, 64))
		return "hash mismatch (record edited)";
	return NULL;
}

int audit_verify_file(const char *path, uint64_t *records, char *err, size_t errsz)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		int e = errno;
		snprintf(err, errsz, "%s: %s", path, strerror(e));
		return -e;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	uint64_t seq = 0;
	char prev[AUDIT_HASH_HEX], h[AUDIT_HASH_HEX];
	memset(prev, '0', 64);
	prev[64] = 0;
	int ret = 0;
	while ((n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] != '\n') {
			snprintf(err, errsz, "%s:%" PRIu64 ": line not terminated (torn write)", path,
				 seq + 1);
			ret = -EBADMSG;
			break;
		}
		const char *why = check_line(line, (size_t)n - 1, seq + 1, prev, h);
		if (why) {
			snprintf(err, errsz, "%s:%" PRIu64 ": %s", path, seq + 1, why);
			ret = -EBADMSG;
			break;
		}
		memcpy(prev, h, sizeof(prev));
		seq++;
	}
	free(line);
	fclose(f);
	*records = seq;
	return ret;
}

/* Continue an existing chain: read the last complete line, cut a torn tail. */
static int load_tail(struct audit_log *a, const char *path, char *err, size_t errsz)
{
	struct stat st;
	if (fstat(a->fd, &st)) {
		snprintf(err, errsz, "%s: fstat: %s", path, strerror(errno));
		return -errno;
	}
	if (st.st_size == 0)
		return 0;
	off_t start = st.st_size > AUDIT_LINE_MAX * 2 ? st.st_size - AUDIT_LINE_MAX * 2 : 0;
	size_t n = (size_t)(st.st_size - start);
	char *buf = malloc(n + 1);
	if (!buf)
		return -ENOMEM;
	ssize_t got = pread(a->fd, buf, n, start);
	if (got != (ssize_t)n) {
		free(buf);
		snprintf(err, errsz, "%s: read failed", path);
		return -EIO;
	}
	buf[n] = 0;
	size_t end = n;
	if (buf[n - 1] != '\n') {
		char *nl = memrchr(buf, '\n', n);
		end = nl ? (size_t)(nl - buf) + 1 : 0;
		if (!nl && start > 0) {
			free(buf);
			snprintf(err, errsz, "%s: last record longer than %d bytes", path,
				 AUDIT_LINE_MAX * 2);
			return -EBADMSG;
		}
		if (ftruncate(a->fd, start + (off_t)end)) {
			free(buf);
			snprintf(err, errsz, "%s: ftruncate: %s", path, strerror(errno));
			return -errno;
		}
	}
	if (end == 0) {
		free(buf);
		return 0;
	}
	buf[end - 1] = 0;
	char *last = strrchr(buf, '\n');
	last = last ? last + 1 : buf;
	size_t len = strlen(last);
	uint64_t seq;
	if (sscanf(last, "{\"seq\":%" SCNu64 ",", &seq) != 1 || len < HASH_TAIL_LEN ||
	    !is_hex64(last + len - HASH_TAIL_LEN + 9)) {
		free(buf);
		snprintf(err, errsz, "%s: last record is not an audit record", path);
		return -EBADMSG;
	}
	/* the last record must itself be intact: check it against its own prev */
	char h[AUDIT_HASH_HEX];
	const char *prevp = last + len - HASH_TAIL_LEN - 65;
	char prev[AUDIT_HASH_HEX];
	memcpy(prev, prevp, 64);
	prev[64] = 0;
	const char *why = check_line(last, len, seq, prev, h);
	if (why) {
		free(buf);
		snprintf(err, errsz, "%s: last record: %s", path, why);
		return -EBADMSG;
	}
	a->seq = seq;
	memcpy(a->prev, h, sizeof(a->prev));
	free(buf);
	return 0;
}

int audit_open(struct audit_log **ap, const char *path, bool sync, char *err, size_t errsz)
{
	*ap = NULL;
	if (sodium_init() < 0) {
		snprintf(err, errsz, "libsodium init failed");
		return -EIO;
	}
	struct audit_log *a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (a->fd < 0) {
		int e = errno;
		snprintf(err, errsz, "%s: %s", path, strerror(e));
		free(a);
		return -e;
	}
	memset(a->prev, '0', 64);
	a->sync = sync;
	int rc = load_tail(a, path, err, errsz);
	if (rc) {
		close(a->fd);
		free(a);
		return rc;
	}
	pthread_mutex_init(&a->lock, NULL);
	*ap = a;
	return 0;
}

void audit_close(struct audit_log *a)
{
	if (!a)
		return;
	close(a->fd);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

uint64_t audit_seq(struct audit_log *a)
{
	pthread_mutex_lock(&a->lock);
	uint64_t s = a->seq;
	pthread_mutex_unlock(&a->lock);
	return s;
}

static void kv_opt(struct json_writer *j, const char *k, const char *v)
{
	if (v && *v)
		json_kv_str(j, k, v);
}

int audit_append(struct audit_log *a, const struct audit_rec *r)
{
	char line[AUDIT_LINE_MAX];
	char iso[64];
	time_t secs = (time_t)(r->t_ms / 1000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	snprintf(iso, sizeof(iso), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (int)(r->t_ms % 1000));

	pthread_mutex_lock(&a->lock);
	struct json_writer j;
	json_init(&j, line, sizeof(line) - HASH_TAIL_LEN - 2);
	json_obj_begin(&j);
	json_kv_uint(&j, "seq", a->seq + 1);
	json_kv_int(&j, "t", r->t_ms);
	json_kv_str(&j, "time", iso);
	kv_opt(&j, "event", r->event);
	kv_opt(&j, "face", r->face);
	kv_opt(&j, "session", r->session);
	kv_opt(&j, "msisdn", r->msisdn);
	kv_opt(&j, "imsi", r->imsi);
	kv_opt(&j, "network", r->network);
	kv_opt(&j, "service", r->service);
	kv_opt(&j, "node", r->node);
	kv_opt(&j, "decision", r->decision);
	kv_opt(&j, "reason", r->reason);
	kv_opt(&j, "counterparty", r->counterparty);
	if (r->amount >= 0)
		json_kv_int(&j, "amount", r->amount);
	if (r->fee >= 0)
		json_kv_int(&j, "fee", r->fee);
	if (r->transfer_id > 0)
		json_kv_int(&j, "transfer", r->transfer_id);
	json_kv_str(&j, "prev", a->prev);
	if (j.overflow) {
		pthread_mutex_unlock(&a->lock);
		return -E2BIG;
	}
	/* the object is still open: the hash covers everything up to here */
	size_t plen = j.len;
	char h[AUDIT_HASH_HEX];
	hash_hex(line, plen, h);
	int n = snprintf(line + plen, sizeof(line) - plen, ",\"hash\":\"%s\"}\n", h);
	size_t total = plen + (size_t)n;
	ssize_t w = write(a->fd, line, total);
	int ret = 0;
	if (w != (ssize_t)total) {
		ret = w < 0 ? -errno : -EIO;
	} else {
		if (a->sync && fdatasync(a->fd))
			ret = -errno;
		a->seq++;
		memcpy(a->prev, h, sizeof(a->prev));
	}
	pthread_mutex_unlock(&a->lock);
	return ret;
}
