/* The simulator's messages on the wire: SMS TPDU and OTA packet, MAP argument or result,
 * TCAP, SCCP UDT (or ISUP IAM), M3UA DATA, each through the codec stack's own encoder. */
#include <errno.h>
#include <string.h>

#include "isup.h"
#include "m3ua.h"
#include "map.h"
#include "ota_packet.h"
#include "sccp.h"
#include "sim.h"
#include "sms.h"
#include "tcap.h"

/* A TS 102 225 command packet for the SIM: the operator's platform secures it (AES, counter,
 * cryptographic checksum, with a simulator key that belongs to no card); an attacker's has
 * SPI 0000. The data is a RAM "select" APDU as the S@T/WIB exploits carry. */
static int ota_packet(const struct sms_tpdu *t, struct dfs_wbuf *w)
{
	static const uint8_t data[] = {0xa0, 0xa4, 0x00, 0x00, 0x02, 0x7f, 0x20};
	struct ota_cmd_params p;
	struct ota_keyset ks;
	memset(&p, 0, sizeof(p));
	memset(&ks, 0, sizeof(ks));
	memcpy(p.spi, t->ota.spi, 2);
	p.tar = t->ota.tar;
	p.data = data;
	p.data_len = sizeof(data);
	if (t->ota.spi[0] || t->ota.spi[1]) {
		ks.kvn = 2;
		ks.kic.alg = ks.kid.alg = OTA_ALG_AES;
		ks.kic.len = ks.kid.len = 16;
		for (int i = 0; i < 16; i++) {
			ks.kic.k[i] = (uint8_t)(0x51 + i);
			ks.kid.k[i] = (uint8_t)(0x71 + 3 * i);
		}
		p.kic = p.kid = (uint8_t)(0x20 | ota_alg_nibble(OTA_ALG_AES));
		p.cntr[4] = 1;
	}
	return ota_cmd_encode(w, &p, &ks, NULL, 0, 0);
}

/* The TPDU of a map_fields into out; sets the view the MAP encoder copies. */
static int tpdu(const struct sim_msg *sm, struct map_fields *f, uint8_t *out, size_t outsz)
{
	struct sms_tpdu t = f->tpdu;
	uint8_t ud[160];
	if (t.has_cmd_pkt) { /* UDH: IEI 70 (command packet), then the packet */
		struct dfs_wbuf uw = dfs_wbuf_init(ud, sizeof(ud));
		dfs_wbuf_u8(&uw, 0x02);
		dfs_wbuf_u8(&uw, 0x70);
		dfs_wbuf_u8(&uw, 0x00);
		int rc = ota_packet(&sm->m.map.tpdu, &uw);
		if (rc < 0)
			return rc;
		if (!dfs_wbuf_ok(&uw))
			return -ENOSPC;
		t.ud = (struct dfs_view){ud, uw.len};
		t.udh = (struct dfs_view){ud + 1, 2};
		t.udl = (uint8_t)uw.len;
	}
	struct dfs_wbuf w = dfs_wbuf_init(out, outsz);
	int rc = sms_tpdu_encode(&w, &t);
	if (rc < 0)
		return rc;
	f->sm_rp_ui = (struct dfs_view){out, w.len};
	return 0;
}

/* TCAP bytes of the message into out (its MAP parameter encoded first). */
static int tcap_bytes(const struct sim_msg *sm, struct dfs_wbuf *w)
{
	struct tcap_msg t = sm->m.tcap;
	struct map_fields f = sm->m.map;
	uint8_t param[600], tp[200];
	if (sm->m.has_map && t.n_components && f.opcode >= 0 && map_op_supported(f.opcode)) {
		if (f.has_tpdu) {
			int rc = tpdu(sm, &f, tp, sizeof(tp));
			if (rc < 0)
				return rc;
		}
		struct dfs_wbuf pw = dfs_wbuf_init(param, sizeof(param));
		int rc = f.is_result ? map_encode_result(&pw, f.opcode, &f) : map_encode_arg(&pw, f.opcode, &f);
		if (rc == 0 && pw.len) {
			for (unsigned i = 0; i < t.n_components; i++)
				if (t.comp[i].has_opcode && t.comp[i].opcode == f.opcode &&
				    (t.comp[i].type == TCAP_INVOKE) != f.is_result)
					t.comp[i].param = (struct dfs_view){param, pw.len};
		} else if (rc < 0 && rc != -ENOTSUP) {
			return rc;
		}
	}
	size_t start = w->len;
	int rc = tcap_encode(w, &t);
	if (rc < 0)
		return rc;
	if (sm->malformed && w->len - start > 2 && w->p[start + 1] < 0x7f)
		w->p[start + 1]++; /* the message's length now runs past its end */
	return dfs_wbuf_ok(w) ? 0 : -ENOSPC;
}

int sim_encode(const struct sim_msg *sm, struct dfs_wbuf *w)
{
	uint8_t user[1400], tc[1200];
	struct dfs_wbuf uw = dfs_wbuf_init(user, sizeof(user));
	int rc;
	if (sm->m.has_isup) {
		rc = isup_encode_iam(&uw, &sm->m.isup);
	} else {
		struct dfs_wbuf tw = dfs_wbuf_init(tc, sizeof(tc));
		rc = tcap_bytes(sm, &tw);
		if (rc < 0)
			return rc;
		struct sccp_msg s = sm->m.sccp;
		s.data = (struct dfs_view){tc, tw.len};
		rc = sccp_encode(&uw, &s);
	}
	if (rc < 0)
		return rc;
	if (!dfs_wbuf_ok(&uw))
		return -ENOSPC;
	struct m3ua_proto_data pd = sm->m.m3ua.pd;
	pd.user_data = (struct dfs_view){user, uw.len};
	rc = m3ua_encode_data(w, NULL, &pd);
	if (rc < 0)
		return rc;
	return dfs_wbuf_ok(w) ? 0 : -ENOSPC;
}
