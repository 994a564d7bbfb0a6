/* Rule identifiers, actions and answers of the signalling firewall (THREATS.md section A).
 * The ids are stable: they appear in alerts, configuration keys, tests and docs/rules.md. */
#ifndef DFS_RULES_H
#define DFS_RULES_H
#include "value_string.h"

enum rule_id {
	RULE_NONE = 0,
	RULE_CAT1,        /* FW-CAT1 */
	RULE_CAT2,        /* FW-CAT2 */
	RULE_CAT3,        /* FW-CAT3 */
	RULE_USSD_SPOOF,  /* FW-USSD-SPOOF */
	RULE_USSD_PHISH,  /* FW-USSD-PHISH */
	RULE_INTERCEPT,   /* FW-INTERCEPT */
	RULE_CALLFWD,     /* FW-CALLFWD */
	RULE_SIMJACKER,   /* FW-SIMJACKER */
	RULE_SMS_HOME,    /* FW-SMS-HOME */
	RULE_ADDR,        /* FW-ADDR */
	RULE_TCAP,        /* FW-TCAP */
	RULE_CLI,         /* FW-CLI */
	RULE_COUNT
};
extern const struct value_string rule_id_names[]; /* "FW-CAT1", ... */

enum verdict_action { ACT_ALLOW = 0, ACT_ALERT = 1, ACT_BLOCK = 2 };
extern const struct value_string verdict_action_names[]; /* "allow", "alert", "block" */

/* What a blocking firewall sends back so the sender's dialogue ends cleanly. */
enum answer_kind { ANSWER_NONE = 0, ANSWER_TCAP_ABORT, ANSWER_MAP_ERROR, ANSWER_UDTS };
extern const struct value_string answer_kind_names[]; /* "none", "tcap-abort", "map-error", "udts" */

enum severity { SEV_INFO = 0, SEV_LOW, SEV_MEDIUM, SEV_HIGH, SEV_CRITICAL };
extern const struct value_string severity_names[]; /* "info" ... "critical" */

/* The rule id for its name ("FW-CAT1"), or RULE_NONE. */
enum rule_id rule_by_name(const char *name);
static inline const char *rule_name(enum rule_id r) { return get_value_string(rule_id_names, r); }

#endif
