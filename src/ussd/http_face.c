/* The gateway's HTTP face, see http_face.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>
#include <sodium.h>

#include "camara.h"
#include "dfs_hex.h"
#include "http_face.h"
#include "ota_transport.h"
#include "json_writer.h"
#include "map.h"
#include "simswap.h"
#include "tls_front.h"

#define HTTP_BODY_MAX 16384

struct http_face {
	struct gw *g;
	struct http_face_config cfg;
	struct MHD_Daemon *d;
	struct tls_front *tls;
	int lfd;
	unsigned port;
	struct appauth_replay replay;
};

struct req {
	char *body;
	size_t len, cap;
	bool too_big;
};

/* --- form decoding --- */

int http_form_field(const char *body, size_t len, const char *name, char *out, size_t outsz)
{
	size_t nl = strlen(name);
	const char *p = body, *end = body + len;
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *fe = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(fe - p));
		if (eq && (size_t)(eq - p) == nl && !memcmp(p, name, nl)) {
			size_t o = 0;
			for (const char *v = eq + 1; v < fe; v++) {
				char c = *v;
				if (c == '+') {
					c = ' ';
				} else if (c == '%') {
					int hi = fe - v < 3 ? -1 : dfs_hex_nibble(v[1]);
					int lo = hi < 0 ? -1 : dfs_hex_nibble(v[2]);
					if (lo < 0)
						return -EINVAL;
					c = (char)(hi * 16 + lo);
					v += 2;
				}
				if (c == 0)
					return -EINVAL;
				if (o + 1 >= outsz)
					return -E2BIG;
				out[o++] = c;
			}
			out[o] = 0;
			return 0;
		}
		p = fe + 1;
	}
	return -ENOENT;
}

/* --- responses --- */

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *ctype,
			     const char *body, size_t len, const char *correlator)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", ctype);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	if (correlator && *correlator)
		MHD_add_response_header(r, "x-correlator", correlator);
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result text_reply(struct MHD_Connection *c, unsigned status, const char *text)
{
	return reply(c, status, "text/plain; charset=utf-8", text, strlen(text), NULL);
}

/* CAMARA error object. */
static enum MHD_Result camara_error(struct MHD_Connection *c, unsigned status, const char *code,
				    const char *message, const char *correlator)
{
	char buf[512];
	struct json_writer j;
	json_init(&j, buf, sizeof(buf));
	json_obj_begin(&j);
	json_kv_int(&j, "status", status);
	json_kv_str(&j, "code", code);
	json_kv_str(&j, "message", message);
	json_obj_end(&j);
	return reply(c, status, "application/json", buf, j.len, correlator);
}

/* --- POST /ussd --- */

/* GW-APPAUTH: nothing is looked at, and no session created, before this passes. false with
 * *ret set when the request is refused. */
static enum appauth_result verify_with(struct http_face *h, struct MHD_Connection *c,
				       struct req *rq, const uint8_t *key, size_t keylen)
{
	const char *ts = MHD_lookup_connection_value(c, MHD_HEADER_KIND, APPAUTH_TS_HEADER);
	const char *sig = MHD_lookup_connection_value(c, MHD_HEADER_KIND, APPAUTH_SIG_HEADER);
	enum appauth_result ar = appauth_verify(key, keylen, ts, sig, rq->body, rq->len,
						gw_now_s(h->g), h->cfg.replay_window_s, &h->replay);
	if (ar != APPAUTH_OK)
		gw_alert(h->g, "GW-APPAUTH", ar == APPAUTH_REPLAY ? "high" : "medium", NULL, "",
			 get_value_string(appauth_result_names, ar));
	return ar;
}

static bool authenticated(struct http_face *h, struct MHD_Connection *c, struct req *rq,
			  enum MHD_Result *ret)
{
	enum appauth_result ar = verify_with(h, c, rq, h->cfg.agg_key, h->cfg.agg_key_len);
	if (ar == APPAUTH_OK)
		return true;
	char msg[96];
	snprintf(msg, sizeof(msg), "forbidden: %s\n", get_value_string(appauth_result_names, ar));
	*ret = text_reply(c, MHD_HTTP_FORBIDDEN, msg);
	return false;
}

/* --- POST /ussd/e2e (GW-E2E) --- */

