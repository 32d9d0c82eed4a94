// SPDX-License-Identifier: GPL-2.0
/*
 * lgbench: micro-benchmarks for the paths a paravirt kernel changes.
 *
 * Each figure is the median over several runs of a fixed number of
 * iterations, each run preceded by a warm-up.  Output, one line per figure:
 *
 *   BENCH <name> <median> <unit> min=<v> max=<v> runs=<n> iters=<n>
 *
 * after a "BENCH-INFO" line (clock resolution, page size), and followed by
 * "BENCH-DONE".
 *
 * In an lguest guest whose kernel shows its host's counters in debugfs
 * (lguest/host_stats, mounted at /sys/kernel/debug), each figure is
 * followed by what it cost the host per operation, over the timed part
 * of all runs:
 *
 *   BENCH-EXITS <name> exits=<v> <counter>=<v>...
 *
 * listing every counter that moved by at least 0.01 per operation, and
 * "nullhcall" measures a hypercall that does nothing (guest only).
 * Besides the micro-benchmarks there are three figures of whole work:
 * "spin" (user-mode computation, where only the timer and the host's
 * interrupts cost anything), "script" (a busybox shell script running
 * ten programs) and "gzip" (busybox gzip on a megabyte of text); and,
 * with LGBENCH_DISK=PATH, "blkread" and "blkread4k", sequential 1 MB and
 * 4 KB reads of PATH.
 * Build: gcc -m32 -static -O2 -Wall.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_RUNS	31
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define STATS_PATH	"/sys/kernel/debug/lguest/host_stats"
#define NULL_HCALL_PATH	"/sys/kernel/debug/lguest/null_hcall"
#define MAX_STATS	256

struct bench {
	const char *name;
	const char *unit;
	/* iterations per run at scale 1 */
	long iters;
	/* runs @iters iterations, returns elapsed nanoseconds */
	uint64_t (*run)(long iters);
	/* nanoseconds are divided by this to give one unit */
	double ns_per_unit;
};

static int runs = 7;
static double scale = 1.0;
static long page_size;

/* The host's counters, as lguest/host_stats shows them. */
struct stats {
	int n;
	char name[MAX_STATS][32];
	unsigned long long v[MAX_STATS];
};

/*
 * Whether the counters are there; what reading them costs (the least
 * seen, subtracted from every window); the sum over a figure's windows.
 */
static int have_stats, counting;
static struct stats stats_cost, stats_sum, stats_begin;

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("lgbench: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts))
		die("clock_gettime(CLOCK_MONOTONIC): %s", strerror(errno));
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int read_stats(struct stats *s)
{
	FILE *f = fopen(STATS_PATH, "r");

	if (!f)
		return 0;
	for (s->n = 0; s->n < MAX_STATS; s->n++) {
		if (fscanf(f, "%31s %llu", s->name[s->n], &s->v[s->n]) != 2)
			break;
	}
	fclose(f);
	return s->n > 0;
}

/* d = b - a, counter by counter. */
static void stats_delta(struct stats *d, const struct stats *a,
			const struct stats *b)
{
	int i;

	*d = *b;
	for (i = 0; i < b->n && i < a->n; i++)
		d->v[i] = b->v[i] - a->v[i];
}

/*
 * What one read of the counters costs (in the counters), from a few
 * reads in a row: the least each one moved.  (Exits that come with time,
 * the host's and the guest's timer interrupts, are not deterministic: a
 * slower machine counts more of them.)
 */
static void calibrate_stats(void)
{
	struct stats a, b, d;
	int r, i;

	have_stats = read_stats(&a);
	if (!have_stats)
		return;
	stats_cost.n = 0;
	for (r = 0; r < 5; r++) {
		if (!read_stats(&b))
			die("%s went away", STATS_PATH);
		stats_delta(&d, &a, &b);
		for (i = 0; i < d.n; i++) {
			if (!r || d.v[i] < stats_cost.v[i])
				stats_cost.v[i] = d.v[i];
		}
		stats_cost.n = d.n;
		a = b;
	}
}

/* The timed part of a run: begin() and end() around it. */
static uint64_t begin(void)
{
	if (have_stats && counting && !read_stats(&stats_begin))
		die("%s went away", STATS_PATH);
	return now_ns();
}

static uint64_t end(uint64_t t0)
{
	uint64_t t = now_ns() - t0;
	struct stats b, d;
	int i;

	if (!have_stats || !counting)
		return t;
	if (!read_stats(&b))
		die("%s went away", STATS_PATH);
	stats_delta(&d, &stats_begin, &b);
	for (i = 0; i < d.n; i++) {
		stats_sum.v[i] += d.v[i] > stats_cost.v[i] ?
				  d.v[i] - stats_cost.v[i] : 0;
		strcpy(stats_sum.name[i], d.name[i]);
	}
	stats_sum.n = d.n;
	return t;
}

static void print_exits(const char *name, long ops)
{
	double per_op;
	int i;

	if (!have_stats)
		return;
	printf("BENCH-EXITS %s", name);
	for (i = 0; i < stats_sum.n; i++) {
		per_op = (double)stats_sum.v[i] / ops;
		if (!i || per_op >= 0.01)
			printf(" %s=%.2f", stats_sum.name[i], per_op);
	}
	printf("\n");
}

/* Keep both processes of a measurement on one CPU. */
static void pin_to_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity(cpu 0): %s", strerror(errno));
}

