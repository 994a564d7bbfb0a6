/* dfsguard fw passive mode over MTP3 (fw_passive_replay, the path --listen-pcap takes for each
 * frame): a capture of link type 141 (MTP3 MSUs) written here with the codecs' encoders. MSUs
 * carrying SCCP or ISUP go through sig_decode_mtp3 and the same rules as M3UA DATA; network
 * management and test MSUs are not judged. A blocked MSU is written to the capture file as the
 * M3UA DATA carrying its routing label and user part; the subscriber state learned from an
 * allowed updateLocation reaches the snapshot. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "capture.h"
#include "fw.h"
#include "gsm0338.h"
#include "isup.h"
#include "map.h"
#include "mtp3.h"
#include "sccp.h"
#include "fw_testlib.h"
#include "substate.h"

#define DLT_MTP3_LINK 141
#define PC_HOME FWT_PC_HOME
#define PC_PARTNER FWT_PC_PARTNER
#define HOME_HLR FWT_HOME_HLR
#define ALPEN_VLR FWT_ALPEN_VLR
#define FOREIGN_GT FWT_FOREIGN_GT

struct world {
	char dir[64], cfg[128], pcap[128], alerts[128], capture[128], snapshot[128];
	pcap_t *dead;
	pcap_dumper_t *dump;
	unsigned frames;
};

static void put_msu(struct world *w, uint8_t si, uint8_t ni, uint8_t sls, const uint8_t *user, size_t ulen)
{
	struct mtp3_msg m = {.si = si, .ni = ni, .opc = PC_PARTNER, .dpc = PC_HOME, .sls = sls,
			     .user = {user, ulen}};
	uint8_t buf[1024];
	struct dfs_wbuf wb = dfs_wbuf_init(buf, sizeof(buf));
	assert_int_equal(mtp3_encode(&wb, &m), 0);
	struct pcap_pkthdr h = {.ts = {1700000000 + (long)w->frames, 0}, .caplen = (bpf_u_int32)wb.len,
				.len = (bpf_u_int32)wb.len};
	pcap_dump((u_char *)w->dump, &h, buf);
	w->frames++;
}

static void put_udt(struct world *w, const uint8_t *tcap, size_t tl, const char *calling, uint8_t sls)
{
	struct sccp_msg sm = {.msg_type = 0x09, .data = {tcap, tl}};
	sccp_addr_gt(&sm.called, HOME_HLR, 6);
	sccp_addr_gt(&sm.calling, calling, 7);
	uint8_t sccp[700];
	struct dfs_wbuf sw = dfs_wbuf_init(sccp, sizeof(sccp));
	assert_int_equal(sccp_encode(&sw, &sm), 0);
	put_msu(w, MTP3_SI_SCCP, 2, sls, sccp, sw.len);
}

#define SENTINEL_PIN "739164"
#define USSD_WITH_PIN "*150*" SENTINEL_PIN "#"

/* Begin AC networkUnstructuredSs v2, destinationReference the home IMSI, op 59 USSD_WITH_PIN. */
static size_t ussd_pin_tcap(uint8_t *tcap, size_t cap)
{
	uint8_t sept[32], packed[32];
	int ns = gsm7_encode(USSD_WITH_PIN, sept, sizeof(sept));
	assert_true(ns > 0);
	int np = gsm7_pack_ussd(sept, (size_t)ns, packed, sizeof(packed));
	assert_true(np > 0);
	struct map_fields f;
	map_fields_init(&f);
	f.has_ussd = true;
	f.ussd_dcs = 0x0f;
	f.ussd_string = (struct dfs_view){packed, (size_t)np};
	struct map_tx tx = {.msg_type = TCAP_BEGIN, .otid = 0x7701, .ac = 19, .ac_version = 2,
			    .open_info = true, .dest_ref = FWT_HOME_IMSI, .orig_ref = "255791234567"};
	struct dfs_wbuf tw = dfs_wbuf_init(tcap, cap);
	assert_int_equal(map_build_invoke(&tw, &tx, 1, 59, &f), 0);
	return tw.len;
}

