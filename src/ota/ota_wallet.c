/* The wallet-transaction applet TLVs. See ota_wallet.h for the format. */
#include "ota_wallet.h"

#include <errno.h>
#include <string.h>

#include <sodium.h>

const struct value_string ota_wallet_result_names[] = {
	{OTA_WR_DONE, "done"},         {OTA_WR_REFUSED, "refused"},    {OTA_WR_BAD_PIN, "wrong PIN"},
	{OTA_WR_LIMIT, "limit"},       {OTA_WR_FUNDS, "insufficient funds"},
	{OTA_WR_MALFORMED, "malformed"}, {OTA_WR_DUPLICATE, "duplicate"}, {0, NULL},
};

static void put_tlv(struct dfs_wbuf *w, uint8_t tag, const void *v, size_t n)
{
	if (n > 127) {
		w->overflow = 1;
		return;
	}
	dfs_wbuf_u8(w, tag);
	dfs_wbuf_u8(w, (uint8_t)n);
	dfs_wbuf_put(w, v, n);
}

static void put_u64(struct dfs_wbuf *w, uint8_t tag, uint64_t v)
{
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (56 - 8 * i));
	put_tlv(w, tag, b, 8);
}

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static bool txn_valid(const struct ota_wallet_txn *t)
{
	size_t pl = strnlen(t->pin, sizeof(t->pin)), rl = strnlen(t->recipient, sizeof(t->recipient));
	if (t->version != OTA_WALLET_VERSION || t->op != OTA_WALLET_OP_TRANSFER)
		return false;
	if (pl < 4 || pl > 12 || !all_digits(t->pin, pl) || rl < 1 || rl > 15 || !all_digits(t->recipient, rl))
		return false;
	if (strnlen(t->currency, sizeof(t->currency)) != 3)
		return false;
	for (int i = 0; i < 3; i++)
		if (t->currency[i] < 'A' || t->currency[i] > 'Z')
			return false;
	return t->amount > 0 && t->ref_len >= 1 && t->ref_len <= sizeof(t->ref);
}

int ota_wallet_txn_encode(struct dfs_wbuf *w, const struct ota_wallet_txn *t)
{
	if (!txn_valid(t))
		return -EINVAL;
	put_tlv(w, OTA_WT_VERSION, &t->version, 1);
	put_tlv(w, OTA_WT_OP, &t->op, 1);
	put_tlv(w, OTA_WT_PIN, t->pin, strlen(t->pin));
	put_u64(w, OTA_WT_AMOUNT, t->amount);
	put_tlv(w, OTA_WT_CURRENCY, t->currency, 3);
	put_tlv(w, OTA_WT_RECIPIENT, t->recipient, strlen(t->recipient));
	put_tlv(w, OTA_WT_REF, t->ref, t->ref_len);
	return dfs_wbuf_ok(w) ? 0 : -ENOSPC;
}

int ota_wallet_answer_encode(struct dfs_wbuf *w, const struct ota_wallet_answer *a)
{
	size_t tl = strnlen(a->txid, sizeof(a->txid)), xl = strnlen(a->text, sizeof(a->text));
	if (tl >= sizeof(a->txid) || xl >= sizeof(a->text) || a->ref_len > sizeof(a->ref))
		return -EINVAL;
	put_tlv(w, OTA_WT_RESULT, &a->result, 1);
	if (a->ref_len)
		put_tlv(w, OTA_WT_REF, a->ref, a->ref_len);
	if (a->has_balance)
		put_u64(w, OTA_WT_BALANCE, a->balance);
	if (tl)
		put_tlv(w, OTA_WT_TXID, a->txid, tl);
	if (xl)
		put_tlv(w, OTA_WT_TEXT, a->text, xl);
	return dfs_wbuf_ok(w) ? 0 : -ENOSPC;
}

/* Walk the TLVs: calls field() for each, rejecting duplicates and bad lengths. */
typedef int (*tlv_fn)(void *ud, uint8_t tag, const uint8_t *v, size_t n, size_t off, struct dfs_err *e);
static int walk(const uint8_t *p, size_t len, size_t base, tlv_fn fn, void *ud, struct dfs_err *e)
{
	struct dfs_buf b = dfs_buf_init(p, len, base);
	uint32_t seen = 0;
	while (dfs_buf_left(&b)) {
		uint8_t tag, n;
		size_t off = dfs_buf_abs(&b);
		struct dfs_view v;
		if (dfs_buf_u8(&b, &tag) || dfs_buf_u8(&b, &n))
			return dfs_err_set(e, "wallet", "tlv", off, "truncated");
		if (n > 127 || dfs_buf_view(&b, n, &v))
			return dfs_err_set(e, "wallet", "length", off + 1, "value does not fit");
		if (tag < 0x80 || tag > 0x9f)
			return dfs_err_set(e, "wallet", "tag", off, "unknown tag");
		if (seen & (1u << (tag & 0x1f)))
			return dfs_err_set(e, "wallet", "tag", off, "duplicate tag");
		seen |= 1u << (tag & 0x1f);
		int rc = fn(ud, tag, v.p, v.len, off, e);
		if (rc)
			return rc;
	}
	return 0;
}

