#!/usr/bin/env bats
# Replay at the kernel's limits: a stack of mounts as deep as a tree gets
# (every mount on the one below it), replayed into a new namespace.
#
# N is 20,000, not fs.mount-max (100,000): building and replaying 100,000
# mounts takes minutes on the shared 2-core test machine, where every mount
# operation waits on the kernel's one global namespace lock (the 100,000
# case, measured by hand, is in the report of issue 11, section 6).

load test_helper

setup() {
	require_root
}

# stack_mounts N DIR [shared]: N tmpfs stacked on DIR, each attached onto
# the previous one by fd (a path would cross the whole stack each time),
# each made shared with "shared".
# shellcheck disable=SC2016
STACK_MOUNTS='
stack_mounts() {
	python3 - "$1" "$2" "${3:-}" <<"PY"
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
def sc(nr, *args):
    r = libc.syscall(nr, *args)
    if r < 0:
        sys.exit("syscall %d: %s" % (nr, os.strerror(ctypes.get_errno())))
    return r
FSOPEN, FSCONFIG, FSMOUNT, MOVE_MOUNT, MOUNT_SETATTR = 430, 431, 432, 429, 442
MS_SHARED = 1 << 20
shared = (ctypes.c_uint64 * 4)(0, 0, MS_SHARED, 0)  # struct mount_attr
top = os.open(sys.argv[2], os.O_PATH)
for i in range(int(sys.argv[1])):
    fs = sc(FSOPEN, b"tmpfs", 1)
    sc(FSCONFIG, fs, 6, None, None, 0)  # FSCONFIG_CMD_CREATE
    m = sc(FSMOUNT, fs, 1, 0)
    os.close(fs)
    sc(MOVE_MOUNT, m, b"", top, b"", 0x4 | 0x40)  # F_ and T_EMPTY_PATH
    if sys.argv[3] == "shared":
        sc(MOUNT_SETATTR, m, b"", 0x1000, ctypes.byref(shared), 32)  # AT_EMPTY_PATH
    os.close(top)
    top = m
PY
}

# stack_snapshot N [shared]: $b/snap.json, a capture of the tmpfs $b/l with
# N mounts stacked on $b/l/a (stack_mounts); $b/out is empty.
stack_snapshot() {
	b=$TMP/b
	mkdir -p "$b"
	mount -t tmpfs base "$b"
	mkdir "$b/l" "$b/out"
	mount -t tmpfs layout "$b/l"
	mkdir "$b/l/a"
	stack_mounts "$1" "$b/l/a" "${2:-}"
	"$MNTSNAP" capture --pid=$$ --subtree="$b/l" -o "$b/snap.json"
}
'

@test "limits: 20,000 mounts stacked on one path replay into a new namespace" {
	run in_private_ns "$STACK_MOUNTS"'
		source "$TOP/tests/bats/roundtrip_helper.bash"
		n=20000
		stack_snapshot "$n"
		"$MNTSNAP" replay --mkdir --new="$b/out" "$b/snap.json"
		ns_mountinfo "$b/out/ns0" >"$b/out.mi"
		echo "mounts=$(wc -l <"$b/out.mi")"
		echo "on-a=$(awk "\$5 == \"/a\"" "$b/out.mi" | wc -l)"'
	assert_success
	assert_line "mounts=20001"
	assert_line "on-a=20000"
}

# Every level of a shared stack keeps its fd until its children are in (its
# propagation is set last): more fds than a hard limit below the stack's
# depth allows, which replay raises where it has CAP_SYS_RESOURCE.
@test "limits: a stack of shared mounts deeper than the fd hard limit replays" {
	if ! (ulimit -n 1024 && ulimit -Hn 4096) 2>/dev/null; then
		skip "no CAP_SYS_RESOURCE: the fd hard limit cannot be raised here"
	fi
	run in_private_ns "$STACK_MOUNTS"'
		source "$TOP/tests/bats/roundtrip_helper.bash"
		stack_snapshot 1500 shared
		(ulimit -n 1024 && "$MNTSNAP" replay --mkdir --new="$b/out" "$b/snap.json")
		ns_mountinfo "$b/out/ns0" >"$b/out.mi"
		echo "shared-on-a=$(awk "\$5 == \"/a\" && \$7 ~ /^shared:/" "$b/out.mi" | wc -l)"'
	assert_success
	assert_line "shared-on-a=1500"
}

