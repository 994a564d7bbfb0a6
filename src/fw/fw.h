/* dfsguard fw: the inline signalling firewall daemon (docs/operations.md).
 *
 * It joins the M3UA relay of src/net to the decoder and the policy engine through the relay's
 * verdict hook: every DATA message from a partner (and every answer from the home network) is
 * decoded, judged by policy_eval() and forwarded, dropped, or answered. Alerts go to a JSON-lines
 * file (the analyze --json schema) and optionally syslog; blocked messages to a rotating capture
 * file; counters to a Prometheus endpoint. The subscriber state is saved to SQLite periodically
 * and on shutdown, and loaded at start.
 *
 * Configuration: the analyze YAML plus its `links` section, parsed here (fw_links_parse). */
#ifndef DFS_FW_H
#define DFS_FW_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "dfs_err.h"
#include "evloop.h"
#include "relay.h"
#include "sigmsg.h"

#define FW_PATH_MAX 256

/* `links.simswap_feed`: MSISDN-IMSI bindings learned from signalling, posted to the USSD
 * gateway's POST /simswap/feed (src/fw/fw_simswap_feed.h). Disabled when url is empty. */
struct fw_simswap_feed_cfg {
	char url[512];
	char token_file[FW_PATH_MAX];
	char ca_file[FW_PATH_MAX];  /* "" = the system's CA store */
	unsigned batch;             /* lines per POST (0: 100) */
	unsigned interval_ms;       /* longest wait before a partial batch goes (0: 1000) */
	unsigned queue;             /* lines waiting at most (0: 10000); more are dropped */
	unsigned attempts;          /* POSTs of one batch before it is given up (0: 5) */
	unsigned timeout_ms;        /* one POST, connection included (0: 5000) */
	bool all_bindings;          /* also first-seen bindings, not only SIM swaps */
};

/* The `links` section. Strings are owned by the structure. */
struct fw_links {
	struct relay_cfg relay;   /* names point into names[] */
	char names[2 * RELAY_MAX_LINKS][64];
	uint16_t usrsctp_port;    /* UDP encapsulation port of usrsctp (0: any free port) */
	char alerts_file[FW_PATH_MAX];
	bool alerts_syslog;
	char capture_file[FW_PATH_MAX];
	uint64_t capture_rotate_bytes; /* 0: 64 MiB */
	unsigned capture_keep;         /* rotated files kept (0: 5) */
	bool capture_keep_text;        /* redact: false -- USSD strings and SMS text kept as is */
	char metrics_addr[TP_ADDR_LEN];
	uint16_t metrics_port;         /* 0: no metrics endpoint */
	bool metrics_enabled;
	char snapshot_file[FW_PATH_MAX];
	unsigned snapshot_interval_s;  /* 0: 300 */
	struct fw_simswap_feed_cfg simswap_feed;
};

/* Parse the links section of the configuration file at path. Errors are "file:line: field:
 * problem" in errs. 0 or -EINVAL. */
int fw_links_parse(const char *path, struct fw_links *out, struct cfg_errors *errs);
/* The same from text in memory; name is used in error messages. */
int fw_links_parse_text(const char *name, const char *text, size_t len, struct fw_links *out,
			struct cfg_errors *errs);

struct fw;

/* Load the configuration (policy and links), load the state snapshot, start the links and the
 * metrics endpoint on loop l. net: the transports to use (not freed by fw_free; usrsctp must
 * already be started on it when a link needs it), or NULL for the firewall's own. NULL with the
 * reason in err. */
struct fw *fw_new(struct evloop *l, struct tp_net *net, const char *config_path, char *err,
		  size_t errsz);
/* Reload the configuration file: the rules, policy settings, alert outputs and fail mode take
 * effect at once; links are kept as they are (changes to them need a restart, reported in
 * err as a warning with return value 1). An invalid file is refused (-EINVAL, reason in err) and
 * the running configuration stays. */
int fw_reload(struct fw *fw, char *err, size_t errsz);
/* Save the subscriber state snapshot now (when configured). 0 or negative errno. */
int fw_snapshot(struct fw *fw, char *err, size_t errsz);
/* Save the snapshot, close every link and output. */
void fw_free(struct fw *fw);

/* Prometheus text exposition of the counters; returns the length written (truncated to
 * outsz - 1, always NUL-terminated). */
size_t fw_metrics_text(const struct fw *fw, char *out, size_t outsz);
uint16_t fw_metrics_port(const struct fw *fw);
struct relay *fw_relay(const struct fw *fw);

/* Totals over both directions, as the metrics show them. */
struct fw_totals {
	uint64_t in, forwarded, blocked, answered, rejected, refused, held;
	uint64_t alerts, malformed;
};
void fw_get_totals(const struct fw *fw, enum relay_dir d, struct fw_totals *t);

/* ---- passive mode: the same alerts from a mirror port (libpcap) ----
 * M3UA DATA (over SCTP or TCP) is decoded by sig_decode_m3ua, MTP3 MSUs (M2UA, M2PA, MTP2 and
 * MTP3 link types) carrying SCCP or ISUP by sig_decode_mtp3; both are judged by the same rules. */
struct fw_passive;
struct fw_passive *fw_passive_new(struct evloop *l, const char *config_path, const char *iface,
				  char *err, size_t errsz);
int fw_passive_reload(struct fw_passive *p, char *err, size_t errsz);
void fw_passive_free(struct fw_passive *p);
/* Passive mode over a capture file instead of an interface (rule tuning on a recorded mirror
 * capture): every frame is judged as if it were seen live, with the same alerts, capture file
 * and state snapshot. *judged counts the messages judged. 0, or a negative errno with err. */
int fw_passive_replay(const char *config_path, const char *pcap_path, uint64_t *judged, char *err,
		      size_t errsz);

#endif
