#!/usr/bin/env bats
# mntsnap diff: layouts compared modulo renumbering.  Snapshot tests start
# from fixtures/diff/base.json (two namespaces: peer groups, a slave, an
# external master, an overmount, an unbindable mount, an nsfs pin) and change
# one thing with jq; live tests capture, change the layout, capture again.

load test_helper
load diff_helper

setup() {
	B="$BATS_TEST_TMPDIR/b.json"
}

# diff_to 'JQ FILTER' [diff options...]: runs diff BASE VARIANT.
diff_to() {
	variant "$1" >"$B"
	shift
	run --separate-stderr "$MNTSNAP" diff "$@" "$BASE" "$B"
}

@test "identical after renumbering every id, group and anonymous dev: exit 0, no output" {
	renumber >"$B"
	# the renumbering really changed the numbers
	run jq -r '.namespaces[0].mounts[-1] | "\(.id) \(.shared_id) \(.dev)"' "$B"
	assert_output "5101 1001 8:1"
	run --separate-stderr "$MNTSNAP" diff "$BASE" "$B"
	assert_equal "$status" 0
	assert_output ""
	assert_equal "$stderr" ""
}

@test "--strict-ids reports the renumbering" {
	renumber >"$B"
	run --separate-stderr "$MNTSNAP" diff --strict-ids --ns ns1 "$BASE" "$B"
	assert_equal "$status" 1
	assert_line --index 0 "~ namespace ns1: mnt_ns_id: 4501 -> 11501"
	assert_line --index 1 "namespace ns1:"
	assert_line "~ /: shared_id: 20 -> 1020"
	assert_line "~ /: master_id: 1 -> 1001"
	assert_line "~ /mnt: dev: 0:30 -> 0:530"
}

@test "added mount" {
	diff_to '(nsm("ns0").mounts) += [byid(114) | .id = 150 | .parent = 104
		| .mountpoint = "/sys/fs/cgroup" | .dev = "0:50" | .unbindable = false]'
	assert_equal "$status" 1
	assert_output "namespace ns0:
+ /sys/fs/cgroup tmpfs"
}

@test "removed mount, and the mounts on top of it" {
	diff_to 'del(byid(112), byid(113))'
	assert_equal "$status" 1
	assert_output "namespace ns0:
- /mnt/x tmpfs
- /mnt/x (layer 2) ramfs"
}

@test "changed fstype, root and source" {
	diff_to '(byid(106).fstype) = "ramfs" | (byid(111).root) = "/other" | (byid(202).source) = "proc2"'
	assert_equal "$status" 1
	assert_output "namespace ns0:
~ /mnt/a: fstype: tmpfs -> ramfs
~ /mnt/f: root: /sub -> /other
namespace ns1:
~ /proc: source: proc -> proc2"
}

@test "per-mount option added and removed, compared as sets" {
	diff_to '(byid(106).mount_options) = ["ro", "relatime"]
		| (byid(102).mount_options) = ["rw", "nodev", "noexec", "relatime", "nosuid"]
		| (byid(103).mount_options) = ["rw", "nosuid", "nodev", "noexec", "relatime"]'
	assert_equal "$status" 1
	# the reordered /proc options are no difference
	assert_output "namespace ns0:
~ /mnt/a: options: +ro
~ /proc/sys: options: -ro"
}

@test "superblock option added and removed, once per superblock" {
	diff_to '(byid(105), byid(203) | .super_options) = ["ro", "mode=755", "size=2048k"]'
	assert_equal "$status" 1
	assert_output "namespace ns0:
~ /mnt: super options: -size=1024k +ro +size=2048k"
}

@test "stacking order of two overmounts swapped" {
	diff_to '(byid(112) | .fstype, .source) = "ramfs" | (byid(113) | .fstype, .source) = "tmpfs"'
	assert_equal "$status" 1
	assert_output "namespace ns0:
~ /mnt/x: fstype: tmpfs -> ramfs
~ /mnt/x: source: tmpfs -> ramfs
~ /mnt/x (layer 2): fstype: ramfs -> tmpfs
~ /mnt/x (layer 2): source: ramfs -> tmpfs"
}

@test "peer group split in two" {
	diff_to '(byid(107).shared_id) = 50'
	assert_equal "$status" 1
	assert_output "namespace ns0:
~ /mnt/a: peers: group split: (group of /mnt/a), (group of /mnt/b)"
}

