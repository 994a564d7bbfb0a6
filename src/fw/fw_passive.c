/* Passive mode: judge the M3UA DATA seen on a mirror port (libpcap live capture dissected by the
 * capture layer) and raise the same alerts as the inline firewall. Nothing is forwarded or
 * answered; "block" verdicts are alerts that say what the inline firewall would have done, and
 * the messages go to the capture file as blocked ones do inline. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "fw_int.h"
#include "mtp3.h"

struct fw_passive {
	struct evloop *loop;
	pcap_t *pc;
	int fd;
	struct cap_dissector *dis;
	struct fw_engine eng;
	uint64_t frames, tick_timer;
	char iface[64];
	const char *names[1];
	struct fw_httpd *httpd;
};

/* The units worth judging: M3UA DATA (management and SSNM messages carry no user traffic) and
 * MTP3 MSUs of SCCP or ISUP (Q.704 14.2; network management and tests carry none either). */
static int judge_unit(struct fw_engine *eng, const struct cap_unit *u, const struct timespec *at)
{
	enum fw_frame kind;
	if (u->proto == CAP_M3UA && u->len >= 8 && u->p[2] == 1 && u->p[3] == 1)
		kind = FW_FRAME_M3UA;
	else if (u->proto == CAP_MTP3 && u->len >= 1 &&
		 ((u->p[0] & 0x0f) == MTP3_SI_SCCP || (u->p[0] & 0x0f) == MTP3_SI_ISUP))
		kind = FW_FRAME_MTP3;
	else
		return 0;
	struct sig_msg m;
	struct verdict v;
	fw_engine_judge(eng, 0, kind, at, u->p, u->len, &m, &v);
	return 1;
}

static int unit_cb(void *ud, const struct cap_unit *u)
{
	struct fw_passive *p = ud;
	judge_unit(&p->eng, u, NULL);
	return 0;
}

static void packet_cb(u_char *ud, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct fw_passive *p = (struct fw_passive *)ud;
	struct timespec ts = {h->ts.tv_sec, (long)h->ts.tv_usec * 1000};
	cap_dissector_frame(p->dis, ++p->frames, &ts, bytes, h->caplen, h->len, unit_cb, NULL, p);
}

static void pcap_fd_cb(struct evloop *l, int fd, int events, void *ud)
{
	struct fw_passive *p = ud;
	pcap_dispatch(p->pc, 256, packet_cb, (u_char *)p);
}

static int passive_tick(struct evloop *l, uint64_t id, void *ud)
{
	struct fw_passive *p = ud;
	fw_engine_tick(&p->eng);
	/* pcap's buffer timeout: packets waiting in a partly filled block */
	pcap_dispatch(p->pc, 256, packet_cb, (u_char *)p);
	return 200;
}

static size_t passive_render(void *ud, char *out, size_t outsz)
{
	struct fw_passive *p = ud;
	return fw_engine_metrics(&p->eng, p->names, 1, 1, out, outsz);
}

struct fw_passive *fw_passive_new(struct evloop *l, const char *config_path, const char *iface,
				  char *err, size_t errsz)
{
	struct fw_passive *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->loop = l;
	p->fd = -1;
	snprintf(p->iface, sizeof(p->iface), "%s", iface);
	p->names[0] = p->iface;
	if (fw_engine_init(&p->eng, config_path, err, errsz) < 0) {
		free(p);
		return NULL;
	}
	char perr[PCAP_ERRBUF_SIZE] = "";
	p->pc = pcap_create(iface, perr);
	if (!p->pc || pcap_set_snaplen(p->pc, 65535) || pcap_set_promisc(p->pc, 1) ||
	    pcap_set_timeout(p->pc, 100) || pcap_set_immediate_mode(p->pc, 1) ||
	    pcap_activate(p->pc) < 0) {
		snprintf(err, errsz, "capture on %s: %s", iface, p->pc ? pcap_geterr(p->pc) : perr);
		goto fail;
	}
	if (pcap_setnonblock(p->pc, 1, perr) < 0 || (p->fd = pcap_get_selectable_fd(p->pc)) < 0) {
		snprintf(err, errsz, "capture on %s: no selectable descriptor", iface);
		goto fail;
	}
	p->dis = cap_dissector_new(pcap_datalink(p->pc), err, errsz);
	if (!p->dis)
		goto fail;
	if (evloop_fd_set(l, p->fd, EVLOOP_READ, pcap_fd_cb, p) < 0) {
		snprintf(err, errsz, "capture on %s: cannot watch the descriptor", iface);
		goto fail;
	}
	if (p->eng.links.metrics_enabled &&
	    !(p->httpd = fw_httpd_start(l, p->eng.links.metrics_addr, p->eng.links.metrics_port,
					passive_render, p, err, errsz)))
		goto fail;
	p->tick_timer = evloop_timer_add(l, 200, passive_tick, p);
	return p;
fail:
	fw_passive_free(p);
	return NULL;
}

int fw_passive_reload(struct fw_passive *p, char *err, size_t errsz)
{
	bool changed;
	return fw_engine_reload(&p->eng, &changed, err, errsz);
}

void fw_passive_free(struct fw_passive *p)
{
	if (!p)
		return;
	char err[256];
	fw_engine_snapshot(&p->eng, err, sizeof(err));
	if (p->tick_timer)
		evloop_timer_del(p->loop, p->tick_timer);
	if (p->httpd)
		fw_httpd_stop(p->httpd);
	if (p->fd >= 0)
		evloop_fd_set(p->loop, p->fd, 0, NULL, NULL);
	if (p->dis)
		cap_dissector_free(p->dis);
	if (p->pc)
		pcap_close(p->pc);
	fw_engine_fini(&p->eng);
	free(p);
}

struct replay {
	struct fw_engine eng;
	uint64_t judged;
};

/* A recorded capture: policy time is the frame's time, so rate limits and velocity checks see
 * the traffic as it happened. */
static int replay_unit(void *ud, const struct cap_unit *u)
{
	struct replay *r = ud;
	r->judged += (uint64_t)judge_unit(&r->eng, u, &u->ts);
	return 0;
}

int fw_passive_replay(const char *config_path, const char *pcap_path, uint64_t *judged, char *err,
		      size_t errsz)
{
	struct replay *r = calloc(1, sizeof(*r));
	if (!r) {
		snprintf(err, errsz, "out of memory");
		return -ENOMEM;
	}
	int rc = fw_engine_init(&r->eng, config_path, err, errsz);
	if (rc < 0) {
		free(r);
		return rc;
	}
	rc = cap_read_file(pcap_path, replay_unit, NULL, r, err, errsz);
	if (rc >= 0)
		rc = fw_engine_snapshot(&r->eng, err, errsz);
	if (judged)
		*judged = r->judged;
	fw_engine_fini(&r->eng);
	free(r);
	return rc < 0 ? rc : 0;
}
