/* SMS-PP and USSD carriage of secured packets. See ota_transport.h. */
#include "ota_transport.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dfs_buf.h"
#include "sms.h"

static const uint8_t SMS_RSP_PREFIX[3] = {0x02, OTA_IEI_RSP_PKT, 0x00};
static const uint8_t USSD_CMD_PREFIX[1] = {OTA_IEI_CMD_PKT};
static const uint8_t USSD_RSP_PREFIX[1] = {OTA_IEI_RSP_PKT};

const uint8_t *ota_bearer_cmd_prefix(enum ota_bearer b, size_t *len)
{
	*len = b == OTA_BEARER_USSD ? 1 : 0;
	return b == OTA_BEARER_USSD ? USSD_CMD_PREFIX : NULL;
}

const uint8_t *ota_bearer_rsp_prefix(enum ota_bearer b, size_t *len)
{
	*len = b == OTA_BEARER_USSD ? 1 : 3;
	return b == OTA_BEARER_USSD ? USSD_RSP_PREFIX : SMS_RSP_PREFIX;
}

int ota_sms_segment(const uint8_t *pkt, size_t len, bool response, uint8_t ref, struct ota_seg *segs,
		    size_t max)
{
	uint8_t iei = response ? OTA_IEI_RSP_PKT : OTA_IEI_CMD_PKT;
	if (!max)
		return -EMSGSIZE;
	if (3 + len <= OTA_SMS_UD_MAX) { /* TS 31.115 4.2: UDHL 02, IEI 70/71, IEL 00 */
		segs[0].b[0] = 0x02;
		segs[0].b[1] = iei;
		segs[0].b[2] = 0x00;
		memcpy(segs[0].b + 3, pkt, len);
		segs[0].len = 3 + len;
		return 1;
	}
	/* first segment: UDHL 07, concat IE (5), CPI IE (2); the others: UDHL 05, concat IE */
	const size_t first = OTA_SMS_UD_MAX - 8, next = OTA_SMS_UD_MAX - 6;
	size_t total = 1 + (len - first + next - 1) / next;
	if (total > 255 || total > max)
		return -EMSGSIZE;
	size_t off = 0;
	for (size_t i = 0; i < total; i++) {
		uint8_t *b = segs[i].b;
		size_t h = 0, room = i ? next : first, n = len - off < room ? len - off : room;
		b[h++] = i ? 0x05 : 0x07;
		b[h++] = OTA_IEI_CONCAT8;
		b[h++] = 0x03;
		b[h++] = ref;
		b[h++] = (uint8_t)total;
		b[h++] = (uint8_t)(i + 1);
		if (!i) {
			b[h++] = iei;
			b[h++] = 0x00;
		}
		memcpy(b + h, pkt + off, n);
		segs[i].len = h + n;
		off += n;
	}
	return (int)total;
}

int ota_ussd_segment(const uint8_t *pkt, size_t len, bool response, uint8_t ref, struct ota_seg *segs,
		     size_t max)
{
	uint8_t cpi = response ? OTA_IEI_RSP_PKT : OTA_IEI_CMD_PKT;
	if (!max)
		return -EMSGSIZE;
	if (1 + len <= OTA_USSD_MAX) {
		segs[0].b[0] = cpi;
		memcpy(segs[0].b + 1, pkt, len);
		segs[0].len = 1 + len;
		return 1;
	}
	const size_t room = OTA_USSD_MAX - OTA_USSD_SEG_HDR;
	size_t whole = 1 + len, total = (whole + room - 1) / room;
	if (total > 255 || total > max)
		return -EMSGSIZE;
	size_t off = 0; /* offset in CPI+packet */
	for (size_t i = 0; i < total; i++) {
		uint8_t *b = segs[i].b;
		size_t n = whole - off < room ? whole - off : room;
		b[0] = 0x00;
		b[1] = 0x03;
		b[2] = ref;
		b[3] = (uint8_t)total;
		b[4] = (uint8_t)(i + 1);
		for (size_t k = 0; k < n; k++)
			b[OTA_USSD_SEG_HDR + k] = off + k == 0 ? cpi : pkt[off + k - 1];
		segs[i].len = OTA_USSD_SEG_HDR + n;
		off += n;
	}
	return (int)total;
}

