#!/usr/bin/env bats
# Mount sources (devnames).  A source belongs to a mount: a new superblock
# gets the captured one (fsconfig "source", "" included), a clone of a live
# mount shows the live mount's, which replay never changes (that would take
# reconfiguring a superblock the host uses): it says so in a warning naming
# the mount, and the verification and diff report it.  The round trips of
# layout "sources" (replay_roundtrip.bats) cover new tmpfs superblocks.

load test_helper

setup() {
	require_root
}

# src_of MOUNTPOINT: "source: [SOURCE]" of the mountinfo line (stdin) at
# MOUNTPOINT; an empty source is an empty field, which awk would skip.
src_of=$(
	cat <<'EOF'
src_of() {
	awk -v mp="$1" '$5 == mp {
		rest = substr($0, index($0, " - ") + 3)
		split(rest, f, / /)
		print "source: [" f[2] "]"
	}'
}
EOF
)

@test "capture: both kernel interfaces record an empty source as \"\" and none as none" {
	run in_private_ns '
		mount -t tmpfs top "$TMP"
		mkdir "$TMP/empty" "$TMP/none"
		mount -t tmpfs "" "$TMP/empty"
		mount -t tmpfs none "$TMP/none"
		for k in mountinfo listmount; do
			"$MNTSNAP" capture --kernel=$k -p $$ --subtree "$TMP" |
				jq -r --arg k $k ".namespaces[0].mounts[] | \"\(\$k) \(.mountpoint) [\(.source)]\""
		done
	'
	assert_success
	assert_line "mountinfo $BATS_TEST_TMPDIR/empty []"
	assert_line "listmount $BATS_TEST_TMPDIR/empty []"
	assert_line "mountinfo $BATS_TEST_TMPDIR/none [none]"
	assert_line "listmount $BATS_TEST_TMPDIR/none [none]"
}

# A bind of the test namespace's own cgroup2 mount (a clone: no superblock
# is made or reconfigured), its captured source changed to ctcg2 as if it
# had been mounted under that name.
@test "replay: a cgroup2 mount's own source cannot be kept: a warning names it, diff reports it" {
	cg=$(findmnt -n -t cgroup2 -o TARGET | head -n1)
	[ -n "$cg" ] || skip "no cgroup2 mount here"
	run in_private_ns "$src_of"$'\n''
		L=$TMP/lay
		mkdir -p "$L"
		mount -t tmpfs -o mode=755 lay "$L"
		mkdir "$L/cg"
		mount --bind "$1" "$L/cg"
		live=$(findmnt -n -o SOURCE "$L/cg")
		"$MNTSNAP" capture -p $$ --subtree "$L" |
			jq "(.namespaces[0].mounts[] | select(.fstype == \"cgroup2\") | .source) = \"ctcg2\"" \
				>"$TMP/snap.json"
		mkdir "$TMP/out"
		r=0
		"$MNTSNAP" replay --mkdir --new="$TMP/out" "$TMP/snap.json" 2>"$TMP/err" || r=$?
		cat "$TMP/err"
		echo "replay-exit=$r"
		echo "warnings=$(grep -c "warning" "$TMP/err")"
		"$MNTSNAP" capture --mount="$TMP/out/ns0" -o "$TMP/after.json"
		r=0
		"$MNTSNAP" diff "$TMP/snap.json" "$TMP/after.json" >"$TMP/diff" || r=$?
		echo "diff-exit=$r"
		sed "s/^/diff: /" "$TMP/diff"
		source "$TOP/tests/bats/roundtrip_helper.bash"
		ns_mountinfo "$TMP/out/ns0" | src_of /cg | sed "s/^source: \[$live\]$/mi-source-is-live: yes/"
	' "$cg"
	assert_success
	assert_line "replay-exit=1"
	assert_line --regexp "^mntsnap: replay: warning: 'ns0:$BATS_TEST_TMPDIR/lay/cg': its source 'ctcg2' comes back as '[^']+', the source of the live mount it is cloned from .*$"
	assert_line "warnings=1"
	assert_line "diff-exit=1"
	assert_line --regexp "^diff: ~ /cg: source: ctcg2 -> .*$"
	assert_line "mi-source-is-live: yes"
}

