#!/usr/bin/env bats
# Moving a container's mounts to another host (issue 13): capture on host A,
# replay on host B with --map-source/--map-file, superblocks matched by
# identity across boots, overlays recreated from their recorded options.
#
# Two hosts are simulated in one private namespace: "host A" has its disks
# (tmpfs) under $W/A and a container on them; it is captured and torn down;
# "host B" has the same data under $W/B.  Host B is another machine: the
# snapshot's boot id is replaced by another one, as a capture there would
# have it (device numbers then name nothing here).

load test_helper

setup() {
	require_root
}

# Host A: disks d1 (overlay layers, two volumes) and d2 (a shared volume),
# a file on the root filesystem ($TMP is on it), and the container at
# $W/A/ct: overlay root, a volume bind, a read-only volume bind, a slave of
# the shared volume, a read-only bind of a single file.  Captured into
# $TMP/a.json (boot id replaced), then torn down; host B's data made under
# $W/B and $TMP/filesB.
two_hosts=$(
	cat <<'EOF'
W=$TMP/w
mkdir -p "$W"
mount -t tmpfs scratch "$W"
mkdir "$W/A"
mount -t tmpfs hostA "$W/A"
mkdir "$W/A/d1" "$W/A/d2" "$W/A/ct"
mount -t tmpfs diskA1 "$W/A/d1"
mount -t tmpfs diskA2 "$W/A/d2"
mount --make-shared "$W/A/d2"
mkdir -p "$W/A/d1/lower/data" "$W/A/d1/lower/ro" "$W/A/d1/lower/shared" "$W/A/d1/lower/etc" \
	"$W/A/d1/upper" "$W/A/d1/work" "$W/A/d1/vol1" "$W/A/d1/vol2" "$W/A/d2/shvol"
touch "$W/A/d1/lower/etc/resolv.conf"
echo base >"$W/A/d1/lower/os-release"
echo vol1 >"$W/A/d1/vol1/f"
echo vol2 >"$W/A/d1/vol2/f"
echo shared >"$W/A/d2/shvol/f"
mkdir "$TMP/filesA"
echo "nameserver A" >"$TMP/filesA/resolv.conf"
mount -t overlay ctroot -o "lowerdir=$W/A/d1/lower,upperdir=$W/A/d1/upper,workdir=$W/A/d1/work" "$W/A/ct"
echo written-on-A >"$W/A/ct/upper-file"
mount --bind "$W/A/d1/vol1" "$W/A/ct/data"
mount --bind -o ro "$W/A/d1/vol2" "$W/A/ct/ro"
mount --bind "$W/A/d2/shvol" "$W/A/ct/shared"
mount --make-slave "$W/A/ct/shared"
mount --bind "$TMP/filesA/resolv.conf" "$W/A/ct/etc/resolv.conf"
mount -o remount,bind,ro "$W/A/ct/etc/resolv.conf"
"$MNTSNAP" capture -p $$ --subtree "$W/A" |
	jq '.host.boot_id = "00000000-0000-4000-8000-000000000000"' >"$TMP/a.json"
# host B: the same data elsewhere; host A gone
mkdir "$W/B"
mount -t tmpfs hostB "$W/B"
mkdir "$W/B/disk1" "$W/B/disk2" "$W/B/graft"
mount -t tmpfs diskB1 "$W/B/disk1"
mount -t tmpfs diskB2 "$W/B/disk2"
cp -a "$W/A/d1/." "$W/B/disk1/"
cp -a "$W/A/d2/." "$W/B/disk2/"
umount -R "$W/A"
mkdir "$TMP/filesB"
echo "nameserver B" >"$TMP/filesB/resolv.conf"
rm -r "$TMP/filesA"
printf '%s\n' "# host B's second disk" "$W/A/d2=$W/B/disk2" "" \
	"--map-source $TMP/filesA/resolv.conf=$TMP/filesB/resolv.conf" >"$TMP/map"
EOF
)

