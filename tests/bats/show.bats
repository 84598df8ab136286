#!/usr/bin/env bats
# mntsnap show: findmnt's views of a layout, checked against findmnt and
# /proc/self/mountinfo of the same namespace; --dot and diff --dot checked
# by Graphviz itself (dot -Tsvg) and by their structure (a cluster per peer
# group holding its mountpoints, a dashed arrow per master link).

load test_helper

# dot_clusters FILE: "CLUSTER MOUNTPOINT" for each mount drawn in a peer
# group cluster (the mountpoint is the first line of the node's label).
dot_clusters() {
	awk '
	/^\t[a-z]_[0-9]+_[0-9]+ \[label="/ {
		name = $1; label = $0
		sub(/^[^"]*"/, "", label); sub(/\\n.*/, "", label); mp[name] = label
	}
	/^\tsubgraph cluster_.*_g[0-9]+ \{/ { cl = $2; next }
	cl != "" && /^\t\t[a-z]_[0-9]+_[0-9]+;$/ { n = $1; sub(/;$/, "", n); members[cl] = members[cl] " " n }
	cl != "" && /^\t\}$/ { cl = "" }
	END { for (c in members) { k = split(members[c], a, " "); for (i = 1; i <= k; i++) print c, mp[a[i]] } }
	' "$1" | sort
}
export -f dot_clusters

@test "show: the tree, list, raw and -t outputs are findmnt's for the same namespace" {
	require_root
	in_private_ns '
	B=$TMP/w; mkdir -p $B; mount -t tmpfs -o size=1m base $B; mount --make-private $B
	mkdir -p $B/src $B/ro $B/p1 $B/p2 $B/sl
	mount -t tmpfs -o size=2m,mode=700 data $B/src
	mkdir -p $B/src/some/dir
	mount --bind -o ro $B/src $B/ro
	mount --bind $B/src $B/p1; mount --make-shared $B/p1
	mount --bind $B/p1 $B/p2
	mount --bind $B/p1 $B/sl; mount --make-slave $B/sl
	cols=TARGET,SOURCE,FSTYPE,OPTIONS,PROPAGATION
	diff <("$MNTSNAP" show) <(findmnt -o $cols)
	all=TARGET,SOURCE,FSTYPE,OPTIONS,VFS-OPTIONS,FS-OPTIONS,PROPAGATION,OPT-FIELDS,ID,MAJ:MIN,FSROOT
	diff <("$MNTSNAP" show -l -o $all) <(findmnt -l -o $all)
	diff <("$MNTSNAP" show -r -n -o $all) <(findmnt -r -n -o $all)
	diff <("$MNTSNAP" show -t tmpfs) <(findmnt -t tmpfs -o $cols)
	diff <("$MNTSNAP" show -t notmpfs,proc) <(findmnt -t notmpfs,proc -o $cols)
	diff <("$MNTSNAP" show -R -M $B) <(findmnt -R -M $B -o $cols)
	diff <("$MNTSNAP" show -T $B/ro/some/dir) <(findmnt -T $B/ro/some/dir -o $cols)
	diff <("$MNTSNAP" show -J) <(findmnt -J -o $cols | jq .)
	diff <("$MNTSNAP" show -J -l -o TARGET,ID,PARENT | jq -S ".filesystems[1:]") \
		<(findmnt -J -l -o TARGET,ID,PARENT | jq -S ".filesystems[1:]")
	'
}

@test "show: a read-only bind says ro, PEERS and MASTER are mountinfo's shared:N and master:N" {
	require_root
	in_private_ns '
	B=$TMP/w; mkdir -p $B; mount -t tmpfs base $B; mount --make-private $B
	mkdir -p $B/src $B/ro $B/p1 $B/sl
	mount -t tmpfs data $B/src
	mount --bind -o ro $B/src $B/ro
	mount --bind $B/src $B/p1; mount --make-shared $B/p1
	mount --bind $B/p1 $B/sl; mount --make-slave $B/sl
	"$MNTSNAP" show -M $B/ro -n -o OPTIONS | grep -E "^ro,"
	line=$(grep " $B/p1 " /proc/self/mountinfo)
	g=$(sed -E "s/.* shared:([0-9]+).*/\1/" <<<"$line")
	[ "$("$MNTSNAP" show -M $B/p1 -n -o PEERS)" = "$g" ]
	[ "$("$MNTSNAP" show -M $B/sl -n -o MASTER)" = "$g" ]
	[ "$("$MNTSNAP" show -M $B/sl -n -o PROPAGATION)" = "private,slave" ]
	[ "$("$MNTSNAP" show -M $B/sl -n -o OPT-FIELDS)" = "master:$g" ]
	[ "$("$MNTSNAP" show -M $B/sl -r -n -o TARGET,PEERS,MASTER)" = "$B/sl  $g" ]
	'
}

@test "show SNAPSHOT: NS first for several namespaces, --ns picks one, an unknown one is an error" {
	run --separate-stderr "$MNTSNAP" show "$TOP/spec/examples/group-tree.json"
	assert_success
	assert_line --index 0 --regexp '^NS +TARGET +SOURCE +FSTYPE +OPTIONS +PROPAGATION$'
	assert_line --index 1 --regexp '^ns0 +/ +none +tmpfs +rw,relatime,mode=755,inode64 +private$'
	assert_line --regexp '^ns1 +└─/srv +tests-src +tmpfs +rw,relatime,inode64 +shared$'
	run --separate-stderr "$MNTSNAP" show --ns ns1 -l -n -o TARGET "$TOP/spec/examples/group-tree.json"
	assert_success
	assert_output $'/\n/tmp\n/srv'
	run --separate-stderr "$MNTSNAP" show -N nope "$TOP/spec/examples/group-tree.json"
	assert_failure 2
	assert_equal "$stderr" "mntsnap: show: --ns 'nope': no such namespace in the snapshot"
	run --separate-stderr "$MNTSNAP" show -o TARGET,NOPE "$TOP/spec/examples/group-tree.json"
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "mntsnap show: --output: unknown column 'NOPE'"
}

@test "show: nothing matched is exit 1 with nothing printed (findmnt's)" {
	run --separate-stderr "$MNTSNAP" show -t zzzfs "$TOP/spec/examples/group-tree.json"
	assert_failure 1
	assert_output ""
	assert_equal "$stderr" ""
	run --separate-stderr "$MNTSNAP" show -J -t zzzfs "$TOP/spec/examples/group-tree.json"
	assert_failure 1
	assert_equal "$(jq -c . <<<"$output")" '{"filesystems":[]}'
}

@test "show: names with a new line, a space, a quote: one line each, JSON as they are" {
	printf '%s\n' \
		'1 0 0:20 / / rw - tmpfs root rw' \
		'2 1 0:21 / /a\012b rw - tmpfs src rw' \
		'3 2 0:21 / /a\012b/c\040"d\134 rw shared:4 - tmpfs s\040t rw' >"$BATS_TEST_TMPDIR/odd.mountinfo"
	"$MNTSNAP" capture -F "$BATS_TEST_TMPDIR/odd.mountinfo" -o "$BATS_TEST_TMPDIR/odd.json"
	run --separate-stderr "$MNTSNAP" show "$BATS_TEST_TMPDIR/odd.json"
	assert_success
	assert_equal "${#lines[@]}" 4
	assert_line --index 3 --regexp '^  └─/a\\012b/c "d\\ +s t +tmpfs +rw +shared$'
	run --separate-stderr "$MNTSNAP" show -r -n -o TARGET,SOURCE "$BATS_TEST_TMPDIR/odd.json"
	assert_line --index 2 '/a\012b/c\040"d\ s\040t'
	run --separate-stderr "$MNTSNAP" show -J "$BATS_TEST_TMPDIR/odd.json"
	assert_success
	jq -e '.filesystems[0].children[0].children[0].target == "/a\nb/c \"d\\"' <<<"$output"
	run --separate-stderr "$MNTSNAP" show --dot "$BATS_TEST_TMPDIR/odd.json"
	assert_success
	dot -Tsvg <<<"$output" >"$BATS_TEST_TMPDIR/odd.svg"
	grep -F '/a\012b/c &quot;d\' "$BATS_TEST_TMPDIR/odd.svg"
}

@test "show -J: a tree deeper than the JSON writer's inline levels nests as findmnt's" {
	require_root
	in_private_ns '
	B=$TMP/w; mkdir -p $B; mount -t tmpfs base $B; mount --make-private $B
	p=$B
	for i in $(seq 30); do mkdir $p/d; mount -t tmpfs d$i $p/d; p=$p/d; done
	"$MNTSNAP" show -J -R -M $B > $TMP/deep.json
	findmnt -J -R -M $B -o TARGET,SOURCE,FSTYPE,OPTIONS,PROPAGATION | jq . | diff $TMP/deep.json -
	[ "$(jq "[paths(objects | has(\"children\"))] | length" $TMP/deep.json)" = 30 ]
	'
}

@test "capture --tree: the header lists 5 pids and how many more" {
	require_root
	in_private_ns '
	pids=(); for i in 1 2 3 4 5 6 7; do sleep 60 & pids+=($!); done
	"$MNTSNAP" capture -p $$ --tree > $TMP/tree
	kill "${pids[@]}"
	head -n1 $TMP/tree
	head -n1 $TMP/tree | grep -E " pids=[0-9]+(,[0-9]+){4},\+[0-9]+ more( |$)"
	'
}

@test "show --dot: peer groups are clusters of their mountpoints, masters dashed arrows" {
	require_root
	in_private_ns '
	B=$TMP/w; mkdir -p $B; mount -t tmpfs base $B; mount --make-private $B
	mkdir -p $B/src $B/p1 $B/p2 $B/sl $B/ub
	mount -t tmpfs data $B/src
	mount --bind $B/src $B/p1; mount --make-shared $B/p1
	mount --bind $B/p1 $B/p2
	mount --bind -o ro $B/p1 $B/sl; mount --make-slave $B/sl
	mount --bind $B/src $B/ub; mount --make-unbindable $B/ub
	g=$(sed -nE "s|.* $B/p1 .* shared:([0-9]+).*|\1|p" /proc/self/mountinfo)
	"$MNTSNAP" show --dot -R -M $B > $TMP/g.dot
	dot -Tsvg $TMP/g.dot > $TMP/g.svg
	dot_clusters $TMP/g.dot > $TMP/clusters
	cat $TMP/clusters
	[ "$(cat $TMP/clusters)" = "cluster_m_g$g $B/p1
cluster_m_g$g $B/p2" ]
	sl=$(grep -F "[label=\"$B/sl\\n" $TMP/g.dot | cut -f2 | cut -d" " -f1)
	grep -E "^	m_[0-9]+_[0-9]+ -> $sl \[style=dashed, color=blue, label=\"master:$g\", ltail=cluster_m_g$g\];$" $TMP/g.dot
	grep -F "[label=\"$B/sl\\n" $TMP/g.dot | grep -F "fillcolor=gray85"
	grep -F "[label=\"$B/ub\\n" $TMP/g.dot | grep -F "peripheries=2"
	'
}

@test "show --dot: dot -Tsvg accepts every layout of tests/, a cluster per peer group, an arrow per master" {
	require_root
	run in_private_ns '
	source "$TOP/tests/bats/roundtrip_helper.bash"
	for name in "${LAYOUTS[@]}"; do
		st=$TMP/$name
		r=0; rt_start $name $st >$st.out 2>&1 || r=$?
		if [ $r = 77 ]; then rt_stop $st; echo "skipped $name"; continue; fi
		[ $r = 0 ] || { cat $st.out; exit 1; }
		args=(); for f in "${RT_NSFILES[@]}"; do args+=(--mount="$f"); done
		"$MNTSNAP" capture "${args[@]}" -o $st.json
		rt_stop $st
		"$MNTSNAP" show --dot $st.json > $st.dot
		dot -Tsvg $st.dot > $st.svg || { echo "dot refused $name"; exit 1; }
		groups=$(jq "[.namespaces[].mounts[] | .shared_id | select(. > 0)] | unique | length" $st.json)
		slaves=$(jq "[.namespaces[].mounts[] | .master_id | select(. > 0)] | length" $st.json)
		[ "$(grep -c "^	subgraph cluster_m_g" $st.dot)" = $groups ] || { echo "$name: clusters"; exit 1; }
		[ "$(grep -c -- "-> m_[0-9_]* \[style=dashed" $st.dot)" = $slaves ] || { echo "$name: masters"; exit 1; }
		echo "drawn $name: $groups groups, $slaves slaves"
	done
	'
	echo "$output"
	assert_success
	refute_line --partial "dot refused"
	assert_line --partial "drawn lxd_seed003: "
	assert_line --partial "drawn group_tree: "
	assert_line --partial "drawn crossns_peers: "
}

@test "diff --dot: both sides, removed red, added green, changed orange; exit 1" {
	f=$TOP/spec/examples/group-tree.json
	jq '(.namespaces[0].mounts[] | select(.mountpoint == "/mnt") | .mount_options) = ["ro"]
	    | .namespaces[1].mounts |= map(select(.mountpoint != "/srv"))
	    | .namespaces[1].root_mount as $r
	    | .namespaces[1].mounts += [.namespaces[1].mounts[0] | .id = 900 | .mnt_id = 900
	        | .parent = $r | .mountpoint = "/new" | .source = "n" | .dev = "0:99"]' \
		"$f" >"$BATS_TEST_TMPDIR/b.json"
	run --separate-stderr "$MNTSNAP" diff "$f" "$BATS_TEST_TMPDIR/b.json"
	[ "$status" = 1 ] || { echo "$stderr"; false; }
	run --separate-stderr "$MNTSNAP" diff --dot "$f" "$BATS_TEST_TMPDIR/b.json"
	assert_failure 1
	dot -Tsvg <<<"$output" >/dev/null
	assert_line --regexp '^	subgraph cluster_a \{$'
	assert_line --regexp '^	subgraph cluster_b \{$'
	assert_line --regexp '^	a_1_[0-9]+ \[label="/srv\\n.*color=red3'
	assert_line --regexp '^	b_1_[0-9]+ \[label="/new\\n.*color=green4'
	assert_line --regexp '^	a_0_[0-9]+ \[label="/mnt\\n.*changed: mount_options.*color=darkorange'
	assert_line --regexp '^	b_0_[0-9]+ \[label="/mnt\\n.*changed: mount_options.*color=darkorange'
}
