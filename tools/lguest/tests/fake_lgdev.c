// SPDX-License-Identifier: GPL-2.0
/*
 * A scripted host, for testing the whole Launcher (main.c included)
 * without /dev/lguest: tests/lguest-fake is the Launcher linked with this
 * file instead of lgdev.c.  LGUEST_FAKE names the scenario, i.e. what
 * the "guest" does each time the run loop asks it to run:
 *
 *   poweroff  prints through the 8250 (port I/O), then powers off
 *   console   probes the virtio console with MMIO instructions the way
 *             Linux's virtio-mmio driver does, prints through transmitq,
 *             waits for stdin to arrive in receiveq, then powers off
 *   died      dies; the host's reason is "Kernel panic - not syncing: test"
 *   restart   asks for a reboot, then (started again by the same
 *             Launcher, in a new open file) prints and powers off
 *   signal    is interrupted by SIGTERM
 *   idle      prints "zzz" and then runs until the Launcher is stopped
 *             (for terminal tests: three Ctrl-C, signals)
 *   badreason returns a pending record with an unknown reason
 *   short     returns a short pending record
 *
 * Everything the fake host sees goes to stderr as "fake: ..." lines, and
 * "fake: FAIL ..." when the Launcher did something wrong.  The first run
 * of each guest reports who the Launcher is by then ("fake: run as uid N
 * gid N", and "in the jail" if a file /lguest-fake-jail exists, which the
 * tests put in a --chroot directory); after --username or --chroot, each
 * open also asks the /dev/lguest helper of privs.c for a file and says
 * what it answered.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>
#include "lguest.h"

static const char *scenario;
static uint32_t regs[LGUEST_NR_REGS];
static unsigned int step;
static unsigned int irqs;
static int fails;
/* One open file is one guest: a second INITIALIZE is EBUSY. */
static bool initialized;
static bool first_run;

static __printf(1, 2) void fail(const char *fmt, ...);

