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
	# a dry run: a real one may assume them instead (the tests below)
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
		"$MNTSNAP" -vv replay -n --mkdir --new="$TMP/out" "$TMP/snap.json" 2>"$TMP/err" >/dev/null
		grep "live mounts" "$TMP/err"
	'
	assert_success
	live=$(awk "/^live mounts /{ print \$3 }" <<<"$output")
	assert_line "mntsnap: live mounts: reading them all (more than $((live / 4)) superblocks, a quarter of the live mounts)"
	refute_line --partial "found by its mount ids"
	refute_line --partial "assumed"
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

# The layout of the tests of assumed live mounts: 30 tmpfs m1..m30 under
# $TMP/lay, each holding a file named after it, m1 also bound at
# $TMP/elsewhere (outside the snapshot); the snapshot of $TMP/lay in
# $TMP/snap.json.  MNTSNAP_LIVE_TABLE=assume: replay assumes the mounts are
# where the snapshot saw them, whatever the timing says (host_byid.c).
assumed_layout=$(
	cat <<'EOF'
L=$TMP/lay
mkdir -p "$L" "$TMP/elsewhere"
mount -t tmpfs lay "$L"
for i in $(seq 1 30); do
	mkdir "$L/m$i"
	mount -t tmpfs "m$i" "$L/m$i"
	touch "$L/m$i/file-m$i"
done
mount --bind "$L/m1" "$TMP/elsewhere"
"$MNTSNAP" capture -p $$ --subtree "$L" -o "$TMP/snap.json"
# replay_assumed DIR: replays into new namespaces pinned in DIR, -vv on
# stderr in $TMP/err; "same" when the replay is the snapshot; the root and
# device of the replayed /m1, and those of the live m1 (its superblock)
replay_assumed() {
	MNTSNAP_LIVE_TABLE=assume "$MNTSNAP" -vv replay --mkdir --new="$1" "$TMP/snap.json" 2>>"$TMP/err"
	"$MNTSNAP" capture --mount="$1/ns0" -o "$TMP/after.json"
	"$MNTSNAP" diff "$TMP/snap.json" "$TMP/after.json" >/dev/null && echo same
	jq -r ".namespaces[0].mounts[] | select(.mountpoint == \"/m1\") | \"m1 root \(.root) dev \(.dev)\"" "$TMP/after.json"
	echo "live m1 dev $(stat -c %Hd:%Ld "$TMP/elsewhere")"
}
# replay_m2 PATH: replay_assumed, then the device of the replay's covered
# /m2 and that of the live mount at PATH, and the -vv lines on live mounts
replay_m2() {
	replay_assumed "$TMP/out"
	jq -r "[.namespaces[0].mounts[] | select(.mountpoint == \"/m2\")][0] | \"m2 lower dev \(.dev)\"" "$TMP/after.json"
	echo "live m2 dev $(stat -c %Hd:%Ld "$1")"
	grep "live mounts" "$TMP/err"
}
EOF
)

@test "replay: the live mounts of a snapshot of the caller's namespace are assumed, each checked before it is cloned" {
	run in_private_ns "$assumed_layout"'
		replay_assumed "$TMP/out"
		grep "live mounts" "$TMP/err"
		echo "live m7 dev $(stat -c %Hd:%Ld "$L/m7")"
		"$MNTSNAP" capture --mount="$TMP/out/ns0" |
			jq -r ".namespaces[0].mounts[] | select(.mountpoint == \"/m7\") | \"m7 dev \(.dev)\""
	'
	assert_success
	assert_line "mntsnap: live mounts: the 31 superblocks of the snapshot assumed where it saw them, each checked while replaying"
	assert_line "same"
	# cloned from the live superblock, not made anew
	m1_dev=$(awk "/^live m1 dev /{ print \$4 }" <<<"$output")
	assert_line "m1 root / dev $m1_dev"
	m7_dev=$(awk "/^live m7 dev /{ print \$4 }" <<<"$output")
	assert_line "m7 dev $m7_dev"
}

@test "replay: a live mount assumed but changed since the capture makes replay plan again on the whole table" {
	# m1 covered by a bind of its own subdirectory: the same superblock
	# (the executor's check of the device passes), another root
	run in_private_ns "$assumed_layout"'
		mkdir "$L/m1/sub"
		touch "$L/m1/sub/wrong"
		mount --bind "$L/m1/sub" "$L/m1"
		replay_assumed "$TMP/out"
		grep "live mounts" "$TMP/err"
	'
	assert_success
	assert_line "mntsnap: live mounts: the 31 superblocks of the snapshot assumed where it saw them, each checked while replaying"
	assert_line --regexp "^mntsnap: live mounts: .*'$BATS_TEST_TMPDIR/lay/m1': no longer the mount of superblock [0-9]+:[0-9]+ the snapshot saw there; reading them all$"
	# from the whole table: cloned from $TMP/elsewhere, the whole of m1
	assert_line "same"
	m1_dev=$(awk "/^live m1 dev /{ print \$4 }" <<<"$output")
	assert_line "m1 root / dev $m1_dev"
}