static enum MHD_Result on_e2e(struct http_face *h, struct MHD_Connection *c, struct req *rq)
{
	enum MHD_Result ret;
	if (!authenticated(h, c, rq, &ret))
		return ret;
	char sid[GW_DIALOGUE_MAX], phone[24], net[16], imsi[20], dcs[8], hex[2 * OTA_USSD_MAX + 1];
	const char *need[] = {"sessionId", "phoneNumber", "networkCode", "dcs", "data"};
	char *outs[] = {sid, phone, net, dcs, hex};
	size_t szs[] = {sizeof(sid), sizeof(phone), sizeof(net), sizeof(dcs), sizeof(hex)};
	for (size_t i = 0; i < 5; i++)
		if (http_form_field(rq->body, rq->len, need[i], outs[i], szs[i]))
			return text_reply(c, MHD_HTTP_BAD_REQUEST, "bad request: want sessionId, "
				"phoneNumber, networkCode, dcs and data\n");
	if (http_form_field(rq->body, rq->len, "imsi", imsi, sizeof(imsi)))
		imsi[0] = 0;
	uint8_t in[OTA_USSD_MAX], out[OTA_USSD_MAX];
	size_t n = 0, outlen;
	if (strcmp(dcs, "150") ||
	    sodium_hex2bin(in, sizeof(in), hex, strlen(hex), NULL, &n, NULL) || !n)
		return text_reply(c, MHD_HTTP_BAD_REQUEST,
				  "bad request: want dcs 150 and data as hex\n");
	struct gw_e2e_request q = {.face = GW_FACE_HTTP, .dialogue = sid,
				   .msisdn = phone[0] == '+' ? phone + 1 : phone, .imsi = imsi,
				   .network = net, .ussd = in, .len = n};
	struct gw_e2e_result res;
	int rc = gw_e2e_handle(h->cfg.e2e, &q, out, sizeof(out), &outlen, &res);
	sodium_memzero(rq->body, rq->len);
	if (rc == -EBADMSG)
		return text_reply(c, MHD_HTTP_BAD_REQUEST, "bad request: not a secured command packet\n");
	if (rc == -ENOENT)
		return text_reply(c, MHD_HTTP_NOT_FOUND, "not found: no applet SIM for this number\n");
	if (rc)
		return text_reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal error\n");
	if (!outlen)
		return reply(c, MHD_HTTP_NO_CONTENT, "text/plain", "", 0, NULL);
	char ans[2 * OTA_USSD_MAX + 2];
	sodium_bin2hex(ans, sizeof(ans), out, outlen);
	return reply(c, MHD_HTTP_OK, "text/plain", ans, 2 * outlen, NULL);
}

static enum MHD_Result on_ussd(struct http_face *h, struct MHD_Connection *c, struct req *rq)
{
	enum MHD_Result ret;
	if (!authenticated(h, c, rq, &ret))
		return ret;
	char sid[GW_DIALOGUE_MAX], code[32], phone[24], net[16], text[4100], imsi[20];
	struct {
		const char *name;
		char *out;
		size_t sz;
		bool required;
	} f[] = {{"sessionId", sid, sizeof(sid), true},	  {"serviceCode", code, sizeof(code), true},
		 {"phoneNumber", phone, sizeof(phone), true}, {"networkCode", net, sizeof(net), true},
		 {"text", text, sizeof(text), false},	  {"imsi", imsi, sizeof(imsi), false}};
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		int rc = http_form_field(rq->body, rq->len, f[i].name, f[i].out, f[i].sz);
		if (rc == -ENOENT && !f[i].required) {
			f[i].out[0] = 0;
			continue;
		}
		if (rc) {
			char msg[96];
			snprintf(msg, sizeof(msg), "bad request: %s: %s\n", f[i].name,
				 rc == -ENOENT ? "missing" : rc == -E2BIG ? "too long" : "bad encoding");
			return text_reply(c, MHD_HTTP_BAD_REQUEST, msg);
		}
	}
	struct gw_request q = {.face = GW_FACE_HTTP, .dialogue = sid,
			       .msisdn = phone[0] == '+' ? phone + 1 : phone, .imsi = imsi,
			       .service_code = code, .network = net, .text = text, .cumulative = true};
	struct gw_response *r = malloc(sizeof(*r));
	if (!r)
		return MHD_NO;
	int rc = gw_handle(h->g, &q, r);
	sodium_memzero(text, sizeof(text)); /* it may hold a PIN */
	sodium_memzero(rq->body, rq->len);
	if (rc) {
		ret = text_reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal error\n");
	} else if (r->status == GW_BAD_REQUEST) {
		char msg[160];
		snprintf(msg, sizeof(msg), "bad request: %s\n", r->reason);
		ret = text_reply(c, MHD_HTTP_BAD_REQUEST, msg);
	} else if (r->status == GW_UNKNOWN_SERVICE) {
		char msg[160];
		snprintf(msg, sizeof(msg), "not found: %s\n", r->reason);
		ret = text_reply(c, MHD_HTTP_NOT_FOUND, msg);
	} else {
		char out[SCREEN_MAX_BYTES + 8];
		int n = snprintf(out, sizeof(out), "%s %s", r->end ? "END" : "CON", r->text);
		ret = reply(c, r->status == GW_UNAVAILABLE ? MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_OK,
			    "text/plain; charset=utf-8", out, (size_t)n, NULL);
	}
	free(r);
	return ret;
}

