#!/usr/bin/env bats
# Mounts whose root was deleted on the host ("/d1//deleted" in mountinfo),
# replayed from a live filesystem of the caller's namespace: the root is made
# again in it, bound, and removed once the mounts are attached (the kernel
# attaches no mount whose root is unlinked).  The round trips of layout
# "deleted" (replay_roundtrip.bats) cover new superblocks.

load test_helper

setup() {
	require_root
	export -f mountinfo_no_ids
}

# The layout under $L, a tmpfs of the test's namespace: /x and /y share the
# deleted directory /d1, /fx and /fy the deleted file /f; /gx is a bind of
# the file /g, not deleted.
lay_deleted='
	L=$TMP/lay
	mkdir -p "$L"
	mount -t tmpfs -o mode=755 lay "$L"
	mkdir "$L/d1" "$L/x" "$L/y"
	: >"$L/f"
	: >"$L/fx"
	: >"$L/fy"
	: >"$L/g"
	: >"$L/gx"
	mount --bind "$L/d1" "$L/x"
	mount --bind "$L/d1" "$L/y"
	mount --bind "$L/f" "$L/fx"
	mount --bind "$L/f" "$L/fy"
	mount --bind "$L/g" "$L/gx"
	rmdir "$L/d1"
	rm "$L/f"
	"$MNTSNAP" capture -p $$ --subtree "$L" -o "$TMP/snap.json"
	mkdir "$TMP/out"
'

# stat_in NSFILE PATH: the file type of PATH inside the mount namespace NSFILE
# (which has no binaries of its own).
stat_in='
stat_in() {
	python3 - "$1" "$2" <<EOF
import ctypes, os, stat, sys
libc = ctypes.CDLL(None, use_errno=True)
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_CLOEXEC)
if libc.setns(fd, 0x00020000) != 0:
    sys.exit("setns failed")
print("dir" if stat.S_ISDIR(os.stat(sys.argv[2]).st_mode) else "file")
EOF
}
'

@test "replay: deleted roots of a live filesystem come back deleted, the filesystem as it was" {
	run in_private_ns "$lay_deleted$stat_in"'
		"$MNTSNAP" replay --mkdir --new="$TMP/out" "$TMP/snap.json"
		echo "host-after: $(ls -A "$L" | tr "\n" " ")"
		"$MNTSNAP" capture --mount="$TMP/out/ns0" -o "$TMP/after.json"
		"$MNTSNAP" diff "$TMP/snap.json" "$TMP/after.json"
		echo "diff-exit=$?"
		source "$TOP/tests/bats/roundtrip_helper.bash"
		ns_mountinfo "$TMP/out/ns0" | awk "{ print \"mi: \" \$5, \$4 }"
		echo "fx-is: $(stat_in "$TMP/out/ns0" /fx)"
		echo "fy-is: $(stat_in "$TMP/out/ns0" /fy)"
		echo "x-is: $(stat_in "$TMP/out/ns0" /x)"
	'
	assert_success
	assert_line "host-after: fx fy g gx x y "
	assert_line "diff-exit=0"
	assert_line "mi: /x /d1//deleted"
	assert_line "mi: /y /d1//deleted"
	assert_line "mi: /fx /f//deleted"
	assert_line "mi: /fy /f//deleted"
	assert_line "fx-is: file"
	assert_line "fy-is: file"
	assert_line "x-is: dir"
}

@test "replay --fresh: deleted roots, the original torn down first: directories and files as they were" {
	run in_private_ns "$lay_deleted$stat_in"'
		umount -R "$L"
		"$MNTSNAP" replay --fresh --mkdir --new="$TMP/out" "$TMP/snap.json"
		"$MNTSNAP" capture --mount="$TMP/out/ns0" -o "$TMP/after.json"
		"$MNTSNAP" diff "$TMP/snap.json" "$TMP/after.json"
		echo "diff-exit=$?"
		source "$TOP/tests/bats/roundtrip_helper.bash"
		ns_mountinfo "$TMP/out/ns0" | awk "{ print \"mi: \" \$5, \$4 }"
		for p in /x /y /fx /fy /gx; do
			echo "$p-is: $(stat_in "$TMP/out/ns0" $p)"
		done
		jq -r ".namespaces[0].mounts[] | \"type: \(.mountpoint) \(.root_type)\"" "$TMP/snap.json"
	'
	assert_success
	assert_line "diff-exit=0"
	assert_line "mi: /x /d1//deleted"
	assert_line "mi: /y /d1//deleted"
	assert_line "mi: /fx /f//deleted"
	assert_line "mi: /fy /f//deleted"
	assert_line "mi: /gx /g"
	assert_line "/x-is: dir"
	assert_line "/y-is: dir"
	assert_line "/fx-is: file"
	assert_line "/fy-is: file"
	assert_line "/gx-is: file"
	assert_line "type: $BATS_TEST_TMPDIR/lay/x dir"
	assert_line "type: $BATS_TEST_TMPDIR/lay/fx file"
	assert_line "type: $BATS_TEST_TMPDIR/lay/gx file"
}

