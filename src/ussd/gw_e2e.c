/* GW-E2E: a wallet transaction from a SIM applet in a TS 102 225 secured packet over USSD
 * application mode, executed through the gateway's controls (see gw_e2e.h). */
#include "gw_e2e.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ota_keystore.h"
#include "ota_transport.h"
#include "ota_wallet.h"

#define E2E_PLAIN_MAX OTA_USSD_MAX

void gw_e2e_init(struct gw_e2e *e, struct gw *g, const struct gw_e2e_config *cfg,
		 struct ota_keystore *keys, struct ota_counter_db *counters)
{
	memset(e, 0, sizeof(*e));
	e->g = g;
	e->cfg = cfg;
	/* OTA-MINSEC for anything that moves money: CC, ciphering, counter higher */
	e->tars[0] = (struct ota_tar_policy){.tar = OTA_TAR_WALLET, .name = "wallet",
					     .min_chk = OTA_CHK_CC, .need_cipher = true,
					     .min_cntr = OTA_CNTR_HIGHER};
	ota_service_init(&e->svc, keys, counters, e->tars, 1, 0);
	pthread_mutex_init(&e->lock, NULL);
}

void gw_e2e_destroy(struct gw_e2e *e)
{
	pthread_mutex_destroy(&e->lock);
}

static const char *iccid_of(const struct gw_e2e_config *c, const char *msisdn)
{
	for (unsigned i = 0; i < c->n_sims; i++)
		if (!strcmp(c->sims[i].msisdn, msisdn))
			return c->sims[i].iccid;
	return NULL;
}

/* GW-IDEMPOTENT: the transaction's identity is the card, key version and counter, so the
 * ledger moves money once per packet even if the counter store were rolled back. */
static void txn_id(const char *iccid, const struct ota_rx_result *rx, char out[GW_SESSION_ID_LEN + 1])
{
	uint8_t h[GW_SESSION_ID_LEN / 2];
	crypto_generichash_state st;
	crypto_generichash_init(&st, (const uint8_t *)"dfsg-e2e", 8, sizeof(h));
	crypto_generichash_update(&st, (const uint8_t *)iccid, strlen(iccid) + 1);
	crypto_generichash_update(&st, &rx->kvn, 1);
	crypto_generichash_update(&st, rx->cntr, OTA_CNTR_LEN);
	crypto_generichash_final(&st, h, sizeof(h));
	sodium_bin2hex(out, GW_SESSION_ID_LEN + 1, h, sizeof(h));
}

