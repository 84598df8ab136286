#!/usr/bin/env bash
# layers.sh - the include rules of lib/ (lib/README.md): a file in lib/DIR/
# may include headers of its own folder, of folders of a lower layer, and
# lib/version.h; never one of a sibling or higher layer, nor of cmd/.
# Prints each violation as FILE:LINE: and exits 1 if there is any.
set -euo pipefail
cd "$(dirname "$0")/../.."

declare -A rank=([core]=0 [json]=1 [kernel]=1 [capture]=2 [compare]=3 [report]=4 [replay]=4 [spec]=1 [check]=4)
bad=0
for f in lib/*/*.[ch]; do
	dir=${f#lib/}
	dir=${dir%%/*}
	if [ -z "${rank[$dir]+x}" ]; then
		echo "$f: folder 'lib/$dir' has no layer in tests/lint/layers.sh"
		bad=1
		continue
	fi
	while IFS=: read -r line inc; do
		inc=${inc#*\"}
		inc=${inc%%\"*}
		case $inc in
		lib/version.h) continue ;;
		cmd/*)
			echo "$f:$line: includes '$inc': lib/ never includes cmd/"
			bad=1
			continue
			;;
		lib/*/*) ;;
		*)
			echo "$f:$line: includes '$inc': not a lib/FOLDER/ header"
			bad=1
			continue
			;;
		esac
		to=${inc#lib/}
		to=${to%%/*}
		[ "$to" = "$dir" ] && continue
		if [ -z "${rank[$to]+x}" ] || [ "${rank[$to]}" -ge "${rank[$dir]}" ]; then
			echo "$f:$line: includes '$inc': lib/$dir may not include lib/$to"
			bad=1
		fi
	done < <(grep -n '^#include "' "$f" || true)
done
exit $bad
