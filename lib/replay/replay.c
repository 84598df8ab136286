/* replay.c - validate, plan, then execute in a child (see replay.h) */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/replay/exec.h"
#include "lib/core/log.h"
#include "lib/replay/plan.h"
#include "lib/replay/replay.h"
#include "lib/replay/replay_ns.h"
#include "lib/kernel/syscalls.h"

/* What the executor child sends back: plain bytes over a CLOEXEC pipe. */
struct exec_result {
	int rc;
	size_t step;
	struct mnts_error err;
};

static int ns_mount_count(int nsfd, uint32_t *ret)
{
	struct mnts_mnt_ns_info info = {.size = MNTS_MNT_NS_INFO_SIZE_VER0};

	if (ioctl(nsfd, MNTS_NS_MNT_GET_INFO, &info) < 0)
		return -errno;
	*ret = info.nr_mounts;
	return 0;
}

/* Replay holds an fd per mount still to be wired (and the defaults are low):
 * take the whole hard limit, which needs no privilege. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* fs.mount-max counts every mount of a namespace: a new namespace holds one
 * tmpfs when the tree goes in (replay_ns.c), but with --root it keeps its
 * copy of the caller's mounts; a graft adds to the target's. */
static int check_mount_max(const struct mnts_plan *plan, int base_ns, struct mnts_error *err)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/sys/fs/mount-max", "re");
	unsigned long max = 0;
	uint32_t present = 1;

	if (!f || fscanf(f, "%lu", &max) != 1)
		return 0; /* no limit known: the kernel will say ENOSPC */
	if (base_ns >= 0 && ns_mount_count(base_ns, &present) < 0)
		present = 0;
	for (size_t n = 0; n < plan->n_nss; n++) {
		size_t need = plan->nss[n].ns->n_mounts + present + 1;

		if (need > max)
			return mnts_err(err, ENOSPC,
					"namespace '%s': needs %zu mounts (%u there already), "
					"fs.mount-max is %lu",
					plan->nss[n].ns->label, need, present, max);
	}
	return 0;
}

static void run_child(const struct mnts_plan *plan, const struct mnts_exec_env *env, int wfd)
{
	struct exec_result res = {0};

	res.rc = mnts_exec_run(plan, env, &res.step, &res.err);
	if (write(wfd, &res, sizeof(res)) != (ssize_t)sizeof(res))
		_exit(3);
	_exit(res.rc < 0 ? 1 : 0);
}

static int execute(const struct mnts_plan *plan, const struct mnts_exec_env *env,
		   struct mnts_error *err)
{
	struct exec_result res = {0};
	int pfd[2], status = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return mnts_err(err, errno, "pipe");
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return mnts_err(err, errno, "fork");
	}
	if (pid == 0) {
		close(pfd[0]);
		run_child(plan, env, pfd[1]);
	}
	close(pfd[1]);
	do
		n = read(pfd[0], &res, sizeof(res));
	while (n < 0 && errno == EINTR);
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(res))
		return mnts_err(err, EIO, "replay executor: died (%s %d) without a result",
				WIFSIGNALED(status) ? "signal" : "status",
				WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	if (res.rc < 0) {
		*err = res.err;
		return res.rc;
	}
	return 0;
}

/* After an executor that died without reporting: pins it may have made
 * are ours (DIR/LABEL did not exist before), take them away. */
static void cleanup_pins(const struct mnts_plan *plan, int dirfd)
{
	for (size_t n = 0; n < plan->n_nss; n++) {
		const char *label = plan->nss[n].ns->label;
		_cleanup_free_ char *p = xasprintf("/proc/self/fd/%d/%s", dirfd, label);

		umount2(p, MNT_DETACH | UMOUNT_NOFOLLOW);
		unlinkat(dirfd, label, 0);
	}
}

