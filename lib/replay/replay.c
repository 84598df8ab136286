/* replay.c - validate, plan, then execute in a child (see replay.h) */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
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
#include "lib/core/split.h"
#include "lib/replay/host.h"
#include "lib/replay/livecheck.h"
#include "lib/replay/plan.h"
#include "lib/replay/plan_json.h"
#include "lib/replay/preflight.h"
#include "lib/replay/replay.h"
#include "lib/replay/replay_ns.h"
#include "lib/replay/resolve.h"
#include "lib/kernel/syscalls.h"

/* What the executor child sends back over its socket: plain bytes.  READY
 * once every step is done (it then waits for the verdict: 'c' keeps the
 * replay, anything else or EOF undoes it), DONE with the outcome: once a
 * kept replay is no longer held (executor_kept(); the executor may still
 * be closing what it made), or when about to exit after an undo. */
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
static bool done_sent; /* executor: DONE said by executor_kept() */
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

/* The replay kept and nothing of it held: DONE at once.  What is left is
 * closing the detached trees the run made (one RCU grace period: 10 ms of
 * a 50,000-mount replay), which mntsnap need not wait for. */
static void executor_kept(void)
{
	struct exec_result res = {.phase = RESULT_DONE};

	done_sent = send_result(executor_sock, &res) == 0;
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
	e.kept = executor_kept;
	res.rc = mnts_exec_run(plan, &e, &res.step, &res.err);
	if (!done_sent && send_result(sock, &res) < 0)
		_exit(3);
	_exit(res.rc < 0 ? 1 : 0);
}

struct mnts_replay_seed {
	struct mnts_helper thread;
	int orig_ns; /* the caller's mount namespace */
	int fd;	     /* the seed once the thread is joined, or -1 */
};

static void make_seed(void *data)
{
	struct mnts_replay_seed *s = data;
	/* a seed that cannot be made is made again by the executor, which
	 * says why */
	struct mnts_error ignored = {0};

	/* unshare(CLONE_NEWNS) gives this thread an fs_struct of its own:
	 * the other threads stay in the caller's namespace, at its root */
	s->fd = mnts_ns_seed(s->orig_ns, &ignored);
}

struct mnts_replay_seed *mnts_replay_seed_start(const struct mnts_replay_opts *opts)
{
	struct mnts_replay_seed *s;
	struct rlimit rl;

	if (opts->target != MNTS_REPLAY_NEW || opts->root_dir || opts->dry_run ||
	    !mnts_split_worth_it())
		return NULL;
	/* its few fds beside the reader's: under a tight limit the reader or
	 * the preflight would meet EMFILE, which the preflight must report */
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur < 256)
		return NULL;
	s = xcalloc(1, sizeof(*s));
	s->fd = -1;
	s->orig_ns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (s->orig_ns >= 0)
		mnts_helper_start(&s->thread, make_seed, s);
	if (s->orig_ns < 0 || !s->thread.running) {
		if (s->orig_ns >= 0)
			close(s->orig_ns);
		free(s);
		return NULL;
	}
	return s;
}

/* The seed (the caller closes it), or -1. */
static int seed_take(struct mnts_replay_seed *s)
{
	if (!s)
		return -1;
	mnts_helper_join(&s->thread);
	return TAKE_FD(s->fd);
}

void mnts_replay_seed_free(struct mnts_replay_seed *s)
{
	int fd = seed_take(s);

	if (!s)
		return;
	if (fd >= 0)
		close(fd);
	close(s->orig_ns);
	free(s);
}

/* The id of the -t/-m target's mount namespace, 0 when none or unknown
 * (the planner only looks there first; the preflight reports errors). */
static uint64_t target_ns_id(const struct mnts_replay_opts *opts)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -1;
	uint64_t id = 0;

	if (opts->target == MNTS_REPLAY_NEW)
		return 0;
	path = opts->target == MNTS_REPLAY_PID ? xasprintf("/proc/%d/ns/mnt", (int)opts->pid)
					       : xstrdup(opts->nsfile);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWNS || mnts_mnt_ns_id(fd, &id) < 0)
		return 0;
	return id;
}

/* Plans snap on the facts of this host, gathered into *host (the caller
 * frees it, after the plan: while the executor runs, off its path); what
 * needs no host facts first, while the live table is still being read on
 * the other CPU.  Returns: 0 or -errno. */
static int plan_here(struct mnts_plan *plan, const struct mnts_snapshot *snap,
		     const struct mnts_plan_opts *popts, struct mnts_live_prefetch *live,
		     struct mnts_host *host, struct mnts_error *err)
{
	/* the live mounts by ids beside the planning that needs none: at
	 * 50,000 superblocks 5 to 20 ms each */
	struct mnts_host_ids *ids = mnts_host_ids_start(snap, popts, live);
	int r = mnts_plan_begin(plan, snap, popts, err);

