/* A throwaway Redis server for tests: Debian's redis-server on 127.0.0.1 at a free port, no
 * persistence, its directory in /tmp. It can be stopped (SIGSTOP: a hung server), killed and
 * started again on the same port. Header-only so each test includes it. */
#ifndef DFSG_REDIS_HARNESS_H
#define DFSG_REDIS_HARNESS_H
#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "free_port.h"

#define REDIS_SERVER_BIN "/usr/bin/redis-server"

struct redis_harness {
	char dir[64];
	char password[64]; /* "" = no requirepass */
	int port;
	pid_t pid;
};

/* PING answered within about 10 s (bounded: 200 tries 50 ms apart). */
static bool redis_harness_ping(const struct redis_harness *h)
{
	struct timeval tv = {0, 200000};
	for (int i = 0; i < 200; i++) {
		redisContext *c = redisConnectWithTimeout("127.0.0.1", h->port, tv);
		bool ok = false;
		if (c && !c->err) {
			redisReply *r = h->password[0] ? redisCommand(c, "AUTH %s", h->password) : NULL;
			if (r)
				freeReplyObject(r);
			r = redisCommand(c, "PING");
			ok = r && r->type == REDIS_REPLY_STATUS && !strcmp(r->str, "PONG");
			if (r)
				freeReplyObject(r);
		}
		if (c)
			redisFree(c);
		if (ok)
			return true;
		usleep(50000);
	}
	return false;
}

/* Start (or start again, on the same port and directory) the server. 0 or -1. */
static int redis_harness_run(struct redis_harness *h)
{
	char port[16];
	snprintf(port, sizeof(port), "%d", h->port);
	fflush(stdout); /* the child must not write the parent's buffered output again */
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (!freopen("/dev/null", "w", stdout))
			_exit(127);
		const char *argv[16] = {REDIS_SERVER_BIN, "--port", port, "--bind", "127.0.0.1", "--save", "",
					"--appendonly", "no", "--dir", h->dir};
		int n = 11;
		if (h->password[0]) {
			argv[n++] = "--requirepass";
			argv[n++] = h->password;
		}
		argv[n] = NULL;
		execv(REDIS_SERVER_BIN, (char *const *)argv);
		_exit(127);
	}
	h->pid = pid;
	if (!redis_harness_ping(h))
		return -1;
	return 0;
}

/* 0 = running; 1 = skipped (printed: no redis-server); -1 = failed (printed). */
static int redis_harness_start(struct redis_harness *h, const char *suite, const char *password)
{
	memset(h, 0, sizeof(*h));
	if (access(REDIS_SERVER_BIN, X_OK)) {
		printf("SKIP %s: redis-server not installed (redis-server package)\n", suite);
		return 1;
	}
	snprintf(h->password, sizeof(h->password), "%s", password ? password : "");
	snprintf(h->dir, sizeof(h->dir), "/tmp/dfsg-redis-XXXXXX");
	if (!mkdtemp(h->dir)) {
		fprintf(stderr, "%s: mkdtemp failed\n", suite);
		return -1;
	}
	/* the probed port can be taken before the server binds it: three attempts */
	for (int attempt = 0; attempt < 3; attempt++) {
		h->port = test_free_port();
		if (redis_harness_run(h) == 0)
			return 0;
		if (h->pid > 0) {
			kill(h->pid, SIGKILL);
			waitpid(h->pid, NULL, 0);
			h->pid = 0;
		}
	}
	fprintf(stderr, "%s: redis-server did not answer PING\n", suite);
	return -1;
}

/* Kill the server (the data is lost: no persistence). */
static void redis_harness_kill(struct redis_harness *h)
{
	if (h->pid > 0) {
		kill(h->pid, SIGCONT);
		kill(h->pid, SIGKILL);
		waitpid(h->pid, NULL, 0);
		h->pid = 0;
	}
}

static void redis_harness_stop(struct redis_harness *h)
{
	redis_harness_kill(h);
	if (!strncmp(h->dir, "/tmp/dfsg-redis-", 16)) {
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", h->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "redis_harness: could not remove %s\n", h->dir);
		h->dir[0] = 0;
	}
}

#endif