@test "two peer groups merged" {
	diff_to '(byid(108).shared_id) = 11 | (byid(108).dev) = "0:31"'
	assert_equal "$status" 1
	assert_output "namespace ns0:
~ /mnt/a: peers: groups merged: (group of /mnt/a), (group of /mnt/c)
~ /mnt/c: superblock: own -> shared with /mnt/a"
}

@test "a mount joins a peer group, another leaves it" {
	diff_to '(byid(112).shared_id) = 11 | (byid(112).dev) = "0:31" | del(byid(113))
		| (byid(107).shared_id) = 0'
	assert_equal "$status" 1
	assert_output "namespace ns0:
~ /mnt/a: peers: -/mnt/b +/mnt/x
~ /mnt/x: superblock: own -> shared with /mnt/a
- /mnt/x (layer 2) ramfs"
}

@test "shared added, shared removed" {
	diff_to '(byid(112).shared_id) = 60 | (byid(108).shared_id) = 0'
	assert_equal "$status" 1
	assert_output "namespace ns0:
~ /mnt/c: shared: yes -> no
~ /mnt/x: shared: no -> yes"
}

@test "master changed, within the namespace and across namespaces" {
	diff_to '(byid(109).master_id) = 12 | (byid(204).master_id) = 13'
	assert_equal "$status" 1
	assert_output "namespace ns0:
~ /mnt/d: master: (group of /mnt/a) -> (group of /mnt/c)
namespace ns1:
~ /mnt/a: master: (group of ns0:/mnt/a) -> (group of ns0:/mnt/e)"
}

@test "master removed; an external master compares as external" {
	diff_to '(byid(109).master_id) = 0 | (byid(115).master_id) = 0 | (byid(110).master_id) = 77'
	assert_equal "$status" 1
	assert_output "namespace ns0:
~ /mnt/d: master: (group of /mnt/a) -> none
~ /mnt/e: master: none -> external
~ /mnt/ext: master: external -> none"
}

@test "unbindable changed" {
	diff_to '(byid(114).unbindable) = false | (byid(112).unbindable) = true'
	assert_equal "$status" 1
	assert_output "namespace ns0:
~ /mnt/u: unbindable: yes -> no
~ /mnt/x: unbindable: no -> yes"
}

@test "superblock split: a mount that shared one now has its own" {
	diff_to '(byid(111).dev) = "0:60"'
	assert_equal "$status" 1
	assert_output "namespace ns0:
~ /mnt/f: superblock: shared with /mnt/e -> own"
}

@test "superblocks merged" {
	diff_to '(byid(114).dev) = "0:35"'
	assert_equal "$status" 1
	assert_output "namespace ns0:
~ /mnt/x: superblock: own -> shared with /mnt/u"
}

@test "a block device number is compared, unless --ignore dev" {
	diff_to '(byid(101).dev, byid(201).dev) = "8:2"'
	assert_equal "$status" 1
	assert_output "namespace ns0:
~ /: dev: 8:1 -> 8:2
namespace ns1:
~ /: dev: 8:1 -> 8:2"
	run --separate-stderr "$MNTSNAP" diff --ignore dev "$BASE" "$B"
	assert_equal "$status" 0
	assert_output ""
}

@test "nsfs pin of another namespace" {
	diff_to '(byid(116).nsfs.ns) = "ns0" | .namespaces[].nsfs_paths = []
		| (nsm("ns0").nsfs_paths) = [{ns: "ns0", path: "/mnt/pin"}]'
	assert_equal "$status" 1
	assert_output "namespace ns0:
~ /mnt/pin: pins: mnt namespace ns1 -> mnt namespace ns0"
}

@test "a namespace missing" {
	diff_to 'del(nsm("ns1"), byid(116))'
	assert_equal "$status" 1
	assert_output "namespace ns0:
- /mnt/pin nsfs
- namespace ns1"
	# and the other way round
	run --separate-stderr "$MNTSNAP" diff "$B" "$BASE"
	assert_equal "$status" 1
	assert_output "namespace ns0:
+ /mnt/pin nsfs
+ namespace ns1"
}