	if (r < 0) {
		mnts_host_ids_free(ids);
		return r;
	}
	r = mnts_host_gather(host, snap, popts, live, ids, err);
	if (r < 0) {
		mnts_plan_done(plan);
		return r;
	}
	return mnts_plan_finish(plan, host, err);
}

/* A replay done, its executor waiting for the verdict (replay.h). */
struct mnts_replay_txn {
	pid_t pid;
	int sock;
	struct sigaction old_sa[ARRAY_SIZE(caught_signals)];
	/* --new: for an executor that dies without a word */
	int new_dir_fd; /* or -1 */
	struct mnts_strv labels;
	struct mnts_strv stale; /* those a stale pin file stood at: kept */
	char *dir_created;	/* DIR, when replay made it */
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
	mnts_strv_clear(&t->stale);
	free(t->dir_created);
	if (!kept)
		restore_signals(t->old_sa);
	free(t);
}

/* After an executor that died without reporting: pins it may have made
 * are ours (DIR/LABEL did not exist before, or was a stale pin file, which
 * stays), take them away. */
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
		if (!mnts_strv_contains(&t->stale, label))
			unlinkat(t->new_dir_fd, label, 0);
	}
}

static int interrupted_error(struct mnts_error *err)
{
	const char *name = sigabbrev_np((int)interrupted);

	mnts_err(err, 0, "interrupted by SIG%s: everything replayed was undone", name ? name : "?");
	return -EINTR;
}

/* Whether the executor wrote on sock already (or closed it). */
static bool executor_spoke(int sock)
{
	char c;

	return recv(sock, &c, 1, MSG_PEEK | MSG_DONTWAIT) >= 0 || errno != EAGAIN;
}

/* Reads the executor's next report and, on DONE or EOF, reaps it.
 * Returns: its phase, or -errno with err filled (it failed and undid what
 * it did, or it died). */
static int executor_report(struct mnts_replay_txn *t, struct mnts_error *err)
{
	struct exec_result res = {0};
	ssize_t n = recv_all(t->sock, &res, sizeof(res), true);
	bool kept = n == (ssize_t)sizeof(res) && res.rc >= 0;
	int status = 0;

	if (n == (ssize_t)sizeof(res) && res.phase == RESULT_READY)
		return RESULT_READY;
	/* a replay kept: the executor still closes what it no longer needs
	 * (executor_kept()), and is reaped with us if not done yet */
	while (waitpid(t->pid, &status, kept ? WNOHANG : 0) < 0 && errno == EINTR)
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

/* The plan and the live table of a replay the process ends with, once the
 * executor runs: kept (reachable) until the exit.  The executor shares
 * every page of ours until it exits, and freeing them wrote to those
 * pages: each was copied, with a TLB shootdown on the executor's CPU, and
 * malloc_trim() shot down more.  Deep 10k: 101 -> 90 ms without
 * verification; flat 50k with verification 518 -> 490 ms. */
struct left_to_exit {
	struct mnts_plan plan;
	struct mnts_host host;
	struct left_to_exit *next;
};

static struct left_to_exit *left_to_exit;

static void leave_to_exit(struct mnts_plan *plan, struct mnts_host *host)
{
	struct left_to_exit *l = xmalloc(sizeof(*l));

	*l = (struct left_to_exit){*plan, *host, left_to_exit};
	left_to_exit = l;
	*plan = (struct mnts_plan){0};
	*host = (struct mnts_host){0};
}

/* Forks the executor, and lets go of plan and host (the executor runs
 * its own copy): freed, or left to the exit (opts->leave_to_exit).
 * Returns: 0 with *ret_txn waiting for the verdict, or -errno with
 * everything undone; *ret_assumed_wrong tells a failure because a live
 * mount the plan assumed is not as the snapshot saw it (livecheck.h). */
static int execute(struct mnts_plan *plan, struct mnts_host *host, const struct mnts_exec_env *env,
		   const struct mnts_replay_opts *opts, char *dir_created,
		   struct mnts_replay_txn **ret_txn, bool *ret_assumed_wrong,
		   struct mnts_error *err)
{
	struct mnts_replay_txn *t = xcalloc(1, sizeof(*t));
	struct mnts_livecheck *lc = NULL;
	struct mnts_exec_env e = *env;
	int sv[2], r;
	pid_t pid;

	*ret_assumed_wrong = false;
	t->sock = -1;
	t->new_dir_fd = -1;
	t->dir_created = dir_created;
	if (env->new_dir_fd >= 0) {
		t->new_dir_fd = fcntl(env->new_dir_fd, F_DUPFD_CLOEXEC, 3);
		for (size_t n = 0; n < plan->n_nss; n++) {
			char *userns_pin = mnts_plan_userns_pin(plan, n);

			const char *names[] = {plan->nss[n].ns->label, userns_pin};

			for (size_t k = 0; k < ARRAY_SIZE(names) && names[k]; k++) {
				mnts_strv_push(&t->labels, names[k]);
				if (mnts_pin_state(env->new_dir_fd, names[k]) == MNTS_PIN_STALE)
					mnts_strv_push(&t->stale, names[k]);
			}
			free(userns_pin);
		}
	}
	r = mnts_livecheck_new(plan, &host->live, &lc, err);
	if (r < 0)
		goto fail;
	e.livecheck = lc;
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
		run_child(plan, &e, sv[1]);
	}
	mnts_livecheck_start(lc);
	close(sv[1]);
	t->sock = sv[0];
	t->pid = pid;
	executor_pid = pid;
	if (interrupted) /* it came before executor_pid was set */
		kill(pid, SIGTERM);
	if (opts->leave_to_exit) {
		leave_to_exit(plan, host);
	} else {
		/* while it runs, on another CPU */
		mnts_plan_done(plan);
		mnts_host_done(host);
		/* what is free goes back to the kernel: malloc would hand
		 * it out again, shared with the executor */
		malloc_trim(0);
	}
	plan = NULL;
	/* after the checks: the executor waits for their verdicts, and the
	 * hook would take the CPU they run on; not for an executor that
	 * reported already (it failed) or a replay being undone */
	if (opts->while_executing && !interrupted && !executor_spoke(t->sock)) {
		mnts_livecheck_finish(lc);
		if (!interrupted && !mnts_livecheck_failed(lc) && !executor_spoke(t->sock))
			opts->while_executing(opts->while_executing_data);
	}
	r = executor_report(t, err);
	if (r == RESULT_READY) {
		/* every assumed mount was confirmed before it was cloned */
		mnts_livecheck_free(lc);
		*ret_txn = t;
		return 0;
	}
	if (r >= 0) /* DONE without READY: cannot happen */
		r = mnts_err(err, EPROTO, "replay executor: no report of the replay");
	*ret_assumed_wrong = r < 0 && !interrupted && mnts_livecheck_failed(lc);
fail:
	mnts_livecheck_free(lc);
	if (plan)
		mnts_plan_done(plan);
	if (t->dir_created)
		rmdir(t->dir_created);
	txn_free(t, false);
	return r;
}

