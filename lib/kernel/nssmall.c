/* nssmall.c - a small mount namespace to copy (see nssmall.h) */
#include <stdbool.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/core/macros.h"
#include "lib/kernel/nssmall.h"
#include "lib/kernel/syscalls.h"

uint32_t mnts_mnt_ns_count(int nsfd)
{
	struct mnts_mnt_ns_info info = {.size = MNTS_MNT_NS_INFO_SIZE_VER0};

	return ioctl(nsfd, MNTS_NS_MNT_GET_INFO, &info) == 0 ? info.nr_mounts : UINT32_MAX;
}

static bool ns_owned_by_ours(int nsfd)
{
	_cleanup_close_ int owner = ioctl(nsfd, NS_GET_USERNS);
	struct stat a, b;

	return owner >= 0 && fstat(owner, &a) == 0 && stat("/proc/thread-self/ns/user", &b) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int mnts_mnt_ns_smaller(int orig_ns)
{
	static const unsigned long walk[] = {MNTS_NS_MNT_GET_NEXT, MNTS_NS_MNT_GET_PREV};
	uint32_t here = mnts_mnt_ns_count(orig_ns), best_n = here / 4;
	int best = -1;

	if (here == UINT32_MAX || here < 1024)
		return -1;
	for (size_t d = 0; d < ARRAY_SIZE(walk); d++) {
		int cur = -1; /* ours to close unless it is best */

		/* bounded: a host of thousands of containers is not searched */
		for (int k = 0; k < 256 && best_n > 64; k++) {
			struct mnts_mnt_ns_info info = {.size = MNTS_MNT_NS_INFO_SIZE_VER0};
			int next = ioctl(cur >= 0 ? cur : orig_ns, walk[d], &info);

			if (cur >= 0 && cur != best)
				close(cur);
			cur = next;
			if (next < 0)
				break;
			/* none: one being torn down */
			if (info.nr_mounts > 0 && info.nr_mounts < best_n &&
			    ns_owned_by_ours(next)) {
				if (best >= 0)
					close(best);
				best = next;
				best_n = info.nr_mounts;
			}
		}
		if (cur >= 0 && cur != best)
			close(cur);
	}
	return best;
}
