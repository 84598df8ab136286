/* snapjson_map_test.c - a large snapshot file is mapped, not copied
 * (lib/json/snapjson_read_map.c): the same model as from a buffer, a NUL
 * after the text whatever its size, and a file truncated while it is mapped
 * is an error, not a SIGBUS. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/json/snapjson.h"
#include "tests/unit/tap.h"

static const char doc[] =
    "{\"capture\": {\"method\": null, \"selection\": null, \"subtree\": null},"
    " \"created\": null, \"format\": \"mntsnap\", \"format_version\": 3,"
    " \"host\": {\"arch\": null, \"boot_id\": null, \"hostname\": null, \"kernel\": null},"
    " \"namespaces\": [{\"label\": \"ns0\", \"mnt_ns_id\": null,"
    " \"mounts\": [{\"deleted\": false, \"dev\": \"0:1\", \"fs_label\": null, \"fs_uuid\": null,"
    " \"fstype\": \"tmpfs\", \"id\": 7, \"idmap\": null, \"master_id\": 0, \"mnt_id\": 7,"
    " \"mount_options\": [\"rw\"], \"mountpoint\": \"/\", \"nsfs\": null, \"parent\": null,"
    " \"propagate_from\": 0, \"root\": \"/\", \"root_type\": \"dir\", \"shared_id\": 0,"
    " \"source\": \"none\", \"super_options\": [\"rw\"], \"unbindable\": false}],"
    " \"ns_ino\": null, \"nsfs_paths\": [], \"owner_userns\": null, \"owner_userns_ino\": null,"
    " \"pids\": [], \"root_mount\": 7}], \"tool\": {\"name\": \"mntsnap\", \"version\": null}, \"warnings\": []}";

/* A file holding doc, then spaces up to size bytes (big enough to be
 * mapped).  Returns its name (free it) or NULL. */
static char *file_of_size(size_t size)
{
	char *name = xstrdup("/tmp/snapjson_map_test.XXXXXX");
	_cleanup_free_ char *data = xmalloc(size);
	int fd = mkstemp(name);
	bool ok;

	memset(data, ' ', size);
	memcpy(data, doc, strlen(doc));
	ok = fd >= 0 && write(fd, data, size) == (ssize_t)size;
	if (fd >= 0)
		close(fd);
	if (!ok) {
		unlink(name);
		free(name);
		return NULL;
	}
	return name;
}

int main(void)
{
	struct mnts_error err = {0};

	TEST("a mapped file reads as its bytes then a NUL, whatever its size's page rest")
	{
		static const size_t sizes[] = {(size_t)2 << 20, ((size_t)2 << 20) + 1,
					       ((size_t)2 << 20) - 1};

		for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
			_cleanup_free_ char *name = file_of_size(sizes[i]);
			_cleanup_snapshot_ struct mnts_snapshot *snap = NULL;
			struct mnts_snapshot_text t;

			CHECK(name != NULL);
			if (!name)
				continue;
			CHECK_INT(mnts_snapshot_read_text(name, &t, &err), 0);
			CHECK(t.map != NULL);
			CHECK_INT((long)t.size, (long)sizes[i]);
			CHECK_INT(t.text[t.size], '\0');
			CHECK_INT(memcmp(t.text, doc, strlen(doc)), 0);
			CHECK_INT(t.text[t.size - 1], ' ');
			mnts_snapshot_text_done(&t);
			CHECK_INT(mnts_snapshot_read(name, &snap, &err), 0);
			CHECK(snap && snap->n_ns == 1 && snap->nss[0].n_mounts == 1);
			unlink(name);
		}
	}

	TEST("a file truncated while it is mapped is an error naming it, not a SIGBUS")
	{
		_cleanup_free_ char *name = file_of_size((size_t)3 << 20);
		_cleanup_snapshot_ struct mnts_snapshot *snap = NULL;
		struct mnts_snapshot_text t;
		int r;

		CHECK(name != NULL);
		if (name) {
			CHECK_INT(mnts_snapshot_read_text(name, &t, &err), 0);
			CHECK(t.map != NULL);
			CHECK_INT(truncate(name, 4096), 0);
			r = mnts_snapshot_parse(t.text, t.size, t.what, &snap, &err);
			CHECK(r < 0);
			CHECK(mnts_snapshot_text_truncated(&t));
			r = mnts_snapshot_text_check(&t, r, &err);
			CHECK(r < 0);
			CHECK(strstr(err.msg, "truncated while it was read") != NULL);
			CHECK(strstr(err.msg, name) != NULL);
			mnts_snapshot_text_done(&t);
			unlink(name);
		}
	}

	TEST("a small file is read into a buffer")
	{
		_cleanup_free_ char *name = file_of_size(strlen(doc) + 10);
		struct mnts_snapshot_text t;

		CHECK(name != NULL);
		if (name) {
			CHECK_INT(mnts_snapshot_read_text(name, &t, &err), 0);
			CHECK(t.map == NULL);
			CHECK(!mnts_snapshot_text_truncated(&t));
			CHECK_INT(t.text[t.size], '\0');
			mnts_snapshot_text_done(&t);
			unlink(name);
		}
	}
	return tap_done();
}
