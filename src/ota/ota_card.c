/* UICC simulator. See ota_card.h. */
#include "ota_card.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ota_keystore.h"

struct ota_card {
	char iccid[OTA_ICCID_MAX + 1];
	struct ota_keyset *keys[16]; /* by key version, secure memory */
	uint64_t rx_cntr[16], tx_cntr[16];
	struct ota_tar_policy tars[1];
	struct ota_receiver rx;
};

/* TS 102 226 5.1.2 compact remote response for a list of C-APDUs */
static int rfm_app(void *ud, const struct ota_rx_result *rx, const uint8_t *in, size_t n, uint8_t *out,
		   size_t outsz, size_t *outlen)
{
	size_t off = 0;
	uint8_t count = 0;
	uint16_t sw = 0x9000;
	while (off < n) {
		if (n - off < 5) {
			sw = 0x6700; /* wrong length */
			count++;
			break;
		}
		const uint8_t *apdu = in + off;
		size_t lc = apdu[4];
		if (n - off - 5 < lc) {
			sw = 0x6700;
			count++;
			break;
		}
		count++;
		if (apdu[1] == 0xa4) /* SELECT */
			sw = (lc == 2 && apdu[5] == 0x3f && apdu[6] == 0x00) ? 0x6132 : 0x6a82;
		else
			sw = 0x6d00;
		off += 5 + lc;
		if ((sw >> 8) != 0x61 && (sw >> 8) != 0x90)
			break; /* execution stops at the first error */
	}
	if (outsz < 3)
		return OTA_ST_NO_MEMORY;
	out[0] = count;
	out[1] = (uint8_t)(sw >> 8);
	out[2] = (uint8_t)sw;
	*outlen = 3;
	return OTA_ST_OK;
}

static int card_get_keys(void *ud, const char *iccid, uint8_t kvn, struct ota_keyset *out)
{
	struct ota_card *c = ud;
	if (kvn > 15 || !c->keys[kvn])
		return -ENOENT;
	*out = *c->keys[kvn];
	return 0;
}

static int card_cntr_accept(void *ud, const char *iccid, uint8_t kvn, enum ota_cntr_mode mode,
			    const uint8_t cntr[OTA_CNTR_LEN], uint64_t max_gap)
{
	struct ota_card *c = ud;
	if (kvn > 15)
		return OTA_ST_SECURITY_ERROR;
	uint8_t st = ota_counter_rule(mode, c->rx_cntr[kvn], ota_cntr_get(cntr), max_gap);
	if (st == OTA_ST_OK && ota_counter_mode_records(mode))
		c->rx_cntr[kvn] = ota_cntr_get(cntr);
	return st;
}

struct ota_card *ota_card_new(const char *iccid)
{
	struct ota_card *c = calloc(1, sizeof(*c));
	if (!c || strlen(iccid) > OTA_ICCID_MAX || sodium_init() < 0) {
		free(c);
		return NULL;
	}
	strcpy(c->iccid, iccid);
	c->tars[0] = (struct ota_tar_policy){.tar = OTA_TAR_USIM_RFM, .name = "USIM RFM",
					     .min_chk = OTA_CHK_CC, .need_cipher = true,
					     .min_cntr = OTA_CNTR_NONE, .app = rfm_app};
	c->rx.tars = c->tars;
	c->rx.n_tars = 1;
	c->rx.ops = (struct ota_rx_ops){.get_keys = card_get_keys, .cntr_accept = card_cntr_accept, .ud = c};
	return c;
}

void ota_card_free(struct ota_card *c)
{
	if (!c)
		return;
	for (int i = 0; i < 16; i++)
		ota_keyset_free(c->keys[i]);
	free(c);
}

int ota_card_set_keyset(struct ota_card *c, const struct ota_keyset *ks)
{
	if (ks->kvn < 1 || ks->kvn > 15)
		return -EINVAL;
	if (!c->keys[ks->kvn] && !(c->keys[ks->kvn] = ota_keyset_new()))
		return -ENOMEM;
	*c->keys[ks->kvn] = *ks;
	return 0;
}

void ota_card_set_rfm_policy(struct ota_card *c, enum ota_chk_kind min_chk, bool need_cipher,
			     enum ota_cntr_mode min_cntr)
{
	c->tars[0].min_chk = min_chk;
	c->tars[0].need_cipher = need_cipher;
	c->tars[0].min_cntr = min_cntr;
}

