// SPDX-License-Identifier: GPL-2.0
/*
 * Data for the lguest device tests (tests/50-lguest-devices.sh): a
 * pseudo-random stream that any reader can regenerate from its seed, written
 * to and checked on block devices and files, and sent over TCP.
 *
 *   lgio write PATH SEED MB [--flush-each]
 *   lgio verify PATH SEED MB
 *   lgio send IP PORT SEED MB
 *   lgio recv PORT SEED MB
 *
 * The stream's 64-bit word number i is splitmix64(SEED * 2^32 + i), so
 * every MB of it can be checked on its own. write fills the first MB
 * megabytes of PATH and syncs (with --flush-each it fdatasyncs after every
 * megabyte and prints "FLUSHED n" once n megabytes are on disk). verify
 * checks them ("VERIFY OK" or the first bad megabyte). send connects and
 * sends MB megabytes; recv accepts one connection, reads to its end and
 * checks that exactly the stream came ("RECV OK"). Exit status 0 on
 * success. A static i386 program, run in guests and in the host.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MB		(1024 * 1024)
#define WORDS_PER_MB	(MB / 8)

static uint64_t word(uint64_t seed, uint64_t i)
{
	uint64_t z = (seed << 32) + i + 0x9e3779b97f4a7c15ull;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void fill(uint64_t *buf, uint64_t seed, unsigned long mb)
{
	unsigned long i;

	for (i = 0; i < WORDS_PER_MB; i++)
		buf[i] = word(seed, (uint64_t)mb * WORDS_PER_MB + i);
}

static int die(const char *what)
{
	fprintf(stderr, "lgio: %s: %s\n", what, strerror(errno));
	return 1;
}

static int full_write(int fd, const void *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p = (const char *)p + n;
		len -= n;
	}
	return 0;
}

/* Read up to len bytes; fewer only at the end of the stream. */
static ssize_t full_read(int fd, void *p, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (char *)p + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += n;
	}
	return got;
}

static int do_write(const char *path, uint64_t seed, unsigned long mbs,
		    int flush_each)
{
	static uint64_t buf[WORDS_PER_MB];
	unsigned long mb;
	int fd = open(path, O_WRONLY);

	if (fd < 0)
		return die(path);
	for (mb = 0; mb < mbs; mb++) {
		fill(buf, seed, mb);
		if (full_write(fd, buf, MB))
			return die("write");
		if (flush_each) {
			if (fdatasync(fd))
				return die("fdatasync");
			printf("FLUSHED %lu\n", mb + 1);
			fflush(stdout);
		}
	}
	if (fsync(fd) || close(fd))
		return die("fsync");
	printf("WROTE %lu MB\n", mbs);
	return 0;
}

static int do_verify(const char *path, uint64_t seed, unsigned long mbs)
{
	static uint64_t want[WORDS_PER_MB], got[WORDS_PER_MB];
	unsigned long mb;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return die(path);
	for (mb = 0; mb < mbs; mb++) {
		if (full_read(fd, got, MB) != MB)
			return die("read");
		fill(want, seed, mb);
		if (memcmp(want, got, MB)) {
			printf("VERIFY BAD: megabyte %lu differs\n", mb);
			return 1;
		}
	}
	close(fd);
	printf("VERIFY OK %lu MB\n", mbs);
	return 0;
}

static int do_send(const char *ip, int port, uint64_t seed, unsigned long mbs)
{
	static uint64_t buf[WORDS_PER_MB];
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	unsigned long mb;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || inet_pton(AF_INET, ip, &sa.sin_addr) != 1)
		return die("socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		return die("connect");
	for (mb = 0; mb < mbs; mb++) {
		fill(buf, seed, mb);
		if (full_write(fd, buf, MB))
			return die("send");
	}
	if (shutdown(fd, SHUT_WR))
		return die("shutdown");
	/* Wait for the receiver to close: it has read everything then. */
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
	printf("SENT %lu MB\n", mbs);
	return 0;
}

static int do_recv(int port, uint64_t seed, unsigned long mbs)
{
	static uint64_t want[WORDS_PER_MB], got[WORDS_PER_MB];
	struct sockaddr_in sa = {
		.sin_family = AF_INET, .sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_ANY),
	};
	unsigned long mb;
	int one = 1, lfd, fd;
	char extra;

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0)
		return die("socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 1))
		return die("bind");
	printf("LISTENING %d\n", port);
	fflush(stdout);
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		return die("accept");
	for (mb = 0; mb < mbs; mb++) {
		ssize_t n = full_read(fd, got, MB);

		if (n != MB) {
			printf("RECV BAD: %zd bytes of megabyte %lu\n", n, mb);
			return 1;
		}
		fill(want, seed, mb);
		if (memcmp(want, got, MB)) {
			printf("RECV BAD: megabyte %lu differs\n", mb);
			return 1;
		}
	}
	if (full_read(fd, &extra, 1) != 0) {
		printf("RECV BAD: more than %lu MB\n", mbs);
		return 1;
	}
	close(fd);
	close(lfd);
	printf("RECV OK %lu MB\n", mbs);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 5 && !strcmp(argv[1], "write"))
		return do_write(argv[2], strtoull(argv[3], NULL, 0),
				strtoul(argv[4], NULL, 0),
				argc > 5 && !strcmp(argv[5], "--flush-each"));
	if (argc == 5 && !strcmp(argv[1], "verify"))
		return do_verify(argv[2], strtoull(argv[3], NULL, 0),
				 strtoul(argv[4], NULL, 0));
	if (argc == 6 && !strcmp(argv[1], "send"))
		return do_send(argv[2], atoi(argv[3]),
			       strtoull(argv[4], NULL, 0),
			       strtoul(argv[5], NULL, 0));
	if (argc == 5 && !strcmp(argv[1], "recv"))
		return do_recv(atoi(argv[2]), strtoull(argv[3], NULL, 0),
			       strtoul(argv[4], NULL, 0));
	fprintf(stderr,
		"usage: lgio write PATH SEED MB [--flush-each] | verify PATH SEED MB\n"
		"       | send IP PORT SEED MB | recv PORT SEED MB\n");
	return 2;
}
