/* SMS TPDU, 3GPP TS 23.040: SMS-DELIVER / SMS-SUBMIT and their reports (SMS-DELIVER-REPORT,
 * SMS-SUBMIT-REPORT): decoding, encoding and builders. */
#include "sms.h"

#include <errno.h>
#include <string.h>

#include "gsm0338.h"
#include "ota_packet.h"
#include "tbcd.h"

const struct value_string sms_mti_mt_names[] = {
	{SMS_MTI_DELIVER, "SMS-DELIVER"},
	{SMS_MTI_SUBMIT, "SMS-SUBMIT-REPORT"},
	{SMS_MTI_STATUS, "SMS-STATUS-REPORT"},
	{0, NULL},
};
const struct value_string sms_mti_mo_names[] = {
	{SMS_MTI_DELIVER, "SMS-DELIVER-REPORT"},
	{SMS_MTI_SUBMIT, "SMS-SUBMIT"},
	{SMS_MTI_STATUS, "SMS-COMMAND"},
	{0, NULL},
};
const struct value_string sms_vpf_names[] = {
	{SMS_VPF_NONE, "not present"},
	{SMS_VPF_ENHANCED, "enhanced"},
	{SMS_VPF_RELATIVE, "relative"},
	{SMS_VPF_ABSOLUTE, "absolute"},
	{0, NULL},
};
const struct value_string sms_iei_names[] = {
	{SMS_IEI_CONCAT8, "Concatenated SM, 8-bit reference"},
	{SMS_IEI_CONCAT16, "Concatenated SM, 16-bit reference"},
	{SMS_IEI_CMD_PKT, "(U)SIM Toolkit Security Headers: command packet"},
	{SMS_IEI_RSP_PKT, "(U)SIM Toolkit Security Headers: response packet"},
	{0, NULL},
};

#define SMS_ERR(e, field, off, reason) dfs_err_set(e, "sms", field, off, reason)

static const size_t vp_len[4] = {0, 7, 1, 7}; /* by VPF, 9.2.3.12 */

/* TP-UDL counts septets for GSM 7-bit text (reserved codings read as GSM 7-bit, TS 23.038 4),
 * octets for 8-bit, UCS2 and compressed text (9.2.3.16). */
static bool udl_counts_septets(uint8_t dcs)
{
	struct gsm_dcs d = sms_dcs_parse(dcs);
	return d.charset == GSM_CHARSET_7BIT && !d.compressed;
}

static size_t ud_octets(uint8_t dcs, uint8_t udl)
{
	return udl_counts_septets(dcs) ? ((size_t)udl * 7 + 7) / 8 : udl;
}

/* Septets the UDH (with its UDHL octet) takes, fill bits included (9.2.3.24). */
static size_t udh_septets(size_t udh_octets)
{
	return (udh_octets * 8 + 6) / 7;
}

/* 9.1.2.5 address fields: length in semi-octets, type of address, value. */
static int addr_decode(struct dfs_buf *b, struct sms_tpdu *t, const char *field, struct dfs_err *e)
{
	uint8_t semi;
	size_t at = dfs_buf_abs(b);
	if (dfs_buf_u8(b, &semi) < 0)
		return SMS_ERR(e, field, at, "address length missing");
	if (semi > SMS_ADDR_MAX_SEMI_OCTETS)
		return SMS_ERR(e, field, at, "address longer than 20 semi-octets");
	at = dfs_buf_abs(b);
	if (dfs_buf_u8(b, &t->addr_ton_npi) < 0)
		return SMS_ERR(e, field, at, "type of address missing");
	struct dfs_view v;
	at = dfs_buf_abs(b);
	if (dfs_buf_view(b, ((size_t)semi + 1) / 2, &v) < 0)
		return SMS_ERR(e, field, at, "address value truncated");
	t->addr_alnum = ((t->addr_ton_npi >> 4) & 7) == SMS_TON_ALNUM;
	if (t->addr_alnum) { /* GSM 7-bit packed, 9.1.2.5 */
		uint8_t sept[SMS_ADDR_MAX_SEMI_OCTETS * 4 / 7];
		size_t n = (size_t)semi * 4 / 7;
		if (gsm7_unpack(v.p, v.len, 0, n, sept, sizeof(sept)) < 0 ||
		    gsm7_decode(sept, n, t->addr, sizeof(t->addr)) < 0)
			return SMS_ERR(e, field, at, "bad alphanumeric address");
	} else if (tbcd_decode(v.p, v.len, semi, t->addr, sizeof(t->addr)) != semi) {
		return SMS_ERR(e, field, at, "filler inside the address digits");
	}
	return 0;
}

