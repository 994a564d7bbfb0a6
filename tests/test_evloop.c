/* evloop: fd events, timers (order, re-arm, delete), before-wait hooks, cross-thread wakeup/stop,
 * and callbacks that change registrations in the middle of a batch. Loops are bounded in
 * iterations; nothing asserts on elapsed time. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "evloop.h"

static struct evloop *new_loop(void)
{
	char err[128];
	struct evloop *l = evloop_new(err, sizeof(err));
	assert_non_null(l);
	return l;
}

struct fd_rec {
	int calls;
	int last_events;
	char buf[64];
	size_t got;
};

static void on_readable(struct evloop *l, int fd, int events, void *ud)
{
	struct fd_rec *r = ud;
	r->calls++;
	r->last_events = events;
	if (!(events & EVLOOP_READ))
		return;
	ssize_t n = read(fd, r->buf + r->got, sizeof(r->buf) - r->got);
	if (n > 0)
		r->got += (size_t)n;
}

static void test_fd_read_write(void **state)
{
	struct evloop *l = new_loop();
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	struct fd_rec r = {0};
	assert_int_equal(evloop_fd_set(l, sv[0], EVLOOP_READ, on_readable, &r), 0);
	assert_int_equal(evloop_fd_events(l, sv[0]), EVLOOP_READ);
	/* nothing to read: a poll dispatches nothing */
	assert_int_equal(evloop_run_once(l, 0), 0);
	assert_int_equal(r.calls, 0);
	assert_int_equal(write(sv[1], "hello", 5), 5);
	for (int i = 0; i < 100 && r.got < 5; i++)
		assert_true(evloop_run_once(l, 1000) >= 0);
	assert_int_equal(r.got, 5);
	assert_memory_equal(r.buf, "hello", 5);
	assert_true(r.last_events & EVLOOP_READ);
	/* add WRITE: the socket is writable at once */
	assert_int_equal(evloop_fd_add_events(l, sv[0], EVLOOP_WRITE), 0);
	assert_int_equal(evloop_fd_events(l, sv[0]), EVLOOP_READ | EVLOOP_WRITE);
	r.calls = 0;
	assert_int_equal(evloop_run_once(l, 1000), 1);
	assert_true(r.last_events & EVLOOP_WRITE);
	assert_int_equal(evloop_fd_del_events(l, sv[0], EVLOOP_WRITE), 0);
	assert_int_equal(evloop_fd_del_events(l, sv[0], EVLOOP_READ), 0);
	assert_int_equal(evloop_fd_events(l, sv[0]), 0);
	assert_int_equal(evloop_fd_add_events(l, sv[0], EVLOOP_READ), -ENOENT);
	/* peer hang-up is reported as readable (read() returns 0) */
	assert_int_equal(evloop_fd_set(l, sv[0], EVLOOP_READ, on_readable, &r), 0);
	close(sv[1]);
	r.calls = 0;
	assert_int_equal(evloop_run_once(l, 1000), 1);
	assert_true(r.last_events & EVLOOP_READ);
	assert_int_equal(evloop_fd_set(l, sv[0], 0, NULL, NULL), 0);
	assert_int_equal(evloop_fd_set(l, -1, EVLOOP_READ, on_readable, &r), -EINVAL);
	assert_int_equal(evloop_fd_set(l, sv[0], EVLOOP_READ, NULL, NULL), -EINVAL);
	close(sv[0]);
	evloop_free(l);
}

/* Two readable sockets in one batch; the first callback unregisters the second. */
struct pair_ctx {
	int fds[2];
	int calls[2];
};

static void on_first_removes_other(struct evloop *l, int fd, int events, void *ud)
{
	struct pair_ctx *c = ud;
	int me = fd == c->fds[0] ? 0 : 1;
	c->calls[me]++;
	char b[8];
	(void)!read(fd, b, sizeof(b));
	evloop_fd_set(l, c->fds[1 - me], 0, NULL, NULL);
}

static void test_removal_within_batch(void **state)
{
	struct evloop *l = new_loop();
	int a[2], b[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, a), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, b), 0);
	struct pair_ctx c = {{a[0], b[0]}, {0, 0}};
	assert_int_equal(evloop_fd_set(l, a[0], EVLOOP_READ, on_first_removes_other, &c), 0);
	assert_int_equal(evloop_fd_set(l, b[0], EVLOOP_READ, on_first_removes_other, &c), 0);
	assert_int_equal(write(a[1], "x", 1), 1);
	assert_int_equal(write(b[1], "y", 1), 1);
	/* both are ready before the wait; only one callback may run */
	assert_int_equal(evloop_run_once(l, 1000), 1);
	assert_int_equal(c.calls[0] + c.calls[1], 1);
	assert_int_equal(evloop_run_once(l, 0), 0);
	for (int i = 0; i < 2; i++) {
		close(a[i]);
		close(b[i]);
	}
	evloop_free(l);
}