/* --- POST /ussd/push (network-initiated USSD for applications) --- */

static enum MHD_Result push_reply(struct MHD_Connection *c, unsigned status, const char *st,
				  const char *reason)
{
	char buf[320];
	struct json_writer j;
	json_init(&j, buf, sizeof(buf));
	json_obj_begin(&j);
	json_kv_str(&j, "status", st);
	if (reason)
		json_kv_str(&j, "reason", reason);
	json_obj_end(&j);
	return reply(c, status, "application/json", buf, j.len, NULL);
}

/* The service a push names, for its key; NULL when none or it has no key. */
static const struct gw_service *push_service(struct http_face *h, const char *code)
{
	const struct gw_config *g = h->g->cfg;
	for (unsigned i = 0; i < g->n_services; i++)
		if (!strcmp(g->services[i].code, code) && g->services[i].secret_len)
			return &g->services[i];
	return NULL;
}

/* HTTP status for a MAP error (TS 29.002 17.6) */
static unsigned push_error_status(int e)
{
	switch (e) {
	case MAP_ERR_ABSENT_SUBSCRIBER:
	case MAP_ERR_UNKNOWN_SUBSCRIBER:
		return MHD_HTTP_NOT_FOUND;
	case MAP_ERR_USSD_BUSY:
		return MHD_HTTP_CONFLICT;
	case MAP_ERR_ILLEGAL_SUBSCRIBER:
	case MAP_ERR_CALL_BARRED:
		return MHD_HTTP_UNPROCESSABLE_CONTENT;
	default:
		return MHD_HTTP_BAD_GATEWAY;
	}
}

static enum MHD_Result push_outcome(struct MHD_Connection *c, const struct ussd_push_result *r)
{
	char buf[SCREEN_MAX_BYTES * 6 + 128];
	struct json_writer j;
	json_init(&j, buf, sizeof(buf));
	json_obj_begin(&j);
	json_kv_str(&j, "status", get_value_string(ussd_push_status_names, r->status));
	unsigned st = MHD_HTTP_OK;
	switch (r->status) {
	case USSD_PUSH_DELIVERED:
		break;
	case USSD_PUSH_ANSWERED:
		json_kv_str(&j, "text", r->text);
		break;
	case USSD_PUSH_MAP_ERROR:
		st = push_error_status(r->map_error);
		json_kv_str(&j, "error", map_error_name(r->map_error));
		json_kv_int(&j, "code", r->map_error);
		break;
	case USSD_PUSH_TIMEOUT:
		st = MHD_HTTP_GATEWAY_TIMEOUT;
		break;
	case USSD_PUSH_UNAVAILABLE:
		st = MHD_HTTP_SERVICE_UNAVAILABLE;
		break;
	case USSD_PUSH_RATE_LIMITED:
		st = MHD_HTTP_TOO_MANY_REQUESTS;
		break;
	case USSD_PUSH_PHISHING:
		st = MHD_HTTP_FORBIDDEN;
		break;
	case USSD_PUSH_INVALID:
		st = MHD_HTTP_BAD_REQUEST;
		break;
	default: /* aborted, rejected */
		st = MHD_HTTP_BAD_GATEWAY;
	}
	if (r->reason && r->status != USSD_PUSH_ANSWERED)
		json_kv_str(&j, "reason", r->reason);
	json_obj_end(&j);
	enum MHD_Result ret = reply(c, st, "application/json", buf, j.len, NULL);
	sodium_memzero(buf, sizeof(buf));
	return ret;
}

