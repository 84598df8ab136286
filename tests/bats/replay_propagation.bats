#!/usr/bin/env bats
# Propagation that replay must keep: masters live outside the snapshot, and
# the propagation of a namespace's root, set from inside the namespace.

load test_helper

setup() {
	require_root
}

# The layout of the live-master tests, under $TMP/b: tmpfs a shared (group
# A); box a tmpfs with c, a bind of a made a slave then shared (shared:X
# master:A), and d, a bind of a made a slave (master:A).
# shellcheck disable=SC2016
LIVE_MASTER_LAYOUT='
	b=$TMP/b
	mkdir -p "$b"
	mount -t tmpfs base "$b"
	mkdir "$b/a" "$b/box" "$b/out" "$b/tgt"
	mount -t tmpfs a "$b/a"
	mount --make-shared "$b/a"
	mount -t tmpfs box "$b/box"
	mkdir "$b/box/c" "$b/box/d"
	mount --bind "$b/a" "$b/box/c"
	mount --make-slave "$b/box/c"
	mount --make-shared "$b/box/c"
	mount --bind "$b/a" "$b/box/d"
	mount --make-slave "$b/box/d"
	group_a=$(awk -v p="$b/a" "\$5 == p { sub(/shared:/, \"\", \$7); print \$7 }" /proc/self/mountinfo)
	"$MNTSNAP" capture --pid=$$ --subtree="$b/box" -o "$b/snap.json"
'

# mi_fields MOUNTINFO_FILE MOUNTPOINT: the optional fields of the mount at
# MOUNTPOINT (the last one stacked there).
# shellcheck disable=SC2016
MI_FIELDS='
mi_fields() {
	awk -v p="$2" "\$5 == p { o = \"\"; for (i = 7; \$i != \"-\"; i++) o = o \" \" \$i; r = o } END { print r }" "$1"
}
'

@test "propagation: a shared slave keeps its master live outside the snapshot (--new)" {
	run in_private_ns "$LIVE_MASTER_LAYOUT$MI_FIELDS"'
		source "$TOP/tests/bats/roundtrip_helper.bash"
		"$MNTSNAP" replay --mkdir --new="$b/out" "$b/snap.json"
		"$MNTSNAP" capture --mount="$b/out/ns0" -o "$b/after.json"
		"$MNTSNAP" diff "$b/snap.json" "$b/after.json"
		ns_mountinfo "$b/out/ns0" >"$b/out.mi"
		echo "c:$(mi_fields "$b/out.mi" /c)"
		echo "d:$(mi_fields "$b/out.mi" /d)"
		echo "group_a=$group_a"'
	assert_success
	group_a=$(sed -n "s/^group_a=//p" <<<"$output")
	assert_line --regexp "^c: shared:[0-9]+ master:$group_a\$"
	assert_line "d: master:$group_a"
}

@test "propagation: a shared slave keeps its master live outside the snapshot (-t --root)" {
	run in_private_ns "$LIVE_MASTER_LAYOUT$MI_FIELDS"'
		"$MNTSNAP" replay -t $$ --root="$b/tgt" "$b/snap.json"
		echo "c:$(mi_fields /proc/self/mountinfo "$b/tgt/c")"
		echo "d:$(mi_fields /proc/self/mountinfo "$b/tgt/d")"
		echo "group_a=$group_a"'
	assert_success
	group_a=$(sed -n "s/^group_a=//p" <<<"$output")
	assert_line --regexp "^c: shared:[0-9]+ master:$group_a\$"
	assert_line "d: master:$group_a"
}

# A namespace whose root is a leaf: its propagation is set after the root
# is in the namespace, from inside it.
# shellcheck disable=SC2016
LEAF_ROOT_LAYOUT='
	b=$TMP/b
	mkdir -p "$b"
	mount -t tmpfs base "$b"
	mkdir "$b/x" "$b/m" "$b/y" "$b/out" "$b/out2" "$b/tgt"
	mount -t tmpfs x "$b/x"
	mount --make-shared "$b/x"
	mount -t tmpfs m "$b/m"
	mount --make-shared "$b/m"
	mount --bind "$b/m" "$b/y"
	mount --make-slave "$b/y"
	mount --make-shared "$b/y"
	"$MNTSNAP" capture --pid=$$ --subtree="$b/x" -o "$b/shared.json"
	"$MNTSNAP" capture --pid=$$ --subtree="$b/y" -o "$b/slave.json"
	# the master of y is gone: the snapshot comes from another host
	umount "$b/y" "$b/m"
'

