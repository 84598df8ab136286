# Helpers for capture.bats: building propagation layouts that mount(8)
# cannot (MOVE_MOUNT_SET_GROUP through python3 ctypes), and reading snapshots.

# mntctl set-group FROM TO | mntctl prop TARGET shared|slave|private|unbindable
# FROM/TO/TARGET: a path, or fd:N for an fd the shell holds (exec N<DIR), which
# reaches a mount that is covered by now.
mntctl() {
	python3 - "$@" <<'PY'
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
AT_FDCWD, AT_EMPTY_PATH = -100, 0x1000
def ref(s):
    return (int(s[3:]), b"") if s.startswith("fd:") else (AT_FDCWD, s.encode())
def check(r, what):
    if r < 0:
        e = ctypes.get_errno()
        sys.exit("mntctl: %s: %s" % (what, os.strerror(e)))
class MountAttr(ctypes.Structure):
    _fields_ = [(n, ctypes.c_uint64) for n in ("attr_set", "attr_clr", "propagation", "userns_fd")]
op = sys.argv[1]
if op == "set-group":
    (ffd, fp), (tfd, tp) = ref(sys.argv[2]), ref(sys.argv[3])
    flags = 0x100 | (0x4 if not fp else 0) | (0x40 if not tp else 0)
    check(libc.syscall(429, ctypes.c_int(ffd), ctypes.c_char_p(fp), ctypes.c_int(tfd),
                       ctypes.c_char_p(tp), ctypes.c_uint(flags)), "set-group " + " ".join(sys.argv[2:]))
elif op == "prop":
    fd, p = ref(sys.argv[2])
    prop = {"shared": 1 << 20, "slave": 1 << 19, "private": 1 << 18, "unbindable": 1 << 17}[sys.argv[3]]
    a = MountAttr(0, 0, prop, 0)
    check(libc.syscall(442, ctypes.c_int(fd), ctypes.c_char_p(p),
                       ctypes.c_uint(AT_EMPTY_PATH if not p else 0), ctypes.byref(a),
                       ctypes.c_size_t(32)), "prop " + " ".join(sys.argv[2:]))
else:
    sys.exit("mntctl: unknown op " + op)
PY
}

# pin_ns FILE UNSHARE-ARGS...: a new mount namespace kept alive only by an
# nsfs bind mount at FILE.  The kernel refuses (EINVAL) to bind a namespace
# whose id is not above ours, and ids come in per-CPU batches, so try the
# unshare on each CPU in turn.
pin_ns() {
	local file=$1 cpu
	shift
	for cpu in $(seq 0 $(($(nproc) - 1))); do
		taskset -c "$cpu" unshare --mount="$file" "$@" 2>/dev/null && return 0
	done
	unshare --mount="$file" "$@"
}

# mkgroup_chain BASE: helper mounts BASE/h1..h3 on one tmpfs (BASE/src) with
# groups h1 (g1,0), h2 (g2,g1), h3 (g3,g2).  BASE must be a private mount.
mkgroup_chain() {
	local b=$1
	mkdir -p "$b/src" "$b/h1" "$b/h2" "$b/h3" "$b/h4"
	mount -t tmpfs seedsrc "$b/src"
	mkdir -p "$b/src/sub/sub/sub"
	mount --make-private "$b/src"
	for h in h1 h2 h3 h4; do mount --bind "$b/src" "$b/$h"; done
	mount --make-shared "$b/h1"
	mntctl set-group "$b/h1" "$b/h2"; mount --make-slave "$b/h2"; mount --make-shared "$b/h2"
	mntctl set-group "$b/h2" "$b/h3"; mount --make-slave "$b/h3"; mount --make-shared "$b/h3"
	mntctl set-group "$b/h3" "$b/h4"; mount --make-slave "$b/h4"; mount --make-shared "$b/h4"
}

# the mounts of namespace 0 at or below $2 as TSV: mountpoint id parent shared master pf
mounts_below() {
	jq -r --arg p "$2" '.namespaces[0].mounts[] | select(.mountpoint == $p or (.mountpoint | startswith($p + "/")))
		| [.mountpoint, .id, (.parent // 0), .shared_id, .master_id, .propagate_from] | @tsv' "$1"
}

# JSON without the numbering: each mount's parent as its parent's mnt_id, no
# id, no root_mount, no capture method; for comparing the two backends.
strip_ids() {
	jq '[.namespaces[] | (.mounts | map({key: (.id|tostring), value: .mnt_id}) | from_entries) as $m
		| {label: .label, mnt_ns_id: .mnt_ns_id, ns_ino: .ns_ino, pids: .pids, nsfs_paths: .nsfs_paths,
		   mounts: [.mounts[] | .parent = (if .parent == null then null else $m[.parent|tostring] end)
			    | del(.id)]}]' "$1"
}

# capture_rows B T: captures this namespace into $TMP/snap.json (checked
# against the schema), sets base_id (the mount on B) and, for the four mounts
# at or below T in kernel order, rows (their TSV lines) and mpK idK parK shK
# maK pfK (K = 0..3).
capture_rows() {
	"$MNTSNAP" capture -p $$ > "$TMP/snap.json"
	schema_check "$TMP/snap.json"
	base_id=$(jq --arg p "$1" ".namespaces[0].mounts[] | select(.mountpoint == \$p) | .id" "$TMP/snap.json")
	mapfile -t rows < <(mounts_below "$TMP/snap.json" "$2")
	[ ${#rows[@]} = 4 ]
	read -r mp0 id0 par0 sh0 ma0 pf0 <<< "${rows[0]}"
	read -r mp1 id1 par1 sh1 ma1 pf1 <<< "${rows[1]}"
	read -r mp2 id2 par2 sh2 ma2 pf2 <<< "${rows[2]}"
	read -r mp3 id3 par3 sh3 ma3 pf3 <<< "${rows[3]}"
	echo "${rows[@]}"
}

# validates with spec/mntsnap.schema.json when the docs have it
schema_check() {
	local schema="$TOP/spec/mntsnap.schema.json"
	[ -f "$schema" ] || return 0
	python3 -c 'import json, sys, jsonschema
jsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1])))' "$schema" "$1"
}