static void write_capture(struct world *w)
{
	w->dead = pcap_open_dead(DLT_MTP3_LINK, 65535);
	assert_non_null(w->dead);
	w->dump = pcap_dump_open(w->dead, w->pcap);
	assert_non_null(w->dump);
	/* 1: the SigFW anyTimeInterrogation from a network without agreement: FW-CAT1 block */
	uint8_t tcap[512];
	size_t tl = fwt_vector_tcap(tcap, sizeof(tcap));
	put_udt(w, tcap, tl, FOREIGN_GT, 5);
	/* 2: updateLocation of the home subscriber from Alpen's VLR: allowed, learned */
	tl = fwt_ul_tcap(tcap, sizeof(tcap), 0x5501);
	put_udt(w, tcap, tl, ALPEN_VLR, 6);
	/* 3: network management (a transfer-allowed) and 4: a signalling link test: not judged */
	static const uint8_t tfa[] = {0x54, 0x01, 0x01};
	put_msu(w, MTP3_SI_SNM, 2, 0, tfa, sizeof(tfa));
	static const uint8_t sltm[] = {0x11, 0x20, 0xaa, 0xbb};
	put_msu(w, MTP3_SI_MTN, 2, 0, sltm, sizeof(sltm));
	/* 5: an IAM over an international link (NI 0) with a home calling number: FW-CLI alert */
	struct isup_msg iam = {.cic = 17, .msg_type = ISUP_IAM};
	iam.called.present = iam.calling.present = true;
	iam.called.nai = iam.calling.nai = 4;
	iam.called.npi = iam.calling.npi = 1;
	snprintf(iam.called.digits, sizeof(iam.called.digits), "%s", "255222100100");
	snprintf(iam.calling.digits, sizeof(iam.calling.digits), "%s", "255791234567");
	iam.calling.odd = iam.called.odd = false;
	uint8_t isup[128];
	struct dfs_wbuf iw = dfs_wbuf_init(isup, sizeof(isup));
	assert_int_equal(isup_encode_iam(&iw, &iam), 0);
	put_msu(w, MTP3_SI_ISUP, 0, 7, isup, iw.len);
	/* 7: processUnstructuredSS-Request for the home subscriber from a GT that is not serving
	 * it, with a PIN in a shortcut dial string: FW-USSD-SPOOF block; the capture gets '*'s */
	tl = ussd_pin_tcap(tcap, sizeof(tcap));
	put_udt(w, tcap, tl, FOREIGN_GT, 9);
	/* 6: an updateLocation whose TCAP message is cut short: FW-TCAP */
	tl = fwt_ul_tcap(tcap, sizeof(tcap), 0x5501);
	put_udt(w, tcap, tl - 5, ALPEN_VLR, 8);
	pcap_dump_close(w->dump);
	pcap_close(w->dead);
}

static void write_config(struct world *w)
{
	FILE *f = fopen(w->cfg, "w");
	assert_non_null(f);
	fprintf(f, "%s", fwt_policy_yaml);
	fprintf(f,
		"links:\n"
		"  partners: [{name: mirror, listen: 'tcp:127.0.0.1:1'}]\n"
		"  home: [{name: unused, connect: 'tcp:127.0.0.1:1'}]\n"
		"  alerts: {file: '%s'}\n"
		"  capture: {file: '%s'}\n"
		"  snapshot: {file: '%s'}\n",
		w->alerts, w->capture, w->snapshot);
	fclose(f);
}

struct captured {
	unsigned n, ati, ussd;
};

