/* replay_verify.c - capture the result of a replay and compare (see replay_verify.h) */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "lib/compare/side.h"
#include "lib/core/u64map.h"
#include "lib/replay/mapping.h"
#include "lib/replay/replay_verify.h"
#include "lib/replay/resolve.h"

static bool selected(const struct mnts_replay_opts *opts, const char *label)
{
	if (opts->n_ns_labels == 0)
		return true;
	for (size_t i = 0; i < opts->n_ns_labels; i++)
		if (streq(opts->ns_labels[i], label))
			return true;
	return false;
}

/* Stacked on how many mounts at its own mountpoint. */
static unsigned int layer_of(const struct mnts_mount *m)
{
	unsigned int n = 0;

	for (; m->parent && streq(m->parent->mountpoint, m->mountpoint); m = m->parent)
		n++;
	return n;
}

/* The mount of ns at the place of m (mountpoint and stacking), or NULL. */
static struct mnts_mount *same_place(struct mnts_ns *ns, const struct mnts_mount *m)
{
	unsigned int layer = layer_of(m);

	for (size_t i = 0; i < ns->n_mounts; i++)
		if (streq(ns->mounts[i].mountpoint, m->mountpoint) &&
		    layer_of(&ns->mounts[i]) == layer)
			return &ns->mounts[i];
	return NULL;
}

static void set_str(struct mnts_snapshot *snap, char **dst, const char *src)
{
	mnts_snapshot_free_str(snap, *dst);
	*dst = src ? xstrdup(src) : NULL;
}

static void set_strv(struct mnts_snapshot *snap, struct mnts_strv *dst, struct mnts_strv *src)
{
	mnts_snapshot_strv_done(snap, dst);
	*dst = *src;
	*src = (struct mnts_strv){0};
}

/* The result as the snapshot would be without the mappings, so that the
 * comparison sees what replay was asked to keep: a mount taken by
 * --map-source gets the source, root, superblock and options it had (the
 * new ones are the mapping), an overlay its recorded layer paths back, and
 * its lower layers in one lowerdir= word as capture saw them (replay gives
 * them one by one, lowerdir+). */
/* The mounts of got not rewritten whose anonymous device number is one a
 * rewritten mount now has (numbers are reused: host A's disk and host B's
 * new overlay may have the same) move to numbers nobody has, one per
 * device, so the partition into superblocks stays what it was. */
static void renumber_clashes(struct mnts_snapshot *got, bool **done, struct mnts_u64map *taken)
{
	struct mnts_u64map moved = {0};
	uint32_t next = UINT32_MAX;

	for (size_t n = 0; n < got->n_ns; n++) {
		for (size_t i = 0; i < got->nss[n].n_mounts; i++) {
			struct mnts_mount *g = &got->nss[n].mounts[i];
			uint64_t key = (uint64_t)g->dev_major << 32 | g->dev_minor;
			int to;

			if (done[n][i] || g->dev_major != 0 || mnts_u64map_get(taken, key) < 0)
				continue;
			to = mnts_u64map_get(&moved, key);
			if (to < 0) {
				while (mnts_u64map_get(taken, next) >= 0)
					next--;
				to = (int)(UINT32_MAX - next);
				mnts_u64map_put(&moved, key, to);
				mnts_u64map_put(taken, next--, 1);
			}
			g->dev_minor = UINT32_MAX - (uint32_t)to;
		}
	}
	mnts_u64map_free(&moved);
}