@test "other labels: namespaces paired by structure, pins through the pairing" {
	diff_to '(nsm("ns0").label) = "host" | (nsm("ns1").label) = "child"
		| (byid(116).nsfs.ns) = "child" | .namespaces[].nsfs_paths = []
		| (nsm("child").nsfs_paths) = [{ns: "host", path: "/mnt/pin"}]
		| .namespaces |= reverse'
	assert_equal "$status" 0
	assert_output ""
	variant '(byid(204).fstype) = "ramfs"' "$B" >"$B.2"
	run --separate-stderr "$MNTSNAP" diff "$BASE" "$B.2"
	assert_equal "$status" 1
	assert_output "namespace ns1 -> child:
~ /mnt/a: fstype: tmpfs -> ramfs"
}

@test "--json: the same differences as an array" {
	diff_to '(byid(106).fstype) = "ramfs" | del(byid(114))' --json
	assert_equal "$status" 1
	run jq -c '.[]' <<<"$output"
	assert_output '{"field":"fstype","kind":"changed","mountpoint":"/mnt/a","new":"ramfs","ns":"ns0","old":"tmpfs","text":"~ /mnt/a: fstype: tmpfs -> ramfs"}
{"field":"mount","kind":"removed","mountpoint":"/mnt/u","new":null,"ns":"ns0","old":"tmpfs","text":"- /mnt/u tmpfs"}'
	renumber >"$B"
	run --separate-stderr "$MNTSNAP" diff --json "$BASE" "$B"
	assert_equal "$status" 0
	assert_output "[]"
}

@test "-q and the global -q print nothing; the exit status still tells" {
	diff_to '(byid(106).fstype) = "ramfs"' -q
	assert_equal "$status" 1
	assert_output ""
	run --separate-stderr "$MNTSNAP" -q diff "$BASE" "$B"
	assert_equal "$status" 1
	assert_output ""
	run --separate-stderr "$MNTSNAP" diff -q "$BASE" "$BASE"
	assert_equal "$status" 0
}

@test "--ns, --subtree and --ignore narrow the comparison" {
	variant '(byid(106).fstype) = "ramfs" | (byid(204).source) = "x"
		| (byid(103).mount_options) = ["rw"] | (byid(109).master_id) = 0' >"$B"
	run --separate-stderr "$MNTSNAP" diff --ns ns1 "$BASE" "$B"
	assert_equal "$status" 1
	assert_output "namespace ns1:
~ /mnt/a: source: tmpfs -> x"
	run --separate-stderr "$MNTSNAP" diff --subtree /proc "$BASE" "$B"
	assert_equal "$status" 1
	assert_output "namespace ns0:
~ /proc/sys: options: -ro -nosuid -nodev -noexec -relatime"
	run --separate-stderr "$MNTSNAP" diff --ignore fstype,source,mount_options "$BASE" "$B"
	assert_equal "$status" 1
	assert_output "namespace ns0:
~ /mnt/d: master: (group of /mnt/a) -> none"
	run --separate-stderr "$MNTSNAP" diff --ignore fstype,source,mount_options,propagation \
		"$BASE" "$B"
	assert_equal "$status" 0
	assert_output ""
}

@test "one side on standard input" {
	variant '(byid(106).fstype) = "ramfs"' >"$B"
	run --separate-stderr "$MNTSNAP" diff - "$B" <"$BASE"
	assert_equal "$status" 1
	assert_output "namespace ns0:
~ /mnt/a: fstype: tmpfs -> ramfs"
}

@test "malformed JSON: exit 2, one line naming the file" {
	head -c 200 "$BASE" >"$B"
	run --separate-stderr "$MNTSNAP" diff "$BASE" "$B"
	assert_equal "$status" 2
	assert_output ""
	[[ "$stderr" =~ ^"mntsnap: diff: $B:"[0-9]+:[0-9]+": malformed JSON: " ]]
	assert_equal "$(wc -l <<<"$stderr")" 1
}

@test "wrong format_version: exit 2" {
	variant '.format_version = 4' >"$B"
	run --separate-stderr "$MNTSNAP" diff "$B" "$BASE"
	assert_equal "$status" 2
	assert_output ""
	assert_equal "$stderr" "mntsnap: diff: $B: format_version 4: unsupported (this mntsnap reads 1 to 3)"
}

