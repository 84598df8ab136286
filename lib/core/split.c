/* split.c - see split.h */
#include <sched.h>

#include "lib/core/split.h"

bool mnts_split_worth_it(void)
{
	static int cached = -1;
	cpu_set_t set;

	if (cached < 0)
		cached = sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 1;
	return cached;
}

static void *helper_main(void *data)
{
	struct mnts_helper *h = data;

	h->fn(h->data);
	return NULL;
}

void mnts_helper_start(struct mnts_helper *h, void (*fn)(void *data), void *data)
{
	h->fn = fn;
	h->data = data;
	h->running = pthread_create(&h->thread, NULL, helper_main, h) == 0;
}

void mnts_helper_join(struct mnts_helper *h)
{
	if (h->running)
		pthread_join(h->thread, NULL);
	else if (h->fn)
		h->fn(h->data);
	h->running = false;
	h->fn = NULL;
}

struct split {
	size_t n, chunk;
	size_t next;  /* first item not claimed yet (atomic) */
	bool stopped; /* a worker failed: claim no more (atomic) */
	bool (*fn)(void *data, unsigned worker, size_t begin, size_t end);
	void *data;
};

static void split_work(struct split *s, unsigned worker)
{
	while (!__atomic_load_n(&s->stopped, __ATOMIC_RELAXED)) {
		size_t begin = __atomic_fetch_add(&s->next, s->chunk, __ATOMIC_RELAXED);
		size_t end = begin + s->chunk < s->n ? begin + s->chunk : s->n;

		if (begin >= s->n)
			break;
		if (!s->fn(s->data, worker, begin, end))
			__atomic_store_n(&s->stopped, true, __ATOMIC_RELAXED);
	}
}

static void split_helper(void *data)
{
	split_work(data, 1);
}

void mnts_split_run(size_t n, size_t chunk,
		    bool (*fn)(void *data, unsigned worker, size_t begin, size_t end), void *data)
{
	struct split s = {.n = n, .chunk = chunk ? chunk : 1, .fn = fn, .data = data};
	struct mnts_helper h;

	if (n <= s.chunk || !mnts_split_worth_it()) {
		split_work(&s, 0);
		return;
	}
	mnts_helper_start(&h, split_helper, &s);
	split_work(&s, 0);
	mnts_helper_join(&h);
}
