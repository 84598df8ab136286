# layouts.bash - mount layouts for the replay round-trip and safety tests.
#
# Each `layout_<name> DIR` builds one layout under DIR, live, in the current
# mount namespace.  The caller has made DIR a fresh private tmpfs mountpoint
# inside a private mount namespace; DIR itself is left private (the round-trip
# helper pivots into DIR afterwards, and pivot_root refuses a shared new root).
#
# Conventions shared with roundtrip_helper.bash:
#   LAYOUT_PIDS      file: each helper process a layout leaves running (one pid
#                    a line) is appended here; the caller kills them when done.
#   LAYOUT_EXTRA_NS  file: each further mount namespace the layout creates is
#                    listed here as a path relative to DIR of the nsfs bind
#                    mount (inside the layout) that pins it.
#   LAYOUT_STATE     a scratch directory outside DIR (fifos live there).
# A layout the machine cannot build returns 77 after printing
# "SKIP: <reason>" on stdout.
#
# Filesystems: only fresh tmpfs/proc/devpts instances with options, and
# sysfs/mqueue of the current net/ipc namespace without any option (their
# superblock is the host's; options would change it for everyone).  No cgroup
# v1, debugfs, tracefs, securityfs, pstore or cgroup2: their superblocks are
# machine-wide (kernel-api.md §5; cgroup2 from the initial cgroup namespace
# rewrites the global root flags), so the seed's /sys/kernel/debug,
# /sys/kernel/security and /sys/fs/pstore are left out and its lxcfs and
# devtmpfs binds come from tmpfs stand-ins.

# Every layout's name, in the order the round-trip tests use.
LAYOUTS=(inverse_chain group_tree lxd_seed003 narrow_root crossns_peers slave_of_slave
	slave_no_visible_master unbindable overmount tucked propagated file_bind flags fstypes
	idmapped deep50 wide500 deleted sources)

_lay_note_pid() {
	[ -z "${LAYOUT_PIDS:-}" ] || echo "$1" >>"$LAYOUT_PIDS"
}

_lay_note_ns() {
	[ -z "${LAYOUT_EXTRA_NS:-}" ] || echo "$1" >>"$LAYOUT_EXTRA_NS"
}

_lay_state() {
	if [ -z "${LAYOUT_STATE:-}" ]; then
		LAYOUT_STATE=$(mktemp -d)
	fi
	echo "$LAYOUT_STATE"
}

# _lay_wait_comm PID NAME: waits until PID runs NAME (has exec'd it).
_lay_wait_comm() {
	local i
	for i in $(seq 200); do
		[ "$(cat "/proc/$1/comm" 2>/dev/null)" != "$2" ] || return 0
		sleep 0.05
	done
	echo "process $1 did not start $2" >&2
	return 1
}