/* TS 23.040 9.2.3.24 */
int ota_sms_udh_decode(const uint8_t *ud, size_t len, size_t base, struct ota_udh *h, struct dfs_err *e)
{
	struct dfs_buf b = dfs_buf_init(ud, len, base), ies;
	uint8_t udhl;
	memset(h, 0, sizeof(*h));
	if (dfs_buf_u8(&b, &udhl))
		return dfs_err_set(e, "sms", "UDHL", base, "truncated");
	if (dfs_buf_sub(&b, udhl, &ies))
		return dfs_err_set(e, "sms", "UDHL", base, "longer than the user data");
	h->hdr_len = 1 + (size_t)udhl;
	while (dfs_buf_left(&ies)) {
		uint8_t iei, iel;
		size_t off = dfs_buf_abs(&ies);
		struct dfs_view v;
		if (dfs_buf_u8(&ies, &iei) || dfs_buf_u8(&ies, &iel) || dfs_buf_view(&ies, iel, &v))
			return dfs_err_set(e, "sms", "IE", off, "truncated information element");
		switch (iei) {
		case OTA_IEI_CONCAT8:
		case OTA_IEI_CONCAT16:
			if (iel != (iei == OTA_IEI_CONCAT8 ? 3 : 4))
				return dfs_err_set(e, "sms", "concat", off, "bad length");
			h->has_concat = true;
			h->ref = iei == OTA_IEI_CONCAT8 ? v.p[0] : (uint16_t)(v.p[0] << 8 | v.p[1]);
			h->total = v.p[iel - 2];
			h->seq = v.p[iel - 1];
			if (!h->total || !h->seq || h->seq > h->total)
				return dfs_err_set(e, "sms", "concat", off, "bad sequence");
			break;
		case OTA_IEI_CMD_PKT:
		case OTA_IEI_RSP_PKT:
			if (iel != 0)
				return dfs_err_set(e, "sms", "CPI", off, "length not 0");
			if (iei == OTA_IEI_CMD_PKT)
				h->cmd_pkt = true;
			else
				h->rsp_pkt = true;
			break;
		default:
			break; /* other IEs do not matter here */
		}
	}
	if (h->cmd_pkt && h->rsp_pkt)
		return dfs_err_set(e, "sms", "CPI", base + 1, "both command and response packet");
	return 0;
}

#define SLOT_MAX OTA_USSD_MAX
struct ota_reasm {
	enum ota_bearer bearer;
	bool active, response, have_cpi;
	uint16_t ref;
	uint8_t total;
	unsigned count;
	uint16_t lens[256];
	uint8_t slots[256][SLOT_MAX];
	uint8_t out[256 * SLOT_MAX];
	size_t out_len;
};

struct ota_reasm *ota_reasm_new(enum ota_bearer b)
{
	struct ota_reasm *r = calloc(1, sizeof(*r));
	if (r)
		r->bearer = b;
	return r;
}

void ota_reasm_free(struct ota_reasm *r) { free(r); }

void ota_reasm_reset(struct ota_reasm *r)
{
	r->active = r->have_cpi = false;
	r->count = 0;
	r->out_len = 0;
	memset(r->lens, 0, sizeof(r->lens));
}

/* Store one piece; complete when all TOTAL pieces are in. */
static int reasm_piece(struct ota_reasm *r, uint16_t ref, uint8_t total, uint8_t seq, const uint8_t *p,
		       size_t n, size_t off, struct dfs_err *e)
{
	if (r->active && (ref != r->ref || total != r->total)) {
		ota_reasm_reset(r);
		return dfs_err_set(e, "ota", "concat", off, "segment of another packet");
	}
	if (!r->active) {
		r->active = true;
		r->ref = ref;
		r->total = total;
	}
	if (r->lens[seq])
		return 0; /* a repeated segment: keep the first */
	if (n == 0 || n > SLOT_MAX) {
		ota_reasm_reset(r);
		return dfs_err_set(e, "ota", "segment", off, "empty or oversized segment");
	}
	memcpy(r->slots[seq], p, n);
	r->lens[seq] = (uint16_t)n;
	if (++r->count < total)
		return 0;
	r->out_len = 0;
	for (unsigned i = 1; i <= total; i++) {
		memcpy(r->out + r->out_len, r->slots[i], r->lens[i]);
		r->out_len += r->lens[i];
	}
	r->active = false;
	return 1;
}

