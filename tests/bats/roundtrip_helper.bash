# roundtrip_helper.bash - building a layout as a whole mount namespace,
# reading a namespace's mountinfo, and comparing layouts by structure.
#
# Sourced inside `in_private_ns` scripts (MNTSNAP, TOP, TMP exported).
#
# Why whole namespaces: a layout is built in a new mount namespace that is
# then pivoted into the layout's tmpfs, so the namespace holds exactly the
# layout.  `capture -m` of it, `replay --new` and `capture -m` of the result
# then compare like with like: same root, same mountpoints, nothing from the
# host in between.

source "$TOP/tests/bats/layouts.bash"

# rt_start LAYOUT STATEDIR: builds LAYOUT in a new namespace pivoted into it.
# Sets RT_HOLDER (pid of the process holding it), RT_NSFILES (the nsfs files
# to capture, in label order: ns0 = the layout namespace, then the layout's
# extra namespaces).  The holder stays until rt_stop; it is not pinned from
# here, because binding a namespace needs it to be newer than the pinner's and
# namespace ids come in per-CPU batches.  For the same reason the layout runs
# on one CPU: a second namespace it pins from inside gets a higher id.
# Returns 77 (after printing SKIP: ...) when the layout cannot be built here.
rt_start() {
	local name=$1 st=$2 line rfd rel
	mkdir -p "$st"
	mkfifo "$st/go" "$st/ready"
	: >"$st/pids"
	: >"$st/extra"
	LAYOUT_PIDS=$st/pids LAYOUT_EXTRA_NS=$st/extra LAYOUT_STATE=$st \
		taskset -c "$(rt_one_cpu)" unshare --mount --propagation private bash -euo pipefail -c '
		source "$TOP/tests/bats/layouts.bash"
		exec 3<>"$2/go" 4<>"$2/ready"
		d=$(mktemp -d "$2/root.XXXXXX")
		mount -t tmpfs -o mode=755 layout "$d"
		r=0
		"layout_$1" "$d" >"$2/layout.out" || r=$?
		if [ "$r" != 0 ]; then
			echo "fail $r" >&4
			exit "$r"
		fi
		lay_pivot "$d"
		echo ok >&4
		read -r -u 3 _' bash "$name" "$st" </dev/null >"$st/holder.log" 2>&1 &
	RT_HOLDER=$!
	exec {rfd}<>"$st/ready"
	if ! read -r -t 120 -u "$rfd" line; then
		line="timeout"
	fi
	exec {rfd}<&-
	if [ "$line" != ok ]; then
		if [ "$line" = "fail 77" ]; then
			grep '^SKIP: ' "$st/layout.out" | head -n1
			return 77
		fi
		echo "layout $name: $line" >&2
		cat "$st/holder.log" "$st/layout.out" >&2
		return 1
	fi
	RT_NSFILES=("/proc/$RT_HOLDER/ns/mnt")
	while read -r rel; do
		RT_NSFILES+=("/proc/$RT_HOLDER/root/$rel")
	done <"$st/extra"
}

# rt_one_cpu: a CPU this process may run on.
rt_one_cpu() {
	taskset -cp $$ | sed 's/.*: //; s/[-,].*//'
}

# rt_stop STATEDIR: ends the holder and the layout's helper processes.
rt_stop() {
	local st=$1 pid
	[ -z "${RT_HOLDER:-}" ] || kill "$RT_HOLDER" 2>/dev/null || true
	if [ -f "$st/pids" ]; then
		while read -r pid; do
			kill "$pid" 2>/dev/null || true
		done <"$st/pids"
	fi
	wait 2>/dev/null || true
}

# ns_mountinfo NSFILE: the kernel's mountinfo of the mount namespace NSFILE
# (an nsfs file).  A forked child enters the namespace and the parent reads
# /proc/CHILD/mountinfo, so it works for namespaces that have no /proc and no
# binaries of their own.
ns_mountinfo() {
	python3 - "$1" <<'EOF'
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_CLOEXEC)
r, w = os.pipe()
r2, w2 = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(r)
    os.close(w2)
    if libc.setns(fd, 0x00020000) != 0:
        os.write(w, b"E")
        os._exit(1)
    os.write(w, b"K")
    os.read(r2, 1)
    os._exit(0)
os.close(w)
os.close(r2)
ok = os.read(r, 1) == b"K"
if ok:
    with open("/proc/%d/mountinfo" % pid) as f:
        sys.stdout.write(f.read())
os.close(w2)
os.waitpid(pid, 0)
if not ok:
    sys.exit("ns_mountinfo: setns %s: failed" % sys.argv[1])
