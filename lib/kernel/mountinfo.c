/* mountinfo.c - see mountinfo.h.  libmount parses the lines; the optional
 * fields and the raw superblock options (field 11, which libmount hands back
 * unescaped, so "a\054b" would split wrongly) are taken by us. */
#include <fcntl.h>
#include <inttypes.h>
#include <libmount/libmount.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "lib/core/log.h"
#include "lib/core/macros.h"
#include "lib/kernel/mountinfo.h"
#include "lib/kernel/nschild.h"
#include "lib/kernel/syscalls.h"

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	return 0;
}

int mnts_mountinfo_parse_optional(const char *fields, struct mnts_mount *m)
{
	const char *p = fields;

	m->shared_id = m->master_id = m->propagate_from = 0;
	m->unbindable = false;
	while (p && *p) {
		size_t len = strcspn(p, " \t");
		char word[64];
		int r = 0;

		if (len > 0 && len < sizeof(word)) {
			memcpy(word, p, len);
			word[len] = '\0';
			if (strneq_prefix(word, "shared:"))
				r = parse_u64(word + 7, &m->shared_id);
			else if (strneq_prefix(word, "master:"))
				r = parse_u64(word + 7, &m->master_id);
			else if (strneq_prefix(word, "propagate_from:"))
				r = parse_u64(word + 15, &m->propagate_from);
			else if (streq(word, "unbindable"))
				m->unbindable = true;
			/* other words: fields a newer kernel may add */
		}
		if (r < 0)
			return r;
		p += len;
		p += strspn(p, " \t");
	}
	return 0;
}

struct errline {
	int line;
};

static int on_parse_error(struct libmnt_table *tb, const char *filename _unused_, int line)
{
	struct errline *el = mnt_table_get_userdata(tb);

	if (el && !el->line)
		el->line = line;
	return -EINVAL; /* stop: a snapshot must not silently lack a mount */
}

static void unref_table(struct libmnt_table **tb)
{
	mnt_unref_table(*tb);
}

static void free_iter(struct libmnt_iter **it)
{
	mnt_free_iter(*it);
}

static void fclose_ptr(FILE **f)
{
	if (*f)
		fclose(*f);
}

/* The next line libmount will also parse (it skips blank and '#' lines).
 * Returns its start and sets *len and *lineno, or NULL at the end. */