/* 9.2.3.24 user data header: information elements must fill UDHL exactly. */
static int udh_decode(struct sms_tpdu *t, size_t base, struct dfs_err *e)
{
	struct dfs_buf b = dfs_buf_init(t->udh.p, t->udh.len, base);
	bool seen_concat = false;
	while (dfs_buf_left(&b) > 0) {
		uint8_t iei, iedl;
		struct dfs_view v;
		size_t at = dfs_buf_abs(&b);
		if (dfs_buf_u8(&b, &iei) < 0 || dfs_buf_u8(&b, &iedl) < 0)
			return SMS_ERR(e, "udh-iedl", at, "information element header truncated");
		if (dfs_buf_view(&b, iedl, &v) < 0)
			return SMS_ERR(e, "udh-ie", at, "information element longer than the UDH");
		switch (iei) {
		case SMS_IEI_CONCAT8: /* 9.2.3.24.1 */
		case SMS_IEI_CONCAT16: /* 9.2.3.24.8 */
			if (iedl != (iei == SMS_IEI_CONCAT8 ? 3 : 4))
				return SMS_ERR(e, "udh-concat", at, "concatenation IE of the wrong length");
			if (seen_concat)
				break; /* the first one counts */
			seen_concat = t->has_concat = true;
			t->concat_ref = iei == SMS_IEI_CONCAT8 ? v.p[0] : (uint16_t)(v.p[0] << 8 | v.p[1]);
			t->concat_total = v.p[iedl - 2];
			t->concat_seq = v.p[iedl - 1];
			break;
		case SMS_IEI_CMD_PKT: /* TS 31.115 4.2 */
			t->has_cmd_pkt = true;
			break;
		case SMS_IEI_RSP_PKT:
			t->has_rsp_pkt = true;
			break;
		default:
			break;
		}
	}
	return 0;
}

/* ETSI TS 102 225 5.1.1: CPL CHL SPI KIc KID TAR CNTR PCNTR, right after the UDH (the CPI is
 * the UDH IEI 0x70). Only the first segment of a concatenated packet carries it. The OTA
 * layer's own header parser reads it, so the firewall and the OTA service agree on it; a header
 * it refuses (CHL inconsistent with CPL) leaves has_ota_hdr false. */
static void ota_hdr_decode(struct sms_tpdu *t)
{
	if (!t->has_cmd_pkt || udl_counts_septets(t->dcs) || t->text.len < SMS_OTA_HDR_LEN ||
	    (t->has_concat && t->concat_seq != 1))
		return;
	struct dfs_err ignored;
	t->has_ota_hdr = ota_cmd_hdr_decode(t->text.p, t->text.len, 0, &t->ota, &ignored) == 0;
}

static int ud_decode(struct dfs_buf *b, struct sms_tpdu *t, struct dfs_err *e)
{
	size_t at = dfs_buf_abs(b);
	if (dfs_buf_u8(b, &t->udl) < 0)
		return SMS_ERR(e, "tp-udl", at, "TP-UDL missing");
	bool septets = udl_counts_septets(t->dcs);
	if (t->is_report ? (septets ? t->udl > SMS_REPORT_UD_MAX_SEPTETS : t->udl > SMS_REPORT_UD_MAX_OCTETS)
			 : (septets ? t->udl > SMS_UD_MAX_SEPTETS : t->udl > SMS_UD_MAX_OCTETS))
		return SMS_ERR(e, "tp-udl", at, t->is_report ? "TP-UDL beyond 159 octets" : "TP-UDL beyond 140 octets");
	size_t ud_at = dfs_buf_abs(b);
	if (dfs_buf_view(b, ud_octets(t->dcs, t->udl), &t->ud) < 0)
		return SMS_ERR(e, "tp-ud", ud_at, "user data shorter than TP-UDL");
	if (dfs_buf_left(b) > 0)
		return SMS_ERR(e, "tp-ud", dfs_buf_abs(b), "octets after the user data");
	t->text = t->ud;
	if (!t->udhi)
		return 0;
	if (t->ud.len < 1)
		return SMS_ERR(e, "tp-udhl", ud_at, "UDHI set but no user data");
	size_t udh_octets = (size_t)t->ud.p[0] + 1;
	if (udh_octets > t->ud.len || (septets && udh_septets(udh_octets) > t->udl))
		return SMS_ERR(e, "tp-udhl", ud_at, "UDH longer than the user data");
	t->udh.p = t->ud.p + 1;
	t->udh.len = udh_octets - 1;
	t->text.p = t->ud.p + udh_octets;
	t->text.len = t->ud.len - udh_octets;
	int rc = udh_decode(t, ud_at + 1, e);
	if (rc < 0)
		return rc;
	ota_hdr_decode(t);
	return 0;
}