static uint64_t run_getpid(long iters)
{
	uint64_t t0 = begin();
	long i;

	for (i = 0; i < iters; i++)
		syscall(SYS_getpid);
	return end(t0);
}

/* One iteration: map 64 pages, write to each one, unmap them. */
#define FAULT_PAGES	64

static uint64_t run_pagefault(long iters)
{
	size_t len = FAULT_PAGES * page_size;
	uint64_t t0 = begin();
	long i, p;

	for (i = 0; i < iters; i++) {
		/* munmap() gets the pointer: the stores cannot be elided */
		char *mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (mem == MAP_FAILED)
			die("mmap(%zu bytes): %s", len, strerror(errno));
		for (p = 0; p < FAULT_PAGES; p++)
			mem[p * page_size] = 1;
		if (munmap(mem, len))
			die("munmap: %s", strerror(errno));
	}
	return end(t0);
}

static uint64_t run_fork(long iters)
{
	uint64_t t0 = begin();
	long i;

	for (i = 0; i < iters; i++) {
		int status;
		pid_t pid = fork();

		if (pid < 0)
			die("fork: %s", strerror(errno));
		if (pid == 0)
			_exit(0);
		if (waitpid(pid, &status, 0) != pid)
			die("waitpid: %s", strerror(errno));
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			die("fork child exited with status 0x%x", status);
	}
	return end(t0);
}

static void xread(int fd, char *c)
{
	ssize_t n;

	do {
		n = read(fd, c, 1);
	} while (n < 0 && errno == EINTR);
	if (n != 1)
		die("pipe read: %s", n ? strerror(errno) : "end of file");
}

static void xwrite(int fd, char c)
{
	ssize_t n;

	do {
		n = write(fd, &c, 1);
	} while (n < 0 && errno == EINTR);
	if (n != 1)
		die("pipe write: %s", strerror(errno));
}

/*
 * A byte goes to the child through one pipe and comes back through the
 * other.  Both processes are pinned to CPU 0, so each round trip is two
 * context switches even on an SMP kernel.
 */
static uint64_t run_pipe(long iters)
{
	int to_child[2], to_parent[2];
	uint64_t t0, t;
	int status;
	pid_t pid;
	long i;
	char c = 0;

	if (pipe(to_child) || pipe(to_parent))
		die("pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		close(to_child[1]);
		close(to_parent[0]);
		for (;;) {
			ssize_t n = read(to_child[0], &c, 1);

			if (n == 0)
				_exit(0);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				_exit(1);
			}
			xwrite(to_parent[1], c);
		}
	}
	close(to_child[0]);
	close(to_parent[1]);

	t0 = begin();
	for (i = 0; i < iters; i++) {
		xwrite(to_child[1], c);
		xread(to_parent[0], &c);
	}
	t = end(t0);

	close(to_child[1]);
	close(to_parent[0]);
	if (waitpid(pid, &status, 0) != pid)
		die("waitpid: %s", strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		die("pipe child exited with status 0x%x", status);
	return t;
}

/*
 * Work in user mode that makes no system call: what the timer tick and
 * the host's interrupts take from it.  In a guest, the exits per
 * operation over the timer expiries per operation are the exits a tick
 * costs.
 */
#define SPIN_LOOPS	100000

static volatile unsigned int spin_sink;

static uint64_t run_spin(long iters)
{
	uint64_t t0 = begin();
	unsigned int j;
	long i;

	for (i = 0; i < iters; i++) {
		for (j = 0; j < SPIN_LOOPS; j++)
			spin_sink += j;
	}
	return end(t0);
}

/*
 * Work a user would recognise, with busybox: a shell script that forks
 * and execs ten programs, and gzip compressing a megabyte of text.
 */
#define GZIP_INPUT	"/tmp/lgbench-gzip.in"
#define GZIP_BYTES	(1 << 20)

