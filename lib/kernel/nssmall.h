/* nssmall.h - a small mount namespace to copy.
 *
 * unshare(CLONE_NEWNS) copies every mount of the namespace it is called in:
 * a namespace made only to be emptied (replay's seed, replay_ns.h) costs as
 * much as the caller's namespace holds, 50,000 mounts in a benchmark cell or
 * on a busy host.  Copied from a namespace of a few dozen mounts instead,
 * it costs nothing.  Self-contained (bench/ links it alone).
 */
#pragma once

#include <stdint.h>

/* How many mounts the mount namespace of nsfd holds (NS_MNT_GET_INFO,
 * 6.12+), or UINT32_MAX when the kernel cannot tell. */
uint32_t mnts_mnt_ns_count(int nsfd);

/* An nsfs fd of a mount namespace owned by our user namespace (a copy of
 * one owned by another would lock its mounts) that holds at most a quarter
 * of the mounts of orig_ns, found by walking the kernel's list of mount
 * namespaces from orig_ns both ways (NS_MNT_GET_NEXT/PREV, 6.12+; at most
 * 256 each way, stopping at one of 64 mounts or fewer); -1 when orig_ns
 * holds fewer than 1,024 mounts or none is found.  Nothing is done in the
 * namespace: the caller copies it with setns() and unshare(), which is
 * read-only for it (its mounts are referenced for as long as the copy
 * keeps them). */
int mnts_mnt_ns_smaller(int orig_ns);