static void fail(const char *fmt, ...)
{
	va_list ap;

	fails++;
	fputs("fake: FAIL ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* The fake host pins no guest memory: there is no limit to make room in. */
int lgdev_memlock(unsigned int mem_mb, bool drop_ids)
{
	(void)mem_mb;
	(void)drop_ids;
	return 0;
}

int lgdev_open(const char *path)
{
	scenario = getenv("LGUEST_FAKE");
	if (!scenario) {
		errorf("cannot open %s: LGUEST_FAKE is not set (this is the test Launcher)",
		       path);
		return -1;
	}
	fprintf(stderr, "fake: open %s, scenario %s\n", path, scenario);
	/*
	 * After --username or --chroot the real lgdev_open() asks the
	 * helper of privs.c; ask it too, to see that it still answers.
	 */
	if (opener_running()) {
		int fd = opener_open();

		fprintf(stderr, "fake: the helper answers: %s\n",
			fd >= 0 ? "opened" : strerror(errno));
		if (fd >= 0)
			close(fd);
		else if (errno == EPIPE)
			fail("the /dev/lguest helper is gone");
	}
	initialized = false;
	first_run = true;
	return 0;
}

int lgdev_initialize(uint32_t base, uint32_t mem_pages, uint32_t start,
		     uint32_t mmio_pages)
{
	fprintf(stderr, "fake: INITIALIZE mem_pages=%u start=0x%x mmio_pages=%u\n",
		mem_pages, start, mmio_pages);
	if (initialized)
		fail("INITIALIZE twice on one open file");
	initialized = true;
	if (base != (uint32_t)(uintptr_t)guest_mem.base)
		fail("base 0x%x is not guest memory", base);
	if (mem_pages != guest_mem.size / PAGE_SIZE)
		fail("mem_pages %u", mem_pages);
	if (mmio_pages != mem_pages + ndevices)
		fail("mmio_pages %u, want %u", mmio_pages, mem_pages + ndevices);
	regs[LGUEST_REG_ESI] = 0xbad;
	regs[LGUEST_REG_EIP] = start;
	return 0;
}

uint32_t vcpu_getreg(enum lguest_reg reg)
{
	return reg < LGUEST_NR_REGS ? regs[reg] : 0;
}

void vcpu_setreg(enum lguest_reg reg, uint32_t val)
{
	if (reg >= LGUEST_REG_EFLAGS)
		fail("SETREG of read-only register %u", reg);
	else
		regs[reg] = val;
}

void vcpu_irq(unsigned int irq)
{
	if (irq == 0 || irq >= LGUEST_IRQS)
		fail("IRQ %u", irq);
	__atomic_fetch_add(&irqs, 1, __ATOMIC_SEQ_CST);
}

/* This host answers no device register: the Launcher keeps them all. */
void vcpu_irq_status(unsigned int irq, uint32_t bits)
{
	fail("IRQ %u with status 0x%x, but no status register was given", irq,
	     bits);
}

int lgdev_irq_status(unsigned int irq, uint32_t status, uint32_t ack)
{
	(void)irq;
	(void)status;
	(void)ack;
	errno = EINVAL;
	return -1;
}

int lgdev_ioeventfd(uint32_t gpa, int fd)
{
	(void)gpa;
	(void)fd;
	errno = EINVAL;
	return -1;
}

void vcpu_trap(unsigned int trapnr)
{
	fprintf(stderr, "fake: trap %u at eip 0x%x\n", trapnr,
		regs[LGUEST_REG_EIP]);
}

ssize_t lgdev_death_reason(char *buf, size_t size)
{
	snprintf(buf, size, "Kernel panic - not syncing: test\n");
	return strlen(buf);
}

/* The guest executes an instruction: the Launcher must emulate it. */
static ssize_t insn(struct lguest_pending *p, uint32_t reason, uint32_t addr,
		    const uint8_t *bytes, size_t n)
{
	memset(p, 0, sizeof(*p));
	p->reason = reason;
	p->addr = addr;
	p->insn_len = n;
	memcpy(p->insn, bytes, n);
	return sizeof(*p);
}

static ssize_t out_char(struct lguest_pending *p, char c)
{
	static const uint8_t out_dx_al[] = { 0xee };

	regs[LGUEST_REG_EDX] = 0x3f8;
	regs[LGUEST_REG_EAX] = (uint8_t)c;
	return insn(p, LGUEST_PENDING_PIO, 0, out_dx_al, 1);
}

static ssize_t result(ssize_t ret, int err)
{
	errno = err;
	return ret;
}

/* Print s through the serial port, one run per character. */
static bool print_serial(struct lguest_pending *p, const char *s,
			 unsigned int *i, ssize_t *ret)
{
	if (!s[*i])
		return false;
	*ret = out_char(p, s[(*i)++]);
	return true;
}

/* ---- the console scenario: a virtio-mmio driver in a script ---- */

enum op_kind { W, R, CALL, END };

struct op {
	enum op_kind kind;
	uint32_t off;
	uint32_t val;		/* written, or expected */
	void (*fn)(void);
};

#define RINGS		0x200000u
#define BUFS		0x300000u
#define QSIZE		8

/* Part 0 (descriptors), 1 (driver area) or 2 (device area) of queue q */
#define RING(q, part)	(RINGS + (q) * 0x10000 + (part) * 0x1000)

static uint32_t ring(unsigned int q, unsigned int part)
{
	return RING(q, part);
}

static void *gp(uint32_t gpa)
{
	return guest_ptr(gpa, 1);
}

static void post_buffers(void)
{
	struct vring_desc *rx = gp(ring(0, 0)), *tx = gp(ring(1, 0));
	struct vring_avail *rxa = gp(ring(0, 1)), *txa = gp(ring(1, 1));
	static const char msg[] = "hello from hvc0\n";
	unsigned int i;

	for (i = 0; i < 4; i++) {
		rx[i].addr = BUFS + i * 0x100;
		rx[i].len = 16;
		rx[i].flags = VRING_DESC_F_WRITE;
		rxa->ring[i] = i;
	}
	rxa->idx = 4;
	memcpy(gp(BUFS + 0x1000), msg, strlen(msg));
	tx[0].addr = BUFS + 0x1000;
	tx[0].len = strlen(msg);
	txa->ring[0] = 0;
	txa->idx = 1;
}

/* Wait, as a guest would for an interrupt, for stdin to come in. */
static void wait_input(void)
{
	struct vring_used *used = gp(ring(0, 2));
	char got[64] = "";
	unsigned int i, n, len = 0;

	for (i = 0; i < 500; i++) {
		if (__atomic_load_n(&used->idx, __ATOMIC_ACQUIRE) >= 1)
			break;
		usleep(10000);
	}
	n = __atomic_load_n(&used->idx, __ATOMIC_ACQUIRE);
	for (i = 0; i < n && i < 4; i++) {
		uint32_t l = used->ring[i].len;

		if (l > 16 || len + l >= sizeof(got))
			break;
		memcpy(got + len, gp(BUFS + used->ring[i].id * 0x100), l);
		len += l;
	}
	got[len] = '\0';
	fprintf(stderr, "fake: received '%s' in %u buffers, %u interrupts\n",
		got, n, __atomic_load_n(&irqs, __ATOMIC_SEQ_CST));
}

static const struct op console_ops[] = {
	{ R, VIRTIO_MMIO_MAGIC_VALUE, 0x74726976 },
	{ R, VIRTIO_MMIO_VERSION, 2 },
	{ R, VIRTIO_MMIO_DEVICE_ID, 3 },
	{ W, VIRTIO_MMIO_STATUS, 0 },
	{ R, VIRTIO_MMIO_STATUS, 0 },
	{ W, VIRTIO_MMIO_STATUS, 1 },
	{ W, VIRTIO_MMIO_STATUS, 3 },
	{ W, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1 },
	{ R, VIRTIO_MMIO_DEVICE_FEATURES, 1 },
	{ W, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0 },
	{ R, VIRTIO_MMIO_DEVICE_FEATURES, 0 },
	{ W, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1 },
	{ W, VIRTIO_MMIO_DRIVER_FEATURES, 1 },
	{ W, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0 },
	{ W, VIRTIO_MMIO_DRIVER_FEATURES, 0 },
	{ W, VIRTIO_MMIO_STATUS, 0xb },
	{ R, VIRTIO_MMIO_STATUS, 0xb },
	/* receiveq */
	{ W, VIRTIO_MMIO_QUEUE_SEL, 0 },
	{ R, VIRTIO_MMIO_QUEUE_READY, 0 },
	{ R, VIRTIO_MMIO_QUEUE_NUM_MAX, 128 },
	{ W, VIRTIO_MMIO_QUEUE_NUM, QSIZE },
	{ W, VIRTIO_MMIO_QUEUE_DESC_LOW, RING(0, 0) },
	{ W, VIRTIO_MMIO_QUEUE_DESC_HIGH, 0 },
	{ W, VIRTIO_MMIO_QUEUE_AVAIL_LOW, RING(0, 1) },
	{ W, VIRTIO_MMIO_QUEUE_AVAIL_HIGH, 0 },
	{ W, VIRTIO_MMIO_QUEUE_USED_LOW, RING(0, 2) },
	{ W, VIRTIO_MMIO_QUEUE_USED_HIGH, 0 },
	{ W, VIRTIO_MMIO_QUEUE_READY, 1 },
	{ R, VIRTIO_MMIO_QUEUE_READY, 1 },
	/* transmitq */
	{ W, VIRTIO_MMIO_QUEUE_SEL, 1 },
	{ R, VIRTIO_MMIO_QUEUE_READY, 0 },
	{ R, VIRTIO_MMIO_QUEUE_NUM_MAX, 128 },
	{ W, VIRTIO_MMIO_QUEUE_NUM, QSIZE },
	{ W, VIRTIO_MMIO_QUEUE_DESC_LOW, RING(1, 0) },
	{ W, VIRTIO_MMIO_QUEUE_DESC_HIGH, 0 },
	{ W, VIRTIO_MMIO_QUEUE_AVAIL_LOW, RING(1, 1) },
	{ W, VIRTIO_MMIO_QUEUE_AVAIL_HIGH, 0 },
	{ W, VIRTIO_MMIO_QUEUE_USED_LOW, RING(1, 2) },
	{ W, VIRTIO_MMIO_QUEUE_USED_HIGH, 0 },
	{ W, VIRTIO_MMIO_QUEUE_READY, 1 },
	{ R, VIRTIO_MMIO_QUEUE_READY, 1 },
	{ CALL, .fn = post_buffers },
	{ W, VIRTIO_MMIO_QUEUE_NOTIFY, 0 },
	{ W, VIRTIO_MMIO_QUEUE_NOTIFY, 1 },	/* before DRIVER_OK: waits */
	{ W, VIRTIO_MMIO_STATUS, 0xf },		/* now it is printed */
	{ R, VIRTIO_MMIO_INTERRUPT_STATUS, 1 },
	{ W, VIRTIO_MMIO_INTERRUPT_ACK, 1 },
	{ CALL, .fn = wait_input },
	{ R, VIRTIO_MMIO_STATUS, 0xf },
	{ END },
};

static ssize_t run_console(struct lguest_pending *p)
{
	static const uint8_t store[] = { 0x89, 0x02 };	/* mov %eax,(%edx) */
	static const uint8_t load[] = { 0x8b, 0x02 };	/* mov (%edx),%eax */
	static const uint8_t bad[] = { 0x0f, 0x0b };	/* ud2 */
	static const struct op *last;
	static uint32_t last_eip;
	static unsigned int trap_step, bye;
	uint32_t base = guest_mem.size;
	const struct op *o;
	ssize_t ret;

	if (last && last->kind == R && regs[LGUEST_REG_EAX] != last->val)
		fail("register 0x%x read 0x%x, want 0x%x", last->off,
		     regs[LGUEST_REG_EAX], last->val);
	if (last && regs[LGUEST_REG_EIP] != last_eip + 2)
		fail("eip 0x%x after register 0x%x, want 0x%x",
		     regs[LGUEST_REG_EIP], last->off, last_eip + 2);
	last = NULL;
	for (o = &console_ops[step]; o->kind == CALL; o = &console_ops[++step])
		o->fn();
	if (o->kind == END) {
		/* An instruction we cannot emulate, then goodbye. */
		if (!trap_step++) {
			last_eip = regs[LGUEST_REG_EIP];
			return insn(p, LGUEST_PENDING_MMIO, base, bad, 2);
		}
		if (trap_step == 2 && regs[LGUEST_REG_EIP] != last_eip)
			fail("eip moved after a #GP");
		trap_step = 3;
		if (print_serial(p, "bye\n", &bye, &ret))
			return ret;
		return 0;
	}
	step++;
	last = o;
	last_eip = regs[LGUEST_REG_EIP];
	regs[LGUEST_REG_EDX] = base + o->off;
	if (o->kind == W) {
		regs[LGUEST_REG_EAX] = o->val;
		return insn(p, LGUEST_PENDING_MMIO, base + o->off, store, 2);
	}
	regs[LGUEST_REG_EAX] = 0x5a5a5a5a;
	return insn(p, LGUEST_PENDING_MMIO, base + o->off, load, 2);
}

ssize_t vcpu_run(struct lguest_pending *p)
{
	static unsigned int chars;
	ssize_t ret;

	if (first_run) {
		first_run = false;
		if (regs[LGUEST_REG_ESI] != BOOT_PARAMS_ADDR)
			fail("esi is 0x%x at the first run, not boot_params",
			     regs[LGUEST_REG_ESI]);
		fprintf(stderr, "fake: run as uid %u gid %u%s\n",
			(unsigned int)getuid(), (unsigned int)getgid(),
			access("/lguest-fake-jail", F_OK) ? "" : " in the jail");
	}
	if (!initialized)
		fail("running a guest that was not initialized");
	if (fails)
		return result(-1, ENOENT);

	if (!strcmp(scenario, "poweroff")) {
		if (print_serial(p, "ok\n", &chars, &ret))
			return ret;
		return 0;
	}
	if (!strcmp(scenario, "console"))
		return run_console(p);
	if (!strcmp(scenario, "died"))
		return result(-1, ENOENT);
	if (!strcmp(scenario, "restart")) {
		if (getenv("LGUEST_FAKE_RESTARTED")) {
			if (print_serial(p, "restarted\n", &chars, &ret))
				return ret;
			return 0;
		}
		setenv("LGUEST_FAKE_RESTARTED", "1", 1);
		return result(-1, ERESTART);
	}
	if (!strcmp(scenario, "signal")) {
		if (step++ == 0) {
			kill(getpid(), SIGTERM);
			return result(-1, EINTR);
		}
		fail("still running after SIGTERM");
		return 0;
	}
	if (!strcmp(scenario, "idle")) {
		if (print_serial(p, "zzz\n", &chars, &ret))
			return ret;
		usleep(20000);
		return result(-1, EINTR);
	}
	if (!strcmp(scenario, "badreason")) {
		memset(p, 0, sizeof(*p));
		p->reason = 99;
		return sizeof(*p);
	}
	if (!strcmp(scenario, "short"))
		return 5;
	fail("unknown scenario %s", scenario);
	return 0;
}