static const char *next_line(const char **pos, const char *end, size_t *len, int *lineno)
{
	while (*pos < end) {
		const char *s = *pos, *nl = memchr(s, '\n', (size_t)(end - s));
		const char *e = nl ? nl : end, *t = s;

		*pos = nl ? nl + 1 : end;
		++*lineno;
		while (t < e && (*t == ' ' || *t == '\t'))
			t++;
		if (t == e || *t == '#')
			continue;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
			e--;
		*len = (size_t)(e - s);
		return s;
	}
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int mnts_mountinfo_parse(struct mnts_ns *ns, const char *buf, size_t len, const char *what,
			 bool live, struct mnts_error *err)
{
	_cleanup_(unref_table) struct libmnt_table *tb = mnt_new_table();
	_cleanup_(free_iter) struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
	_cleanup_(fclose_ptr) FILE *f = NULL;
	_cleanup_free_ uint64_t *ids = NULL;
	struct errline el = {0};
	const char *pos = buf, *end = buf + len, *line;
	struct libmnt_fs *fs;
	size_t line_len, n_roots = 0;
	int lineno = 0, r;

	if (!tb || !it)
		return mnts_err(err, ENOMEM, "%s", what);
	/* libmount guesses the format from the first line: make sure it is
	 * mountinfo ("ID PARENT MAJ:MIN ...") and not fstab */
	line = next_line(&pos, end, &line_len, &lineno);
	if (!line)
		return mnts_err(err, 0, "%s: no mounts in it", what);
	{
		unsigned a, b, c, d;

		if (sscanf(line, "%u %u %u:%u", &a, &b, &c, &d) != 4)
			return mnts_err(err, 0, "%s: line %d: not a mountinfo line", what, lineno);
	}
	f = fmemopen((void *)buf, len, "r");
	if (!f)
		return mnts_err(err, errno, "%s", what);
	mnt_table_set_userdata(tb, &el);
	mnt_table_set_parser_errcb(tb, on_parse_error);
	r = mnt_table_parse_stream(tb, f, what);
	if (r < 0 || el.line)
		return mnts_err(err, 0, "%s: line %d: malformed mountinfo line", what,
				el.line ? el.line : lineno);

	pos = buf;
	lineno = 0;
	while (mnt_table_next_fs(tb, it, &fs) == 0) {
		const char *opt_fields = mnt_fs_get_optional_fields(fs);
		const char *source = mnt_fs_get_source(fs), *root = mnt_fs_get_root(fs);
		const char *target = mnt_fs_get_target(fs), *type = mnt_fs_get_fstype(fs);
		const char *sb_opts;
		struct mnts_mount *m;
		dev_t dev = mnt_fs_get_devno(fs);
		_cleanup_free_ char *raw = NULL;

		line = next_line(&pos, end, &line_len, &lineno);
		if (!line)
			return mnts_err(err, 0, "%s: lines and parsed entries disagree", what);
		raw = strndup(line, line_len);
		sb_opts = strrchr(raw, ' ');
		sb_opts = sb_opts ? sb_opts + 1 : "";

		if (!target || !type)
			return mnts_err(err, 0, "%s: line %d: malformed mountinfo line", what,
					lineno);
		m = mnts_ns_add_mount(ns);
		m->id = m->mnt_id = (uint64_t)mnt_fs_get_id(fs);
		m->parent_id = (uint64_t)mnt_fs_get_parent_id(fs);
		m->dev_major = major(dev);
		m->dev_minor = minor(dev);
		m->root = xstrdup(root ? root : "/");
		m->mountpoint = xstrdup(target);
		m->fstype = xstrdup(type);
		m->source = xstrdup(source ? source : "none");
		mnts_strv_split_options(&m->mount_options, mnt_fs_get_vfs_options(fs));
		mnts_strv_split_options(&m->super_options, sb_opts);
		if (mnts_mountinfo_parse_optional(opt_fields, m) < 0)
			return mnts_err(err, 0, "%s: line %d: optional fields '%s': bad number",
					what, lineno, opt_fields);
	}

	ids = xcalloc(ns->n_mounts + 1, sizeof(*ids));
	for (size_t i = 0; i < ns->n_mounts; i++)
		ids[i] = ns->mounts[i].id;
	qsort(ids, ns->n_mounts, sizeof(*ids), cmp_u64);
	for (size_t i = 1; i < ns->n_mounts; i++)
		if (ids[i] == ids[i - 1])
			return mnts_err(err, live ? EAGAIN : 0,
					"%s: mount id %" PRIu64 " appears twice", what, ids[i]);
	for (size_t i = 0; i < ns->n_mounts; i++) {
		struct mnts_mount *m = &ns->mounts[i];

		if (m->parent_id != m->id &&
		    bsearch(&m->parent_id, ids, ns->n_mounts, sizeof(*ids), cmp_u64))
			continue;
		if (++n_roots > 1)
			return mnts_err(err, live ? EAGAIN : 0,
					"%s: mount %" PRIu64 ": parent %" PRIu64
					": not in the table (a second root)",
					what, m->id, m->parent_id);
		m->parent_id = 0;
	}
	if (n_roots == 0)
		return mnts_err(err, live ? EAGAIN : 0,
				"%s: no root mount (the parents form a cycle)", what);
	return 0;
}

/* Child side of mnts_mountinfo_read_ns(): copies the mountinfo of the
 * namespace we are in to out_fd.  data: an fd of /proc opened before setns,
 * whose thread-self shows this thread's view. */
static int copy_mountinfo(int out_fd, void *data)
{
	char chunk[65536];
	int fd = openat(*(int *)data, "thread-self/mountinfo", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return errno;
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		if (n == 0)
			return 0;
		if (write(out_fd, chunk, (size_t)n) != n)
			return EIO;
	}
}

int mnts_mountinfo_read_ns(int nsfd, char **ret, size_t *ret_len, struct mnts_error *err)
{
	_cleanup_close_ int procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (procfd < 0)
		return mnts_err(err, errno, "cannot open '/proc'");
	return mnts_ns_child_collect(nsfd, copy_mountinfo, &procfd, "reading the mountinfo", ret,
				     ret_len, err);
}