# snapshot_stacked N LABEL [flat]: a snapshot (stdout) of one namespace
# LABEL, a tmpfs root and N-1 tmpfs stacked on /a (with "flat": N-1 tmpfs
# side by side on /m<i>): N mounts, nothing mounted to make it.
snapshot_stacked() {
	python3 - "$1" "$2" "${3:-stack}" <<"PY"
import json, sys
n, label, flat = int(sys.argv[1]), sys.argv[2], sys.argv[3] == "flat"
def mount(i):
    return {"deleted": False, "dev": "0:%d" % (1000 + i), "fstype": "tmpfs", "id": i,
            "idmap": None, "master_id": 0, "mnt_id": i, "mount_options": ["rw"],
            "mountpoint": "/" if i == 1 else "/m%d" % i if flat else "/a", "nsfs": None,
            "parent": None if i == 1 else 1 if flat else i - 1, "propagate_from": 0, "root": "/",
            "shared_id": 0, "source": "none", "super_options": ["rw"], "unbindable": False}
json.dump({"capture": {"method": "mountinfo", "selection": "pid", "subtree": None},
           "created": "2026-01-01T00:00:00Z", "format": "mntsnap", "format_version": 1,
           "host": {"arch": "x86_64", "hostname": "h", "kernel": "6.18"},
           "namespaces": [{"label": label, "mnt_ns_id": None,
                           "mounts": [mount(i) for i in range(1, n + 1)],
                           "ns_ino": 4026532300, "nsfs_paths": [], "owner_userns_ino": None,
                           "pids": [], "root_mount": 1}],
           "tool": {"name": "mntsnap", "version": "0.1.0"}, "warnings": []}, sys.stdout)
PY
}

# A namespace holds at most fs.mount-max - 1 mounts (measured on 6.18: the
# kernel refuses the next mount(2) or move_mount() into it with ENOSPC), so
# that is the largest tree a capture can hold.  The up-front check passes
# such a tree and refuses one more before anything is made.  (A directory
# where the pin goes stops the replay in its preflight, so nothing is
# mounted.)
@test "limits: the up-front check passes the most mounts a namespace holds and refuses one more" {
	max=$(cat /proc/sys/fs/mount-max)
	[ "$max" -le 200000 ] || skip "fs.mount-max is $max: too many to plan here"
	snapshot_stacked "$((max - 1))" ns0 >"$BATS_TEST_TMPDIR/fits.json"
	snapshot_stacked "$max" ns0 >"$BATS_TEST_TMPDIR/over.json"
	mkdir -p "$BATS_TEST_TMPDIR/out/ns0" "$BATS_TEST_TMPDIR/empty"
	run -2 in_private_ns '"$MNTSNAP" replay --new="$TMP/out" "$TMP/fits.json"'
	assert_output "mntsnap: replay: pin '$BATS_TEST_TMPDIR/out/ns0': exists and is not a pin (a regular file with nothing mounted on it)"
	run -2 in_private_ns '"$MNTSNAP" replay --new="$TMP/empty" "$TMP/over.json"'
	assert_output "mntsnap: replay: namespace 'ns0': needs $max mounts, a namespace holds at most $((max - 1)) (fs.mount-max $max): No space left on device"
}

# ... and replays it: a new namespace of fs.mount-max - 1 mounts (a root
# and its children side by side: 99,999 tmpfs at the default, about 4 s
# here; a stack as tall takes the kernel minutes, see the top).  The seed
# mount is gone before the root's last child goes in, or the namespace
# would need one mount more than it can hold.
@test "limits: a tree of the most mounts a namespace holds replays into a new namespace" {
	max=$(cat /proc/sys/fs/mount-max)
	[ "$max" -le 100000 ] || skip "fs.mount-max is $max: too many to replay here"
	snapshot_stacked "$((max - 1))" ns0 flat >"$BATS_TEST_TMPDIR/full.json"
	run in_private_ns '
		source "$TOP/tests/bats/roundtrip_helper.bash"
		mkdir "$TMP/out"
		mount -t tmpfs out "$TMP/out"
		"$MNTSNAP" replay --fresh --mkdir --new="$TMP/out" "$TMP/full.json"
		echo "mounts=$(ns_mountinfo "$TMP/out/ns0" | wc -l)"
		"$MNTSNAP" capture -m "$TMP/out/ns0" -o "$TMP/copy.json"
		"$MNTSNAP" diff -q "$TMP/full.json" "$TMP/copy.json" && echo same'
	assert_success
	assert_line "mounts=$((max - 1))"
	assert_line same
}