void ota_card_set_rx_counter(struct ota_card *c, uint8_t kvn, uint64_t v) { c->rx_cntr[kvn & 15] = v; }
uint64_t ota_card_rx_counter(const struct ota_card *c, uint8_t kvn) { return c->rx_cntr[kvn & 15]; }
void ota_card_set_tx_counter(struct ota_card *c, uint8_t kvn, uint64_t v) { c->tx_cntr[kvn & 15] = v; }
uint64_t ota_card_tx_counter(const struct ota_card *c, uint8_t kvn) { return c->tx_cntr[kvn & 15]; }
void ota_card_set_flags(struct ota_card *c, unsigned flags) { c->rx.flags = flags; }

int ota_card_receive(struct ota_card *c, enum ota_bearer b, const uint8_t *pkt, size_t len,
		     struct dfs_wbuf *w, struct ota_rx_result *res)
{
	size_t cpl, rpl;
	const uint8_t *cp = ota_bearer_cmd_prefix(b, &cpl), *rp = ota_bearer_rsp_prefix(b, &rpl);
	return ota_receiver_handle(&c->rx, c->iccid, cp, cpl, pkt, len, rp, rpl, w, res);
}

int ota_card_wallet_request(struct ota_card *c, enum ota_bearer b, uint8_t kvn, const uint8_t spi[2],
			    uint32_t tar, const struct ota_wallet_txn *t, struct dfs_wbuf *w,
			    struct ota_card_pending *pend)
{
	uint8_t *data = ota_secret_alloc(256); /* holds the PIN */
	struct dfs_wbuf dw;
	struct ota_cmd_params p = {.tar = tar};
	size_t pl;
	const uint8_t *prefix = ota_bearer_cmd_prefix(b, &pl);
	int rc;

	if (!data)
		return -ENOMEM;
	if (kvn < 1 || kvn > 15 || !c->keys[kvn]) {
		rc = -ENOENT;
		goto out;
	}
	if (c->tx_cntr[kvn] >= OTA_CNTR_MAXVAL) {
		rc = -ERANGE;
		goto out;
	}
	dw = dfs_wbuf_init(data, 256);
	rc = ota_wallet_txn_encode(&dw, t);
	if (rc)
		goto out;
	memcpy(p.spi, spi, 2);
	ota_keyset_kic_kid(c->keys[kvn], spi, &p.kic, &p.kid);
	ota_cntr_put(p.cntr, c->tx_cntr[kvn] + 1);
	p.data = data;
	p.data_len = dw.len;
	rc = ota_cmd_encode(w, &p, c->keys[kvn], prefix, pl, c->rx.flags);
	if (rc)
		goto out;
	c->tx_cntr[kvn]++;
	memset(pend, 0, sizeof(*pend));
	pend->kvn = kvn;
	memcpy(pend->spi, spi, 2);
	pend->tar = tar;
	memcpy(pend->cntr, p.cntr, OTA_CNTR_LEN);
	memcpy(pend->ref, t->ref, t->ref_len);
	pend->ref_len = t->ref_len;
out:
	ota_secret_free(data);
	return rc;
}

int ota_card_wallet_por(struct ota_card *c, enum ota_bearer b, const struct ota_card_pending *pend,
			const uint8_t *pkt, size_t len, uint8_t *status, struct ota_wallet_answer *ans)
{
	struct ota_rsp_pkt r;
	struct ota_rsp_open o;
	uint8_t kic, kid, buf[512];
	size_t pl;
	const uint8_t *prefix = ota_bearer_rsp_prefix(b, &pl);
	int rc;

	if (pend->kvn < 1 || pend->kvn > 15 || !c->keys[pend->kvn])
		return -ENOENT;
	if (ota_rsp_decode(pkt, len, 0, &r, NULL) || r.secured.len > sizeof(buf))
		return -EBADMSG;
	ota_keyset_kic_kid(c->keys[pend->kvn], pend->spi, &kic, &kid);
	rc = ota_rsp_unprotect(&r, pend->spi, kic, kid, c->keys[pend->kvn], prefix, pl, c->rx.flags, buf,
			       sizeof(buf), &o);
	if (rc)
		return rc < 0 ? rc : -EACCES;
	if (r.tar != pend->tar || memcmp(o.cntr, pend->cntr, OTA_CNTR_LEN))
		return -EPROTO;
	*status = o.status;
	memset(ans, 0, sizeof(*ans));
	if (o.status != OTA_ST_OK || !o.data_len)
		return 0;
	if (ota_wallet_answer_decode(o.data, o.data_len, 0, ans, NULL))
		return -EBADMSG;
	if (ans->ref_len != pend->ref_len || memcmp(ans->ref, pend->ref, pend->ref_len))
		return -EPROTO;
	return 0;
}