/* TS 23.040 9.2.2.1 SMS-DELIVER, 9.2.2.2 SMS-SUBMIT. */
int sms_tpdu_decode(const uint8_t *p, size_t len, size_t base, enum sms_dir dir, struct sms_tpdu *t,
		    struct dfs_err *e)
{
	struct dfs_buf b = dfs_buf_init(p, len, base);
	uint8_t o;
	memset(t, 0, sizeof(*t));
	if (dfs_buf_u8(&b, &o) < 0)
		return SMS_ERR(e, "first-octet", base, "empty TPDU");
	t->mti = o & 3;
	t->is_deliver = dir == SMS_DIR_MT;
	if (t->mti != (t->is_deliver ? SMS_MTI_DELIVER : SMS_MTI_SUBMIT))
		return SMS_ERR(e, "mti", base, "not an SMS-DELIVER (MT) or SMS-SUBMIT (MO)");
	t->mms_or_rd = o & 0x04;
	t->sri_or_srr = o & 0x20;
	t->udhi = o & 0x40;
	t->rp = o & 0x80;
	if (t->is_deliver) {
		t->lp = o & 0x08;
	} else {
		t->vpf = (o >> 3) & 3;
		if (dfs_buf_u8(&b, &t->mr) < 0)
			return SMS_ERR(e, "tp-mr", dfs_buf_abs(&b), "TP-MR missing");
	}
	int rc = addr_decode(&b, t, t->is_deliver ? "tp-oa" : "tp-da", e);
	if (rc < 0)
		return rc;
	size_t at = dfs_buf_abs(&b);
	if (dfs_buf_u8(&b, &t->pid) < 0)
		return SMS_ERR(e, "tp-pid", at, "TP-PID missing");
	at = dfs_buf_abs(&b);
	if (dfs_buf_u8(&b, &t->dcs) < 0)
		return SMS_ERR(e, "tp-dcs", at, "TP-DCS missing");
	at = dfs_buf_abs(&b);
	if (t->is_deliver) {
		struct dfs_view scts;
		if (dfs_buf_view(&b, sizeof(t->scts), &scts) < 0)
			return SMS_ERR(e, "tp-scts", at, "TP-SCTS truncated");
		memcpy(t->scts, scts.p, sizeof(t->scts));
	} else if (dfs_buf_view(&b, vp_len[t->vpf], &t->vp) < 0) {
		return SMS_ERR(e, "tp-vp", at, "TP-VP truncated");
	}
	return ud_decode(&b, t, e);
}