# _lay_sys OP ARGS...: the mount calls mount(8) 2.38 does not offer, made with
# the raw syscalls (numbers are the same on every architecture since 5.2):
#   prop PATH shared|slave|private|unbindable   mount_setattr propagation
#   setgroup FROM TO                            move_mount MOVE_MOUNT_SET_GROUP
#   beneath FROM TO                             move_mount MOVE_MOUNT_BENEATH
#   idmap SRC DST USERNS_FILE                   clone SRC, idmap it, attach at DST
# PATH may be /proc/PID/fd/N to reach a mount covered by another one.
_lay_sys() {
	perl -e '
use strict;
use warnings;
my ($op, @a) = @ARGV;
my %prop = (shared => 1 << 20, slave => 1 << 19, private => 1 << 18, unbindable => 1 << 17);
# syscall(2) passes numbers as numbers and strings as pointers
my $empty = "";
if ($op eq "prop") {
	my $attr = pack("QQQQ", 0, 0, $prop{$a[1]}, 0);
	syscall(442, -100, $a[0], 0, $attr, 32) == 0
		or die "mount_setattr $a[1] $a[0]: $!\n";
} elsif ($op eq "setgroup") {
	# MOVE_MOUNT_SET_GROUP | F_SYMLINKS | T_SYMLINKS (follow /proc/PID/fd/N)
	syscall(429, -100, $a[0], -100, $a[1], 0x100 | 0x1 | 0x10) == 0
		or die "set-group $a[0] -> $a[1]: $!\n";
} elsif ($op eq "beneath") {
	# move mount FROM beneath the top mount at TO: MOVE_MOUNT_BENEATH (6.5+)
	syscall(429, -100, $a[0], -100, $a[1], 0x200) == 0
		or die "move_mount beneath $a[0] -> $a[1]: $!\n";
} elsif ($op eq "idmap") {
	open(my $u, "<", $a[2]) or die "open $a[2]: $!\n";
	# OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC
	my $fd = syscall(428, -100, $a[0], 1 | 0x80000);
	$fd >= 0 or die "open_tree $a[0]: $!\n";
	# MOUNT_ATTR_IDMAP with the user namespace fd; AT_EMPTY_PATH
	my $attr = pack("QQQQ", 0x100000, 0, 0, fileno($u));
	if (syscall(442, $fd, $empty, 0x1000, $attr, 32) != 0) {
		print "SKIP: mount_setattr(MOUNT_ATTR_IDMAP) on tmpfs: $!\n";
		exit 77;
	}
	# MOVE_MOUNT_F_EMPTY_PATH
	syscall(429, $fd, $empty, -100, $a[1], 0x4) == 0 or die "move_mount -> $a[1]: $!\n";
} else {
	die "_lay_sys: unknown op $op\n";
}' "$@"
}

# lay_pivot NEWROOT: makes NEWROOT (a mount) the root of this mount namespace
# and detaches everything else: afterwards the namespace holds only the mounts
# at and below NEWROOT.  Done by perl (pivot_root + umount2), because no binary
# is reachable once the old root is gone; the calling shell's root and cwd
# move along (pivot_root moves every process of the namespace).
lay_pivot() {
	perl -e '
require "syscall.ph";
chdir $ARGV[0] or die "chdir $ARGV[0]: $!\n";
my $dot = ".";
syscall(&SYS_pivot_root, $dot, $dot) == 0 or die "pivot_root $ARGV[0]: $!\n";
syscall(&SYS_umount2, $dot, 2) == 0 or die "umount2 old root: $!\n";' "$1"
	cd /
}

# _lay_spawn_pivoted NEWROOT: starts a process in a new mount namespace copied
# from this one with propagation unchanged (its copies of shared mounts are
# peers of ours), pivoted into its copy of NEWROOT so that it holds only the
# layout.  Prints the pid; the process waits until killed.
_lay_spawn_pivoted() {
	local newroot=$1 st fifo pid line i
	st=$(_lay_state)
	fifo=$(mktemp -u "$st/pivot.XXXXXX")
	mkfifo "$fifo.go" "$fifo.ready"
	unshare --mount --propagation unchanged bash -euo pipefail -c '
		exec 3<>"$1.go" 4<>"$1.ready"
		source "$3"
		lay_pivot "$2"
		echo ok >&4
		read -r -u 3 _' bash "$fifo" "$newroot" "${BASH_SOURCE[0]}" </dev/null >&2 &
	pid=$!
	exec {i}<>"$fifo.ready"
	if ! read -r -t 30 -u "$i" line || [ "$line" != ok ]; then
		exec {i}<&-
		echo "pivoted helper in $newroot did not start" >&2
		return 1
	fi
	exec {i}<&-
	rm -f "$fifo.go" "$fifo.ready"
	echo "$pid"
}

