/* epoll event loop: see evloop.h. */
#include "evloop.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define EVLOOP_MAX_EVENTS 128

struct evloop_fdreg {
	int events;
	evloop_fd_cb cb;
	void *ud;
};

struct evloop_timer {
	uint64_t id;
	uint64_t when_ms;
	evloop_timer_cb cb;
	void *ud;
	bool dead;
};

struct evloop_hook {
	uint64_t id;
	evloop_hook_cb cb;
	void *ud;
	bool dead;
};

struct evloop {
	int epfd;
	int wakefd;
	atomic_bool stop;
	struct evloop_fdreg *fds; /* indexed by fd */
	int nfds;
	/* Timers: an unsorted array. The loop serves tens of links, each with a timer or two, so a
	 * linear scan per iteration costs less than keeping a heap in order. */
	struct evloop_timer *timers;
	size_t ntimers, timers_cap;
	uint64_t next_timer_id;
	struct evloop_hook *hooks;
	size_t nhooks, hooks_cap;
	uint64_t next_hook_id;
	evloop_hook_cb wake_cb;
	void *wake_ud;
	struct epoll_event events[EVLOOP_MAX_EVENTS];
};

uint64_t evloop_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

struct evloop *evloop_new(char *err, size_t errsz)
{
	struct evloop *l = calloc(1, sizeof(*l));
	if (!l) {
		snprintf(err, errsz, "evloop: out of memory");
		return NULL;
	}
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		snprintf(err, errsz, "epoll_create1: %s", strerror(errno));
		free(l);
		return NULL;
	}
	l->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (l->wakefd < 0) {
		snprintf(err, errsz, "eventfd: %s", strerror(errno));
		close(l->epfd);
		free(l);
		return NULL;
	}
	/* the wakeup fd is not in l->fds: its events carry a NULL data pointer marker */
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = -1};
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->wakefd, &ev) < 0) {
		snprintf(err, errsz, "epoll_ctl(ADD eventfd): %s", strerror(errno));
		close(l->wakefd);
		close(l->epfd);
		free(l);
		return NULL;
	}
	l->next_timer_id = 1;
	l->next_hook_id = 1;
	atomic_init(&l->stop, false);
	return l;
}

void evloop_free(struct evloop *l)
{
	if (!l)
		return;
	close(l->wakefd);
	close(l->epfd);
	free(l->fds);
	free(l->timers);
	free(l->hooks);
	free(l);
}

static int evloop_grow_fds(struct evloop *l, int fd)
{
	if (fd < l->nfds)
		return 0;
	int n = l->nfds ? l->nfds : 64;
	while (n <= fd)
		n *= 2;
	struct evloop_fdreg *p = realloc(l->fds, (size_t)n * sizeof(*p));
	if (!p)
		return -ENOMEM;
	memset(p + l->nfds, 0, (size_t)(n - l->nfds) * sizeof(*p));
	l->fds = p;
	l->nfds = n;
	return 0;
}

static uint32_t evloop_epoll_bits(int events)
{
	uint32_t e = 0;
	if (events & EVLOOP_READ)
		e |= EPOLLIN;
	if (events & EVLOOP_WRITE)
		e |= EPOLLOUT;
	return e;
}

/* Move fd from its current registration to `events`. */
static int evloop_apply(struct evloop *l, int fd, int events)
{
	int old = l->fds[fd].events;
	if (old == events)
		return 0;
	struct epoll_event ev = {.events = evloop_epoll_bits(events), .data.fd = fd};
	int op = old == 0 ? EPOLL_CTL_ADD : events == 0 ? EPOLL_CTL_DEL : EPOLL_CTL_MOD;
	if (epoll_ctl(l->epfd, op, fd, &ev) < 0) {
		/* a closed fd has already left the epoll set */
		if (!(op == EPOLL_CTL_DEL && (errno == EBADF || errno == ENOENT)))
			return -errno;
	}
	l->fds[fd].events = events;
	return 0;
}

