#!/usr/bin/env bats
# Planning a replay must not recurse along the tree: a namespace may hold
# fs.mount-max - 1 mounts (99,999 at the default), all stacked on one path, and
# `replay -n` of such a snapshot must print its plan within the default 8 MB
# stack.  No mount is made: a dry run only reads.

load test_helper

# stacked_snapshot N FILE: a snapshot (spec/FORMAT.md) of one namespace whose
# tmpfs root carries N tmpfs mounts stacked on /a, each on the previous one,
# each its own superblock.
stacked_snapshot() {
	awk -v n="$1" '
	function mount(id, parent, mp) {
		printf "%s{\"deleted\":false,\"dev\":\"0:%d\",\"fstype\":\"tmpfs\",\"id\":%d,", (id > 1 ? "," : ""), id, id
		printf "\"idmap\":null,\"master_id\":0,\"mnt_id\":%d,\"mount_options\":[\"rw\",\"relatime\"],", id
		printf "\"mountpoint\":\"%s\",\"nsfs\":null,\"parent\":%s,\"propagate_from\":0,\"root\":\"/\",", mp, parent
		printf "\"shared_id\":0,\"source\":\"none\",\"super_options\":[\"rw\"],\"unbindable\":false}\n"
	}
	BEGIN {
		printf "{\"capture\":{\"method\":\"mountinfo\",\"selection\":\"pid\",\"subtree\":null},"
		printf "\"created\":\"2021-09-20T10:00:00Z\",\"format\":\"mntsnap\",\"format_version\":1,"
		printf "\"host\":{\"arch\":\"x86_64\",\"hostname\":\"example\",\"kernel\":\"6.18.44\"},"
		printf "\"namespaces\":[{\"label\":\"ns0\",\"mnt_ns_id\":null,\"mounts\":[\n"
		mount(1, "null", "/")
		for (i = 2; i <= n + 1; i++)
			mount(i, i - 1, "/a")
		printf "],\"ns_ino\":4026532300,\"nsfs_paths\":[],\"owner_userns_ino\":null,\"pids\":[],"
		printf "\"root_mount\":1}],\"tool\":{\"name\":\"mntsnap\",\"version\":\"0.1.0\"},\"warnings\":[]}\n"
	}' >"$2"
}

@test "depth: the generated stacked snapshot is valid (diff of it with itself is empty)" {
	stacked_snapshot 3 "$BATS_TEST_TMPDIR/s3.json"
	run "$MNTSNAP" diff "$BATS_TEST_TMPDIR/s3.json" "$BATS_TEST_TMPDIR/s3.json"
	assert_success
	assert_output ""
}

@test "depth: replay -n plans 99,999 mounts (a root and a stack on one path) within an 8 MB stack" {
	local snap=$BATS_TEST_TMPDIR/stacked.json plan=$BATS_TEST_TMPDIR/plan
	stacked_snapshot 99998 "$snap"
	run bash -c 'ulimit -s 8192 && exec "$1" replay -n --mkdir --new="$2" "$3" >"$4"' bash \
		"$MNTSNAP" "$BATS_TEST_TMPDIR/out" "$snap" "$plan"
	assert_success
	assert_output ""
	# namespace, root superblock, a superblock and an attach per stacked
	# mount, the mountpoint of the root's child (it goes in after the
	# rest: plan_steps.c), pivot_root, drop, pin; the stack is built in
	# detached segments of 1,024 (about 2*sqrt(N), plan_steps.c), each
	# attached once complete, after the last superblock
	run wc -l <"$plan"
	assert_output "200002"
	run grep -c "^[0-9]* attach 'ns0:/a' onto 'ns0:/a'$" "$plan"
	assert_output "99997"
	run sed -n '199900p' "$plan"
	assert_output "199900 create tmpfs superblock (was 0:99999) source 'none' options 'rw'"
	run bash -c "sed -n '199901,199998p' \"\$1\" | grep -c \"attach 'ns0:/a' onto 'ns0:/a'\$\"" bash "$plan"
	assert_output "98"
	run tail -n 1 "$plan"
	assert_output "200002 pin 'ns0' at '$BATS_TEST_TMPDIR/out/ns0'"
	# a dry run changes nothing
	[ ! -e "$BATS_TEST_TMPDIR/out" ]
}