# seed 000: groups in inverse order of the mount tree:
#   /t (0,G3)  /t/sub (G3,G2)  /t/sub/sub (G2,G1)  /t/sub/sub/sub (G1,0)
# All four are binds of one tmpfs root; built private first, then the groups
# are set up from the innermost outwards (the only order the kernel allows).
layout_inverse_chain() {
	local d=$1
	mkdir "$d/src" "$d/t"
	mount -t tmpfs -o mode=755 chain "$d/src"
	mkdir "$d/src/sub"
	echo chain >"$d/src/sub/file"
	mount --bind "$d/src" "$d/t"
	mount --bind "$d/src" "$d/t/sub"
	mount --bind "$d/src" "$d/t/sub/sub"
	mount --bind "$d/src" "$d/t/sub/sub/sub"
	umount "$d/src"
	rmdir "$d/src"
	_lay_sys prop "$d/t/sub/sub/sub" shared
	_lay_sys setgroup "$d/t/sub/sub/sub" "$d/t/sub/sub"
	_lay_sys prop "$d/t/sub/sub" slave
	_lay_sys prop "$d/t/sub/sub" shared
	_lay_sys setgroup "$d/t/sub/sub" "$d/t/sub"
	_lay_sys prop "$d/t/sub" slave
	_lay_sys prop "$d/t/sub" shared
	_lay_sys setgroup "$d/t/sub" "$d/t"
	_lay_sys prop "$d/t" slave
}

# seed 001: the group tree (G1,0) -> (G2,G1), (G3,G1) -> (G4,G3) -> (0,G4),
# with (0,G4) (G4,G3) (G3,G1) (G1,0) stacked bottom to top on one mountpoint
# (reverse order: the bottom mount is the deepest slave) and (G2,G1) beside.
layout_group_tree() {
	local d=$1 p=/proc/$BASHPID/fd f1 f2 f3 f4
	mkdir "$d/src" "$d/g" "$d/h"
	mount -t tmpfs -o mode=755 gtree "$d/src"
	echo gtree >"$d/src/file"
	mount --bind "$d/src" "$d/g"
	exec {f1}<"$d/g"
	mount --bind "$d/src" "$d/g"
	exec {f2}<"$d/g"
	mount --bind "$d/src" "$d/g"
	exec {f3}<"$d/g"
	mount --bind "$d/src" "$d/g"
	exec {f4}<"$d/g"
	mount --bind "$d/src" "$d/h"
	umount "$d/src"
	rmdir "$d/src"
	_lay_sys prop "$p/$f4" shared
	_lay_sys setgroup "$p/$f4" "$d/h"
	_lay_sys prop "$d/h" slave
	_lay_sys prop "$d/h" shared
	_lay_sys setgroup "$p/$f4" "$p/$f3"
	_lay_sys prop "$p/$f3" slave
	_lay_sys prop "$p/$f3" shared
	_lay_sys setgroup "$p/$f3" "$p/$f2"
	_lay_sys prop "$p/$f2" slave
	_lay_sys prop "$p/$f2" shared
	_lay_sys setgroup "$p/$f2" "$p/$f1"
	_lay_sys prop "$p/$f1" slave
	exec {f1}<&- {f2}<&- {f3}<&- {f4}<&-
}

