/* model.h - the in-memory snapshot: namespaces, their mounts, and the
 * derived tree and peer-group index.
 *
 * This is the one representation capture fills, JSON reads and writes,
 * replay plans from and diff compares.  Field meanings are specified in
 * spec/FORMAT.md; the JSON keys are the field names below.
 *
 * Lifecycle: a producer (capture backend or JSON reader) appends namespaces
 * and mounts with mnts_snapshot_add_ns()/mnts_ns_add_mount(), which may move
 * the arrays; then mnts_snapshot_link() validates and fills the derived
 * pointers (parent, children, root, groups).  After linking the arrays must
 * not grow.
 *
 * Ownership: every string of the model is the snapshot's, either malloc()ed
 * on its own or carved out of the snapshot's string pool (what a reader
 * uses: 350,000 strings of a 50k-mount file cost one malloc and one free
 * each otherwise).  So a model string is freed or replaced through
 * mnts_snapshot_free_str() (or by mnts_snapshot_free()), never with a bare
 * free(), and a mount moves to another snapshot only if none of its strings
 * is pooled.  A mount's option vectors may be pooled too, array and words,
 * and then shared by the mounts with the same words (a reader keeps one
 * copy of "rw","relatime" for 50,000 mounts): such a vector is replaced
 * whole, never changed in place, and let go with mnts_snapshot_strv_done().
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/core/error.h"

#define MNTS_FORMAT_NAME "mntsnap"
#define MNTS_FORMAT_VERSION 3
/* The oldest format_version still read (FORMAT.md §11). */
#define MNTS_FORMAT_VERSION_MIN 1

/* A string vector v[0..n-1]; each string owned by the vector. */
struct mnts_strv {
	char **v;
	size_t n;
};

void mnts_strv_push(struct mnts_strv *sv, const char *s);
struct mnts_snapshot;

/* Appends copies of words[0..n-1], growing the vector once.  The copies are
 * in pool's string pool, or malloc()ed when pool is NULL. */
void mnts_strv_push_n(struct mnts_strv *sv, const char *const *words, size_t n,
		      struct mnts_snapshot *pool);
void mnts_strv_push_take(struct mnts_strv *sv, char *s);
bool mnts_strv_contains(const struct mnts_strv *sv, const char *s);
/* The same words in the same order. */
bool mnts_strv_equal(const struct mnts_strv *x, const struct mnts_strv *y);
void mnts_strv_clear(struct mnts_strv *sv);
/* Splits a comma separated option string as the kernel prints it (escapes
 * \ooo are decoded; a ',' inside a value is printed escaped as \054). */
void mnts_strv_split_options(struct mnts_strv *sv, const char *optstr);

struct mnts_ns;

struct mnts_mount {
	/* identity */
	uint64_t id;        /* snapshot key: 64-bit unique id (listmount) or mountinfo id */
	uint64_t mnt_id;    /* mountinfo field 1 (old 32-bit id) */
	uint64_t parent_id; /* id of the parent mount; 0 for the namespace root */

	/* mountinfo fields */
	uint32_t dev_major, dev_minor; /* superblock st_dev */
	char *root;                    /* path inside the filesystem, unescaped */
	char *mountpoint;              /* path in the namespace, unescaped */
	char *fstype;                  /* "type" or "type.subtype" */
	char *source;                  /* field 10 unescaped; "none" when the fs has none */
	struct mnts_strv mount_options; /* per-mount: rw|ro, nosuid, nodev, noexec, atime, ... */
	struct mnts_strv super_options; /* superblock: rw|ro first, then fs options, unescaped */
	/* what identifies the superblock beyond this boot (format 3): the
	 * filesystem's UUID and label as libblkid reads them from its block
	 * device; NULL when it has none or it was not recorded */
	char *fs_uuid, *fs_label;

	/* propagation; 0 = none */
	uint64_t shared_id;
	uint64_t master_id;
	uint64_t propagate_from;
	bool unbindable;

	bool deleted; /* root ended in "//deleted": the bind source was removed */
	/* what the root is: a directory, or anything else (a file bind);
	 * unknown when not recorded (format 1 and 2, a failed stat) */
	enum mnts_root_type { MNTS_ROOT_UNKNOWN, MNTS_ROOT_DIR, MNTS_ROOT_FILE } root_type;
	/* MNT_LOCKED: inherited by a namespace owned by a less privileged user
	 * namespace (cannot be unmounted alone); meaningful only when its
	 * namespace's owner.locked_known */
	bool locked;

	/* nsfs mounts (a bind mount of /proc/PID/ns/X) */
	char *nsfs_type;   /* "mnt", "net", ...; NULL when not an nsfs mount */
	uint64_t nsfs_ino; /* the namespace's inode number */
	char *nsfs_ns;     /* label of the captured mount namespace it pins, or NULL */

