#!/usr/bin/env bash
# doc/lxd.sh - makes doc/lxd.svg: the LXD-like layout of tests/bats/layouts.bash
# (seed 003) built live in a private mount namespace, captured, and drawn with
# `mntsnap show --dot`.  Run as root from the top of the tree: sudo doc/lxd.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export TOP=$PWD MNTSNAP=$PWD/mntsnap
unshare --mount --propagation private bash -euo pipefail -c '
	source tests/bats/roundtrip_helper.bash
	st=$(mktemp -d)
	trap "rt_stop $st; rm -rf $st" EXIT
	rt_start lxd_seed003 "$st"
	"$MNTSNAP" capture --mount="${RT_NSFILES[0]}" -o "$st/lxd.json"
	"$MNTSNAP" show --dot "$st/lxd.json" | dot -Tsvg > doc/lxd.svg'
