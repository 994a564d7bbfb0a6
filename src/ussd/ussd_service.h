/* `dfsguard ussd`: everything the gateway runs, assembled from its configuration: database,
 * audit log, alert file, message catalogue, gateway core with the wallet and external apps,
 * the HTTP face, and a sweeper thread that ends timed-out sessions (GW-TIMEOUT).
 * When the configuration has a `map:` section, the MAP face (map_listener.h) runs as an M3UA
 * SGP in an event-loop thread of its own, on the same gateway (docs/ussd.md). */
#ifndef DFS_USSD_SERVICE_H
#define DFS_USSD_SERVICE_H
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include "gw.h"
#include "gw_e2e.h"
#include "http_face.h"
#include "ussd_config.h"
#include "ussd_push.h"

struct evloop;
struct tp_net;
struct map_listener;

struct ussd_service {
	const struct ussd_config *cfg;
	struct udb *db;
	struct audit_log *audit;
	FILE *alerts;
	struct msgcat msgs;
	struct gw g;
	bool g_ready;
	struct http_face *http;
	/* GW-E2E, when the configuration has an e2e: section */
	struct ota_keystore *e2e_keys;
	struct ota_counter_db *e2e_counters;
	struct gw_e2e e2e;
	bool e2e_ready;
	pthread_t sweeper;
	bool sweeper_running;
	struct evloop *map_loop;
	struct tp_net *map_net;
	struct map_listener *map;
	pthread_t map_thread;
	bool map_running;
	struct ussd_push push; /* POST /ussd/push -> the MAP face, when configured */
	bool push_ready;
	pthread_mutex_t stop_lock;
	pthread_cond_t stop_cond;
	bool stopping;
};

/* Start everything; clock NULL = real time. 0 or negative errno with the reason in err. */
int ussd_service_start(struct ussd_service *s, const struct ussd_config *cfg, gw_clock_fn clock,
		       void *clock_ud, char *err, size_t errsz);
void ussd_service_stop(struct ussd_service *s);

#endif
