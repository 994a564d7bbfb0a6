/* dfsguard ussd --config FILE [--check]   run the secure USSD gateway (or only check the file)
 * dfsguard ussd --config FILE --import-simswap CSV
 *                                         load an operator SIM swap file (msisdn,imsi,time)
 * dfsguard audit verify FILE              verify a gateway audit log's hash chain (GW-AUDIT) */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "audit.h"
#include "simswap.h"
#include "cli.h"
#include "map_listener.h"
#include "ussd_config.h"
#include "ussd_service.h"

static void ussd_usage(FILE *f)
{
	fprintf(f, "usage: dfsguard ussd --config FILE [--check | --import-simswap CSV]\n"
		   "  Runs the USSD gateway described by the ussd: section of FILE\n"
		   "  (see docs/ussd.md). --check loads and checks the file, then exits.\n"
		   "  --import-simswap loads an operator SIM swap file (msisdn,imsi,time lines)\n"
		   "  into the gateway database and exits.\n");
}

static int import_simswap(const struct ussd_config *cfg, const char *csv)
{
	char err[512];
	struct udb *db;
	struct udb_config uc = {.backend = cfg->db_backend, .sqlite_path = cfg->db_path,
				.pg_conninfo = cfg->db_conninfo};
	if (udb_open(&db, &uc, err, sizeof(err))) {
		fprintf(stderr, "dfsguard ussd: %s\n", err);
		return 1;
	}
	FILE *f = fopen(csv, "r");
	if (!f) {
		fprintf(stderr, "dfsguard ussd: %s: %s\n", csv, strerror(errno));
		udb_close(db);
		return 1;
	}
	unsigned lines = 0, swaps = 0;
	int rc = simswap_import_csv(db, f, "csv-import", &lines, &swaps, err, sizeof(err));
	fclose(f);
	udb_close(db);
	if (rc) {
		fprintf(stderr, "dfsguard ussd: %s:%s (%u lines applied before it)\n", csv, err + 5,
			lines);
		return 1;
	}
	printf("%s: %u lines, %u SIM swaps\n", csv, lines, swaps);
	return 0;
}

int cmd_ussd(int argc, char **argv)
{
	const char *config = NULL, *import = NULL;
	bool check = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--config") && i + 1 < argc) {
			config = argv[++i];
		} else if (!strcmp(argv[i], "--import-simswap") && i + 1 < argc) {
			import = argv[++i];
		} else if (!strcmp(argv[i], "--check")) {
			check = true;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			ussd_usage(stdout);
			return 0;
		} else {
			ussd_usage(stderr);
			return 2;
		}
	}
	if (!config) {
		ussd_usage(stderr);
		return 2;
	}
	/* GW-PIN: PINs pass through this process's memory; keep them out of core dumps */
	struct rlimit nocore = {0, 0};
	setrlimit(RLIMIT_CORE, &nocore);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

	static struct ussd_config cfg;
	char err[512];
	if (ussd_config_load(&cfg, config, err, sizeof(err))) {
		fprintf(stderr, "dfsguard ussd: %s\n", err);
		return 1;
	}
	if (check) {
		printf("%s: ok (%u service codes, database %s)\n", config, cfg.gw.n_services,
		       get_value_string(udb_backend_names, cfg.db_backend));
		ussd_config_wipe(&cfg);
		return 0;
	}
	if (import) {
		int rc = import_simswap(&cfg, import);
		ussd_config_wipe(&cfg);
		return rc;
	}
	/* signals are taken by sigwait() here, not by the server threads */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	static struct ussd_service svc;
	if (ussd_service_start(&svc, &cfg, NULL, NULL, err, sizeof(err))) {
		fprintf(stderr, "dfsguard ussd: %s\n", err);
		ussd_config_wipe(&cfg);
		return 1;
	}
	fprintf(stderr, "dfsguard ussd: listening on %s:%u (%s)\n", cfg.listen_host,
		http_face_port(svc.http), cfg.tls_cert[0] ? "TLS" : "plain HTTP, loopback");
	if (svc.map) {
		/* the endpoint with the bound port, ready for `dfsguard sim dial --connect` */
		struct tp_endpoint ep;
		char why[160], spec[400];
		if (tp_endpoint_parse(&ep, cfg.map_listen, why, sizeof(why)) == 0) {
			ep.port = map_listener_port(svc.map);
			ep.udp_port = tp_net_usrsctp_port(svc.map_net); /* 0 unless usrsctp runs */
			tp_endpoint_format(&ep, spec, sizeof(spec));
		} else {
			snprintf(spec, sizeof(spec), "%s", cfg.map_listen);
		}
		fprintf(stderr, "dfsguard ussd: MAP face (M3UA SGP) listening on %s\n", spec);
	}
	int sig = 0;
	sigwait(&set, &sig);
	fprintf(stderr, "dfsguard ussd: signal %d, stopping\n", sig);
	ussd_service_stop(&svc);
	ussd_config_wipe(&cfg);
	return 0;
}

int cmd_audit(int argc, char **argv)
{
	if (argc != 3 || strcmp(argv[1], "verify")) {
		fprintf(argc == 2 && !strcmp(argv[1], "--help") ? stdout : stderr,
			"usage: dfsguard audit verify FILE\n"
			"  Checks the hash chain of a USSD gateway audit log (GW-AUDIT).\n");
		return 2;
	}
	uint64_t n = 0;
	char err[512];
	int rc = audit_verify_file(argv[2], &n, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "dfsguard audit: %s\n", err);
		printf("FAILED after %" PRIu64 " good records\n", n);
		return 1;
	}
	printf("OK %" PRIu64 " records\n", n);
	return 0;
}
