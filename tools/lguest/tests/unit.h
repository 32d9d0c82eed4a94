/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the unit tests share: checks, fake guest memory, temporary files,
 * children, and the table of tests, to which each test file adds its own
 * with UNIT_TEST().
 */
#ifndef LGUEST_UNIT_H
#define LGUEST_UNIT_H

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <asm/bootparam.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>
#include "lguest.h"
#include "fake_vcpu.h"

#define MiB		(1024u * 1024u)
#define TEST_MEM	(64 * MiB)

/*
 * A test: run() makes its checks in group.  The runner runs them in
 * order, lowest first.
 */
struct unit_test {
	const char *name;
	void (*run)(void);
	unsigned int order;
};

#define UNIT_TEST(fn, ord)						\
	static const struct unit_test unit_test_##fn = {		\
		.name = #fn, .run = fn, .order = ord,			\
	};								\
	static const struct unit_test *const unit_test_ptr_##fn	\
	__used __section("unit_tests") = &unit_test_##fn

/* The linker brackets the tests' section with these. */
extern const struct unit_test *const __start_unit_tests[];
extern const struct unit_test *const __stop_unit_tests[];

__printf(4, 5) void check(bool ok, const char *file, int line,
			  const char *fmt, ...);
void check_eq(uint64_t a, uint64_t b, const char *file, int line,
	      const char *what);
void check_err(bool cond, const char *substr, const char *file, int line);

#define CHECK(cond, ...)	check((cond), __FILE__, __LINE__, __VA_ARGS__)
#define CHECK_EQ(a, b, what)	check_eq((a), (b), __FILE__, __LINE__, what)
/* cond held and the last error mentions substr */
#define CHECK_ERR(cond, substr)	check_err((cond), substr, __FILE__, __LINE__)

/* mkdtemp() fills in the XXXXXX of a copy of the template */
#define TMPDIR_TEMPLATE	"/tmp/lguest-unit.XXXXXX"
#define MAX_TMP	32

extern int passed, failed, skipped;
extern const char *group;
extern const char *vmlinux_path, *bzimage_path;
extern bool test_verbose;
void skip(const char *why);
extern uint8_t *ram;
void clear_error(void);
enum parse_result parse(struct config *cfg, int argc, ...);
enum parse_result parse_args_n(struct config *cfg, int n, char **args);
unsigned int device_args(const struct config *cfg, const char *option);
const char *device_arg(const struct config *cfg, const char *option,
		       unsigned int n);
uint8_t *slurp(const char *path, size_t *len);
extern char tmpdir[sizeof(TMPDIR_TEMPLATE)];
extern char tmp_files[MAX_TMP][256];
extern unsigned int ntmp;
extern const char *rmdir_at_end;
const char *write_tmp(const char *name, const void *data, size_t len);
void in_child(const char *what, void (*fn)(void));
extern int out_pipe[2];
size_t drain(char *buf, size_t size);
void pending(uint32_t reason, uint32_t addr, const uint8_t *insn,
	     size_t n);

#define PIO(...) do {							\
		static const uint8_t b_[] = { __VA_ARGS__ };		\
		pending(LGUEST_PENDING_PIO, 0, b_, sizeof(b_));		\
	} while (0)
#define MMIO(addr, ...) do {						\
		static const uint8_t b_[] = { __VA_ARGS__ };		\
		pending(LGUEST_PENDING_MMIO, addr, b_, sizeof(b_));	\
	} while (0)

#endif /* LGUEST_UNIT_H */