@test "migrate: replay --fresh --map-source rebuilds the container on host B, verified" {
	run --separate-stderr in_private_ns "$two_hosts"'
		"$MNTSNAP" replay -n -t $$ --root "$W/B/graft" --fresh \
			--map-source "$W/A/d1=$W/B/disk1" --map-file "$TMP/map" "$TMP/a.json" >/dev/null
		echo "dry run: $?"
		"$MNTSNAP" replay -t $$ --root "$W/B/graft" --fresh \
			--map-source "$W/A/d1=$W/B/disk1" --map-file "$TMP/map" "$TMP/a.json"
		echo "replay: $?"
		G=$W/B/graft
		cat "$G/ct/os-release" "$G/ct/upper-file" "$G/ct/data/f" "$G/ct/ro/f" \
			"$G/ct/shared/f" "$G/ct/etc/resolv.conf"
		echo new >"$G/ct/new-file"
		echo "upper on disk1: $(cat "$W/B/disk1/upper/new-file")"
		touch "$G/ct/ro/x" 2>/dev/null || echo "ro: read-only"
		findmnt -n -o FSTYPE "$G/ct"
		findmnt -n -o FSTYPE,SOURCE,FSROOT "$G/ct/etc/resolv.conf" | sed "s|$TMP|TMP|g"
		findmnt -n -o OPTIONS "$G/ct/etc/resolv.conf" | cut -d, -f1
		# the slave volume receives what host B mounts in its master
		mkdir "$W/B/disk2/shvol/sub"
		mount -t tmpfs late "$G/d2/shvol/sub"
		findmnt -n -o SOURCE "$G/ct/shared/sub"
	'
	assert_success
	assert_line "dry run: 0"
	assert_line "replay: 0"
	assert_line base
	assert_line written-on-A
	assert_line vol1
	assert_line vol2
	assert_line shared
	assert_line "nameserver B"
	assert_line "upper on disk1: new"
	assert_line "ro: read-only"
	assert_line overlay
	assert_line --regexp "^ext4 +[^ ]+ +TMP/filesB/resolv.conf$"
	assert_line ro
	assert_line late
}

@test "migrate: one mapping missing: every unmapped mount named at once, nothing changed" {
	run --separate-stderr in_private_ns "$two_hosts"'
		before=$(cat /proc/self/mountinfo)
		set +e
		"$MNTSNAP" replay -n -t $$ --root "$W/B/graft" --fresh \
			--map-file "$TMP/map" "$TMP/a.json" >/dev/null
		echo "dry run: $?"
		"$MNTSNAP" replay -t $$ --root "$W/B/graft" --fresh --map-file "$TMP/map" "$TMP/a.json"
		echo "replay: $?"
		set -e
		[ "$before" = "$(cat /proc/self/mountinfo)" ] && echo "mounts unchanged"
	'
	assert_success
	assert_line "dry run: 2"
	assert_line "replay: 2"
	assert_line "mounts unchanged"
	# one line per unmapped mount (twice: the dry run and the run)
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 8 ]
	assert_equal "$(printf '%s\n' "$stderr" | sort -u | wc -l)" 4
	local w=$BATS_TEST_TMPDIR/w/A
	has() { grep -qF -- "$1" <<<"$stderr"; }
	has "'ns0:$w/d1' (tmpfs "
	has "captured in another boot: a tmpfs whose content (bound as '/vol1') is not here"
	has "'ns0:$w/ct/data' (tmpfs "
	has "a bind of '/vol1' of a tmpfs whose content is not here (map its source with --map-source OLD=NEW)"
	has "'ns0:$w/ct/ro' (tmpfs "
	has "a bind of '/vol2' of a tmpfs"
	has "'ns0:$w/ct' (overlay "
	has "overlay layers lowerdir '$w/d1/lower', upperdir '$w/d1/upper', workdir '$w/d1/work' are not here (map them with --map-source OLD=NEW)"
}

# A directory of the root filesystem ($TMP is on it) bound into a tmpfs,
# captured; $TMP/s.json.
bind_of_rootfs=$(
	cat <<'EOF2'
L=$TMP/lay
mkdir -p "$L" "$TMP/etcdir"
echo host-file >"$TMP/etcdir/f"
mount -t tmpfs -o mode=755 lay "$L"
mkdir "$L/e"
mount --bind "$TMP/etcdir" "$L/e"
"$MNTSNAP" capture -p $$ --subtree "$L" -o "$TMP/s.json"
umount "$L/e"
mkdir "$TMP/out"
EOF2
)

