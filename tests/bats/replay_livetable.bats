#!/usr/bin/env bats
# The caller's live mounts that replay clones superblocks from.  A snapshot
# captured by listmount in this boot names its mounts by unique ids, so
# replay looks up one mount per superblock by its id instead of reading
# every live mount; when one is gone, covered or not as the capture saw it,
# it reads them all, and the replay is the same either way.

load test_helper

setup() {
	require_root
}

# The layout of these tests: one tmpfs src and 40 binds of its
# subdirectories, under $TMP/lay (a tmpfs of its own); the snapshot of it
# in $TMP/snap.json.  Two superblocks, against the host's mounts and 40
# binds: few enough to look up one by one.
layout=$(
	cat <<'EOF'
L=$TMP/lay
mkdir -p "$L"
mount -t tmpfs lay "$L"
mkdir "$L/src" "$L/b"
mount -t tmpfs src "$L/src"
for i in $(seq 1 40); do
	mkdir "$L/src/s$i" "$L/b/$i"
	mount --bind "$L/src/s$i" "$L/b/$i"
done
"$MNTSNAP" capture -p $$ --subtree "$L" -o "$TMP/snap.json"
# replay_to DIR: replays the snapshot into new namespaces pinned in DIR,
# -vv on stderr; "same" when the replay is the snapshot, and the device of
# the replayed src: the live one's when its superblock was cloned
replay_to() {
	"$MNTSNAP" -vv replay --mkdir --new="$1" "$TMP/snap.json" 2>>"$TMP/err"
	"$MNTSNAP" capture --mount="$1/ns0" -o "$TMP/after.json"
	"$MNTSNAP" diff "$TMP/snap.json" "$TMP/after.json" >/dev/null && echo same
	jq -r ".namespaces[0].mounts[] | select(.mountpoint == \"/src\") | \"src dev \(.dev)\"" "$TMP/after.json"
}
EOF
)

@test "replay: the superblocks of a snapshot of this boot are found by its mount ids" {
	run in_private_ns "$layout"'
		replay_to "$TMP/out"
		grep "live mounts" "$TMP/err"
		echo "live src dev $(stat -c %Hd:%Ld "$L/src")"
	'
	assert_success
	assert_line "mntsnap: live mounts: the 2 superblocks of the snapshot found by its mount ids"
	assert_line "same"
	# cloned from the live superblock, not made anew
	src_dev=$(awk "/^src dev /{ print \$3 }" <<<"$output")
	assert_line "live src dev $src_dev"
}

@test "replay: a superblock whose captured mount is gone is found in the whole live table" {
	run in_private_ns "$layout"'
		# src stays mounted elsewhere, outside the snapshot
		mkdir "$TMP/elsewhere"
		mount --bind "$L/src" "$TMP/elsewhere"
		umount "$L/src"
		replay_to "$TMP/out"
		grep "live mounts" "$TMP/err"
		echo "live src dev $(stat -c %Hd:%Ld "$TMP/elsewhere")"
	'
	assert_success
	assert_line "mntsnap: live mounts: not every superblock is where the snapshot saw it; reading them all"
	refute_line --partial "found by its mount ids"
	assert_line "same"
	# cloned from the live superblock, not made anew
	src_dev=$(awk "/^src dev /{ print \$3 }" <<<"$output")
	assert_line "live src dev $src_dev"
}

@test "replay: a superblock whose captured mount is covered now is found in the whole live table" {
	run in_private_ns "$layout"'
		mkdir "$TMP/elsewhere"
		mount --bind "$L/src" "$TMP/elsewhere"
		mount -t tmpfs cover "$L/src"
		replay_to "$TMP/out"
		grep "live mounts" "$TMP/err"
		echo "live src dev $(stat -c %Hd:%Ld "$TMP/elsewhere")"
	'
	assert_success
	assert_line "mntsnap: live mounts: mount $BATS_TEST_TMPDIR/lay/src is not as the snapshot saw it; reading them all"
	assert_line "same"
	# cloned from the live superblock, not made anew
	src_dev=$(awk "/^src dev /{ print \$3 }" <<<"$output")
	assert_line "live src dev $src_dev"
}

