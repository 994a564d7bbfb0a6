/* Receiving entity and OTA service. See ota_service.h. */
#include "ota_service.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

static int chk_rank(enum ota_chk_kind k)
{
	switch (k) {
	case OTA_CHK_NONE:
		return 0;
	case OTA_CHK_RC:
		return 1; /* redundancy check: detects errors, not attackers */
	case OTA_CHK_CC:
	case OTA_CHK_DS:
		return 2;
	}
	return 0;
}

static int cntr_rank(enum ota_cntr_mode m)
{
	return m == OTA_CNTR_NEXT ? OTA_CNTR_HIGHER : (int)m; /* "exactly one higher" is at least "higher" */
}

bool ota_security_sufficient(const struct ota_spi *s, const struct ota_tar_policy *p)
{
	if (chk_rank(s->chk) < chk_rank(p->min_chk))
		return false;
	if (p->need_cipher && !s->cipher)
		return false;
	return cntr_rank(s->cntr) >= cntr_rank(p->min_cntr);
}

int ota_tar_policy_parse(const char *spec, struct ota_tar_policy *p)
{
	char *end;
	const char *c = spec;
	memset(p, 0, sizeof(*p));
	if (strlen(spec) < 6 || spec[6] != ':')
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		if (!strchr("0123456789abcdefABCDEF", spec[i]))
			return -EINVAL;
	p->tar = (uint32_t)strtoul(spec, NULL, 16) & 0xffffff; /* stops at ':' */
	c = spec + 7;
	while (*c) {
		size_t n = strcspn(c, "+");
		if (n == 2 && !strncmp(c, "rc", 2) && p->min_chk < OTA_CHK_RC)
			p->min_chk = OTA_CHK_RC;
		else if (n == 2 && !strncmp(c, "cc", 2))
			p->min_chk = OTA_CHK_CC;
		else if (n == 6 && !strncmp(c, "cipher", 6))
			p->need_cipher = true;
		else if (n == 7 && !strncmp(c, "nocheck", 7) && p->min_cntr < OTA_CNTR_NO_CHECK)
			p->min_cntr = OTA_CNTR_NO_CHECK;
		else if (n == 7 && !strncmp(c, "counter", 7) && p->min_cntr < OTA_CNTR_HIGHER)
			p->min_cntr = OTA_CNTR_HIGHER;
		else if (n == 4 && !strncmp(c, "next", 4))
			p->min_cntr = OTA_CNTR_NEXT;
		else if (n > 4 && !strncmp(c, "gap=", 4)) {
			unsigned long long g = strtoull(c + 4, &end, 10);
			if (end != c + n || !g || g > OTA_CNTR_MAXVAL)
				return -EINVAL;
			p->max_gap = g;
		} else {
			return -EINVAL;
		}
		c += n;
		if (*c == '+' && !*++c)
			return -EINVAL;
	}
	return 0;
}

const struct ota_tar_policy *ota_tar_lookup(const struct ota_receiver *r, uint32_t tar)
{
	for (size_t i = 0; i < r->n_tars; i++)
		if (r->tars[i].tar == tar)
			return &r->tars[i];
	return NULL;
}

/* Load the keys a packet needs: KIc from key version kic >> 4, KID from kid >> 4. */
static int load_keys(const struct ota_rx_ops *ops, const char *iccid, uint8_t kic, uint8_t kid,
		     bool need_kic, bool need_kid, struct ota_keyset *ks)
{
	struct ota_keyset *other;
	int rc = 0;
	sodium_memzero(ks, sizeof(*ks));
	if (!need_kic && !need_kid)
		return 0;
	uint8_t v1 = need_kic ? kic >> 4 : kid >> 4, v2 = need_kid ? kid >> 4 : v1;
	rc = ops->get_keys(ops->ud, iccid, v1, ks);
	if (rc || v1 == v2)
		return rc;
	other = ota_keyset_new();
	if (!other)
		return -ENOMEM;
	rc = ops->get_keys(ops->ud, iccid, v2, other);
	if (!rc)
		ks->kid = other->kid;
	ota_keyset_free(other);
	return rc;
}

