# desc.jq - a snapshot's namespaces as floor's compact description
# (floor.c documents the format).  Usage:
#   jq -r --arg prefix LIVEPREFIX [--argjson live '{"DEV": "PATH", ...}'] -f desc.jq snap.json > desc.tsv
# LIVEPREFIX is prepended to a mountpoint to reach the live mount (the subtree
# path when the snapshot was taken with --subtree, else "").  With several
# namespaces (shape multi) their mounts are not reachable by path from here:
# a superblock is cloned from the path $live names for its device (a mount
# of this namespace), else made new.
# the superblock options replay gives fsconfig for a new superblock (the
# words lib/replay/fsopts.c skips left out), comma separated
def fsopts($m):
  [$m.super_options[] | select(. as $w | ["rw", "ro", "seclabel", "noatime", "relatime",
     "strictatime", "nodiratime", "nosuid", "nodev", "noexec", "silent", "posixacl",
     "iversion", "i_version"] | index([$w]) | not)] | join(",");
def rel($path; $base):
  if $path == $base then "."
  elif $base == "/" then $path[1:]
  else $path[($base | length) + 1:] end;

(if $ARGS.named.live then $ARGS.named.live else {} end) as $livemap
| (.namespaces | length) as $nns
# each namespace's root first (after pivot_root it is younger than the
# mounts made before it: kernel order is parents first otherwise)
| [.namespaces[] | .label as $l | .root_mount as $r
   | ([.mounts[] | select(.id == $r)] + [.mounts[] | select(.id != $r)])[] | . + {ns: $l}] as $m
| ($m | map({key: (.ns + ":" + (.id | tostring)), value: .}) | from_entries) as $byid
| ($m | to_entries | map({key: (.value.ns + ":" + (.value.id | tostring)), value: .key}) | from_entries) as $ix
# a mount with a child on its own root is covered: its path reaches the child
| ([$m[] | select(.parent != null)
     | select($byid[.ns + ":" + (.parent | tostring)].mountpoint == .mountpoint)
     | {key: (.ns + ":" + (.parent | tostring)), value: true}] | from_entries) as $covered
| ([$m | group_by(.dev)[]
     | (map(select($covered[.ns + ":" + (.id | tostring)] | not))) as $vis
     | if $nns > 1 then
         (if $livemap[.[0].dev] then {dev: .[0].dev, kind: "live", root: "/", arg: $livemap[.[0].dev]}
          else {dev: .[0].dev, kind: "new", root: "/", arg: (.[0].fstype | split(".")[0]), source: .[0].source, opts: fsopts(.[0])} end)
       elif ($vis | length) > 0 then
         ($vis | min_by(.root | length)) as $s
         | {dev: $s.dev, kind: "live", root: $s.root,
            arg: (if $s.mountpoint == "/" then (if $prefix == "" then "/" else $prefix end)
                  else $prefix + $s.mountpoint end)}
       else
         {dev: .[0].dev, kind: "new", root: "/", arg: (.[0].fstype | split(".")[0]), source: .[0].source, opts: fsopts(.[0])}
       end]) as $srcs
| ($srcs | to_entries | map({key: .value.dev, value: .key}) | from_entries) as $srcno
| ($srcs | to_entries[] | ["S", .key, .value.kind, .value.arg]
   + (if .value.kind == "new" then [(.value.source // "" | if . == "" then "-" else . end),
                                    (if .value.opts == "" then "-" else .value.opts end)]
      else [] end) | @tsv),
  ($m | to_entries[]
   | .value as $x
   | $srcs[$srcno[$x.dev]] as $s
   | ["M", .key,
      (if $x.parent == null then -1 else $ix[$x.ns + ":" + ($x.parent | tostring)] end),
      $srcno[$x.dev],
      rel($x.root; $s.root),
      (if $x.parent == null then "." else rel($x.mountpoint; $byid[$x.ns + ":" + ($x.parent | tostring)].mountpoint) end),
      $x.shared_id, $x.master_id] | @tsv)
