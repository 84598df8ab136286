/* steps_test.c - the table of step kinds: every kind has an entry, and a
 * step reads from the object its kind names (no kernel, no root). */
#include <ctype.h>

#include "lib/replay/steps.h"
#include "tests/unit/tap.h"

/* One step of kind k on object 0, read. */
static const char *text(struct mnts_plan *plan, enum mnts_step_kind k, const char *rel)
{
	static char buf[2048];
	struct mnts_step step = {.kind = k, .obj = 0, .dst = -1, .src = -1, .aux = -1,
				 .keep = -1, .rel = rel};

	plan->steps = &step;
	plan->n_steps = 1;
	mnts_plan_step_text(plan, 0, buf, sizeof(buf));
	plan->steps = NULL;
	plan->n_steps = 0;
	return buf;
}

int main(void)
{
	TEST("every step kind has a name, a run and a describe")
	{
		for (int k = 0; k < MNTS_STEP__COUNT; k++) {
			const struct mnts_step_kind_def *d = &mnts_step_kinds[k];

			CHECK(d->name && d->run && d->describe);
			if (!d->name)
				continue;
			for (const char *p = d->name; *p; p++)
				CHECK(islower((unsigned char)*p) || *p == '_');
			for (int j = 0; j < k; j++)
				CHECK(strcmp(mnts_step_kinds[j].name, d->name) != 0);
		}
	}

	/* ns0: "/" (tmpfs 0:40) and "/a" under it, shared in group 7 */
	struct mnts_ns ns = {.label = "ns0"};
	struct mnts_mount root = {.mountpoint = "/", .ns = &ns, .dev_minor = 40};
	struct mnts_mount a = {.mountpoint = "/a",
			       .ns = &ns,
			       .parent = &root,
			       .dev_minor = 40,
			       .shared_id = 7};
	struct mnts_plan_sb sb = {.fstype = "tmpfs", .dev_minor = 40, .first = &root};
	struct mnts_plan_mount pm = {
	    .m = &a, .snap_ns = -1, .sb = 0, .nsfs_of = -1, .group = 0, .slave_of = -1};
	struct mnts_plan_group g = {.shared_id = 7, .master = -1};
	struct mnts_plan_ns pn = {.ns = &ns};
	__typeof__(*((struct mnts_plan *)0)->opts) opts = {.new_dir = "/run/x"};
	struct mnts_plan plan = {.sbs = &sb,
				 .n_sbs = 1,
				 .mounts = &pm,
				 .n_mounts = 1,
				 .groups = &g,
				 .n_groups = 1,
				 .nss = &pn,
				 .n_nss = 1,
				 .opts = &opts};

	root.source = "none";
	TEST("a step reads from the object its kind names")
	{
		CHECK_STR(text(&plan, MNTS_STEP_NS_CREATE, NULL), "create mount namespace for 'ns0'");
		CHECK_STR(text(&plan, MNTS_STEP_SB_RO, NULL),
			  "make tmpfs superblock (was 0:40) read-only");
		CHECK_STR(text(&plan, MNTS_STEP_ATTACH, "a"), "attach 'ns0:/a' onto 'ns0:/'");
		CHECK_STR(text(&plan, MNTS_STEP_JOIN, NULL), "join 'ns0:/a' to peer group 7");
		CHECK_STR(text(&plan, MNTS_STEP_ANCHOR, NULL), "anchor peer group 7");
		CHECK_STR(text(&plan, MNTS_STEP_DROP, NULL),
			  "drop group anchors and superblock sources");
		CHECK_STR(text(&plan, MNTS_STEP_PIN, NULL), "pin 'ns0' at '/run/x/ns0'");
		CHECK_STR(text(&plan, MNTS_STEP_SB_FRESH, NULL),
			  "create tmpfs superblock (was 0:40) source 'none' options '' "
			  "(never options: shared type)");
	}
	return tap_done();
}
