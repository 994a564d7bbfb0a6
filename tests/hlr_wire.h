/* Tests that play the HLR towards the USSD gateway's MAP face: TCAP bytes as the HLR sends
 * them to the gsmSCF, in an SCCP UDT (class 1, return on error; called = the gateway's GT with
 * SSN 147, calling = the HLR's GT with SSN 6) inside an M3UA DATA (RFC 4666 3.3.1) from point
 * code 100 to 200, NI 2, with the given SLS, routing context and network appearance. */
#ifndef DFS_TEST_HLR_WIRE_H
#define DFS_TEST_HLR_WIRE_H
#include <stddef.h>
#include <stdint.h>

#include "m3ua.h"
#include "sccp.h"

#define HLR_WIRE_PC 100
#define HLR_WIRE_SCF_PC 200

struct hlr_wire {
	const char *scf_gt, *hlr_gt;
	const uint32_t *rctx, *na; /* NULL: the parameter is left out */
	uint8_t sls;
};

/* The M3UA message in mb; its length, or 0 when it does not fit. */
static inline size_t hlr_wire_wrap(const struct hlr_wire *hw, const uint8_t *tcap, size_t len,
				   uint8_t *mb, size_t mbsz)
{
	uint8_t sb[1024];
	struct sccp_msg s = {.msg_type = SCCP_MSG_UDT, .proto_class = 0x81, .data = {tcap, len}};
	sccp_addr_gt(&s.called, hw->scf_gt, SCCP_SSN_GSMSCF);
	sccp_addr_gt(&s.calling, hw->hlr_gt, SCCP_SSN_HLR);
	struct dfs_wbuf w = dfs_wbuf_init(sb, sizeof(sb));
	if (sccp_encode(&w, &s) || !dfs_wbuf_ok(&w))
		return 0;
	struct m3ua_proto_data pd = {.opc = HLR_WIRE_PC, .dpc = HLR_WIRE_SCF_PC, .si = 3, .ni = 2,
				     .sls = hw->sls, .user_data = {sb, w.len}};
	struct dfs_wbuf mw = dfs_wbuf_init(mb, mbsz);
	if (m3ua_encode_data_na(&mw, hw->na, hw->rctx, &pd) || !dfs_wbuf_ok(&mw))
		return 0;
	return mw.len;
}

#endif