# ... stacked on one path too (the "stack" of the top of this file at the
# kernel's limit): the chain is built in detached segments (plan_steps.c),
# or the kernel's walks along it make this take minutes.  Reading such a
# namespace is quadratic in the kernel (each mount's path is found by a
# walk down the stack), so the replay is not verified here, and the count
# comes from NS_MNT_GET_INFO.
@test "limits: a stack of the most mounts a namespace holds replays into a new namespace" {
	max=$(cat /proc/sys/fs/mount-max)
	[ "$max" -le 100000 ] || skip "fs.mount-max is $max: too many to replay here"
	snapshot_stacked "$((max - 1))" ns0 >"$BATS_TEST_TMPDIR/stack.json"
	run in_private_ns '
		mkdir "$TMP/out"
		mount -t tmpfs out "$TMP/out"
		"$MNTSNAP" replay --fresh --no-verify --mkdir --new="$TMP/out" "$TMP/stack.json"
		python3 - "$TMP/out/ns0" <<"PY"
import fcntl, os, struct, sys
NS_MNT_GET_INFO = (2 << 30) | (16 << 16) | (0xb7 << 8) | 10  # _IOR(0xb7, 10, 16 bytes)
fd = os.open(sys.argv[1], os.O_RDONLY)
info = fcntl.ioctl(fd, NS_MNT_GET_INFO, struct.pack("=IIQ", 16, 0, 0))
print("mounts=%d" % struct.unpack("=IIQ", info)[1])
PY
		umount -l "$TMP/out/ns0"'
	assert_success
	assert_line "mounts=$((max - 1))"
}

# What makes that true, at a size that does not hog the machine: the most
# mounts a new namespace ever holds (-vv prints it) is the tree's, never
# the tree's and the seed's.  A root with /a, /b and /c, /c holding /c/d
# and /c/e: the seed, the root, /a and /b (5), then /c's subtree; a stack
# of 20 on /a: the seed and the root (2), then the stack.
@test "limits: a new namespace never holds its tree and its seed mount at once" {
	run in_private_ns "$STACK_MOUNTS"'
		source "$TOP/tests/bats/roundtrip_helper.bash"
		L=$TMP/l
		mkdir -p "$L" "$TMP/out" "$TMP/out2"
		mount -t tmpfs layout "$L"
		mkdir "$L/a" "$L/b" "$L/c"
		for d in a b c; do mount -t tmpfs "$d" "$L/$d"; done
		mkdir "$L/c/d" "$L/c/e"
		mount -t tmpfs d "$L/c/d"
		mount -t tmpfs e "$L/c/e"
		"$MNTSNAP" capture -p $$ --subtree "$L" -o "$TMP/tree.json"
		"$MNTSNAP" -vv replay --new="$TMP/out" "$TMP/tree.json" 2>&1 |
			grep "new namespace:" | sed "s/^/tree: /"
		echo "tree-mounts=$(ns_mountinfo "$TMP/out/ns0" | wc -l)"
		stack_snapshot 20
		"$MNTSNAP" -vv replay --new="$TMP/out2" "$b/snap.json" 2>&1 |
			grep "new namespace:" | sed "s/^/stack: /"
		echo "stack-mounts=$(ns_mountinfo "$TMP/out2/ns0" | wc -l)"'
	assert_success
	assert_line "tree: mntsnap: new namespace: 4 mounts with its seed, the most it holds"
	assert_line "tree-mounts=6"
	assert_line "stack: mntsnap: new namespace: 2 mounts with its seed, the most it holds"
	assert_line "stack-mounts=21"
}

