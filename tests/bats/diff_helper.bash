# Helpers for diff.bats: variants of fixtures/diff/base.json made with jq,
# a consistent renumbering, and a large generated snapshot.

DIFF_FIXTURES="$BATS_TEST_DIRNAME/fixtures/diff"
BASE="$DIFF_FIXTURES/base.json"

# jq functions every variant filter can use:
#   mnt(NS; MOUNTPOINT)  the mount(s) on MOUNTPOINT in namespace NS (a path
#                        expression: usable on the left of = and in del())
#   byid(ID)             the mount with this id
#   nsm(NS)              the namespace labelled NS
JQ_DEFS='
def nsm($l): .namespaces[] | select(.label == $l);
def mnt($l; $mp): nsm($l).mounts[] | select(.mountpoint == $mp);
def byid($id): .namespaces[].mounts[] | select(.id == $id);
'

# variant 'FILTER' [FILE]: FILE (default the base) changed by a jq FILTER.
variant() {
	jq "$JQ_DEFS $1" "${2:-$BASE}"
}

# renumber [FILE]: the same layout with every kernel number changed
# consistently: mount ids, parents, old ids, peer group numbers (external
# masters too), anonymous devices (major 0), namespace ids and inodes; the
# mounts listed in reverse order.
renumber() {
	jq '
	def g: if . == 0 then 0 else . + 1000 end;
	def dev: (split(":") | map(tonumber)) as [$maj, $min]
		| if $maj == 0 then "0:\($min + 500)" else "\($maj):\($min)" end;
	.namespaces |= map(
		.mnt_ns_id += 7000 | .ns_ino += 17 | .root_mount += 5000
		| .mounts |= (map(
			.id += 5000 | .mnt_id += 300
			| .parent |= (if . == null then null else . + 5000 end)
			| .shared_id |= g | .master_id |= g | .propagate_from |= g
			| .dev |= dev
			| if .nsfs then .nsfs.ino += 17 else . end
		) | reverse))' "${1:-$BASE}"
}

# gen_big N FILE: a snapshot of N mounts in one namespace, a capture-like
# mix: a tree of tmpfs directories, bind peers in groups of 5, slaves.
gen_big() {
	python3 - "$1" "$2" <<'PY'
import json, sys
n, out = int(sys.argv[1]), sys.argv[2]
mounts = [{"id": 1, "mnt_id": 1, "parent": None, "dev": "8:1", "root": "/", "mountpoint": "/",
	   "fstype": "ext4", "source": "/dev/sda1", "mount_options": ["rw", "relatime"],
	   "super_options": ["rw"], "shared_id": 1, "master_id": 0, "propagate_from": 0,
	   "unbindable": False, "deleted": False, "nsfs": None, "idmap": None}]
for i in range(1, n):
	parent = 1 if i < 100 else (i % 100) + 1
	pmp = mounts[parent - 1]["mountpoint"]
	grp = 2 + i // 5 if i % 3 else 0
	mounts.append({"id": i + 1, "mnt_id": i + 1, "parent": parent, "dev": "0:%d" % (100 + i // 5),
		"root": "/", "mountpoint": (pmp if pmp != "/" else "") + "/d%d" % i, "fstype": "tmpfs",
		"source": "tmpfs", "mount_options": ["rw", "nosuid", "relatime"],
		"super_options": ["rw", "size=1024k"], "shared_id": grp,
		"master_id": grp - 1 if grp > 2 and grp % 7 == 0 else 0,
		"propagate_from": 0, "unbindable": False, "deleted": False, "nsfs": None, "idmap": None})
doc = {"format": "mntsnap", "format_version": 1, "tool": {"name": "mntsnap", "version": "0.1.0"},
       "created": None, "host": {"kernel": None, "arch": None, "hostname": None},
       "capture": {"method": "listmount", "subtree": None, "selection": "all"},
       "namespaces": [{"label": "ns0", "mnt_ns_id": 4, "ns_ino": None, "owner_userns_ino": None,
		       "pids": [], "nsfs_paths": [], "root_mount": 1, "mounts": mounts}],
       "warnings": []}
json.dump(doc, open(out, "w"))
PY
}

# Script prelude for live tests (run by in_private_ns): a private tmpfs at
# $S to build layouts in, and snap NAME capturing it to $TMP/NAME.json.
LIVE_PRELUDE='
S=$TMP/s
mkdir -p "$S"
mount -t tmpfs -o size=1m scratch "$S"
cd "$S"
snap() { "$MNTSNAP" capture -p $$ --subtree "$S" -o "$TMP/$1.json"; }
'

# Live tests need the capture command (skips only while it is the placeholder
# that answers even --help with "not implemented").
require_capture() {
	require_root
	"$MNTSNAP" capture --help >/dev/null 2>&1 || skip "capture is not built in"
}
