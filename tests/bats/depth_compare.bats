#!/usr/bin/env bats
# Depth and width: no code path of diff or of the tree printing may recurse
# once per tree level (a namespace may hold fs.mount-max = 100,000 mounts
# stacked on one path).  The snapshots are generated (spec/FORMAT.md), no
# kernel needed.

load test_helper

# gen_stack N LABEL TOPTYPE: a snapshot of N mounts, a root at / and N-1
# tmpfs mounts stacked on /mnt (each one's parent is the one below it), the
# topmost of fstype TOPTYPE, in one namespace labelled LABEL.
gen_stack() {
	awk -v n="$1" -v label="$2" -v toptype="$3" 'BEGIN {
	printf "{\"capture\":{\"method\":\"listmount\",\"selection\":\"all\",\"subtree\":null},"
	printf "\"created\":\"2021-09-20T10:00:00Z\",\"format\":\"mntsnap\",\"format_version\":1,"
	printf "\"host\":{\"arch\":\"x86_64\",\"hostname\":\"h\",\"kernel\":\"6.18\"},"
	printf "\"namespaces\":[{\"label\":\"%s\",\"mnt_ns_id\":4300,\"ns_ino\":4026532300,", label
	printf "\"nsfs_paths\":[],\"owner_userns_ino\":4026531837,\"pids\":[],\"root_mount\":1,"
	printf "\"mounts\":[\n"
	for (i = 1; i <= n; i++) {
		printf "%s{\"deleted\":false,\"dev\":\"0:%d\",\"fstype\":\"%s\",", (i > 1 ? ",\n" : ""), i + 30, (i == n ? toptype : "tmpfs")
		printf "\"id\":%d,\"idmap\":null,\"master_id\":0,\"mnt_id\":%d,", i, i
		printf "\"mount_options\":[\"rw\"],\"mountpoint\":\"%s\",\"nsfs\":null,", (i == 1 ? "/" : "/mnt")
		printf "\"parent\":%s,\"propagate_from\":0,\"root\":\"/\",\"shared_id\":0,", (i == 1 ? "null" : i - 1)
		printf "\"source\":\"t\",\"super_options\":[\"rw\"],\"unbindable\":false}"
	}
	printf "]}],\"tool\":{\"name\":\"mntsnap\",\"version\":\"0.1.0\"},\"warnings\":[]}\n"
	}'
}

# gen_mountinfo N deep|wide: a mountinfo of N mounts, stacked on /mnt
# (deep) or side by side under / (wide).
gen_mountinfo() {
	awk -v n="$1" -v shape="$2" 'BEGIN {
	print "1 0 0:31 / / rw - tmpfs t rw"
	for (i = 2; i <= n; i++)
		if (shape == "deep")
			printf "%d %d 0:%d / /mnt rw - tmpfs t rw\n", i, i - 1, i + 30
		else
			printf "%d 1 0:%d / /d%d rw - tmpfs t rw\n", i, i + 30, i
	}'
}

@test "diff of 100,000 mounts stacked on one path with itself: exit 0 in an 8 MB stack" {
	gen_stack 100000 ns0 tmpfs >"$BATS_TEST_TMPDIR/x.json"
	run --separate-stderr bash -c 'ulimit -s 8192; exec "$MNTSNAP" diff "$1" "$1"' bash \
		"$BATS_TEST_TMPDIR/x.json"
	assert_equal "$stderr" ""
	assert_equal "$status" 0
	assert_output ""
}

@test "diff of 100,000 stacked mounts, other label (paired by structure), top changed: one line" {
	gen_stack 100000 ns0 tmpfs >"$BATS_TEST_TMPDIR/x.json"
	gen_stack 100000 other ramfs >"$BATS_TEST_TMPDIR/y.json"
	run --separate-stderr bash -c 'ulimit -s 8192; exec "$MNTSNAP" diff "$1" "$2"' bash \
		"$BATS_TEST_TMPDIR/x.json" "$BATS_TEST_TMPDIR/y.json"
	assert_equal "$stderr" ""
	assert_equal "$status" 1
	assert_output "namespace ns0 -> other:
~ /mnt (layer 99999): fstype: tmpfs -> ramfs"
}

@test "capture --tree of 5,000 stacked mounts in a 256 KB stack, and of 100,000 side by side" {
	gen_mountinfo 5000 deep >"$BATS_TEST_TMPDIR/deep"
	run --separate-stderr bash -o pipefail -c 'ulimit -s 256; "$MNTSNAP" capture -F "$1" --tree | tail -n 1' \
		bash "$BATS_TEST_TMPDIR/deep"
	assert_equal "$stderr" ""
	assert_equal "$status" 0
	assert_output --regexp "└─/mnt +t +tmpfs +private$"
	gen_mountinfo 100000 wide >"$BATS_TEST_TMPDIR/wide"
	run --separate-stderr bash -o pipefail -c 'ulimit -s 8192; "$MNTSNAP" capture -F "$1" --tree | wc -l' \
		bash "$BATS_TEST_TMPDIR/wide"
	assert_equal "$stderr" ""
	assert_equal "$status" 0
	assert_output "100002"
}
