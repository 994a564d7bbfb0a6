#include "rules.h"

#include <string.h>

const struct value_string rule_id_names[] = {
	{RULE_NONE, "none"},
	{RULE_CAT1, "FW-CAT1"},
	{RULE_CAT2, "FW-CAT2"},
	{RULE_CAT3, "FW-CAT3"},
	{RULE_USSD_SPOOF, "FW-USSD-SPOOF"},
	{RULE_USSD_PHISH, "FW-USSD-PHISH"},
	{RULE_INTERCEPT, "FW-INTERCEPT"},
	{RULE_CALLFWD, "FW-CALLFWD"},
	{RULE_SIMJACKER, "FW-SIMJACKER"},
	{RULE_SMS_HOME, "FW-SMS-HOME"},
	{RULE_ADDR, "FW-ADDR"},
	{RULE_TCAP, "FW-TCAP"},
	{RULE_CLI, "FW-CLI"},
	{0, NULL},
};

const struct value_string verdict_action_names[] = {
	{ACT_ALLOW, "allow"},
	{ACT_ALERT, "alert"},
	{ACT_BLOCK, "block"},
	{0, NULL},
};

const struct value_string answer_kind_names[] = {
	{ANSWER_NONE, "none"},
	{ANSWER_TCAP_ABORT, "tcap-abort"},
	{ANSWER_MAP_ERROR, "map-error"},
	{ANSWER_UDTS, "udts"},
	{0, NULL},
};

const struct value_string severity_names[] = {
	{SEV_INFO, "info"},
	{SEV_LOW, "low"},
	{SEV_MEDIUM, "medium"},
	{SEV_HIGH, "high"},
	{SEV_CRITICAL, "critical"},
	{0, NULL},
};

enum rule_id rule_by_name(const char *name)
{
	uint32_t v;
	if (get_string_value(rule_id_names, name, &v) || v == RULE_NONE)
		return RULE_NONE;
	return (enum rule_id)v;
}