@test "diff: a root that became a directory, or a file, is a difference (exit 1)" {
	run in_private_ns "$lay_deleted"'
		jq "(.namespaces[0].mounts[] | select(.mountpoint | endswith(\"/fx\")) | .root_type) = \"dir\"" \
			"$TMP/snap.json" > "$TMP/dir.json"
		r=0
		"$MNTSNAP" diff "$TMP/snap.json" "$TMP/dir.json" || r=$?
		echo "diff-exit=$r"
		# not recorded on one side (an older snapshot): not compared
		jq ".namespaces[0].mounts[].root_type = null" "$TMP/dir.json" > "$TMP/none.json"
		"$MNTSNAP" diff "$TMP/snap.json" "$TMP/none.json"
	'
	assert_success
	assert_line "diff-exit=1"
	assert_line "~ $BATS_TEST_TMPDIR/lay/fx: root type: file -> dir"
}

@test "replay: a deleted root made again on the host is not replaced, nor removed" {
	run in_private_ns "$lay_deleted"'
		mkdir "$L/d1"
		: >"$L/d1/keep"
		r=0
		"$MNTSNAP" replay --mkdir --new="$TMP/out" "$TMP/snap.json" 2>"$TMP/err" || r=$?
		cat "$TMP/err"
		echo "replay-exit=$r"
		echo "host-after: $(ls -A "$L" "$L/d1" | tr "\n" " ")"
		echo "out: $(ls -A "$TMP/out" | tr "\n" " ")"
	'
	assert_success
	assert_line "replay-exit=2"
	assert_line --regexp "^mntsnap: replay: .*/lay/x.*: make the deleted root '/d1' again in its source: something else is there now.*$"
	assert_line --partial "host-after: $BATS_TEST_TMPDIR/lay: d1 fx fy g gx x y  $BATS_TEST_TMPDIR/lay/d1: keep"
	assert_line "out: "
}

@test "replay: a failed replay removes the deleted roots it made again" {
	run in_private_ns "$lay_deleted"'
		# /y fails, after /x made /d1 again: its mountpoint is gone
		umount "$L/y"
		rmdir "$L/y"
		r=0
		"$MNTSNAP" replay --mkdir --new="$TMP/out" "$TMP/snap.json" 2>"$TMP/err" || r=$?
		cat "$TMP/err"
		echo "replay-exit=$r"
		echo "host-after: $(ls -A "$L" | tr "\n" " ")"
	'
	assert_success
	assert_line "replay-exit=2"
	assert_line --regexp "^mntsnap: replay: .*/lay/y.*mountpoint '/y' is missing.*$"
	assert_line "host-after: fx fy g gx x "
}

@test "capture: both kernel interfaces record a deleted root the same way" {
	run in_private_ns "$lay_deleted"'
		for k in mountinfo listmount; do
			"$MNTSNAP" capture --kernel=$k -p $$ --subtree "$L" |
				jq -r ".namespaces[0].mounts[] | \"\(\$k) \(.mountpoint) \(.root) \(.deleted)\"" --arg k $k
		done
	'
	assert_success
	assert_line "mountinfo $BATS_TEST_TMPDIR/lay/x /d1 true"
	assert_line "listmount $BATS_TEST_TMPDIR/lay/x /d1 true"
	assert_line "mountinfo $BATS_TEST_TMPDIR/lay/fx /f true"
	assert_line "listmount $BATS_TEST_TMPDIR/lay/fx /f true"
	assert_line "listmount $BATS_TEST_TMPDIR/lay / false"
}
