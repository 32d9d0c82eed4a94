// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the Launcher, without a host: they link the Launcher's
 * parts with a fake virtual CPU (fake_vcpu.c) and give it guest memory
 * in a buffer of their own.
 *
 *   tests/unit [--vmlinux=FILE] [--bzimage=FILE] [-v]
 *
 * FILEs are a 32-bit kernel build's vmlinux and arch/x86/boot/bzImage;
 * the loader tests that need them are skipped (and counted as such)
 * without them.  The last line is "N passed, N failed, N skipped"; the
 * exit status is 1 if anything failed.
 *
 * This file is the runner and what the tests share (unit.h); the tests are
 * in the other files of tests/, each of which adds its own with
 * UNIT_TEST(), so that a part of the Launcher comes with its tests.
 */
#include "unit.h"

int passed, failed, skipped;
const char *group = "";
const char *vmlinux_path, *bzimage_path;
bool test_verbose;

void check(bool ok, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		passed++;
		if (!test_verbose)
			return;
		printf("ok   %s: ", group);
	} else {
		failed++;
		printf("FAIL %s (%s:%d): ", group, file, line);
	}
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (!ok && last_error[0])
		printf(" [last error: %s]", last_error);
	putchar('\n');
}

/* A function, so that a and b are evaluated once. */
void check_eq(uint64_t a, uint64_t b, const char *file, int line,
	      const char *what)
{
	check(a == b, file, line, "%s: got 0x%llx, want 0x%llx", what,
	      (unsigned long long)a, (unsigned long long)b);
}

/* cond held and the last error mentions substr */
void check_err(bool cond, const char *substr, const char *file, int line)
{
	check(cond && strstr(last_error, substr), file, line,
	      "error mentions \"%s\"", substr);
}

void skip(const char *why)
{
	skipped++;
	printf("SKIP %s: %s\n", group, why);
}

uint8_t *ram;

void clear_error(void)
{
	last_error[0] = '\0';
}

/* ---------------------------------------------------------------- */
/* Options                                                           */

enum parse_result parse(struct config *cfg, int argc, ...)
{
	static char *argv[32];
	va_list ap;
	int i;

	va_start(ap, argc);
	argv[0] = "lguest";
	for (i = 1; i < argc && i < 31; i++)
		argv[i] = va_arg(ap, char *);
	argv[i] = NULL;
	va_end(ap);
	clear_error();
	return parse_args(argc, argv, cfg);
}

/* parse() with an array: argv[0] is added */
enum parse_result parse_args_n(struct config *cfg, int n, char **args)
{
	static char *argv[64];
	int i;

