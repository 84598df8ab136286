# mntsnap.bash - bats helpers that assert a mount layout, on top of
# `mntsnap check` (the spec language: spec/SPEC.md, mntsnap(8)).
#
#   load /usr/local/share/mntsnap/bats/mntsnap.bash
#
#   assert_mount_layout [--target T] [--subtree P] [--ns L] [SPEC-FILE|-]
#       the target meets the spec, read from SPEC-FILE or (none, or -) from
#       standard input: a heredoc
#   assert_mount [--target T] PATH [FIELD=VALUE|WORD...]
#       a mount is at PATH, with these properties: spec words (ro, nosuid,
#       shared, unbindable, bind, type=tmpfs, opts=ro,relatime ...) or
#       findmnt-style fields: fstype=, source=, root=, options=LIST (each a
#       flag word), propagation=LIST (shared, slave, private, unbindable)
#   assert_peers [--target T] A B
#       the mounts at A and B are in one peer group
#   assert_slave_of [--target T] A B
#       the mount at A is a slave of the peer group of the mount at B
#
# T is pid:PID, ns:FILE or a snapshot file; the default is the caller's
# mount namespace.  MNTSNAP names the binary (default: mntsnap in PATH).
# On success a helper prints nothing and returns 0; otherwise it prints a
# bats-assert style block to standard error and returns 1:
#
#   -- mount layout differs --
#   spec:3: /data: propagation: expected shared:vol, found private
#   --

# _mntsnap_check ARGS... (spec on stdin): runs check, turns its verdict
# into the block above.
_mntsnap_check() {
	local out status=0
	out=$("${MNTSNAP:-mntsnap}" check "$@" 2>&1) || status=$?
	case $status in
	0) return 0 ;;
	1) printf -- '-- mount layout differs --\n%s\n--\n' "$out" >&2 ;;
	*) printf -- '-- mntsnap check failed (exit status %d) --\n%s\n--\n' "$status" "$out" >&2 ;;
	esac
	return 1
}

# _mntsnap_quote PATH: PATH as one spec token ("..." with \\ and \" escaped,
# control characters as \xHH)
_mntsnap_quote() {
	local s=$1 out="" c i
	for ((i = 0; i < ${#s}; i++)); do
		c=${s:i:1}
		# shellcheck disable=SC1003 # a backslash, not an escaped quote
		case $c in
		'\' | '"') out+="\\$c" ;;
		[[:cntrl:]]) out+=$(printf '\\x%02x' "'$c") ;;
		*) out+=$c ;;
		esac
	done
	printf '"%s"' "$out"
}

# _mntsnap_name PATH: a group name made of PATH ([A-Za-z0-9_.-]+)
_mntsnap_name() {
	local n=${1//[^A-Za-z0-9_.-]/_}
	n=${n##_}
	printf '%s' "${n:-root}"
}

assert_mount_layout() {
	local -a opts=()
	local target="" spec=-
	while [ $# -gt 0 ]; do
		case $1 in
		--target) target=$2; shift 2 ;;
		--target=*) target=${1#--target=}; shift ;;
		--subtree | --ns) opts+=("$1=$2"); shift 2 ;;
		--subtree=* | --ns=*) opts+=("$1"); shift ;;
		*) spec=$1; shift ;;
		esac
	done
	if [ "$spec" = - ]; then
		_mntsnap_check "${opts[@]}" - ${target:+"$target"}
	else
		_mntsnap_check "${opts[@]}" "$spec" ${target:+"$target"} </dev/null
	fi
}

# _mntsnap_target ARGS...: sets _mntsnap_t (from --target) and
# _mntsnap_args (the rest)
_mntsnap_target() {
	_mntsnap_t=""
	_mntsnap_args=()
	while [ $# -gt 0 ]; do
		case $1 in
		--target) _mntsnap_t=$2; shift 2 ;;
		--target=*) _mntsnap_t=${1#--target=}; shift ;;
		*) _mntsnap_args+=("$1"); shift ;;
		esac
	done
}

assert_mount() {
	local line field value w
	_mntsnap_target "$@"
	set -- "${_mntsnap_args[@]}"
	if [ $# -eq 0 ]; then
		printf -- '-- assert_mount: no PATH given --\n' >&2
		return 1
	fi
	line=$(_mntsnap_quote "$1")
	shift
	for field in "$@"; do
		value=${field#*=}
		case $field in
		fstype=*) line+=" type=$(_mntsnap_quote "$value")" ;;
		source=* | root=*) line+=" ${field%%=*}=$(_mntsnap_quote "$value")" ;;
		options=* | propagation=*)
			for w in ${value//,/ }; do
				line+=" $w"
			done
			;;
		*) line+=" $field" ;;
		esac
	done
	printf '%s\n' "$line" | _mntsnap_check - ${_mntsnap_t:+"$_mntsnap_t"}
}

# _mntsnap_pair FN WORD [--target T] A B: the spec "B shared:N" then
# "A WORD:N", N named after B
_mntsnap_pair() {
	local fn=$1 word=$2 name
	shift 2
	_mntsnap_target "$@"
	set -- "${_mntsnap_args[@]}"
	if [ $# -ne 2 ]; then
		printf -- '-- %s: A and B needed --\n' "$fn" >&2
		return 1
	fi
	name=$(_mntsnap_name "$2")
	printf '%s shared:%s\n%s %s:%s\n' "$(_mntsnap_quote "$2")" "$name" \
		"$(_mntsnap_quote "$1")" "$word" "$name" | _mntsnap_check - ${_mntsnap_t:+"$_mntsnap_t"}
}

assert_peers() {
	_mntsnap_pair assert_peers shared "$@"
}

assert_slave_of() {
	_mntsnap_pair assert_slave_of slave "$@"
}