@test "dangling parent id: exit 2 naming the mount" {
	variant '(byid(110).parent) = 999' >"$B"
	run --separate-stderr "$MNTSNAP" diff "$BASE" "$B"
	assert_equal "$status" 2
	assert_equal "$stderr" \
		"mntsnap: diff: $B: namespace 'ns0' mount 110: parent 999: no such mount in the namespace"
}

@test "two siblings on one mountpoint: exit 2 naming both (pairing by mountpoint needs them stacked)" {
	# /mnt/x holds 112 with 113 on top; make 113 a sibling of 112 instead
	variant '(byid(113).parent) = 105' >"$B"
	run --separate-stderr "$MNTSNAP" diff "$B" "$B"
	assert_equal "$status" 2
	assert_equal "$stderr" "mntsnap: diff: $B: namespace 'ns0' mount 113: mountpoint '/mnt/x': also that of its sibling 112 (a mount on an occupied mountpoint has the one there as parent or child)"
}

@test "both sides on standard input, unknown --ignore field, --ns not in A: exit 2" {
	run --separate-stderr "$MNTSNAP" diff - - <"$BASE"
	assert_equal "$status" 2
	assert_equal "$stderr" "mntsnap: diff: '-': standard input can be only one of A and B"
	run --separate-stderr "$MNTSNAP" diff --ignore fstype,colour "$BASE" "$BASE"
	assert_equal "$status" 2
	[[ "$stderr" == "mntsnap diff: --ignore 'colour': unknown field (one of: source,"* ]]
	run --separate-stderr "$MNTSNAP" diff --ns nope "$BASE" "$BASE"
	assert_equal "$status" 2
	assert_equal "$stderr" "mntsnap: diff: namespace 'nope': not in the first snapshot"
	run --separate-stderr "$MNTSNAP" diff "$BASE" "$BATS_TEST_TMPDIR/missing.json"
	assert_equal "$status" 2
	assert_equal "$stderr" \
		"mntsnap: diff: cannot open '$BATS_TEST_TMPDIR/missing.json': No such file or directory"
}

@test "a snapshot taken with --subtree compares with the same subtree of a full one" {
	local full="$BATS_TEST_TMPDIR/full.json"
	variant 'del(nsm("ns1"), byid(116))' >"$full"
	variant '.capture.subtree = "/mnt" | (nsm("ns0").mounts) |= map(select(.mountpoint
		| startswith("/mnt"))) | (byid(105).parent) = null | (nsm("ns0").root_mount) = 105' \
		"$full" >"$B"
	run --separate-stderr "$MNTSNAP" diff "$B" "$full"
	assert_equal "$status" 0
	assert_output ""
	# outside the subtree nothing counts; inside it does
	variant '(byid(102).fstype) = "ramfs" | (byid(107).fstype) = "ramfs"' "$full" >"$full.2"
	run --separate-stderr "$MNTSNAP" diff "$full.2" "$B"
	assert_equal "$status" 1
	assert_output "namespace ns0:
~ /mnt/b: fstype: ramfs -> tmpfs"
}

# ---- live: capture, change the layout, compare with the snapshot ----------

@test "live: unchanged layout: the snapshot equals pid:PID, ns:FILE and A alone" {
	require_capture
	run --separate-stderr in_private_ns "$LIVE_PRELUDE"'
		mkdir a b; mount -t tmpfs ta a; mount --make-shared a; mount --bind a b
		snap a
		"$MNTSNAP" diff "$TMP/a.json" pid:$$
		"$MNTSNAP" diff "$TMP/a.json" ns:/proc/$$/ns/mnt
		"$MNTSNAP" diff "$TMP/a.json"
		echo same'
	assert_equal "$stderr" ""
	assert_equal "$status" 0
	assert_output "same"
}

@test "live: mounts added and removed; fstype, source, root and options changed" {
	require_capture
	run --separate-stderr in_private_ns "$LIVE_PRELUDE"'
		mkdir a b c d e
		mount -t tmpfs -o size=1m ta a; mkdir a/sub a/other; mount --bind a/sub c
		mount -t tmpfs tb b; mount -t tmpfs te e
		snap a
		umount b; mount -t ramfs rd d
		umount c; mount --bind a/other c
		mount -o remount,size=2m a; mount -o remount,bind,ro a
		umount e; mount -t ramfs re e
		"$MNTSNAP" diff "$TMP/a.json" pid:$$'
	assert_equal "$stderr" ""
	assert_equal "$status" 1
	S=$BATS_TEST_TMPDIR/s
	assert_output "namespace ns0:
~ $S/a: options: +ro
~ $S/a: super options: -size=1024k +size=2048k
- $S/b tmpfs
~ $S/c: root: /sub -> /other
+ $S/d ramfs
~ $S/e: fstype: tmpfs -> ramfs
~ $S/e: source: te -> re"
}