/* TS 23.040 9.2.2.1a SMS-DELIVER-REPORT, 9.2.2.2a SMS-SUBMIT-REPORT. */
int sms_report_decode(const uint8_t *p, size_t len, size_t base, bool rp_error, struct sms_tpdu *t,
		      struct dfs_err *e)
{
	struct dfs_buf b = dfs_buf_init(p, len, base);
	uint8_t o;
	memset(t, 0, sizeof(*t));
	t->is_report = true;
	if (dfs_buf_u8(&b, &o) < 0)
		return SMS_ERR(e, "first-octet", base, "empty TPDU");
	t->mti = o & 3;
	if (t->mti != SMS_MTI_DELIVER && t->mti != SMS_MTI_SUBMIT)
		return SMS_ERR(e, "mti", base, "not an SMS-DELIVER-REPORT or SMS-SUBMIT-REPORT");
	t->is_deliver = t->mti == SMS_MTI_DELIVER;
	t->udhi = o & 0x40;
	size_t at = dfs_buf_abs(&b);
	if (rp_error) {
		if (dfs_buf_u8(&b, &t->fcs) < 0)
			return SMS_ERR(e, "tp-fcs", at, "TP-FCS missing");
		t->has_fcs = true;
		at = dfs_buf_abs(&b);
	}
	if (dfs_buf_u8(&b, &t->pi) < 0)
		return SMS_ERR(e, "tp-pi", at, "TP-PI missing");
	for (uint8_t ext = t->pi; ext & SMS_PI_EXT;) { /* 9.2.3.27: further TP-PI octets */
		at = dfs_buf_abs(&b);
		if (dfs_buf_u8(&b, &ext) < 0)
			return SMS_ERR(e, "tp-pi", at, "TP-PI extension octet missing");
	}
	if (!t->is_deliver) {
		struct dfs_view scts;
		at = dfs_buf_abs(&b);
		if (dfs_buf_view(&b, sizeof(t->scts), &scts) < 0)
			return SMS_ERR(e, "tp-scts", at, "TP-SCTS truncated");
		memcpy(t->scts, scts.p, sizeof(t->scts));
	}
	at = dfs_buf_abs(&b);
	if ((t->pi & SMS_PI_PID) && dfs_buf_u8(&b, &t->pid) < 0)
		return SMS_ERR(e, "tp-pid", at, "TP-PID missing");
	at = dfs_buf_abs(&b);
	if ((t->pi & SMS_PI_DCS) && dfs_buf_u8(&b, &t->dcs) < 0)
		return SMS_ERR(e, "tp-dcs", at, "TP-DCS missing");
	if (t->pi & SMS_PI_UDL)
		return ud_decode(&b, t, e);
	if (dfs_buf_left(&b) > 0)
		return SMS_ERR(e, "tp-pi", dfs_buf_abs(&b), "octets after the parameters TP-PI announces");
	return 0; /* a UDHI without user data announces nothing */
}

static int addr_encode(struct dfs_wbuf *w, uint8_t ton_npi, bool alnum, const char *addr)
{
	uint8_t val[SMS_ADDR_MAX_SEMI_OCTETS / 2];
	int semi, octets;
	if (alnum != (((ton_npi >> 4) & 7) == SMS_TON_ALNUM))
		return -EINVAL;
	if (alnum) {
		uint8_t sept[SMS_ADDR_MAX_SEMI_OCTETS * 4 / 7];
		int n = gsm7_encode(addr, sept, sizeof(sept));
		if (n < 0)
			return -EINVAL;
		octets = gsm7_pack(sept, (size_t)n, 0, val, sizeof(val));
		semi = (7 * n + 3) / 4;
	} else {
		semi = (int)strlen(addr);
		octets = semi <= SMS_ADDR_MAX_SEMI_OCTETS ? tbcd_encode(addr, val, sizeof(val)) : -1;
	}
	if (octets < 0)
		return -EINVAL;
	dfs_wbuf_u8(w, (uint8_t)semi);
	dfs_wbuf_u8(w, ton_npi);
	dfs_wbuf_put(w, val, (size_t)octets);
	return 0;
}

static int report_encode(struct dfs_wbuf *w, const struct sms_tpdu *t)
{
	bool has_ud = t->pi & SMS_PI_UDL;
	if ((t->pi & SMS_PI_EXT) || (!has_ud && t->ud.len) ||
	    (has_ud && (ud_octets(t->dcs, t->udl) != t->ud.len || t->ud.len > SMS_REPORT_UD_MAX_OCTETS ||
			(t->udhi && (t->ud.len < 1 || t->ud.p[0] + 1u > t->ud.len)))))
		return -EINVAL;
	dfs_wbuf_u8(w, (uint8_t)((t->is_deliver ? SMS_MTI_DELIVER : SMS_MTI_SUBMIT) | (t->udhi ? 0x40 : 0)));
	if (t->has_fcs)
		dfs_wbuf_u8(w, t->fcs);
	dfs_wbuf_u8(w, t->pi);
	if (!t->is_deliver)
		dfs_wbuf_put(w, t->scts, sizeof(t->scts));
	if (t->pi & SMS_PI_PID)
		dfs_wbuf_u8(w, t->pid);
	if (t->pi & SMS_PI_DCS)
		dfs_wbuf_u8(w, t->dcs);
	if (has_ud) {
		dfs_wbuf_u8(w, t->udl);
		dfs_wbuf_put(w, t->ud.p, t->ud.len);
	}
	return dfs_wbuf_ok(w) ? 0 : -ENOSPC;
}

