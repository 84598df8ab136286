# base.jq - the valid snapshot every hostile input is made from: two
# namespaces of tmpfs mounts with made-up devices (so a replay creates every
# superblock it needs and clones none), a peer group across both, a slave,
# and an nsfs pin of ns1 in ns0.
def m(id; parent; dev; mp; shared; master): {
	id: id, mnt_id: id, parent: parent, dev: dev, root: "/", mountpoint: mp,
	fstype: "tmpfs", source: "hostile", mount_options: ["rw", "relatime"],
	super_options: ["rw", "mode=755"], shared_id: shared, master_id: master,
	propagate_from: 0, unbindable: false, deleted: false, nsfs: null, idmap: null };
def base: {
	capture: { method: "mountinfo", selection: "mount", subtree: null },
	created: null, format: "mntsnap", format_version: 1,
	host: { arch: null, hostname: null, kernel: null },
	namespaces: [
		{ label: "ns0", mnt_ns_id: null, ns_ino: null, owner_userns_ino: null,
		  pids: [], nsfs_paths: [], root_mount: 1,
		  mounts: [
			m(1; null; "0:9901"; "/"; 0; 0),
			m(2; 1; "0:9902"; "/a"; 10; 0),
			m(3; 1; "0:9902"; "/b"; 10; 0),
			m(4; 1; "0:9902"; "/c"; 0; 10),
			m(5; 1; "0:9903"; "/run"; 0; 0),
			(m(6; 5; "0:4"; "/run/ns1"; 0; 0) | .fstype = "nsfs" | .source = "nsfs"
				| .super_options = ["rw"]
				| .nsfs = { type: "mnt", ino: 4026532999, ns: "ns1" }) ] },
		{ label: "ns1", mnt_ns_id: null, ns_ino: 4026532999, owner_userns_ino: null,
		  pids: [7], nsfs_paths: [ { ns: "ns0", path: "/run/ns1" } ], root_mount: 11,
		  mounts: [ m(11; null; "0:9904"; "/"; 0; 0), m(12; 11; "0:9902"; "/srv"; 10; 0) ] } ],
	tool: { name: "mntsnap", version: "0.1.0" },
	warnings: [] };

# cases: one object a case, { class, name, expect, doc }.  expect says
# what diff X X, replay -n and a real replay must do, one character each
# (see hostile.sh); doc is the snapshot, where the string "@RAW@" stands for
# .raw, a token jq cannot write.  $C is the canary directory (the parent of
# --new=DIR): labels that escape point into it.  Every loop is in
# parentheses: `as` and `|` bind looser than `,`.
def case(class; name; expect; doc): { class: class, name: name, expect: expect, doc: doc };
def case(class; name; doc): case(class; name; "222"; doc);
def set(p; v): base | setpath(p; v);
def ns0m(i): ["namespaces", 0, "mounts", i];
def ns1: ["namespaces", 1];
# the keys of every object, as paths into base
def keypaths:
	[["format"], ["format_version"], ["tool"], ["created"], ["host"], ["capture"],
	 ["namespaces"], ["warnings"], ["tool", "name"], ["tool", "version"],
	 ["host", "arch"], ["host", "hostname"], ["host", "kernel"],
	 ["capture", "method"], ["capture", "selection"], ["capture", "subtree"]]
	+ (base.namespaces[1] | keys_unsorted | map(ns1 + [.]))
	+ (base.namespaces[0].mounts[1] | keys_unsorted | map(ns0m(1) + [.]))
	+ (["type", "ino", "ns"] | map(ns0m(5) + ["nsfs", .]))
	+ (["ns", "path"] | map(ns1 + ["nsfs_paths", 0, .]));
def pname: map(tostring) | join(".")
	| sub("^namespaces\\.0\\.mounts\\.[0-9]+"; "mount") | sub("^namespaces\\.1"; "ns")
	| sub("nsfs_paths\\.0"; "pin");
def wrong: if type == "string" then 7 elif type == "number" then "7"
	elif type == "boolean" then "true" elif type == "array" then {}
	elif type == "object" then [] else true end;
def relabel(l): .namespaces[1].label = l | .namespaces[0].mounts[5].nsfs.ns = l;
def relabel0(l): .namespaces[0].label = l | .namespaces[1].nsfs_paths[0].ns = l;
# [NAME, STRING] for each of a list of strings: a file name, its index first
def named: to_entries[] | [(.key | tostring) + "-" + (.value | .[0:24] | gsub("[^A-Za-z0-9._]"; "_")), .value];
# the integer keys the numbers class spoils
def intpaths: ((["id", 1], ["parent", 1], ["shared_id", 1], ["master_id", 3], ["mnt_id", 1], ["nsfs.ino", 5])
	as [$k, $i] | ns0m($i) + ($k | split("."))), ns1 + ["root_mount"], ns1 + ["ns_ino"], ns1 + ["pids", 0];