struct timer_log {
	char order[16];
	int n;
	int rearm_left;
	uint64_t victim;
	struct evloop *loop;
};

static int on_timer_mark(struct evloop *l, uint64_t id, void *ud)
{
	struct timer_log *t = ud;
	t->order[t->n++] = 'A' + (char)(id - 1);
	return EVLOOP_TIMER_DONE;
}

static int on_timer_rearm(struct evloop *l, uint64_t id, void *ud)
{
	struct timer_log *t = ud;
	t->order[t->n++] = 'r';
	return --t->rearm_left > 0 ? 0 : EVLOOP_TIMER_DONE;
}

static int on_timer_kill(struct evloop *l, uint64_t id, void *ud)
{
	struct timer_log *t = ud;
	t->order[t->n++] = 'k';
	assert_int_equal(evloop_timer_del(l, t->victim), 0);
	return EVLOOP_TIMER_DONE;
}

static void test_timers(void **state)
{
	struct evloop *l = new_loop();
	struct timer_log t = {.loop = l};
	/* ids 1, 2, 3: the later deadline runs later, whatever the insertion order */
	assert_int_equal(evloop_timer_add(l, 30, on_timer_mark, &t), 1);
	assert_int_equal(evloop_timer_add(l, 0, on_timer_mark, &t), 2);
	uint64_t third = evloop_timer_add(l, 10, on_timer_mark, &t);
	assert_int_equal(third, 3);
	for (int i = 0; i < 100 && t.n < 3; i++)
		assert_true(evloop_run_once(l, -1) >= 0);
	assert_int_equal(t.n, 3);
	assert_memory_equal(t.order, "BCA", 3);
	assert_int_equal(evloop_timer_del(l, 1), -ENOENT); /* already done */

	/* a timer that re-arms itself with 0 ms runs once per iteration */
	t.n = 0;
	t.rearm_left = 3;
	assert_true(evloop_timer_add(l, 0, on_timer_rearm, &t) > 0);
	assert_int_equal(evloop_run_once(l, 0), 1);
	assert_int_equal(t.n, 1);
	for (int i = 0; i < 10; i++)
		evloop_run_once(l, 0);
	assert_int_equal(t.n, 3);

	/* deleting: directly, and from another timer's callback */
	t.n = 0;
	uint64_t gone = evloop_timer_add(l, 0, on_timer_mark, &t);
	assert_int_equal(evloop_timer_del(l, gone), 0);
	assert_int_equal(evloop_timer_del(l, gone), -ENOENT);
	t.victim = evloop_timer_add(l, 5, on_timer_mark, &t);
	assert_true(evloop_timer_add(l, 0, on_timer_kill, &t) > 0);
	for (int i = 0; i < 20; i++)
		evloop_run_once(l, 1);
	assert_int_equal(t.n, 1);
	assert_int_equal(t.order[0], 'k');
	evloop_free(l);
}

struct hook_ctx {
	int runs;
	uint64_t id;
};

static void on_hook(struct evloop *l, void *ud)
{
	struct hook_ctx *h = ud;
	if (++h->runs == 2)
		assert_int_equal(evloop_hook_del(l, h->id), 0);
}

static void test_hooks(void **state)
{
	struct evloop *l = new_loop();
	struct hook_ctx h = {0};
	h.id = evloop_hook_add(l, on_hook, &h);
	assert_true(h.id > 0);
	for (int i = 0; i < 5; i++)
		evloop_run_once(l, 0);
	assert_int_equal(h.runs, 2); /* it removed itself on its second run */
	assert_int_equal(evloop_hook_del(l, h.id), -ENOENT);
	evloop_free(l);
}

struct wake_ctx {
	struct evloop *l;
	int wakes;
};

static void on_wake(struct evloop *l, void *ud)
{
	struct wake_ctx *w = ud;
	w->wakes++;
}

static void *stopper(void *arg)
{
	struct wake_ctx *w = arg;
	evloop_wakeup(w->l);
	evloop_stop(w->l);
	return NULL;
}

static void test_wakeup_and_stop(void **state)
{
	struct evloop *l = new_loop();
	struct wake_ctx w = {l, 0};
	evloop_set_wakeup_cb(l, on_wake, &w);
	/* same thread: a pending wakeup makes a blocking iteration return */
	assert_int_equal(evloop_wakeup(l), 0);
	assert_int_equal(evloop_run_once(l, -1), 1);
	assert_int_equal(w.wakes, 1);
	/* another thread stops a loop blocked with no timers and no fds */
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, stopper, &w), 0);
	assert_int_equal(evloop_run(l), 0);
	pthread_join(th, NULL);
	evloop_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fd_read_write),
		cmocka_unit_test(test_removal_within_batch),
		cmocka_unit_test(test_timers),
		cmocka_unit_test(test_hooks),
		cmocka_unit_test(test_wakeup_and_stop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
