/* The gateway's configuration: the `ussd:` section of a YAML file (libyaml). Errors read
 * "file:line: field: problem". Secrets (HMAC keys, bearer tokens) are never inline: the file
 * names a secret file, which is read here and kept out of every log. */
#ifndef DFS_USSD_CONFIG_H
#define DFS_USSD_CONFIG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gw.h"
#include "gw_e2e.h"
#include "udb.h"
#include "ussd_push.h"

#define USSD_PATH_MAX 512
#define USSD_AGENTS_MAX 64
#define USSD_TOKEN_MAX 128

struct ussd_agent {
	char number[12];
	char name[LEDGER_NAME_MAX];
};

struct ussd_config {
	struct gw_config gw;
	char listen_host[64];
	unsigned listen_port;
	char tls_cert[USSD_PATH_MAX], tls_key[USSD_PATH_MAX]; /* both empty = plain HTTP */
	unsigned threads;
	enum udb_backend db_backend;
	char db_path[USSD_PATH_MAX];
	char db_conninfo[USSD_PATH_MAX];
	unsigned db_pool;
	char audit_log[USSD_PATH_MAX];
	bool audit_fsync;
	char alert_log[USSD_PATH_MAX];
	char messages[USSD_PATH_MAX];
	uint8_t aggregator_key[GW_SECRET_MAX]; /* GW-APPAUTH: requests to us */
	size_t aggregator_key_len;
	int64_t replay_window_s;
	char feed_token[USSD_TOKEN_MAX];   /* operator SIM swap feed, bearer */
	char camara_token[USSD_TOKEN_MAX]; /* CAMARA SIM Swap API, bearer */
	char kyc_csv[USSD_PATH_MAX];
	struct ussd_agent agents[USSD_AGENTS_MAX];
	unsigned n_agents;
	/* ussd.map: the MAP face as an M3UA SGP (docs/ussd.md) */
	bool map_enabled;
	char map_listen[160];      /* "tcp:127.0.0.1:2905" (tp_endpoint_parse) */
	bool map_has_rctx;
	int64_t map_rctx;
	char map_network[11];      /* MCC+MNC; "" = from the IMSI */
	int64_t map_idle_s;        /* TCAP dialogue idle timeout, default 60 */
	/* network-initiated USSD (services with push: true): our gsmSCF and the HLR */
	char map_gt[16], map_hlr_gt[16]; /* E.164 digits */
	int64_t map_pc, map_hlr_pc;      /* M3UA point codes, -1 = not set */
	int64_t map_ni;                  /* network indicator, default 2 (national) */
	/* FW-USSD-PHISH: words a pushed text must not contain (case-insensitive, whole words) */
	char push_words[USSD_PUSH_WORDS_MAX][USSD_PUSH_WORD_MAX];
	unsigned n_push_words;
	/* GW-E2E (optional `e2e:` section): the OTA key store and counter DB, the file holding the
	 * key store's KEK (never the KEK itself), and the MSISDN -> ICCID map of applet SIMs */
	char e2e_keystore[USSD_PATH_MAX], e2e_counters[USSD_PATH_MAX], e2e_kek_file[USSD_PATH_MAX];
	struct gw_e2e_config e2e;
};

/* Load and check a file. 0, or negative errno with "file:line: field: problem" in err. */
int ussd_config_load(struct ussd_config *c, const char *path, char *err, size_t errsz);
void ussd_config_wipe(struct ussd_config *c); /* zero the secrets */

#endif
