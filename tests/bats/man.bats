#!/usr/bin/env bats
# man/mntsnap.8 renders cleanly and documents every option the binary
# offers: each long (and short) option printed by a command's --help must
# appear in that command's section of the page.  Adding an option without
# documenting it makes this file fail; that is its purpose.

load test_helper

MAN_PAGE="$BATS_TEST_DIRNAME/../../man/mntsnap.8"

# The roff source of one part of the page, as plain text: from the line
# starting with $1 (a .SH/.SS line) up to the next .SH/.SS line, with the
# escapes for hyphens and fonts removed so "\-\-pid" reads "--pid".
man_section() {
	awk -v start="$1" '
		index($0, start) == 1 { on = 1; print; next }
		on && /^\.S[HS] / { exit }
		on { print }' "$MAN_PAGE" |
		sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\(aq/'"'"'/g' -e 's/\\&//g' -e 's/\\c$//'
}

# Options in argp --help output: lines such as
#   "  -p, --pid=PID   ..." or "      --compact  ..."; prints one option a line
# (the short and the long one separately).
help_options() {
	sed -n -E 's/^ {2,}((-[^-], )*(--[a-z][a-z0-9-]*)?).*/\1/p' |
		tr ',' '\n' | sed -E 's/^ +//; s/[ =[].*//' | grep -E '^-' | sort -u
}

# documented TEXT OPTION: OPTION appears in TEXT as a whole word.
documented() {
	local re
	re=$(printf '%s' "$2" | sed 's/[][\\.*^$?+(){}|]/\\&/g')
	grep -qE -- "(^|[^a-zA-Z-])$re([^a-zA-Z-]|$)" <<<"$1"
}

# Checks that every option of "$@ --help" is in section $1 of the page.
check_documented() {
	local section=$1 text opts opt missing=()
	shift
	run --separate-stderr "$MNTSNAP" "$@" --help
	assert_success
	opts=$(printf '%s\n' "$output" | help_options)
	# a --help that lists no option means the parser above is broken
	[ -n "$opts" ]
	text=$(man_section "$section")
	[ -n "$text" ]
	for opt in $opts; do
		case "$opt" in
		--help | --usage | -\? | --version | -V) [ "$#" -gt 0 ] && continue ;; # global: in OPTIONS
		esac
		documented "$text" "$opt" || missing+=("$opt")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		echo "not documented in '$section' of man/mntsnap.8: ${missing[*]}" >&2
		return 1
	fi
}

@test "the man page renders without warnings" {
	command -v man >/dev/null || skip "man-db not installed (make deps)"
	LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 run --separate-stderr \
		man --warnings -E UTF-8 -l -Tutf8 -Z "$MAN_PAGE"
	assert_success
	assert_equal "$stderr" ""
	[ -n "$output" ]
}

@test "the man page has the sections a section-8 page needs" {
	local s
	for s in NAME SYNOPSIS DESCRIPTION OPTIONS COMMANDS "EXIT STATUS" ENVIRONMENT FILES \
		EXAMPLES NOTES "SEE ALSO"; do
		grep -qE "^\.SH \"?$s\"?\$" "$MAN_PAGE" || {
			echo "missing section $s" >&2
			return 1
		}
	done
	grep -q '^\.TH MNTSNAP 8 ' "$MAN_PAGE"
}

@test "the option parser of this test finds options in argp help text" {
	# guards help_options against silently finding nothing
	local sample
	sample=$(printf '%s\n' '  -p, --pid=PID              capture it' \
		'      --compact              one line' '  -n, --dry-run              plan' \
		'      --kernel=auto|listmount|mountinfo' 'Exit status: --not-an-option here')
	run help_options <<<"$sample"
	assert_output "$(printf '%s\n' --compact --dry-run --kernel --pid -n -p | sort)"
}

@test "every global option of mntsnap --help is documented in OPTIONS" {
	check_documented ".SH OPTIONS"
}

@test "every option of mntsnap capture --help is documented under capture" {
	check_documented '.SS "mntsnap capture' capture
}

@test "every option of mntsnap replay --help is documented under replay" {
	check_documented '.SS "mntsnap replay' replay
}

@test "every option of mntsnap diff --help is documented under diff" {
	check_documented '.SS "mntsnap diff' diff
}

@test "every option of mntsnap check --help is documented under check" {
	check_documented '.SS "mntsnap check' check
}

@test "every option of the CLI contract is documented under its command" {
	# the contract (cli.md) as data, so the page cannot lag behind it even
	# while a command's --help is incomplete
	local -A contract=(
		['.SS "mntsnap capture']="-p --pid -m --mount -A --all -F --mountinfo --subtree --kernel -o --output --compact --tree"
		['.SS "mntsnap replay']="--new -t --target -m --mount --root --ns --external --fresh --create-mountpoints -n --dry-run --no-verify"
		['.SS "mntsnap diff']="--json -q --quiet --subtree --ns --ignore --strict-ids"
		['.SH OPTIONS']="-q --quiet -v --verbose -V --version -h -? --help --usage"
	)
	local section text opt missing=()
	for section in "${!contract[@]}"; do
		text=$(man_section "$section")
		for opt in ${contract[$section]}; do
			documented "$text" "$opt" || missing+=("$section: $opt")
		done
	done
	[ ${#missing[@]} -eq 0 ] || {
		printf 'missing: %s\n' "${missing[@]}" >&2
		return 1
	}
}

@test "the environment and files the program uses are documented" {
	run man_section ".SH ENVIRONMENT"
	assert_output --partial MNTSNAP_FAIL_AT_STEP
	run man_section ".SH FILES"
	assert_output --partial mntsnap.schema.json
	# the installed schema path in FILES is where make install puts it
	run make -s -C "$TOP" -n install PREFIX=/usr/local DESTDIR=
	assert_output --partial /usr/local/share/mntsnap/mntsnap.schema.json
}
