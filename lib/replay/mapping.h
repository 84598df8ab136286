/* mapping.h - sources moved to another host: --map-source OLD=NEW and
 * --map-file, and overlay layers.
 *
 * A snapshot's mounts name their sources as the capturing host saw them:
 * a bind mount by its root inside a superblock, an overlay by the paths of
 * its layers.  On another host (or after the data moved) the same content
 * is elsewhere.  A rule OLD=NEW says: what was at host path OLD (and below)
 * is now at NEW.  A mount's host path is where its root was visible in the
 * captured namespaces: the mountpoint of a reachable mount of the same
 * superblock whose root contains it, plus the rest of the root (a bind of
 * /srv/a/vol made from the disk mounted at /srv/a has host path /srv/a/vol
 * whatever its root in the disk is).
 *
 * Everything here is pure except mnts_map_file_read(): the planner and the
 * verification compute the same mappings from the snapshot and the rules.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "lib/core/error.h"
#include "lib/core/model.h"

/* One --map-source OLD=NEW: both absolute and normalised. */
struct mnts_map_rule {
	char *old_path, *new_path;
};

struct mnts_map_rules {
	struct mnts_map_rule *v;
	size_t n;
};

/* Parses "OLD=NEW" (split at the first '=') and appends it.  what names
 * the argument in errors ("--map-source 'a=b'", "FILE: line 3").
 * Returns: 0 or -errno. */
int mnts_map_rule_add(struct mnts_map_rules *rules, const char *arg, const char *what,
		      struct mnts_error *err);
void mnts_map_rules_done(struct mnts_map_rules *rules);

/* Reads a --map-file: one mapping a line, "OLD=NEW" (or "--map-source
 * OLD=NEW") or "--external KEY:PATH"; blank lines and lines starting with
 * '#' are skipped, blanks around a line ignored.  Rules are appended to
 * rules, --external arguments to externals.  Returns: 0 or -errno (the
 * error names the file and line). */
int mnts_map_file_read(const char *path, struct mnts_map_rules *rules,
		       struct mnts_strv *externals, struct mnts_error *err);

/* The rule whose OLD contains host_path (the longest such OLD), or -1;
 * *ret_rest: the part of host_path below OLD ("" when equal). */
int mnts_map_match(const struct mnts_map_rules *rules, const char *host_path,
		   const char **ret_rest);

/* Host paths of the mounts of a snapshot: an index of the mounts that can
 * witness where a root was visible, by superblock.  Built once per plan
 * (only when there are rules). */
struct mnts_host_paths;

struct mnts_host_paths *mnts_host_paths_new(const struct mnts_snapshot *snap);
void mnts_host_paths_free(struct mnts_host_paths *hp);

/* The host path of root (a path inside m's superblock) in snap, as a new
 * string; *ret_witness: the mount it was computed from, one whose root
 * holds more than root, or a whole filesystem (the widest root preferred,
 * then one in m's namespace).  When no reachable mount of the
 * superblock contains root (*ret_witness NULL), root itself: a filesystem
 * the snapshot only binds from is taken to be the host's root filesystem,
 * which is what a --subtree capture of a container binds files from. */
char *mnts_host_path(const struct mnts_host_paths *hp, const struct mnts_mount *m,
		     const char *root, const struct mnts_mount **ret_witness);

/* Whether a mount of this type is moved by its layers, not as a bind
 * (overlay). */
bool mnts_fs_is_layered(const char *fstype);

/* One layer of an overlay, from its super options. */
struct mnts_layer {
	const char *key; /* the fsconfig key: "lowerdir+", "datadir+", "upperdir", "workdir" */
	char *path;	 /* the recorded path */
	int rule;	 /* the rule that maps it, or -1 */
	char *new_base;	 /* rule >= 0: its NEW, below which rel is resolved */
	char *rel;	 /* rule >= 0: the path below NEW ("" = NEW itself) */
};

struct mnts_layers {
	struct mnts_layer *v;
	size_t n;
	struct mnts_strv other; /* the super options that are not layers */
};

/* Splits an overlay's super options into its layers, each mapped by
 * rules (NULL: none), and the rest.  lowerdir=A:B:C (a ':' in a path is
 * escaped "\:"), a "::" separating data-only layers (datadir+). */
void mnts_layers_parse(const struct mnts_strv *super_options, const struct mnts_map_rules *rules,
		       struct mnts_layers *out);
void mnts_layers_done(struct mnts_layers *l);
/* The path a layer has on this host: NEW/rel when mapped, else its path.
 * A new string. */
char *mnts_layer_here(const struct mnts_layer *l);

/* The super options of an overlay with every mapped layer path replaced
 * by its path here (reverse: here by the recorded one), into out; true
 * when a path changed.  What the kernel shows for the overlay replay
 * creates, for the verification. */
bool mnts_layers_rewrite(const struct mnts_strv *super_options, const struct mnts_map_rules *rules,
			 bool reverse, struct mnts_strv *out);