EOF
}

# ns_inode NSFILE: the namespace's inode number (what nsfs roots show).
ns_inode() {
	stat -L -c %i "$1"
}

# mountinfo_canon LABEL=FILE...: a layout in a form that does not depend on
# ids, group numbers or device numbers, one fact per line, sorted:
#   mount KEY parent=KEY root= opts= prop= type= source= super=
#   group MEMBERS master=GROUP|external(SLAVES)|none    (one per peer group)
#   slave KEY master=GROUP|external(SLAVES)             (pure slaves)
#   sb MEMBERS                                          (mounts per superblock)
# KEY is LABEL:MOUNTPOINT, with #N for the Nth mount stacked on the same path;
# a group is named by its sorted member keys.  nsfs roots mnt:[INODE] show
# the label of the namespace when it is one of the files (env NSINO:
# "INODE=LABEL ...").
mountinfo_canon() {
	local arg labels="" files=()
	for arg in "$@"; do
		labels="$labels ${arg%%=*}"
		files+=("${arg#*=}")
	done
	awk -v labels="$labels" -v nsino="${NSINO:-}" '
	function sortjoin(list,    n, a, i, j, t, out) {
		n = split(list, a, "\t")
		for (i = 2; i <= n; i++) {
			t = a[i]
			for (j = i - 1; j >= 1 && a[j] > t; j--)
				a[j + 1] = a[j]
			a[j + 1] = t
		}
		out = ""
		for (i = 1; i <= n; i++)
			if (a[i] != "")
				out = out (out == "" ? "" : " ") a[i]
		return out
	}
	function depth(n,    p) {
		if (n in DEPTH)
			return DEPTH[n]
		p = PIDX[n]
		DEPTH[n] = (p != "" && MP[p] == MP[n]) ? depth(p) + 1 : 0
		return DEPTH[n]
	}
	function key(n) {
		return LBL[n] ":" MP[n] (depth(n) ? "#" depth(n) : "")
	}
	function gname(gid,    s) {
		if (gid == "")
			return "none"
		if (gid in MEMBERS)
			return "{" sortjoin(MEMBERS[gid]) "}"
		s = ""
		for (n = 1; n <= N; n++)
			if (MASTER[n] == gid)
				s = s "\t" key(n)
		return "external(" sortjoin(s) ")"
	}
	BEGIN {
		nl = split(labels, L, " ")
		k = split(nsino, NI, " ")
		for (i = 1; i <= k; i++) {
			split(NI[i], kv, "=")
			INO[kv[1]] = kv[2]
		}
	}
	FNR == 1 { f++ }
	{
		n = ++N
		LBL[n] = L[f]
		ID[n] = $1
		PAR[n] = $2
		DEV[n] = L[f] "|" $3
		ROOT[n] = $4
		MP[n] = $5
		OPTS[n] = $6
		prop = ""
		SH[n] = ""
		MASTER[n] = ""
		for (i = 7; $i != "-"; i++) {
			split($i, kv, ":")
			if (kv[1] == "shared")
				SH[n] = kv[2]
			else if (kv[1] == "master")
				MASTER[n] = kv[2]
			prop = prop (prop == "" ? "" : ",") kv[1]
		}
		PROP[n] = prop == "" ? "private" : prop
		TYPE[n] = $(i + 1)
		SRC[n] = $(i + 2)
		SUPER[n] = $(i + 3)
		BYID[L[f] "|" $1] = n
		if (TYPE[n] == "nsfs" && match(ROOT[n], /\[[0-9]+\]/)) {
			ino = substr(ROOT[n], RSTART + 1, RLENGTH - 2)
			ROOT[n] = substr(ROOT[n], 1, RSTART) (ino in INO ? INO[ino] : "other") "]"
		}
	}
	END {
		for (n = 1; n <= N; n++) {
			p = LBL[n] "|" PAR[n]
			PIDX[n] = (p in BYID && BYID[p] != n) ? BYID[p] : ""
		}
		# superblocks: every mount of one device, across namespaces too
		for (n = 1; n <= N; n++) {
			split(DEV[n], dv, "|")
			SB[dv[2]] = SB[dv[2]] "\t" key(n)
			if (SH[n] != "")
				MEMBERS[SH[n]] = MEMBERS[SH[n]] "\t" key(n)
		}
		for (n = 1; n <= N; n++) {
			print "mount " key(n) " parent=" (PIDX[n] == "" ? "-" : key(PIDX[n])) \
				" root=" ROOT[n] " opts=" OPTS[n] " prop=" PROP[n] " type=" TYPE[n] \
				" source=" SRC[n] " super=" SUPER[n]
			if (SH[n] == "" && MASTER[n] != "")
				print "slave " key(n) " master=" gname(MASTER[n])
			if (SH[n] != "" && !(SH[n] in DONE)) {
				DONE[SH[n]] = 1
				print "group " gname(SH[n]) " master=" gname(MASTER[n])
			}
		}
		for (d in SB)
			print "sb " sortjoin(SB[d])
	}' "${files[@]}" | LC_ALL=C sort
}