@test "replay: snapshots of another boot or from mountinfo, and MNTSNAP_LIVE_TABLE, read the whole table" {
	run in_private_ns "$layout"'
		"$MNTSNAP" capture --kernel=mountinfo -p $$ --subtree "$L" -o "$TMP/mi.json"
		jq ".host.boot_id = \"00000000-0000-0000-0000-000000000000\"" "$TMP/snap.json" >"$TMP/other.json"
		for s in mi other; do
			# the other boot'"'"'s tmpfs is not here: refused, after the table
			"$MNTSNAP" -vvv replay --dry-run --mkdir --new="$TMP/none" "$TMP/$s.json" \
				2>"$TMP/e" >/dev/null || echo "$s: exit $?"
			grep "^mntsnap: live mounts (" "$TMP/e" | sed "s/^/$s: /"
		done
		for t in statmount mountinfo ids; do
			MNTSNAP_LIVE_TABLE=$t "$MNTSNAP" -vvv replay --dry-run --mkdir --new="$TMP/none" \
				"$TMP/snap.json" 2>&1 >/dev/null | grep "^mntsnap: live mounts (" | sed "s/^/$t: /"
		done
	'
	assert_success
	assert_line --regexp "^mi: mntsnap: live mounts \(statmount\): [0-9]+$"
	assert_line --regexp "^other: mntsnap: live mounts \(statmount\): [0-9]+$"
	assert_line "other: exit 2"
	assert_line --regexp "^statmount: mntsnap: live mounts \(statmount\): [0-9]+$"
	assert_line --regexp "^mountinfo: mntsnap: live mounts \(mountinfo\): [0-9]+$"
	assert_line "ids: mntsnap: live mounts (by the snapshot's mount ids): 2"
	refute_line --regexp "^ids: mntsnap: live mounts \((statmount|mountinfo)\)"
}

@test "replay: a snapshot of more superblocks than a quarter of the live mounts reads the whole table" {
	run in_private_ns '
		L=$TMP/lay
		mkdir -p "$L"
		mount -t tmpfs lay "$L"
		for i in $(seq 1 60); do
			mkdir "$L/t$i"
			mount -t tmpfs "t$i" "$L/t$i"
		done
		echo "live mounts $(wc -l </proc/self/mountinfo)"
		"$MNTSNAP" capture -p $$ --subtree "$L" -o "$TMP/snap.json"
		"$MNTSNAP" -vv replay --mkdir --new="$TMP/out" "$TMP/snap.json" 2>"$TMP/err"
		grep "live mounts" "$TMP/err"
	'
	assert_success
	live=$(awk "/^live mounts /{ print \$3 }" <<<"$output")
	assert_line "mntsnap: live mounts: reading them all (more than $((live / 4)) superblocks, a quarter of the live mounts)"
	refute_line --partial "found by its mount ids"
}

@test "replay: a superblock the snapshot has only narrow binds of is found in the whole live table" {
	run in_private_ns '
		L=$TMP/lay
		mkdir -p "$L" "$TMP/src"
		mount -t tmpfs lay "$L"
		mount -t tmpfs src "$TMP/src"
		mkdir "$TMP/src/s1" "$TMP/src/s2" "$L/b1" "$L/b2"
		mount --bind "$TMP/src/s1" "$L/b1"
		mount --bind "$TMP/src/s2" "$L/b2"
		"$MNTSNAP" capture -p $$ --subtree "$L" -o "$TMP/snap.json"
		"$MNTSNAP" -vv replay --mkdir --new="$TMP/out" "$TMP/snap.json" 2>"$TMP/err"
		grep "live mounts" "$TMP/err"
		"$MNTSNAP" capture --mount="$TMP/out/ns0" |
			jq -r ".namespaces[0].mounts[] | select(.mountpoint == \"/b1\") | \"b1 dev \(.dev)\""
		echo "src dev $(stat -c %Hd:%Ld "$TMP/src")"
	'
	assert_success
	assert_line "mntsnap: live mounts: reading them all (no mount of $BATS_TEST_TMPDIR/lay/b1 holds the roots replayed from it)"
	refute_line --partial "found by its mount ids"
	# cloned from the live superblock all the same
	src_dev=$(awk "/^src dev /{ print \$3 }" <<<"$output")
	assert_line "b1 dev $src_dev"
}
