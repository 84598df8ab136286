/* side.h - opening what is compared, as a user names it: a snapshot file,
 * "-" (standard input), a live namespace (pid:PID, ns:FILE), the live
 * namespaces a snapshot names, or a list of capture targets.  One
 * implementation for `diff`, replay's verification and whatever else
 * compares with a live system. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "lib/capture/capture.h"
#include "lib/core/error.h"
#include "lib/core/model.h"
#include "lib/spec/spec.h"

/* Returns: true when spec names a live namespace (pid:PID, ns:FILE). */
bool mnts_side_is_live(const char *spec);

/* Reads path ("-": stdin): a JSON snapshot, or a spec (spec/SPEC.md, told
 * by content: its first non-space byte is not '{') made into a snapshot
 * with the defaults of SPEC.md §6.  The one place either is opened: diff's
 * sides and replay's input.  Returns: 0 or -errno, *ret set (linked). */
int mnts_side_read(const char *path, struct mnts_snapshot **ret, struct mnts_error *err);

/* Opens one side: a snapshot file (or spec) or "-" read and linked, or pid:PID /
 * ns:FILE captured now.  Returns: 0 or -errno, *ret set on success. */
int mnts_side_open(const char *spec, struct mnts_snapshot **ret, struct mnts_error *err);

/* Opens both sides; two files are read at once (B on a second thread).
 * Errors are reported as if read in order: A's first.  "-" may be one side
 * only.  Returns: 0 or -errno, both set on success. */
int mnts_sides_open(const char *spec_a, const char *spec_b, struct mnts_snapshot **ret_a,
		    struct mnts_snapshot **ret_b, struct mnts_error *err);

/* Reads the spec at spec_path into *spec (mnts_spec_read()), then opens
 * target (mnts_side_open()); a target file is read on a second thread
 * meanwhile.  Errors are reported as if read in order: the spec's first.
 * Returns: 0 or -errno, *ret set on success (*spec is the caller's to free
 * either way). */
int mnts_side_open_with_spec(const char *spec_path, struct mnts_spec *spec, const char *target,
			     struct mnts_snapshot **ret, struct mnts_error *err);

/* Captures the live namespaces of targets (each with its label), cut to
 * subtree (NULL: whole); no target gives an empty snapshot, not every
 * namespace.  Returns: 0 or -errno, *ret set on success. */
int mnts_side_open_targets(const struct mnts_target *targets, size_t n, const char *subtree,
			   struct mnts_snapshot **ret, struct mnts_error *err);

/* The live state of the namespaces a names (by mnt_ns_id), labelled as in
 * a and cut to a's subtree; those that no longer exist are left out (a
 * comparison reports them missing).  Returns: 0 or -errno (a namespace
 * without a mnt_ns_id cannot be found). */
int mnts_side_open_live_of(const struct mnts_snapshot *a, struct mnts_snapshot **ret,
			   struct mnts_error *err);

/* A --subtree snapshot replayed with --new is the whole of the new
 * namespace, at "/".  When one side was cut to a subtree and the other was
 * not and has no mount at the subtree's path, the cut side is rebased to
 * "/" so the two compare. */
void mnts_sides_align_subtrees(struct mnts_snapshot *a, struct mnts_snapshot *b);

/* Each namespace of got that want has (by label) rebased so that its root
 * sits where want's does (a replay under --root DIR is captured at DIR). */
void mnts_side_rebase_onto(struct mnts_snapshot *got, const struct mnts_snapshot *want);
