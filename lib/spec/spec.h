/* SPDX-License-Identifier: GPL-2.0-or-later */
/* spec.h - the textual mount-tree spec (spec/SPEC.md), parsed.
 *
 * Layer 1 (uses core only).  The parser turns text into this tree of
 * expectations; lib/check matches it against a snapshot, and spec_snap.c
 * turns it into a snapshot for replay.  Every field that the line did not
 * state is "unset" (NULL, false, MNTS_SPEC_UNSET): partial by construction. */
#ifndef MNTS_SPEC_SPEC_H
#define MNTS_SPEC_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/core/error.h"
#include "lib/core/model.h"

enum mnts_spec_tri { MNTS_SPEC_UNSET = 0, MNTS_SPEC_YES, MNTS_SPEC_NO };

#define MNTS_SPEC_NO_ANCESTOR SIZE_MAX

struct mnts_spec_mount {
	unsigned line, col;  /* where the mountpoint token starts, 1-based */
	size_t ancestor;     /* index of the enclosing line in ns->mounts, or
			      * MNTS_SPEC_NO_ANCESTOR */
	char *mountpoint;    /* absolute, normalised (relative forms resolved) */

	char *fstype;        /* NULL: not stated */
	char *source;
	char *sb_name;       /* sb=NAME */
	char *root;          /* root=PATH */
	bool bind;           /* `bind` or `bind=PATH` */
	char *bind_path;     /* bind=PATH, absolute normalised; NULL for `bind` */

	bool has_opts;               /* opts=LIST: the exact set */
	struct mnts_strv opts;
	bool has_sbopts;             /* sbopts=LIST: the exact list */
	struct mnts_strv sbopts;
	struct mnts_strv fsopts;     /* fsopt=KEY[=VALUE]: each must be present */

	/* bare flag words, as mountinfo option names: "ro", "nosuid", "nodev",
	 * "noexec", "noatime", "relatime", "nodiratime", "nosymfollow".
	 * flags_on must be set, flags_off must be clear (`rw` puts "ro" here,
	 * `strictatime` puts "noatime" and "relatime"). */
	struct mnts_strv flags_on, flags_off;

	/* propagation */
	bool private_;               /* `private` */
	bool shared;                 /* `shared` or `shared:NAME` */
	char *shared_name;           /* NAME or NULL */
	bool slave;                  /* `slave` or `slave:NAME` */
	char *master_name;           /* NAME or NULL */
	enum mnts_spec_tri unbindable;

	enum mnts_spec_tri deleted;
	char *nsfs_type;             /* nsfs=TYPE[:LABEL] */
	char *nsfs_ns;               /* LABEL or NULL */
	bool has_idmap;
	struct mnts_strv uid_map, gid_map; /* "IN OUT COUNT" lines, as in the model */

	bool exact;                  /* no unlisted mount at or below this one */
};

struct mnts_spec_ns {
	char *label;                 /* NULL for the default section */
	unsigned line;               /* of the [LABEL] line; 0 for the default */
	enum mnts_spec_tri owner_initial; /* userns=initial / userns=child */
	bool has_owner_maps;
	struct mnts_strv owner_uid_map, owner_gid_map;
	bool exact;
	struct mnts_spec_mount *mounts; /* in file order */
	size_t n_mounts;
};

struct mnts_spec {
	char *file;                  /* name used in messages ("-" for stdin) */
	struct mnts_spec_ns *ns;     /* the default section first, if any */
	size_t n_ns;
};

/* True when text looks like a spec rather than a JSON snapshot (its first
 * non-space byte is not '{'). */
bool mnts_spec_detect(const char *text, size_t len);

/* Parses text (len bytes, need not be NUL-terminated) into spec.  Errors are
 * "FILE:LINE:COL: RULE: message".  On error spec is left empty.
 * Returns: 0 or -EINVAL (syntax/rules), -ENOMEM. */
int mnts_spec_parse(struct mnts_spec *spec, const char *file, const char *text,
		    size_t len, struct mnts_error *err);

void mnts_spec_free(struct mnts_spec *spec);

#endif
