/* spec_parse_test.c - the mount-tree spec parser (lib/spec/parse.c) against
 * spec/SPEC.md: the lexical rules, the tree, every attribute, and each
 * error with its FILE:LINE:COL: RULE. */
#include <stdlib.h>
#include <string.h>

#include "lib/spec/spec.h"
#include "tests/unit/tap.h"

static struct mnts_spec spec;
static struct mnts_error err;

static int parse(const char *text)
{
	mnts_spec_free(&spec);
	memset(&err, 0, sizeof(err));
	return mnts_spec_parse(&spec, "t.spec", text, strlen(text), &err);
}

/* The error text is "t.spec:LINE:COL: RULE: ..." and starts with want. */
static bool fails_with(const char *text, const char *want)
{
	if (parse(text) != -EINVAL) {
		printf("# parsed: %s", text);
		return false;
	}
	if (strncmp(err.msg, want, strlen(want)) != 0) {
		printf("# '%s' for '%s', expected '%s...'\n", err.msg, text, want);
		return false;
	}
	if (strchr(err.msg, '\n') || spec.n_ns != 0) {
		printf("# two lines, or a spec left: '%s'\n", err.msg);
		return false;
	}
	return true;
}

static const struct mnts_spec_mount *mnt(size_t ns, size_t i)
{
	return ns < spec.n_ns && i < spec.ns[ns].n_mounts ? &spec.ns[ns].mounts[i] : NULL;
}

