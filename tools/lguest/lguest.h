/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The lguest Launcher: declarations shared by its parts.
 *
 *   main.c     setup, the run loop, guest restarts, signals
 *   options.c  command line parsing and --help
 *   memory.c   guest memory
 *   loader.c   kernel and initrd loading, boot_params
 *   decode.c   decoding the guest's in/out and MMIO instructions
 *   emulate.c  port I/O (the 8250 early console) and MMIO dispatch
 *   device.c   the device table: a page and an interrupt line each,
 *              and the kinds of device (device.h)
 *   privs.c    dropping privileges (--username, --chroot) and the helper
 *              that opens /dev/lguest for a restarted guest afterwards
 *   lgdev.c    the requests to /dev/lguest
 *   util.c     messages, exit statuses, stop requests, threads, the
 *              terminal
 *
 * Each kind of device is a file of its own, which adds itself to the
 * table of kinds with DEVICE_TYPE() and declares what the unit tests use
 * of it in a header of its own; the virtio devices build on the layers of
 * virtio.h.
 *
 * Everything but main.c and lgdev.c is also linked into the unit tests
 * (tests/unit.c), which put a fake virtual CPU in place of lgdev.c; and
 * tests/lguest-fake is the whole Launcher with a scripted fake host
 * (tests/fake_lgdev.c) in place of lgdev.c.
 */
#ifndef LGUEST_LAUNCHER_H
#define LGUEST_LAUNCHER_H

#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <sys/types.h>
#include <asm/bootparam.h>
#include <linux/lguest_launcher.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

/*
 * The kernel's attribute macros, which a userspace program does not get
 * from the exported headers (tools/include/linux/compiler-gcc.h has the
 * same ones for the kernel's other tools).
 */
#ifndef __printf
#define __printf(a, b)	__attribute__((format(printf, a, b)))
#endif
#ifndef __noreturn
#define __noreturn	__attribute__((noreturn))
#endif
#ifndef __maybe_unused
#define __maybe_unused	__attribute__((unused))
#endif
#ifndef __used
#define __used		__attribute__((used))
#endif
#ifndef __weak
#define __weak		__attribute__((weak))
#endif
#ifndef __section
#define __section(s)	__attribute__((section(s)))
#endif

#define PAGE_SIZE	4096u

/* Exit statuses, as documented in --help and Documentation/launcher.md. */
enum {
	EXIT_POWEROFF = 0,	/* the guest powered off */
	EXIT_SETUP = 1,		/* usage or setup error */
	EXIT_GUEST = 2,		/* the guest died, crashed or was killed */
	EXIT_INTERNAL = 3,	/* a bug or an unexpected failure in here */
};

/* util.c */
extern bool verbose;
extern bool errors_quiet;
extern char last_error[512];
__printf(1, 2) void errorf(const char *fmt, ...);
__printf(1, 2) void vmsg(const char *fmt, ...);
__printf(2, 3) void __noreturn fatal(int status, const char *fmt, ...);
void __noreturn lguest_exit(int status);
void vdump(const char *what, const uint8_t *bytes, size_t len);
void set_main_thread(void);
__printf(2, 3) void request_stop(int status, const char *fmt, ...);
bool stop_requested(int *status, char *msg, size_t size);
bool stop_is_pending(void);
void stop_signalled(void);
int term_raw(int fd);
void term_restore(void);

/*
 * A device's thread: it waits for one file and for wake-ups from the main
 * thread (a pipe), and ends when dev_thread_stop() tells it to.
 */
struct dev_thread {
	const char *name;	/* the device's, for messages */
	const char *what;	/* what the thread does: "input", "receive" */
	int wake[2];		/* the wake-up pipe, -1 while not started */
	pthread_t tid;
	bool started;
	bool stopping;		/* atomic: the thread must end */
};

void dev_thread_init(struct dev_thread *t, const char *name, const char *what);
int dev_thread_start(struct dev_thread *t, void *(*fn)(void *), void *arg);
void dev_thread_wake(struct dev_thread *t);
void dev_thread_stop(struct dev_thread *t);
int dev_thread_wait(struct dev_thread *t, int fd);

#include "device.h"

/* options.c */
#define MEM_MB_MIN	32
#define MEM_MB_MAX	2048
struct config {
	bool verbose;
	const char *initrd;
	unsigned int mem_mb;
	const char *kernel;
	/* The kernel arguments the user gave, in order. */
	int nargs;
	const char *const *args;
	/* The device options, in the order they were given. */
	unsigned int ndevices;
	struct device_arg devices[MAX_DEVICES];
	bool doorbells;
	/* Who the Launcher becomes once the guest is set up (or NULL). */
	const char *username;
	const char *chroot;
};

enum parse_result { PARSE_RUN, PARSE_HELP, PARSE_ERROR };
enum parse_result parse_args(int argc, char **argv, struct config *cfg);
void print_usage(FILE *f);

