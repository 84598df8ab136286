/* replay.c - validate, plan, then execute in a child (see replay.h) */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/replay/exec.h"
#include "lib/core/log.h"
#include "lib/replay/host.h"
#include "lib/replay/plan.h"
#include "lib/replay/replay.h"
#include "lib/replay/replay_ns.h"
#include "lib/replay/resolve.h"
#include "lib/kernel/syscalls.h"

/* What the executor child sends back over its socket: plain bytes.  READY
 * once every step is done (it then waits for the verdict: 'c' keeps the
 * replay, anything else or EOF undoes it), DONE when it is about to exit. */
enum { RESULT_READY = 1, RESULT_DONE };

struct exec_result {
	int phase;
	int rc;
	size_t step;
	struct mnts_error err;
};

/* Lifecycle.  The executor owns the undo log, so it is the one that can
 * roll back: it lives until the caller says keep (after verification).
 * A signal to the caller (SIGINT, SIGTERM, SIGHUP) is passed on as SIGTERM;
 * the caller's death reaches it as SIGTERM (PR_SET_PDEATHSIG) or as EOF on
 * the socket.  Either way it undoes everything and exits. */
static volatile sig_atomic_t interrupted; /* caller: the signal; executor: 1 */
static volatile pid_t executor_pid;	  /* 0: none, or the verdict is given */
static pid_t caller_pid;
static int executor_sock = -1;
static const int caught_signals[] = {SIGINT, SIGTERM, SIGHUP};

static void on_caller_signal(int sig)
{
	int saved = errno;

	interrupted = sig;
	if (executor_pid > 0)
		kill(executor_pid, SIGTERM);
	errno = saved;
}

static void on_executor_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* flags: SA_RESTART for the caller (its own reads go on; the executor
 * answers), none for the executor (its wait for the verdict must end).  A
 * signal found ignored stays ignored (nohup, a background job's SIGINT),
 * except SIGTERM in the executor: its parent's death comes as SIGTERM. */
static void catch_signals(void (*fn)(int), int flags, struct sigaction *ret_old)
{
	struct sigaction sa = {.sa_handler = fn, .sa_flags = flags}, old;

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ARRAY_SIZE(caught_signals); i++) {
		int sig = caught_signals[i];

		if (sigaction(sig, NULL, &old) < 0)
			continue;
		if (ret_old)
			ret_old[i] = old;
		if (old.sa_handler != SIG_IGN || (fn == on_executor_signal && sig == SIGTERM))
			sigaction(sig, &sa, NULL);
	}
}

static void restore_signals(const struct sigaction *old)
{
	for (size_t i = 0; i < ARRAY_SIZE(caught_signals); i++)
		sigaction(caught_signals[i], &old[i], NULL);
}

static bool executor_cancelled(void)
{
	return interrupted != 0;
}

static bool executor_parent_alive(void)
{
	return !interrupted && getppid() == caller_pid;
}