int ota_reasm_add(struct ota_reasm *r, const uint8_t *p, size_t len, struct dfs_err *e)
{
	int rc;
	if (r->bearer == OTA_BEARER_SMS) {
		struct ota_udh h;
		rc = ota_sms_udh_decode(p, len, 0, &h, e);
		if (rc) {
			ota_reasm_reset(r);
			return rc;
		}
		if (!h.has_concat) {
			h.total = h.seq = 1;
			ota_reasm_reset(r);
		}
		if (h.seq == 1) {
			if (!h.cmd_pkt && !h.rsp_pkt) {
				ota_reasm_reset(r);
				return dfs_err_set(e, "sms", "CPI", 0, "no IEI 70/71 in the first segment");
			}
			r->response = h.rsp_pkt;
			r->have_cpi = true;
		}
		rc = reasm_piece(r, h.ref, h.total, h.seq, p + h.hdr_len, len - h.hdr_len, h.hdr_len, e);
		if (rc == 1 && !r->have_cpi)
			rc = dfs_err_set(e, "sms", "CPI", 0, "no IEI 70/71");
		return rc;
	}
	/* USSD */
	if (len < 1 || len > OTA_USSD_MAX)
		return dfs_err_set(e, "ussd", "string", 0, "empty or longer than 160 octets");
	if (p[0] != 0x00) {
		ota_reasm_reset(r);
		rc = reasm_piece(r, 0, 1, 1, p, len, 0, e);
	} else {
		if (len <= OTA_USSD_SEG_HDR || p[1] != 0x03 || !p[3] || !p[4] || p[4] > p[3]) {
			ota_reasm_reset(r);
			return dfs_err_set(e, "ussd", "segment", 0, "bad segment header");
		}
		rc = reasm_piece(r, p[2], p[3], p[4], p + OTA_USSD_SEG_HDR, len - OTA_USSD_SEG_HDR,
				 OTA_USSD_SEG_HDR, e);
	}
	if (rc == 1) {
		if (r->out[0] != OTA_IEI_CMD_PKT && r->out[0] != OTA_IEI_RSP_PKT) {
			ota_reasm_reset(r);
			return dfs_err_set(e, "ussd", "CPI", 0, "not 0x70 or 0x71");
		}
		r->response = r->out[0] == OTA_IEI_RSP_PKT;
		r->have_cpi = true;
	}
	return rc;
}

const uint8_t *ota_reasm_packet(const struct ota_reasm *r, size_t *len, bool *response)
{
	size_t skip = r->bearer == OTA_BEARER_USSD ? 1 : 0; /* the CPI octet */
	if (!r->have_cpi || r->out_len < skip) {
		*len = 0;
		return NULL;
	}
	*len = r->out_len - skip;
	if (response)
		*response = r->response;
	return r->out + skip;
}

/* TS 31.115 4: SMS-PP TPDUs. The TP-UD segments carry UDHL + IEs + packet bytes. */
static int tpdu_of_seg(const struct ota_seg *sg, bool response, const char *addr, uint8_t mr,
		       const uint8_t *scts, struct ota_tpdu *out)
{
	struct dfs_wbuf w = dfs_wbuf_init(out->b, sizeof(out->b));
	size_t udh = (size_t)sg->b[0] + 1;
	int rc;
	if (!response) {
		rc = sms_build_deliver_binary(&w, addr, OTA_SMS_PID, OTA_SMS_DCS, sg->b + 1, udh - 1,
					      sg->b + udh, sg->len - udh, scts);
	} else {
		/* the card's PoR to the OTA server: SMS-SUBMIT, no validity period */
		struct sms_tpdu t = {.is_deliver = false, .udhi = true, .vpf = SMS_VPF_NONE, .mr = mr,
				     .pid = OTA_SMS_PID, .dcs = OTA_SMS_DCS,
				     .udl = (uint8_t)sg->len, .ud = {sg->b, sg->len}};
		const char *d = addr[0] == '+' ? addr + 1 : addr;
		size_t n = strlen(d);
		if (n < 1 || n > SMS_ADDR_MAX_SEMI_OCTETS || strspn(d, "0123456789") != n)
			return -EINVAL;
		t.addr_ton_npi = addr[0] == '+' ? 0x91 : 0x81;
		memcpy(t.addr, d, n + 1);
		rc = sms_tpdu_encode(&w, &t);
	}
	if (rc == 0)
		out->len = w.len;
	return rc == -ENOSPC ? -EMSGSIZE : rc;
}

int ota_sms_tpdus(const uint8_t *pkt, size_t len, bool response, const char *addr, uint8_t ref,
		  const uint8_t *scts, struct ota_tpdu *out, size_t max)
{
	if (!max)
		return -EMSGSIZE;
	struct ota_seg *segs = calloc(max, sizeof(*segs));
	if (!segs)
		return -ENOMEM;
	int n = ota_sms_segment(pkt, len, response, ref, segs, max);
	for (int i = 0; n > 0 && i < n; i++) {
		int rc = tpdu_of_seg(&segs[i], response, addr, (uint8_t)(ref + i), scts, &out[i]);
		if (rc)
			n = rc;
	}
	free(segs);
	return n;
}