# seed 003: the LXD container: /dev tmpfs with file binds, proc with a ro
# /proc/sys holding a rw /proc/sys/net created before it (child id < parent
# id), lxcfs-style file binds over proc files, sysfs overmounted by a ro bind
# of itself, a sysfs bind stacked on a sysfs mount, and /sys/fs/cgroup
# overmounted: a tmpfs with a narrow bind child, covered by another tmpfs
# holding the same narrow bind and binds of lxcfs directories; devpts.
layout_lxd_seed003() {
	local d=$1 f c
	mkdir -p "$d/dev" "$d/proc" "$d/sys" "$d/.lx" "$d/.udev" "$d/.cg" "$d/.x" "$d/.y" "$d/.n"

	# stand-ins for fuse.lxcfs, devtmpfs and the host tmpfs "none"
	mount -t tmpfs -o mode=755 lxcfs "$d/.lx"
	mkdir -p "$d/.lx/proc" "$d/.lx/cgroup"
	for f in cpuinfo meminfo stat uptime; do
		echo "$f" >"$d/.lx/proc/$f"
	done
	for c in blkio cpu cpuacct cpuset devices freezer hugetlb memory name=systemd net_cls \
		net_prio perf_event; do
		mkdir "$d/.lx/cgroup/$c"
	done
	mount -t tmpfs -o size=1m,mode=755 udev "$d/.udev"
	for f in console full null random tty urandom zero; do
		: >"$d/.udev/$f"
	done
	mount -t tmpfs -o size=4k,mode=755 none "$d/.cg"
	mkdir "$d/.cg/cgmanager"

	mount -t tmpfs -o size=100k,mode=755 none "$d/dev"
	mount -t proc -o nosuid,nodev,noexec proc "$d/proc"
	# /proc/sys/net first, then /proc/sys above it: moves keep the creation order
	mount --bind "$d/proc/sys/net" "$d/.x"
	mount --bind "$d/proc/sys" "$d/.y"
	mount --move "$d/.x" "$d/.y/net"
	mount --move "$d/.y" "$d/proc/sys"
	mount -o remount,bind,ro,nosuid,nodev,noexec "$d/proc/sys"
	mount -o remount,bind,nosuid,nodev,noexec "$d/proc/sys/net"
	# the seed's ro /proc/sysrq-trigger; this kernel may lack CONFIG_MAGIC_SYSRQ
	f=sysrq-trigger
	[ -e "$d/proc/$f" ] || f=version
	mount --bind "$d/proc/$f" "$d/proc/$f"
	mount -o remount,bind,ro,nosuid,nodev,noexec "$d/proc/$f"

	mount -t sysfs -o nosuid,nodev,noexec sysfs "$d/sys"
	mount --bind "$d/sys" "$d/sys"
	mount -o remount,bind,ro,nosuid,nodev,noexec "$d/sys"
	mount --bind "$d/sys/devices/virtual/net" "$d/.n"
	mount -t sysfs sysfs "$d/sys/devices/virtual/net"
	mount --move "$d/.n" "$d/sys/devices/virtual/net"
	mount -o remount,bind,nosuid,nodev,noexec "$d/sys/devices/virtual/net"

	mount -t tmpfs -o size=12k,mode=755 cgroup "$d/sys/fs/cgroup"
	mkdir "$d/sys/fs/cgroup/cgmanager"
	mount --bind "$d/.cg/cgmanager" "$d/sys/fs/cgroup/cgmanager"

	for f in console full null random tty urandom zero; do
		: >"$d/dev/$f"
		mount --bind "$d/.udev/$f" "$d/dev/$f"
	done
	for f in cpuinfo meminfo stat uptime; do
		mount --bind "$d/.lx/proc/$f" "$d/proc/$f"
		mount -o remount,bind,nosuid,nodev "$d/proc/$f"
	done

	mount -t tmpfs -o size=4k,mode=755 none "$d/sys/fs/cgroup"
	mkdir "$d/sys/fs/cgroup/cgmanager"
	mount --bind "$d/.cg/cgmanager" "$d/sys/fs/cgroup/cgmanager"
	for c in blkio cpu cpuacct cpuset devices freezer hugetlb memory net_cls net_prio \
		perf_event; do
		mkdir "$d/sys/fs/cgroup/$c"
		mount --bind "$d/.lx/cgroup/$c" "$d/sys/fs/cgroup/$c"
		mount -o remount,bind,nosuid,nodev "$d/sys/fs/cgroup/$c"
	done
	mkdir "$d/sys/fs/cgroup/systemd"
	mount --bind "$d/.lx/cgroup/name=systemd" "$d/sys/fs/cgroup/systemd"
	mount -o remount,bind,nosuid,nodev "$d/sys/fs/cgroup/systemd"

	mkdir "$d/dev/pts"
	mount -t devpts -o newinstance,gid=5,mode=620,ptmxmode=666 devpts "$d/dev/pts"

	umount "$d/.lx" "$d/.udev" "$d/.cg"
	rmdir "$d/.lx" "$d/.udev" "$d/.cg" "$d/.x" "$d/.y" "$d/.n"
}

