/* The operator's firewall configuration: one YAML file (docs/configuration.md).
 *
 * Loading compiles every prefix list into digit tries, so the rule engine matches with no
 * allocation. Every key is known (an unknown key is an error), every value range-checked,
 * and every error is reported as "file:line: field: problem". Secrets (the pseudonymisation
 * key) are read here and never printed. */
#ifndef DFS_POLICY_CONFIG_H
#define DFS_POLICY_CONFIG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "digit_trie.h"
#include "rules.h"
#include "sigmsg.h"
#include "substate.h"

/* Network ids stored in the GT and IMSI tries: the home network, then partner i as i + 1. */
#define NET_HOME 0
#define NET_PARTNER(i) ((i) + 1)

enum node_role {
	ROLE_HLR = 1 << 0, ROLE_MSC = 1 << 1, ROLE_VLR = 1 << 2, ROLE_SGSN = 1 << 3,
	ROLE_SMSC = 1 << 4, ROLE_USSD_GW = 1 << 5, ROLE_GSMSCF = 1 << 6, ROLE_OTA_SMSC = 1 << 7,
};

enum policy_mode { MODE_LEARNING = 0, MODE_STRICT = 1 };
enum serving_match { MATCH_NETWORK = 0, MATCH_NODE = 1 };

struct rate_limit {
	uint32_t count; /* 0: no limit */
	uint32_t per_s;
};

struct rule_cfg {
	uint8_t action;      /* enum verdict_action */
	bool action_set;     /* given in the file (FW-ADDR otherwise follows the mode) */
	uint8_t answer;      /* enum answer_kind */
	uint8_t severity;    /* enum severity */
	uint16_t map_error;  /* for ANSWER_MAP_ERROR (TS 29.002 error code) */
};

#define PARTNER_NAME_MAX 64
struct partner_cfg {
	char name[PARTNER_NAME_MAX];
	char country[8];       /* E.164 country code */
	bool hub;              /* relays other networks' traffic: skip address consistency */
	uint8_t allow_ops[32]; /* bit set of category-1 ops accepted from this partner */
};

struct mgt_map {
	char imsi_prefix[16]; /* MCC+MNC */
	char mgt_prefix[16];  /* E.214: E.164 CC+NDC that replaces it */
};

#define CLI_MAX_OPC 32
#define PSEUDO_KEY_MAX 128

struct policy_config {
	char file[256];
	char operator_name[64];
	char home_cc[8];

	struct digit_trie gt_net;      /* GT prefix -> NET_HOME / NET_PARTNER(i) */
	struct digit_trie imsi_net;    /* IMSI prefix -> NET_HOME / NET_PARTNER(i) */
	struct digit_trie home_msisdn; /* E.164 prefixes of home subscriber numbers -> 0 */
	struct digit_trie roles;       /* node GT (prefix) -> enum node_role bits */
	struct digit_trie ota_oa;      /* OTA platform originating addresses (TP-OA) -> 0 */
	struct digit_trie mgt;         /* IMSI prefix -> index into mgt_maps */
	struct mgt_map *mgt_maps;
	unsigned n_mgt;
	struct partner_cfg *partners;
	unsigned n_partners;

	uint8_t op_cat[256]; /* MAP local opcode -> FS.11 category 1..3, 0 none */

	struct rule_cfg rules[RULE_COUNT];
	enum policy_mode mode;
	bool monitor;
	enum serving_match serving_match;
	uint8_t unseen_dialogue;    /* action for Continue/End whose Begin was never seen */
	double max_speed_kmh, slack_km;

	uint32_t intercept_window_s;       /* FW-INTERCEPT: op 59 / SS ops this soon after a move */
	bool callfwd_alert_foreign;        /* FW-CALLFWD: forwarding abroad raises an alert */
	struct rate_limit sri_sm_source, sri_sm_target; /* FW-SMS-HOME */
	bool addr_check_sms;               /* FW-ADDR: SC address vs calling GT */
	uint8_t cli_ni_mask;               /* FW-CLI: MTP3/M3UA NI values that are international */
	uint32_t cli_opc[CLI_MAX_OPC];     /* FW-CLI: OPCs of international links */
	unsigned n_cli_opc;
	struct digit_trie cli_protected;   /* FW-CLI: extra protected numbers (hotlines) */

	uint32_t max_subscribers, max_rate_keys, max_dialogues;
	uint32_t subscriber_ttl_s, rate_ttl_s, dialogue_timeout_s;
	enum sub_state_backend state_backend; /* state.backend */
	struct sub_state_redis_cfg redis;     /* state.redis */

	bool pseudo_enabled;
	bool pseudo_imsi, pseudo_msisdn, pseudo_gt;
	uint8_t pseudo_len; /* hex characters kept */
	uint8_t pseudo_key[PSEUDO_KEY_MAX];
	size_t pseudo_key_len;

	bool has_links;
	unsigned links_line; /* the links section, parsed by the firewall daemon */
};

#define CFG_MAX_ERRORS 32
#define CFG_ERR_LEN 256
struct cfg_errors {
	unsigned n, dropped;
	char msg[CFG_MAX_ERRORS][CFG_ERR_LEN]; /* "file:line: field: problem" */
};

/* Load and validate a configuration file. NULL on any error (all are in errs). */
struct policy_config *policy_config_load(const char *path, struct cfg_errors *errs);
/* The same for a command: NULL on any error, with the errors printed on f, one a line. */
struct policy_config *policy_config_load_report(const char *path, FILE *f);
/* The same from text in memory; name is used in error messages. */
struct policy_config *policy_config_parse(const char *name, const char *text, size_t len,
					  struct cfg_errors *errs);
void policy_config_free(struct policy_config *cfg);

/* The shipped default category of a MAP operation (PROTOCOLS.md, GSMA FS.11). */
int policy_default_category(int op);

#endif
