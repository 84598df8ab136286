/* fsctx.c - see fsctx.h; the log format is fs/fs_context.c logfc(): one
 * message per read(2), "<level> <text>", ENODATA when there is none left. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/core/macros.h"
#include "lib/kernel/fsctx.h"
#include "lib/kernel/syscalls.h"

/* the kernel keeps at most 8 messages per context */
#define FSCTX_MAX_MESSAGES 8

void mnts_fsctx_message(int fsfd, char *buf, size_t size)
{
	size_t len = 0;

	if (size == 0)
		return;
	buf[0] = '\0';
	for (int i = 0; i < FSCTX_MAX_MESSAGES; i++) {
		char msg[1024];
		const char *text = msg, *label = "";
		ssize_t n = read(fsfd, msg, sizeof(msg) - 1);
		int w;

		if (n < 0 && errno == EINTR)
			continue;
		/* ENODATA: no more; EMSGSIZE: this one was too long (and is gone) */
		if (n < 0 && errno == EMSGSIZE)
			continue;
		if (n <= 0)
			break;
		msg[n] = '\0';
		msg[strcspn(msg, "\n")] = '\0';
		if (msg[0] && msg[1] == ' ') {
			text = msg + 2;
			label = msg[0] == 'w' ? "warning: " : msg[0] == 'i' ? "info: " : "";
		}
		if (!*text)
			continue;
		w = snprintf(buf + len, size - len, "%s%s%s", len ? "; " : "", label, text);
		if (w < 0 || (size_t)w >= size - len)
			break; /* cut: what fits is kept */
		len += (size_t)w;
	}
}

int mnts_tmpfs_detached(void)
{
	_cleanup_close_ int fsfd = mnts_sys_fsopen("tmpfs", FSOPEN_CLOEXEC);
	int fd;

	if (fsfd < 0 || mnts_sys_fsconfig(fsfd, MNTS_FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return -errno;
	fd = mnts_sys_fsmount(fsfd, FSMOUNT_CLOEXEC, 0);
	return fd < 0 ? -errno : fd;
}