int sms_tpdu_encode(struct dfs_wbuf *w, const struct sms_tpdu *t)
{
	if (t->is_report)
		return report_encode(w, t);
	uint8_t o = t->is_deliver ? SMS_MTI_DELIVER : SMS_MTI_SUBMIT;
	o |= (uint8_t)((t->mms_or_rd ? 0x04 : 0) | (t->sri_or_srr ? 0x20 : 0) | (t->udhi ? 0x40 : 0) |
		       (t->rp ? 0x80 : 0));
	if (t->is_deliver)
		o |= t->lp ? 0x08 : 0;
	else if (t->vpf > 3 || t->vp.len != vp_len[t->vpf])
		return -EINVAL;
	else
		o |= (uint8_t)(t->vpf << 3);
	if (ud_octets(t->dcs, t->udl) != t->ud.len || t->ud.len > SMS_UD_MAX_OCTETS ||
	    (t->udhi && (t->ud.len < 1 || t->ud.p[0] + 1u > t->ud.len)))
		return -EINVAL;
	dfs_wbuf_u8(w, o);
	if (!t->is_deliver)
		dfs_wbuf_u8(w, t->mr);
	int rc = addr_encode(w, t->addr_ton_npi, t->addr_alnum, t->addr);
	if (rc < 0)
		return rc;
	dfs_wbuf_u8(w, t->pid);
	dfs_wbuf_u8(w, t->dcs);
	if (t->is_deliver)
		dfs_wbuf_put(w, t->scts, sizeof(t->scts));
	else
		dfs_wbuf_put(w, t->vp.p, t->vp.len);
	dfs_wbuf_u8(w, t->udl);
	dfs_wbuf_put(w, t->ud.p, t->ud.len);
	return dfs_wbuf_ok(w) ? 0 : -ENOSPC;
}

int sms_tpdu_text_septets(const struct sms_tpdu *t)
{
	if (!udl_counts_septets(t->dcs))
		return -EINVAL;
	size_t skip = t->udhi ? udh_septets(t->udh.len + 1) : 0;
	return skip > t->udl ? -EINVAL : (int)(t->udl - skip);
}

int sms_tpdu_text_utf8(const struct sms_tpdu *t, char *out, size_t outsz)
{
	struct gsm_dcs d = sms_dcs_parse(t->dcs);
	if (outsz == 0)
		return -ENOSPC;
	out[0] = 0;
	if (d.compressed)
		return -ENOTSUP;
	if (d.charset == GSM_CHARSET_UCS2)
		return ucs2_to_utf8(t->text.p, t->text.len, out, outsz);
	if (d.charset == GSM_CHARSET_8BIT)
		return octets_to_hex(t->text.p, t->text.len, out, outsz);
	int n = sms_tpdu_text_septets(t);
	if (n < 0)
		return n;
	uint8_t sept[SMS_UD_MAX_SEPTETS];
	size_t udh_bits = t->udhi ? (t->udh.len + 1) * 8 : 0;
	unsigned fill = (unsigned)(udh_septets(udh_bits / 8) * 7 - udh_bits); /* 9.2.3.24 fill bits */
	int rc = gsm7_unpack(t->text.p, t->text.len, fill, (size_t)n, sept, sizeof(sept));
	if (rc < 0)
		return rc;
	return gsm7_decode(sept, (size_t)n, out, outsz);
}

/* ---- builders ---- */

