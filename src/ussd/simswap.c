/* SIM swap state, see simswap.h. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "simswap.h"

static bool digits(const char *s, size_t min, size_t max)
{
	size_t n = s ? strlen(s) : 0;
	if (n < min || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

bool simswap_valid_msisdn(const char *s)
{
	return digits(s, 5, 15) && s[0] != '0';
}

bool simswap_valid_imsi(const char *s)
{
	return digits(s, 6, 15);
}

struct info_row {
	struct simswap_info *i;
	int rc;
};

static int info_cb(void *ud, int ncol, const char *const *cols)
{
	struct info_row *r = ud;
	r->i->known = true;
	if (ncol < 3 || !cols[0] || strlen(cols[0]) >= sizeof(r->i->imsi) ||
	    udb_parse_i64(cols[1], &r->i->swapped_at) || udb_parse_i64(cols[2], &r->i->first_seen))
		r->rc = -EIO;
	else
		snprintf(r->i->imsi, sizeof(r->i->imsi), "%s", cols[0]);
	return 1;
}

static int get_on(struct udb_conn *c, const char *msisdn, struct simswap_info *info)
{
	struct info_row r = {info, 0};
	struct udb_val p[] = {UDB_TEXT(msisdn)};
	memset(info, 0, sizeof(*info));
	int rc = udb_exec(c, "SELECT imsi, swapped_at, updated FROM subscribers WHERE msisdn = ?1",
			  p, 1, info_cb, &r);
	return rc ? rc : r.rc;
}

int simswap_get(struct udb *db, const char *msisdn, struct simswap_info *info)
{
	struct udb_conn *c = udb_get(db);
	int rc = get_on(c, msisdn, info);
	udb_put(db, c);
	return rc;
}

static int observe_once(struct udb_conn *c, const char *msisdn, const char *imsi, int64_t now,
			const char *source, bool *swapped)
{
	struct simswap_info cur;
	int rc = get_on(c, msisdn, &cur);
	if (rc)
		return rc;
	if (!cur.known) {
		struct udb_val p[] = {UDB_TEXT(msisdn), UDB_TEXT(imsi), UDB_INT(now)};
		return udb_exec(c, "INSERT INTO subscribers(msisdn, imsi, swapped_at, updated)"
				   " VALUES (?1, ?2, 0, ?3)", p, 3, NULL, NULL);
	}
	if (!strcmp(cur.imsi, imsi))
		return 0;
	if (now < cur.swapped_at)
		return 0; /* a late report of an older pairing */
	struct udb_val e[] = {UDB_TEXT(msisdn), UDB_TEXT(cur.imsi), UDB_TEXT(imsi), UDB_INT(now),
			      UDB_TEXT(source ? source : "unknown")};
	rc = udb_exec(c, "INSERT INTO sim_swap_events(msisdn, old_imsi, new_imsi, at, source)"
			 " VALUES (?1, ?2, ?3, ?4, ?5)", e, 5, NULL, NULL);
	if (rc)
		return rc;
	struct udb_val u[] = {UDB_TEXT(msisdn), UDB_TEXT(imsi), UDB_INT(now)};
	rc = udb_exec(c, "UPDATE subscribers SET imsi = ?2, swapped_at = ?3, updated = updated"
			 " WHERE msisdn = ?1", u, 3, NULL, NULL);
	if (rc == 0)
		*swapped = true;
	return rc;
}

int simswap_observe(struct udb *db, const char *msisdn, const char *imsi, int64_t now,
		    const char *source, bool *swapped)
{
	*swapped = false;
	if (!simswap_valid_msisdn(msisdn) || !simswap_valid_imsi(imsi))
		return -EINVAL;
	int rc = -EAGAIN;
	for (int attempt = 0; attempt < 4 && (rc == -EAGAIN || rc == -EEXIST); attempt++) {
		struct udb_conn *c = udb_get(db);
		*swapped = false;
		rc = udb_begin(c);
		if (rc == 0) {
			rc = observe_once(c, msisdn, imsi, now, source, swapped);
			if (rc == 0)
				rc = udb_commit(c);
			else
				udb_rollback(c);
		}
		udb_put(db, c);
	}
	if (rc)
		*swapped = false;
	return rc;
}

