/* libFuzzer: the USSD gateway's MAP face. The input is one M3UA message for map_face_input();
 * the same bytes are also sent as the TCAP of an HLR -> gsmSCF UDT, so the fuzzer reaches the
 * dialogue logic without having to find valid M3UA and SCCP first. Every answer must decode;
 * a sweep far in the future must end every dialogue. The gateway runs the reference wallet on
 * a temporary SQLite database. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gw.h"
#include "m3ua.h"
#include "map_face.h"
#include "sccp.h"
#include "wallet.h"

static struct gw g;
static struct map_face mf;
static int64_t now_ms = 1767225600000LL;

static int64_t clock_cb(void *ud)
{
	(void)ud;
	return now_ms;
}

static void check_answer(void *ud, const uint8_t *p, size_t len)
{
	(void)ud;
	static struct sig_msg m;
	struct dfs_err e;
	if (sig_decode_m3ua(p, len, &m, &e) || !m.has_tcap)
		__builtin_trap();
}

static void setup(void)
{
	static struct gw_config cfg;
	static struct msgcat msgs;
	static const char *req[128];
	struct udb *db;
	struct audit_log *audit;
	char dir[] = "/tmp/dfsg-fuzzmap-XXXXXX", path[512], err[256];
	if (!mkdtemp(dir))
		abort();
	gw_config_defaults(&cfg);
	cfg.pin.ops = crypto_pwhash_OPSLIMIT_MIN;
	cfg.pin.mem = crypto_pwhash_MEMLIMIT_MIN;
	snprintf(cfg.country_code, sizeof(cfg.country_code), "254");
	snprintf(cfg.services[0].code, sizeof(cfg.services[0].code), "*384#");
	cfg.n_services = 1;
	unsigned n = 0;
	for (const char *const *k = gw_required_messages; *k; k++)
		req[n++] = *k;
	for (const char *const *k = wallet_required_messages; *k; k++)
		req[n++] = *k;
	/* the catalogue of the source tree this file is in */
	snprintf(path, sizeof(path), "%s", __FILE__);
	char *slash = strrchr(path, '/');
	snprintf(slash ? slash : path, sizeof(path) - (size_t)(slash ? slash - path : 0),
		 "/../config/messages/en.yaml");
	if (msgcat_load(&msgs, path, req, err, sizeof(err)))
		abort();
	snprintf(path, sizeof(path), "%s/gw.db", dir);
	struct udb_config uc = {.backend = UDB_SQLITE, .sqlite_path = path};
	if (udb_open(&db, &uc, err, sizeof(err)))
		abort();
	snprintf(path, sizeof(path), "%s/audit.jsonl", dir);
	if (audit_open(&audit, path, false, err, sizeof(err)))
		abort();
	if (gw_init(&g, &cfg, db, audit, NULL, &msgs, clock_cb, NULL))
		abort();
	g.wallet = &wallet_app;
	if (map_face_init(&mf, &g, NULL))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	if (!ready) {
		setup();
		ready = 1;
	}
	map_face_input(&mf, data, size, now_ms, check_answer, NULL);

	uint8_t sb[2048], mb[2200];
	if (size > 1500)
		return 0;
	struct sccp_msg s = {.msg_type = SCCP_MSG_UDT, .proto_class = 0x81, .data = {data, size}};
	sccp_addr_gt(&s.called, "254722000900", SCCP_SSN_GSMSCF);
	sccp_addr_gt(&s.calling, "254722000100", SCCP_SSN_HLR);
	struct dfs_wbuf w = dfs_wbuf_init(sb, sizeof(sb));
	if (sccp_encode(&w, &s) || !dfs_wbuf_ok(&w))
		return 0;
	struct m3ua_proto_data pd = {.opc = 100, .dpc = 200, .si = 3, .ni = 2, .sls = 5,
				     .user_data = {sb, w.len}};
	struct dfs_wbuf mw = dfs_wbuf_init(mb, sizeof(mb));
	if (m3ua_encode_data(&mw, NULL, &pd) || !dfs_wbuf_ok(&mw))
		return 0;
	map_face_input(&mf, mb, mw.len, now_ms, check_answer, NULL);
	now_ms += 1000;
	if (map_face_count(&mf) > 64) {
		now_ms += 3600 * 1000;
		map_face_sweep(&mf, now_ms, check_answer, NULL);
		if (map_face_count(&mf))
			__builtin_trap();
		gw_sweep(&g);
	}
	return 0;
}