# rt_ns_set DIR FILE...: writes DIR/LABEL.mi (mountinfo) for each nsfs FILE
# (labels ns0, ns1, ... in order) and prints the NSINO map for them.
rt_ns_set() {
	local dir=$1 i=0 f map=""
	shift
	mkdir -p "$dir"
	for f in "$@"; do
		ns_mountinfo "$f" >"$dir/ns$i.mi"
		map="$map $(ns_inode "$f")=ns$i"
		i=$((i + 1))
	done
	echo "$map"
}

# rt_canon DIR NSINO: the canonical form of DIR/ns*.mi
rt_canon() {
	local dir=$1 f args=()
	for f in "$dir"/ns*.mi; do
		args+=("$(basename "$f" .mi)=$f")
	done
	NSINO=$2 mountinfo_canon "${args[@]}"
}

# rt_no_ids DIR: mountinfo_no_ids of every DIR/ns*.mi, labelled and sorted,
# with nsfs inode numbers removed.
rt_no_ids() {
	local f
	for f in "$1"/ns*.mi; do
		mountinfo_no_ids "$f" | sed -e 's/^/'"$(basename "$f" .mi)"' /' \
			-e 's/\(mnt\|net\|ipc\|uts\|pid\|user\|cgroup\|time\):\[[0-9]*\]/\1:[]/'
	done | LC_ALL=C sort
}

# rt_roundtrip LAYOUT [REPLAY_OPTION...]: the whole round trip, asserting:
# replay exits 0; the result captured and diffed against the snapshot is
# identical (diff exits 0); the kernel's mountinfo of every replayed namespace
# equals the original's modulo ids (mountinfo_no_ids), and so do the
# structures (peer groups, masters, superblocks, parents: mountinfo_canon).
# With RT_TEARDOWN set, the layout is torn down before the replay (for
# --fresh: as on another host).
rt_roundtrip() {
	local name=$1 st=$TMP/rt r=0 i nsino nsino2 out after=()
	shift
	RT_ST=$st
	trap 'rt_stop "$RT_ST"' EXIT
	rt_start "$name" "$st" || return $?
	"$MNTSNAP" capture "${RT_NSFILES[@]/#/--mount=}" -o "$st/snap.json"
	nsino=$(rt_ns_set "$st/orig" "${RT_NSFILES[@]}")
	if [ -n "${RT_TEARDOWN:-}" ]; then
		# as on another host: nothing of the layout is left to clone
		rt_stop "$st"
	fi

	mkdir "$st/out"
	"$MNTSNAP" replay --mkdir --new="$st/out" "$@" "$st/snap.json" || r=$?
	if [ "$r" != 0 ]; then
		echo "FAIL: replay $* of layout $name exited $r" >&2
		return 1
	fi
	for i in "${!RT_NSFILES[@]}"; do
		after+=("$st/out/ns$i")
	done
	"$MNTSNAP" capture "${after[@]/#/--mount=}" -o "$st/after.json"
	r=0
	out=$("$MNTSNAP" diff "$st/snap.json" "$st/after.json" 2>&1) || r=$?
	if [ "$r" != 0 ]; then
		echo "FAIL: diff snapshot vs replayed ($name $*) exited $r:" >&2
		echo "$out" >&2
		return 1
	fi

	nsino2=$(rt_ns_set "$st/new" "${after[@]}")
	if ! diff -u <(rt_no_ids "$st/orig") <(rt_no_ids "$st/new") >&2; then
		echo "FAIL: mountinfo (without ids) differs after replay ($name $*)" >&2
		return 1
	fi
	if ! diff -u <(rt_canon "$st/orig" "$nsino") <(rt_canon "$st/new" "$nsino2") >&2; then
		echo "FAIL: structure differs after replay ($name $*)" >&2
		return 1
	fi
	# the canonical form must not be empty (a test that cannot fail)
	[ "$(rt_canon "$st/orig" "$nsino" | grep -c '^mount ')" -ge 2 ]
}
