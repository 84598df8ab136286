#!/usr/bin/env bats
# mntsnap capture: root_type of bind mounts, which the capture answers with
# one call per root dentry or per directory of many mountpoints instead of an
# fstatat() per mount (lib/capture/roottype.c).  The answers must be those of
# the per-mount rule: the mount in sight at the mountpoint, on the mount's
# device; null when what is in sight there is something else.

load test_helper

# types_below SNAP BASE: "MOUNTPOINT-relative-to-BASE ROOT_TYPE" lines
types_below() {
	jq -r --arg b "$2/" '.namespaces[0].mounts[] | select(.mountpoint | startswith($b))
		| "\(.mountpoint | ltrimstr($b)) \(.root_type)"' "$1" | sort
}

# shuffled_binds N STEP [OTHER]: in the current directory (src a tmpfs, m a
# directory), N mountpoints m/e<i>, the even ones directories, the odd ones
# files, each followed by an entry m/OTHER<i> when OTHER is given; bound from
# src/d<i> or src/f<i> in the order (i * STEP) % N
shuffled_binds() {
	local i k
	for i in $(seq 0 $(($1 - 1))); do
		mkdir src/d$i
		touch src/f$i
		if [ $((i % 2)) = 0 ]; then mkdir m/e$i; else touch m/e$i; fi
		[ -z "${3:-}" ] || touch "m/$3$i"
	done
	for i in $(seq 0 $(($1 - 1))); do
		k=$(((i * $2) % $1))
		if [ $((k % 2)) = 0 ]; then mount --bind src/d$k m/e$k; else mount --bind src/f$k m/e$k; fi
	done
}

setup() {
	export -f types_below shuffled_binds
}

@test "capture: root_type of many file and directory binds in one directory (one listing)" {
	require_root
	in_private_ns '
	B=$TMP/w; mkdir -p $B; mount -t tmpfs base $B; mount --make-private $B
	mkdir $B/src $B/fb $B/db; mount -t tmpfs src $B/src
	for i in $(seq 0 39); do
		touch $B/src/f$i $B/fb/f$i; mkdir $B/src/d$i $B/db/d$i
		mount --bind $B/src/f$i $B/fb/f$i; mount --bind $B/src/d$i $B/db/d$i
	done
	"$MNTSNAP" capture -p $$ -o $TMP/snap.json
	types_below $TMP/snap.json $B > $TMP/types
	[ "$(grep -c "^fb/f[0-9]* file$" $TMP/types)" = 40 ]
	[ "$(grep -c "^db/d[0-9]* dir$" $TMP/types)" = 40 ]
	[ "$(grep -c "^src dir$" $TMP/types)" = 1 ]
	[ "$(wc -l < $TMP/types)" = 81 ]
	'
}

@test "capture: root_type of many binds of one file (one answer per root), covered ones apart" {
	require_root
	in_private_ns '
	B=$TMP/w; mkdir -p $B; mount -t tmpfs base $B; mount --make-private $B
	mkdir $B/src $B/sh $B/ov; mount -t tmpfs src $B/src
	touch $B/src/one $B/src/two
	for k in 0 1 2 3 4; do touch $B/r$k; mount --bind $B/src/one $B/r$k; done
	# a bind of the same file under a directory covered later: the rule finds
	# nothing there, so unknown (null), whatever the visible ones say
	touch $B/sh/x; mount --bind $B/src/one $B/sh/x
	mount -t tmpfs cover $B/sh
	# a bind with another on top of it: the rule sees the top one
	touch $B/ov/f; mount --bind $B/src/one $B/ov/f; mount --bind $B/src/two $B/ov/f
	"$MNTSNAP" capture -p $$ -o $TMP/snap.json
	types_below $TMP/snap.json $B > $TMP/types
	cat $TMP/types
	[ "$(grep -c "^r[0-4] file$" $TMP/types)" = 5 ]
	[ "$(grep -c "^sh/x null$" $TMP/types)" = 1 ]
	[ "$(grep -c "^sh dir$" $TMP/types)" = 1 ]
	[ "$(grep -c "^ov/f file$" $TMP/types)" = 2 ]
	'
}

@test "capture: root_type of many binds in a directory covered later: unknown, as the rule says" {
	require_root
	in_private_ns '
	B=$TMP/w; mkdir -p $B; mount -t tmpfs base $B; mount --make-private $B
	mkdir $B/src $B/g; mount -t tmpfs src $B/src
	for i in $(seq 0 39); do
		touch $B/src/f$i $B/g/f$i; mount --bind $B/src/f$i $B/g/f$i
	done
	# a second directory of binds whose parent mount is covered at its root
	mkdir $B/h; mount -t tmpfs hbase $B/h
	for i in $(seq 0 39); do
		mkdir $B/src/d$i $B/h/d$i; mount --bind $B/src/d$i $B/h/d$i
	done
	mount -t tmpfs cover $B/g
	mount -t tmpfs cover2 $B/h
	"$MNTSNAP" capture -p $$ -o $TMP/snap.json
	types_below $TMP/snap.json $B > $TMP/types
	[ "$(grep -c "^g/f[0-9]* null$" $TMP/types)" = 40 ]
	[ "$(grep -c "^h/d[0-9]* null$" $TMP/types)" = 40 ]
	[ "$(grep -c "^g dir$" $TMP/types)" = 1 ]
	[ "$(grep -c "^h dir$" $TMP/types)" = 2 ]
	'
}