static int prepare_new_dir(const struct mnts_plan *plan, const char *dir, char **ret_abs,
			   int *ret_fd, bool *ret_created, struct mnts_error *err)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *abs = NULL;
	int shared;

	*ret_created = false;
	if (mkdir(dir, 0755) == 0)
		*ret_created = true;
	else if (errno != EEXIST)
		return mnts_err(err, errno, "--new '%s'", dir);
	/* each call checked at once: realpath() after a failed open() would
	 * leave its own errno (EINVAL from readlink) in place of EMFILE */
	fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0)
		abs = realpath(dir, NULL);
	if (fd < 0 || !abs) {
		int r = mnts_err(err, errno, "--new: cannot open '%s'", dir);
		if (*ret_created)
			rmdir(dir);
		return r;
	}
	for (size_t n = 0; n < plan->n_nss; n++) {
		struct stat st;

		if (fstatat(fd, plan->nss[n].ns->label, &st, AT_SYMLINK_NOFOLLOW) == 0)
			return mnts_err(err, EEXIST, "pin '%s/%s'", dir, plan->nss[n].ns->label);
	}
	shared = mnts_fd_on_shared_mount(fd);
	if (shared != 0) {
		int r = shared < 0 ? mnts_err(err, -shared, "--new '%s': statmount", dir)
				   : mnts_err(err, 0,
					      "--new '%s': is on a shared mount (the pins would "
					      "propagate to its peers): make it private first",
					      dir);
		if (*ret_created)
			rmdir(dir);
		return r;
	}
	*ret_abs = TAKE_PTR(abs);
	*ret_fd = TAKE_FD(fd);
	return 0;
}

static int open_target(const struct mnts_replay_opts *opts, struct mnts_error *err)
{
	_cleanup_free_ char *path = NULL;
	int fd, type;

	if (opts->target == MNTS_REPLAY_PID)
		path = xasprintf("/proc/%d/ns/mnt", (int)opts->pid);
	else
		path = xstrdup(opts->nsfile);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return mnts_err(err, errno, "target '%s'", path);
	type = ioctl(fd, NS_GET_NSTYPE);
	if (type != CLONE_NEWNS) {
		close(fd);
		return mnts_err(err, 0, "target '%s': not a mount namespace", path);
	}
	return fd;
}

int mnts_replay(const struct mnts_snapshot *snap, const struct mnts_replay_opts *opts,
		struct mnts_error *err)
{
	struct mnts_plan plan;
	struct mnts_exec_env env = {.orig_ns = -1, .target_ns = -1, .new_dir_fd = -1};
	_cleanup_free_ char *abs_dir = NULL;
	bool dir_created = false;
	int r;

	if (opts->target != MNTS_REPLAY_NEW && !opts->root_dir)
		return mnts_err(err, 0,
				"--target/--mount: replacing the root of a live namespace is not "
				"supported (graft under a directory with --root DIR)");
	if (opts->root_dir && opts->root_dir[0] != '/')
		return mnts_err(err, 0, "--root '%s': not an absolute path", opts->root_dir);
	r = mnts_plan_build(&plan, snap, opts, err);
	if (r < 0)
		return r;
	if (opts->dry_run) {
		mnts_plan_print(&plan, opts->plan_out ? opts->plan_out : stdout);
		goto out;
	}

	raise_fd_limit();
	env.fail_at_step = opts->fail_at_step;
	env.orig_ns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (env.orig_ns < 0) {
		r = mnts_err(err, errno, "open '/proc/self/ns/mnt'");
		goto out;
	}
	if (opts->target == MNTS_REPLAY_NEW) {
		r = check_mount_max(&plan, opts->root_dir ? env.orig_ns : -1, err);
		if (r < 0)
			goto out;
		r = prepare_new_dir(&plan, opts->new_dir, &abs_dir, &env.new_dir_fd, &dir_created,
				    err);
		if (r < 0)
			goto out;
		env.new_dir = abs_dir;
	} else {
		env.target_ns = open_target(opts, err);
		if (env.target_ns < 0) {
			r = env.target_ns;
			goto out;
		}
		r = check_mount_max(&plan, env.target_ns, err);
		if (r < 0)
			goto out;
	}

	r = execute(&plan, &env, err);
	if (r < 0 && opts->target == MNTS_REPLAY_NEW) {
		if (err->code == EIO)
			cleanup_pins(&plan, env.new_dir_fd);
		if (dir_created)
			rmdir(opts->new_dir);
	}
out:
	if (env.orig_ns >= 0)
		close(env.orig_ns);
	if (env.target_ns >= 0)
		close(env.target_ns);
	if (env.new_dir_fd >= 0)
		close(env.new_dir_fd);
	mnts_plan_done(&plan);
	return r;
}
