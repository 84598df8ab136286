#!/usr/bin/env bats
# Read-only parents with children (issue 11 §1): the layouts ro_* of
# layouts.bash round-trip (roundtrip_helper.bash: replay exit status,
# `mntsnap diff`, and the kernel's mountinfo of the replayed namespace, ro
# flags per mount and per superblock included) in plain mode, in --fresh
# mode, and in --fresh mode with the layout torn down first (as on another
# host, where no mountpoint exists until replay makes it).

load test_helper

setup() {
	require_root
	export -f mountinfo_no_ids
}

# rt LAYOUT [REPLAY_OPTION...]: as in replay_roundtrip.bats.
rt() {
	run in_private_ns 'source "$TOP/tests/bats/roundtrip_helper.bash"; rt_roundtrip "$@"' "$@"
	if [ "$status" = 77 ]; then
		skip "${lines[-1]#SKIP: }"
	fi
	assert_success
}

# rt_torn LAYOUT: rt LAYOUT --fresh, the layout torn down before the replay.
rt_torn() {
	RT_TEARDOWN=1 rt "$1" --fresh
}

# ro_in NSDIR MOUNTPOINT PER_MOUNT SUPER: asserts the mount at MOUNTPOINT
# (the topmost there) in the replayed NSDIR/ns0.mi has per-mount options
# starting with PER_MOUNT (ro or rw) and super options starting with SUPER.
ro_in() {
	run awk -v mp="$2" '$5 == mp { for (i = 7; $i != "-"; i++); o = $6 " " $(i + 3) } END { print o }' \
		"$BATS_TEST_TMPDIR/rt/$1/ns0.mi"
	assert_output --regexp "^$3[, ].* $4([, ]|$)"
}

@test "ro: per-mount ro tmpfs with children" { rt ro_mount_children; ro_in new /r ro rw; }
@test "ro --fresh: per-mount ro tmpfs with children" { rt ro_mount_children --fresh; ro_in new /r ro rw; }
@test "ro --fresh, torn down: per-mount ro tmpfs with children" {
	rt_torn ro_mount_children
	ro_in new /r ro rw
	ro_in new /r/c1 rw rw
}

@test "ro: superblock ro tmpfs with children and grandchildren" { rt ro_sb_children; ro_in new /r ro ro; }
@test "ro --fresh: superblock ro tmpfs with children and grandchildren" {
	rt ro_sb_children --fresh
	ro_in new /r ro ro
	ro_in new /r/self rw ro
}
@test "ro --fresh, torn down: superblock ro tmpfs with children and grandchildren" {
	rt_torn ro_sb_children
	ro_in new /r ro ro
	ro_in new /r/c1/g rw rw
}

@test "ro: 50-level chain of narrow binds, two of them ro" {
	rt ro_narrow_chain
	ro_in new "$(printf '/d%.0s' $(seq 20))" ro rw
}
@test "ro --fresh: 50-level chain of narrow binds, two of them ro" { rt ro_narrow_chain --fresh; }
@test "ro --fresh, torn down: 50-level chain of narrow binds, two of them ro" {
	rt_torn ro_narrow_chain
	ro_in new "$(printf '/d%.0s' $(seq 40))" ro rw
}

@test "ro: ro directory bind with a child" { rt ro_dir_bind; ro_in new /b ro rw; }
@test "ro --fresh: ro directory bind with a child" { rt ro_dir_bind --fresh; }
@test "ro --fresh, torn down: ro directory bind with a child" {
	rt_torn ro_dir_bind
	ro_in new /b ro rw
}

@test "ro: file binds in ro tmpfs" { rt ro_file_bind; ro_in new /r/top rw rw; }
@test "ro --fresh: file binds in ro tmpfs" { rt ro_file_bind --fresh; }
@test "ro --fresh, torn down: file binds in ro tmpfs" {
	rt_torn ro_file_bind
	ro_in new /r ro rw
	ro_in new /s ro ro
	ro_in new /r/proc/cpuinfo rw rw
}

# A live superblock (cloned from the host) read-only at the superblock: its
# existing mountpoints are used, a missing one is refused with an error
# naming the mount and the mountpoint, and the host's superblock is never
# made writable.
@test "ro: a missing mountpoint in a live read-only superblock is refused" {
	run in_private_ns '
		b=$TMP/box
		mkdir -p "$b"
		mount -t tmpfs -o mode=755 box "$b"
		mkdir "$b/r"
		mount -t tmpfs -o mode=755 rosb "$b/r"
		mkdir "$b/r/c1"
		mount -t tmpfs -o mode=755 c1 "$b/r/c1"
		mount -o remount,ro "$b/r"
		"$MNTSNAP" capture --pid=$$ --subtree="$b" -o "$TMP/snap.json"
		mkdir "$TMP/out1" "$TMP/out2"
		"$MNTSNAP" replay --mkdir --new="$TMP/out1" --create-mountpoints "$TMP/snap.json"
		echo "replay-with-mountpoint=ok"
		# the mountpoint goes (the test may remount its own tmpfs)
		umount "$b/r/c1"
		mount -o remount,rw "$b/r"
		rmdir "$b/r/c1"
		mount -o remount,ro "$b/r"
		r=0
		"$MNTSNAP" replay --mkdir --new="$TMP/out2" --create-mountpoints "$TMP/snap.json" 2>"$TMP/err" || r=$?
		cat "$TMP/err"
		echo "exit=$r"
		awk -v mp="$b/r" "\$5 == mp { print \"super=\" \$NF }" /proc/self/mountinfo
		echo "entries=$(ls -A "$b/r" | wc -l)"
		echo "pins=$(ls -A "$TMP/out2" | wc -l)"
	'
	assert_success
	assert_line "replay-with-mountpoint=ok"
	assert_line "exit=2"
	assert_line --regexp "^mntsnap: replay: step [0-9]+, attach 'ns0:[^']*/box/r/c1' onto '[^']*': create missing mountpoint '/c1' in the host's read-only tmpfs superblock .*: Read-only file system$"
	assert_line --regexp "^super=ro,"
	assert_line "entries=0"
	assert_line "pins=0"
}
