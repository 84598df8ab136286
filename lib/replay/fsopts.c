/* fsopts.c - superblock options to fsconfig (see fsopts.h) */
#include <errno.h>
#include <string.h>

#include "lib/replay/fsopts.h"
#include "lib/kernel/syscalls.h"

/* Words mountinfo prints among super options that fsconfig rejects:
 * generic flags handled elsewhere, per-mount flags, LSM labels. */
static const char *const not_keys[] = {
    "rw",     "ro",    "seclabel", "noatime", "relatime", "strictatime", "nodiratime",
    "nosuid", "nodev", "noexec",   "silent",  "posixacl", "iversion",	 "i_version",
};

bool mnts_fsopt_is_key(const char *word)
{
	for (size_t i = 0; i < ARRAY_SIZE(not_keys); i++)
		if (streq(word, not_keys[i]))
			return false;
	return *word != '\0';
}

int mnts_fsopts_apply(int fsfd, const struct mnts_strv *opts, struct mnts_error *err)
{
	for (size_t i = 0; i < opts->n; i++) {
		const char *word = opts->v[i];
		_cleanup_free_ char *key = NULL;
		const char *eq;
		int r;

		if (!mnts_fsopt_is_key(word))
			continue;
		eq = strchr(word, '=');
		if (eq) {
			key = xstrndup(word, (size_t)(eq - word));
			r = mnts_sys_fsconfig(fsfd, MNTS_FSCONFIG_SET_STRING, key, eq + 1, 0);
		} else {
			r = mnts_sys_fsconfig(fsfd, MNTS_FSCONFIG_SET_FLAG, word, NULL, 0);
		}
		if (r < 0) {
			int saved = errno;
			char log[256];

			mnts_fsctx_message(fsfd, log, sizeof(log));
			return mnts_err(err, saved, "superblock option '%s'%s%s", word,
					*log ? ": kernel says " : "", log);
		}
	}
	return 0;
}
