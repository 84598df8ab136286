#!/usr/bin/env bats
# Round trips through replay: each layout of layouts.bash is built as a whole
# mount namespace (a new namespace pivoted into the layout's tmpfs, so it holds
# exactly the layout), captured, replayed with --new (and again with --fresh),
# and the result is checked three ways: replay's exit status, `mntsnap diff`
# of the snapshot against a capture of the result, and the kernel's own
# mountinfo of the replayed namespace against the original's, modulo ids and
# as a structure (peer-group partition, masters, superblocks, parents).
# The machinery is in roundtrip_helper.bash.

load test_helper

setup() {
	require_root
	export -f mountinfo_no_ids
}

# rt LAYOUT [REPLAY_OPTION...]: the round trip in a private namespace; a
# layout this machine cannot build is skipped with the reason it printed.
rt() {
	run in_private_ns 'source "$TOP/tests/bats/roundtrip_helper.bash"; rt_roundtrip "$@"' "$@"
	if [ "$status" = 77 ]; then
		skip "${lines[-1]#SKIP: }"
	fi
	assert_success
}

@test "roundtrip: inverse_chain (seed 000)" { rt inverse_chain; }
@test "roundtrip --fresh: inverse_chain (seed 000)" { rt inverse_chain --fresh; }
@test "roundtrip: group_tree (seed 001)" { rt group_tree; }
@test "roundtrip --fresh: group_tree (seed 001)" { rt group_tree --fresh; }
@test "roundtrip: lxd_seed003 (overmounted /sys/fs/cgroup)" { rt lxd_seed003; }
@test "roundtrip --fresh: lxd_seed003 (overmounted /sys/fs/cgroup)" { rt lxd_seed003 --fresh; }
@test "roundtrip: narrow_root" { rt narrow_root; }
@test "roundtrip --fresh: narrow_root" { rt narrow_root --fresh; }
@test "roundtrip: crossns_peers (second namespace pinned by nsfs only)" { rt crossns_peers; }
@test "roundtrip --fresh: crossns_peers (second namespace pinned by nsfs only)" { rt crossns_peers --fresh; }
@test "roundtrip: slave_of_slave" { rt slave_of_slave; }
@test "roundtrip --fresh: slave_of_slave" { rt slave_of_slave --fresh; }
@test "roundtrip: slave_no_visible_master" { rt slave_no_visible_master; }
@test "roundtrip: unbindable" { rt unbindable; }
@test "roundtrip --fresh: unbindable" { rt unbindable --fresh; }
@test "roundtrip: overmount" { rt overmount; }
@test "roundtrip --fresh: overmount" { rt overmount --fresh; }
@test "roundtrip: tucked" { rt tucked; }
@test "roundtrip --fresh: tucked" { rt tucked --fresh; }
@test "roundtrip: propagated" { rt propagated; }
@test "roundtrip --fresh: propagated" { rt propagated --fresh; }
@test "roundtrip: file_bind" { rt file_bind; }
@test "roundtrip --fresh: file_bind" { rt file_bind --fresh; }
@test "roundtrip: flags" { rt flags; }
@test "roundtrip --fresh: flags" { rt flags --fresh; }
@test "roundtrip: fstypes" { rt fstypes; }
@test "roundtrip --fresh: fstypes" { rt fstypes --fresh; }
@test "roundtrip: idmapped" { rt idmapped; }
@test "roundtrip --fresh: idmapped" { rt idmapped --fresh; }
@test "roundtrip: deep50" { rt deep50; }
@test "roundtrip --fresh: deep50" { rt deep50 --fresh; }
@test "roundtrip: wide500" { rt wide500; }
@test "roundtrip --fresh: wide500" { rt wide500 --fresh; }
@test "roundtrip: deleted (roots deleted on the host)" { rt deleted; }
@test "roundtrip --fresh: deleted (roots deleted on the host)" { rt deleted --fresh; }
@test "roundtrip: sources (empty, custom, none)" { rt sources; }
@test "roundtrip --fresh: sources (empty, custom, none)" { rt sources --fresh; }

# --fresh on another host's terms: the master group of /s has no member in
# the snapshot, and a fresh superblock cannot join the live one.  Either
# replay keeps a helper member of a new master group (a perfect round trip),
# or it must say so: a warning naming /s and its master, exit 1
# (verification mismatch), and the only difference is /s's master.
@test "roundtrip --fresh: slave_no_visible_master (master outside the snapshot)" {
	run in_private_ns '
		source "$TOP/tests/bats/roundtrip_helper.bash"
		st=$TMP/rt
		trap "rt_stop $st" EXIT
		rt_start slave_no_visible_master "$st"
		"$MNTSNAP" capture --mount="${RT_NSFILES[0]}" -o "$st/snap.json"
		mkdir "$st/out"
		r=0
		"$MNTSNAP" replay --mkdir --new="$st/out" --fresh "$st/snap.json" 2>"$st/err" || r=$?
		cat "$st/err"
		echo "replay-exit=$r"
		"$MNTSNAP" capture --mount="$st/out/ns0" -o "$st/after.json"
		r=0
		"$MNTSNAP" diff "$st/snap.json" "$st/after.json" >"$st/diff" || r=$?
		echo "diff-exit=$r"
		echo "diff-lines=$(grep -c "^[-+~] " "$st/diff" || true)"
		sed "s/^/diff: /" "$st/diff"
	'
	assert_success
	if [[ "$output" == *"replay-exit=0"* ]]; then
		assert_line "diff-exit=0"
	else
		assert_line "replay-exit=1"
		assert_output --regexp "mntsnap: (replay|warning): .*/s.*master"
		assert_line "diff-exit=1"
		assert_line "diff-lines=1"
		assert_line --regexp "^diff: .*/s.*master"
	fi
}

# This machine's own mount namespace (the test's copy of it) into a new one.
# Every mount comes from a live superblock (rootfs, proc, sysfs, cgroup v1/v2,
# devtmpfs, ...) and must be bound, never re-created with options: the host's
# cgroup super options are checked to be unchanged afterwards.
@test "roundtrip: this machine's namespace into a new one" {
	run in_private_ns '
		source "$TOP/tests/bats/roundtrip_helper.bash"
		export -f mountinfo_no_ids
		st=$TMP/own
		mkdir -p "$st/orig" "$st/new" "$st/out"
		host_cg_before=$(awk "\$9 ~ /^cgroup/ { print \$5, \$NF }" /proc/1/mountinfo)
		"$MNTSNAP" capture --pid=$$ -o "$st/snap.json"
		cat /proc/self/mountinfo >"$st/orig/ns0.mi"
		"$MNTSNAP" replay --mkdir --new="$st/out" "$st/snap.json"
		"$MNTSNAP" capture --mount="$st/out/ns0" -o "$st/after.json"
		"$MNTSNAP" diff "$st/snap.json" "$st/after.json"
		# the replayed namespace reuses the host rootfs: its own cat can read it
		nsenter --mount="$st/out/ns0" cat /proc/self/mountinfo >"$st/new/ns0.mi"
		diff -u <(rt_no_ids "$st/orig") <(rt_no_ids "$st/new")
		diff -u <(rt_canon "$st/orig" "") <(rt_canon "$st/new" "")
		host_cg_after=$(awk "\$9 ~ /^cgroup/ { print \$5, \$NF }" /proc/1/mountinfo)
		[ "$host_cg_before" = "$host_cg_after" ]
	'
	assert_success
}