int ota_receiver_open(const struct ota_receiver *r, const char *iccid, const uint8_t *prefix,
		      size_t prefix_len, const uint8_t *pkt, size_t len, struct ota_keyset *ks,
		      uint8_t *buf, size_t bufsz, struct ota_rx_result *res)
{
	struct ota_cmd_pkt c;
	struct ota_cmd_open o;
	int rc;

	memset(res, 0, sizeof(*res));
	rc = ota_cmd_decode(pkt, len, 0, &c, NULL);
	if (rc)
		return rc;
	res->tar = c.tar;
	memcpy(res->spi, c.spi_raw, 2);
	res->s = c.spi;
	res->kic = c.kic;
	res->kid = c.kid;
	res->kvn = (uint8_t)((c.spi.chk != OTA_CHK_NONE ? c.kid : c.kic) >> 4);
	if (c.has_plain)
		memcpy(res->cntr, c.cntr, OTA_CNTR_LEN);

	res->policy = ota_tar_lookup(r, c.tar);
	if (!res->policy) {
		res->status = OTA_ST_TAR_UNKNOWN;
		return 0;
	}
	if (!ota_security_sufficient(&c.spi, res->policy)) {
		res->status = OTA_ST_INSUFFICIENT_SECURITY;
		return 0;
	}
	rc = load_keys(&r->ops, iccid, c.kic, c.kid, c.spi.cipher, c.spi.chk == OTA_CHK_CC, ks);
	if (rc == -ENOMEM)
		return rc;
	if (rc) {
		res->status = OTA_ST_SECURITY_ERROR;
		return 0;
	}
	res->keys_ok = true;
	rc = ota_cmd_unprotect(&c, ks, prefix, prefix_len, r->flags, buf, bufsz, &o);
	if (rc < 0)
		return rc;
	if (rc == OTA_ST_OK || c.spi.cipher == false)
		memcpy(res->cntr, rc == OTA_ST_OK ? o.cntr : c.cntr, OTA_CNTR_LEN);
	if (rc != OTA_ST_OK) {
		res->status = (uint8_t)rc;
		return 0;
	}
	/* only an authentic counter moves the receiver's state */
	rc = r->ops.cntr_accept(r->ops.ud, iccid, res->kvn, c.spi.cntr, o.cntr, res->policy->max_gap);
	if (rc < 0)
		return rc;
	res->status = (uint8_t)rc;
	if (rc == OTA_ST_OK) {
		res->data = o.data;
		res->data_len = o.data_len;
	}
	return 0;
}

bool ota_rx_por_wanted(const struct ota_rx_result *res)
{
	switch (res->s.por) {
	case OTA_POR_ALWAYS:
		return true;
	case OTA_POR_ON_ERROR:
		return res->status != OTA_ST_OK;
	default:
		return false;
	}
}

int ota_receiver_por(const struct ota_receiver *r, const struct ota_rx_result *res,
		     const struct ota_keyset *ks, uint8_t status, const uint8_t *data, size_t n,
		     const uint8_t *prefix, size_t prefix_len, struct dfs_wbuf *w)
{
	size_t start = w->len;
	int rc = -EINVAL;
	dfs_wbuf_put(w, prefix, prefix_len);
	if (!dfs_wbuf_ok(w))
		return -ENOSPC;
	if (res->keys_ok) {
		struct ota_rsp_params p = {.kic = res->kic, .kid = res->kid, .tar = res->tar, .status = status,
					   .data = data, .data_len = n};
		memcpy(p.spi, res->spi, 2);
		memcpy(p.cntr, res->cntr, OTA_CNTR_LEN);
		rc = ota_rsp_encode(w, &p, ks, prefix, prefix_len, r->flags);
		if (rc == -ENOSPC || rc == -EMSGSIZE) {
			w->len = start;
			return rc;
		}
	}
	/* keys unknown (TAR unknown, no keyset): the PoR goes unsecured */
	if (rc)
		rc = ota_rsp_encode_plain(w, res->tar, res->cntr, status, data, n);
	if (rc)
		w->len = start;
	return rc;
}

#define APP_OUT_MAX 1024

int ota_receiver_handle(const struct ota_receiver *r, const char *iccid, const uint8_t *cmd_prefix,
			size_t cmd_prefix_len, const uint8_t *pkt, size_t len, const uint8_t *por_prefix,
			size_t por_prefix_len, struct dfs_wbuf *w, struct ota_rx_result *res)
{
	struct ota_keyset *ks = ota_keyset_new();
	uint8_t *buf = ota_secret_alloc(len + 1), *out = ota_secret_alloc(APP_OUT_MAX);
	size_t outlen = 0;
	int rc = -ENOMEM;

	if (!ks || !buf || !out)
		goto done;
	rc = ota_receiver_open(r, iccid, cmd_prefix, cmd_prefix_len, pkt, len, ks, buf, len + 1, res);
	if (rc)
		goto done;
	if (res->status == OTA_ST_OK && res->policy->app) {
		int st = res->policy->app(res->policy->app_ud, res, res->data, res->data_len, out, APP_OUT_MAX,
					  &outlen);
		if (st < 0) {
			rc = st;
			goto done;
		}
		res->status = (uint8_t)st;
	}
	res->data = NULL; /* the plaintext buffer is wiped below */
	res->data_len = 0;
	if (ota_rx_por_wanted(res))
		rc = ota_receiver_por(r, res, ks, res->status, out, outlen, por_prefix, por_prefix_len, w);
done:
	ota_keyset_free(ks);
	ota_secret_free(buf);
	ota_secret_free(out);
	return rc;
}

/* ---- the operator side ------------------------------------------------------------------ */
static int svc_get_keys(void *ud, const char *iccid, uint8_t kvn, struct ota_keyset *out)
{
	struct ota_service *svc = ud;
	return ota_keystore_get(svc->keys, iccid, kvn, out);
}

static int svc_cntr_accept(void *ud, const char *iccid, uint8_t kvn, enum ota_cntr_mode mode,
			   const uint8_t cntr[OTA_CNTR_LEN], uint64_t max_gap)
{
	struct ota_service *svc = ud;
	return ota_counter_rx_accept(svc->counters, iccid, kvn, mode, cntr, max_gap);
}