int evloop_fd_set(struct evloop *l, int fd, int events, evloop_fd_cb cb, void *ud)
{
	if (fd < 0 || (events & ~(EVLOOP_READ | EVLOOP_WRITE)) || (events && !cb))
		return -EINVAL;
	int rc = evloop_grow_fds(l, fd);
	if (rc < 0)
		return rc;
	rc = evloop_apply(l, fd, events);
	if (rc < 0)
		return rc;
	l->fds[fd].cb = events ? cb : NULL;
	l->fds[fd].ud = events ? ud : NULL;
	return 0;
}

int evloop_fd_add_events(struct evloop *l, int fd, int events)
{
	if (fd < 0 || fd >= l->nfds || !l->fds[fd].cb)
		return -ENOENT;
	return evloop_apply(l, fd, l->fds[fd].events | (events & (EVLOOP_READ | EVLOOP_WRITE)));
}

int evloop_fd_del_events(struct evloop *l, int fd, int events)
{
	if (fd < 0 || fd >= l->nfds || !l->fds[fd].cb)
		return -ENOENT;
	int rest = l->fds[fd].events & ~events;
	int rc = evloop_apply(l, fd, rest);
	if (rc == 0 && rest == 0) {
		l->fds[fd].cb = NULL;
		l->fds[fd].ud = NULL;
	}
	return rc;
}

int evloop_fd_events(const struct evloop *l, int fd)
{
	if (fd < 0 || fd >= l->nfds)
		return 0;
	return l->fds[fd].events;
}

uint64_t evloop_timer_add(struct evloop *l, unsigned ms, evloop_timer_cb cb, void *ud)
{
	if (!cb)
		return 0;
	if (l->ntimers == l->timers_cap) {
		size_t n = l->timers_cap ? l->timers_cap * 2 : 16;
		struct evloop_timer *p = realloc(l->timers, n * sizeof(*p));
		if (!p)
			return 0;
		l->timers = p;
		l->timers_cap = n;
	}
	struct evloop_timer *t = &l->timers[l->ntimers++];
	t->id = l->next_timer_id++;
	t->when_ms = evloop_now_ms() + ms;
	t->cb = cb;
	t->ud = ud;
	t->dead = false;
	return t->id;
}

int evloop_timer_del(struct evloop *l, uint64_t id)
{
	for (size_t i = 0; i < l->ntimers; i++) {
		if (l->timers[i].id == id && !l->timers[i].dead) {
			l->timers[i].dead = true; /* removed by evloop_compact_timers() */
			return 0;
		}
	}
	return -ENOENT;
}

static void evloop_compact_timers(struct evloop *l)
{
	size_t j = 0;
	for (size_t i = 0; i < l->ntimers; i++)
		if (!l->timers[i].dead)
			l->timers[j++] = l->timers[i];
	l->ntimers = j;
}

uint64_t evloop_hook_add(struct evloop *l, evloop_hook_cb cb, void *ud)
{
	if (!cb)
		return 0;
	if (l->nhooks == l->hooks_cap) {
		size_t n = l->hooks_cap ? l->hooks_cap * 2 : 8;
		struct evloop_hook *p = realloc(l->hooks, n * sizeof(*p));
		if (!p)
			return 0;
		l->hooks = p;
		l->hooks_cap = n;
	}
	struct evloop_hook *h = &l->hooks[l->nhooks++];
	h->id = l->next_hook_id++;
	h->cb = cb;
	h->ud = ud;
	h->dead = false;
	return h->id;
}

int evloop_hook_del(struct evloop *l, uint64_t id)
{
	for (size_t i = 0; i < l->nhooks; i++) {
		if (l->hooks[i].id == id && !l->hooks[i].dead) {
			l->hooks[i].dead = true;
			return 0;
		}
	}
	return -ENOENT;
}

void evloop_set_wakeup_cb(struct evloop *l, evloop_hook_cb cb, void *ud)
{
	l->wake_cb = cb;
	l->wake_ud = ud;
}