# A peer group whose members' roots are disjoint subdirectories of one
# tmpfs, no member at its root (the superblock root is mounted nowhere), and
# a slave of that group with a root deeper still.
layout_narrow_root() {
	local d=$1
	mkdir "$d/t" "$d/x" "$d/y" "$d/z"
	mount -t tmpfs -o mode=755 narrow "$d/t"
	mkdir -p "$d/t/a/sub" "$d/t/b"
	echo a >"$d/t/a/file"
	echo b >"$d/t/b/file"
	mount --make-shared "$d/t"
	mount --bind "$d/t/a" "$d/x"
	mount --bind "$d/t/b" "$d/y"
	mount --bind "$d/t/a/sub" "$d/z"
	mount --make-slave "$d/z"
	umount "$d/t"
	rmdir "$d/t"
}

# A peer group spanning two namespaces: /p and /q here, /p and /q in a second
# namespace (a copy of this one pivoted into the layout) that no process
# holds: only the nsfs bind mount /pinB in this namespace keeps it alive.  A
# mount made after the copy propagates into both namespaces.
layout_crossns_peers() {
	local d=$1 pid
	mkdir "$d/p" "$d/q" "$d/own"
	mount -t tmpfs -o mode=755 xns "$d/p"
	mkdir "$d/p/sub"
	mount --make-shared "$d/p"
	mount --bind "$d/p" "$d/q"
	pid=$(_lay_spawn_pivoted "$d")
	mount -t tmpfs -o mode=755 propagated "$d/p/sub"
	mount -t tmpfs -o mode=700 private "$d/own"
	: >"$d/pinB"
	mount --bind "/proc/$pid/ns/mnt" "$d/pinB"
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	_lay_note_ns pinB
}

# A slave of a slave: /m (G1), /s1 (G2 master G1), /s2 (slave of G2); a mount
# under /m propagated down the chain; a mount under /s2 that stays local.
layout_slave_of_slave() {
	local d=$1
	mkdir "$d/m" "$d/s1" "$d/s2"
	mount -t tmpfs -o mode=755 sos "$d/m"
	mkdir "$d/m/x" "$d/m/y"
	mount --make-shared "$d/m"
	mount --bind "$d/m" "$d/s1"
	mount --make-slave "$d/s1"
	mount --make-shared "$d/s1"
	mount --bind "$d/s1" "$d/s2"
	mount --make-slave "$d/s2"
	mount -t tmpfs -o mode=755 down "$d/m/x"
	mount -t tmpfs -o mode=755 local "$d/s2/y"
}

# A slave whose master group has no member in this namespace: the only
# member left lives in a helper namespace (a process in LAYOUT_PIDS).
layout_slave_no_visible_master() {
	local d=$1
	mkdir "$d/m" "$d/s"
	mount -t tmpfs -o mode=755 hidden-master "$d/m"
	mkdir "$d/m/x"
	mount --make-shared "$d/m"
	mount --bind "$d/m" "$d/s"
	mount --make-slave "$d/s"
	unshare --mount --propagation unchanged sleep 1000000 </dev/null >/dev/null 2>&1 &
	_lay_note_pid $!
	# wait until the helper has its copy (unshare execs sleep after unshare(2))
	_lay_wait_comm $! sleep
	# no rmdir of /m: removing a mountpoint dentry detaches the mounts on it
	# in every namespace, the helper's master copy included
	umount "$d/m"
}

# An unbindable tmpfs with a child, and a bind of its subdirectory made
# before it became unbindable (zdtm "unbindable").
layout_unbindable() {
	local d=$1
	mkdir "$d/u" "$d/v"
	mount -t tmpfs -o mode=755 unbind "$d/u"
	mkdir "$d/u/sub" "$d/u/c"
	echo u >"$d/u/sub/file"
	mount --bind "$d/u/sub" "$d/v"
	mount -t tmpfs -o mode=755 child "$d/u/c"
	mount --make-unbindable "$d/u"
}

# Overmounts: a tmpfs with a child, both covered by a second tmpfs on the
# same mountpoint (the child stays hidden); a mount covered by a bind of its
# own subdirectory; three stacked mounts on one path.
layout_overmount() {
	local d=$1
	mkdir "$d/o" "$d/p" "$d/s"
	mount -t tmpfs -o mode=755 lower "$d/o"
	mkdir "$d/o/h"
	echo lower >"$d/o/file"
	mount -t tmpfs -o mode=755 hidden "$d/o/h"
	mount -t tmpfs -o mode=700 upper "$d/o"
	mount -t tmpfs -o mode=755 self "$d/p"
	mkdir "$d/p/sub"
	echo sub >"$d/p/sub/file"
	mount --bind "$d/p/sub" "$d/p"
	mount -t tmpfs -o mode=755 s1 "$d/s"
	mount -t tmpfs -o mode=755 s2 "$d/s"
	mount -t tmpfs -o mode=755 s3 "$d/s"
}