/* The blocked MSUs as M3UA DATA: routing label and user part kept. */
static int captured_unit(void *ud, const struct cap_unit *u)
{
	struct captured *c = ud;
	struct sig_msg m;
	struct dfs_err e;
	c->n++;
	assert_int_equal(u->proto, CAP_M3UA);
	if (sig_decode_m3ua(u->p, u->len, &m, &e) == 0 && m.has_map && m.map.opcode == 71) {
		assert_int_equal(m.m3ua.pd.opc, PC_PARTNER);
		assert_int_equal(m.m3ua.pd.dpc, PC_HOME);
		assert_int_equal(m.m3ua.pd.si, MTP3_SI_SCCP);
		assert_int_equal(m.m3ua.pd.ni, 2);
		assert_int_equal(m.m3ua.pd.sls, 5);
		assert_string_equal(m.sccp.calling.digits, FOREIGN_GT);
		assert_int_equal(m.tcap.otid.val, FWT_VECTOR_TID);
		c->ati++;
	}
	/* links.capture.redact (the default): the USSD string is there, as '*'s of its length */
	if (sig_decode_m3ua(u->p, u->len, &m, &e) == 0 && m.has_map && m.map.opcode == 59) {
		assert_true(m.map.has_ussd);
		char text[64];
		assert_int_equal(ussd_decode_text(m.map.ussd_dcs, m.map.ussd_string.p,
						  m.map.ussd_string.len, text, sizeof(text)),
				 (int)strlen(USSD_WITH_PIN));
		assert_string_equal(text, "************");
		c->ussd++;
	}
	return 0;
}

static void test_mtp3_replay(void **state)
{
	struct world w = {0};
	snprintf(w.dir, sizeof(w.dir), "/tmp/dfsg-fwp-XXXXXX");
	assert_non_null(mkdtemp(w.dir));
	snprintf(w.cfg, sizeof(w.cfg), "%s/fw.yaml", w.dir);
	snprintf(w.pcap, sizeof(w.pcap), "%s/mirror.pcap", w.dir);
	snprintf(w.alerts, sizeof(w.alerts), "%s/alerts.jsonl", w.dir);
	snprintf(w.capture, sizeof(w.capture), "%s/blocked.pcap", w.dir);
	snprintf(w.snapshot, sizeof(w.snapshot), "%s/state.sqlite", w.dir);
	write_capture(&w);
	write_config(&w);
	char err[2048];
	uint64_t judged = 0;
	if (fw_passive_replay(w.cfg, w.pcap, &judged, err, sizeof(err)) < 0)
		fail_msg("replay: %s", err);
	assert_int_equal(judged, 5); /* SNM and MTN are not judged */
	/* the alerts, in the analyze --json schema */
	assert_int_equal(fwt_count_lines(w.alerts, NULL), 4);
	assert_int_equal(fwt_count_lines(w.alerts, "\"rule\":\"FW-USSD-SPOOF\""), 1);
	assert_int_equal(fwt_count_lines(w.alerts, SENTINEL_PIN), 0);
	assert_int_equal(fwt_count_lines(w.alerts, "\"verdict\":\"block\",\"rule\":\"FW-CAT1\""), 1);
	assert_int_equal(fwt_count_lines(w.alerts, "\"calling_gt\":\"" FOREIGN_GT "\""), 2);
	assert_int_equal(fwt_count_lines(w.alerts, "\"rule\":\"FW-CLI\""), 1);
	assert_int_equal(fwt_count_lines(w.alerts, "\"rule\":\"FW-TCAP\""), 1);
	assert_int_equal(fwt_count_lines(w.alerts, "\"time\":\"2023-11-14T22:13:2"), 4); /* frame times */
	/* the blocked ATI is in the capture file as M3UA DATA with its MTP3 routing label */
	struct captured c = {0};
	assert_int_equal(cap_read_file(w.capture, captured_unit, NULL, &c, err, sizeof(err)), 0);
	assert_int_equal(c.ati, 1);
	assert_int_equal(c.ussd, 1);
	assert_true(c.n >= 1);
	/* what the allowed updateLocation taught is in the snapshot */
	struct sub_state_limits lim = {.max_subscribers = 100, .max_rate_keys = 100, .subscriber_ttl_ms = 86400000u,
					.rate_ttl_ms = 3600000u};
	struct sub_state *st = sub_state_mem_new(&lim);
	assert_non_null(st);
	assert_int_equal(sub_state_mem_load(st, w.snapshot, err, sizeof(err)), 0);
	struct sub_state_stats stats = {0};
	st->ops->stats(st, &stats);
	assert_int_equal(stats.subscribers, 1);
	st->ops->destroy(st);
	/* a capture that is not there */
	char missing[160];
	snprintf(missing, sizeof(missing), "%s/none.pcap", w.dir);
	assert_true(fw_passive_replay(w.cfg, missing, &judged, err, sizeof(err)) < 0);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", w.dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_mtp3_replay)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