def no_group: .namespaces[0].mounts[2].shared_id = 0 | .namespaces[1].mounts[1].shared_id = 0
	| .namespaces[0].mounts[3].master_id = 0;

def cases: base as $b
# the valid file itself: it reads, compares equal, plans and replays
| case("base"; "valid"; "000"; base)
# every key: of the wrong type, missing
, (keypaths[] as $p | case("types"; $p | pname; set($p; $b | getpath($p) | wrong)),
	case("keys"; "missing-" + ($p | pname); base | delpaths([$p])))
, case("types"; "ns.pids.0"; set(ns1 + ["pids"]; ["7"]))
, case("types"; "mount.mount_options.0"; set(ns0m(1) + ["mount_options", 0]; 1))
, case("types"; "mount.super_options.0"; set(ns0m(1) + ["super_options", 0]; null))
, case("types"; "warnings.0"; set(["warnings"]; [1]))
, case("types"; "namespaces.0"; set(["namespaces", 0]; 1))
, case("types"; "mounts.0"; set(ns0m(0); []))
, case("types"; "pin"; set(ns1 + ["nsfs_paths", 0]; "ns0:/run/ns1"))
, case("types"; "idmap.uid_map"; set(ns0m(1) + ["idmap"]; {uid_map: "0 0 1", gid_map: []}))
, case("types"; "idmap.uid_map.0"; set(ns0m(1) + ["idmap"]; {uid_map: [0], gid_map: []}))
, case("types"; "capture.method-bogus"; set(["capture", "method"]; "bogus"))
, case("types"; "capture.selection-bogus"; set(["capture", "selection"]; "bogus"))
, case("types"; "format-other"; set(["format"]; "mntsnapx"))
, (0, 2, 4294967297 | case("types"; "format_version-\(.)"; set(["format_version"]; .)))
# an unknown key in every kind of object
, ((["top", []], ["tool", ["tool"]], ["host", ["host"]], ["capture", ["capture"]], ["ns", ns1],
    ["mount", ns0m(1)], ["nsfs", ns0m(5) + ["nsfs"]], ["pin", ns1 + ["nsfs_paths", 0]],
    ["idmap", ns0m(1) + ["idmap"]]) as [$n, $p]
	| case("keys"; "unknown-\($n)"; set($p; $b | getpath($p) // {uid_map: [], gid_map: []} | .zz = 1)))
# integers out of range or not integers
, (intpaths as $p
	| (["2p63", "9223372036854775808"], ["2p64", "18446744073709551616"], ["400digits", "1" + "0" * 400],
	   ["minus1", "-1"], ["fraction", "1.5"], ["exponent", "1e2"]) as [$n, $t]
	| case("numbers"; ($p | pname) + "-" + $n; set($p; "@RAW@")) + {raw: $t})
, case("numbers"; "mount.id-0"; set(ns0m(1) + ["id"]; 0))
# paths: absolute and normalised, within NAME_MAX and PATH_MAX
, (("a", "", "./a", "/a/", "/a//b", "//a", "/a/./b", "/a/../b", "/..", "/.", "/a/..", "/a/.",
    "/" + "n" * 256, "/" + "n" * 1048576, ([range(21)] | map("/" + "p" * 200) | add)) as $mp
	| ($mp | if length > 32 then "long\(length)" else "mp" + (gsub("/"; "S") | gsub("\\."; "D")) end) as $n
	| case("paths"; "mountpoint-\($n)"; set(ns0m(1) + ["mountpoint"]; $mp)),
	  case("paths"; "root-\($n)"; set(ns0m(1) + ["root"]; $mp)),
	  case("paths"; "pin-\($n)"; set(ns1 + ["nsfs_paths", 0, "path"]; $mp)),
	  case("paths"; "subtree-\($n)"; set(["capture", "subtree"]; $mp)))
, case("paths"; "child-outside-parent"; set(ns0m(5) + ["mountpoint"]; "/elsewhere"))
# labels: they become file names under --new=DIR
, ((["dotdot-escaped", "../escaped"], ["absolute", "\($C)/abs"], ["empty", ""], ["dot", "."],
    ["dotdot", ".."], ["slash", "a/b"], ["root", "/"], ["newline", "ns\n1"], ["nul", "ns\u00001"],
    ["long300", "l" * 300], ["duplicate", "ns0"], ["dotdot-slash", "ns1/.."]) as [$n, $l]
	| case("labels"; "ns1-\($n)"; base | relabel($l)))
, ((["dotdot-escaped", "../escaped0"], ["absolute", "\($C)/abs0"]) as [$n, $l]
	| case("labels"; "ns0-\($n)"; base | relabel0($l)))
# the mount tree
, case("graph"; "self-parent"; set(ns0m(1) + ["parent"]; 2))
, case("graph"; "cycle-2"; base | .namespaces[0].mounts[1].parent = 3 | .namespaces[0].mounts[2].parent = 2)
, case("graph"; "cycle-3"; base | .namespaces[0].mounts[1].parent = 4 | .namespaces[0].mounts[2].parent = 2
	| .namespaces[0].mounts[3].parent = 3)
, case("graph"; "cycle-through-root"; set(ns0m(0) + ["parent"]; 6))
, case("graph"; "dangling-parent"; set(ns0m(1) + ["parent"]; 99))
, case("graph"; "parent-0"; set(ns0m(1) + ["parent"]; 0))
, case("graph"; "two-roots"; set(ns0m(1) + ["parent"]; null))
, case("graph"; "parent-in-other-namespace"; set(ns1 + ["mounts", 1, "parent"]; 2))
, case("graph"; "duplicate-id"; base | .namespaces[0].mounts[2] |= (.id = 2 | .mnt_id = 2))
, case("graph"; "root_mount-not-root"; set(ns1 + ["root_mount"]; 12))
, case("graph"; "root_mount-dangling"; set(ns1 + ["root_mount"]; 99))
, case("graph"; "no-mounts"; set(ns1 + ["mounts"]; []))
, case("graph"; "sibling-mountpoint"; set(ns0m(2) + ["mountpoint"]; "/a"))
# propagation
, case("propagation"; "master-of-itself"; base | .namespaces[0].mounts[3] |= (.shared_id = 11 | .master_id = 11))
, case("propagation"; "group-master-of-itself"; base | (.namespaces[0].mounts[1,2], .namespaces[1].mounts[1]).master_id = 10)
, case("propagation"; "propagate_from-without-master"; set(ns0m(4) + ["propagate_from"]; 10))
, case("propagation"; "propagate_from-equals-master"; set(ns0m(3) + ["propagate_from"]; 10))
, case("propagation"; "group-two-superblocks"; set(ns0m(2) + ["dev"]; "0:9909"))
, case("propagation"; "group-two-superblocks-across-namespaces"; set(ns1 + ["mounts", 1, "dev"]; "0:9909"))
, case("propagation"; "group-two-masters"; base | .namespaces[0].mounts[1].master_id = 20 | .namespaces[0].mounts[4].shared_id = 20)
, case("propagation"; "master-cycle-2"; base | (.namespaces[0].mounts[1,2], .namespaces[1].mounts[1]).master_id = 20
	| .namespaces[0].mounts[4] |= (.shared_id = 20 | .master_id = 10))
, case("propagation"; "master-cycle-3"; base | (.namespaces[0].mounts[1,2], .namespaces[1].mounts[1]).master_id = 20
	| .namespaces[0].mounts[4] |= (.shared_id = 20 | .master_id = 30)
	| .namespaces[0].mounts[0] |= (.shared_id = 30 | .master_id = 10))
# nsfs mounts and pins
, case("nsfs"; "nsfs.ns-unknown"; set(ns0m(5) + ["nsfs", "ns"]; "ns7"))
, case("nsfs"; "pin-holder-unknown"; set(ns1 + ["nsfs_paths", 0, "ns"]; "ns7"))
, case("nsfs"; "pin-path-no-nsfs-mount"; set(ns1 + ["nsfs_paths", 0, "path"]; "/a"))
, case("nsfs"; "pin-missing-from-pinned"; set(ns1 + ["nsfs_paths"]; []))
, case("nsfs"; "nsfs.ns-on-a-net-namespace"; set(ns0m(5) + ["nsfs", "type"]; "net"))
, case("nsfs"; "nsfs-object-on-tmpfs"; set(ns0m(4) + ["nsfs"]; {type: "mnt", ino: 4026532999, ns: "ns1"}))
, case("nsfs"; "pins-each-other"; "xx2"; base
	| .namespaces[1].mounts += [.namespaces[0].mounts[4] | .id = 15 | .mnt_id = 15 | .parent = 11,
		.namespaces[0].mounts[5] | .id = 16 | .mnt_id = 16 | .parent = 15 | .nsfs = {type: "mnt", ino: 4026532998, ns: "ns0"}]
	| .namespaces[0] |= (.ns_ino = 4026532998 | .nsfs_paths = [{ns: "ns1", path: "/run/ns1"}]))
, case("nsfs"; "pins-itself"; "xx2"; base | .namespaces[0].mounts[5].nsfs |= (.ino = 4026532998 | .ns = "ns0")
	| .namespaces[0] |= (.ns_ino = 4026532998 | .nsfs_paths = [{ns: "ns0", path: "/run/ns1"}])
	| .namespaces[1].nsfs_paths = [])
, case("nsfs"; "unknown-mount-namespace"; "0x2"; set(ns0m(5) + ["nsfs"]; {type: "mnt", ino: 4026532997, ns: null})
	| .namespaces[1].nsfs_paths = [])
, case("nsfs"; "nsfs-without-object"; "0x2"; set(ns0m(5) + ["nsfs"]; null) | .namespaces[1].nsfs_paths = [])
# device numbers: a legal one reads, compares and replays (a major number
# not 0 is no anonymous device: replay cannot give it back, exit 1); others
# are refused
, (("0:0", "4294967295:4294967295", "4294967295:0", "0:4294967295", "4095:1048575") as $d
	| case("devs"; "legal-\($d | sub(":"; "_"))"; if $d | startswith("0:") then "000" else "00r" end; base | .namespaces[0].mounts[1,2,3].dev = $d | .namespaces[1].mounts[1].dev = $d))
, (["4294967296:0", "0:4294967296", "-1:0", "1:", ":1", "1", "a:b", "1:2:3", "", " 1:2", "0x1:2", "+1:2", "1 :2", "1:2\n"]
	| named as [$n, $d] | case("devs"; "bad" + $n; set(ns0m(1) + ["dev"]; $d)))
# file system types: unknown ones replay to an error; the types whose
# superblocks the kernel shares machine-wide or per namespace are never
# created (and only dry runs of them: "N")
, (["nosuchfs", "nosuch.subtype", "nosuch fs", "nosuch\nfs", "nosuch/../tmpfs", "nosuch" + "f" * 300]
	| named as [$n, $t] | case("fstypes"; "unknown" + $n; "0x2"; set(ns0m(1) + ["fstype"]; $t)))
, case("fstypes"; "empty"; set(ns0m(1) + ["fstype"]; ""))
# (not proc or bpf: their get_tree makes a new superblock per create, lib/replay/features.c)
, (("cgroup2", "cgroup", "debugfs", "tracefs", "sysfs", "mqueue", "devtmpfs", "securityfs",
    "pstore", "configfs", "fusectl", "binfmt_misc", "efivarfs") as $t
	| case("fresh"; $t; "0N-"; base | no_group
		| .namespaces[0].mounts[1] |= (.fstype = $t | .source = $t | .dev = "0:9990" | .super_options = ["rw"])))
# one line: an error about a string with a newline in it stays on one line
, case("oneline"; "mountpoint-relative"; set(ns0m(1) + ["mountpoint"]; "a\nb"))
, case("oneline"; "mountpoint-dotdot"; set(ns0m(1) + ["mountpoint"]; "/a\n/../b"))
, case("oneline"; "dangling-parent"; base | .namespaces[0].mounts[1] |= (.mountpoint = "/a\nb" | .parent = 99))
, case("oneline"; "sibling"; base | .namespaces[0].mounts[1,2].mountpoint = "/a\nb")
, case("oneline"; "subtree"; set(["capture", "subtree"]; "rel\native"))
, case("oneline"; "super-option"; "0x2"; set(ns0m(1) + ["super_options"]; ["rw", "bogus\noption"]))
, case("oneline"; "mount-option"; "xx2"; set(ns0m(1) + ["mount_options"]; ["rw", "bogus\nflag"]))
, case("oneline"; "source"; "0x2"; base | .namespaces[0].mounts[1] |= (.source = "line1\nline2" | .fstype = "nosuchfs"));

# for gen.sh: CLASS, NAME, EXPECT, RAW and the compact document, tab-separated
cases | [.class, .name, .expect, .raw // "", (.doc | tojson)] | join("\t")
