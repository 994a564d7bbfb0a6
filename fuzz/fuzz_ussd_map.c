/* libFuzzer: the USSD gateway's MAP face. The input is one M3UA message for map_face_input();
 * the same bytes are also sent as the TCAP of an HLR -> gsmSCF UDT, so the fuzzer reaches the
 * dialogue logic without having to find valid M3UA and SCCP first. Every answer must decode;
 * a sweep far in the future must end every dialogue. A push of our own (map_face_push) is kept
 * under way, and the bytes are also sent as the body of a TC-END / TC-CONTINUE to it, so the
 * answer handling of network-initiated USSD is fuzzed too; its outcome callback must come once.
 * The gateway runs the reference wallet on a temporary SQLite database. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gw.h"
#include "m3ua.h"
#include "map_face.h"
#include "sccp.h"
#include "wallet.h"
#include "../tests/hlr_wire.h"

static struct gw g;
static struct map_face mf;
static int64_t now_ms = 1767225600000LL;

static int64_t clock_cb(void *ud)
{
	(void)ud;
	return now_ms;
}

static uint32_t push_otid; /* our transaction id of the push under way */
static unsigned pushes_done, pushes_started;

static void check_answer(void *ud, const uint8_t *p, size_t len)
{
	static struct sig_msg m;
	struct dfs_err e;
	if (sig_decode_m3ua(p, len, &m, &e) || !m.has_tcap)
		__builtin_trap();
	if (ud && m.tcap.msg_type == TCAP_BEGIN) /* our push's Begin */
		push_otid = m.tcap.otid.val;
}

static void push_done(void *ud, const struct map_push_outcome *o)
{
	(void)ud, (void)o;
	if (++pushes_done > pushes_started)
		__builtin_trap();
}

/* The push under way, started when there is none (notify and prompt in turn). */
static void keep_push(void)
{
	if (map_face_push_count(&mf))
		return;
	struct map_push req = {.type = pushes_started % 2 ? MAP_PUSH_REQUEST : MAP_PUSH_NOTIFY,
			       .msisdn = "254700000001",
			       .imsi = pushes_started % 3 ? "639020000000001" : NULL,
			       .text = "Your statement is ready", .done = push_done};
	static int ours; /* any non-NULL ud: check_answer records the Begin's otid */
	pushes_started++;
	if (map_face_push(&mf, &req, now_ms, check_answer, &ours))
		__builtin_trap();
}

/* TCAP bytes as HLR -> gsmSCF UDT in M3UA DATA into the face. */
static void hlr_input(const uint8_t *tcap, size_t len)
{
	static const struct hlr_wire hw = {.scf_gt = "254722000900", .hlr_gt = "254722000100",
					   .sls = 5};
	uint8_t mb[2200];
	size_t n = hlr_wire_wrap(&hw, tcap, len, mb, sizeof(mb));
	if (n)
		map_face_input(&mf, mb, n, now_ms, check_answer, NULL);
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
	struct map_face_config fc;
	map_face_config_defaults(&fc);
	snprintf(fc.gt, sizeof(fc.gt), "254722000900");
	snprintf(fc.hlr_gt, sizeof(fc.hlr_gt), "254722000100");
	fc.pc = 200;
	fc.hlr_pc = 100;
	fc.ni = 2;
	if (map_face_init(&mf, &g, &fc))
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
	if (size > 1500)
		return 0;
	hlr_input(data, size);

	/* the bytes after the first as the rest of an End (first byte even) or a Continue (odd,
	 * with the HLR's otid) to our push: dialogue portion and components */
	keep_push();
	if (size >= 1) {
		uint8_t t[1600];
		size_t n = 0, body = size - 1 + 6 + (data[0] & 1 ? 6 : 0);
		t[n++] = data[0] & 1 ? 0x65 : 0x64;
		t[n++] = 0x82;
		t[n++] = (uint8_t)(body >> 8);
		t[n++] = (uint8_t)body;
		if (data[0] & 1) {
			const uint8_t otid[] = {0x48, 4, 0x11, 0x22, 0x33, 0x44};
			memcpy(t + n, otid, sizeof(otid));
			n += sizeof(otid);
		}
		const uint8_t dtid[] = {0x49, 4, (uint8_t)(push_otid >> 24), (uint8_t)(push_otid >> 16),
					(uint8_t)(push_otid >> 8), (uint8_t)push_otid};
		memcpy(t + n, dtid, sizeof(dtid));
		n += sizeof(dtid);
		memcpy(t + n, data + 1, size - 1);
		hlr_input(t, n + size - 1);
	}
	now_ms += 1000;
	if (map_face_count(&mf) > 64) {
		now_ms += 3600 * 1000;
		map_face_sweep(&mf, now_ms, check_answer, NULL);
		if (map_face_count(&mf) || map_face_push_count(&mf) ||
		    pushes_done != pushes_started)
			__builtin_trap();
		gw_sweep(&g);
	}
	return 0;
}