/* Numeric ("+" international, digits) or alphanumeric (TON 5, NPI 0) from a string. */
static int addr_from_string(const char *a, struct sms_tpdu *t)
{
	const char *digits = a[0] == '+' ? a + 1 : a;
	size_t n = strlen(digits);
	bool numeric = n > 0 && strspn(digits, "0123456789*#") == n;
	if (numeric) {
		if (n > SMS_ADDR_MAX_SEMI_OCTETS)
			return -EINVAL;
		t->addr_ton_npi = a[0] == '+' ? 0x91 : 0x81; /* ext, TON international/unknown, ISDN */
		memcpy(t->addr, digits, n + 1);
		return 0;
	}
	int sept = gsm7_count_septets(a);
	if (sept <= 0 || sept > SMS_ADDR_MAX_SEMI_OCTETS * 4 / 7 || strlen(a) >= sizeof(t->addr))
		return -EINVAL;
	t->addr_alnum = true;
	t->addr_ton_npi = 0x80 | SMS_TON_ALNUM << 4;
	memcpy(t->addr, a, strlen(a) + 1);
	return 0;
}

/* Text as GSM-7 (DCS 0x00) or else UCS2 (0x08) into ud; sets dcs, udl, ud. */
static int text_to_ud(struct sms_tpdu *t, const char *text, uint8_t *ud)
{
	int n = gsm7_count_septets(text);
	if (n >= 0) {
		uint8_t sept[SMS_UD_MAX_SEPTETS];
		if (n > SMS_UD_MAX_SEPTETS)
			return -EMSGSIZE;
		gsm7_encode(text, sept, sizeof(sept));
		t->dcs = 0x00;
		t->udl = (uint8_t)n;
		t->ud.len = (size_t)gsm7_pack(sept, (size_t)n, 0, ud, SMS_UD_MAX_OCTETS);
	} else {
		int o = utf8_to_ucs2(text, ud, SMS_UD_MAX_OCTETS);
		if (o == -ENOSPC)
			return -EMSGSIZE;
		if (o < 0)
			return o;
		t->dcs = 0x08;
		t->udl = (uint8_t)o;
		t->ud.len = (size_t)o;
	}
	t->ud.p = ud;
	return 0;
}

int sms_build_deliver_text(struct dfs_wbuf *w, const char *oa, const char *text, const uint8_t *scts)
{
	struct sms_tpdu t = {.is_deliver = true, .mms_or_rd = true /* no more messages */};
	uint8_t ud[SMS_UD_MAX_OCTETS];
	int rc = addr_from_string(oa, &t);
	if (rc < 0 || (rc = text_to_ud(&t, text, ud)) < 0)
		return rc;
	if (scts)
		memcpy(t.scts, scts, sizeof(t.scts));
	return sms_tpdu_encode(w, &t);
}

int sms_build_deliver_binary(struct dfs_wbuf *w, const char *oa, uint8_t pid, uint8_t dcs,
			     const uint8_t *udh, size_t udh_len, const uint8_t *data, size_t data_len,
			     const uint8_t *scts)
{
	struct sms_tpdu t = {.is_deliver = true, .mms_or_rd = true, .pid = pid, .dcs = dcs};
	uint8_t ud[SMS_UD_MAX_OCTETS];
	size_t n = 0;
	if (udl_counts_septets(dcs))
		return -EINVAL; /* binary data needs a DCS whose TP-UDL counts octets */
	int rc = addr_from_string(oa, &t);
	if (rc < 0)
		return rc;
	if (udh_len > 0) {
		if (udh_len > 255 || udh_len + 1 + data_len > sizeof(ud))
			return -EMSGSIZE;
		ud[n++] = (uint8_t)udh_len;
		memcpy(ud + n, udh, udh_len);
		n += udh_len;
		t.udhi = true;
	}
	if (data_len > sizeof(ud) - n)
		return -EMSGSIZE;
	if (data_len)
		memcpy(ud + n, data, data_len);
	n += data_len;
	t.udl = (uint8_t)n;
	t.ud.p = ud;
	t.ud.len = n;
	if (scts)
		memcpy(t.scts, scts, sizeof(t.scts));
	return sms_tpdu_encode(w, &t);
}

int sms_build_submit_text(struct dfs_wbuf *w, uint8_t mr, const char *da, const char *text)
{
	struct sms_tpdu t = {.is_deliver = false, .mti = SMS_MTI_SUBMIT, .mr = mr};
	uint8_t ud[SMS_UD_MAX_OCTETS];
	int rc = addr_from_string(da, &t);
	if (rc < 0 || (rc = text_to_ud(&t, text, ud)) < 0)
		return rc;
	return sms_tpdu_encode(w, &t);
}