	/* idmapped mount: "inside outside count" lines; empty when not idmapped */
	struct mnts_strv uid_map, gid_map;

	/* derived by mnts_snapshot_link(); not serialized */
	struct mnts_ns *ns;
	struct mnts_mount *parent;
	struct mnts_mount **children; /* in snapshot order (creation order) */
	size_t n_children;
	size_t index; /* position in ns->mounts */
};

/* A bind mount of an nsfs file that keeps a namespace alive. */
struct mnts_pin {
	char *ns;   /* label of the namespace holding the nsfs mount */
	char *path; /* mountpoint of the nsfs mount in that namespace */
};

struct mnts_ns {
	char *label;               /* "ns0", "ns1", ...; unique in the snapshot */
	uint64_t mnt_ns_id;        /* 64-bit namespace id, 0 when unknown */
	uint64_t ns_ino;           /* nsfs inode (lsns NS), 0 when unknown */
	uint64_t owner_userns_ino; /* owning user namespace inode, 0 when unknown */
	/* the owning user namespace: known false when not recorded (-F,
	 * format 1); its maps as the capturing process saw them */
	struct {
		bool known;
		bool initial; /* the machine's initial user namespace */
		struct mnts_strv uid_map, gid_map;
		/* which mounts are locked was probed (capture) or read: each
		 * mount's locked says it; false: not known */
		bool locked_known;
		/* the ids read from owner_userns.locked, until linking sets
		 * each mount's locked */
		uint64_t *locked_ids;
		size_t n_locked_ids;
	} owner;
	uint64_t *pids;            /* pids seen in it, ascending */
	size_t n_pids;
	struct mnts_pin *pins; /* nsfs mounts pinning it */
	size_t n_pins;
	uint64_t root_mount; /* id of its root mount */

	struct mnts_mount *mounts; /* in kernel order (ascending unique id) */
	size_t n_mounts;
	size_t cap_mounts;

	/* derived */
	struct mnts_mount *root;
	struct mnts_mount **by_id;    /* sorted by id for lookup */
	uint64_t *ids;		      /* by_id[i]->id: searched without touching the mounts */
	struct mnts_mount **children; /* every mount's children, one slice each */

	struct mnts_snapshot *snap; /* the snapshot it is part of */
};

struct mnts_snapshot {
	int format_version;
	char *created;      /* RFC 3339 UTC, or NULL */
	char *tool_version; /* version of the mntsnap that wrote it */
	char *host_kernel, *host_arch, *host_name;
	/* /proc/sys/kernel/random/boot_id of the capturing machine (format 3):
	 * device numbers mean the same superblock only within one boot; NULL
	 * when not recorded */
	char *boot_id;
	char *method;  /* "listmount" or "mountinfo" */
	char *subtree; /* --subtree PATH, or NULL */
	char *selection; /* "all", "pid", "mount", "mountinfo" */

	struct mnts_ns *nss;
	size_t n_ns;
	size_t cap_ns;

	struct mnts_strv warnings;
	bool linked;

	/* string pool (see Ownership above): blocks of doubling size */
	struct mnts_pool_block {
		char *start;
		size_t size;
	} *pool;
	size_t n_pool;
	size_t pool_used; /* bytes taken in the last block */
	/* the blocks sorted by address, for ownership checks once there are
	 * many (a capture of many namespaces takes each one's blocks); built
	 * when n_pool_index != n_pool (the blocks only come and go in number) */
	struct mnts_pool_block *pool_index;
	size_t n_pool_index;
	/* the pooled vectors mnts_snapshot_strv_shared() made last, to share;
	 * bytes: their words' lengths summed */
	struct {
		char **v;
		size_t n, bytes;
	} shared[16];
	unsigned shared_next; /* the slot the next new one takes */
};

struct mnts_snapshot *mnts_snapshot_new(void);
void mnts_snapshot_free(struct mnts_snapshot *snap);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct mnts_snapshot *, mnts_snapshot_free)
#define _cleanup_snapshot_ _cleanup_(mnts_snapshot_freep)

/* A copy of s[0..len-1], NUL-terminated, in snap's string pool. */
char *mnts_snapshot_strndup(struct mnts_snapshot *snap, const char *s, size_t len);
/* A word of an option vector being built: not NUL-terminated. */
struct mnts_word {
	const char *s;
	size_t len;
};

/* Sets sv (empty) to a vector of the words w[0..n-1], pooled: one that
 * snap made lately with the same words, else a new one (see Ownership
 * above).  n = 0 leaves sv empty. */
void mnts_snapshot_strv_shared(struct mnts_snapshot *snap, struct mnts_strv *sv,
			       const struct mnts_word *w, size_t n);
