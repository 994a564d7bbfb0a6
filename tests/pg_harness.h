/* A throwaway PostgreSQL server for tests: Debian's binaries (initdb, pg_ctl) in a temp
 * directory, listening on 127.0.0.1 at a free port, run as the "postgres" user when the tests
 * run as root (PostgreSQL refuses to run as root). Header-only so each test includes it. */
#ifndef DFSG_PG_HARNESS_H
#define DFSG_PG_HARNESS_H
#include <arpa/inet.h>
#include <glob.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "free_port.h"

struct pg_harness {
	char bindir[256];
	char dir[64];
	char runas[64]; /* "runuser -u postgres -- " when root, else "" */
	int port;
	bool running;
};

/* 0 = running; 1 = skipped (reason in why); -1 = failed (reason in why). */
static int pg_harness_start(struct pg_harness *h, char *why, size_t whysz)
{
	glob_t g;
	char cmd[1024];
	memset(h, 0, sizeof(*h));
	if (glob("/usr/lib/postgresql/*/bin/initdb", 0, NULL, &g) != 0 || g.gl_pathc == 0) {
		snprintf(why, whysz, "PostgreSQL server binaries not installed (postgresql package)");
		return 1;
	}
	/* the highest version: glob sorts, so the last one */
	snprintf(h->bindir, sizeof(h->bindir), "%s", g.gl_pathv[g.gl_pathc - 1]);
	globfree(&g);
	*strrchr(h->bindir, '/') = 0;
	snprintf(h->dir, sizeof(h->dir), "/tmp/dfsg-pg-XXXXXX");
	if (!mkdtemp(h->dir)) {
		snprintf(why, whysz, "mkdtemp failed");
		return -1;
	}
	if (geteuid() == 0) {
		struct passwd *pw = getpwnam("postgres");
		if (!pw) {
			snprintf(why, whysz, "running as root and there is no postgres user");
			rmdir(h->dir);
			return 1;
		}
		if (chown(h->dir, pw->pw_uid, pw->pw_gid)) {
			snprintf(why, whysz, "chown %s failed", h->dir);
			return -1;
		}
		snprintf(h->runas, sizeof(h->runas), "runuser -u postgres -- ");
	}
	snprintf(cmd, sizeof(cmd),
		 "%s%s/initdb -D %s/data -A trust -U dfsg -E UTF8 --no-sync >%s/initdb.log 2>&1",
		 h->runas, h->bindir, h->dir, h->dir);
	if (system(cmd) != 0) {
		snprintf(why, whysz, "initdb failed (see %s/initdb.log)", h->dir);
		return -1;
	}
	/* the free port can be taken by another test between the probe and the server's bind:
	 * try again with a new one (three attempts) */
	int rc = -1;
	for (int attempt = 0; attempt < 3 && rc != 0; attempt++) {
		h->port = test_free_port();
		snprintf(cmd, sizeof(cmd),
			 "%s%s/pg_ctl -D %s/data -l %s/server.log -w -t 60 -o \"-p %d -k %s"
			 " -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50\""
			 " start >%s/pg_ctl.log 2>&1",
			 h->runas, h->bindir, h->dir, h->dir, h->port, h->dir, h->dir);
		rc = system(cmd);
	}
	if (rc != 0) {
		snprintf(why, whysz, "pg_ctl start failed (see %s/server.log)", h->dir);
		return -1;
	}
	h->running = true;
	return 0;
}

/* Create a fresh database and write its connection string. 0 or -1. */
static int pg_harness_newdb(struct pg_harness *h, const char *name, char *conninfo, size_t sz)
{
	char admin[256], sql[128];
	snprintf(admin, sizeof(admin), "host=127.0.0.1 port=%d user=dfsg dbname=postgres",
		 h->port);
	PGconn *c = PQconnectdb(admin);
	if (PQstatus(c) != CONNECTION_OK) {
		PQfinish(c);
		return -1;
	}
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
	PGresult *r = PQexec(c, sql);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	PQfinish(c);
	snprintf(conninfo, sz, "host=127.0.0.1 port=%d user=dfsg dbname=%s", h->port, name);
	return ok ? 0 : -1;
}

static void pg_harness_stop(struct pg_harness *h);

/* Start a server for a test suite: 0 = run it, 1 = skipped (printed), -1 = failed (printed). */
static int pg_harness_for_suite(struct pg_harness *h, const char *suite)
{
	char why[256];
	int rc = pg_harness_start(h, why, sizeof(why));
	if (rc == 1)
		printf("SKIP %s: %s\n", suite, why);
	if (rc < 0) {
		fprintf(stderr, "%s: %s\n", suite, why);
		pg_harness_stop(h);
	}
	return rc;
}

static void pg_harness_stop(struct pg_harness *h)
{
	char cmd[1024];
	if (h->running) {
		snprintf(cmd, sizeof(cmd), "%s%s/pg_ctl -D %s/data -m immediate -w stop >/dev/null 2>&1",
			 h->runas, h->bindir, h->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "pg_harness: pg_ctl stop failed\n");
		h->running = false;
	}
	if (h->dir[0] && strncmp(h->dir, "/tmp/dfsg-pg-", 13) == 0) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", h->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "pg_harness: could not remove %s\n", h->dir);
	}
}

#endif
