/* mapping_test.c - --map-source rules, host paths and overlay layers
 * (lib/replay/mapping.c): the pure part of moving a snapshot to another
 * host. */
#include <stdlib.h>
#include <string.h>

#include "lib/json/snapjson.h"
#include "lib/replay/mapping.h"
#include "tests/unit/tap.h"

/* One namespace: the root tmpfs, disk 0:50 at /srv/a, a bind of its /vol1
 * at /ct/data, and a file of the root filesystem (254:0, not in the
 * snapshot) bound at /ct/resolv.conf. */
static const char snap_json[] =
    "{\"capture\":{\"method\":null,\"selection\":null,\"subtree\":null},\"created\":null,"
    "\"format\":\"mntsnap\",\"format_version\":3,"
    "\"host\":{\"arch\":null,\"boot_id\":\"b\",\"hostname\":null,\"kernel\":null},"
    "\"namespaces\":[{\"label\":\"ns0\",\"mnt_ns_id\":null,\"mounts\":["
#define M(id, parent, dev, root, mp, fstype)                                                       \
	"{\"deleted\":false,\"dev\":\"" dev                                                        \
	"\",\"fs_label\":null,\"fs_uuid\":null,\"fstype\":\"" fstype "\",\"id\":" #id              \
	",\"idmap\":null,\"master_id\":0,\"mnt_id\":" #id                                          \
	",\"mount_options\":[\"rw\"],\"mountpoint\":\"" mp "\",\"nsfs\":null,\"parent\":" parent   \
	",\"propagate_from\":0,\"root\":\"" root                                                   \
	"\",\"root_type\":null,\"shared_id\":0,\"source\":\"s\","                                  \
	"\"super_options\":[\"rw\"],\"unbindable\":false}"
    M(1, "null", "0:40", "/", "/", "tmpfs") "," M(2, "1", "0:50", "/", "/srv/a", "tmpfs") "," M(
	3, "1", "0:50", "/vol1", "/ct/data",
	"tmpfs") "," M(4, "1", "254:0", "/etc/resolv.conf", "/ct/resolv.conf",
		       "ext4") "],\"ns_ino\":null,\"nsfs_paths\":[],\"owner_userns\":null,\"owner_"
			       "userns_ino\":null,"
			       "\"pids\":[],\"root_mount\":1}],\"tool\":{\"name\":\"mntsnap\","
			       "\"version\":null},"
			       "\"warnings\":[]}";