@test "replay: a live mount assumed but gone since the capture makes replay plan again on the whole table" {
	run in_private_ns "$assumed_layout"'
		umount "$L/m1"
		replay_assumed "$TMP/out"
		grep "live mounts" "$TMP/err"
	'
	assert_success
	assert_line --regexp "^mntsnap: live mounts: .*'$BATS_TEST_TMPDIR/lay/m1': no longer the mount of superblock [0-9]+:[0-9]+ the snapshot saw there; reading them all$"
	assert_line "same"
	m1_dev=$(awk "/^live m1 dev /{ print \$4 }" <<<"$output")
	assert_line "m1 root / dev $m1_dev"
}

# over_m2: m2 covered by a second tmpfs before the capture
over_m2='
mount -t tmpfs over "$L/m2"
"$MNTSNAP" capture -p $$ --subtree "$L" -o "$TMP/snap.json"
'

# assert_m2_cloned: the replay is the snapshot, its covered /m2 cloned from
# the live superblock (replay_m2's lines), not made anew
assert_m2_cloned() {
	assert_line "same"
	m2_dev=$(awk "/^live m2 dev /{ print \$4 }" <<<"$output")
	assert_line "m2 lower dev $m2_dev"
}

@test "replay: a snapshot with a mount over another is assumed, the covered one checked to stay covered" {
	run in_private_ns "$assumed_layout$over_m2"'
		replay_assumed "$TMP/out"
		grep "live mounts" "$TMP/err"
	'
	assert_success
	assert_line "mntsnap: live mounts: the 32 superblocks of the snapshot assumed where it saw them, each checked while replaying"
	assert_line "same"
}

@test "replay: a covered mount uncovered since the capture makes replay plan again on the whole table" {
	# covered by a bind of m3, cloned from /m3: only the check that m2
	# stays covered sees the change
	run in_private_ns "$assumed_layout"'
		mount --bind "$L/m3" "$L/m2"
		"$MNTSNAP" capture -p $$ --subtree "$L" -o "$TMP/snap.json"
		umount "$L/m2"
		replay_m2 "$L/m2"
	'
	assert_success
	assert_line "mntsnap: live mounts: a live mount is not as the snapshot saw it; reading them all"
	# the whole table has the uncovered m2
	assert_m2_cloned
}

@test "replay: a covered superblock mounted outside the snapshot is found in the whole table" {
	run in_private_ns "$assumed_layout"'
		mkdir "$TMP/outside"
		mount --bind "$L/m2" "$TMP/outside"
		'"$over_m2"'
		replay_m2 "$TMP/outside"
	'
	assert_success
	assert_line "mntsnap: live mounts: reading them all (a superblock it has no mount to clone from is mounted outside it)"
	assert_m2_cloned
}

@test "replay: a dry run never assumes the live mounts" {
	run in_private_ns "$assumed_layout"'
		MNTSNAP_LIVE_TABLE=assume "$MNTSNAP" -vv replay -n --mkdir --new="$TMP/out" "$TMP/snap.json" 2>"$TMP/err" >/dev/null
		grep "live mounts" "$TMP/err"
	'
	assert_success
	refute_line --partial "assumed"
	assert_line --partial "live mounts: reading them all"
}

@test "replay: a covered mount moved elsewhere since the capture makes replay plan again on the whole table" {
	# uncovered, then moved out of the snapshot: its old place shows
	# nothing of it, and the snapshot knows its id; its mountpoint tells
	run in_private_ns "$assumed_layout"'
		mount --bind "$L/m3" "$L/m2"
		"$MNTSNAP" capture -p $$ --subtree "$L" -o "$TMP/snap.json"
		umount "$L/m2"
		mkdir "$TMP/moved"
		mount --move "$L/m2" "$TMP/moved"
		replay_m2 "$TMP/moved"
	'
	assert_success
	assert_line "mntsnap: live mounts: a live mount is not as the snapshot saw it; reading them all"
	# the whole table has it where it was moved
	assert_m2_cloned
}

@test "replay: a live mount assumed but made unbindable since the capture makes replay plan again on the whole table" {
	# still in sight with its id (the check passes): the clone of it
	# fails, and the whole table has m1 at $TMP/elsewhere too
	run in_private_ns "$assumed_layout"'
		mount --make-unbindable "$L/m1"
		replay_assumed "$TMP/out"
		grep "live mounts" "$TMP/err"
	'
	assert_success
	assert_line "mntsnap: live mounts: the 31 superblocks of the snapshot assumed where it saw them, each checked while replaying"
	assert_line --regexp "^mntsnap: live mounts: step [0-9]+, clone tmpfs superblock .*open_tree .*reading them all$"
	assert_line "same"
	m1_dev=$(awk "/^live m1 dev /{ print \$4 }" <<<"$output")
	assert_line "m1 root / dev $m1_dev"
}