static enum MHD_Result on_push(struct http_face *h, struct MHD_Connection *c, struct req *rq)
{
	/* the service names the key: read that one field, then nothing before the signature */
	char code[32];
	const struct gw_service *svc = NULL;
	if (http_form_field(rq->body, rq->len, "serviceCode", code, sizeof(code)) == 0)
		svc = push_service(h, code);
	if (!svc) {
		gw_alert(h->g, "GW-APPAUTH", "medium", NULL, "", "push for an unknown service");
		return push_reply(c, MHD_HTTP_FORBIDDEN, "forbidden", "unknown service");
	}
	enum appauth_result ar = verify_with(h, c, rq, svc->secret, svc->secret_len);
	if (ar != APPAUTH_OK)
		return push_reply(c, MHD_HTTP_FORBIDDEN, "forbidden",
				  get_value_string(appauth_result_names, ar));
	if (!svc->push)
		return push_reply(c, MHD_HTTP_FORBIDDEN, "forbidden",
				  "push is not enabled for this service");
	char phone[24], type[16], text[SCREEN_MAX_BYTES];
	struct {
		const char *name;
		char *out;
		size_t sz;
	} f[] = {{"phoneNumber", phone, sizeof(phone)}, {"type", type, sizeof(type)},
		 {"text", text, sizeof(text)}};
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		int rc = http_form_field(rq->body, rq->len, f[i].name, f[i].out, f[i].sz);
		if (rc) {
			char msg[96];
			snprintf(msg, sizeof(msg), "%s: %s", f[i].name,
				 rc == -ENOENT ? "missing" : rc == -E2BIG ? "too long" : "bad encoding");
			return push_reply(c, MHD_HTTP_BAD_REQUEST, "invalid", msg);
		}
	}
	uint32_t t;
	if (get_string_value(map_push_type_names, type, &t))
		return push_reply(c, MHD_HTTP_BAD_REQUEST, "invalid", "type: want notify or prompt");
	const char *msisdn = phone[0] == '+' ? phone + 1 : phone;
	if (!simswap_valid_msisdn(msisdn))
		return push_reply(c, MHD_HTTP_BAD_REQUEST, "invalid",
				  "phoneNumber: want + and 5 to 15 digits");
	if (!text[0] || !screen_fits(text))
		return push_reply(c, MHD_HTTP_BAD_REQUEST, "invalid",
				  "text: want one USSD screen (182 GSM-7 or 80 UCS2 characters)");
	struct ussd_push_request q = {.svc = svc, .msisdn = msisdn, .type = (enum map_push_type)t,
				      .text = text};
	struct ussd_push_result *r = malloc(sizeof(*r));
	if (!r)
		return MHD_NO;
	enum MHD_Result ret;
	if (ussd_push_run(h->cfg.push, &q, r))
		ret = push_reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "error", "internal error");
	else
		ret = push_outcome(c, r);
	sodium_memzero(r, sizeof(*r)); /* an answer may be sensitive */
	free(r);
	return ret;
}

/* --- bearer tokens --- */

static bool bearer_ok(struct MHD_Connection *c, const char *token)
{
	const char *a = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	if (!token || !*token || !a || strncasecmp(a, "Bearer ", 7))
		return false;
	a += 7;
	size_t n = strlen(token);
	if (strlen(a) != n)
		return false;
	return sodium_memcmp(a, token, n) == 0;
}

/* --- POST /simswap/feed --- */