static int get_u64(const uint8_t *v, size_t n, uint64_t *out)
{
	if (n != 8)
		return -1;
	*out = 0;
	for (int i = 0; i < 8; i++)
		*out = (*out << 8) | v[i];
	return 0;
}

static int copy_text(char *dst, size_t dstsz, const uint8_t *v, size_t n)
{
	if (n >= dstsz || memchr(v, 0, n))
		return -1;
	memcpy(dst, v, n);
	dst[n] = 0;
	return 0;
}

static int txn_field(void *ud, uint8_t tag, const uint8_t *v, size_t n, size_t off, struct dfs_err *e)
{
	struct ota_wallet_txn *t = ud;
	int bad = 0;
	switch (tag) {
	case OTA_WT_VERSION:
		bad = n != 1;
		if (!bad)
			t->version = v[0];
		break;
	case OTA_WT_OP:
		bad = n != 1;
		if (!bad)
			t->op = v[0];
		break;
	case OTA_WT_PIN:
		bad = copy_text(t->pin, sizeof(t->pin), v, n);
		break;
	case OTA_WT_AMOUNT:
		bad = get_u64(v, n, &t->amount);
		break;
	case OTA_WT_CURRENCY:
		bad = n != 3 || copy_text(t->currency, sizeof(t->currency), v, n);
		break;
	case OTA_WT_RECIPIENT:
		bad = copy_text(t->recipient, sizeof(t->recipient), v, n);
		break;
	case OTA_WT_REF:
		bad = n < 1 || n > sizeof(t->ref);
		if (!bad) {
			memcpy(t->ref, v, n);
			t->ref_len = n;
		}
		break;
	default:
		return dfs_err_set(e, "wallet", "tag", off, "not a transaction tag");
	}
	return bad ? dfs_err_set(e, "wallet", "value", off + 2, "bad value") : 0;
}

int ota_wallet_txn_decode(const uint8_t *p, size_t len, size_t base, struct ota_wallet_txn *t,
			  struct dfs_err *e)
{
	memset(t, 0, sizeof(*t));
	int rc = walk(p, len, base, txn_field, t, e);
	if (!rc && !txn_valid(t))
		rc = dfs_err_set(e, "wallet", "transaction", base, "missing or invalid field");
	if (rc)
		sodium_memzero(t, sizeof(*t)); /* no PIN left behind in a rejected struct */
	return rc;
}

static int answer_field(void *ud, uint8_t tag, const uint8_t *v, size_t n, size_t off, struct dfs_err *e)
{
	struct ota_wallet_answer *a = ud;
	int bad = 0;
	switch (tag) {
	case OTA_WT_RESULT:
		bad = n != 1;
		if (!bad)
			a->result = v[0];
		break;
	case OTA_WT_REF:
		bad = n < 1 || n > sizeof(a->ref);
		if (!bad) {
			memcpy(a->ref, v, n);
			a->ref_len = n;
		}
		break;
	case OTA_WT_BALANCE:
		bad = get_u64(v, n, &a->balance);
		a->has_balance = !bad;
		break;
	case OTA_WT_TXID:
		bad = copy_text(a->txid, sizeof(a->txid), v, n);
		break;
	case OTA_WT_TEXT:
		bad = copy_text(a->text, sizeof(a->text), v, n);
		break;
	default:
		return dfs_err_set(e, "wallet", "tag", off, "not an answer tag");
	}
	return bad ? dfs_err_set(e, "wallet", "value", off + 2, "bad value") : 0;
}

int ota_wallet_answer_decode(const uint8_t *p, size_t len, size_t base, struct ota_wallet_answer *a,
			     struct dfs_err *e)
{
	memset(a, 0, sizeof(*a));
	a->result = 0xff;
	int rc = walk(p, len, base, answer_field, a, e);
	if (!rc && a->result == 0xff)
		rc = dfs_err_set(e, "wallet", "result", base, "missing");
	return rc;
}

void ota_app_data_json(struct json_writer *j, const char *key, const uint8_t *p, size_t n)
{
	struct ota_wallet_txn t;
	if (ota_wallet_txn_decode(p, n, 0, &t, NULL)) {
		json_kv_hex(j, key, p, n);
		return;
	}
	json_key(j, "wallet");
	json_obj_begin(j);
	json_kv_uint(j, "version", t.version);
	json_kv_uint(j, "op", t.op);
	json_kv_str(j, "pin", "redacted");
	json_kv_uint(j, "amount", t.amount);
	json_kv_str(j, "currency", t.currency);
	json_kv_str(j, "recipient", t.recipient);
	json_kv_hex(j, "reference", t.ref, t.ref_len);
	json_obj_end(j);
	sodium_memzero(&t, sizeof(t));
}