/* replay -n --json: the warnings, for the document */
static struct mnts_strv warnings;

static void collect_warning(const char *msg)
{
	mnts_strv_push(&warnings, msg);
}

/* The problems as the error: the first, and how many more. */
static int problems_error(const struct mnts_findings *f, struct mnts_error *err)
{
	if (f->n == 1)
		return mnts_err(err, 0, "%s: %s", f->v[0].item, f->v[0].text);
	return mnts_err(err, 0, "%zu problems, the first: %s: %s", f->n, f->v[0].item,
			f->v[0].text);
}

/* --mkdir: DIR made (0700: the pins are the caller's) and opened.  Returns:
 * 0 or -errno. */
static int make_new_dir(struct mnts_preflight *pf, const char *dir, struct mnts_error *err)
{
	if (mkdir(dir, 0700) < 0)
		return mnts_err(err, errno, "--new '%s': mkdir", dir);
	/* each call checked at once: realpath() after a failed open() would
	 * leave its own errno (EINVAL from readlink) in place of EMFILE */
	pf->new_dir_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (pf->new_dir_fd >= 0)
		pf->new_dir_abs = realpath(dir, NULL);
	if (pf->new_dir_fd < 0 || !pf->new_dir_abs) {
		int r = mnts_err(err, errno, "--new: cannot open '%s'", dir);

		rmdir(dir);
		return r;
	}
	return 0;
}

int mnts_replay(const struct mnts_snapshot *snap, const struct mnts_replay_opts *opts,
		struct mnts_replay_txn **ret_txn, struct mnts_error *err)
{
	struct mnts_replay_txn *txn = NULL;
	struct mnts_findings problems = {0};
	struct mnts_plan_opts popts = {
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
	    .problems = &problems,
	    .dry_run = opts->dry_run,
	    .target_ns_id = target_ns_id(opts),
	    /* a dry run has no executor to check them */
	    .assume_live = !opts->dry_run,
	};
	unsigned long mount_max = 0;
	struct mnts_plan plan;
	struct mnts_host host = {0};
	/* its descriptors closed by mnts_preflight_done() on every way out:
	 * 0 would be stdin */
	struct mnts_preflight pf = MNTS_PREFLIGHT_INIT;
	struct mnts_exec_env env = {.orig_ns = -1,
				    .target_ns = -1,
				    .new_dir_fd = -1,
				    .root_dir = opts->root_dir,
				    .userns_fd = -1,
				    .seed_ns = -1};
	bool planned, assumed_wrong;
	int r;

