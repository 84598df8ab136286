#!/usr/bin/env bats
# mntsnap capture: live layouts from the seed documents, both backends, the
# namespace walk, offline -F, --subtree, -o, --tree and the error lines.

load test_helper
load capture_helper

setup() {
	export -f mntctl pin_ns mkgroup_chain mounts_below strip_ids schema_check capture_rows
	export TOP
}

@test "capture: the inverse-order chain (0,3),(3,2),(2,1),(1,0) (seed 000)" {
	require_root
	in_private_ns '
	B=$TMP/w; mkdir -p $B; mount -t tmpfs base $B; mount --make-private $B
	mkgroup_chain $B
	T=$B/t; mkdir -p $T
	# every mount made private first, then put into its group
	mount --bind $B/src $T; mount --bind $B/src $T/sub
	mount --bind $B/src $T/sub/sub; mount --bind $B/src $T/sub/sub/sub
	mntctl set-group $B/h3 $T; mount --make-slave $T
	mntctl set-group $B/h3 $T/sub
	mntctl set-group $B/h2 $T/sub/sub
	mntctl set-group $B/h1 $T/sub/sub/sub
	for h in h1 h2 h3 h4; do umount $B/$h; done
	capture_rows $B $T
	[ $mp0 = $T ]
	[ $mp1 = $T/sub ]
	[ $mp2 = $T/sub/sub ]
	[ $mp3 = $T/sub/sub/sub ]
	# the tree: a chain
	[ $par0 = $base_id ]
	[ $par1 = $id0 ]
	[ $par2 = $id1 ]
	[ $par3 = $id2 ]
	# the groups run the other way: (0,g3) (g3,g2) (g2,g1) (g1,0)
	[ $sh0 = 0 ]
	[ $ma0 = $sh1 ]
	[ $ma1 = $sh2 ]
	[ $ma2 = $sh3 ]
	[ $ma3 = 0 ]
	[ $sh1 != 0 ]
	[ $sh2 != 0 ]
	[ $sh3 != 0 ]
	[ $sh1 != $sh2 ]
	[ $sh2 != $sh3 ]
	[ $sh1 != $sh3 ]
	[ "$pf0$pf1$pf2$pf3" = 0000 ]
	'
}

@test "capture: the sharing-group tree (1,0)->(2,1),(3,1)->(4,3)->(0,4) stacked in reverse (seed 001)" {
	require_root
	in_private_ns '
	B=$TMP/w; mkdir -p $B/src $B/h1 $B/h2 $B/h3 $B/h4 $B/t
	mount -t tmpfs base $B; mount --make-private $B
	mkdir -p $B/src $B/h1 $B/h2 $B/h3 $B/h4 $B/t
	mount -t tmpfs seedsrc $B/src; mount --make-private $B/src
	for h in h1 h2 h3 h4; do mount --bind $B/src $B/$h; done
	mount --make-shared $B/h1
	mntctl set-group $B/h1 $B/h2; mount --make-slave $B/h2; mount --make-shared $B/h2
	mntctl set-group $B/h1 $B/h3; mount --make-slave $B/h3; mount --make-shared $B/h3
	mntctl set-group $B/h3 $B/h4; mount --make-slave $B/h4; mount --make-shared $B/h4
	# four mounts stacked at t, each reachable later through an fd
	T=$B/t
	mount --bind $B/src $T; exec 5<$T
	mount --bind $B/src $T; exec 6<$T
	mount --bind $B/src $T; exec 7<$T
	mount --bind $B/src $T; exec 8<$T
	mntctl set-group $B/h4 fd:5; mntctl prop fd:5 slave
	mntctl set-group $B/h4 fd:6
	mntctl set-group $B/h3 fd:7
	mntctl set-group $B/h1 fd:8
	exec 5<&- 6<&- 7<&- 8<&-
	umount $B/h1 $B/h3 $B/h4
	capture_rows $B $T
	read -r mpy idy pary shy may pfy < <(mounts_below $TMP/snap.json $B/h2)
	echo "${rows[@]}" / $mpy $shy $may
	# stacked: every one the parent of the next, all at t
	[ $par0 = $base_id ]
	[ $par1 = $id0 ]
	[ $par2 = $id1 ]
	[ $par3 = $id2 ]
	[ $mp0 = $T ]
	[ $mp1 = $T ]
	[ $mp2 = $T ]
	[ $mp3 = $T ]
	# (0,g4) (g4,g3) (g3,g1) (g1,0), and y = (g2,g1)
	[ $sh0 = 0 ]
	[ $ma0 = $sh1 ]
	[ $ma1 = $sh2 ]
	[ $ma2 = $sh3 ]
	[ $ma3 = 0 ]
	[ $may = $sh3 ]
	[ $shy != 0 ]
	[ $(printf "%s\n" $sh1 $sh2 $sh3 $shy | sort -u | wc -l) = 4 ]
	'
}

