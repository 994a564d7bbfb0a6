/* External DFS applications behind the gateway, called over HTTP(S) with libcurl in the
 * Africa's Talking convention (form fields sessionId, serviceCode, phoneNumber, networkCode,
 * text; answer "CON ..." or "END ..."). GW-APPAUTH in both directions: our request carries
 * X-DFSG-Timestamp / X-DFSG-Signature over its body; the answer must carry a timestamp and a
 * signature over "<timestamp>.<our request's signature>.<answer body>", which binds it to this
 * request. The application sees the gateway's session id, never the network's, and only
 * inputs the gateway validated (GW-INPUT): the text is rebuilt from them. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <sodium.h>

#include "appauth.h"
#include "ext_app.h"

#define EXT_TEXT_MAX 4096
#define EXT_BODY_MAX 8192
#define EXT_RESPONSE_WINDOW 300

struct ext_state {
	size_t len;
	bool any_input;
	char text[EXT_TEXT_MAX];
};

struct ext_resp {
	char body[EXT_BODY_MAX + 1];
	size_t len;
	bool overflow;
	char ts[24], sig[APPAUTH_SIG_HEX + 2];
};

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
	struct ext_resp *r = ud;
	size_t k = sz * n;
	if (r->len + k > EXT_BODY_MAX) {
		r->overflow = true;
		return 0;
	}
	memcpy(r->body + r->len, p, k);
	r->len += k;
	r->body[r->len] = 0;
	return k;
}

static void header_value(const char *line, size_t n, const char *name, char *out, size_t outsz)
{
	size_t nl = strlen(name);
	if (n <= nl + 1 || strncasecmp(line, name, nl) || line[nl] != ':')
		return;
	const char *v = line + nl + 1;
	size_t vl = n - nl - 1;
	while (vl && (*v == ' ' || *v == '\t')) {
		v++;
		vl--;
	}
	while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
		vl--;
	if (vl < outsz) {
		memcpy(out, v, vl);
		out[vl] = 0;
	}
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
	struct ext_resp *r = ud;
	header_value(p, sz * n, APPAUTH_TS_HEADER, r->ts, sizeof(r->ts));
	header_value(p, sz * n, APPAUTH_SIG_HEADER, r->sig, sizeof(r->sig));
	return sz * n;
}

static int add_field(CURL *c, char *buf, size_t bufsz, size_t *o, const char *k, const char *v)
{
	char *e = curl_easy_escape(c, v, 0);
	if (!e)
		return -ENOMEM;
	int n = snprintf(buf + *o, bufsz - *o, "%s%s=%s", *o ? "&" : "", k, e);
	curl_free(e);
	if (n < 0 || (size_t)n >= bufsz - *o)
		return -E2BIG;
	*o += (size_t)n;
	return 0;
}

/* One call to the application; fills r->end and r->text. */
static int call(struct gw *g, struct gw_session *s, struct ext_state *st, struct gw_reply *r)
{
	const struct gw_service *svc = s->svc;
	CURL *c = curl_easy_init();
	if (!c)
		return -ENOMEM;
	char body[EXT_BODY_MAX], phone[20];
	size_t o = 0;
	snprintf(phone, sizeof(phone), "+%s", s->msisdn);
	int rc;
	if ((rc = add_field(c, body, sizeof(body), &o, "sessionId", s->id)) ||
	    (rc = add_field(c, body, sizeof(body), &o, "serviceCode", s->service)) ||
	    (rc = add_field(c, body, sizeof(body), &o, "phoneNumber", phone)) ||
	    (rc = add_field(c, body, sizeof(body), &o, "networkCode", s->network)) ||
	    (rc = add_field(c, body, sizeof(body), &o, "text", st->text))) {
		curl_easy_cleanup(c);
		return rc;
	}
	char ts[24], sig[APPAUTH_SIG_HEX], h1[64], h2[96];
	int64_t now = gw_now_s(g);
	snprintf(ts, sizeof(ts), "%" PRId64, now);
	appauth_sign(svc->secret, svc->secret_len, ts, body, o, sig);
	snprintf(h1, sizeof(h1), APPAUTH_TS_HEADER ": %s", ts);
	snprintf(h2, sizeof(h2), APPAUTH_SIG_HEADER ": %s", sig);
	struct curl_slist *hdrs = NULL;
	hdrs = curl_slist_append(hdrs, "Content-Type: application/x-www-form-urlencoded");
	hdrs = curl_slist_append(hdrs, h1);
	hdrs = curl_slist_append(hdrs, h2);
	struct ext_resp *resp = calloc(1, sizeof(*resp));
	if (!resp || !hdrs) {
		free(resp);
		curl_slist_free_all(hdrs);
		curl_easy_cleanup(c);
		return -ENOMEM;
	}
	curl_easy_setopt(c, CURLOPT_URL, svc->url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)o);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, resp);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, svc->timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	CURLcode cc = curl_easy_perform(c);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	sodium_memzero(body, sizeof(body)); /* it held the user's inputs */

	rc = 0;
	const char *why = NULL;
	if (cc != CURLE_OK)
		why = curl_easy_strerror(cc);
	else if (status != 200)
		why = "application answered with an HTTP error";
	if (!why) {
		/* GW-APPAUTH: the answer must be signed for this very request */
		char bound[APPAUTH_SIG_HEX + 32], want[APPAUTH_SIG_HEX];
		snprintf(bound, sizeof(bound), "%s.%s", resp->ts, sig);
		appauth_sign(svc->secret, svc->secret_len, bound, resp->body, resp->len, want);
		int64_t t = strtoll(resp->ts, NULL, 10);
		if (!resp->ts[0] || strlen(resp->sig) != APPAUTH_SIG_HEX - 1 ||
		    sodium_memcmp(want, resp->sig, APPAUTH_SIG_HEX - 1) ||
		    t < now - EXT_RESPONSE_WINDOW || t > now + EXT_RESPONSE_WINDOW)
			why = "unsigned or badly signed answer";
	}
	if (!why) {
		if (!strncmp(resp->body, "CON ", 4))
			r->end = false;
		else if (!strncmp(resp->body, "END ", 4))
			r->end = true;
		else
			why = "answer is neither CON nor END";
	}
	if (why) {
		gw_alert(g, "GW-APPAUTH", "medium", s, NULL, why);
		rc = -EPROTO;
	} else {
		snprintf(r->text, sizeof(r->text), "%s", resp->body + 4);
		r->node = "external";
	}
	free(resp);
	return rc;
}

static int ext_begin(struct gw *g, struct gw_session *s, struct gw_reply *r)
{
	struct ext_state *st = sodium_malloc(sizeof(*st));
	if (!st)
		return -ENOMEM;
	memset(st, 0, sizeof(*st));
	s->app_state = st;
	return call(g, s, st, r);
}

static int ext_input(struct gw *g, struct gw_session *s, const char *in, struct gw_reply *r)
{
	struct ext_state *st = s->app_state;
	if (!st)
		return -EINVAL;
	size_t n = strlen(in);
	if (st->len + n + 2 > sizeof(st->text))
		return -E2BIG;
	if (st->any_input)
		st->text[st->len++] = '*';
	memcpy(st->text + st->len, in, n + 1);
	st->len += n;
	st->any_input = true;
	return call(g, s, st, r);
}

static void ext_finish(struct gw *g, struct gw_session *s, enum gw_end_reason why)
{
	if (s->app_state)
		sodium_free(s->app_state);
	s->app_state = NULL;
}

const struct gw_app_ops ext_app = {
	.begin = ext_begin,
	.input = ext_input,
	.finish = ext_finish,
};