static void copy_id(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

/* The transfer through GW-PIN, GW-SIMSWAP, GW-LIMITS, GW-CONFIRM and the ledger. */
static int execute(struct gw_e2e *e, struct gw_session *s, const struct ota_wallet_txn *t,
		   struct ota_wallet_answer *a, int64_t *transfer_id)
{
	struct gw *g = e->g;
	char cp[LEDGER_ID_MAX];
	if (t->op != OTA_WALLET_OP_TRANSFER || t->amount > INT64_MAX ||
	    strcmp(t->currency, g->cfg->currency) ||
	    gw_normalize_msisdn(g->cfg, t->recipient, cp, sizeof(cp)) || !strcmp(cp, s->msisdn)) {
		a->result = OTA_WR_MALFORMED;
		gw_audit(g, s, "e2e", "wallet", "refused", "malformed transaction", NULL, -1, -1, 0);
		return 0;
	}
	int64_t amount = (int64_t)t->amount;
	int64_t fee = gw_fee(g->cfg->p2p_fees, g->cfg->n_p2p_fees, amount);
	/* the applet showed the details and took the PIN for exactly this transaction */
	gw_confirm_show(s, LEDGER_XFER_P2P, cp, amount, fee);
	s->steps++;
	enum pin_result pr;
	unsigned left = 0;
	int rc = gw_pin_check(g, s, t->pin, &pr, &left);
	if (rc)
		return rc;
	if (pr != PIN_OK) {
		a->result = pr == PIN_NO_USER ? OTA_WR_REFUSED : OTA_WR_BAD_PIN;
		return 0;
	}
	struct ledger_transfer_res lr;
	const char *control = NULL;
	rc = gw_execute_transfer(g, s, LEDGER_XFER_P2P, cp, amount, fee, &lr, &control);
	if (rc == -ERANGE) {
		a->result = OTA_WR_FUNDS;
		return 0;
	}
	if (rc == -EPERM || rc == -EACCES || rc == -ENOENT || rc == -EINVAL) {
		a->result = control && !strcmp(control, "GW-LIMITS") ? OTA_WR_LIMIT : OTA_WR_REFUSED;
		return 0;
	}
	if (rc)
		return rc;
	a->result = lr.replayed ? OTA_WR_DUPLICATE : OTA_WR_DONE;
	a->has_balance = true;
	a->balance = (uint64_t)lr.debit_balance;
	snprintf(a->txid, sizeof(a->txid), "%" PRId64, lr.id);
	*transfer_id = lr.id;
	return 0;
}

/* Unwrap, execute, answer: under e->lock. */
static int handle_locked(struct gw_e2e *e, struct gw_session *s, const char *iccid,
			 const struct gw_e2e_request *q, uint8_t *plain, struct ota_wallet_txn *t,
			 uint8_t *out, size_t outsz, size_t *outlen, struct gw_e2e_result *res)
{
	struct gw *g = e->g;
	size_t cpl, rpl;
	const uint8_t *cp = ota_bearer_cmd_prefix(OTA_BEARER_USSD, &cpl);
	const uint8_t *rp = ota_bearer_rsp_prefix(OTA_BEARER_USSD, &rpl);
	struct ota_rx_result rx;
	int rc = ota_service_unwrap(&e->svc, iccid, cp, cpl, q->ussd + cpl, q->len - cpl, plain,
				    E2E_PLAIN_MAX, &rx);
	if (rc)
		return rc;
	res->por_status = rx.status;
	uint8_t ans[128];
	struct dfs_wbuf aw = dfs_wbuf_init(ans, sizeof(ans));
	if (rx.status == OTA_ST_OK) {
		txn_id(iccid, &rx, s->id);
		struct ota_wallet_answer a = {.result = OTA_WR_MALFORMED};
		if (ota_wallet_txn_decode(rx.data, rx.data_len, 0, t, NULL) == 0) {
			memcpy(a.ref, t->ref, t->ref_len);
			a.ref_len = t->ref_len;
			rc = execute(e, s, t, &a, &res->transfer_id);
			if (rc)
				return rc;
		} else {
			gw_audit(g, s, "e2e", "wallet", "refused", "malformed transaction", NULL, -1,
				 -1, 0);
		}
		res->wallet = a.result;
		rc = ota_wallet_answer_encode(&aw, &a);
		if (rc)
			return rc;
	} else {
		const char *why = get_value_string(ota_status_names, rx.status);
		gw_audit(g, s, "e2e", "secured-packet", "refused", why, NULL, -1, -1, 0);
		if (rx.status == OTA_ST_RC_CC_DS_FAILED || rx.status == OTA_ST_CNTR_LOW ||
		    rx.status == OTA_ST_CIPHER_ERROR)
			gw_alert(g, "GW-E2E", "high", s, NULL, why);
	}
	struct dfs_wbuf w = dfs_wbuf_init(out, outsz);
	rc = ota_service_wrap_por(&e->svc, iccid, &rx, -1, ans, aw.len, rp, rpl, &w);
	if (rc == 0 && w.len > OTA_USSD_MAX)
		rc = -EMSGSIZE;
	if (rc == 0)
		*outlen = w.len;
	return rc;
}

int gw_e2e_handle(struct gw_e2e *e, const struct gw_e2e_request *q, uint8_t *out, size_t outsz,
		  size_t *outlen, struct gw_e2e_result *res)
{
	struct gw *g = e->g;
	size_t cpl;
	const uint8_t *cp = ota_bearer_cmd_prefix(OTA_BEARER_USSD, &cpl);
	*outlen = 0;
	memset(res, 0, sizeof(*res));
	if (!q->msisdn || !q->ussd || q->len <= cpl || q->len > OTA_USSD_MAX ||
	    memcmp(q->ussd, cp, cpl))
		return -EBADMSG; /* segmented strings and response packets are not commands to us */
	const char *iccid = iccid_of(e->cfg, q->msisdn);
	if (!iccid)
		return -ENOENT;

	struct gw_session *s = calloc(1, sizeof(*s));
	uint8_t *plain = ota_secret_alloc(E2E_PLAIN_MAX);
	struct ota_wallet_txn *t = ota_secret_alloc(sizeof(*t));
	int rc = -ENOMEM;
	if (!s || !plain || !t)
		goto out;
	s->face = q->face;
	copy_id(s->dialogue, sizeof(s->dialogue), q->dialogue);
	copy_id(s->msisdn, sizeof(s->msisdn), q->msisdn);
	copy_id(s->imsi, sizeof(s->imsi), q->imsi);
	copy_id(s->network, sizeof(s->network), q->network);
	copy_id(s->source, sizeof(s->source), q->source ? q->source : q->msisdn);
	copy_id(s->service, sizeof(s->service), "e2e");
	s->created_ms = s->last_ms = g->clock(g->clock_ud);
	pthread_mutex_lock(&e->lock);
	rc = handle_locked(e, s, iccid, q, plain, t, out, outsz, outlen, res);
	pthread_mutex_unlock(&e->lock);
out:
	if (t)
		ota_secret_free(t);
	if (plain)
		ota_secret_free(plain);
	free(s);
	return rc;
}
