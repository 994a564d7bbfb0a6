/* dfsguard fw: the inline signalling firewall (docs/operations.md). */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdlib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "cli.h"
#include "fw.h"

struct fw_run {
	struct evloop *loop;
	struct fw *fw;
	struct fw_passive *passive;
	const char *config;
	int sfd;
};

static void usage(FILE *f)
{
	fprintf(f, "usage: dfsguard fw --config FILE [--check]\n"
		   "       dfsguard fw --config FILE --listen-pcap IFACE\n"
		   "       dfsguard fw --config FILE --replay-pcap CAPTURE\n"
		   "  Inline M3UA firewall between the partner links and the home STP, as configured in\n"
		   "  the links section of FILE; or, with --listen-pcap, a passive monitor of a mirror\n"
		   "  port raising the same alerts. SIGHUP reloads FILE (an invalid file is refused and the\n"
		   "  running configuration stays); SIGTERM/SIGINT save the subscriber state and stop.\n"
		   "  --check: only validate FILE (policy and links) and exit.\n"
		   "  --replay-pcap: judge a recorded mirror capture as passive mode would (same alerts,\n"
		   "  capture file and state snapshot), then exit.\n");
}

static void on_signal(struct evloop *l, int fd, int events, void *ud)
{
	struct fw_run *r = ud;
	struct signalfd_siginfo si;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo != SIGHUP) {
			fprintf(stderr, "dfsguard fw: signal %u, stopping\n", si.ssi_signo);
			evloop_stop(l);
			continue;
		}
		char err[2048];
		int rc = r->fw ? fw_reload(r->fw, err, sizeof(err)) : fw_passive_reload(r->passive, err, sizeof(err));
		if (rc < 0)
			fprintf(stderr, "dfsguard fw: reload refused, the running configuration stays:\n%s\n", err);
		else if (rc > 0)
			fprintf(stderr, "dfsguard fw: reloaded %s (%s)\n", r->config, err);
		else
			fprintf(stderr, "dfsguard fw: reloaded %s\n", r->config);
	}
}

int cmd_fw(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"listen-pcap", required_argument, NULL, 'p'},
		{"replay-pcap", required_argument, NULL, 'r'},
		{"check", no_argument, NULL, 'k'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct fw_run r = {.sfd = -1};
	const char *iface = NULL, *replay = NULL;
	bool check = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:p:r:kh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': r.config = optarg; break;
		case 'p': iface = optarg; break;
		case 'r': replay = optarg; break;
		case 'k': check = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!r.config || optind != argc || (iface && replay)) {
		usage(stderr);
		return 2;
	}
	char err[4096];
	if (check) {
		struct cfg_errors *errs = calloc(1, sizeof(*errs));
		struct fw_links *links = calloc(1, sizeof(*links));
		struct policy_config *cfg = errs ? policy_config_load(r.config, errs) : NULL;
		int rc = cfg && links && fw_links_parse(r.config, links, errs) == 0 ? 0 : 1;
		for (unsigned i = 0; errs && i < errs->n; i++)
			fprintf(stderr, "%s\n", errs->msg[i]);
		if (!rc)
			printf("%s: ok (%u partner links, %u home links)\n", r.config, links->relay.n_partners,
			       links->relay.n_homes);
		policy_config_free(cfg);
		free(links);
		free(errs);
		return rc;
	}
	if (replay) {
		uint64_t judged = 0;
		if (fw_passive_replay(r.config, replay, &judged, err, sizeof(err)) < 0) {
			fprintf(stderr, "dfsguard fw: %s\n", err);
			return 1;
		}
		fprintf(stderr, "dfsguard fw: %s: %llu messages judged\n", replay, (unsigned long long)judged);
		return 0;
	}
	/* Block the signals before any thread exists (usrsctp starts its own); they are read from
	 * a signalfd on the event loop. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	r.sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	r.loop = evloop_new(err, sizeof(err));
	if (r.sfd < 0 || !r.loop) {
		fprintf(stderr, "dfsguard fw: %s\n", r.sfd < 0 ? strerror(errno) : err);
		return 1;
	}
	evloop_fd_set(r.loop, r.sfd, EVLOOP_READ, on_signal, &r);
	if (iface)
		r.passive = fw_passive_new(r.loop, r.config, iface, err, sizeof(err));
	else
		r.fw = fw_new(r.loop, NULL, r.config, err, sizeof(err));
	if (!r.fw && !r.passive) {
		fprintf(stderr, "dfsguard fw: %s\n", err);
		evloop_fd_set(r.loop, r.sfd, 0, NULL, NULL);
		close(r.sfd);
		evloop_free(r.loop);
		return 1;
	}
	if (r.fw) {
		const struct relay *rl = fw_relay(r.fw);
		fprintf(stderr, "dfsguard fw: running, %u partner links, %u home links", relay_n_partners(rl),
			relay_n_homes(rl));
		for (unsigned i = 0; i < relay_n_partners(rl); i++)
			fprintf(stderr, ", %s on port %u", m3ua_sg_name(relay_partner(rl, i)),
				m3ua_sg_port(relay_partner(rl, i)));
		if (fw_metrics_port(r.fw))
			fprintf(stderr, ", metrics on port %u", fw_metrics_port(r.fw));
		fprintf(stderr, "\n");
	} else {
		fprintf(stderr, "dfsguard fw: passive on %s\n", iface);
	}
	int rc = evloop_run(r.loop);
	fw_free(r.fw);
	fw_passive_free(r.passive);
	evloop_fd_set(r.loop, r.sfd, 0, NULL, NULL);
	close(r.sfd);
	evloop_free(r.loop);
	return rc < 0 ? 1 : 0;
}