# A mount tucked under another by propagation: /a and /b are peers; a tmpfs
# "top" on /a/m propagates to /b/m; a tmpfs "under" is moved beneath /a/m's
# top (MOVE_MOUNT_BENEATH) and its propagated copy is tucked under the copy
# of "top" on /b/m (the kernel reparents the top onto it).  On 6.18 plain
# mount propagation no longer tucks (a copy lands on top of what is there),
# so BENEATH is the way to get the shape.
layout_tucked() {
	local d=$1
	mkdir "$d/a" "$d/b" "$d/.st"
	mount -t tmpfs -o mode=755 tuck "$d/a"
	mkdir "$d/a/m"
	mount --make-shared "$d/a"
	mount --bind "$d/a" "$d/b"
	mount -t tmpfs -o mode=755 top "$d/a/m"
	mount -t tmpfs -o mode=755 under "$d/.st"
	_lay_sys beneath "$d/.st" "$d/a/m"
	rmdir "$d/.st"
}

# Mounts created by propagation: /s shared with a peer /p and a slave /sl;
# a tmpfs on /s/x appears on /p/x and /sl/x, a mount on /p/x/z appears on
# all three; a mount on the slave /sl/y stays there.
layout_propagated() {
	local d=$1
	mkdir "$d/s" "$d/p" "$d/sl"
	mount -t tmpfs -o mode=755 prop "$d/s"
	mkdir "$d/s/x" "$d/s/y"
	mount --make-shared "$d/s"
	mount --bind "$d/s" "$d/p"
	mount --bind "$d/s" "$d/sl"
	mount --make-slave "$d/sl"
	mount -t tmpfs -o mode=755 child "$d/s/x"
	mkdir "$d/s/x/z"
	mount -t tmpfs -o mode=755 grandchild "$d/p/x/z"
	mount -t tmpfs -o mode=755 slavelocal "$d/sl/y"
}

# Binds of regular files: within the layout root, from another tmpfs, and a
# read-only one.
layout_file_bind() {
	local d=$1
	mkdir "$d/t" "$d/dir"
	echo src >"$d/file.src"
	: >"$d/file.dst"
	mount --bind "$d/file.src" "$d/file.dst"
	mount -t tmpfs -o mode=755 files "$d/t"
	echo other >"$d/t/other"
	: >"$d/dir/other"
	: >"$d/dir/other.ro"
	mount --bind "$d/t/other" "$d/dir/other"
	mount --bind "$d/t/other" "$d/dir/other.ro"
	mount -o remount,bind,ro "$d/dir/other.ro"
}

# Per-mount flags, one bind each, a combination, and a tmpfs mounted ro.
layout_flags() {
	local d=$1 f
	mkdir "$d/base" "$d/all" "$d/rofs"
	mount -t tmpfs -o mode=755 flags "$d/base"
	for f in ro nodev nosuid noexec noatime strictatime nodiratime nosymfollow; do
		mkdir "$d/base/$f" "$d/$f"
		mount --bind "$d/base/$f" "$d/$f"
		mount -o "remount,bind,$f" "$d/$f"
	done
	mount --bind "$d/base" "$d/all"
	mount -o remount,bind,ro,nosuid,nodev,noexec,noatime,nosymfollow "$d/all"
	mount -t tmpfs -o ro,mode=755 rofs "$d/rofs"
}

