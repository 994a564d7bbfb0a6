/* MTP3 MSU decoder and encoder, ITU-T Q.704. */
#include "mtp3.h"

#include <errno.h>

/* Q.704 14.2.1 */
const struct value_string mtp3_si_names[] = {
	{MTP3_SI_SNM, "SNM"},
	{MTP3_SI_MTN, "MTN"},
	{MTP3_SI_MTNS, "MTNS"},
	{MTP3_SI_SCCP, "SCCP"},
	{MTP3_SI_TUP, "TUP"},
	{MTP3_SI_ISUP, "ISUP"},
	{MTP3_SI_DUP_CC, "DUP (call and circuit)"},
	{MTP3_SI_DUP_FAC, "DUP (facility)"},
	{MTP3_SI_MTP_TEST, "MTP testing"},
	{MTP3_SI_BISUP, "B-ISUP"},
	{MTP3_SI_SISUP, "Satellite ISUP"},
	{MTP3_SI_AAL2, "AAL type 2 signalling"},
	{MTP3_SI_BICC, "BICC"},
	{MTP3_SI_GCP, "Gateway control protocol"},
	{0, NULL},
};

/* Q.704 14.2.2 */
const struct value_string mtp3_ni_names[] = {
	{MTP3_NI_INTERNATIONAL, "International network"},
	{MTP3_NI_INTERNATIONAL_SPARE, "Spare (international use)"},
	{MTP3_NI_NATIONAL, "National network"},
	{MTP3_NI_NATIONAL_SPARE, "Reserved for national use"},
	{0, NULL},
};

int mtp3_decode(const uint8_t *p, size_t len, size_t base, struct mtp3_msg *m, struct dfs_err *e)
{
	struct dfs_buf b = dfs_buf_init(p, len, base);
	uint8_t lbl[MTP3_LABEL_LEN];

	if (dfs_buf_u8(&b, &m->sio) < 0)
		return dfs_err_set(e, "mtp3", "sio", dfs_buf_abs(&b), "message is empty");
	m->si = m->sio & 0x0f;
	m->prio = (m->sio >> 4) & 0x03;
	m->ni = m->sio >> 6;
	for (unsigned i = 0; i < MTP3_LABEL_LEN; i++)
		if (dfs_buf_u8(&b, &lbl[i]) < 0)
			return dfs_err_set(e, "mtp3", "routing_label", dfs_buf_abs(&b),
					   "routing label truncated");
	/* Q.704 2.2.4: the label is transmitted least significant bit first */
	uint32_t l = (uint32_t)lbl[0] | (uint32_t)lbl[1] << 8 | (uint32_t)lbl[2] << 16 |
		     (uint32_t)lbl[3] << 24;
	m->dpc = (uint16_t)(l & MTP3_PC_MAX);
	m->opc = (uint16_t)((l >> 14) & MTP3_PC_MAX);
	m->sls = (uint8_t)(l >> 28);
	if (dfs_buf_left(&b) == 0)
		return dfs_err_set(e, "mtp3", "user_part", dfs_buf_abs(&b), "no user part after the label");
	dfs_buf_view(&b, dfs_buf_left(&b), &m->user);
	return 0;
}

int mtp3_encode(struct dfs_wbuf *w, const struct mtp3_msg *m)
{
	if (m->si > 15 || m->ni > 3 || m->prio > 3 || m->dpc > MTP3_PC_MAX || m->opc > MTP3_PC_MAX ||
	    m->sls > 15 || (m->user.len && !m->user.p))
		return -EINVAL;
	uint32_t l = (uint32_t)m->dpc | (uint32_t)m->opc << 14 | (uint32_t)m->sls << 28;
	uint8_t hdr[MTP3_HDR_LEN] = {
		(uint8_t)(m->ni << 6 | m->prio << 4 | m->si),
		(uint8_t)l, (uint8_t)(l >> 8), (uint8_t)(l >> 16), (uint8_t)(l >> 24),
	};
	dfs_wbuf_put(w, hdr, sizeof(hdr));
	dfs_wbuf_put(w, m->user.p, m->user.len);
	return dfs_wbuf_ok(w) ? 0 : -ENOSPC;
}

void mtp3_to_proto_data(const struct mtp3_msg *m, struct m3ua_proto_data *pd)
{
	pd->opc = m->opc;
	pd->dpc = m->dpc;
	pd->si = m->si;
	pd->ni = m->ni;
	pd->mp = m->prio;
	pd->sls = m->sls;
	pd->user_data = m->user;
}
