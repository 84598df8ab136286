# shellcheck shell=bash
# Sourced inside in_private_ns snippets of userns*.bats: a container (a
# process in a user and a mount namespace of its own) and a tool that tries
# to unmount one of its mounts alone.

# container_start UID_MAP GID_MAP [CLEANUP]: CPID, a process in a new user
# namespace with those maps and a copy of this mount namespace (its mounts
# locked there); killed on exit, after which the shell runs CLEANUP.
container_start() {
	unshare --user --mount --propagation unchanged sleep 60 &
	CPID=$!
	# shellcheck disable=SC2064
	trap "kill $CPID 2>/dev/null || :; ${3:-:}" EXIT
	for _ in $(seq 50); do
		[ "$(readlink /proc/$CPID/ns/user)" != "$(readlink /proc/self/ns/user)" ] && break
		sleep 0.1
	done
	echo "$1" >/proc/$CPID/uid_map
	echo "$2" >/proc/$CPID/gid_map
}

# nsumount_build: $TMP/nsumount USERNS MNTNS PATH enters the two namespaces
# and unmounts PATH alone, printing "unmounted" or the error (strerror).
nsumount_build() {
	printf "%s\n" "#define _GNU_SOURCE" "#include <errno.h>" "#include <fcntl.h>" "#include <sched.h>" \
		"#include <stdio.h>" "#include <string.h>" "#include <sys/mount.h>" \
		"int main(int c, char **v) { int u = open(v[1], O_RDONLY), m = open(v[2], O_RDONLY);" \
		"(void)c; if (u < 0 || m < 0 || setns(m, CLONE_NEWNS) < 0 || setns(u, CLONE_NEWUSER) < 0) {" \
		"perror(\"setns\"); return 2; } if (umount2(v[3], 0) < 0) {" \
		"printf(\"%s\\n\", strerror(errno)); return 1; } puts(\"unmounted\"); return 0; }" \
		>"$TMP/nsumount.c"
	cc -o "$TMP/nsumount" "$TMP/nsumount.c"
}
