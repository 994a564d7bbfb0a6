/* libFuzzer target: the YAML configuration loader must reject or accept any text cleanly,
 * and an accepted configuration must drive the engine. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "config.h"
#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfg_errors errs;
	struct policy_config *c = policy_config_parse("fuzz.yaml", (const char *)data, size, &errs);
	if (!c)
		return 0;
	/* keep allocations small whatever sizes the input asked for */
	c->max_subscribers = c->max_rate_keys = c->max_dialogues = 64;
	char err[128];
	struct policy_ctx *p = policy_new(c, NULL, err, sizeof(err));
	if (p) {
		struct sig_msg m;
		struct verdict v;
		memset(&m, 0, sizeof(m));
		m.has_sccp = m.has_tcap = m.has_map = true;
		strcpy(m.sccp.calling.digits, "491799001234");
		strcpy(m.sccp.called.digits, "25579900001");
		m.tcap.msg_type = TCAP_BEGIN;
		m.tcap.otid.present = true;
		m.tcap.n_components = 1;
		m.tcap.comp[0].type = TCAP_INVOKE;
		m.tcap.comp[0].has_opcode = true;
		m.map.has_imsi = true;
		strcpy(m.map.imsi, "640990000000001");
		for (int op = 0; op < 100; op++) {
			m.tcap.comp[0].opcode = m.map.opcode = op;
			policy_eval(p, &m, 1000 + (uint64_t)op, &v);
		}
		policy_free(p);
	}
	policy_config_free(c);
	return 0;
}
