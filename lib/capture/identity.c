/* identity.c - boot id and filesystem UUIDs and labels (see identity.h) */
#include <blkid.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "lib/capture/identity.h"
#include "lib/core/macros.h"
#include "lib/core/readfile.h"
#include "lib/core/u64map.h"

char *mnts_boot_id(void)
{
	_cleanup_close_ int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	_cleanup_free_ char *text = NULL;
	size_t len = 0;

	if (fd < 0 || mnts_read_fd(fd, &text, &len) < 0)
		return NULL;
	while (len && (text[len - 1] == '\n' || text[len - 1] == ' '))
		text[--len] = '\0';
	return len ? TAKE_PTR(text) : NULL;
}

struct ident {
	char *uuid, *label;
};

/* Whether path is the block device dev (no symlink followed at its end, and
 * a block device: opening it for the probe has no effect). */
static bool is_block_dev(const char *path, uint32_t major, uint32_t minor)
{
	struct stat st;

	return path && path[0] == '/' && stat(path, &st) == 0 && S_ISBLK(st.st_mode) &&
	       major(st.st_rdev) == major && minor(st.st_rdev) == minor;
}

static void probe(const char *path, struct ident *out)
{
	blkid_probe pr = blkid_new_probe_from_filename(path);
	const char *v;

	if (!pr)
		return;
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_UUID | BLKID_SUBLKS_LABEL);
	if (blkid_do_safeprobe(pr) == 0) {
		if (blkid_probe_lookup_value(pr, "UUID", &v, NULL) == 0 && *v)
			out->uuid = xstrdup(v);
		if (blkid_probe_lookup_value(pr, "LABEL", &v, NULL) == 0 && *v)
			out->label = xstrdup(v);
	}
	blkid_free_probe(pr);
}

/* The identity of m's superblock: probed once per device number. */
static const struct ident *sb_ident(const struct mnts_mount *m, struct mnts_u64map *seen,
				    struct ident **v, size_t *n)
{
	uint64_t key = (uint64_t)m->dev_major << 32 | m->dev_minor;
	int i = mnts_u64map_get(seen, key);
	char path[64];
	struct ident id = {0};

	if (i >= 0)
		return &(*v)[i];
	/* major 0: an anonymous device (tmpfs, overlay, btrfs subvolumes...) */
	if (m->dev_major != 0) {
		snprintf(path, sizeof(path), "/dev/block/%u:%u", m->dev_major, m->dev_minor);
		if (is_block_dev(m->source, m->dev_major, m->dev_minor))
			probe(m->source, &id);
		else if (is_block_dev(path, m->dev_major, m->dev_minor))
			probe(path, &id);
	}
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[*n] = id;
	mnts_u64map_put(seen, key, (int)*n);
	return &(*v)[(*n)++];
}

void mnts_capture_identity(struct mnts_snapshot *snap, const bool *live)
{
	struct mnts_u64map seen = {0};
	struct ident *v = NULL;
	size_t n = 0;
	bool any = false;

	for (size_t i = 0; i < snap->n_ns; i++) {
		struct mnts_ns *ns = &snap->nss[i];

		if (!live[i])
			continue;
		any = true;
		for (size_t k = 0; k < ns->n_mounts; k++) {
			struct mnts_mount *m = &ns->mounts[k];
			const struct ident *id;

			if (m->dev_major == 0 || m->nsfs_type)
				continue; /* the common case: no lookup at all */
			id = sb_ident(m, &seen, &v, &n);
			if (id->uuid)
				m->fs_uuid = xstrdup(id->uuid);
			if (id->label)
				m->fs_label = xstrdup(id->label);
		}
	}
	if (any)
		snap->boot_id = mnts_boot_id();
	for (size_t i = 0; i < n; i++) {
		free(v[i].uuid);
		free(v[i].label);
	}
	free(v);
	mnts_u64map_free(&seen);
}
