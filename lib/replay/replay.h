/* replay.h - rebuild a snapshot's mount namespaces with the new mount API.
 *
 * mnts_replay() validates the snapshot against this host, computes a plan
 * (plan.h: an array of steps), and unless dry_run executes it in a forked
 * child (exec.h) that reports back over a socket.  A failure leaves the
 * target as it was: detached mounts die with their fds, attached ones are
 * detached in reverse order, pins and created files are removed.  The child
 * keeps what it did only when the caller says so (mnts_replay_commit), and
 * undoes it when the caller is interrupted or dies first.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "lib/core/error.h"
#include "lib/core/model.h"
#include "lib/replay/mapping.h"
#include "lib/replay/plan.h"

struct mnts_live_prefetch; /* host.h */

enum mnts_replay_target {
	MNTS_REPLAY_NEW = 1, /* new namespaces pinned at dir/LABEL */
	MNTS_REPLAY_PID,     /* pid's existing mount namespace */
	MNTS_REPLAY_NSFILE,  /* the namespace of an nsfs file */
};

struct mnts_replay_opts {
	enum mnts_replay_target target;
	const char *new_dir;  /* MNTS_REPLAY_NEW */
	bool mkdir_new;	      /* --mkdir: make new_dir (0700) when missing */
	pid_t pid;	      /* MNTS_REPLAY_PID */
	const char *nsfile;   /* MNTS_REPLAY_NSFILE */
	const char *root_dir; /* --root: graft under this path in the target, or NULL */
	char **ns_labels;     /* --ns: only these namespaces; none = all */
	size_t n_ns_labels;
	char **externals; /* --external KEY:PATH */
	size_t n_externals;
	/* --map-source and --map-file rules (mapping.h); NULL: none */
	const struct mnts_map_rules *map_rules;
	bool fresh;		 /* create anew every superblock that can be */
	bool create_mountpoints; /* also in reused filesystems */
	/* who owns a namespace captured as owned by a user namespace other
	 * than the initial: NULL the live one or a new one with its maps,
	 * "none" the caller's, else a PID or an nsfs file of one */
	const char *userns;
	bool dry_run;		 /* print the plan to plan_out, change nothing */
	bool plan_json;		 /* dry_run: the plan as JSON (spec/PLAN-JSON.md) */
	FILE *plan_out;
	/* when set, every problem that stops the replay goes here, one
	 * finding each, and the error says how many (cmd/ prints them) */
	struct mnts_findings *problems;
	int fail_at_step; /* test-only fault injection: step N fails; 0 = none */
	/* the seed namespace, made beforehand (mnts_replay_seed_start()), or
	 * NULL: the executor makes it */
	struct mnts_replay_seed *seed;
	/* the caller's live mounts, being read (host.h), or NULL: read when
	 * planning */
	struct mnts_live_prefetch *live;
	/* work of the caller's for the time the executor runs, when this
	 * CPU would only wait for it (the verification's preparation):
	 * called in the caller once the checks beside the executor are done
	 * (livecheck.h), for each executor started (not when it failed or a
	 * signal came already); NULL: none */
	void (*while_executing)(void *data);
	void *while_executing_data;
	/* the process ends with the replay (the command line): the plan and
	 * the live table are not freed once the executor runs */
	bool leave_to_exit;
};

/* The one-mount namespace a --new replay copies each new namespace from
 * (replay_ns.h, mnts_ns_seed()), made on a helper thread while the snapshot
 * is read and planned: it needs neither, and copying the caller's namespace
 * to empty it is a fifth of a 50,000-mount replay.  NULL when a replay of
 * opts needs none (--root, a dry run) or a single CPU would gain nothing;
 * when it cannot be made, the executor makes it (and says why).  Start it
 * before reading the snapshot, put it in opts->seed, free it after
 * mnts_replay() (mnts_replay_seed_free() waits for the thread). */
struct mnts_replay_seed *mnts_replay_seed_start(const struct mnts_replay_opts *opts);
void mnts_replay_seed_free(struct mnts_replay_seed *seed);

/* A replay done but not yet kept: its executor holds the undo log and
 * waits.  A SIGINT, SIGTERM or SIGHUP to the caller, or the caller's death,
 * makes it undo everything before it exits. */
struct mnts_replay_txn;

/* Replays snap.  With ret_txn, a replay that succeeded is left waiting in
 * *ret_txn (NULL after a dry run) for mnts_replay_commit(); without, it is
 * kept at once.  The caller's SIGINT, SIGTERM and SIGHUP are caught until
 * then.  Returns: 0 or -errno (nothing changed on error; -EINTR when
 * interrupted by a signal). */
int mnts_replay(const struct mnts_snapshot *snap, const struct mnts_replay_opts *opts,
		struct mnts_replay_txn **ret_txn, struct mnts_error *err);

/* Keeps the replay (frees txn; NULL is a no-op), or, if a signal came
 * since, undoes it.  Once the replay is kept, SIGINT, SIGTERM and SIGHUP
 * change nothing (they stay caught): the caller finishes and reports what
 * was done.  Their handling is restored after an undo.  Returns: 0, or
 * -errno (-EINTR: interrupted, everything undone). */
int mnts_replay_commit(struct mnts_replay_txn *txn, struct mnts_error *err);