@test "identity: from another boot a device number binds nothing; the source device path finds it, with a warning" {
	run --separate-stderr in_private_ns "$bind_of_rootfs"'
		# another machine whose disk has no device here: external, refused
		jq ".host.boot_id = \"other\" | (.namespaces[0].mounts[] | select(.mountpoint == \"$L/e\") | .source) = \"/dev/no-such-disk\"" \
			"$TMP/s.json" >"$TMP/other.json"
		set +e
		"$MNTSNAP" replay -t $$ --root "$TMP/out" "$TMP/other.json"
		echo "unknown device: $?"
		set -e
		findmnt -n "$TMP/out" || echo "nothing mounted"
		# its recorded source is a block device here: reused, with a warning
		jq ".host.boot_id = \"other\"" "$TMP/s.json" >"$TMP/other2.json"
		"$MNTSNAP" replay -t $$ --root "$TMP/out" "$TMP/other2.json" 2>"$TMP/err"
		echo "by source path: $?"
		cat "$TMP/out/e/f"
		cat "$TMP/err" >&2
	'
	assert_success
	assert_line "unknown device: 2"
	assert_line "nothing mounted"
	assert_line "by source path: 0"
	assert_line host-file
	local e=$BATS_TEST_TMPDIR/lay/e
	grep -qF "mntsnap: replay: 'ns0:$e' (" <<<"$stderr"
	grep -qF "captured in another boot, and no UUID or block device finds its superblock here (map its source with --map-source OLD=NEW, or --external)" <<<"$stderr"
	grep -qF "mntsnap: replay: warning: 'ns0:$e' (" <<<"$stderr"
	grep -qF "captured in another boot: its superblock is taken from the mount of" <<<"$stderr"
}

@test "identity: a snapshot without a boot id is taken as this boot's, and -v says so" {
	run --separate-stderr in_private_ns "$bind_of_rootfs"'
		jq ".host.boot_id = null" "$TMP/s.json" >"$TMP/noboot.json"
		"$MNTSNAP" -v replay -n -t $$ --root "$TMP/out" "$TMP/noboot.json" >/dev/null
		echo "dry run: $?"
	'
	assert_success
	assert_line "dry run: 0"
	grep -qF "mntsnap: the snapshot records no boot id: its device numbers are taken to name this boot's superblocks" <<<"$stderr"
}

@test "identity: capture records the boot id; format 2 files still read" {
	run --separate-stderr in_private_ns "$bind_of_rootfs"'
		jq -r ".format_version, .host.boot_id" "$TMP/s.json"
		cat /proc/sys/kernel/random/boot_id
		jq "del(.host.boot_id) | del(.namespaces[].mounts[].fs_uuid, .namespaces[].mounts[].fs_label, .namespaces[].mounts[].root_type) | del(.namespaces[].owner_userns.locked) | .format_version = 2" \
			"$TMP/s.json" >"$TMP/v2.json"
		"$MNTSNAP" diff "$TMP/v2.json" "$TMP/s.json" && echo "v2 same"
		jq ".format_version = 2" "$TMP/s.json" >"$TMP/bad.json"
		"$MNTSNAP" diff "$TMP/bad.json" "$TMP/bad.json" || echo "v2 with boot_id: $?"
	'
	assert_success
	assert_line --index 0 3
	assert_equal "${lines[1]}" "${lines[2]}"
	assert_line "v2 same"
	assert_line "v2 with boot_id: 2"
	grep -qF "unknown key 'boot_id'" <<<"$stderr"
}

@test "diff: across boots a block filesystem is compared by UUID, not by device number" {
	run --separate-stderr in_private_ns "$bind_of_rootfs"'
		sel=".namespaces[0].mounts[] | select(.mountpoint == \"$L/e\")"
		jq "($sel).fs_uuid = \"u1\" | .host.boot_id = \"boot1\"" "$TMP/s.json" >"$TMP/a.json"
		jq "($sel).fs_uuid = \"u1\" | ($sel).dev = \"8:17\" | .host.boot_id = \"boot2\"" "$TMP/s.json" >"$TMP/b.json"
		jq "($sel).fs_uuid = \"u2\" | ($sel).dev = \"8:17\" | .host.boot_id = \"boot2\"" "$TMP/s.json" >"$TMP/c.json"
		jq "($sel).fs_uuid = \"u1\" | ($sel).dev = \"8:17\" | .host.boot_id = \"boot1\"" "$TMP/s.json" >"$TMP/d.json"
		set +e
		"$MNTSNAP" diff "$TMP/a.json" "$TMP/b.json"; echo "same UUID, other boot: $?"
		"$MNTSNAP" diff "$TMP/a.json" "$TMP/c.json"; echo "other UUID: $?"
		"$MNTSNAP" diff "$TMP/a.json" "$TMP/d.json"; echo "same boot, other dev: $?"
	'
	assert_success
	assert_line "same UUID, other boot: 0"
	assert_line "other UUID: 1"
	assert_line "~ $BATS_TEST_TMPDIR/lay/e: filesystem UUID: u1 -> u2"
	assert_line "same boot, other dev: 1"
}

