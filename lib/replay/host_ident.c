/* host_ident.c - finding a snapshot's superblocks on this host by what
 * identifies them beyond one boot (see host.h): the boot id, the block
 * device by UUID or by source path, and whether overlay layers exist. */
#include <blkid.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "lib/capture/identity.h"
#include "lib/core/log.h"
#include "lib/core/u64map.h"
#include "lib/replay/host.h"
#include "lib/replay/mapping.h"
#include "lib/replay/resolve.h"

static bool wanted(const struct mnts_plan_opts *opts, const struct mnts_ns *ns)
{
	for (size_t i = 0; i < opts->n_ns_labels; i++)
		if (streq(opts->ns_labels[i], ns->label))
			return true;
	return opts->n_ns_labels == 0;
}

/* path, when it is a block device: its number. */
static bool block_dev(const char *path, dev_t *ret)
{
	struct stat st;

	if (!path || path[0] != '/' || stat(path, &st) < 0 || !S_ISBLK(st.st_mode))
		return false;
	*ret = st.st_rdev;
	return true;
}

/* The device holding m's filesystem here: by UUID; else, from this boot,
 * the recorded source if it is that very device, and from another boot,
 * the recorded source if it is a block device at all. */
static bool find_dev(const struct mnts_host *h, const struct mnts_mount *m,
		     struct mnts_host_dev *out)
{
	_cleanup_free_ char *by_uuid = NULL;
	dev_t rdev;

	if (m->fs_uuid) {
		by_uuid = blkid_evaluate_tag("UUID", m->fs_uuid, NULL);
		if (by_uuid && block_dev(by_uuid, &rdev)) {
			out->path = TAKE_PTR(by_uuid);
			out->by_uuid = true;
			goto found;
		}
	}
	if (!block_dev(m->source, &rdev))
		return false;
	if (!h->other_boot && (major(rdev) != m->dev_major || minor(rdev) != m->dev_minor))
		return false;
	out->path = xstrdup(m->source);
found:
	out->here_major = major(rdev);
	out->here_minor = minor(rdev);
	return true;
}

/* The layers of overlay m that would be opened here and are not there. */
static void check_layers(struct mnts_host *h, const struct mnts_mount *m,
			 const struct mnts_plan_opts *opts)
{
	struct mnts_layers layers;

	mnts_layers_parse(&m->super_options, opts->map_rules, &layers);
	for (size_t i = 0; i < layers.n; i++) {
		const struct mnts_layer *l = &layers.v[i];
		_cleanup_free_ char *here = mnts_layer_here(l);
		_cleanup_close_ int base = -1, fd = -1;

		if (l->rule >= 0) {
			base = open(l->new_base, O_PATH | O_DIRECTORY | O_CLOEXEC);
			fd = base < 0 ? -1 : mnts_open_beneath(base, l->rel);
		} else {
			fd = open(l->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		}
		if (fd < 0 && !mnts_strv_contains(&h->missing_layers, here))
			mnts_strv_push(&h->missing_layers, here);
	}
	mnts_layers_done(&layers);
}

void mnts_host_gather_ident(struct mnts_host *h, const struct mnts_snapshot *snap,
			    const struct mnts_plan_opts *opts)
{
	_cleanup_free_ char *boot = mnts_boot_id();
	struct mnts_u64map seen = {0};

	if (!snap->boot_id)
		mnts_debug(1, "the snapshot records no boot id: its device numbers are taken to "
			      "name this boot's superblocks, as if it was captured here");
	h->other_boot = snap->boot_id && boot && !streq(snap->boot_id, boot);
	for (size_t n = 0; n < snap->n_ns; n++) {
		const struct mnts_ns *ns = &snap->nss[n];

		if (!wanted(opts, ns))
			continue;
		for (size_t i = 0; i < ns->n_mounts; i++) {
			const struct mnts_mount *m = &ns->mounts[i];
			uint64_t key = (uint64_t)m->dev_major << 32 | m->dev_minor;
			struct mnts_host_dev d = {.dev_major = m->dev_major,
						  .dev_minor = m->dev_minor};

			/* major 0 is an anonymous device: nothing to find by */
			if (m->nsfs_type || (m->dev_major == 0 && !mnts_fs_is_layered(m->fstype)))
				continue;
			if (mnts_u64map_get(&seen, key) >= 0)
				continue; /* once per superblock */
			mnts_u64map_put(&seen, key, 1);
			if (mnts_fs_is_layered(m->fstype)) {
				check_layers(h, m, opts);
				continue;
			}
			/* from this boot a live mount of it is found by number */
			if (!h->other_boot &&
			    mnts_live_find(&h->live, m->dev_major, m->dev_minor, m->fstype, "/"))
				continue;
			if (!find_dev(h, m, &d))
				continue;
			h->devs = xreallocarray(h->devs, h->n_devs + 1, sizeof(*h->devs));
			h->devs[h->n_devs++] = d;
		}
	}
	mnts_u64map_free(&seen);
}

void mnts_host_ident_done(struct mnts_host *h)
{
	for (size_t i = 0; i < h->n_devs; i++)
		free(h->devs[i].path);
	free(h->devs);
	h->devs = NULL;
	h->n_devs = 0;
	mnts_strv_clear(&h->missing_layers);
}

const struct mnts_host_dev *mnts_host_dev_find(const struct mnts_host *h, uint32_t dev_major,
					       uint32_t dev_minor)
{
	for (size_t i = 0; i < h->n_devs; i++)
		if (h->devs[i].dev_major == dev_major && h->devs[i].dev_minor == dev_minor)
			return &h->devs[i];
	return NULL;
}
