/* split.h - work shared with a second CPU.
 *
 * A capture of 50,000 mounts is a few hundred milliseconds of independent
 * per-mount work (statmount calls, JSON formatting); on a machine with more
 * than one CPU a helper thread takes part of it.  Results never depend on
 * the split: each item has its own output slot, filled in item order.
 */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

/* True when a helper thread can run beside this one (more than one CPU in
 * our affinity mask). */
bool mnts_split_worth_it(void);

/* A function run on a helper thread, or in the caller at join time when no
 * thread could be started. */
struct mnts_helper {
	pthread_t thread;
	bool running;
	void (*fn)(void *data);
	void *data;
};

void mnts_helper_start(struct mnts_helper *h, void (*fn)(void *data), void *data);
/* Waits for fn (or runs it); joining again does nothing. */
void mnts_helper_join(struct mnts_helper *h);

/* Calls fn(data, worker, begin, end) over [0, n) in chunks of chunk items,
 * each claimed in order by whichever worker is free: the caller (worker 0)
 * and, when mnts_split_worth_it() and n > chunk, a helper thread (worker 1).
 * fn returns false to claim no more chunks (an error; the other worker
 * finishes the chunk it holds).  Returns when every claimed chunk is done. */
void mnts_split_run(size_t n, size_t chunk,
		    bool (*fn)(void *data, unsigned worker, size_t begin, size_t end), void *data);