void ota_service_init(struct ota_service *svc, struct ota_keystore *keys, struct ota_counter_db *counters,
		      const struct ota_tar_policy *tars, size_t n_tars, unsigned flags)
{
	memset(svc, 0, sizeof(*svc));
	svc->keys = keys;
	svc->counters = counters;
	svc->rx.tars = tars;
	svc->rx.n_tars = n_tars;
	svc->rx.flags = flags;
	svc->rx.ops.get_keys = svc_get_keys;
	svc->rx.ops.cntr_accept = svc_cntr_accept;
	svc->rx.ops.ud = svc;
}

int ota_service_unwrap(struct ota_service *svc, const char *iccid, const uint8_t *prefix, size_t prefix_len,
		       const uint8_t *pkt, size_t len, uint8_t *plain, size_t plainsz,
		       struct ota_rx_result *res)
{
	struct ota_keyset *ks = ota_keyset_new();
	if (!ks)
		return -ENOMEM;
	int rc = ota_receiver_open(&svc->rx, iccid, prefix, prefix_len, pkt, len, ks, plain, plainsz, res);
	ota_keyset_free(ks);
	return rc;
}

int ota_service_wrap_por(struct ota_service *svc, const char *iccid, const struct ota_rx_result *res,
			 int status_override, const uint8_t *data, size_t n, const uint8_t *prefix,
			 size_t prefix_len, struct dfs_wbuf *w)
{
	struct ota_keyset *ks = ota_keyset_new();
	struct ota_rx_result r2 = *res;
	if (!ks)
		return -ENOMEM;
	if (r2.keys_ok && load_keys(&svc->rx.ops, iccid, r2.kic, r2.kid, r2.s.por_cipher,
				    r2.s.por_chk == OTA_CHK_CC, ks))
		r2.keys_ok = false;
	uint8_t status = status_override >= 0 ? (uint8_t)status_override : res->status;
	int rc = ota_receiver_por(&svc->rx, &r2, ks, status, data, n, prefix, prefix_len, w);
	ota_keyset_free(ks);
	return rc;
}

void ota_keyset_kic_kid(const struct ota_keyset *ks, const uint8_t spi[2], uint8_t *kic, uint8_t *kid)
{
	struct ota_spi s;
	ota_spi_decode(spi, &s);
	enum ota_alg ka = ks->kid.alg;
	if (s.chk == OTA_CHK_RC && ka != OTA_ALG_CRC16)
		ka = OTA_ALG_CRC32;
	*kic = (uint8_t)(ks->kvn << 4 | ota_alg_nibble(ks->kic.alg));
	*kid = (uint8_t)(ks->kvn << 4 | ota_alg_nibble(ka));
}

int ota_service_build_cmd(struct ota_service *svc, const char *iccid, uint8_t kvn, const uint8_t spi[2],
			  uint32_t tar, const uint8_t *data, size_t n, const uint8_t *prefix,
			  size_t prefix_len, struct dfs_wbuf *w, uint8_t cntr_out[OTA_CNTR_LEN])
{
	struct ota_keyset *ks = ota_keyset_new();
	struct ota_cmd_params p = {.tar = tar, .data = data, .data_len = n};
	struct ota_spi s;
	int rc;

	if (!ks)
		return -ENOMEM;
	rc = ota_keystore_get(svc->keys, iccid, kvn, ks);
	if (rc)
		goto out;
	memcpy(p.spi, spi, 2);
	ota_spi_decode(spi, &s);
	ota_keyset_kic_kid(ks, spi, &p.kic, &p.kid);
	/* the counter is committed before the packet exists, so it can never be sent twice */
	if (s.cntr != OTA_CNTR_NONE) {
		rc = ota_counter_next(svc->counters, iccid, kvn, p.cntr);
		if (rc)
			goto out;
	}
	rc = ota_cmd_encode(w, &p, ks, prefix, prefix_len, svc->rx.flags);
	if (!rc && cntr_out)
		memcpy(cntr_out, p.cntr, OTA_CNTR_LEN);
out:
	ota_keyset_free(ks);
	return rc;
}

int ota_service_open_por(struct ota_service *svc, const char *iccid, uint8_t kvn, const uint8_t spi[2],
			 const uint8_t *prefix, size_t prefix_len, const uint8_t *pkt, size_t len,
			 uint8_t *buf, size_t bufsz, struct ota_rsp_open *o)
{
	struct ota_keyset *ks = ota_keyset_new();
	struct ota_rsp_pkt r;
	uint8_t kic, kid;
	int rc;

	if (!ks)
		return -ENOMEM;
	rc = ota_keystore_get(svc->keys, iccid, kvn, ks);
	if (!rc)
		rc = ota_rsp_decode(pkt, len, prefix_len, &r, NULL);
	if (!rc) {
		ota_keyset_kic_kid(ks, spi, &kic, &kid);
		rc = ota_rsp_unprotect(&r, spi, kic, kid, ks, prefix, prefix_len, svc->rx.flags, buf, bufsz, o);
	}
	ota_keyset_free(ks);
	return rc;
}