@test "propagation: a shared leaf root is made shared inside its namespace (--new)" {
	run in_private_ns "$LEAF_ROOT_LAYOUT$MI_FIELDS"'
		source "$TOP/tests/bats/roundtrip_helper.bash"
		"$MNTSNAP" replay --mkdir --new="$b/out" "$b/shared.json"
		source "$TOP/share/mntsnap/bats/mntsnap.bash"
		assert_mount --target ns:"$b/out/ns0" / propagation=shared
		"$MNTSNAP" capture --mount="$b/out/ns0" -o "$b/after.json"
		"$MNTSNAP" diff "$b/shared.json" "$b/after.json"'
	assert_success
}

@test "propagation: a shared leaf root grafted with -t --root is shared" {
	run in_private_ns "$LEAF_ROOT_LAYOUT$MI_FIELDS"'
		"$MNTSNAP" replay -t $$ --root="$b/tgt" "$b/shared.json"
		source "$TOP/share/mntsnap/bats/mntsnap.bash"
		assert_mount "$b/tgt" propagation=shared'
	assert_success
}

# Its master gone, a shared slave root comes back shared without a master:
# said by a warning, the verification (exit 1) and diff (that one field).
@test "propagation: a shared slave leaf root whose master is gone is replayed shared (--new)" {
	run in_private_ns "$LEAF_ROOT_LAYOUT$MI_FIELDS"'
		source "$TOP/tests/bats/roundtrip_helper.bash"
		r=0
		"$MNTSNAP" replay --mkdir --new="$b/out2" "$b/slave.json" || r=$?
		echo "replay-exit=$r"
		ns_mountinfo "$b/out2/ns0" >"$b/out.mi"
		echo "root:$(mi_fields "$b/out.mi" /)"
		"$MNTSNAP" capture --mount="$b/out2/ns0" -o "$b/after.json"
		r=0
		"$MNTSNAP" diff "$b/slave.json" "$b/after.json" || r=$?
		echo "diff-exit=$r"'
	assert_success
	assert_line "replay-exit=1"
	assert_line --partial "its master group"
	assert_line --regexp "^root: shared:[0-9]+\$"
	assert_line --regexp "^~ /: master: external -> none\$"
	assert_line "diff-exit=1"
}

# Closing the last fd of a detached tree waits for an RCU grace period, once
# per tree: the detached anchors of peer groups (members made only to be the
# source of MOVE_MOUNT_SET_GROUP, or of a slave) go into one detached tmpfs
# as they are done with, and that is closed once (-vv counts them).  The
# groups come back all the same: within the layout, a group of 3 binds and
# a slave of it; the live master of LIVE_MASTER_LAYOUT's slaves is an
# attached anchor, which cannot be moved and is closed as before.
@test "propagation: peer group anchors are dropped at once, the groups are kept" {
	run in_private_ns "$LIVE_MASTER_LAYOUT$MI_FIELDS"'
		source "$TOP/tests/bats/roundtrip_helper.bash"
		mkdir "$b/box/e" "$b/box/f" "$b/box/g" "$b/box/h" "$b/out2"
		mount -t tmpfs e "$b/box/e"
		mount --make-shared "$b/box/e"
		mount --bind "$b/box/e" "$b/box/f"
		mount --bind "$b/box/e" "$b/box/g"
		mount --bind "$b/box/e" "$b/box/h"
		mount --make-slave "$b/box/h"
		"$MNTSNAP" capture --pid=$$ --subtree="$b/box" -o "$b/snap2.json"
		"$MNTSNAP" -vv replay --mkdir --new="$b/out2" "$b/snap2.json" 2>&1 |
			grep "peer group anchors and sources:"
		"$MNTSNAP" capture --mount="$b/out2/ns0" -o "$b/after2.json"
		"$MNTSNAP" diff -q "$b/snap2.json" "$b/after2.json" && echo same
		ns_mountinfo "$b/out2/ns0" >"$b/out2.mi"
		echo "e:$(mi_fields "$b/out2.mi" /e)"
		echo "g:$(mi_fields "$b/out2.mi" /g)"
		echo "h:$(mi_fields "$b/out2.mi" /h)"
		echo "d:$(mi_fields "$b/out2.mi" /d)"
		echo "group_a=$group_a"'
	assert_success
	assert_line --regexp "^mntsnap: peer group anchors and sources: [1-9][0-9]* dropped at once$"
	assert_line same
	group_e=$(sed -n "s/^e: shared:\([0-9]*\)$/\1/p" <<<"$output")
	[ -n "$group_e" ]
	assert_line "g: shared:$group_e"
	assert_line "h: master:$group_e"
	group_a=$(sed -n "s/^group_a=//p" <<<"$output")
	assert_line "d: master:$group_a"
}