	argv[0] = "lguest";
	for (i = 0; i < n && i < 62; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	clear_error();
	return parse_args(i + 1, argv, cfg);
}

/* How many options of the kind of device --OPTION were kept */
unsigned int device_args(const struct config *cfg, const char *option)
{
	unsigned int i, n = 0;

	for (i = 0; i < cfg->ndevices; i++)
		n += !strcmp(cfg->devices[i].type->option, option);
	return n;
}

/* The argument of the n-th of them, or NULL */
const char *device_arg(const struct config *cfg, const char *option,
		       unsigned int n)
{
	unsigned int i;

	for (i = 0; i < cfg->ndevices; i++)
		if (!strcmp(cfg->devices[i].type->option, option) && !n--)
			return cfg->devices[i].arg;
	return NULL;
}

/* ---------------------------------------------------------------- */
/* Loading kernels                                                   */

uint8_t *slurp(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	FILE *f = fopen(path, "rb");

	if (!f)
		return NULL;
	buf = fstat(fileno(f), &st) < 0 ? NULL : malloc(st.st_size + 1);
	if (!buf || fread(buf, 1, st.st_size, f) != (size_t)st.st_size) {
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	*len = st.st_size;
	return buf;
}

/* mkdtemp() fills in the XXXXXX of a copy of the template */
char tmpdir[sizeof(TMPDIR_TEMPLATE)];

char tmp_files[MAX_TMP][256];
unsigned int ntmp;
const char *rmdir_at_end;

/* A file in tmpdir, removed at the end: its path. */
const char *write_tmp(const char *name, const void *data, size_t len)
{
	char *p;
	FILE *f;

	if (ntmp >= MAX_TMP) {
		fprintf(stderr, "too many temporary files\n");
		exit(2);
	}
	p = tmp_files[ntmp++];

	snprintf(p, sizeof(tmp_files[0]), "%s/%s", tmpdir, name);
	f = fopen(p, "wb");
	if (!f || fwrite(data, 1, len, f) != len) {
		perror(p);
		exit(2);
	}
	fclose(f);
	return p;
}

/* ---------------------------------------------------------------- */
/* Helpers for the device tests                                      */

/*
 * Run fn in a child process, for what cannot be undone in this one
 * (a new uid, a chroot, a network namespace); its checks count here.
 */
void in_child(const char *what, void (*fn)(void))
{
	int counts[3], p[2], st = 0;
	ssize_t n;
	pid_t pid;

	fflush(stdout);
	if (pipe(p) < 0) {
		CHECK(false, "%s: pipe: %s", what, strerror(errno));
		return;
	}
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		passed = 0;
		failed = 0;
		skipped = 0;
		fn();
		counts[0] = passed;
		counts[1] = failed;
		counts[2] = skipped;
		fflush(stdout);
		if (write(p[1], counts, sizeof(counts)) < 0)
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	n = pid < 0 ? -1 : read(p[0], counts, sizeof(counts));
	close(p[0]);
	if (pid > 0)
		waitpid(pid, &st, 0);
	if (n != sizeof(counts)) {
		CHECK(false, "%s: the test process died (status 0x%x)", what, st);
		return;
	}
	passed += counts[0];
	failed += counts[1];
	skipped += counts[2];
}

/* ---------------------------------------------------------------- */
/* Emulation: port I/O and MMIO through handle_pending()             */

int out_pipe[2];

size_t drain(char *buf, size_t size)
{
	ssize_t n = read(out_pipe[0], buf, size - 1);

	buf[n > 0 ? n : 0] = '\0';
	return n > 0 ? n : 0;
}

void pending(uint32_t reason, uint32_t addr, const uint8_t *insn,
	     size_t n)
{
	struct lguest_pending p;

	memset(&p, 0, sizeof(p));
	p.reason = reason;
	p.addr = addr;
	p.insn_len = n;
	memcpy(p.insn, insn, n);
	handle_pending(&p);
}

static int by_order(const void *a, const void *b)
{
	const struct unit_test *x = *(const struct unit_test *const *)a;
	const struct unit_test *y = *(const struct unit_test *const *)b;

	return (x->order > y->order) - (x->order < y->order);
}

/* Every test, lowest order first */
static void run_tests(void)
{
	size_t i, n = __stop_unit_tests - __start_unit_tests;
	const struct unit_test **t = malloc(n * sizeof(*t));

	if (!t) {
		fprintf(stderr, "out of memory for %zu tests\n", n);
		exit(2);
	}
	memcpy(t, __start_unit_tests, n * sizeof(*t));
	qsort(t, n, sizeof(*t), by_order);
	for (i = 0; i < n; i++) {
		group = t[i]->name;
		if (test_verbose)
			printf("---- %s\n", t[i]->name);
		t[i]->run();
	}
	free(t);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "vmlinux", required_argument, NULL, 'l' },
		{ "bzimage", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "v", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			vmlinux_path = optarg;
			break;
		case 'b':
			bzimage_path = optarg;
			break;
		case 'v':
			test_verbose = true;
			break;
		default:
			fprintf(stderr, "usage: %s [--vmlinux=FILE] [--bzimage=FILE] [-v]\n",
				argv[0]);
			return 2;
		}
	}
	errors_quiet = true;
	memcpy(tmpdir, TMPDIR_TEMPLATE, sizeof(tmpdir));
	if (!mkdtemp(tmpdir) || pipe(out_pipe) < 0 ||
	    fcntl(out_pipe[0], F_SETFL, O_NONBLOCK) < 0) {
		perror("setup");
		return 2;
	}
	ram = aligned_alloc(PAGE_SIZE, TEST_MEM);
	if (!ram || guest_memory_use(ram, TEST_MEM)) {
		fprintf(stderr, "cannot allocate %u MiB of fake guest memory\n",
			TEST_MEM / MiB);
		return 2;
	}
	run_tests();

	while (ntmp)
		unlink(tmp_files[--ntmp]);
	if (rmdir_at_end)
		rmdir(rmdir_at_end);
	rmdir(tmpdir);
	printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
	return failed ? 1 : 0;
}

