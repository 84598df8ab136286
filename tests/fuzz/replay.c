/* replay.c - runs a fuzz harness (reader_fuzz.c, or spec_fuzz.c for
 * tests/fuzz/spec_replay) over a seed corpus without libFuzzer, for
 * `make check`.
 *
 *   tests/fuzz/replay FILE|DIR...
 *
 * Each file (a directory: each file in it, sorted) is given to
 * LLVMFuzzerTestOneInput() in a child process, so that one crash is
 * reported as that file's failure and the others still run.  Prints TAP:
 * "ok N - FILE (read|refused)" or "not ok N - FILE: ...".  Exits 1 when a
 * file failed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/core/readfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* What the harness's parser does with text, for the report: 0 read, 1
 * refused.  Defined next to LLVMFuzzerTestOneInput. */
int fuzz_verdict(const char *text, size_t len, const char *path);

static int n_tests, n_failed;

static void report(const char *path, bool ok, const char *why)
{
	n_tests++;
	n_failed += !ok;
	printf("%sok %d - %s%s%s\n", ok ? "" : "not ", n_tests, path, ok ? " " : ": ", why);
	fflush(stdout);
}

/* The harness on one file, in a child. */
static void run_one(const char *path)
{
	char why[256];
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		report(path, false, strerror(errno));
		return;
	}
	if (pid == 0) {
		char *text;
		size_t len;
		int fd = open(path, O_RDONLY | O_CLOEXEC);

		if (fd < 0 || mnts_read_fd(fd, &text, &len) < 0)
			_exit(3);
		LLVMFuzzerTestOneInput((const uint8_t *)text, len);
		_exit(fuzz_verdict(text, len, path));
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) <= 1)
		report(path, true, WEXITSTATUS(status) ? "(refused)" : "(read)");
	else if (WIFEXITED(status))
		snprintf(why, sizeof(why), "cannot be read (exit status %d)", WEXITSTATUS(status));
	else
		snprintf(why, sizeof(why), "killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	if (!WIFEXITED(status) || WEXITSTATUS(status) > 1)
		report(path, false, why);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static void run_dir(const char *dir)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, by_name);

	if (n < 0) {
		report(dir, false, strerror(errno));
		return;
	}
	for (int i = 0; i < n; i++) {
		char path[4096];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (names[i]->d_name[0] != '.' && stat(path, &st) == 0 && S_ISREG(st.st_mode))
			run_one(path);
		free(names[i]);
	}
	free(names);
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
			run_dir(argv[i]);
		else
			run_one(argv[i]);
	}
	printf("1..%d\n", n_tests);
	return n_failed ? 1 : 0;
}
