/* A small epoll event loop in the style of Redis "ae": file descriptor events, timers, a
 * thread-safe wakeup and before-wait hooks. No global state: everything lives in struct evloop.
 *
 * Callbacks run on the thread that calls evloop_run()/evloop_run_once(). Only evloop_wakeup()
 * and evloop_stop() may be called from other threads. */
#ifndef DFS_EVLOOP_H
#define DFS_EVLOOP_H
#include <stddef.h>
#include <stdint.h>

struct evloop;

#define EVLOOP_READ 0x1
#define EVLOOP_WRITE 0x2
#define EVLOOP_ERROR 0x4 /* reported only (EPOLLERR/EPOLLHUP), never requested */

/* events: what is ready (EVLOOP_READ/WRITE, plus EVLOOP_ERROR on hang-up or error). */
typedef void (*evloop_fd_cb)(struct evloop *l, int fd, int events, void *ud);
/* Return the delay in ms until the next run, or EVLOOP_TIMER_DONE to remove the timer. */
typedef int (*evloop_timer_cb)(struct evloop *l, uint64_t id, void *ud);
typedef void (*evloop_hook_cb)(struct evloop *l, void *ud);
#define EVLOOP_TIMER_DONE (-1)

/* Returns NULL with a message in err on failure. */
struct evloop *evloop_new(char *err, size_t errsz);
/* Closes the loop's own descriptors; registered fds are not closed. */
void evloop_free(struct evloop *l);

/* Watch fd for events (EVLOOP_READ|EVLOOP_WRITE) with cb/ud, replacing an earlier registration's
 * events and callback. events == 0 removes the fd. 0 or negative errno. */
int evloop_fd_set(struct evloop *l, int fd, int events, evloop_fd_cb cb, void *ud);
/* Add or remove event bits of an fd already registered with evloop_fd_set(). */
int evloop_fd_add_events(struct evloop *l, int fd, int events);
int evloop_fd_del_events(struct evloop *l, int fd, int events);
/* Currently watched events of fd (0 when not registered). */
int evloop_fd_events(const struct evloop *l, int fd);

/* Run cb after ms milliseconds (0: on the next iteration). Returns the timer id (> 0) or 0
 * on allocation failure. Ids are never reused within one loop. */
uint64_t evloop_timer_add(struct evloop *l, unsigned ms, evloop_timer_cb cb, void *ud);
/* 0, or -ENOENT when the timer is unknown or already ran to completion. */
int evloop_timer_del(struct evloop *l, uint64_t id);

/* Run cb before every wait for events (after all callbacks of an iteration): flushing output
 * batched during an iteration goes there. Returns a hook id (> 0) or 0. */
uint64_t evloop_hook_add(struct evloop *l, evloop_hook_cb cb, void *ud);
int evloop_hook_del(struct evloop *l, uint64_t id);

/* Called on the loop thread after evloop_wakeup() from any thread. */
void evloop_set_wakeup_cb(struct evloop *l, evloop_hook_cb cb, void *ud);
/* Thread-safe and async-signal-safe: interrupt the wait. 0 or negative errno. */
int evloop_wakeup(struct evloop *l);

/* One iteration: run before-wait hooks, wait at most max_wait_ms (-1: until the next timer or
 * event, 0: poll), dispatch fd events and due timers. Returns the number of callbacks run or
 * a negative errno. */
int evloop_run_once(struct evloop *l, int max_wait_ms);
/* Iterate until evloop_stop(). 0 or negative errno. */
int evloop_run(struct evloop *l);
/* Thread-safe: make evloop_run() return after the current iteration. */
void evloop_stop(struct evloop *l);

/* Monotonic milliseconds, as used for timers. */
uint64_t evloop_now_ms(void);

#endif