# Filesystem types and superblock options: tmpfs with size/mode/nr_inodes/
# uid/gid, proc with hidepid, sysfs and mqueue (the current net/ipc
# namespace's; no options), devpts with options.
layout_fstypes() {
	local d=$1
	mkdir "$d/tmp" "$d/proc" "$d/sys" "$d/pts" "$d/mq"
	mount -t tmpfs -o size=1m,mode=700,nr_inodes=100,uid=1,gid=2 sized "$d/tmp"
	mount -t proc -o nosuid,nodev,noexec,hidepid=invisible proc "$d/proc"
	mount -t sysfs sysfs "$d/sys"
	mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5 devpts "$d/pts"
	mount -t mqueue mqueue "$d/mq"
}

# An idmapped bind (0 -> 100000, 65536 ids) of a tmpfs.  mount(8) 2.38 has no
# X-mount.idmap (it ignores the option), so the mount is made with
# open_tree + mount_setattr(MOUNT_ATTR_IDMAP) + move_mount.
layout_idmapped() {
	local d=$1 pid r=0
	mkdir "$d/src" "$d/idm"
	mount -t tmpfs -o mode=755 idsrc "$d/src"
	echo owned-by-0 >"$d/src/file"
	unshare --user sleep 1000000 </dev/null >/dev/null 2>&1 &
	pid=$!
	_lay_wait_comm "$pid" sleep
	echo "0 100000 65536" >"/proc/$pid/uid_map"
	echo "0 100000 65536" >"/proc/$pid/gid_map"
	_lay_sys idmap "$d/src" "$d/idm" "/proc/$pid/ns/user" || r=$?
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	[ "$r" = 0 ] || return "$r"
	umount "$d/src"
	rmdir "$d/src"
	grep -q " $d/idm [^ ]*idmapped" /proc/self/mountinfo || {
		echo "layout_idmapped: $d/idm is not idmapped" >&2
		return 1
	}
}

# A chain of 50 nested tmpfs mounts.
layout_deep50() {
	local d=$1 cur=$1 i
	for i in $(seq 50); do
		mkdir "$cur/d"
		mount -t tmpfs -o mode=755 "deep$i" "$cur/d"
		cur=$cur/d
	done
}

# 500 sibling mounts under one tmpfs: 250 tmpfs, 250 binds of its subdirs.
layout_wide500() {
	local d=$1 i
	mkdir "$d/w"
	mount -t tmpfs -o mode=755 wide "$d/w"
	for i in $(seq 500); do
		mkdir "$d/w/m$i"
	done
	for i in $(seq 250); do
		mount -t tmpfs -o mode=755 "w$i" "$d/w/m$i"
	done
	for i in $(seq 251 500); do
		mount --bind "$d/w/m$i" "$d/w/m$i"
	done
}

# Read-only parents with children (a container's root: read-only, with
# /proc, /dev, /run and volumes mounted on directories of it).  Replay must
# make the mountpoints through a writable view of the superblock, never
# through the read-only mount, and make things read-only only afterwards.

# A tmpfs made read-only per mount after its children (a tmpfs and a bind,
# one with a child of its own) were mounted.
layout_ro_mount_children() {
	local d=$1
	mkdir "$d/r" "$d/src"
	mount -t tmpfs -o mode=755 rofs "$d/r"
	mkdir -p "$d/r/c1" "$d/r/c2" "$d/r/deep/c3"
	mount -t tmpfs -o mode=755 c1 "$d/r/c1"
	mkdir "$d/r/c1/g"
	mount -t tmpfs -o mode=755 g "$d/r/c1/g"
	mount --bind "$d/src" "$d/r/c2"
	mount -t tmpfs -o mode=755 c3 "$d/r/deep/c3"
	mount -o remount,bind,ro "$d/r"
}

# A tmpfs made read-only at the superblock (remount,ro), with children and
# grandchildren, one of them a bind of the read-only tmpfs itself.
layout_ro_sb_children() {
	local d=$1
	mkdir "$d/r"
	mount -t tmpfs -o mode=755 rosb "$d/r"
	mkdir -p "$d/r/c1" "$d/r/c2/sub" "$d/r/self" "$d/r/data/x"
	mount -t tmpfs -o mode=755 c1 "$d/r/c1"
	mkdir "$d/r/c1/g"
	mount -t tmpfs -o mode=755 g "$d/r/c1/g"
	mount -t tmpfs -o mode=755 c2 "$d/r/c2/sub"
	mount --bind "$d/r/data" "$d/r/self"
	mount -t tmpfs -o mode=755 y "$d/r/data/x"
	mount -o remount,ro "$d/r"
}