@test "capture: root_type of thousands of file and directory binds, and of a covered directory of them" {
	require_root
	in_private_ns '
	B=$TMP/w; mkdir -p $B; mount -t tmpfs base $B; mount --make-private $B
	cd $B; mkdir src db fb g; mount -t tmpfs src src
	for i in $(seq 0 2099); do mkdir src/d$i db/d$i; touch src/f$i fb/f$i; done
	for i in $(seq 0 2099); do mount --bind src/d$i db/d$i; mount --bind src/f$i fb/f$i; done
	# a directory of binds covered later
	for i in $(seq 0 39); do touch g/f$i; mount --bind src/f$i g/f$i; done
	mount -t tmpfs cover g
	cd /
	"$MNTSNAP" capture -p $$ -o $TMP/snap.json
	types_below $TMP/snap.json $B > $TMP/types
	[ "$(grep -c "^db/d[0-9]* dir$" $TMP/types)" = 2100 ]
	[ "$(grep -c "^fb/f[0-9]* file$" $TMP/types)" = 2100 ]
	[ "$(grep -c "^g/f[0-9]* null$" $TMP/types)" = 40 ]
	[ "$(grep -c "^g dir$" $TMP/types)" = 1 ]
	[ "$(wc -l < $TMP/types)" = 4242 ]
	'
}

@test "capture: root_type of binds answered one call each (calls shared by two threads)" {
	require_root
	# each in a directory of its own, of a root of its own: one stat each
	in_private_ns '
	B=$TMP/w; mkdir -p $B; mount -t tmpfs base $B; mount --make-private $B
	cd $B; mkdir src; mount -t tmpfs src src
	for i in $(seq 0 79); do
		mkdir -p src/d$i f$i d$i/x; touch src/f$i f$i/x
		mount --bind src/f$i f$i/x; mount --bind src/d$i d$i/x
	done
	cd /
	"$MNTSNAP" capture -p $$ -o $TMP/snap.json
	types_below $TMP/snap.json $B > $TMP/types
	[ "$(grep -c "^f[0-9]*/x file$" $TMP/types)" = 80 ]
	[ "$(grep -c "^d[0-9]*/x dir$" $TMP/types)" = 80 ]
	[ "$(wc -l < $TMP/types)" = 161 ]
	'
}

@test "capture: root_type of binds mounted in another order than their directory lists them" {
	require_root
	# a listing answers in its own order: here neither the mounts' order nor
	# its reverse, with other entries between the mountpoints
	in_private_ns '
	B=$TMP/w; mkdir -p $B; mount -t tmpfs base $B; mount --make-private $B
	cd $B; mkdir src m; mount -t tmpfs src src
	shuffled_binds 60 37 other
	cd /
	"$MNTSNAP" capture -p $$ -o $TMP/snap.json
	types_below $TMP/snap.json $B > $TMP/types
	[ "$(grep -Ec "^m/e[0-9]*[02468] dir$" $TMP/types)" = 30 ]
	[ "$(grep -Ec "^m/e[0-9]*[13579] file$" $TMP/types)" = 30 ]
	[ "$(wc -l < $TMP/types)" = 61 ]
	'
}

@test "capture: root_type of binds out of order among tens of thousands of other entries" {
	require_root
	# over a megabyte of names that are no member: looked up before the
	# listing ends (lib/capture/roottype.c, MISSES_MAX), and at its end
	in_private_ns '
	B=$TMP/w; mkdir -p $B; mount -t tmpfs base $B; mount --make-private $B
	cd $B; mkdir src m; mount -t tmpfs src src
	seq -f "m/another-entry-of-this-directory-with-a-long-name-%g" 0 29999 | xargs touch
	shuffled_binds 200 77
	cd /
	"$MNTSNAP" capture -p $$ -o $TMP/snap.json
	types_below $TMP/snap.json $B > $TMP/types
	[ "$(grep -Ec "^m/e[0-9]*[02468] dir$" $TMP/types)" = 100 ]
	[ "$(grep -Ec "^m/e[0-9]*[13579] file$" $TMP/types)" = 100 ]
	[ "$(wc -l < $TMP/types)" = 201 ]
	'
}
