/* timeit.c - runs one command and prints
 * "WALL_MS MAXRSS_KB STATUS USER_MS SYS_MS".
 *
 * The benchmark harness measures every command with this rather than with
 * bash's `time`, so that the shell's own fork and the redirections are not
 * part of the measurement: the clock starts right before fork() and stops when
 * wait4() returns.  Peak RSS comes from wait4()'s rusage, which is the largest
 * of the child and its waited-for descendants (a pipeline run by `bash -c`
 * reports its largest stage).  User and system CPU time are the child's and
 * its waited-for descendants' (rusage too): they tell the command's own work
 * (user) from the kernel's (sys), whose cost per mount grows with the number
 * of mounts on the machine.
 *
 *   timeit [-i IN] [-o OUT] [-t SECONDS] -- COMMAND [ARG...]
 *
 * STATUS is the exit code, 128+N for a signal, or 124 when -t expired.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static volatile sig_atomic_t expired;

static void on_alarm(int sig)
{
	(void)sig;
	expired = 1;
}

static int redirect(const char *path, int flags, int target)
{
	int fd = open(path, flags | O_CLOEXEC, 0644);

	if (fd < 0 || dup2(fd, target) < 0)
		return -1;
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	const char *in = NULL, *out = NULL;
	unsigned timeout = 0;
	struct rusage ru;
	int opt, status;
	double start, wall;
	pid_t pid;

	while ((opt = getopt(argc, argv, "+i:o:t:")) != -1) {
		switch (opt) {
		case 'i':
			in = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 't':
			timeout = (unsigned)strtoul(optarg, NULL, 10);
			break;
		default:
			fprintf(stderr, "usage: timeit [-i IN] [-o OUT] [-t SEC] -- CMD [ARG...]\n");
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "timeit: no command\n");
		return 2;
	}

	start = now_ms();
	pid = fork();
	if (pid < 0) {
		perror("timeit: fork");
		return 2;
	}
	if (pid == 0) {
		if ((in && redirect(in, O_RDONLY, 0) < 0) ||
		    (out && redirect(out, O_WRONLY | O_CREAT | O_TRUNC, 1) < 0)) {
			perror("timeit: redirect");
			_exit(127);
		}
		/* Own process group, so that a timeout can end a whole pipeline. */
		setpgid(0, 0);
		execvp(argv[optind], argv + optind);
		perror("timeit: exec");
		_exit(127);
	}
	setpgid(pid, pid);
	if (timeout) {
		struct sigaction sa = { .sa_handler = on_alarm };

		sigaction(SIGALRM, &sa, NULL);
		alarm(timeout);
	}
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			perror("timeit: wait4");
			return 2;
		}
		if (expired)
			kill(-pid, SIGKILL);
	}
	wall = now_ms() - start;
	if (expired)
		status = 124;
	else if (WIFEXITED(status))
		status = WEXITSTATUS(status);
	else
		status = 128 + WTERMSIG(status);
	printf("%.3f %ld %d %.3f %.3f\n", wall, ru.ru_maxrss, status,
	       ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3,
	       ru.ru_stime.tv_sec * 1e3 + ru.ru_stime.tv_usec / 1e3);
	return 0;
}