@test "live: stacking order of two overmounts swapped" {
	require_capture
	run --separate-stderr in_private_ns "$LIVE_PRELUDE"'
		mkdir o; mount -t tmpfs lo o; mount -t ramfs hi o
		snap a
		umount o; umount o; mount -t ramfs hi o; mount -t tmpfs lo o
		"$MNTSNAP" diff "$TMP/a.json" pid:$$'
	assert_equal "$stderr" ""
	assert_equal "$status" 1
	S=$BATS_TEST_TMPDIR/s
	assert_output "namespace ns0:
~ $S/o: fstype: tmpfs -> ramfs
~ $S/o: source: lo -> hi
~ $S/o (layer 2): fstype: ramfs -> tmpfs
~ $S/o (layer 2): source: hi -> lo"
}

@test "live: group split, groups merged, shared added, unbindable" {
	require_capture
	run --separate-stderr in_private_ns "$LIVE_PRELUDE"'
		mkdir a b c g h p u
		mount -t tmpfs ta a; mount --make-shared a; mount --bind a b; mount --bind a c
		mount -t tmpfs th h; mount --make-shared h
		mount -t tmpfs th g; mount --make-shared g
		mount -t tmpfs tp p; mount -t tmpfs tu u
		snap a
		mount --make-private c; mount --make-shared c
		umount g; mount --bind h g
		mount --make-shared p; mount --make-unbindable u
		"$MNTSNAP" diff "$TMP/a.json" pid:$$'
	assert_equal "$stderr" ""
	assert_equal "$status" 1
	S=$BATS_TEST_TMPDIR/s
	assert_output "namespace ns0:
~ $S/a: peers: group split: (group of $S/a), (group of $S/c)
~ $S/g: peers: groups merged: (group of $S/g), (group of $S/h)
~ $S/h: superblock: own -> shared with $S/g
~ $S/p: shared: no -> yes
~ $S/u: unbindable: no -> yes"
}

@test "live: master changed, master removed, superblock split" {
	require_capture
	run --separate-stderr in_private_ns "$LIVE_PRELUDE"'
		mkdir x y z w q1 q2
		mount -t tmpfs tx x; mount --make-shared x; mount --bind x y
		mount --bind x z; mount --make-slave z; mount --bind x w; mount --make-slave w
		mount -t tmpfs tq q1; mount --bind q1 q2
		snap a
		mount --make-private y; mount --make-shared y
		umount z; mount --bind y z; mount --make-slave z
		mount --make-private w
		umount q2; mount -t tmpfs tq q2
		"$MNTSNAP" diff "$TMP/a.json" pid:$$'
	assert_equal "$stderr" ""
	assert_equal "$status" 1
	S=$BATS_TEST_TMPDIR/s
	assert_output "namespace ns0:
~ $S/q2: superblock: shared with $S/q1 -> own
~ $S/w: master: (group of $S/x) -> none
~ $S/x: peers: group split: (group of $S/x), (group of $S/y)
~ $S/z: master: (group of $S/x) -> (group of $S/y)"
}

@test "live: A alone reports a namespace that no longer exists" {
	require_capture
	run --separate-stderr in_private_ns "$LIVE_PRELUDE"'
		unshare --mount sleep 600 &
		child=$!
		trap "kill $child 2>/dev/null || true" EXIT
		# wait until the child has its own namespace
		until [ "$(readlink /proc/$child/ns/mnt)" != "$(readlink /proc/$$/ns/mnt)" ]; do
			sleep 0.05
		done
		"$MNTSNAP" capture -p $$ -p $child --subtree "$S" -o "$TMP/a.json"
		"$MNTSNAP" diff "$TMP/a.json" && echo "same while it lives"
		kill $child
		wait $child || true
		# the namespace goes with its last process; give the kernel a
		# moment to forget its id
		for _ in $(seq 100); do "$MNTSNAP" diff -q "$TMP/a.json" || break; sleep 0.05; done
		"$MNTSNAP" diff "$TMP/a.json"'
	assert_equal "$stderr" ""
	assert_equal "$status" 1
	assert_output "same while it lives
- namespace ns1"
}

