/* libFuzzer target: SMS TPDU decoder. Input: one octet whose low bit is the direction (0 MT /
 * SMS-DELIVER, 1 MO / SMS-SUBMIT), bit 1 reports (SMS-DELIVER-REPORT / SMS-SUBMIT-REPORT, the MTI
 * decides) and bit 2 the report of an RP-ERROR (with TP-FCS), then the TPDU. Whatever decodes must encode and decode
 * again to the same fields (the comparison is on fields, not octets: an odd address's filler
 * nibble and an alphanumeric address's spare bits are not kept), and the text must render without overrun. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sms.h"

static int view_eq(struct dfs_view a, struct dfs_view b)
{
	return a.len == b.len && (a.len == 0 || !memcmp(a.p, b.p, a.len));
}

/* The text renders without overrun. */
static void check_text(const struct sms_tpdu *t)
{
	char text[4 * SMS_REPORT_UD_MAX_SEPTETS + 8];
	int n = sms_tpdu_text_utf8(t, text, sizeof(text));
	if (n >= 0 && (size_t)n != strlen(text))
		abort();
}

/* A report: decode, encode (single-octet TP-PI only), decode to the same fields. */
static int report_one(const uint8_t *p, size_t len, bool rp_error)
{
	struct sms_tpdu t, u;
	struct dfs_err e;
	if (sms_report_decode(p, len, 1, rp_error, &t, &e) < 0) {
		if (!e.layer || !e.field || !e.reason || e.offset > len + 1)
			abort();
		return 0;
	}
	if (!t.is_report || t.has_fcs != rp_error || (t.udh.len && !(t.pi & SMS_PI_UDL)))
		abort();
	check_text(&t);
	uint8_t out[256];
	struct dfs_wbuf w = dfs_wbuf_init(out, sizeof(out));
	int rc = sms_tpdu_encode(&w, &t);
	if (rc == -EINVAL && (t.pi & SMS_PI_EXT))
		return 0; /* extension octets are read, not written */
	if (rc < 0 || sms_report_decode(out, w.len, 0, rp_error, &u, &e) < 0)
		abort();
	if (u.is_deliver != t.is_deliver || u.udhi != t.udhi || u.fcs != t.fcs || u.pi != t.pi ||
	    memcmp(u.scts, t.scts, 7) || u.pid != t.pid || u.dcs != t.dcs || u.udl != t.udl ||
	    !view_eq(u.ud, t.ud) || u.has_rsp_pkt != t.has_rsp_pkt || u.has_concat != t.has_concat)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 2)
		return report_one(data + 1, size - 1, data[0] & 4);
	enum sms_dir dir = (enum sms_dir)(data[0] & 1);
	struct sms_tpdu t, u;
	struct dfs_err e;
	if (sms_tpdu_decode(data + 1, size - 1, 1, dir, &t, &e) < 0) {
		if (!e.layer || !e.field || !e.reason || e.offset > size)
			abort();
		return 0;
	}
	check_text(&t);
	uint8_t out[256];
	struct dfs_wbuf w = dfs_wbuf_init(out, sizeof(out));
	int rc = sms_tpdu_encode(&w, &t);
	if (rc == -EINVAL && t.addr_alnum)
		return 0; /* ESC sequences outside the extension table decode to text that re-encodes longer */
	if (rc < 0)
		abort();
	if (sms_tpdu_decode(out, w.len, 0, dir, &u, &e) < 0)
		abort();
	if (u.is_deliver != t.is_deliver || u.udhi != t.udhi || u.rp != t.rp || u.lp != t.lp ||
	    u.mms_or_rd != t.mms_or_rd || u.sri_or_srr != t.sri_or_srr || u.vpf != t.vpf || u.mr != t.mr ||
	    u.addr_ton_npi != t.addr_ton_npi || strcmp(u.addr, t.addr) || u.pid != t.pid || u.dcs != t.dcs ||
	    memcmp(u.scts, t.scts, 7) || !view_eq(u.vp, t.vp) || u.udl != t.udl || !view_eq(u.ud, t.ud) ||
	    u.has_concat != t.has_concat || u.concat_ref != t.concat_ref || u.has_ota_hdr != t.has_ota_hdr ||
	    memcmp(&u.ota, &t.ota, sizeof(t.ota)))
		abort();
	return 0;
}