static void run_program(char *const argv[], const char *out)
{
	int status, fd;
	pid_t pid = fork();

	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		if (out) {
			fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
			if (fd < 0 || dup2(fd, 1) < 0)
				_exit(126);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		die("waitpid: %s", strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		die("%s exited with status 0x%x", argv[0], status);
}

static uint64_t run_script(long iters)
{
	char *const argv[] = { "/bin/sh", "-c",
		"for i in 0 1 2 3 4 5 6 7 8 9; do /bin/true; done", NULL };
	uint64_t t0 = begin();
	long i;

	for (i = 0; i < iters; i++)
		run_program(argv, NULL);
	return end(t0);
}

/* Text that compresses about as well as source code: words from a list. */
static void make_gzip_input(void)
{
	static const char *const words[] = {
		"static", "int", "return", "struct", "if", "else", "for",
		"unsigned", "long", "void", "const", "char", "while", "page",
		"guest", "host", "the", "of", "(i = 0;", "{\n", "}\n", "\n\t",
	};
	uint64_t x = 88172645463325252ull;
	size_t n = 0;
	FILE *f;

	if (!access(GZIP_INPUT, R_OK))
		return;
	f = fopen(GZIP_INPUT, "w");
	if (!f)
		die("%s: %s", GZIP_INPUT, strerror(errno));
	while (n < GZIP_BYTES) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		n += fprintf(f, "%s ", words[x % ARRAY_SIZE(words)]);
	}
	if (fclose(f))
		die("%s: %s", GZIP_INPUT, strerror(errno));
}

static uint64_t run_gzip(long iters)
{
	char *const argv[] = { "/bin/gzip", "-c", GZIP_INPUT, NULL };
	uint64_t t0;
	long i;

	make_gzip_input();
	t0 = begin();
	for (i = 0; i < iters; i++)
		run_program(argv, "/dev/null");
	return end(t0);
}

/*
 * Sequential reads of chunk bytes from the disk in $LGBENCH_DISK (a file
 * on the host; the same file as the guest's virtio-blk disk, read with
 * O_DIRECT so that each read reaches the device), from its start,
 * wrapping around: 1 MB reads (blkread) measure throughput, 4 KB reads
 * (blkread4k) what a request costs.
 */
#define BLK_CHUNK	(1 << 20)
#define BLK_SMALL	4096

static const char *disk;
static long disk_chunks;

static uint64_t blk_reads(long iters, size_t chunk)
{
	struct stat st;
	uint64_t t0, t;
	void *buf;
	long i;
	int fd;

	fd = open(disk, O_RDONLY);
	if (fd < 0 || fstat(fd, &st))
		die("%s: %s", disk, strerror(errno));
	if (S_ISBLK(st.st_mode)) {
		close(fd);
		fd = open(disk, O_RDONLY | O_DIRECT);
		if (fd < 0)
			die("%s: O_DIRECT: %s", disk, strerror(errno));
	}
	if (posix_memalign(&buf, 4096, chunk))
		die("out of memory");
	t0 = begin();
	for (i = 0; i < iters; i++) {
		off_t at = (off_t)(i % (disk_chunks * (BLK_CHUNK / chunk))) *
			   chunk;

		if (pread(fd, buf, chunk, at) != (ssize_t)chunk)
			die("%s: read at %lld: %s", disk, (long long)at,
			    strerror(errno));
	}
	t = end(t0);
	free(buf);
	close(fd);
	return t;
}

static uint64_t run_blkread(long iters)
{
	return blk_reads(iters, BLK_CHUNK);
}

static uint64_t run_blkread4k(long iters)
{
	return blk_reads(iters, BLK_SMALL);
}

/* One write of the count to null_hcall: iters hypercalls in the guest. */
static uint64_t run_nullhcall(long iters)
{
	char buf[32];
	uint64_t t0, t;
	int fd, len;

	fd = open(NULL_HCALL_PATH, O_WRONLY);
	if (fd < 0)
		die("%s: %s", NULL_HCALL_PATH, strerror(errno));
	len = snprintf(buf, sizeof(buf), "%ld", iters);
	t0 = begin();
	if (write(fd, buf, len) != len)
		die("%s: %s", NULL_HCALL_PATH, strerror(errno));
	t = end(t0);
	close(fd);
	return t;
}

static struct bench benches[] = {
	{ "nullhcall",	"ns/call",	100000,	run_nullhcall,	1.0 },
	{ "getpid",	"ns/call",	1000000, run_getpid,	1.0 },
	{ "pagefault",	"ns/fault",	1000,	run_pagefault,	1.0 },
	{ "fork",	"us/fork",	1000,	run_fork,	1000.0 },
	{ "pipe",	"us/roundtrip",	8000,	run_pipe,	1000.0 },
	{ "spin",	"us/100k-loops", 2000,	run_spin,	1000.0 },
	{ "script",	"ms/script",	40,	run_script,	1000000.0 },
	{ "gzip",	"ms/MB",	10,	run_gzip,	1000000.0 },
	{ "blkread",	"ms/MB",	256,	run_blkread,	1000000.0 },
	{ "blkread4k",	"us/read",	4000,	run_blkread4k,	1000.0 },
};

#define NR_BENCHES	ARRAY_SIZE(benches)

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void measure(const struct bench *b)
{
	long iters = b->iters * scale;
	long ops, warm;
	double v[MAX_RUNS];
	int r;

	/* Where there is no lguest host to call, there is no figure. */
	if (b->run == run_nullhcall && access(NULL_HCALL_PATH, W_OK))
		return;
	if ((b->run == run_blkread || b->run == run_blkread4k) && !disk)
		return;
	if (iters < 1)
		iters = 1;
	warm = iters / 10 ? iters / 10 : 1;
	/* the page-fault benchmark does FAULT_PAGES faults per iteration */
	ops = iters * (b->run == run_pagefault ? FAULT_PAGES : 1);

	memset(&stats_sum, 0, sizeof(stats_sum));
	for (r = 0; r < runs; r++) {
		b->run(warm);
		counting = 1;
		v[r] = b->run(iters) / b->ns_per_unit / ops;
		counting = 0;
	}
	qsort(v, runs, sizeof(v[0]), cmp_double);
	printf("BENCH %s %.3f %s min=%.3f max=%.3f runs=%d iters=%ld\n",
	       b->name, v[runs / 2], b->unit, v[0], v[runs - 1], runs, ops);
	print_exits(b->name, ops * runs);
	fflush(stdout);
}

static void usage(void)
{
	size_t i;

	fprintf(stderr, "usage: lgbench [-r RUNS] [-s SCALE] [NAME]...\n"
		"  -r RUNS   runs per figure, median reported (1..%d, default 7)\n"
		"  -s SCALE  multiply every iteration count (default 1.0)\n"
		"  NAME      figures to measure (default all):", MAX_RUNS);
	for (i = 0; i < NR_BENCHES; i++)
		fprintf(stderr, " %s", benches[i].name);
	fputs("\n  LGBENCH_DISK=PATH: the file or disk blkread and blkread4k"
	      " read (neither without it)\n", stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	struct timespec res;
	char *end;
	size_t i;
	int opt, a;

	while ((opt = getopt(argc, argv, "r:s:h")) != -1) {
		switch (opt) {
		case 'r':
			runs = strtol(optarg, &end, 10);
			if (*end || runs < 1 || runs > MAX_RUNS)
				die("-r %s: want a number of runs from 1 to %d",
				    optarg, MAX_RUNS);
			break;
		case 's':
			scale = strtod(optarg, &end);
			if (*end || scale <= 0)
				die("-s %s: want a positive scale factor",
				    optarg);
			break;
		default:
			usage();
		}
	}

	page_size = sysconf(_SC_PAGESIZE);
	disk = getenv("LGBENCH_DISK");
	if (disk && *disk) {
		int fd = open(disk, O_RDONLY);
		off_t size = fd < 0 ? -1 : lseek(fd, 0, SEEK_END);

		disk_chunks = size / BLK_CHUNK;
		if (disk_chunks < 1)
			die("LGBENCH_DISK=%s: want a file or device of 1 MB or more",
			    disk);
		close(fd);
	} else {
		disk = NULL;
	}
	pin_to_cpu0();
	if (clock_getres(CLOCK_MONOTONIC, &res))
		die("clock_getres(CLOCK_MONOTONIC): %s", strerror(errno));
	calibrate_stats();
	printf("BENCH-INFO clock_res_ns=%ld page_size=%ld scale=%g runs=%d exits=%s\n",
	       res.tv_nsec + res.tv_sec * 1000000000L, page_size, scale, runs,
	       have_stats ? "yes" : "no");

	for (a = optind; a < argc; a++) {
		for (i = 0; i < NR_BENCHES; i++)
			if (!strcmp(argv[a], benches[i].name))
				break;
		if (i == NR_BENCHES)
			die("unknown benchmark '%s' (run lgbench -h for the list)",
			    argv[a]);
	}

	for (i = 0; i < NR_BENCHES; i++) {
		if (optind < argc) {
			for (a = optind; a < argc; a++)
				if (!strcmp(argv[a], benches[i].name))
					break;
			if (a == argc)
				continue;
		}
		measure(&benches[i]);
	}
	printf("BENCH-DONE\n");
	return 0;
}