/* loader.c */
struct guest_memory {
	uint8_t *base;
	uint32_t size;		/* bytes of RAM, a multiple of PAGE_SIZE */
	bool mapped;		/* our own mapping (not a unit test's buffer) */
};

extern struct guest_memory guest_mem;

/* Where the Launcher puts things in guest-physical memory. */
#define BOOT_PARAMS_ADDR	0x0u
#define CMDLINE_ADDR		0x1000u
/* The memory map: RAM up to the legacy hole, and again from 1 MiB. */
#define LOW_RAM_END		0x9f000u
#define HIGH_RAM_START		0x100000u
#define CMDLINE_MAX		2048u	/* the x86 COMMAND_LINE_SIZE */
#define LOW_RESERVED_END	(CMDLINE_ADDR + CMDLINE_MAX)

struct boot_info {
	bool bzimage;
	/*
	 * The guest runs the bzImage's own decompressor, with its setup
	 * header in boot_params (hdr).
	 */
	bool own_decompressor;
	struct setup_header hdr;
	uint32_t entry;		/* guest-physical */
	uint32_t kernel_start;	/* lowest byte of the loaded kernel */
	uint32_t kernel_end;	/* first byte after it (bss included) */
	uint32_t initrd_addr;	/* 0 if there is no initrd */
	uint32_t initrd_size;
	uint16_t boot_flag;	/* copied from the bzImage */
	uint32_t header;
};

/*
 * The kernel and initrd stay open while the Launcher runs: a restarted
 * guest is loaded from them again, even after a chroot.
 */
struct boot_files {
	int kernel;
	int initrd;		/* -1 without an initrd */
};

/* memory.c */
int guest_memory_map(unsigned int mem_mb);
int guest_memory_use(void *buf, uint32_t size);
void guest_memory_clear(void);
void *guest_ptr(uint64_t gpa, uint64_t len);

/* loader.c */
int load_kernel_file(const char *path, struct boot_info *bi);
int load_kernel_image(const char *path, const uint8_t *img, size_t len,
		      struct boot_info *bi);
int build_cmdline(char *buf, size_t size, int nargs,
		  const char *const *args);
int setup_boot_params(const struct boot_info *bi, const char *cmdline);
int boot_open(const struct config *cfg, struct boot_files *bf);
void boot_close(struct boot_files *bf);
int boot_load(const struct config *cfg, const struct boot_files *bf,
	      struct boot_info *bi);
int boot_setup(const struct config *cfg, struct boot_info *bi);

/* decode.c */
struct pio_insn {
	bool out;		/* out (true) or in (false) */
	unsigned int size;	/* operand size: 1, 2 or 4 */
	bool port_in_dx;	/* the port is in dx, not in the instruction */
	uint16_t port;		/* the immediate port, if !port_in_dx */
	unsigned int len;	/* instruction length in bytes */
};

struct mmio_insn {
	bool write;		/* a store to device memory */
	unsigned int size;	/* bytes accessed in device memory */
	bool has_imm;		/* the stored value is imm, not a register */
	uint32_t imm;
	int reg;		/* x86 register number (0 = eax ... 7 = edi) */
	bool reg8;		/* reg is al, cl, dl, bl, ah, ch, dh or bh */
	unsigned int reg_size;	/* bytes of the register read or written */
	unsigned int len;	/* instruction length in bytes */
};

#define INSN_MAX	15	/* the longest x86 instruction */

int decode_pio(const uint8_t *insn, size_t avail, struct pio_insn *pio);
int decode_mmio(const uint8_t *insn, size_t avail, struct mmio_insn *mmio);

/* emulate.c */
void handle_pending(const struct lguest_pending *p);
void emulate_reset(void);
extern int serial_out_fd;

/* lgdev.c (or the fake one in tests/) */
int lgdev_memlock(unsigned int mem_mb, bool drop_ids);
int lgdev_open(const char *path);
int lgdev_initialize(uint32_t base, uint32_t mem_pages, uint32_t start,
		     uint32_t mmio_pages);
uint32_t vcpu_getreg(enum lguest_reg reg);
void vcpu_setreg(enum lguest_reg reg, uint32_t val);
void vcpu_irq(unsigned int irq);
void vcpu_irq_status(unsigned int irq, uint32_t bits);
void vcpu_trap(unsigned int trapnr);
int lgdev_irq_status(unsigned int irq, uint32_t status, uint32_t ack);
int lgdev_ioeventfd(uint32_t gpa, int fd);
ssize_t vcpu_run(struct lguest_pending *p);
ssize_t lgdev_death_reason(char *buf, size_t size);

/* privs.c */
struct creds {
	bool set_ids;		/* --username: become uid/gid */
	uid_t uid;
	gid_t gid;
	const char *root;	/* --chroot: the new root, or NULL */
};

int creds_prepare(const struct config *cfg, const char *passwd_file,
		  struct creds *c);
int creds_drop(const struct creds *c);
int opener_start(const char *path);
bool opener_running(void);
int opener_open(void);
void opener_stop(void);

#endif /* LGUEST_LAUNCHER_H */
