/* Network-initiated USSD for applications (POST /ussd/push, docs/ussd.md "Push"): the hand-over
 * between the threads that take requests (libmicrohttpd's) and the MAP face, which lives in
 * its own event-loop thread and must only be touched there.
 *
 * ussd_push_run() (any thread but the loop's) checks the text against the anti-phishing word
 * list (X.1456, FW-USSD-PHISH: a push never asks for a PIN) and the service's per-subscriber
 * rate, looks up the subscriber's IMSI, queues the push, wakes the loop and waits (bounded)
 * on a condition variable. On the loop thread the queue is drained into the start callback
 * (map_listener_push), whose outcome callback completes the waiter. Every push is counted and
 * written to the audit log with service, MSISDN, type and outcome; an answer's text never is,
 * only its length. */
#ifndef DFS_USSD_PUSH_H
#define DFS_USSD_PUSH_H
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "gw.h"
#include "map_face.h"
#include "value_string.h"

#define USSD_PUSH_WORDS_MAX 16
#define USSD_PUSH_WORD_MAX 33
#define USSD_PUSH_RATE_SLOTS 4096

/* The default FW-USSD-PHISH words (NULL-terminated). */
extern const char *const ussd_push_default_words[];

enum ussd_push_status {
	USSD_PUSH_DELIVERED = 0, /* Notify acknowledged */
	USSD_PUSH_ANSWERED,      /* Request answered: res->text */
	USSD_PUSH_MAP_ERROR,     /* the network refused: res->map_error */
	USSD_PUSH_ABORTED,       /* TCAP Abort, or the dialogue closed without an answer */
	USSD_PUSH_REJECTED,      /* a Reject, or an answer we could not read */
	USSD_PUSH_TIMEOUT,       /* no outcome within the wait */
	USSD_PUSH_UNAVAILABLE,   /* no M3UA peer active, shutting down, or too many under way */
	USSD_PUSH_RATE_LIMITED,  /* the service's pushes per subscriber per hour are used up */
	USSD_PUSH_PHISHING,      /* the text solicits a PIN or password: refused, alert raised */
	USSD_PUSH_INVALID,       /* a bad number or text */
};
extern const struct value_string ussd_push_status_names[];

/* Runs on the loop thread: start one push (map_listener_push). 0, -ENOTCONN when no peer is
 * up, another negative errno otherwise. */
typedef int (*ussd_push_start_fn)(void *ud, const struct map_push *req);

struct ussd_push_config {
	int64_t wait_ms; /* the longest a caller waits (the TCAP idle timeout) */
	const char (*words)[USSD_PUSH_WORD_MAX];
	unsigned n_words; /* 0: ussd_push_default_words */
};

struct ussd_push_job;

struct ussd_push {
	struct gw *g;
	struct ussd_push_config cfg;
	char words[USSD_PUSH_WORDS_MAX][USSD_PUSH_WORD_MAX];
	unsigned n_words;
	struct evloop *loop;
	ussd_push_start_fn start;
	void *start_ud;
	pthread_mutex_t lock;
	pthread_cond_t cond; /* CLOCK_MONOTONIC */
	struct ussd_push_job *queue, *queue_tail;
	bool closed;
	struct {
		uint64_t key;
		int64_t window; /* the hour (unix seconds / 3600) the count is for */
		unsigned count;
	} rate[USSD_PUSH_RATE_SLOTS];
	uint64_t stat_requests, stat_sent, stat_delivered, stat_answered, stat_failed,
	    stat_refused, stat_unavailable;
};

struct ussd_push_request {
	const struct gw_service *svc;
	const char *msisdn; /* international digits */
	enum map_push_type type;
	const char *text;
};

struct ussd_push_result {
	enum ussd_push_status status;
	int map_error;                 /* USSD_PUSH_MAP_ERROR */
	char text[SCREEN_MAX_BYTES];   /* USSD_PUSH_ANSWERED */
	const char *reason;            /* static text for refusals */
};

/* loop: the MAP face's event loop (its wakeup callback becomes ours). */
int ussd_push_init(struct ussd_push *p, struct gw *g, const struct ussd_push_config *c,
		   struct evloop *loop, ussd_push_start_fn start, void *start_ud);
/* Refuse new pushes and complete the queued ones as unavailable. Pushes already handed to the
 * face complete when the face ends them (map_face_destroy: cancelled). */
void ussd_push_close(struct ussd_push *p);
/* After ussd_push_close, once no thread can be in ussd_push_run and the face is gone. */
void ussd_push_destroy(struct ussd_push *p);

/* Blocking; never on the loop thread. 0 with res filled, or a negative errno. */
int ussd_push_run(struct ussd_push *p, const struct ussd_push_request *q,
		  struct ussd_push_result *res);

/* FW-USSD-PHISH: true when text holds one of words (case-insensitive, as a whole word or
 * phrase: "PIN" and "pin:" match, "spinning" does not); *which gets the word. */
bool ussd_push_solicits_secret(const char *text, const char (*words)[USSD_PUSH_WORD_MAX],
			       unsigned n_words, const char **which);

#endif