static enum MHD_Result on_feed(struct http_face *h, struct MHD_Connection *c, struct req *rq)
{
	if (!bearer_ok(c, h->cfg.feed_token))
		return text_reply(c, MHD_HTTP_UNAUTHORIZED, "unauthorized\n");
	FILE *f = fmemopen(rq->body, rq->len, "r");
	if (!f)
		return text_reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal error\n");
	unsigned lines = 0, swaps = 0;
	char err[160];
	int rc = simswap_import_csv(h->g->db, f, "operator-feed", &lines, &swaps, err, sizeof(err));
	fclose(f);
	if (swaps)
		gw_alert(h->g, "GW-SIMSWAP", "medium", NULL, "",
			 "operator feed reported SIM swaps: cooling periods started");
	char out[256];
	if (rc) {
		snprintf(out, sizeof(out), "bad request: %s (%u lines applied before it)\n", err, lines);
		return text_reply(c, MHD_HTTP_BAD_REQUEST, out);
	}
	int n = snprintf(out, sizeof(out), "{\"lines\":%u,\"swaps\":%u}", lines, swaps);
	return reply(c, MHD_HTTP_OK, "application/json", out, (size_t)n, NULL);
}

/* --- CAMARA SIM Swap API --- */

static enum MHD_Result on_camara(struct http_face *h, struct MHD_Connection *c, struct req *rq,
				 bool check)
{
	const char *xc = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "x-correlator");
	if (!camara_correlator_ok(xc))
		return camara_error(c, 400, "INVALID_ARGUMENT", "x-correlator has invalid characters",
				    NULL);
	if (!bearer_ok(c, h->cfg.camara_token))
		return camara_error(c, 401, "UNAUTHENTICATED",
				    "Request not authenticated due to missing, invalid, or expired"
				    " credentials.",
				    xc);
	char msisdn[16];
	int64_t max_age;
	struct camara_error ce;
	if (camara_parse(rq->body, rq->len, check, msisdn, sizeof(msisdn), &max_age, &ce))
		return camara_error(c, ce.status, ce.code, ce.message, xc);
	struct simswap_info info;
	if (simswap_get(h->g->db, msisdn, &info))
		return camara_error(c, 503, "UNAVAILABLE", "Service unavailable.", xc);
	if (!info.known)
		return camara_error(c, 404, "IDENTIFIER_NOT_FOUND", "Device identifier not found.",
				    xc);
	char buf[256];
	struct json_writer j;
	json_init(&j, buf, sizeof(buf));
	json_obj_begin(&j);
	int64_t now = gw_now_s(h->g);
	if (check) {
		json_kv_bool(&j, "swapped",
			     info.swapped_at > 0 && now - info.swapped_at <= max_age * 3600);
	} else if (info.swapped_at > 0) {
		char when[40];
		simswap_format_time(info.swapped_at, when, sizeof(when));
		json_kv_str(&j, "latestSimChange", when);
	} else {
		/* no swap since we started watching this number: say so, with the period */
		json_key(&j, "latestSimChange");
		json_null(&j);
		json_kv_int(&j, "monitoredPeriod", (now - info.first_seen) / 86400);
	}
	json_obj_end(&j);
	return reply(c, MHD_HTTP_OK, "application/json", buf, j.len, xc);
}