# The root's last child goes in from inside its namespace: the next
# namespace is still populated from the caller's, and the first root's
# unbindable (set from inside it, after every namespace is populated)
# reaches it.  Two namespaces: ns0 an unbindable root with /a, ns1 a root
# alone (no child to hold).
@test "limits: a held last child leaves the replay in the caller's namespace for the next one" {
	python3 - "$BATS_TEST_TMPDIR/two.json" <<"PY"
import json, sys
def m(i, parent, mp, dev, unbindable=False):
    return {"deleted": False, "dev": dev, "fstype": "tmpfs", "id": i, "idmap": None,
            "master_id": 0, "mnt_id": i, "mount_options": ["rw", "relatime"], "mountpoint": mp,
            "nsfs": None, "parent": parent, "propagate_from": 0, "root": "/", "shared_id": 0,
            "source": "none", "super_options": ["rw"], "unbindable": unbindable}
def ns(label, ino, mounts):
    return {"label": label, "mnt_ns_id": None, "mounts": mounts, "ns_ino": ino, "nsfs_paths": [],
            "owner_userns_ino": None, "pids": [], "root_mount": mounts[0]["id"]}
json.dump({"capture": {"method": "mountinfo", "selection": "pid", "subtree": None},
           "created": "2026-01-01T00:00:00Z", "format": "mntsnap", "format_version": 1,
           "host": {"arch": "x86_64", "hostname": "h", "kernel": "6.18"},
           "namespaces": [ns("ns0", 4026532300, [m(1, None, "/", "0:7001", True), m(2, 1, "/a", "0:7002")]),
                          ns("ns1", 4026532301, [m(3, None, "/", "0:7003")])],
           "tool": {"name": "mntsnap", "version": "0.1.0"}, "warnings": []}, open(sys.argv[1], "w"))
PY
	run in_private_ns '
		source "$TOP/tests/bats/roundtrip_helper.bash"
		mkdir "$TMP/out"
		"$MNTSNAP" replay --fresh --new="$TMP/out" "$TMP/two.json"
		ns_mountinfo "$TMP/out/ns0" | awk "{ print \"ns0\", \$5, \$7 }"'
	assert_success
	assert_line "ns0 / unbindable"
	assert_line "ns0 /a -"
}

# The seed every new namespace is copied from holds one mount, but making it
# copies a namespace first (unshare) and detaches the copy: a caller's
# namespace of thousands of mounts cost a fifth of a replay, so replay copies
# a much smaller namespace of its own user namespace when there is one (the
# one the tests started in holds a few dozen).  -vv says which was copied.
@test "limits: the seed namespace is a copy of a small namespace, not of the caller's thousands of mounts" {
	snapshot_stacked 3 ns0 flat >"$BATS_TEST_TMPDIR/small.json"
	run in_private_ns "$STACK_MOUNTS"'
		mkdir -p "$TMP/pile" "$TMP/out" "$TMP/out2"
		mount -t tmpfs pile "$TMP/pile"
		"$MNTSNAP" -vv replay --fresh --new="$TMP/out" "$TMP/small.json" 2>&1 |
			grep "seed namespace:" | sed "s/^/few: /"
		stack_mounts 2000 "$TMP/pile"
		"$MNTSNAP" -vv replay --fresh --new="$TMP/out2" "$TMP/small.json" 2>&1 |
			grep "seed namespace:" | sed "s/^/many: /"
		"$MNTSNAP" capture -m "$TMP/out2/ns0" -o "$TMP/copy.json"
		"$MNTSNAP" diff -q "$TMP/small.json" "$TMP/copy.json" && echo same'
	assert_success
	assert_line --regexp "^few: mntsnap: seed namespace: a copy of ours \([0-9]+ mounts?\), emptied$"
	assert_line --regexp "^many: mntsnap: seed namespace: a copy of a smaller namespace \([0-9]+ mounts?\), emptied$"
	copied=$(printf '%s\n' "${lines[@]}" | sed -n 's/^many: .*(\([0-9]*\) mounts\{0,1\}).*/\1/p')
	[ "$copied" -lt 500 ]
	assert_line same
}