int evloop_wakeup(struct evloop *l)
{
	uint64_t one = 1;
	if (write(l->wakefd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		return -errno;
	return 0;
}

void evloop_stop(struct evloop *l)
{
	atomic_store(&l->stop, true);
	evloop_wakeup(l);
}

static int evloop_run_hooks(struct evloop *l)
{
	int n = 0;
	/* hooks added by a hook run from the next iteration on */
	size_t count = l->nhooks;
	for (size_t i = 0; i < count; i++) {
		if (l->hooks[i].dead)
			continue;
		l->hooks[i].cb(l, l->hooks[i].ud);
		n++;
	}
	size_t j = 0;
	for (size_t i = 0; i < l->nhooks; i++)
		if (!l->hooks[i].dead)
			l->hooks[j++] = l->hooks[i];
	l->nhooks = j;
	return n;
}

/* Milliseconds until the earliest live timer, or -1 when there is none. */
static int evloop_next_timeout(const struct evloop *l, uint64_t now)
{
	uint64_t best = UINT64_MAX;
	for (size_t i = 0; i < l->ntimers; i++)
		if (!l->timers[i].dead && l->timers[i].when_ms < best)
			best = l->timers[i].when_ms;
	if (best == UINT64_MAX)
		return -1;
	if (best <= now)
		return 0;
	uint64_t d = best - now;
	return d > INT32_MAX ? INT32_MAX : (int)d;
}

static int evloop_run_timers(struct evloop *l)
{
	int n = 0;
	uint64_t now = evloop_now_ms();
	/* timers created by a timer callback (id >= limit) wait for the next iteration, so a
	 * callback that re-adds itself with 0 ms cannot starve the loop */
	uint64_t limit = l->next_timer_id;
	for (size_t i = 0; i < l->ntimers; i++) {
		/* the array may move while callbacks add timers: index, never hold a pointer */
		if (l->timers[i].dead || l->timers[i].id >= limit || l->timers[i].when_ms > now)
			continue;
		uint64_t id = l->timers[i].id;
		int again = l->timers[i].cb(l, id, l->timers[i].ud);
		n++;
		if (l->timers[i].dead) /* deleted itself */
			continue;
		if (again < 0)
			l->timers[i].dead = true;
		else
			l->timers[i].when_ms = evloop_now_ms() + (uint64_t)again;
	}
	evloop_compact_timers(l);
	return n;
}

int evloop_run_once(struct evloop *l, int max_wait_ms)
{
	int n = evloop_run_hooks(l);
	int timeout = evloop_next_timeout(l, evloop_now_ms());
	if (max_wait_ms >= 0 && (timeout < 0 || timeout > max_wait_ms))
		timeout = max_wait_ms;
	int got = epoll_wait(l->epfd, l->events, EVLOOP_MAX_EVENTS, timeout);
	if (got < 0) {
		if (errno != EINTR)
			return -errno;
		got = 0;
	}
	for (int i = 0; i < got; i++) {
		int fd = l->events[i].data.fd;
		uint32_t e = l->events[i].events;
		if (fd < 0) {
			uint64_t v;
			while (read(l->wakefd, &v, sizeof(v)) > 0)
				;
			if (l->wake_cb)
				l->wake_cb(l, l->wake_ud);
			n++;
			continue;
		}
		if (fd >= l->nfds)
			continue;
		/* a callback earlier in this batch may have removed or changed this fd */
		int want = l->fds[fd].events;
		int ready = 0;
		if (e & (EPOLLIN | EPOLLRDHUP))
			ready |= EVLOOP_READ;
		if (e & EPOLLOUT)
			ready |= EVLOOP_WRITE;
		if (e & (EPOLLERR | EPOLLHUP)) /* let the owner find out with read()/write() */
			ready |= EVLOOP_ERROR | (want & (EVLOOP_READ | EVLOOP_WRITE));
		ready &= want | EVLOOP_ERROR;
		if (!want || !ready || !l->fds[fd].cb)
			continue;
		l->fds[fd].cb(l, fd, ready, l->fds[fd].ud);
		n++;
	}
	n += evloop_run_timers(l);
	return n;
}

int evloop_run(struct evloop *l)
{
	int rc = 0;
	while (!atomic_load(&l->stop)) {
		rc = evloop_run_once(l, -1);
		if (rc < 0)
			break;
	}
	atomic_store(&l->stop, false);
	return rc < 0 ? rc : 0;
}