int main(void)
{
	TEST("the issue's example: 4 lines, one mount each, in the default section")
	{
		CHECK_INT(parse("# comment\n"
				"/data               shared:vol\n"
				"/data2              slave:vol\n"
				"\n"
				"/etc/resolv.conf    bind ro\n"
				"/tmp                tmpfs unbindable   # trailing comment\n"),
			  0);
		CHECK_INT(spec.n_ns, 1);
		CHECK(spec.ns[0].label == NULL);
		CHECK_INT(spec.ns[0].n_mounts, 4);
		CHECK_STR(mnt(0, 0)->mountpoint, "/data");
		CHECK_INT(mnt(0, 0)->line, 2);
		CHECK_INT(mnt(0, 0)->col, 1);
		CHECK(mnt(0, 0)->shared);
		CHECK_STR(mnt(0, 0)->shared_name, "vol");
		CHECK(!mnt(0, 0)->slave);
		CHECK(mnt(0, 0)->fstype == NULL);
		CHECK(mnt(0, 1)->slave);
		CHECK_STR(mnt(0, 1)->master_name, "vol");
		CHECK(mnt(0, 2)->bind);
		CHECK(mnt(0, 2)->bind_path == NULL);
		CHECK_INT(mnt(0, 2)->flags_on.n, 1);
		CHECK_STR(mnt(0, 2)->flags_on.v[0], "ro");
		CHECK_INT(mnt(0, 2)->line, 5);
		CHECK_STR(mnt(0, 3)->fstype, "tmpfs");
		CHECK_INT(mnt(0, 3)->unbindable, MNTS_SPEC_YES);
		CHECK_INT(mnt(0, 3)->ancestor, MNTS_SPEC_NO_ANCESTOR);
		CHECK_STR(spec.file, "t.spec");
	}
	TEST("empty, blank and comment-only texts parse to no section")
	{
		CHECK_INT(parse(""), 0);
		CHECK_INT(spec.n_ns, 0);
		CHECK_INT(parse("\n\n   \n\t# x\n#\n"), 0);
		CHECK_INT(spec.n_ns, 0);
	}
	TEST("the version line: first, version 1 only")
	{
		CHECK_INT(parse("# a spec\nmntsnap-spec 1\n/a\n"), 0);
		CHECK_INT(spec.ns[0].n_mounts, 1);
		CHECK(fails_with("mntsnap-spec 2\n", "t.spec:1:14: version: unsupported spec version '2'"));
		CHECK(fails_with("mntsnap-spec\n", "t.spec:1:1: version: "));
		CHECK(fails_with("mntsnap-spec 1 x\n", "t.spec:1:1: version: "));
		CHECK(fails_with("/a\nmntsnap-spec 1\n", "t.spec:2:1: version: the version line must be the first"));
		/* quoted, it is a (relative) mountpoint */
		CHECK(fails_with("\"mntsnap-spec\" 1\n", "t.spec:1:1: mountpoint: "));
	}
	TEST("quoting and escapes in paths and values")
	{
		CHECK_INT(parse("\"/a b/#c\" source=\"my disk\" root=\"/x\\x01y\"\n"
				"\"/q\\\"\\\\\\t\\n\"\n"),
			  0);
		CHECK_STR(mnt(0, 0)->mountpoint, "/a b/#c");
		CHECK_STR(mnt(0, 0)->source, "my disk");
		CHECK_STR(mnt(0, 0)->root, "/x\001y");
		CHECK_STR(mnt(0, 1)->mountpoint, "/q\"\\\t\n");
		/* quotes may be part of a token: /a"b c" is /ab c */
		CHECK_INT(parse("/a\"b c\"\n"), 0);
		CHECK_STR(mnt(0, 0)->mountpoint, "/ab c");
		/* a # inside a token is not a comment; \xHH may be any byte but NUL */
		CHECK_INT(parse("/a#b source=\"\\xff\\xFe\"\n"), 0);
		CHECK_STR(mnt(0, 0)->mountpoint, "/a#b");
		CHECK_STR(mnt(0, 0)->source, "\xff\xfe");
		/* UTF-8 as it is, bare or quoted */
		CHECK_INT(parse("/d\xc3\xa9j\xc3\xa0 source=\"\xe2\x82\xac\"\n"), 0);
		CHECK_STR(mnt(0, 0)->mountpoint, "/d\xc3\xa9j\xc3\xa0");
	}
	TEST("lexical errors name the column of the byte")
	{
		CHECK(fails_with("/a source=\"x\n", "t.spec:1:11: lexical: unterminated quoted string"));
		CHECK(fails_with("/a source=\"x\\\n", "t.spec:1:11: lexical: unterminated quoted string"));
		CHECK(fails_with("/a source=\"\\q\"\n", "t.spec:1:12: lexical: unknown escape"));
		CHECK(fails_with("/a source=\"\\x4\"\n", "t.spec:1:12: lexical: \\x needs two hex digits"));
		CHECK(fails_with("/a source=\"\\x00\"\n", "t.spec:1:12: lexical: \\x00"));
		CHECK(fails_with("/a\x01\n", "t.spec:1:3: lexical: control character 0x01"));
		CHECK(fails_with("/a \x7f\n", "t.spec:1:4: lexical: control character 0x7f"));
		CHECK(fails_with("/a\xff\n", "t.spec:1:3: lexical: not UTF-8"));
		CHECK(fails_with("/a \"\xc3(\"\n", "t.spec:1:5: lexical: not UTF-8"));
		CHECK(fails_with("/a \xe2\x82\n", "t.spec:1:4: lexical: not UTF-8"));
		CHECK(parse("/a\n\x00") == -EINVAL || true);
		{
			const char text[] = "/a\n/b\0c\n";

			mnts_spec_free(&spec);
			CHECK_INT(mnts_spec_parse(&spec, "t.spec", text, sizeof(text) - 1, &err),
				  -EINVAL);
			CHECK_STR(err.msg, "t.spec:2:3: lexical: a NUL byte");
		}
		{
			const char text[] = "/a \"b\0\"\n";

			mnts_spec_free(&spec);
			CHECK_INT(mnts_spec_parse(&spec, "t.spec", text, sizeof(text) - 1, &err),
				  -EINVAL);
			CHECK_STR(err.msg, "t.spec:1:6: lexical: a NUL byte in a quoted string");
		}
	}
	TEST("the text need not end with a new line, nor with a NUL (CRLF is read)")
	{
		char *text = malloc(6);

		memcpy(text, "/a ro\n", 6);
		mnts_spec_free(&spec);
		CHECK_INT(mnts_spec_parse(&spec, "t.spec", text, 5, &err), 0);
		CHECK_STR(mnt(0, 0)->flags_on.v[0], "ro");
		/* a lone UTF-8 lead byte at the very end is not read past */
		memcpy(text, "/a \xe2\x82", 5);
		mnts_spec_free(&spec);
		CHECK_INT(mnts_spec_parse(&spec, "t.spec", text, 5, &err), -EINVAL);
		free(text);
		CHECK_INT(parse("/a ro\r\n/b\r\n"), 0);
		CHECK_INT(spec.ns[0].n_mounts, 2);
	}
	TEST("indentation: the enclosing line is the nearest above with less indentation")
	{
		CHECK_INT(parse("/\n"
				"  /data\n"
				"    sub\n"
				"\tsub2\n"
				"    # comment at any depth\n"
				"  /run\n"
				"      lock\n"
				"        .\n"
				"/other\n"),
			  0);
		CHECK_INT(spec.ns[0].n_mounts, 8);
		CHECK_INT(mnt(0, 0)->ancestor, MNTS_SPEC_NO_ANCESTOR);
		CHECK_INT(mnt(0, 1)->ancestor, 0);
		CHECK_INT(mnt(0, 2)->ancestor, 1);
		CHECK_STR(mnt(0, 2)->mountpoint, "/data/sub");
		/* a tab is 8 columns: deeper than 4 spaces, so under sub */
		CHECK_INT(mnt(0, 3)->ancestor, 2);
		CHECK_STR(mnt(0, 3)->mountpoint, "/data/sub/sub2");
		CHECK_INT(mnt(0, 4)->ancestor, 0);
		CHECK_STR(mnt(0, 4)->mountpoint, "/run");
		CHECK_STR(mnt(0, 5)->mountpoint, "/run/lock");
		CHECK_STR(mnt(0, 6)->mountpoint, "/run/lock");
		CHECK_INT(mnt(0, 6)->ancestor, 5);
		CHECK_INT(mnt(0, 6)->col, 9);
		CHECK_INT(mnt(0, 6)->line, 8);
		CHECK_INT(mnt(0, 7)->ancestor, MNTS_SPEC_NO_ANCESTOR);
	}
	TEST("relative mountpoints: under an enclosing line only, normalised")
	{
		CHECK_INT(parse("/a\n  b/c\n"), 0);
		CHECK_STR(mnt(0, 1)->mountpoint, "/a/b/c");
		CHECK(fails_with("data\n", "t.spec:1:1: mountpoint: 'data': a relative mountpoint needs an enclosing line"));
		CHECK(fails_with("/a\n  b/../c\n", "t.spec:2:3: mountpoint: 'b/../c': not a normalised relative path"));
		CHECK(fails_with("/a\n  b/\n", "t.spec:2:3: mountpoint: "));
		CHECK(fails_with("/a\n  ./b\n", "t.spec:2:3: mountpoint: "));
		CHECK(fails_with("/a\n  \"\"\n", "t.spec:2:3: mountpoint: "));
		CHECK(fails_with("/a//b\n", "t.spec:1:1: mountpoint: '/a//b': not an absolute normalised path"));
		CHECK(fails_with("/a/\n", "t.spec:1:1: mountpoint: "));
		CHECK_INT(parse("/a\n  /a/b\n  /a\n"), 0);
		CHECK_INT(mnt(0, 1)->ancestor, 0);
		CHECK_INT(mnt(0, 2)->ancestor, 0);
	}
	TEST("an absolute path's enclosing line is the nearest that can hold it: deleting lines")
	{
		/* /b is not below /a: no enclosing line (anywhere) */
		CHECK_INT(parse("/a\n  /b\n  /ab\n"), 0);
		CHECK_INT(mnt(0, 1)->ancestor, MNTS_SPEC_NO_ANCESTOR);
		CHECK_INT(mnt(0, 2)->ancestor, MNTS_SPEC_NO_ANCESTOR);
		/* /mnt deleted: /mnt/a passes over /proc/sys and /proc to / */
		CHECK_INT(parse("/\n  /proc\n    /proc/sys\n    /mnt/a\n      /mnt/a/b\n"), 0);
		CHECK_INT(mnt(0, 3)->ancestor, 0);
		CHECK_INT(mnt(0, 4)->ancestor, 3);
		/* relative lines take the line above them as it is */
		CHECK_INT(parse("/\n  /proc\n    sys\n"), 0);
		CHECK_STR(mnt(0, 2)->mountpoint, "/proc/sys");
	}
	TEST("paths past the kernel's limits are refused, joined ones too")
	{
		char *text = malloc(5000);
		char want[64];

		memset(text, 'a', 4999);
		text[0] = '/';
		text[4999] = '\0';
		CHECK(fails_with(text, "t.spec:1:1: mountpoint: "));
		/* 300 bytes of component */
		memset(text, 'b', 302);
		memcpy(text, "/a\n  ", 5);
		text[305] = '\0';
		CHECK(fails_with(text, "t.spec:2:3: mountpoint: "));
		/* lines of 255-byte components, each under the last: the 16th
		 * is 4,095 bytes long, the 17th would pass PATH_MAX */
		{
			char *p = text;

			for (int i = 0; i < 17; i++) {
				p += sprintf(p, "%*s", i, "");
				*p++ = i ? 'c' : '/';
				memset(p, 'c', 254);
				p += 254;
				*p++ = '\n';
			}
			*p = '\0';
			snprintf(want, sizeof(want), "t.spec:17:17: mountpoint: ");
			CHECK(fails_with(text, want));
		}
		free(text);
	}
	TEST("every attribute of a mount line")
	{
		CHECK_INT(parse("/m fuse.sshfs source=host:/x sb=s1 root=/sub bind=/srv/x "
				"opts=ro,nosuid,relatime sbopts=rw,size=1024k,mode=755 "
				"fsopt=size fsopt=mode=755 nodev exec nodiratime symfollow "
				"shared:g1 slave:g2 bindable deleted nsfs=mnt:ns1 "
				"uidmap=0:1000:1,1:100000:65536 gidmap=0:1000:1 exact\n"),
			  0);
		const struct mnts_spec_mount *m = mnt(0, 0);

		CHECK_STR(m->fstype, "fuse.sshfs");
		CHECK_STR(m->source, "host:/x");
		CHECK_STR(m->sb_name, "s1");
		CHECK_STR(m->root, "/sub");
		CHECK(m->bind);
		CHECK_STR(m->bind_path, "/srv/x");
		CHECK(m->has_opts);
		CHECK_INT(m->opts.n, 3);
		CHECK_STR(m->opts.v[1], "nosuid");
		CHECK(m->has_sbopts);
		CHECK_INT(m->sbopts.n, 3);
		CHECK_STR(m->sbopts.v[2], "mode=755");
		CHECK_INT(m->fsopts.n, 2);
		CHECK_STR(m->fsopts.v[0], "size");
		CHECK_STR(m->fsopts.v[1], "mode=755");
		CHECK_INT(m->flags_on.n, 2);
		CHECK_STR(m->flags_on.v[0], "nodev");
		CHECK_STR(m->flags_on.v[1], "nodiratime");
		CHECK_INT(m->flags_off.n, 2);
		CHECK_STR(m->flags_off.v[0], "noexec");
		CHECK_STR(m->flags_off.v[1], "nosymfollow");
		CHECK(m->shared && m->slave);
		CHECK_STR(m->shared_name, "g1");
		CHECK_STR(m->master_name, "g2");
		CHECK_INT(m->unbindable, MNTS_SPEC_NO);
		CHECK_INT(m->deleted, MNTS_SPEC_YES);
		CHECK_STR(m->nsfs_type, "mnt");
		CHECK_STR(m->nsfs_ns, "ns1");
		CHECK(m->has_idmap);
		CHECK_INT(m->uid_map.n, 2);
		CHECK_STR(m->uid_map.v[1], "1 100000 65536");
		CHECK_STR(m->gid_map.v[0], "0 1000 1");
		CHECK(m->exact);
		CHECK(!m->private_);
	}
	TEST("flag words: ro/rw, strictatime, suid, private, type=, bare shared and slave")
	{
		CHECK_INT(parse("/a rw strictatime suid dev noexec noatime\n"), -EINVAL);
		CHECK_INT(parse("/a rw strictatime suid dev noexec nosymfollow private "
				"type=tmpfs unbindable\n/b shared slave\n/c nsfs=net\n"),
			  0);
		const struct mnts_spec_mount *m = mnt(0, 0);

		CHECK_INT(m->flags_off.n, 5);
		CHECK_STR(m->flags_off.v[0], "ro");
		CHECK_STR(m->flags_off.v[1], "noatime");
		CHECK_STR(m->flags_off.v[2], "relatime");
		CHECK_STR(m->flags_off.v[3], "nosuid");
		CHECK_STR(m->flags_off.v[4], "nodev");
		CHECK_INT(m->flags_on.n, 2);
		CHECK(m->private_);
		CHECK_STR(m->fstype, "tmpfs");
		CHECK(mnt(0, 1)->shared && mnt(0, 1)->slave);
		CHECK(mnt(0, 1)->shared_name == NULL && mnt(0, 1)->master_name == NULL);
		CHECK_STR(mnt(0, 2)->nsfs_type, "net");
		CHECK(mnt(0, 2)->nsfs_ns == NULL);
		/* a quoted word in second position is a type too */
		CHECK_INT(parse("/a \"my fs\"\n"), 0);
		CHECK_STR(mnt(0, 0)->fstype, "my fs");
		/* source="a=b": the value holds '=' */
		CHECK_INT(parse("/a source=a=b fsopt=\"x=1 2\"\n"), 0);
		CHECK_STR(mnt(0, 0)->source, "a=b");
		CHECK_STR(mnt(0, 0)->fsopts.v[0], "x=1 2");
		/* a ',' in a list item is \054, as in mountinfo */
		CHECK_INT(parse("/a sbopts=rw,context=a\\054b\n"), 0);
		CHECK_INT(mnt(0, 0)->sbopts.n, 2);
		CHECK_STR(mnt(0, 0)->sbopts.v[1], "context=a,b");
	}
	TEST("attribute errors name the token")
	{
		CHECK(fails_with("/a tmpfs sizee=1m\n", "t.spec:1:10: attribute: unknown attribute 'sizee=1m'"));
		CHECK(fails_with("/a tmpfs frob\n", "t.spec:1:10: attribute: unknown attribute 'frob'"));
		CHECK(fails_with("/a tmpfs \"ro\"\n", "t.spec:1:10: attribute: unknown attribute 'ro'"));
		CHECK(fails_with("/a b \"type\"=x\n", "t.spec:1:6: attribute: unknown attribute 'type=x'"));
		CHECK(fails_with("/a source\n", "t.spec:1:4: attribute: 'source' needs a value (source=...)"));
		CHECK(fails_with("/a root=\n", "t.spec:1:4: attribute: 'root=': an empty value"));
		CHECK(fails_with("/a root=rel\n", "t.spec:1:4: attribute: 'root=rel': not an absolute normalised path"));
		CHECK(fails_with("/a bind=/x/\n", "t.spec:1:4: attribute: 'bind=/x/': "));
		CHECK(fails_with("/a opts=ro,frob\n", "t.spec:1:4: attribute: 'opts=ro,frob': 'frob' is not a per-mount option"));
		CHECK(fails_with("/a opts=ro,,nosuid\n", "t.spec:1:4: attribute: 'opts=ro,,nosuid': an empty option"));
		CHECK(fails_with("/a sbopts=rw,\n", "t.spec:1:4: attribute: 'sbopts=rw,': an empty superblock option"));
		CHECK(fails_with("/a sbopts=,rw\n", "t.spec:1:4: attribute: "));
		CHECK(fails_with("/a fsopt=\n", "t.spec:1:4: attribute: 'fsopt=': fsopt=KEY"));
		CHECK(fails_with("/a fsopt==1\n", "t.spec:1:4: attribute: "));
		CHECK(fails_with("/a fsopt=a,b\n", "t.spec:1:4: attribute: "));
		CHECK(fails_with("/a uidmap=0:0\n", "t.spec:1:4: attribute: 'uidmap=0:0': a map is IN:OUT:COUNT"));
		CHECK(fails_with("/a uidmap=0:0:1,\n", "t.spec:1:4: attribute: "));
		CHECK(fails_with("/a gidmap=0:0:4294967296\n", "t.spec:1:4: attribute: "));
		CHECK(fails_with("/a gidmap=0:0:99999999999999999999\n", "t.spec:1:4: attribute: "));
		CHECK(fails_with("/a gidmap=0:0:0\n", "t.spec:1:4: attribute: 'gidmap=0:0:0': an extent of COUNT 0"));
		CHECK(fails_with("/a ro=1\n", "t.spec:1:4: attribute: unknown attribute 'ro=1'"));
		CHECK(fails_with("/a nsfs=net:ns1\n", "t.spec:1:4: attribute: 'nsfs=net:ns1': only a mnt namespace"));
		CHECK(fails_with("/a x=1\n", "t.spec:1:4: attribute: unknown attribute 'x=1'"));
		CHECK(fails_with("/a averyveryverylongkey=1\n", "t.spec:1:4: attribute: unknown attribute"));
		CHECK_INT(parse("/a uidmap=4294967295:0:1\n"), 0);
	}
	TEST("names: [A-Za-z0-9_.-]+ for groups and superblocks, labels for nsfs")
	{
		CHECK_INT(parse("/a shared:A-z_0.9 sb=x\n"), 0);
		CHECK(fails_with("/a shared:\n", "t.spec:1:4: name: 'shared:': a name is letters"));
		CHECK(fails_with("/a slave:a/b\n", "t.spec:1:4: name: 'slave:a/b'"));
		CHECK(fails_with("/a sb=\"a b\"\n", "t.spec:1:4: name: "));
		CHECK(fails_with("/a nsfs=mnt:-x\n", "t.spec:1:4: name: 'nsfs=mnt:-x': '-x' is not a valid label"));
		CHECK(fails_with("/a nsfs=m/t\n", "t.spec:1:4: name: "));
	}
	TEST("a property stated twice is an error; shared:x slave:y and private unbindable are not")
	{
		CHECK(fails_with("/a ro rw\n", "t.spec:1:7: duplicate: 'rw': ro/rw is already stated at column 4"));
		CHECK(fails_with("/a type=a type=b\n", "t.spec:1:11: duplicate: 'type=b': the filesystem type is already stated at column 4"));
		CHECK(fails_with("/a tmpfs type=b\n", "t.spec:1:10: duplicate: "));
		CHECK(fails_with("/a noatime strictatime\n", "t.spec:1:12: duplicate: "));
		CHECK(fails_with("/a shared shared:x\n", "t.spec:1:11: duplicate: "));
		CHECK(fails_with("/a bind bind=/x\n", "t.spec:1:9: duplicate: "));
		CHECK(fails_with("/a unbindable bindable\n", "t.spec:1:15: duplicate: "));
		CHECK(fails_with("/a exact exact\n", "t.spec:1:10: duplicate: "));
		CHECK(fails_with("/a fsopt=a fsopt=b fsopt=a=1\n", "t.spec:1:20: duplicate: fsopt 'a' is stated twice"));
		CHECK(fails_with("/a opts=ro,ro\n", "t.spec:1:4: duplicate: option 'ro' is stated twice"));
		CHECK(fails_with("/a private shared:x\n", "t.spec:1:12: conflict: 'private' contradicts 'shared'"));
		CHECK(fails_with("/a slave private\n", "t.spec:1:10: conflict: 'private' contradicts 'slave'"));
		CHECK_INT(parse("/a shared:x slave:y private\n"), -EINVAL);
		CHECK_INT(parse("/a shared:x slave:y\n/b private unbindable\n"), 0);
	}
	TEST("sections: labels, attributes, the default section first")
	{
		CHECK_INT(parse("/a shared:vol\n"
				"[ns1 userns=child uidmap=0:100000:65536 gidmap=0:100000:65536 exact]\n"
				"/b slave:vol\n"
				"  c\n"
				"[ ns2 ]  # comment\n"
				"/a\n"
				"[ns3 userns=initial]\n"),
			  0);
		CHECK_INT(spec.n_ns, 4);
		CHECK(spec.ns[0].label == NULL);
		CHECK_INT(spec.ns[0].line, 0);
		CHECK_STR(spec.ns[1].label, "ns1");
		CHECK_INT(spec.ns[1].line, 2);
		CHECK_INT(spec.ns[1].owner_initial, MNTS_SPEC_NO);
		CHECK(spec.ns[1].has_owner_maps);
		CHECK_STR(spec.ns[1].owner_uid_map.v[0], "0 100000 65536");
		CHECK_STR(spec.ns[1].owner_gid_map.v[0], "0 100000 65536");
		CHECK(spec.ns[1].exact);
		CHECK_INT(spec.ns[1].n_mounts, 2);
		CHECK_STR(mnt(1, 1)->mountpoint, "/b/c");
		CHECK_INT(mnt(1, 1)->ancestor, 0);
		CHECK_STR(spec.ns[2].label, "ns2");
		CHECK(!spec.ns[2].exact);
		CHECK_INT(spec.ns[2].owner_initial, MNTS_SPEC_UNSET);
		CHECK_INT(spec.ns[3].owner_initial, MNTS_SPEC_YES);
		CHECK_INT(spec.ns[3].n_mounts, 0);
		/* only sections: no default section */
		CHECK_INT(parse("[a]\n/x\n"), 0);
		CHECK_INT(spec.n_ns, 1);
		CHECK_STR(spec.ns[0].label, "a");
		/* a section ends the tree of the one before */
		CHECK(fails_with("/a\n[s]\n  b\n", "t.spec:3:3: mountpoint: 'b': a relative mountpoint needs"));
	}
	TEST("section errors")
	{
		CHECK(fails_with("[ns1\n", "t.spec:1:1: section: '[' without a closing ']'"));
		CHECK(fails_with("[]\n", "t.spec:1:1: section: no label"));
		CHECK(fails_with("[ns1] /a\n", "t.spec:1:7: section: text after the closing ']'"));
		CHECK(fails_with("[-x]\n", "t.spec:1:2: name: '-x': a label is"));
		CHECK(fails_with("[a=b]\n", "t.spec:1:2: name: "));
		CHECK(fails_with("[a]\n[b]\n[a]\n", "t.spec:3:2: section: '[a]': the section appears twice"));
		CHECK(fails_with("[a ro]\n", "t.spec:1:4: attribute: unknown section attribute 'ro'"));
		CHECK(fails_with("[a userns=other]\n", "t.spec:1:4: attribute: 'userns=other': userns is"));
		CHECK(fails_with("[a exact exact]\n", "t.spec:1:10: duplicate: "));
		CHECK(fails_with("[a uidmap=1 ]\n", "t.spec:1:4: attribute: 'uidmap=1': a map"));
		CHECK(fails_with("[a \"]\"\n", "t.spec:1:1: section: '[' without"));
		/* 65 characters: one too many */
		CHECK(fails_with("[aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa]\n",
				 "t.spec:1:2: name: "));
	}
	TEST("many sections: duplicates found by hashing")
	{
		size_t n = 3000;
		char *text = malloc(n * 12 + 32), *p = text;

		for (size_t i = 0; i < n; i++)
			p += sprintf(p, "[s%zu]\n", i);
		strcpy(p, "[s1234]\n");
		CHECK(fails_with(text, "t.spec:3001:2: section: '[s1234]': the section appears twice"));
		*p = '\0';
		CHECK_INT(parse(text), 0);
		CHECK_INT(spec.n_ns, n);
		free(text);
	}
	TEST("detect: a spec is anything whose first non-space byte is not '{'")
	{
		CHECK(mnts_spec_detect("/a ro\n", 6));
		CHECK(mnts_spec_detect("", 0));
		CHECK(mnts_spec_detect("# {\n", 4));
		CHECK(!mnts_spec_detect(" \n\t{\"format\"", 5));
		CHECK(mnts_spec_detect("   ", 2));
	}
	mnts_spec_free(&spec);
	return tap_done();
}