@test "live: a --subtree snapshot compares with the namespace it was replayed into (its subtree at /)" {
	require_root
	in_private_ns '
	mount -t tmpfs scratch "$TMP"
	mkdir -p "$TMP/ct" "$TMP/ns"
	mount -t tmpfs ct "$TMP/ct"
	mkdir "$TMP/ct/a" "$TMP/ct/b" "$TMP/ct/c"
	mount --bind "$TMP/ct/a" "$TMP/ct/a"
	mount --make-shared "$TMP/ct/a"
	mount --bind "$TMP/ct/a" "$TMP/ct/b"
	mount --bind "$TMP/ct/a" "$TMP/ct/c"
	mount --make-slave "$TMP/ct/c"
	"$MNTSNAP" capture --subtree "$TMP/ct" -p $$ -o "$TMP/ct.json"
	"$MNTSNAP" replay --new="$TMP/ns" "$TMP/ct.json"
	"$MNTSNAP" diff "$TMP/ct.json" "ns:$TMP/ns/ns0"
	"$MNTSNAP" diff "ns:$TMP/ns/ns0" "$TMP/ct.json"
	# a real difference is still one: drop /c from the snapshot
	jq "del(.namespaces[0].mounts[] | select(.mountpoint | endswith(\"/ct/c\")))" \
		"$TMP/ct.json" > "$TMP/less.json"
	rc=0
	"$MNTSNAP" diff "$TMP/less.json" "ns:$TMP/ns/ns0" > "$TMP/out" || rc=$?
	[ $rc = 1 ]
	diff -u - "$TMP/out" <<-OUT
	namespace ns0:
	+ /c tmpfs
	OUT
	'
}

@test "any dev compares equal to itself: 0:0, 4294967295:4294967295 and a mix (also --ignore=dev)" {
	for filter in '.namespaces[].mounts[].dev = "0:0"' \
		'.namespaces[].mounts[].dev = "4294967295:4294967295"' \
		'(byid(101).dev, byid(201).dev) = "4294967295:4294967295" | (.namespaces[].mounts[] | select(.dev == "0:31") | .dev) = "0:0"'; do
		variant "$filter" >"$B"
		run --separate-stderr "$MNTSNAP" diff "$B" "$B"
		assert_equal "$stderr" ""
		assert_equal "$status" 0
		run --separate-stderr "$MNTSNAP" diff --ignore=dev "$B" "$B"
		assert_equal "$stderr" ""
		assert_equal "$status" 0
	done
	# and against the base: only the block device's number is a difference
	variant '(byid(101).dev, byid(201).dev) = "4294967295:4294967295"' >"$B"
	run --separate-stderr "$MNTSNAP" diff "$BASE" "$B"
	assert_equal "$status" 1
	assert_output "namespace ns0:
~ /: dev: 8:1 -> 4294967295:4294967295
namespace ns1:
~ /: dev: 8:1 -> 4294967295:4294967295"
}

@test "live --json: a mountpoint that is not valid UTF-8 keeps its mountpoint and text, written as is, and is an error" {
	require_capture
	run --separate-stderr in_private_ns "$LIVE_PRELUDE"'
		mkdir "$S/x"$'"'"'\xff'"'"'
		mount -t tmpfs tx "$S/x"$'"'"'\xff'"'"'
		unshare --mount --propagation private sleep 100 & child=$!
		sleep 0.3
		umount "$S/x"$'"'"'\xff'"'"'
		rc=0; "$MNTSNAP" diff --json --subtree "$S" pid:$child pid:$$ || rc=$?
		kill $child
		exit $rc'
	assert_equal "$status" 2
	bad="$BATS_TEST_TMPDIR/s/x"$'\xff'
	assert_line --index 4 "    \"mountpoint\": \"$bad\","
	assert_line --index 8 "    \"text\": \"- $bad tmpfs\""
	# the one-line error escapes the byte, as every error does
	assert_equal "$stderr" "mntsnap: diff: string '$BATS_TEST_TMPDIR/s/x\\377': not valid UTF-8, which JSON cannot carry"
}