static int send_result(int fd, const struct exec_result *res)
{
	ssize_t n;

	do
		n = send(fd, res, sizeof(*res), MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(*res) ? 0 : -1;
}

/* Returns: the bytes read (fewer than len: EOF), or -errno. */
static ssize_t recv_all(int fd, void *buf, size_t len, bool restart)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = recv(fd, (char *)buf + got, len - got, 0);

		if (n < 0 && errno == EINTR && restart)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static int executor_commit(struct mnts_error *err)
{
	struct exec_result res = {.phase = RESULT_READY};
	char verdict = 0;
	ssize_t n;

	if (interrupted)
		return mnts_err(err, EINTR, "interrupted");
	if (send_result(executor_sock, &res) < 0)
		return mnts_err(err, errno, "report to mntsnap");
	n = recv_all(executor_sock, &verdict, 1, false);
	if (n == 1 && verdict == 'c')
		return 0;
	if (n == 0)
		return mnts_err(err, ESRCH, "mntsnap went away before keeping the replay");
	return mnts_err(err, EINTR, "interrupted");
}

static _noreturn_ void run_child(const struct mnts_plan *plan, const struct mnts_exec_env *env,
				 int sock)
{
	struct mnts_exec_env e = *env;
	struct exec_result res = {.phase = RESULT_DONE};

	/* before the death signal is asked for: it must not kill us.  A
	 * signal the caller got before the fork is in interrupted already. */
	executor_pid = 0;
	catch_signals(on_executor_signal, 0, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* the caller may have died before the prctl: then nothing is done */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != caller_pid)
		_exit(3);
	executor_sock = sock;
	e.cancelled = executor_cancelled;
	e.parent_alive = executor_parent_alive;
	e.commit = executor_commit;
	res.rc = mnts_exec_run(plan, &e, &res.step, &res.err);
	if (send_result(sock, &res) < 0)
		_exit(3);
	_exit(res.rc < 0 ? 1 : 0);
}

static int ns_mount_count(int nsfd, uint32_t *ret)
{
	struct mnts_mnt_ns_info info = {.size = MNTS_MNT_NS_INFO_SIZE_VER0};

	if (ioctl(nsfd, MNTS_NS_MNT_GET_INFO, &info) < 0)
		return -errno;
	*ret = info.nr_mounts;
	return 0;
}

/* The executor holds up to one fd per level of the tree being built (each
 * is closed after its last step: a level whose propagation waits for its
 * children keeps its own), and mounts stacked on one path make a tree as
 * deep as fs.mount-max, above the usual hard limits (20,000 here).  Never
 * more than one fd per slot: raise both limits to that where privileged
 * (CAP_SYS_RESOURCE, up to fs.nr_open), else take the whole hard limit. */
static void raise_fd_limit(const struct mnts_plan *plan)
{
	const rlim_t need = (rlim_t)plan->n_slots + 64;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= need)
		return;
	if (rl.rlim_max < need &&
	    setrlimit(RLIMIT_NOFILE, &(struct rlimit){.rlim_cur = need, .rlim_max = need}) == 0)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* DIR/LABEL.userns, pinned when replay makes the user namespace owning
 * namespace n (plan_steps.c: add_owner_step), else NULL. */
static char *userns_pin_name(const struct mnts_plan *plan, size_t n)
{
	const struct mnts_ns *ns = plan->nss[n].ns;

	if (plan->opts->userns_none || plan->opts->userns_given || !ns->owner.known ||
	    ns->owner.initial)
		return NULL;
	return xasprintf("%s.userns", ns->label);
}

/* fs.mount-max counts every mount of a namespace: a new namespace holds one
 * seed mount when its tree goes in (replay_ns.c), but the tree's root goes
 * in without the last subtree of its children, which follows once the
 * seed is detached (plan_steps.c), so a tree of fs.mount-max mounts fits.
 * With --root the namespace keeps its copy of the caller's mounts; a graft
 * adds to the target's.  The kernel refuses a tree that would take a
 * namespace above the limit. */
static int check_mount_max(const struct mnts_plan *plan, unsigned long max, int base_ns,
			   struct mnts_error *err)
{
	uint32_t present = 0;

	if (!max)
		return 0; /* no limit known: the kernel will say ENOSPC */
	if (base_ns >= 0 && ns_mount_count(base_ns, &present) < 0)
		present = 0;
	for (size_t n = 0; n < plan->n_nss; n++) {
		size_t need = plan->nss[n].ns->n_mounts + present;

		if (need > max && !present)
			return mnts_err(err, ENOSPC,
					"namespace '%s': needs %zu mounts, fs.mount-max is %lu",
					plan->nss[n].ns->label, need, max);
		if (need > max)
			return mnts_err(err, ENOSPC,
					"namespace '%s': needs %zu mounts (%u there already), "
					"fs.mount-max is %lu",
					plan->nss[n].ns->label, need, present, max);
	}
	return 0;
}

static int prepare_new_dir(const struct mnts_plan *plan, const char *dir, char **ret_abs,
			   int *ret_fd, bool *ret_created, struct mnts_error *err)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *abs = NULL;
	int shared;

	/* a label names the pin DIR/LABEL: "../x" or "/x" would pin elsewhere */
	for (size_t n = 0; n < plan->n_nss; n++)
		if (!mnts_plain_name(plan->nss[n].ns->label))
			return mnts_err(err, 0,
					"namespace '%s': the label is not a plain file name "
					"(it names the pin in '%s')",
					plan->nss[n].ns->label, dir);
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

		_cleanup_free_ char *userns_pin = userns_pin_name(plan, n);

		if (fstatat(fd, plan->nss[n].ns->label, &st, AT_SYMLINK_NOFOLLOW) == 0)
			return mnts_err(err, EEXIST, "pin '%s/%s'", dir, plan->nss[n].ns->label);
		if (userns_pin && fstatat(fd, userns_pin, &st, AT_SYMLINK_NOFOLLOW) == 0)
			return mnts_err(err, EEXIST, "pin '%s/%s'", dir, userns_pin);
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

/* --userns=PID|NSFILE: an fd of that user namespace. */
static int open_userns(const char *what, struct mnts_error *err)
{
	_cleanup_free_ char *path = NULL;
	size_t digits = strspn(what, "0123456789");
	int fd;

	path = digits && !what[digits] ? xasprintf("/proc/%s/ns/user", what) : xstrdup(what);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return mnts_err(err, errno, "--userns '%s'", path);
	if (ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWUSER) {
		close(fd);
		return mnts_err(err, 0, "--userns '%s': not a user namespace", path);
	}
	return fd;
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

/* The id of the -t/-m target's mount namespace, 0 when none or unknown
 * (the planner only looks there first; open_target() reports errors). */
static uint64_t target_ns_id(const struct mnts_replay_opts *opts)
{
	struct mnts_error ignored = {0};
	uint64_t id = 0;
	int fd;

	if (opts->target == MNTS_REPLAY_NEW)
		return 0;
	fd = open_target(opts, &ignored);
	if (fd >= 0) {
		if (mnts_mnt_ns_id(fd, &id) < 0)
			id = 0;
		close(fd);
	}
	return id;
}

/* Plans snap on the facts of this host.  *ret_mount_max: fs.mount-max (0:
 * unknown).  Returns: 0 or -errno. */
static int plan_here(struct mnts_plan *plan, const struct mnts_snapshot *snap,
		     const struct mnts_plan_opts *popts, unsigned long *ret_mount_max,
		     struct mnts_error *err)
{
	struct mnts_host host;
	int r;

	r = mnts_host_gather(&host, snap, popts, err);
	if (r < 0)
		return r;
	r = mnts_plan_build(plan, snap, &host, popts, err);
	*ret_mount_max = host.mount_max;
	mnts_host_done(&host);
	return r;
}

/* A replay done, its executor waiting for the verdict (replay.h). */
struct mnts_replay_txn {
	pid_t pid;
	int sock;
	struct sigaction old_sa[ARRAY_SIZE(caught_signals)];
	/* --new: for an executor that dies without a word */
	int new_dir_fd; /* or -1 */
	struct mnts_strv labels;
	char *dir_created; /* DIR, when replay made it */
};

/* kept: whether the replay was kept; then the signals stay caught (they
 * only set interrupted, executor_pid is 0) so that mntsnap finishes and
 * reports what it did rather than die with the replay in place. */
static void txn_free(struct mnts_replay_txn *t, bool kept)
{
	if (t->sock >= 0)
		close(t->sock);
	if (t->new_dir_fd >= 0)
		close(t->new_dir_fd);
	mnts_strv_clear(&t->labels);
	free(t->dir_created);
	if (!kept)
		restore_signals(t->old_sa);
	free(t);
}

/* After an executor that died without reporting: pins it may have made
 * are ours (DIR/LABEL did not exist before), take them away. */
static void cleanup_pins(const struct mnts_replay_txn *t)
{
	if (t->new_dir_fd < 0)
		return;
	for (size_t n = 0; n < t->labels.n; n++) {
		const char *label = t->labels.v[n];
		_cleanup_free_ char *p = NULL;

		if (!mnts_plain_name(label))
			continue; /* never made (do_pin) */
		p = xasprintf("/proc/self/fd/%d/%s", t->new_dir_fd, label);
		umount2(p, MNT_DETACH | UMOUNT_NOFOLLOW);
		unlinkat(t->new_dir_fd, label, 0);
	}
}

static int interrupted_error(struct mnts_error *err)
{
	const char *name = sigabbrev_np((int)interrupted);

	mnts_err(err, 0, "interrupted by SIG%s: everything replayed was undone", name ? name : "?");
	return -EINTR;
}

/* Reads the executor's next report and, on DONE or EOF, reaps it.
 * Returns: its phase, or -errno with err filled (it failed and undid what
 * it did, or it died). */
static int executor_report(struct mnts_replay_txn *t, struct mnts_error *err)
{
	struct exec_result res = {0};
	ssize_t n = recv_all(t->sock, &res, sizeof(res), true);
	int status = 0;

	if (n == (ssize_t)sizeof(res) && res.phase == RESULT_READY)
		return RESULT_READY;
	while (waitpid(t->pid, &status, 0) < 0 && errno == EINTR)
		;
	executor_pid = 0;
	t->pid = 0;
	if (n != (ssize_t)sizeof(res)) {
		cleanup_pins(t);
		if (interrupted)
			return interrupted_error(err);
		return mnts_err(err, EIO, "replay executor: died (%s %d) without a result",
				WIFSIGNALED(status) ? "signal" : "status",
				WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	}
	if (res.rc < 0) {
		if (interrupted)
			return interrupted_error(err);
		*err = res.err;
		return res.rc;
	}
	return RESULT_DONE;
}

int mnts_replay_commit(struct mnts_replay_txn *t, struct mnts_error *err)
{
	char verdict;
	int r;

	if (!t)
		return 0;
	/* from the verdict on, a signal changes nothing: the outcome is
	 * what the executor reports (it may have undone all on an earlier
	 * signal), and mntsnap finishes with it */
	executor_pid = 0;
	verdict = interrupted ? 'a' : 'c';
	if (send(t->sock, &verdict, 1, MSG_NOSIGNAL) != 1)
		verdict = 'a'; /* it is gone: its report says what it left */
	r = executor_report(t, err);
	if (r == RESULT_READY) /* a second READY: cannot happen */
		r = mnts_err(err, EPROTO, "replay executor: reported twice");
	if (r >= 0 && verdict == 'a')
		r = interrupted_error(err);
	if (r < 0 && t->dir_created)
		rmdir(t->dir_created);
	txn_free(t, r >= 0);
	return r < 0 ? r : 0;
}

/* Forks the executor.  Returns: 0 with *ret_txn waiting for the verdict,
 * or -errno with everything undone. */
static int execute(const struct mnts_plan *plan, const struct mnts_exec_env *env, char *dir_created,
		   struct mnts_replay_txn **ret_txn, struct mnts_error *err)
{
	struct mnts_replay_txn *t = xcalloc(1, sizeof(*t));
	int sv[2], r;
	pid_t pid;

	t->sock = -1;
	t->new_dir_fd = -1;
	t->dir_created = dir_created;
	if (env->new_dir_fd >= 0) {
		t->new_dir_fd = fcntl(env->new_dir_fd, F_DUPFD_CLOEXEC, 3);
		for (size_t n = 0; n < plan->n_nss; n++) {
			char *userns_pin = userns_pin_name(plan, n);

			mnts_strv_push(&t->labels, plan->nss[n].ns->label);
			if (userns_pin)
				mnts_strv_push_take(&t->labels, userns_pin);
		}
	}
	interrupted = 0;
	caller_pid = getpid();
	catch_signals(on_caller_signal, SA_RESTART, t->old_sa);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		r = mnts_err(err, errno, "socketpair");
		goto fail;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		r = mnts_err(err, errno, "fork");
		close(sv[0]);
		close(sv[1]);
		goto fail;
	}
	if (pid == 0) {
		close(sv[0]);
		run_child(plan, env, sv[1]);
	}
	close(sv[1]);
	t->sock = sv[0];
	t->pid = pid;
	executor_pid = pid;
	if (interrupted) /* it came before executor_pid was set */
		kill(pid, SIGTERM);
	r = executor_report(t, err);
	if (r == RESULT_READY) {
		*ret_txn = t;
		return 0;
	}
	if (r >= 0) /* DONE without READY: cannot happen */
		r = mnts_err(err, EPROTO, "replay executor: no report of the replay");
fail:
	if (t->dir_created)
		rmdir(t->dir_created);
	txn_free(t, false);
	return r;
}

int mnts_replay(const struct mnts_snapshot *snap, const struct mnts_replay_opts *opts,
		struct mnts_replay_txn **ret_txn, struct mnts_error *err)
{
	struct mnts_replay_txn *txn = NULL;
	const struct mnts_plan_opts popts = {
	    .target =
		opts->target == MNTS_REPLAY_NEW ? MNTS_PLAN_TARGET_NEW : MNTS_PLAN_TARGET_EXISTING,
	    .new_dir = opts->new_dir,
	    .root_dir = opts->root_dir,
	    .ns_labels = opts->ns_labels,
	    .n_ns_labels = opts->n_ns_labels,
	    .externals = opts->externals,
	    .n_externals = opts->n_externals,
	    .fresh = opts->fresh,
	    .map_rules = opts->map_rules,
	    .create_mountpoints = opts->create_mountpoints,
	    .userns_none = opts->userns && streq(opts->userns, "none"),
	    .userns_given = opts->userns && !streq(opts->userns, "none"),
	    .dry_run = opts->dry_run,
	    .target_ns_id = target_ns_id(opts),
	};
	unsigned long mount_max = 0;
	struct mnts_plan plan;
	struct mnts_exec_env env = {.orig_ns = -1,
				    .target_ns = -1,
				    .new_dir_fd = -1,
				    .root_dir = opts->root_dir,
				    .userns_fd = -1};
	_cleanup_free_ char *abs_dir = NULL;
	bool dir_created = false;
	int r;

	if (opts->target != MNTS_REPLAY_NEW && !opts->root_dir)
		return mnts_err(err, 0,
				"--target/--mount: replacing the root of a live namespace is not "
				"supported (graft under a directory with --root DIR)");
	if (opts->root_dir && opts->root_dir[0] != '/')
		return mnts_err(err, 0, "--root '%s': not an absolute path", opts->root_dir);
	r = plan_here(&plan, snap, &popts, &mount_max, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < plan.warnings.n; i++)
		mnts_warn("%s", plan.warnings.v[i]);
	if (opts->dry_run) {
		mnts_plan_print(&plan, opts->plan_out ? opts->plan_out : stdout);
		goto out;
	}

	raise_fd_limit(&plan);
	env.fail_at_step = opts->fail_at_step;
	env.orig_ns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (env.orig_ns < 0) {
		r = mnts_err(err, errno, "open '/proc/self/ns/mnt'");
		goto out;
	}
	if (popts.userns_given) {
		env.userns_fd = open_userns(opts->userns, err);
		if (env.userns_fd < 0) {
			r = env.userns_fd;
			goto out;
		}
	}
	if (opts->target == MNTS_REPLAY_NEW) {
		r = check_mount_max(&plan, mount_max, opts->root_dir ? env.orig_ns : -1, err);
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
		r = check_mount_max(&plan, mount_max, env.target_ns, err);
		if (r < 0)
			goto out;
	}

	r = execute(&plan, &env, dir_created ? xstrdup(opts->new_dir) : NULL, &txn, err);
	if (r >= 0) {
		if (ret_txn)
			*ret_txn = txn;
		else
			r = mnts_replay_commit(txn, err);
	}
out:
	if (env.orig_ns >= 0)
		close(env.orig_ns);
	if (env.target_ns >= 0)
		close(env.target_ns);
	if (env.new_dir_fd >= 0)
		close(env.new_dir_fd);
	if (env.userns_fd >= 0)
		close(env.userns_fd);
	mnts_plan_done(&plan);
	return r;
}
