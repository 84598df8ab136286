#!/usr/bin/env bats
# make install: what it installs where (PREFIX, DESTDIR), the binary
# stripped unless NOSTRIP, the man page naming the installed paths.

load test_helper

# is_stripped FILE: no symbol table left.
is_stripped() { ! readelf -S "$1" | grep -q '\.symtab'; }

@test "make install DESTDIR=… PREFIX=/usr: the file list" {
	local root="$BATS_TEST_TMPDIR/root"
	run make -s -C "$TOP" install DESTDIR="$root" PREFIX=/usr
	assert_success
	run bash -c 'cd "$1" && find . -type f | sort' bash "$root"
	local want=(./usr/bin/mntsnap
		./usr/share/bash-completion/completions/mntsnap)
	local f
	for f in "$TOP"/spec/*.md; do want+=("./usr/share/doc/mntsnap/$(basename "$f")"); done
	want+=(./usr/share/man/man8/mntsnap.8 ./usr/share/mntsnap/bats/mntsnap.bash)
	for f in "$TOP"/spec/*.schema.json; do want+=("./usr/share/mntsnap/$(basename "$f")"); done
	assert_output "$(printf '%s\n' "${want[@]}" | sort)"
	# the specifications are there, FORMAT.md and DIFF-JSON.md among them
	[ -f "$root/usr/share/doc/mntsnap/FORMAT.md" ]
	[ -f "$root/usr/share/doc/mntsnap/DIFF-JSON.md" ]
	"$root/usr/bin/mntsnap" --version
}

@test "make install strips the binary; NOSTRIP=1 keeps its symbols" {
	make -s -C "$TOP" install DESTDIR="$BATS_TEST_TMPDIR/s" PREFIX=/usr
	is_stripped "$BATS_TEST_TMPDIR/s/usr/bin/mntsnap"
	make -s -C "$TOP" install DESTDIR="$BATS_TEST_TMPDIR/n" PREFIX=/usr NOSTRIP=1
	! is_stripped "$BATS_TEST_TMPDIR/n/usr/bin/mntsnap"
	run stat -c %a "$BATS_TEST_TMPDIR/s/usr/bin/mntsnap"
	assert_output 755
}

@test "the installed man page's FILES names the paths of this PREFIX" {
	local root="$BATS_TEST_TMPDIR/root"
	make -s -C "$TOP" install DESTDIR="$root" PREFIX=/usr
	# /usr/local only in the note on the default PREFIX
	run grep /usr/local "$root/usr/share/man/man8/mntsnap.8"
	assert_output ".RI ( /usr/local );"
	run grep -E '^\.I /usr/share/' "$root/usr/share/man/man8/mntsnap.8"
	assert_line ".I /usr/share/mntsnap/mntsnap.schema.json"
	assert_line ".I /usr/share/mntsnap/diff.schema.json"
	assert_line ".I /usr/share/doc/mntsnap/"
	assert_line ".I /usr/share/bash-completion/completions/mntsnap"
	run stat -c %a "$root/usr/share/man/man8/mntsnap.8"
	assert_output 644
}

@test "make uninstall removes what make install put" {
	local root="$BATS_TEST_TMPDIR/root"
	make -s -C "$TOP" install DESTDIR="$root" PREFIX=/usr
	make -s -C "$TOP" uninstall DESTDIR="$root" PREFIX=/usr
	run find "$root" -type f
	assert_output ""
}