@test "--map-source: a symlink out of NEW is not followed; nothing changes" {
	run --separate-stderr in_private_ns "$bind_of_rootfs"'
		mkdir -p "$TMP/new/lay/e"
		ln -s /etc "$TMP/new/etcdir"
		set +e
		"$MNTSNAP" replay -t $$ --root "$TMP/out" --map-source "$TMP=$TMP/new" "$TMP/s.json"
		echo "replay: $?"
		set -e
		findmnt -n "$TMP/out" || echo "nothing mounted"
	'
	assert_success
	assert_line "replay: 2"
	assert_line "nothing mounted"
	grep -qF "mntsnap: replay: " <<<"$stderr"
	grep -qF -e "--map-source: '$BATS_TEST_TMPDIR/new/etcdir' (a symlink on the way)" <<<"$stderr"
}

@test "--map-source and --map-file: malformed mappings are usage errors naming them" {
	printf '%s\n' '# comment' '/a=/b' 'oops' >"$BATS_TEST_TMPDIR/map"
	run --separate-stderr "$MNTSNAP" replay -n --new=/nonexistent --map-source 'rel=/x' x.json
	assert_failure 2
	grep -qF "mntsnap replay: --map-source 'rel=/x': OLD 'rel': not an absolute normalised path" <<<"$stderr"
	run --separate-stderr "$MNTSNAP" replay -n --new=/nonexistent --map-file "$BATS_TEST_TMPDIR/map" x.json
	assert_failure 2
	grep -qF "line 3: expected OLD=NEW" <<<"$stderr"
	run --separate-stderr "$MNTSNAP" replay -n --new=/nonexistent --map-file "$BATS_TEST_TMPDIR/none" x.json
	assert_failure 2
	grep -qF -e "--map-file '$BATS_TEST_TMPDIR/none': No such file or directory" <<<"$stderr"
}

# A loop device with an ext4 filesystem of a known UUID; detached again by
# teardown.
make_loop_fs() {
	command -v mkfs.ext4 >/dev/null && command -v losetup >/dev/null || skip "no mkfs.ext4/losetup"
	truncate -s 16M "$BATS_TEST_TMPDIR/img"
	mkfs.ext4 -q -U 6d3a1f0e-8f47-4c1b-9a55-2b7f4e0c9d11 -L migtest "$BATS_TEST_TMPDIR/img"
	LOOP=$(losetup -f --show "$BATS_TEST_TMPDIR/img") || skip "no loop device"
	echo "$LOOP" >"$BATS_TEST_TMPDIR/loopdev"
}

teardown() {
	if [ -f "$BATS_TEST_TMPDIR/loopdev" ]; then
		losetup -d "$(cat "$BATS_TEST_TMPDIR/loopdev")" || true
	fi
}

@test "block device: UUID and label captured; not mounted here, it is mounted from the device (found by UUID across boots)" {
	make_loop_fs
	run --separate-stderr in_private_ns '
		L=$TMP/lay
		mkdir -p "$L"
		mount -t tmpfs -o mode=755 lay "$L"
		mkdir "$L/disk" "$L/vol"
		mount "$1" "$L/disk"
		mkdir "$L/disk/data"
		echo on-the-disk >"$L/disk/data/f"
		mount --bind "$L/disk/data" "$L/vol"
		"$MNTSNAP" capture -p $$ --subtree "$L" -o "$TMP/s.json"
		jq -r ".namespaces[0].mounts[] | select(.mountpoint == \"$L/vol\") | \"\(.fs_uuid) \(.fs_label)\"" "$TMP/s.json"
		umount "$L/vol" "$L/disk"
		mkdir "$TMP/out" "$TMP/out2"
		# this boot: the device is not mounted: mounted from it
		"$MNTSNAP" replay -t $$ --root "$TMP/out" "$TMP/s.json"
		echo "this boot: $?"
		cat "$TMP/out/vol/f"
		findmnt -n -o SOURCE "$TMP/out/disk"
		umount -R "$TMP/out"
		# another boot: found by its UUID
		jq ".host.boot_id = \"other\"" "$TMP/s.json" >"$TMP/other.json"
		"$MNTSNAP" replay -t $$ --root "$TMP/out2" "$TMP/other.json"
		echo "other boot: $?"
		cat "$TMP/out2/vol/f"
		umount -R "$TMP/out2"
	' "$LOOP"
	assert_success
	assert_line "6d3a1f0e-8f47-4c1b-9a55-2b7f4e0c9d11 migtest"
	assert_line "this boot: 0"
	assert_line "other boot: 0"
	assert_line "$LOOP"
	assert_equal "$(grep -c '^on-the-disk$' <<<"$output")" 2
	grep -qF "captured in another boot: mounted from $LOOP" <<<"$stderr"
	grep -qF "found by its UUID" <<<"$stderr"
}
