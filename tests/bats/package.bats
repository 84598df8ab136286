#!/usr/bin/env bats
# The Debian package (debian/, make deb): built once per run (or reused when
# dist/ holds one newer than everything it is made of), its name, computed
# Depends and file list checked, extracted into a scratch root and run from
# there, and lintian finds no error.

load test_helper

# deb_is_fresh: $DEB exists and nothing that goes into it is newer
deb_is_fresh() {
	[ -f "$DEB" ] || return 1
	[ -z "$(find "$TOP/mntsnap" "$TOP/Makefile" "$TOP/debian" "$TOP/man" "$TOP/completion" \
		"$TOP/share" "$TOP/spec" "$TOP/cmd" "$TOP/lib" -newer "$DEB" -print -quit)" ]
}

setup_file() {
	command -v dpkg-buildpackage >/dev/null && command -v dh >/dev/null || return 0
	VERSION=$(sed -n 's/^#define MNTSNAP_VERSION "\(.*\)"$/\1/p' "$TOP/lib/version.h")
	DEB="$TOP/dist/mntsnap_${VERSION}_$(dpkg --print-architecture).deb"
	export VERSION DEB
	# reuse a package newer than the binary and every file that goes in it
	deb_is_fresh && return 0
	make -s -C "$TOP" deb >"$BATS_FILE_TMPDIR/deb.log" 2>&1 || {
		cat "$BATS_FILE_TMPDIR/deb.log" >&3
		return 1
	}
}

setup() {
	[ -n "${DEB:-}" ] || skip "debhelper or dpkg-dev not installed (make deps)"
}

@test "make deb: dist/mntsnap_VERSION_ARCH.deb, Depends computed from the binary" {
	[ -f "$DEB" ]
	run dpkg-deb -f "$DEB" Package Version Architecture
	assert_output "Package: mntsnap
Version: $VERSION
Architecture: $(dpkg --print-architecture)"
	run dpkg-deb -f "$DEB" Depends
	assert_output --regexp '(^|, )libc6 \(>= [0-9.]+\)'
	assert_output --regexp '(^|, )libmount1 \(>= [0-9.]+\)'
}

@test "the package's files" {
	local want=(./usr/bin/mntsnap ./usr/share/bash-completion/completions/mntsnap
		./usr/share/doc/mntsnap/changelog.gz ./usr/share/doc/mntsnap/copyright
		./usr/share/man/man8/mntsnap.8.gz) f
	# the specifications (FORMAT.md, DIFF-JSON.md, SPEC.md, ...), compressed
	for f in "$TOP"/spec/*.md; do want+=("./usr/share/doc/mntsnap/$(basename "$f").gz"); done
	for f in "$TOP"/spec/*.schema.json; do want+=("./usr/share/mntsnap/$(basename "$f")"); done
	want+=(./usr/share/mntsnap/bats/mntsnap.bash)
	run bash -c 'dpkg-deb -c "$1" | awk "{ print \$NF }" | grep -v "/$" | sort' bash "$DEB"
	assert_output "$(printf '%s\n' "${want[@]}" | sort)"
	assert_line ./usr/share/doc/mntsnap/FORMAT.md.gz
	assert_line ./usr/share/doc/mntsnap/DIFF-JSON.md.gz
}

@test "extracted into a scratch root: mntsnap --version runs, the binary stripped, the man page names /usr" {
	local root="$BATS_TEST_TMPDIR/root"
	dpkg-deb -x "$DEB" "$root"
	run "$root/usr/bin/mntsnap" --version
	assert_success
	assert_line --index 0 "mntsnap $VERSION"
	! readelf -S "$root/usr/bin/mntsnap" | grep -q '\.symtab'
	run bash -c 'zcat "$1" | grep "^\.I /usr/"' bash "$root/usr/share/man/man8/mntsnap.8.gz"
	assert_line ".I /usr/share/mntsnap/mntsnap.schema.json"
	assert_line ".I /usr/share/bash-completion/completions/mntsnap"
	# the installed completion is the one of the tree, and loads
	bash -c 'source "$1" && complete -p mntsnap' bash "$root/usr/share/bash-completion/completions/mntsnap"
}

@test "lintian: no errors" {
	command -v lintian >/dev/null || skip "lintian not installed (make deps)"
	run --separate-stderr lintian "$DEB"
	assert_success
	refute_output --regexp '^E: '
}