bool simswap_cooling(const struct simswap_info *info, int64_t now, int64_t cooling_s)
{
	return info->known && info->swapped_at > 0 && now >= info->swapped_at &&
	       now - info->swapped_at < cooling_s;
}

static int two(const char *s, int *v)
{
	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]))
		return -1;
	*v = (s[0] - '0') * 10 + (s[1] - '0');
	return 0;
}

int simswap_parse_time(const char *s, int64_t *out)
{
	if (digits(s, 1, 12))
		return udb_parse_i64(s, out);
	int Y1, Y2, M, D, h, m, sec;
	if (strlen(s) < 20 || two(s, &Y1) || two(s + 2, &Y2) || s[4] != '-' || two(s + 5, &M) ||
	    s[7] != '-' || two(s + 8, &D) || (s[10] != 'T' && s[10] != 't') || two(s + 11, &h) ||
	    s[13] != ':' || two(s + 14, &m) || s[16] != ':' || two(s + 17, &sec))
		return -EINVAL;
	const char *p = s + 19;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		while (isdigit((unsigned char)*p))
			p++;
	}
	int64_t off = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int oh, om;
		if (two(p + 1, &oh) || p[3] != ':' || two(p + 4, &om) || oh > 23 || om > 59)
			return -EINVAL;
		off = (oh * 3600 + om * 60) * (*p == '+' ? 1 : -1);
		p += 6;
	} else {
		return -EINVAL;
	}
	if (*p || M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60)
		return -EINVAL;
	struct tm tm = {.tm_year = Y1 * 100 + Y2 - 1900, .tm_mon = M - 1, .tm_mday = D,
			.tm_hour = h, .tm_min = m, .tm_sec = sec};
	time_t t = timegm(&tm);
	if (t == (time_t)-1)
		return -EINVAL;
	*out = (int64_t)t - off;
	return 0;
}

void simswap_format_time(int64_t t, char *out, size_t outsz)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	snprintf(out, outsz, "%04d-%02d-%02dT%02d:%02d:%02d.000Z", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

int simswap_import_csv(struct udb *db, FILE *f, const char *source, unsigned *lines,
		       unsigned *swaps, char *err, size_t errsz)
{
	char buf[256];
	unsigned ln = 0;
	*lines = 0;
	*swaps = 0;
	while (fgets(buf, sizeof(buf), f)) {
		ln++;
		size_t n = strlen(buf);
		if (n == sizeof(buf) - 1 && buf[n - 1] != '\n') {
			snprintf(err, errsz, "line %u: longer than %zu bytes", ln, sizeof(buf) - 2);
			return -EINVAL;
		}
		while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
			buf[--n] = 0;
		if (n == 0 || buf[0] == '#' || (ln == 1 && !strncmp(buf, "msisdn,", 7)))
			continue;
		char *msisdn = buf, *imsi = strchr(buf, ','), *when;
		if (!imsi || !(when = strchr(imsi + 1, ','))) {
			snprintf(err, errsz, "line %u: want msisdn,imsi,time", ln);
			return -EINVAL;
		}
		*imsi++ = 0;
		*when++ = 0;
		if (msisdn[0] == '+')
			msisdn++;
		int64_t t;
		if (!simswap_valid_msisdn(msisdn)) {
			snprintf(err, errsz, "line %u: msisdn: not 5-15 digits", ln);
			return -EINVAL;
		}
		if (!simswap_valid_imsi(imsi)) {
			snprintf(err, errsz, "line %u: imsi: not 6-15 digits", ln);
			return -EINVAL;
		}
		if (simswap_parse_time(when, &t)) {
			snprintf(err, errsz, "line %u: time: not unix seconds or RFC 3339", ln);
			return -EINVAL;
		}
		bool swapped;
		int rc = simswap_observe(db, msisdn, imsi, t, source, &swapped);
		if (rc) {
			snprintf(err, errsz, "line %u: database error %d", ln, rc);
			return rc;
		}
		(*lines)++;
		*swaps += swapped;
	}
	return 0;
}