/* --- dispatch --- */

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
			       const char *method, const char *version, const char *upload,
			       size_t *upload_size, void **con_cls)
{
	struct http_face *h = cls;
	struct req *rq = *con_cls;
	if (!rq) {
		rq = calloc(1, sizeof(*rq));
		if (!rq)
			return MHD_NO;
		*con_cls = rq;
		return MHD_YES;
	}
	if (*upload_size) {
		if (rq->len + *upload_size > HTTP_BODY_MAX) {
			rq->too_big = true;
		} else if (!rq->too_big) {
			if (rq->len + *upload_size + 1 > rq->cap) {
				size_t cap = rq->len + *upload_size + 1024;
				char *nb = realloc(rq->body, cap);
				if (!nb)
					return MHD_NO;
				rq->body = nb;
				rq->cap = cap;
			}
			memcpy(rq->body + rq->len, upload, *upload_size);
			rq->len += *upload_size;
			rq->body[rq->len] = 0;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (rq->too_big)
		return text_reply(c, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large\n");
	if (!rq->body) {
		rq->body = calloc(1, 1);
		if (!rq->body)
			return MHD_NO;
	}
	bool post = !strcmp(method, MHD_HTTP_METHOD_POST);
	if (!strcmp(url, "/healthz"))
		return text_reply(c, MHD_HTTP_OK, "ok\n");
	if (!strcmp(url, "/ussd/e2e") && h->cfg.e2e)
		return post ? on_e2e(h, c, rq)
			    : text_reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "use POST\n");
	if (!strcmp(url, "/ussd/push") && h->cfg.push)
		return post ? on_push(h, c, rq)
			    : text_reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "use POST\n");
	if (!strcmp(url, "/ussd"))
		return post ? on_ussd(h, c, rq)
			    : text_reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "use POST\n");
	if (!strcmp(url, "/simswap/feed") && h->cfg.feed_token[0])
		return post ? on_feed(h, c, rq)
			    : text_reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "use POST\n");
	if (h->cfg.camara_token[0] &&
	    (!strcmp(url, "/sim-swap/v1/check") || !strcmp(url, "/sim-swap/v1/retrieve-date"))) {
		if (!post)
			return camara_error(c, 405, "METHOD_NOT_ALLOWED", "use POST", NULL);
		return on_camara(h, c, rq, !strcmp(url, "/sim-swap/v1/check"));
	}
	return text_reply(c, MHD_HTTP_NOT_FOUND, "not found\n");
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct req *rq = *con_cls;
	if (!rq)
		return;
	if (rq->body) {
		sodium_memzero(rq->body, rq->cap ? rq->cap : 1);
		free(rq->body);
	}
	free(rq);
	*con_cls = NULL;
}

int http_face_start(struct http_face **hp, struct gw *g, const struct http_face_config *cfg,
		    char *err, size_t errsz)
{
	*hp = NULL;
	struct http_face *h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->g = g;
	h->cfg = *cfg;
	if (!h->cfg.feed_token)
		h->cfg.feed_token = "";
	if (!h->cfg.camara_token)
		h->cfg.camara_token = "";
	h->lfd = -1;
	if (appauth_replay_init(&h->replay, APPAUTH_REPLAY_SLOTS)) {
		free(h);
		return -ENOMEM;
	}
	bool tls = cfg->tls_cert && *cfg->tls_cert;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_USE_EPOLL;
	if (tls) {
		flags |= MHD_USE_NO_LISTEN_SOCKET;
	} else {
		h->lfd = tcp_listen(cfg->host, cfg->port, &h->port, err, errsz);
		if (h->lfd < 0) {
			int rc = h->lfd;
			appauth_replay_free(&h->replay);
			free(h);
			return rc;
		}
	}
	struct MHD_OptionItem opts[] = {
		{MHD_OPTION_THREAD_POOL_SIZE, cfg->threads ? cfg->threads : 4, NULL},
		{MHD_OPTION_CONNECTION_TIMEOUT, 15, NULL},
		{MHD_OPTION_CONNECTION_LIMIT, 2048, NULL},
		{MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)completed, NULL},
		{tls ? MHD_OPTION_END : MHD_OPTION_LISTEN_SOCKET, h->lfd, NULL},
		{MHD_OPTION_END, 0, NULL},
	};
	h->d = MHD_start_daemon(flags, 0, NULL, NULL, handler, h, MHD_OPTION_ARRAY, opts,
				MHD_OPTION_END);
	if (!h->d) {
		snprintf(err, errsz, "http: cannot start the HTTP daemon");
		if (h->lfd >= 0)
			close(h->lfd);
		appauth_replay_free(&h->replay);
		free(h);
		return -EIO;
	}
	if (tls) {
		int rc = tls_front_start(&h->tls, cfg->host, cfg->port, cfg->tls_cert, cfg->tls_key,
					 h->d, err, errsz);
		if (rc) {
			MHD_stop_daemon(h->d);
			appauth_replay_free(&h->replay);
			free(h);
			return rc;
		}
		h->port = tls_front_port(h->tls);
	}
	h->lfd = -1; /* MHD owns the listening socket now and closes it when stopped */
	*hp = h;
	return 0;
}

unsigned http_face_port(const struct http_face *h)
{
	return h->port;
}

void http_face_stop(struct http_face *h)
{
	if (!h)
		return;
	tls_front_stop(h->tls);
	MHD_stop_daemon(h->d);
	appauth_replay_free(&h->replay);
	free(h);
}