# Two mounts of one tmpfs with different sources (as when a superblock is
# mounted again under another name): a new superblock has one source.
@test "replay --fresh: mounts of one new superblock with two sources: a warning names the other" {
	run in_private_ns "$src_of"$'\n''
		L=$TMP/lay
		mkdir -p "$L"
		mount -t tmpfs -o mode=755 lay "$L"
		mkdir "$L/a" "$L/b"
		mount -t tmpfs "" "$L/a"
		mkdir "$L/a/sub"
		mount --bind "$L/a/sub" "$L/b"
		"$MNTSNAP" capture -p $$ --subtree "$L" |
			jq "(.namespaces[0].mounts[] | select(.mountpoint | endswith(\"/b\")) | .source) = \"other\"" \
				>"$TMP/snap.json"
		umount -R "$L"
		mkdir "$TMP/out"
		r=0
		"$MNTSNAP" replay --fresh --mkdir --new="$TMP/out" "$TMP/snap.json" 2>"$TMP/err" || r=$?
		cat "$TMP/err"
		echo "replay-exit=$r"
		echo "warnings=$(grep -c "warning" "$TMP/err")"
		source "$TOP/tests/bats/roundtrip_helper.bash"
		ns_mountinfo "$TMP/out/ns0" | src_of /a
		ns_mountinfo "$TMP/out/ns0" | src_of /b
	'
	assert_success
	assert_line "replay-exit=1"
	assert_line "mntsnap: replay: warning: 'ns0:$BATS_TEST_TMPDIR/lay/b': its source 'other' comes back as '', the source of the new superblock's first mount 'ns0:$BATS_TEST_TMPDIR/lay/a'"
	assert_line "warnings=1"
	assert_line "source: []"
	refute_line --partial "source: [tmpfs]"
}

# What replay looks for in other mount namespaces (a live mount of a
# superblock it never creates, a live member of a master group outside the
# snapshot) it reads there alone, the caller's and the target's namespace
# first, and only until each is found; -v says how many namespaces it read.

# A bind of sysfs (no superblock made) in a layout; the target namespace
# (a copy made before) keeps sysfs, the caller's namespace then has none.
@test "replay -t: a superblock mounted only in the target namespace is looked up there alone" {
	run in_private_ns '
		L=$TMP/lay
		mkdir -p "$L" "$TMP/tgt"
		mount -t tmpfs -o mode=755 lay "$L"
		mkdir "$L/s"
		mount --bind /sys "$L/s"
		"$MNTSNAP" capture -p $$ --subtree "$L" -o "$TMP/snap.json"
		unshare --mount --propagation private sleep 600 &
		pid=$!
		while [ "$(readlink /proc/$pid/ns/mnt)" = "$(readlink /proc/self/ns/mnt)" ]; do sleep 0.1; done
		umount -R "$L"
		umount -l /sys
		echo "sysfs-here=$(findmnt -n -t sysfs | wc -l)"
		r=0
		"$MNTSNAP" -v replay -n -t $pid --root "$TMP/tgt" "$TMP/snap.json" >"$TMP/plan" 2>"$TMP/err" || r=$?
		kill $pid
		echo "replay-exit=$r"
		grep "live groups:" "$TMP/err" || true'
	assert_success
	assert_line "sysfs-here=0"
	assert_line "replay-exit=0"
	assert_line --regexp "^mntsnap: live groups: 1 of 1 wanted found in 1 of [0-9]+ mount namespaces \([0-9]+ mounts looked at\)$"
}

# A slave of a group outside the layout: a real replay finds a member in the
# caller's namespace, first; a dry run does not look (its plan is valid
# either way), and says so.
@test "replay: a master group outside the snapshot is looked up in the caller's namespace first; -n does not look" {
	run in_private_ns '
		mkdir -p "$TMP/a" "$TMP/lay" "$TMP/out"
		mount -t tmpfs a "$TMP/a"
		mount --make-shared "$TMP/a"
		mount -t tmpfs -o mode=755 lay "$TMP/lay"
		mkdir "$TMP/lay/s"
		mount --bind "$TMP/a" "$TMP/lay/s"
		mount --make-slave "$TMP/lay/s"
		"$MNTSNAP" capture -p $$ --subtree "$TMP/lay" -o "$TMP/snap.json"
		"$MNTSNAP" -v replay -n --new="$TMP/out" "$TMP/snap.json" 2>&1 >/dev/null | sed "s/^/dry: /"
		"$MNTSNAP" -v replay --new="$TMP/out" "$TMP/snap.json" 2>&1 >/dev/null | sed "s/^/real: /"'
	assert_success
	assert_line --regexp "^dry: mntsnap: replay: warning: 'ns0:$BATS_TEST_TMPDIR/lay/s': its master group [0-9]+ has no member in the replay: replayed private \(unless it is alive on this host: a dry run does not look\)$"
	refute_line --partial "dry: mntsnap: live groups:"
	assert_line --regexp "^real: mntsnap: live groups: 1 of 1 wanted found in 1 of [0-9]+ mount namespaces \([0-9]+ mounts looked at\)$"
	refute_line --partial "real: mntsnap: replay: warning"
}