# A 50-level chain: every 5th level a narrow bind of a tmpfs whose root is
# mounted nowhere (mounted, bound from a subdirectory, unmounted), levels 20
# and 40 of those read-only; the other levels tmpfs.
layout_ro_narrow_chain() {
	local d=$1 cur=$1 i t
	t=$(_lay_state)/narrow-src
	mkdir -p "$t"
	for i in $(seq 50); do
		mkdir "$cur/d"
		if [ $((i % 5)) = 0 ]; then
			mount -t tmpfs -o mode=755 "narrow$i" "$t"
			mkdir -p "$t/top/sub$i/d"
			mount --bind "$t/top/sub$i" "$cur/d"
			umount "$t"
		else
			mount -t tmpfs -o mode=755 "chain$i" "$cur/d"
		fi
		cur=$cur/d
	done
	mount -o remount,bind,ro "$d/$(printf 'd/%.0s' $(seq 20))"
	mount -o remount,bind,ro "$d/$(printf 'd/%.0s' $(seq 40))"
}

# A read-only bind of a directory of the layout's root, with a child below.
layout_ro_dir_bind() {
	local d=$1
	mkdir -p "$d/vol/data/c" "$d/b"
	mount --bind "$d/vol" "$d/b"
	mount -t tmpfs -o mode=755 child "$d/b/data/c"
	mount -o remount,bind,ro "$d/b"
}

# File binds inside a tmpfs read-only per mount and inside one read-only at
# the superblock (an lxcfs-style /proc/cpuinfo in a read-only root).
layout_ro_file_bind() {
	local d=$1
	mkdir "$d/r" "$d/s" "$d/t"
	mount -t tmpfs -o mode=755 files "$d/t"
	echo cpuinfo >"$d/t/cpuinfo"
	mount -t tmpfs -o mode=755 rofile "$d/r"
	mkdir "$d/r/proc"
	: >"$d/r/proc/cpuinfo"
	: >"$d/r/top"
	mount --bind "$d/t/cpuinfo" "$d/r/proc/cpuinfo"
	mount --bind "$d/t/cpuinfo" "$d/r/top"
	mount -o remount,bind,ro "$d/r"
	mount -t tmpfs -o mode=755 rosbfile "$d/s"
	: >"$d/s/f"
	mount --bind "$d/t/cpuinfo" "$d/s/f"
	mount -o remount,ro "$d/s"
	umount "$d/t"
	rmdir "$d/t"
}

# Roots deleted after binding (mountinfo "/d1//deleted"): two directory
# binds sharing one deleted root, a file bind, and a directory of a second
# tmpfs, each removed after it was bound.
layout_deleted() {
	local d=$1
	mkdir "$d/d1" "$d/x" "$d/y" "$d/t" "$d/w"
	: >"$d/f"
	: >"$d/fx"
	mount --bind "$d/d1" "$d/x"
	mount --bind "$d/d1" "$d/y"
	mount --bind "$d/f" "$d/fx"
	mount -t tmpfs -o mode=755 other "$d/t"
	mkdir "$d/t/sub"
	mount --bind "$d/t/sub" "$d/w"
	rmdir "$d/d1" "$d/t/sub"
	rm "$d/f"
}

# Mount sources (devnames): a tmpfs with an empty source, one with a custom
# source and a bind of it (a bind shows its source mount's), one with "none".
layout_sources() {
	local d=$1
	mkdir "$d/empty" "$d/custom" "$d/bind" "$d/none"
	mount -t tmpfs -o mode=755 "" "$d/empty"
	mount -t tmpfs -o mode=755 my-src "$d/custom"
	mkdir "$d/custom/sub"
	mount --bind "$d/custom/sub" "$d/bind"
	mount -t tmpfs -o mode=755 none "$d/none"
}