/* Frees a string vector of snap's model, pooled or not, and empties it. */
void mnts_snapshot_strv_done(const struct mnts_snapshot *snap, struct mnts_strv *sv);
/* Moves src's string pool to dst: src's pooled strings become dst's.  For
 * a model built apart (on another thread, or before a retry is decided)
 * then moved in: nothing left in src may free them afterwards. */
void mnts_snapshot_take_pool(struct mnts_snapshot *dst, struct mnts_snapshot *src);
/* Frees s, a string of snap's model, unless it lies in snap's pool. */
void mnts_snapshot_free_str(const struct mnts_snapshot *snap, char *s);

/* Appends an empty namespace; the pointer is valid until the next add. */
struct mnts_ns *mnts_snapshot_add_ns(struct mnts_snapshot *snap, const char *label);
/* Appends an empty mount to ns; valid until the next add. */
struct mnts_mount *mnts_ns_add_mount(struct mnts_ns *ns);
void mnts_ns_add_pid(struct mnts_ns *ns, uint64_t pid);
void mnts_ns_add_pin(struct mnts_ns *ns, const char *holder_label, const char *path);
/* Frees the mounts of an unlinked ns whose keep[i] is false and closes the
 * gaps, in order. */
void mnts_ns_remove_mounts(struct mnts_ns *ns, const bool *keep);

/* Validates the snapshot and builds the derived fields (the rules of
 * spec/FORMAT.md §9): valid, unique labels; per namespace one root, every
 * parent present, no cycle, unique ids, paths absolute, normalised and
 * within PATH_MAX/NAME_MAX, each child's mountpoint at or below its
 * parent's; no two siblings on one mountpoint (the kernel stacks such
 * mounts); propagate_from only on a slave; nsfs.ns and pins naming
 * namespaces of the snapshot; a peer group's members on one superblock;
 * the master graph acyclic.
 * Errors name the namespace, mount id and field.  Returns: 0 or -errno. */
int mnts_snapshot_link(struct mnts_snapshot *snap, struct mnts_error *err);

/* A hash of a child's (parent index, mountpoint).  Children of one parent
 * differ at the end of their mountpoints (they share the parent's path), so
 * only the last 32 bytes and the length are hashed: deep trees have paths of
 * 500 bytes. */
uint64_t mnts_child_hash(size_t parent, const char *mountpoint);
/* How many children ahead the tables keyed by mnts_child_hash() (linking's
 * sibling check, the comparison's pairing) hash and fetch a slot: at 50,000
 * mounts every insert and probe is a cache miss, which the hashing of the
 * next ones need not wait for. */
#define MNTS_CHILD_PREFETCH 8

/* Lookups on a linked snapshot. Returns NULL when absent. */
struct mnts_mount *mnts_ns_find(const struct mnts_ns *ns, uint64_t id);
struct mnts_ns *mnts_snapshot_find_ns(const struct mnts_snapshot *snap, const char *label);

/* The longest namespace label. */
#define MNTS_LABEL_MAX 64

/* True when label is a namespace label (FORMAT.md §7): 1 to MNTS_LABEL_MAX
 * ASCII letters, digits, '_', '.' or '-', the first a letter or digit. */
bool mnts_label_is_valid(const char *label);

/* Moves every mountpoint of ns at or below from to the same place below to
 * (a --subtree snapshot rebuilt at "/", or a tree grafted with --root). */
void mnts_ns_rebase(struct mnts_ns *ns, const char *from, const char *to);

/* Every per-mount flag mount_setattr sets or clears (atime mode included). */
#define MNTS_MOUNT_ATTR_ALL_FLAGS                                                                  \
	(MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC |            \
	 MOUNT_ATTR__ATIME | MOUNT_ATTR_NODIRATIME | MOUNT_ATTR_NOSYMFOLLOW)

/* Whether word is one the kernel prints in mountinfo field 6 (FORMAT.md §4:
 * rw, ro, nosuid, ..., idmapped). */
bool mnts_mount_option_is_known(const char *word);
/* Per-mount flags as MOUNT_ATTR_* bits, from mount_options.  Unknown words
 * are ignored. */
uint64_t mnts_mount_attr_from_options(const struct mnts_strv *opts);
/* Writes the kernel's field-6 words for attr, in the kernel's order. */
void mnts_options_from_mount_attr(struct mnts_strv *out, uint64_t attr);
/* The same with the words in pool's string pool (NULL: malloc()ed); an
 * empty out gets a shared vector (mnts_snapshot_strv_shared()). */
void mnts_options_from_mount_attr_in(struct mnts_strv *out, uint64_t attr,
				     struct mnts_snapshot *pool);