@test "capture: an overmount like seed 003's /sys/fs/cgroup keeps its exact parents" {
	require_root
	in_private_ns '
	B=$TMP/w; mkdir -p $B; mount -t tmpfs base $B; mount --make-private $B
	mkdir -p $B/cg; mount -t tmpfs cgroup $B/cg
	mkdir $B/cg/cgmanager; mount -t tmpfs none $B/cg/cgmanager
	mount -t tmpfs none $B/cg
	mkdir $B/cg/cgmanager $B/cg/blkio; mount -t tmpfs none $B/cg/cgmanager; mount -t tmpfs lxcfs $B/cg/blkio
	for k in listmount mountinfo; do
		"$MNTSNAP" capture --kernel=$k -p $$ > $TMP/$k.json
		schema_check $TMP/$k.json
		base_id=$(jq --arg p $B ".namespaces[0].mounts[] | select(.mountpoint == \$p) | .id" $TMP/$k.json)
		mapfile -t rows < <(mounts_below $TMP/$k.json $B/cg)
		printf "%s\n" "${rows[@]}"
		[ ${#rows[@]} = 5 ]
		read -r mp0 id0 par0 x <<< "${rows[0]}"
		read -r mp1 id1 par1 x <<< "${rows[1]}"
		read -r mp2 id2 par2 x <<< "${rows[2]}"
		read -r mp3 id3 par3 x <<< "${rows[3]}"
		read -r mp4 id4 par4 x <<< "${rows[4]}"
		[ $mp0 = $B/cg ]
		[ $par0 = $base_id ]
		[ $mp1 = $B/cg/cgmanager ]
		[ $par1 = $id0 ]
		[ $mp2 = $B/cg ]
		[ $par2 = $id0 ]
		[ $mp3 = $B/cg/cgmanager ]
		[ $par3 = $id2 ]
		[ $mp4 = $B/cg/blkio ]
		[ $par4 = $id2 ]
	done
	'
}

@test "capture -A: finds a namespace pinned only by an nsfs bind mount, and records the pin" {
	require_root
	in_private_ns '
	mkdir -p $TMP/pin; mount -t tmpfs pin $TMP/pin; mount --make-private $TMP/pin
	touch $TMP/pin/ns
	pin_ns $TMP/pin/ns --propagation private true
	ino=$(stat -c %i $TMP/pin/ns)
	"$MNTSNAP" capture -A > $TMP/all.json
	schema_check $TMP/all.json
	jq -e ".capture.selection == \"all\"" $TMP/all.json
	pinned=$(jq -r --argjson i $ino ".namespaces[] | select(.ns_ino == \$i) | .label" $TMP/all.json)
	holder=$(jq -r --arg p $TMP/pin/ns ".namespaces[] | select(any(.mounts[]; .mountpoint == \$p)) | .label" $TMP/all.json)
	echo "pinned=$pinned holder=$holder"
	[ -n "$pinned" ]
	[ -n "$holder" ]
	[ "$pinned" != "$holder" ]
	jq -e --arg l $pinned --arg h $holder --arg p $TMP/pin/ns \
		".namespaces[] | select(.label == \$l) | .pids == [] and .nsfs_paths == [{ns: \$h, path: \$p}]" $TMP/all.json
	jq -e --arg l $pinned --arg h $holder --arg p $TMP/pin/ns --argjson i $ino \
		".namespaces[] | select(.label == \$h) | .mounts[] | select(.mountpoint == \$p)
		 | .fstype == \"nsfs\" and .nsfs == {type: \"mnt\", ino: \$i, ns: \$l}" $TMP/all.json
	# labels follow ascending mnt_ns_id
	jq -e "[.namespaces[].mnt_ns_id] == ([.namespaces[].mnt_ns_id] | sort)" $TMP/all.json
	jq -e "[.namespaces[].label] == [range(.namespaces | length) | \"ns\(.)\"]" $TMP/all.json
	# the same namespace by its nsfs file, through both backends
	"$MNTSNAP" capture -m $TMP/pin/ns > $TMP/l.json
	"$MNTSNAP" capture --kernel=mountinfo -m $TMP/pin/ns > $TMP/m.json
	jq -e --argjson i $ino ".namespaces[0].ns_ino == \$i and .capture.selection == \"mount\"" $TMP/l.json
	diff <(strip_ids $TMP/l.json) <(strip_ids $TMP/m.json)
	# command-line order; the same namespace twice is captured once
	"$MNTSNAP" capture -p $$ -m $TMP/pin/ns -p $$ -F $FIXTURES/mountinfo/lxd-seed003.mountinfo > $TMP/mix.json
	schema_check $TMP/mix.json
	jq -e --argjson i $ino --argjson me $(stat -L -c %i /proc/self/ns/mnt) \
		--argjson u $(stat -L -c %i /proc/self/ns/user) --argjson pid $$ \
		"[.namespaces[] | [.label, .ns_ino]] == [[\"ns0\", \$me], [\"ns1\", \$i], [\"ns2\", null]]
		 and .capture.selection == \"mixed\" and .namespaces[0].owner_userns_ino == \$u
		 and (.namespaces[0].pids | index(\$pid)) != null and .namespaces[2].owner_userns_ino == null" $TMP/mix.json
	jq -e --arg v "$("$MNTSNAP" --version | head -n1 | cut -d" " -f2)" --arg k "$(uname -r)" --arg h "$(uname -n)" \
		--arg b "$(cat /proc/sys/kernel/random/boot_id)" \
		".tool == {name: \"mntsnap\", version: \$v} and .host == {kernel: \$k, arch: \"$(uname -m)\", hostname: \$h, boot_id: \$b}
		 and (.created | test(\"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$\"))" $TMP/mix.json
	'
}

@test "capture -m of many small namespaces, read two at a time: each namespace gets its own mounts" {
	require_root
	in_private_ns '
	B=$TMP/w; mkdir -p $B; mount -t tmpfs base $B; mount --make-private $B
	mkdir $B/pin $B/m; mount -t tmpfs pin $B/pin; mount --make-private $B/pin
	args=()
	for k in $(seq 0 11); do
		touch $B/pin/ns$k
		pin_ns $B/pin/ns$k --propagation private sh -c "
			for j in \$(seq 0 $k); do
				mkdir -p $B/m/$k.\$j; mount -t tmpfs ns$k-\$j $B/m/$k.\$j
			done"
		args+=(-m $B/pin/ns$k)
	done
	"$MNTSNAP" -vv capture --kernel=listmount "${args[@]}" > $TMP/l.json 2> $TMP/err
	"$MNTSNAP" capture --kernel=mountinfo "${args[@]}" > $TMP/m.json
	cat $TMP/err
	# each namespace is a copy of this one (a host of more mounts than a
	# namespace read ahead may hold reads them in turn)
	most=$(jq -e "[.namespaces[].mounts | length] | max" $TMP/l.json)
	ahead=yes
	[ "$(nproc)" -gt 1 ] || ahead=no
	[ "$most" -le 4096 ] || ahead=no
	if [ $ahead = yes ]; then
		grep -q "12 namespaces of at most 4096 mounts: read two at a time" $TMP/err
	fi
	schema_check $TMP/l.json
	diff <(strip_ids $TMP/l.json) <(strip_ids $TMP/m.json)
	# the same bytes from one CPU: no namespace read ahead, the JSON of the
	# namespaces not formatted in chunks on two
	taskset -c 0 "$MNTSNAP" capture --kernel=listmount "${args[@]}" > $TMP/one.json
	cmp <(grep -v "\"created\"" $TMP/l.json) <(grep -v "\"created\"" $TMP/one.json)
	# in command-line order, namespace k holds ns<k>-0 .. ns<k>-<k> and no other
	for k in $(seq 0 11); do
		jq -e --argjson k $k "[.namespaces[\$k].mounts[].source | select(test(\"^ns[0-9]+-\"))] | sort
			== ([range(\$k + 1) | \"ns\(\$k)-\(.)\"] | sort)" $TMP/l.json
	done
	'
}

@test "capture: propagate_from of a slave whose master group has no member in its namespace (both backends)" {
	require_root
	in_private_ns '
	B=$TMP/w; mkdir -p $B; mount -t tmpfs base $B; mount --make-private $B
	mkdir -p $B/a $B/m $B/s $B/pin
	mount -t tmpfs pfsrc $B/a; mount --make-shared $B/a
	mount --bind $B/a $B/m; mount --make-slave $B/m; mount --make-shared $B/m
	mount --bind $B/m $B/s; mount --make-slave $B/s
	mount -t tmpfs pin $B/pin; mount --make-private $B/pin; touch $B/pin/ns
	# a child namespace keeps the groups, then m leaves its group there
	pin_ns $B/pin/ns --propagation unchanged mount --make-private $B/m
	nsenter --mount=$B/pin/ns cat /proc/self/mountinfo | grep " $B/s " | tee $TMP/child-line
	grep -q propagate_from: $TMP/child-line
	ga=$(jq -r --arg p $B/a ".namespaces[0].mounts[] | select(.mountpoint == \$p) | .shared_id" <("$MNTSNAP" capture -p $$))
	gm=$(jq -r --arg p $B/m ".namespaces[0].mounts[] | select(.mountpoint == \$p) | .shared_id" <("$MNTSNAP" capture -p $$))
	for k in listmount mountinfo; do
		"$MNTSNAP" capture --kernel=$k -m $B/pin/ns > $TMP/$k.json
		jq -e --arg p $B/s --argjson ga $ga --argjson gm $gm \
			".namespaces[0].mounts[] | select(.mountpoint == \$p)
			 | .master_id == \$gm and .propagate_from == \$ga and .shared_id == 0" $TMP/$k.json
		# and where the master group has a member, none
		jq -e --arg p $B/s --argjson ga $ga \
			".namespaces[0].mounts[] | select(.mountpoint == \$p) | .propagate_from == 0" \
			<("$MNTSNAP" capture --kernel=$k -p $$)
	done
	grep -q "propagate_from:$ga" $TMP/child-line
	diff <(strip_ids $TMP/listmount.json) <(strip_ids $TMP/mountinfo.json)
	'
}

@test "capture: listmount and mountinfo backends agree on one live namespace" {
	require_root
	in_private_ns '
	B=$TMP/w; mkdir -p $B; mount -t tmpfs base $B; mount --make-private $B
	mkgroup_chain $B
	mkdir -p "$B/odd dir" $B/ro $B/del/gone $B/opts $B/ub
	mount -t tmpfs -o size=1m,mode=0700,nr_inodes=100 "odd src" "$B/odd dir"
	mount -t tmpfs -o ro,nosuid,nodev,noexec,noatime sb $B/ro
	mount --bind $B/src/sub $B/del/gone; mkdir $B/src/x; mount --bind $B/src/x $B/opts
	mount -o remount,bind,ro,nosymfollow $B/opts
	rmdir $B/src/x
	mount --bind $B/h3 $B/ub; mount --make-unbindable $B/ub
	mkdir $B/pin; mount -t tmpfs pin $B/pin; mount --make-private $B/pin; touch $B/pin/ns $B/pin/net
	pin_ns $B/pin/ns --propagation private true
	mount --bind /proc/self/ns/net $B/pin/net
	"$MNTSNAP" capture --kernel=listmount -p $$ > $TMP/l.json
	"$MNTSNAP" capture --kernel=mountinfo -p $$ > $TMP/m.json
	schema_check $TMP/l.json; schema_check $TMP/m.json
	jq -e ".capture.method == \"listmount\"" $TMP/l.json
	jq -e ".capture.method == \"mountinfo\"" $TMP/m.json
	diff <(strip_ids $TMP/l.json) <(strip_ids $TMP/m.json)
	# a few fields, against what the kernel prints
	jq -e --arg p "$B/odd dir" ".namespaces[0].mounts[] | select(.mountpoint == \$p)
		| .source == \"odd src\" and .super_options[0:4] == [\"rw\", \"size=1024k\", \"nr_inodes=100\", \"mode=700\"]" $TMP/l.json
	# per-mount and superblock options in the order of mountinfo fields 6 and 11
	awk "{ print \$1, \$6, \$NF }" /proc/self/mountinfo | sort > $TMP/kernel
	jq -r ".namespaces[0].mounts[] | \"\(.mnt_id) \(.mount_options | join(\",\")) \(.super_options | join(\",\"))\"" $TMP/l.json | sort > $TMP/ours
	diff $TMP/kernel $TMP/ours
	jq -e --arg p $B/ro ".namespaces[0].mounts[] | select(.mountpoint == \$p)
		| .mount_options == [\"ro\", \"nosuid\", \"nodev\", \"noexec\", \"noatime\"] and .super_options[0] == \"ro\"" $TMP/l.json
	jq -e --arg p $B/opts ".namespaces[0].mounts[] | select(.mountpoint == \$p)
		| .deleted and .root == \"/x\" and any(.mount_options[]; . == \"nosymfollow\")" $TMP/l.json
	jq -e --arg p $B/pin/ns --argjson i $(stat -c %i $B/pin/ns) ".namespaces[0].mounts[] | select(.mountpoint == \$p)
		| .nsfs == {type: \"mnt\", ino: \$i, ns: null} and .root == \"/\"" $TMP/m.json
	jq -e --arg p $B/pin/net ".namespaces[0].mounts[] | select(.mountpoint == \$p) | .nsfs.type == \"net\"" $TMP/l.json
	jq -e --arg p $B/ub ".namespaces[0].mounts[] | select(.mountpoint == \$p) | .unbindable and .shared_id == 0" $TMP/l.json
	# same state, same bytes (but created)
	# (no pipe: its other side would be one more pid in the namespace)
	"$MNTSNAP" capture -p $$ > $TMP/again1
	"$MNTSNAP" capture -p $$ > $TMP/again2
	cmp <(grep -v "\"created\"" $TMP/again1) <(grep -v "\"created\"" $TMP/again2)
	'
}

@test "capture: backends agree on 1200 mounts; the JSON is canonical (work shared by two threads)" {
	require_root
	in_private_ns '
	B=$TMP/w; mkdir -p $B; mount -t tmpfs base $B; mount --make-private $B
	mkdir $B/src $B/t{1..400} $B/b{1..400} $B/g{1..400}
	mount -t tmpfs src $B/src; mount --make-shared $B/src
	mkdir $B/src/s{1..400}
	for i in {1..400}; do
		mount -t tmpfs -o size=$((i * 4))k,mode=0$((750 + i % 8)) "t $i" $B/t$i
		mount --bind $B/src/s$i $B/b$i
		mount --bind $B/src $B/g$i
		[ $((i % 3)) = 0 ] && mount --make-slave $B/g$i
		[ $((i % 5)) = 0 ] && mount -o remount,bind,ro,nodev $B/b$i
	done
	[ $(wc -l < /proc/self/mountinfo) -gt 1200 ]
	"$MNTSNAP" capture --kernel=listmount -p $$ > $TMP/l.json
	"$MNTSNAP" capture --kernel=mountinfo -p $$ > $TMP/m.json
	diff <(strip_ids $TMP/l.json) <(strip_ids $TMP/m.json)
	# every mount, in ascending id order, with the fields mountinfo shows
	jq -e "[.namespaces[0].mounts[].id] | . == sort" $TMP/l.json
	awk "{ print \$1, \$5, \$6, \$NF }" /proc/self/mountinfo | sort > $TMP/kernel
	jq -r ".namespaces[0].mounts[] | \"\(.mnt_id) \(.mountpoint) \(.mount_options | join(\",\")) \(.super_options | join(\",\"))\"" $TMP/l.json | sort > $TMP/ours
	diff $TMP/kernel $TMP/ours
	"$MNTSNAP" capture -p $$ > $TMP/again
	cmp <(grep -v "\"created\"" $TMP/l.json) <(grep -v "\"created\"" $TMP/again)
	# byte for byte what a sorting serializer makes of the same document
	"$MNTSNAP" capture -p $$ --compact > $TMP/c.json
	python3 -c "
import json, sys
for name, kw in ((sys.argv[1], dict(indent=2)), (sys.argv[2], dict(separators=(\",\", \":\")))):
    raw = open(name, encoding=\"utf-8\").read()
    assert raw == json.dumps(json.loads(raw), sort_keys=True, ensure_ascii=False, **kw) + \"\\n\", name
" $TMP/l.json $TMP/c.json
	'
}

@test "capture -F: the LXD mountinfo of seed 003 (overmounted /sys/fs/cgroup)" {
	F=$FIXTURES/mountinfo/lxd-seed003.mountinfo
	run --separate-stderr "$MNTSNAP" capture -F "$F"
	assert_success
	echo "$output" > "$BATS_TEST_TMPDIR/snap.json"
	S=$BATS_TEST_TMPDIR/snap.json
	schema_check "$S"
	jq -e '.capture.method == "mountinfo" and .capture.selection == "mountinfo"' "$S"
	jq -e '.namespaces | length == 1' "$S"
	jq -e '.namespaces[0] | .mnt_ns_id == null and .ns_ino == null and .pids == [] and .root_mount == 71' "$S"
	jq -e '.namespaces[0].mounts | length == 42' "$S"
	# root: its parent (72) is not in the file
	jq -e '.namespaces[0].mounts[0] | .id == 71 and .parent == null and .root == "/var/lib/lxd/lxc/mig/rootfs"
		and .source == "/dev/disk/by-uuid/6c5a78e0-95fa-49a8-aa91-a8093d295e58"
		and .super_options == ["rw", "data=ordered"] and .dev == "253:1"' "$S"
	# the overmounted /sys/fs/cgroup: 122 on 108, 128 on 122; cgmanager on each
	run jq -r '.namespaces[0].mounts[] | select(.mountpoint | startswith("/sys/fs/cgroup")) | select(.fstype == "tmpfs")
		| "\(.id) \(.parent) \(.mountpoint)"' "$S"
	assert_output "122 108 /sys/fs/cgroup
123 122 /sys/fs/cgroup/cgmanager
128 122 /sys/fs/cgroup
129 128 /sys/fs/cgroup/cgmanager"
	jq -e '.namespaces[0].mounts[] | select(.id == 124) | .fstype == "fuse.lxcfs" and .source == "lxcfs"
		and .root == "/proc/cpuinfo" and .mount_options == ["rw", "nosuid", "nodev", "relatime"]
		and .super_options == ["rw", "user_id=0", "group_id=0", "allow_other"]' "$S"
	# a parent listed after its child (104 on 105)
	jq -e '.namespaces[0].mounts[] | select(.id == 104) | .parent == 105' "$S"
}

@test "capture -F: two files make two namespaces; propagation fields are parsed" {
	f=$BATS_TEST_TMPDIR/prop.mountinfo
	printf '%s\n' \
		'20 1 0:30 / / rw,relatime shared:1 - ext4 /dev/root rw' \
		'21 20 0:31 / /a rw shared:3 master:2 - tmpfs a\040b rw,size=4k,lowerdir=x\054y' \
		'22 20 0:31 / /b rw master:7 propagate_from:2 - tmpfs none rw' \
		'23 20 0:31 /gone//deleted /c\040d rw unbindable - tmpfs none rw' > "$f"
	run --separate-stderr "$MNTSNAP" capture -F "$f" -F "$FIXTURES/mountinfo/lxd-seed003.mountinfo"
	assert_success
	S=$BATS_TEST_TMPDIR/snap.json
	echo "$output" > "$S"
	schema_check "$S"
	jq -e '[.namespaces[].label] == ["ns0", "ns1"]' "$S"
	jq -e '.namespaces[0].mounts | map([.shared_id, .master_id, .propagate_from, .unbindable]) ==
		[[1, 0, 0, false], [3, 2, 0, false], [0, 7, 2, false], [0, 0, 0, true]]' "$S"
	jq -e '.namespaces[0].mounts[1] | .source == "a b" and .super_options == ["rw", "size=4k", "lowerdir=x,y"]' "$S"
	jq -e '.namespaces[0].mounts[3] | .root == "/gone" and .deleted and .mountpoint == "/c d"' "$S"
}

@test "capture --subtree: the mount at PATH becomes the root, paths stay absolute" {
	require_root
	in_private_ns '
	B=$TMP/w; mkdir -p $B; mount -t tmpfs base $B; mount --make-private $B
	mkdir -p $B/t $B/other; mount -t tmpfs t $B/t; mkdir -p $B/t/a $B/t/b
	mount -t tmpfs a $B/t/a; mount -t tmpfs a2 $B/t/a; mount -t tmpfs b $B/t/b; mount -t tmpfs o $B/other
	for k in listmount mountinfo; do
		"$MNTSNAP" capture --kernel=$k -p $$ --subtree $B/t/ > $TMP/s.json
		schema_check $TMP/s.json
		jq -e --arg p $B/t ".capture.subtree == \$p" $TMP/s.json
		jq -e --arg p $B/t ".namespaces[0] | (.mounts | length == 4) and .mounts[0].mountpoint == \$p
			and .mounts[0].parent == null and .root_mount == .mounts[0].id" $TMP/s.json
		run_out=$(jq -r ".namespaces[0].mounts[] | .mountpoint" $TMP/s.json | tr "\n" " ")
		[ "$run_out" = "$B/t $B/t/a $B/t/a $B/t/b " ]
	done
	# not a mountpoint: one line naming PATH, nothing on stdout
	rc=0; "$MNTSNAP" capture -p $$ --subtree $B/t/nothere > $TMP/out 2> $TMP/err || rc=$?
	[ $rc = 2 ]
	[ ! -s $TMP/out ]
	[ "$(cat $TMP/err)" = "mntsnap: capture: subtree '"'"'$B/t/nothere'"'"': not a mountpoint in pid '"'"'$$'"'"'" ]
	'
}

@test "capture --tree: a findmnt-like tree with shared:N master:M" {
	require_root
	in_private_ns '
	B=$TMP/w; mkdir -p $B; mount -t tmpfs base $B; mount --make-private $B
	mkgroup_chain $B
	mkdir -p $B/t; mount --bind $B/src $B/t; mount --make-unbindable $B/t
	"$MNTSNAP" capture -p $$ --subtree $B > $TMP/s.json
	"$MNTSNAP" capture -p $$ --subtree $B --tree > $TMP/tree
	cat $TMP/tree
	g2=$(jq -r --arg p $B/h2 ".namespaces[0].mounts[] | select(.mountpoint == \$p) | .shared_id" $TMP/s.json)
	g1=$(jq -r --arg p $B/h1 ".namespaces[0].mounts[] | select(.mountpoint == \$p) | .shared_id" $TMP/s.json)
	head -n1 $TMP/tree | grep -E "^ns0 mnt_ns_id=[0-9]+ ns_ino=[0-9]+ mounts=7 pids="
	sed -n 2p $TMP/tree | grep -E "^TARGET +SOURCE +FSTYPE +PROPAGATION$"
	sed -n 3p $TMP/tree | grep -E "^$B +base +tmpfs +private$"
	grep -E "^├─$B/h2 +seedsrc +tmpfs +shared:$g2 master:$g1$" $TMP/tree
	grep -E "^├─$B/h1 +seedsrc +tmpfs +shared:$g1$" $TMP/tree
	tail -n1 $TMP/tree | grep -E "^└─$B/t +seedsrc +tmpfs +unbindable$"
	[ $(wc -l < $TMP/tree) = 9 ]
	'
}

@test "capture -o: writes the file atomically, leaves it alone on error" {
	require_root
	in_private_ns '
	cd $TMP
	"$MNTSNAP" capture -p $$ -o $TMP/out.json
	jq -e ".namespaces[0].mounts | length > 0" $TMP/out.json
	[ "$(ls $TMP | grep -c out.json)" = 1 ]
	[ "$(stat -c %a $TMP/out.json)" = 644 ]
	"$MNTSNAP" capture -p $$ --compact -o $TMP/out.json
	[ $(wc -l < $TMP/out.json) = 1 ]
	cp $TMP/out.json $TMP/before
	rc=0; "$MNTSNAP" capture -p 999999 -o $TMP/out.json 2>/dev/null || rc=$?
	[ $rc = 2 ]
	cmp $TMP/before $TMP/out.json
	ls $TMP
	[ "$(ls $TMP | grep -c "out.json.")" = 0 ]
	'
}

@test "capture -o: a device or a FIFO is written in place, not replaced by a file" {
	require_root
	in_private_ns '
	mknod -m 666 $TMP/null c 1 3
	"$MNTSNAP" capture -p $$ -o $TMP/null
	[ "$(stat -c "%F %t:%T" $TMP/null)" = "character special file 1:3" ]
	mkfifo $TMP/fifo
	cat $TMP/fifo > $TMP/got &
	"$MNTSNAP" capture -p $$ --compact -o $TMP/fifo
	wait $!
	[ -p $TMP/fifo ]
	jq -e ".namespaces[0].mounts | length > 0" $TMP/got
	[ "$(ls $TMP | grep -c -e "null\." -e "fifo\.")" = 0 ]
	'
}

# bad input: one line on stderr naming the item, exit 2, nothing on stdout
bad_input() {
	local expected=$1
	shift
	run --separate-stderr "$@"
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "$expected"
}

@test "capture: no such pid" {
	bad_input "mntsnap: capture: pid '999999': no such process" "$MNTSNAP" capture -p 999999
}

@test "capture: not an nsfs file, not a mount namespace" {
	require_root
	bad_input "mntsnap: capture: namespace file '/etc/passwd': not an nsfs file" \
		"$MNTSNAP" capture -m /etc/passwd
	bad_input "mntsnap: capture: namespace file '/proc/self/ns/net': not a mount namespace" \
		"$MNTSNAP" capture -m /proc/self/ns/net
	bad_input "mntsnap: capture: namespace file '/nonexistent': No such file or directory" \
		"$MNTSNAP" capture -m /nonexistent
}

@test "capture -F: unreadable, missing and malformed mountinfo files" {
	f=$BATS_TEST_TMPDIR/bad.mountinfo
	bad_input "mntsnap: capture: mountinfo file '/nonexistent/mi': No such file or directory" \
		"$MNTSNAP" capture -F /nonexistent/mi
	printf '%s\n' '20 1 0:30 / / rw - ext4 /dev/root rw' '21 20 0:31 / /a rw shared:3 no separator here' \
		'22 20 0:31 / /b rw - tmpfs none rw' > "$f"
	bad_input "mntsnap: capture: mountinfo file '$f': line 2: malformed mountinfo line" \
		"$MNTSNAP" capture -F "$f"
	bad_input "mntsnap: capture: mountinfo file '/etc/passwd': line 1: not a mountinfo line" \
		"$MNTSNAP" capture -F /etc/passwd
	printf '%s\n' '20 1 0:30 / / rw - ext4 /dev/root rw' '21 5 0:31 / /a rw - tmpfs none rw' > "$f"
	bad_input "mntsnap: capture: mountinfo file '$f': mount 21: parent 5: not in the table (a second root)" \
		"$MNTSNAP" capture -F "$f"
	if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
		cp "$FIXTURES/mountinfo/lxd-seed003.mountinfo" "$BATS_TEST_TMPDIR/secret"
		chmod 600 "$BATS_TEST_TMPDIR/secret"
		chmod 755 "$BATS_TEST_TMPDIR"
		bad_input "mntsnap: capture: mountinfo file '$BATS_TEST_TMPDIR/secret': Permission denied" \
			setpriv --reuid=65534 --regid=65534 --clear-groups "$MNTSNAP" capture -F "$BATS_TEST_TMPDIR/secret"
	fi
}

@test "capture: usage errors exit 2" {
	run --separate-stderr "$MNTSNAP" capture --kernel=bogus
	assert_failure 2
	assert_output ""
	[[ "$stderr" == *"--kernel 'bogus': expected auto, listmount or mountinfo"* ]]
	run --separate-stderr "$MNTSNAP" capture -A -p 1
	assert_failure 2
	run --separate-stderr "$MNTSNAP" capture -p abc
	assert_failure 2
	[[ "$stderr" == *"invalid pid 'abc'"* ]]
	run --separate-stderr "$MNTSNAP" capture --help
	assert_success
	[[ "$output" == *"--mountinfo=FILE"* ]]
}

@test "capture: a namespace that changes during the capture still gives a consistent snapshot" {
	require_root
	in_private_ns '
	B=$TMP/w; mkdir -p $B; mount -t tmpfs base $B; mount --make-private $B
	mkdir -p $B/c $B/s; mount -t tmpfs s $B/s
	# enough mounts that a capture takes a while, and churn beside them:
	# nested mounts appear and vanish (lazily, parents first)
	python3 -c "
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
b = sys.argv[1].encode()
for i in range(2000):
    os.mkdir(b + b\"/s/m%d\" % i)
    libc.mount(b\"none\", b + b\"/s/m%d\" % i, b\"tmpfs\", 0, None)
" $B
	python3 -c "
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
c, stop = sys.argv[1].encode() + b\"/c\", sys.argv[2]
while not os.path.exists(stop):
    libc.mount(b\"c\", c, b\"tmpfs\", 0, None); os.makedirs(c + b\"/d\", exist_ok=True)
    libc.mount(b\"d\", c + b\"/d\", b\"tmpfs\", 0, None); os.makedirs(c + b\"/d/e\", exist_ok=True)
    libc.mount(b\"e\", c + b\"/d/e\", b\"tmpfs\", 0, None)
    libc.umount2(c, 2)
" $B $TMP/stop &
	churn=$!
	# gave_up: the last capture refused in one line, naming the churn, and
	# wrote nothing
	gave_up() {
		[ $rc = 2 ] || return 1
		[ "$(wc -l < $TMP/err)" = 1 ] || return 1
		grep -q "keeps changing during the capture" $TMP/err || return 1
		[ ! -s $TMP/s.json ]
	}
	fails=0
	for i in $(seq 1 10); do
		for k in listmount mountinfo; do
			# under heavy churn capture may give up after its retries: then
			# it must say so in one line and exit 2; a snapshot it does write
			# must have every parent in the namespace
			rc=0
			"$MNTSNAP" -q capture --kernel=$k -p $$ --compact > $TMP/s.json 2> $TMP/err || rc=$?
			gave_up && continue
			[ $rc = 0 ] || { cat $TMP/err; fails=$((fails + 1)); continue; }
			jq -e ".namespaces[0] | (.mounts | map({key: (.id | tostring), value: 1}) | from_entries) as \$ids
				| all(.mounts[]; .parent == null or \$ids[.parent | tostring] == 1)" $TMP/s.json > /dev/null \
				|| fails=$((fails + 1))
		done
	done
	touch $TMP/stop; wait $churn
	echo "failures: $fails"
	[ $fails = 0 ]
	'
}

@test "capture: a mountpoint that is not valid UTF-8 is an error naming it, not a broken file" {
	require_root
	in_private_ns '
	mount -t tmpfs scratch "$TMP"
	mkdir "$TMP/$(printf "bad\xff")"
	mount -t tmpfs x "$TMP/$(printf "bad\xff")"
	rc=0
	"$MNTSNAP" capture -p $$ -o "$TMP/out.json" 2> "$TMP/err" || rc=$?
	[ $rc = 2 ]
	[ "$(wc -l < "$TMP/err")" = 1 ]
	LC_ALL=C grep -q "^mntsnap: capture: string .*bad.*: not valid UTF-8, which JSON cannot carry$" "$TMP/err"
	# neither the file nor its temporary is left behind
	[ -z "$(ls "$TMP" | grep "out.json")" ]
	'
}

@test "capture --subtree of a stack: the mount in sight (the top) and its children, as diff anchors" {
	require_root
	run in_private_ns '
	W=$TMP/w; mkdir -p $W; mount -t tmpfs base $W; mkdir $W/x
	mount -t tmpfs bottom $W/x; mkdir $W/x/under; mount -t tmpfs under $W/x/under
	mount -t tmpfs top $W/x; mkdir $W/x/c; mount -t tmpfs child $W/x/c
	for k in listmount mountinfo; do
		"$MNTSNAP" capture --kernel=$k -p $$ --subtree $W/x -o $TMP/s-$k.json
		jq -r ".namespaces[0] | .root_mount as \$r | .mounts[] |
			\"\(.mountpoint) \(.source) \(if .id == \$r then \"root\" else \"\" end)\"" $TMP/s-$k.json
		"$MNTSNAP" diff $TMP/s-$k.json pid:$$ && echo "diff $k: same"
	done'
	assert_success
	assert_equal "${#lines[@]}" 6
	assert_equal "${lines[0]}" "$BATS_TEST_TMPDIR/w/x top root"
	assert_equal "${lines[1]}" "$BATS_TEST_TMPDIR/w/x/c child "
	assert_equal "${lines[2]}" "diff listmount: same"
	assert_equal "${lines[3]}" "$BATS_TEST_TMPDIR/w/x top root"
	assert_equal "${lines[4]}" "$BATS_TEST_TMPDIR/w/x/c child "
	assert_equal "${lines[5]}" "diff mountinfo: same"
}

@test "capture --subtree: a mount hidden under a later cover is not the one in sight" {
	require_root
	run --separate-stderr in_private_ns '
	W=$TMP/w; mkdir -p $W; mount -t tmpfs base $W
	mkdir -p $W/y/z; mount -t tmpfs hidden $W/y/z
	mount -t tmpfs cover $W/y; mkdir $W/y/z
	# only the hidden mount is at y/z: what is in sight there is the cover
	"$MNTSNAP" capture -p $$ --subtree $W/y/z || echo "rc=$?"
	mount -t tmpfs visible $W/y/z
	"$MNTSNAP" capture -p $$ --subtree $W/y/z | jq -r ".namespaces[0].mounts[] | .source"'
	assert_success
	assert_equal "${lines[0]}" "rc=2"
	assert_equal "${lines[1]}" "visible"
	assert_equal "${#lines[@]}" 2
	[[ "$stderr" == "mntsnap: capture: subtree '$BATS_TEST_TMPDIR/w/y/z': not a mountpoint in pid '"* ]]
}