# An nsfs mount is a pin, never cloned from a live nsfs mount elsewhere
# (their roots are no paths): one without its namespace (no "nsfs" object)
# is refused without reading any other namespace (every pin on the host has
# nsfs's device: each was read, and the look-up never ended early).
@test "replay -n: an nsfs mount without its namespace is refused without reading other namespaces" {
	python3 - "$BATS_TEST_TMPDIR/pin.json" <<"PY"
import json, sys
def m(i, parent, mp, dev, fstype):
    return {"deleted": False, "dev": dev, "fstype": fstype, "id": i, "idmap": None,
            "master_id": 0, "mnt_id": i, "mount_options": ["rw", "relatime"], "mountpoint": mp,
            "nsfs": None, "parent": parent, "propagate_from": 0, "root": "/", "shared_id": 0,
            "source": "nsfs" if fstype == "nsfs" else "none", "super_options": ["rw"],
            "unbindable": False}
json.dump({"capture": {"method": "mountinfo", "selection": "pid", "subtree": None},
           "created": "2026-01-01T00:00:00Z", "format": "mntsnap", "format_version": 1,
           "host": {"arch": "x86_64", "hostname": "h", "kernel": "6.18"},
           "namespaces": [{"label": "ns0", "mnt_ns_id": None, "ns_ino": 4026532300,
                           "nsfs_paths": [], "owner_userns_ino": None, "pids": [], "root_mount": 1,
                           "mounts": [m(1, None, "/", "0:7001", "tmpfs"), m(2, 1, "/p", "0:4", "nsfs")]}],
           "tool": {"name": "mntsnap", "version": "0.1.0"}, "warnings": []}, open(sys.argv[1], "w"))
PY
	run -2 "$MNTSNAP" -v replay -n --mkdir --new="$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/pin.json"
	refute_line --partial "live groups:"
	assert_line --partial "mntsnap: replay: 'ns0:/p' (nsfs 0:4): "

}

# The source a clone of a live mount comes back with is known from the table
# of the caller's live mounts when listmount+statmount read it, and asked of
# the kernel per superblock when it came from mountinfo: the same warnings
# either way, an empty source included.
@test "replay: live tmpfs mounts captured under other sources: the same warnings from either live table" {
	run in_private_ns '
		L=$TMP/lay
		mkdir -p "$L"
		mount -t tmpfs -o mode=755 lay "$L"
		mkdir "$L/a" "$L/e"
		mount -t tmpfs live-a "$L/a"
		mount -t tmpfs "" "$L/e"
		"$MNTSNAP" capture -p $$ --subtree "$L" |
			jq "(.namespaces[0].mounts[] | select(.source == \"live-a\" or .source == \"\")).source |= \"was-\" + ." \
				>"$TMP/snap.json"
		for t in statmount mountinfo; do
			mkdir "$TMP/out-$t"
			r=0
			MNTSNAP_LIVE_TABLE=$t "$MNTSNAP" replay --no-verify --new="$TMP/out-$t" \
				"$TMP/snap.json" 2>"$TMP/err" || r=$?
			echo "$t: exit=$r warnings=$(grep -c warning "$TMP/err")"
			sed "s/^/$t: /" "$TMP/err"
		done
	'
	assert_success
	for t in statmount mountinfo; do
		assert_line "$t: exit=0 warnings=2"
		assert_line "$t: mntsnap: replay: warning: 'ns0:$BATS_TEST_TMPDIR/lay/a': its source 'was-live-a' comes back as 'live-a', the source of the live mount it is cloned from (replay never reconfigures a superblock it reuses)"
		assert_line "$t: mntsnap: replay: warning: 'ns0:$BATS_TEST_TMPDIR/lay/e': its source 'was-' comes back as '', the source of the live mount it is cloned from (replay never reconfigures a superblock it reuses)"
	done
}