static void unmap_result(const struct mnts_snapshot *snap, struct mnts_snapshot *got,
			 const struct mnts_map_rules *rules)
{
	struct mnts_host_paths *hp = rules && rules->n ? mnts_host_paths_new(snap) : NULL;
	bool **done = xcalloc(got->n_ns + 1, sizeof(*done));
	struct mnts_u64map taken = {0};

	for (size_t n = 0; n < got->n_ns; n++)
		done[n] = xcalloc(got->nss[n].n_mounts + 1, sizeof(**done));
	for (size_t n = 0; n < got->n_ns; n++) {
		struct mnts_ns *gns = &got->nss[n];
		const struct mnts_ns *ns = mnts_snapshot_find_ns(snap, gns->label);

		for (size_t i = 0; ns && i < ns->n_mounts; i++) {
			const struct mnts_mount *m = &ns->mounts[i];
			_cleanup_free_ char *host_path = NULL;
			struct mnts_mount *g;
			const char *rest;

			if (m->nsfs_type)
				continue;
			if (mnts_fs_is_layered(m->fstype)) {
				struct mnts_strv back = {0};

				g = same_place(gns, m);
				if (g && streq(g->fstype, m->fstype) &&
				    mnts_layers_rewrite(&g->super_options, rules, true, &back))
					set_strv(got, &g->super_options, &back);
				mnts_strv_clear(&back);
				continue;
			}
			if (!hp || !(host_path = mnts_host_path(hp, m, m->root, NULL)) ||
			    mnts_map_match(rules, host_path, &rest) < 0 || !(g = same_place(gns, m)))
				continue;
			set_str(got, &g->source, m->source);
			set_str(got, &g->root, m->root);
			set_str(got, &g->fstype, m->fstype);
			set_str(got, &g->fs_uuid, m->fs_uuid);
			set_str(got, &g->fs_label, m->fs_label);
			g->dev_major = m->dev_major;
			g->dev_minor = m->dev_minor;
			done[n][g->index] = true;
			mnts_u64map_put(&taken, (uint64_t)m->dev_major << 32 | m->dev_minor, 1);
			{
				struct mnts_strv opts = {0};

				mnts_strv_push_n(&opts, (const char *const *)m->super_options.v,
						 m->super_options.n, NULL);
				set_strv(got, &g->super_options, &opts);
			}
		}
	}
	if (taken.n)
		renumber_clashes(got, done, &taken);
	for (size_t n = 0; n < got->n_ns; n++)
		free(done[n]);
	free(done);
	mnts_u64map_free(&taken);
	mnts_host_paths_free(hp);
}

struct mnts_replay_verify_ahead {
	const struct mnts_snapshot *snap;
	size_t n_mounts; /* of the namespaces replayed */
	struct mnts_compare_prepared *prepared;
	struct mnts_snapshot *got;
};

struct mnts_replay_verify_ahead *mnts_replay_verify_ahead_new(const struct mnts_snapshot *snap,
							      const struct mnts_replay_opts *opts)
{
	struct mnts_replay_verify_ahead *ahead = xcalloc(1, sizeof(*ahead));

	ahead->snap = snap;
	for (size_t i = 0; i < snap->n_ns; i++)
		if (selected(opts, snap->nss[i].label))
			ahead->n_mounts += snap->nss[i].n_mounts;
	return ahead;
}

/* What the verification allocates on this thread, per mount replayed: the
 * capture, B's side of the comparison, the pairing (flat 50,000: 20 MB in
 * 5,000 page faults) */
#define VERIFY_BYTES_PER_MOUNT 512
/* in pieces malloc takes from the heap: below the mmap() threshold, set
 * to its 64-bit maximum (glibc refuses it on 32 bits: no reserve there) */
#define RESERVE_PIECE (1u << 20)
#define MMAP_THRESHOLD_MAX (32 << 20)
/* at most (500,000 mounts): beyond, a fault more a page matters less than
 * holding the memory while the executor does */
#define RESERVE_MAX ((size_t)256 << 20)

/* Memory the verification will use, made this process's own while it
 * would wait.  The executor (a fork) shares our pages until it exits: a
 * page written in the verification is copied first, with a flush of the
 * TLBs of both CPUs, and a fresh one is a fault each; malloc gives back
 * what replay.c freed and trimmed (a library caller's replay), or fresh
 * pages (the command line leaves the plan to the exit).  Pages touched now
 * and kept on malloc's heap (freed, not trimmed) are neither. */