int main(void)
{
	struct mnts_map_rules rules = {0};
	struct mnts_error err = {0};

	TEST("rules: OLD=NEW split at the first '=', both absolute and normalised")
	{
		CHECK_INT(mnts_map_rule_add(&rules, "/srv/a=/data/a", "x", &err), 0);
		CHECK_INT(mnts_map_rule_add(&rules, "/srv/a/vol1=/v=1", "x", &err), 0);
		CHECK_STR(rules.v[1].new_path, "/v=1");
		CHECK(mnts_map_rule_add(&rules, "srv=/x", "--map-source 'srv=/x'", &err) < 0);
		CHECK_STR(err.msg,
			  "--map-source 'srv=/x': OLD 'srv': not an absolute normalised path");
		CHECK(mnts_map_rule_add(&rules, "/a", "y", &err) < 0);
		CHECK_STR(err.msg, "y: expected OLD=NEW");
		CHECK(mnts_map_rule_add(&rules, "/a=/b/", "y", &err) < 0);
		CHECK_INT(rules.n, 2);
	}
	TEST("the longest OLD containing the path wins, at a '/' boundary")
	{
		const char *rest = NULL;

		CHECK_INT(mnts_map_match(&rules, "/srv/a/vol1/x", &rest), 1);
		CHECK_STR(rest, "x");
		CHECK_INT(mnts_map_match(&rules, "/srv/a", &rest), 0);
		CHECK_STR(rest, "");
		CHECK_INT(mnts_map_match(&rules, "/srv/ab", &rest), -1);
	}
	TEST("host paths: from a mount whose root holds more, else the root itself")
	{
		struct mnts_snapshot *snap = NULL;
		struct mnts_host_paths *hp;
		const struct mnts_mount *w = NULL;
		char *p;

		CHECK_INT(mnts_snapshot_parse(snap_json, strlen(snap_json), "t", &snap, &err), 0);
		if (snap) {
			hp = mnts_host_paths_new(snap);
			p = mnts_host_path(hp, &snap->nss[0].mounts[2], "/vol1", &w);
			CHECK_STR(p, "/srv/a/vol1");
			CHECK(w == &snap->nss[0].mounts[1]);
			free(p);
			/* the disk itself: a whole filesystem is where it is */
			p = mnts_host_path(hp, &snap->nss[0].mounts[1], "/", &w);
			CHECK_STR(p, "/srv/a");
			free(p);
			/* the bind itself tells nothing: the root is the host path */
			p = mnts_host_path(hp, &snap->nss[0].mounts[3], "/etc/resolv.conf", &w);
			CHECK_STR(p, "/etc/resolv.conf");
			CHECK(w == NULL);
			free(p);
			mnts_host_paths_free(hp);
			mnts_snapshot_free(snap);
		}
	}
	TEST("overlay layers: lowerdir split (\\: escaped, :: before data layers), each mapped")
	{
		struct mnts_strv opts = {0};
		struct mnts_layers l;

		mnts_strv_push(&opts, "rw");
		mnts_strv_push(&opts, "lowerdir=/srv/a/l1:/x\\:y::/srv/a/data");
		mnts_strv_push(&opts, "upperdir=/srv/a/u");
		mnts_strv_push(&opts, "workdir=/w");
		mnts_strv_push(&opts, "index=on");
		mnts_layers_parse(&opts, &rules, &l);
		CHECK_INT(l.n, 5);
		CHECK_STR(l.v[0].key, "lowerdir+");
		CHECK_STR(l.v[0].new_base, "/data/a");
		CHECK_STR(l.v[0].rel, "l1");
		CHECK_STR(l.v[1].path, "/x:y");
		CHECK_INT(l.v[1].rule, -1);
		CHECK_STR(l.v[2].key, "datadir+");
		CHECK_STR(l.v[3].key, "upperdir");
		CHECK_INT(l.other.n, 2);
		CHECK_STR(l.other.v[1], "index=on");
		mnts_layers_done(&l);
		mnts_strv_clear(&opts);
	}
	TEST("overlay options rewritten both ways; lowerdir+= words joined as capture shows them")
	{
		struct mnts_strv opts = {0}, fwd = {0}, back = {0};

		mnts_strv_push(&opts, "rw");
		mnts_strv_push(&opts, "lowerdir=/srv/a/l1:/srv/a/l2");
		mnts_strv_push(&opts, "upperdir=/srv/a/u");
		CHECK(mnts_layers_rewrite(&opts, &rules, false, &fwd));
		CHECK_STR(fwd.v[1], "lowerdir=/data/a/l1:/data/a/l2");
		CHECK_STR(fwd.v[2], "upperdir=/data/a/u");
		mnts_strv_clear(&opts);
		/* what the kernel shows for layers given one by one */
		mnts_strv_push(&opts, "rw");
		mnts_strv_push(&opts, "lowerdir+=/data/a/l1");
		mnts_strv_push(&opts, "lowerdir+=/data/a/l2");
		mnts_strv_push(&opts, "datadir+=/d");
		mnts_strv_push(&opts, "upperdir=/data/a/u");
		CHECK(mnts_layers_rewrite(&opts, &rules, true, &back));
		CHECK_INT(back.n, 3);
		CHECK_STR(back.v[1], "lowerdir=/srv/a/l1:/srv/a/l2::/d");
		CHECK_STR(back.v[2], "upperdir=/srv/a/u");
		mnts_strv_clear(&opts);
		mnts_strv_clear(&fwd);
		mnts_strv_clear(&back);
	}
	mnts_map_rules_done(&rules);
	return tap_done();
}
