/* The gateway's HTTP face (libmicrohttpd, TLS 1.2+ terminated with OpenSSL):
 *   POST /ussd                          aggregator requests, Africa's Talking convention,
 *                                       HMAC-signed (GW-APPAUTH); answer "CON ..."/"END ..."
 *   POST /ussd/e2e                      GW-E2E (when configured): a DCS 0x96 string from a SIM
 *                                       applet, fields sessionId, phoneNumber, networkCode, imsi,
 *                                       dcs=150, data (hex); HMAC-signed like /ussd; the answer
 *                                       string (CPI 71 + secured PoR) as hex text, 204 when none
 *   POST /ussd/push                     network-initiated USSD for an application (services with
 *                                       push: true): serviceCode, phoneNumber, type
 *                                       (notify|prompt), text; signed with the service's key;
 *                                       JSON outcome once the network answered (docs/ussd.md)
 *   POST /simswap/feed                  operator SIM swap feed, CSV body, bearer token
 *   POST /sim-swap/v1/check             CAMARA SIM Swap API (GW-SIMSWAP-API), bearer token
 *   POST /sim-swap/v1/retrieve-date
 *   GET  /healthz
 * Bad requests get a 4xx status with the reason as text/plain (CAMARA endpoints: the CAMARA
 * error object {status, code, message}). */
#ifndef DFS_HTTP_FACE_H
#define DFS_HTTP_FACE_H
#include <stddef.h>
#include <stdint.h>

#include "appauth.h"
#include "gw.h"
#include "gw_e2e.h"
#include "ussd_push.h"

struct http_face_config {
	const char *host;  /* listen address */
	unsigned port;     /* 0 = any free port (see http_face_port) */
	unsigned threads;
	const char *tls_cert, *tls_key; /* PEM files; NULL = plain HTTP (127.0.0.1 only) */
	const uint8_t *agg_key;
	size_t agg_key_len;
	int64_t replay_window_s;
	const char *feed_token;   /* "" = feed endpoint off */
	const char *camara_token; /* "" = CAMARA API off */
	struct gw_e2e *e2e;       /* NULL = /ussd/e2e off */
	struct ussd_push *push;   /* NULL = /ussd/push off */
};

struct http_face;

int http_face_start(struct http_face **hp, struct gw *g, const struct http_face_config *c,
		    char *err, size_t errsz);
unsigned http_face_port(const struct http_face *h);
void http_face_stop(struct http_face *h);

/* application/x-www-form-urlencoded: find field name in body, percent-decode it into out.
 * 0, -ENOENT when absent, -EINVAL on bad encoding, -E2BIG when it does not fit. */
int http_form_field(const char *body, size_t len, const char *name, char *out, size_t outsz);

#endif