static void reserve_memory(size_t n_mounts)
{
	size_t want = n_mounts * VERIFY_BYTES_PER_MOUNT, n = 0;
	_cleanup_free_ char **pieces = NULL;

	if (want < RESERVE_PIECE)
		return;
	if (want > RESERVE_MAX)
		want = RESERVE_MAX;
	/* for the rest of the process (replay's verification is the end of
	 * it): the heap keeps up to twice the reserve when freed, and takes
	 * blocks up to 32 MiB */
	if (!mallopt(M_TRIM_THRESHOLD, (int)(2 * want)) ||
	    !mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_MAX))
		return;
	pieces = xcalloc(want / RESERVE_PIECE + 1, sizeof(*pieces));
	for (; n * RESERVE_PIECE < want; n++) {
		volatile char *p = malloc(RESERVE_PIECE);

		if (!p)
			break;
		for (size_t off = 0; off < RESERVE_PIECE; off += 4096)
			p[off] = 0;
		pieces[n] = (char *)p;
	}
	while (n > 0)
		free(pieces[--n]);
}

void mnts_replay_verify_ahead_run(void *data)
{
	struct mnts_replay_verify_ahead *ahead = data;

	if (!ahead->prepared)
		ahead->prepared = mnts_compare_prepare(ahead->snap);
	/* each time: replay.c gave the last reserve back to the kernel
	 * before this executor started */
	reserve_memory(ahead->n_mounts);
}

void mnts_replay_verify_ahead_free(struct mnts_replay_verify_ahead *ahead)
{
	if (!ahead)
		return;
	mnts_compare_prepared_free(ahead->prepared);
	mnts_snapshot_free(ahead->got);
	free(ahead);
}

int mnts_replay_verify(const struct mnts_snapshot *snap, const struct mnts_replay_opts *opts,
		       struct mnts_replay_verify_ahead *ahead, struct mnts_diff *ret,
		       struct mnts_error *err)
{
	_cleanup_snapshot_ struct mnts_snapshot *got = NULL;
	_cleanup_free_ struct mnts_target *targets = NULL;
	_cleanup_free_ char **paths = NULL;
	_cleanup_free_ char **labels = NULL;
	struct mnts_compare_opts cmp = {0};
	size_t n = 0;
	int r;

	targets = xcalloc(snap->n_ns + 1, sizeof(*targets));
	paths = xcalloc(snap->n_ns + 1, sizeof(*paths));
	labels = xcalloc(snap->n_ns + 1, sizeof(*labels));
	for (size_t i = 0; i < snap->n_ns; i++) {
		const struct mnts_ns *ns = &snap->nss[i];

		if (!selected(opts, ns->label))
			continue;
		labels[n] = ns->label;
		if (opts->target == MNTS_REPLAY_NEW) {
			paths[n] = xasprintf("%s/%s", opts->new_dir, ns->label);
			targets[n] = (struct mnts_target){
			    .kind = MNTS_TARGET_NSFILE, .arg = paths[n], .label = ns->label};
		} else if (opts->target == MNTS_REPLAY_PID) {
			targets[n] = (struct mnts_target){.kind = MNTS_TARGET_PID,
							  .num = (uint64_t)opts->pid,
							  .label = ns->label};
		} else {
			targets[n] = (struct mnts_target){
			    .kind = MNTS_TARGET_NSFILE, .arg = opts->nsfile, .label = ns->label};
		}
		n++;
	}
	r = mnts_side_open_targets(targets, n, opts->root_dir, &got, err);
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	if (r < 0)
		return mnts_err_prefix(err, "capture the result");

	mnts_side_rebase_onto(got, snap);
	unmap_result(snap, got, opts->map_rules);
	cmp.ns_labels = labels;
	cmp.n_ns_labels = n;
	/* made for snap: mnts_compare() refuses one made for another */
	cmp.a_prepared = ahead ? ahead->prepared : NULL;
	r = mnts_compare(snap, got, &cmp, ret, err);
	if (ahead && !ahead->got)
		ahead->got = TAKE_PTR(got);
	if (r < 0)
		return mnts_err_prefix(err, "compare with the snapshot");
	return 0;
}