	/* warnings said while planning go into the JSON too */
	if (opts->dry_run && opts->plan_json)
		mnts_warn_hook = collect_warning;
	if (opts->target != MNTS_REPLAY_NEW && !opts->root_dir) {
		r = mnts_err(err, 0,
			     "--target/--mount: replacing the root of a live namespace is not "
			     "supported (graft under a directory with --root DIR)");
		planned = false;
		goto out;
	}
	if (opts->root_dir && opts->root_dir[0] != '/') {
		r = mnts_err(err, 0, "--root '%s': not an absolute path", opts->root_dir);
		planned = false;
		goto out;
	}
	/* the same warnings from a second plan are not said again */
	mnts_warn_once(popts.assume_live);
	for (;;) {
		r = plan_here(&plan, snap, &popts, opts->live, &host, err);
		mount_max = host.mount_max;
		planned = r >= 0;
		for (size_t i = 0; planned && i < plan.warnings.n; i++)
			mnts_warn("%s", plan.warnings.v[i]);
		/* a plan refused for its mounts is checked on: every problem at once;
		 * any other error (a bad option, the host unreadable) stops here */
		if (!planned && !problems.n)
			goto out;
		r = mnts_preflight_run(&pf, planned ? &plan : NULL, opts, mount_max, err);
		if (r < 0)
			goto out;
		r = 0;
		for (size_t i = 0; i < pf.problems.n; i++)
			mnts_findings_add(&problems, pf.problems.v[i].item, "%s",
					  pf.problems.v[i].text);
		for (size_t i = 0; i < pf.warnings.n; i++)
			mnts_warn("%s: %s", pf.warnings.v[i].item, pf.warnings.v[i].text);
		if (opts->dry_run && opts->plan_json) {
			struct mnts_error jerr = {0};

			if (mnts_plan_json(planned ? &plan : NULL, opts, &warnings, &problems,
					   opts->plan_out ? opts->plan_out : stdout, &jerr) < 0 &&
			    !problems.n) {
				*err = jerr;
				r = mnts_err_ret(err);
			}
		} else if (opts->dry_run && planned && !problems.n) {
			mnts_plan_print(&plan, opts->plan_out ? opts->plan_out : stdout);
		}
		if (problems.n) {
			r = problems_error(&problems, err);
			goto out;
		}
		if (r < 0 || opts->dry_run)
			goto out;

		env.fail_at_step = opts->fail_at_step;
		if (env.orig_ns < 0)
			env.orig_ns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
		if (env.orig_ns < 0) {
			r = mnts_err(err, errno, "open '/proc/self/ns/mnt'");
			goto out;
		}
		if (pf.new_dir_make) {
			r = make_new_dir(&pf, opts->new_dir, err);
			if (r < 0)
				goto out;
		}
		env.userns_fd = pf.userns_fd;
		env.target_ns = pf.target_ns;
		env.new_dir_fd = pf.new_dir_fd;
		env.new_dir = pf.new_dir_abs;
		if (env.seed_ns < 0)
			env.seed_ns = seed_take(opts->seed);
		r = execute(&plan, &host, &env, opts,
			    pf.new_dir_make ? xstrdup(opts->new_dir) : NULL, &txn, &assumed_wrong,
			    err);
		planned = false; /* execute() let go of it */
		/* a live mount the plan assumed is not as the snapshot saw it:
		 * undone, and planned again on the whole live table (once) */
		if (!assumed_wrong || !popts.assume_live || interrupted)
			break;
		mnts_debug(2, "live mounts: %s; reading them all", err->msg);
		*err = (struct mnts_error){0};
		popts.assume_live = false;
		mnts_host_done(&host);
		mnts_preflight_done(&pf);
	}
	if (r >= 0) {
		if (ret_txn)
			*ret_txn = txn;
		else
			r = mnts_replay_commit(txn, err);
	}
out:
	if (r < 0 && opts->problems && problems.n) {
		mnts_findings_clear(opts->problems);
		*opts->problems = problems;
		problems = (struct mnts_findings){0};
	}
	mnts_findings_clear(&problems);
	mnts_warn_once(false);
	mnts_warn_hook = NULL;
	mnts_strv_clear(&warnings);
	if (env.orig_ns >= 0)
		close(env.orig_ns);
	if (env.seed_ns >= 0)
		close(env.seed_ns);
	mnts_preflight_done(&pf);
	if (planned)
		mnts_plan_done(&plan);
	mnts_host_done(&host);
	return r;
}
