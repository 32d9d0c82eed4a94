// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: the virtio devices' common layers (virtio.c, virtio_mmio.c,
 * virtqueue.c), through the console (console.c), and the console itself.
 */
#include "console.h"
#include "virtio_driver.h"

/* The console, the first device, which the tests below drive */
static void setup_console(void)
{
	con = console_create(-1, out_pipe[1]);
	if (!con || device_register(con)) {
		fprintf(stderr, "cannot create the console\n");
		exit(2);
	}
	dut = con;
}

/* The console on the guest's command line: its page and line */
static void test_console_cmdline(void)
{
	static const char *const none[] = { NULL };
	char buf[CMDLINE_MAX], want[64];

	snprintf(want, sizeof(want), " virtio_mmio.device=4K@0x%x:%u",
		 con->mmio_addr, con->irq);
	CHECK(build_cmdline(buf, sizeof(buf), 0, none) == 0 &&
	      strstr(buf, want), "the console's \"%s\" in \"%s\"", want,
	      buf);
}

static void test_virtio_regs(void)
{
	group = "virtio-mmio";
	w32(VIRTIO_MMIO_STATUS, 0);
	CHECK_EQ(r32(VIRTIO_MMIO_MAGIC_VALUE), 0x74726976, "magic");
	CHECK_EQ(r32(VIRTIO_MMIO_VERSION), 2, "version 2");
	CHECK_EQ(r32(VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_CONSOLE, "console ID");
	w32(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	CHECK_EQ(r32(VIRTIO_MMIO_DEVICE_FEATURES), 0, "features 0-31: none");
	w32(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	CHECK_EQ(r32(VIRTIO_MMIO_DEVICE_FEATURES), 1, "features 32-63: VERSION_1");
	w32(VIRTIO_MMIO_QUEUE_SEL, 0);
	CHECK(r32(VIRTIO_MMIO_QUEUE_NUM_MAX) >= QSIZE, "receiveq exists");
	w32(VIRTIO_MMIO_QUEUE_SEL, 1);
	CHECK(r32(VIRTIO_MMIO_QUEUE_NUM_MAX) >= QSIZE, "transmitq exists");
	w32(VIRTIO_MMIO_QUEUE_SEL, 2);
	CHECK_EQ(r32(VIRTIO_MMIO_QUEUE_NUM_MAX), 0, "no queue 2 (no multiport)");
	CHECK_EQ(r32(VIRTIO_MMIO_SHM_LEN_LOW), 0xffffffff, "no shared memory");
	CHECK_EQ(con->mmio_read(con, 0x100, 2), 0, "config: cols 0");
	CHECK_EQ(con->mmio_read(con, 0x4, 2), 0xffffffff,
		 "16-bit register read refused");

	/* A driver without VERSION_1 (a legacy one) is refused. */
	w32(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
	    VIRTIO_CONFIG_S_DRIVER);
	w32(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	w32(VIRTIO_MMIO_DRIVER_FEATURES, 0);
	w32(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
	    VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
	CHECK(!(r32(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK),
	      "FEATURES_OK refused without VERSION_1");
	/* ... and one that wants features we did not offer. */
	w32(VIRTIO_MMIO_STATUS, 0);
	w32(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	w32(VIRTIO_MMIO_DRIVER_FEATURES, 1 << 1);	/* MULTIPORT */
	w32(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	w32(VIRTIO_MMIO_DRIVER_FEATURES, 1);
	w32(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_FEATURES_OK);
	CHECK(!(r32(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK),
	      "FEATURES_OK refused with features not offered");

	driver_init(true);
	CHECK_EQ(r32(VIRTIO_MMIO_STATUS), 0xf, "status after a good probe");
	w32(VIRTIO_MMIO_QUEUE_SEL, 1);
	CHECK_EQ(r32(VIRTIO_MMIO_QUEUE_READY), 1, "transmitq ready");
	w32(VIRTIO_MMIO_QUEUE_DESC_LOW, 0x1234);
	CHECK_EQ(to_virtio(con)->vqs[1].desc_gpa, desc_gpa(1),
		 "ring address ignored while ready");
	w32(VIRTIO_MMIO_STATUS, 0);
	CHECK(r32(VIRTIO_MMIO_STATUS) == 0 && !r32(VIRTIO_MMIO_QUEUE_READY),
	      "reset clears status and queues");
}

static void test_virtio_transmit(void)
{
	char out[256];
	static const char hello[] = "Hello, ", world[] = "world\n";

	group = "console transmit";
	driver_init(true);
	memcpy(ram + BUF_BASE, hello, 7);
	memcpy(ram + BUF_BASE + 0x100, world, 6);
	set_desc(1, 3, BUF_BASE, 7, VRING_DESC_F_NEXT, 5);
	set_desc(1, 5, BUF_BASE + 0x100, 6, 0, 0);
	make_avail(1, 3);
	kick(1);
	CHECK(drain(out, sizeof(out)) == 13 && !strcmp(out, "Hello, world\n"),
	      "a two-part buffer goes to stdout: \"%s\"", out);
	CHECK(used(1)->idx == 1 && used(1)->ring[0].id == 3 &&
	      used(1)->ring[0].len == 0, "returned used, 0 bytes written");
	CHECK(fake_nirqs == 1 && fake_irqs[0] == con->irq,
	      "interrupt on the device's line (%u)", con->irq);
	CHECK_EQ(r32(VIRTIO_MMIO_INTERRUPT_STATUS), 1, "InterruptStatus: used buffer");
	w32(VIRTIO_MMIO_INTERRUPT_ACK, 1);
	CHECK_EQ(r32(VIRTIO_MMIO_INTERRUPT_STATUS), 0, "InterruptACK clears it");

	/* The guest does not want an interrupt this time. */
	avail(1)->flags = VRING_AVAIL_F_NO_INTERRUPT;
	set_desc(1, 0, BUF_BASE, 5, 0, 0);
	make_avail(1, 0);
	make_avail(1, 0);
	kick(1);
	CHECK(drain(out, sizeof(out)) == 10 && !strcmp(out, "HelloHello"),
	      "two buffers in one kick");
	CHECK(used(1)->idx == 3 && fake_nirqs == 1,
	      "NO_INTERRUPT is honoured");
	CHECK(!needs_reset(), "no device error so far");

	/* Before DRIVER_OK buffers wait; DRIVER_OK sends them. */
	driver_init(false);
	set_desc(1, 0, BUF_BASE + 0x100, 6, 0, 0);
	make_avail(1, 0);
	kick(1);
	CHECK(drain(out, sizeof(out)) == 0, "nothing sent before DRIVER_OK");
	w32(VIRTIO_MMIO_STATUS, 0xf);
	CHECK(drain(out, sizeof(out)) == 6 && !strcmp(out, "world\n"),
	      "sent at DRIVER_OK");
}

static void test_virtio_receive(void)
{
	group = "console receive";
	driver_init(true);
	CHECK_EQ(console_feed(con, (const uint8_t *)"abc", 3), 0,
		 "no buffers, nothing taken");
	memset(ram + BUF_BASE, 0, 64);
	set_desc(0, 0, BUF_BASE, 4, VRING_DESC_F_WRITE, 0);
	set_desc(0, 1, BUF_BASE + 0x10, 4, VRING_DESC_F_WRITE, 0);
	make_avail(0, 0);
	make_avail(0, 1);
	kick(0);
	CHECK_EQ(console_feed(con, (const uint8_t *)"abcdef", 6), 6,
		 "6 bytes into two 4-byte buffers");
	CHECK(!memcmp(ram + BUF_BASE, "abcd", 4) &&
	      !memcmp(ram + BUF_BASE + 0x10, "ef", 2), "bytes in place");
	CHECK(used(0)->idx == 2 && used(0)->ring[0].len == 4 &&
	      used(0)->ring[1].len == 2 && used(0)->ring[1].id == 1,
	      "used lengths 4 and 2");
	CHECK(fake_nirqs == 1, "one interrupt for the batch");
	CHECK_EQ(console_feed(con, (const uint8_t *)"g", 1), 0,
		 "out of buffers again");

	/* A receive buffer the device cannot write to */
	set_desc(0, 2, BUF_BASE, 4, 0, 0);
	make_avail(0, 2);
	CHECK_EQ(console_feed(con, (const uint8_t *)"x", 1), 0,
		 "read-only receive buffer");
	CHECK(needs_reset(), "... is a device error");
	w32(VIRTIO_MMIO_STATUS, 0);
	CHECK(!needs_reset(), "reset clears NEEDS_RESET");
}

/*
 * A hostile guest: each of these must end in NEEDS_RESET with nothing
 * written outside the rings and buffers, and no hang.
 */
static void hostile(const char *what, void (*setup)(void))
{
	char out[64];

	driver_init(true);
	setup();
	kick(1);
	CHECK(needs_reset(), "%s: device error", what);
	CHECK(used(1)->idx == 0, "%s: nothing returned", what);
	CHECK(fake_nirqs == 1 && r32(VIRTIO_MMIO_INTERRUPT_STATUS) == 2,
	      "%s: config-change interrupt", what);
	drain(out, sizeof(out));
	/* Once broken, it stays quiet until reset. */
	kick(1);
	CHECK(fake_nirqs == 1, "%s: stays stopped", what);
}

static void h_head_range(void)
{
	make_avail(1, QSIZE);
}

static void h_next_range(void)
{
	set_desc(1, 0, BUF_BASE, 1, VRING_DESC_F_NEXT, 200);
	make_avail(1, 0);
}

static void h_loop(void)
{
	set_desc(1, 0, BUF_BASE, 1, VRING_DESC_F_NEXT, 1);
	set_desc(1, 1, BUF_BASE, 1, VRING_DESC_F_NEXT, 2);
	set_desc(1, 2, BUF_BASE, 1, VRING_DESC_F_NEXT, 0);
	make_avail(1, 0);
}

static void h_self_loop(void)
{
	set_desc(1, 4, BUF_BASE, 1, VRING_DESC_F_NEXT, 4);
	make_avail(1, 4);
}

static void h_addr_outside(void)
{
	set_desc(1, 0, TEST_MEM, 16, 0, 0);
	make_avail(1, 0);
}

static void h_len_past_end(void)
{
	set_desc(1, 0, TEST_MEM - 8, 16, 0, 0);
	make_avail(1, 0);
}

static void h_addr_huge(void)
{
	set_desc(1, 0, 0xfffffffffffff000ull, 0x2000, 0, 0);
	make_avail(1, 0);
}

static void h_idx_jump(void)
{
	set_desc(1, 0, BUF_BASE, 1, 0, 0);
	avail(1)->idx = 1000;
}

static void h_write_then_read(void)
{
	set_desc(1, 0, BUF_BASE, 1, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	set_desc(1, 1, BUF_BASE, 1, 0, 0);
	make_avail(1, 0);
}

static void h_indirect(void)
{
	set_desc(1, 0, BUF_BASE, 16, VRING_DESC_F_INDIRECT, 0);
	make_avail(1, 0);
}

static void h_total_overflow(void)
{
	unsigned int i;

	/* 2 GiB each: outside RAM long before they add up to 4 GiB */
	for (i = 0; i < QSIZE; i++)
		set_desc(1, i, 0, 0x7fffffff, VRING_DESC_F_NEXT, i + 1);
	desc(1)[QSIZE - 1].flags = 0;
	make_avail(1, 0);
}

static void test_virtio_hostile(void)
{
	char out[64];

	group = "hostile rings";
	hostile("head beyond the queue", h_head_range);
	hostile("next beyond the queue", h_next_range);
	hostile("chain loops", h_loop);
	hostile("descriptor chained to itself", h_self_loop);
	hostile("buffer outside RAM", h_addr_outside);
	hostile("buffer running past the end of RAM", h_len_past_end);
	hostile("buffer at a 64-bit address", h_addr_huge);
	hostile("available index jumps", h_idx_jump);
	hostile("readable after writable", h_write_then_read);
	hostile("indirect descriptor", h_indirect);
	hostile("2 GiB buffers", h_total_overflow);

	/* Rings in the wrong place are refused at QueueReady. */
	driver_init(false);
	w32(VIRTIO_MMIO_STATUS, 0);
	w32(VIRTIO_MMIO_STATUS, 3);
	w32(VIRTIO_MMIO_QUEUE_SEL, 1);
	w32(VIRTIO_MMIO_QUEUE_NUM, QSIZE);
	w32(VIRTIO_MMIO_QUEUE_DESC_LOW, TEST_MEM - 16);
	w32(VIRTIO_MMIO_QUEUE_READY, 1);
	CHECK(needs_reset() && !r32(VIRTIO_MMIO_QUEUE_READY),
	      "descriptor table past RAM refused");
	w32(VIRTIO_MMIO_STATUS, 0);
	w32(VIRTIO_MMIO_QUEUE_SEL, 1);
	w32(VIRTIO_MMIO_QUEUE_NUM, QSIZE);
	w32(VIRTIO_MMIO_QUEUE_DESC_LOW, desc_gpa(1));
	w32(VIRTIO_MMIO_QUEUE_DESC_HIGH, 1);	/* above 4 GiB */
	w32(VIRTIO_MMIO_QUEUE_READY, 1);
	CHECK(needs_reset() && !r32(VIRTIO_MMIO_QUEUE_READY),
	      "ring above 4 GiB refused");
	w32(VIRTIO_MMIO_STATUS, 0);
	w32(VIRTIO_MMIO_QUEUE_SEL, 1);
	w32(VIRTIO_MMIO_QUEUE_NUM, QSIZE);
	w32(VIRTIO_MMIO_QUEUE_DESC_LOW, desc_gpa(1) + 8);
	w32(VIRTIO_MMIO_QUEUE_AVAIL_LOW, desc_gpa(1) + 0x1000);
	w32(VIRTIO_MMIO_QUEUE_USED_LOW, desc_gpa(1) + 0x2000);
	w32(VIRTIO_MMIO_QUEUE_READY, 1);
	CHECK(needs_reset(), "misaligned descriptor table refused");
	w32(VIRTIO_MMIO_STATUS, 0);
	w32(VIRTIO_MMIO_QUEUE_SEL, 1);
	w32(VIRTIO_MMIO_QUEUE_NUM, 4096);
	w32(VIRTIO_MMIO_QUEUE_DESC_LOW, desc_gpa(1));
	w32(VIRTIO_MMIO_QUEUE_READY, 1);
	CHECK(needs_reset(), "queue size above QueueNumMax refused");
	w32(VIRTIO_MMIO_STATUS, 0);
	w32(VIRTIO_MMIO_STATUS, 3);
	setup_queue(1, 6);
	CHECK(needs_reset() && !r32(VIRTIO_MMIO_QUEUE_READY),
	      "queue size not a power of two refused");

	/* Nonsense registers and queue numbers are ignored. */
	w32(VIRTIO_MMIO_STATUS, 0);
	w32(VIRTIO_MMIO_QUEUE_SEL, 77);
	w32(VIRTIO_MMIO_QUEUE_READY, 1);
	w32(VIRTIO_MMIO_QUEUE_NOTIFY, 77);
	w32(VIRTIO_MMIO_QUEUE_NOTIFY, 0xffffffff);
	w32(0xfc0, 1);
	CHECK(!needs_reset() && r32(0x0c4) == 0, "unknown registers ignored");

	/* After all that, a reset device works again. */
	driver_init(true);
	set_desc(1, 0, BUF_BASE, 3, 0, 0);
	memcpy(ram + BUF_BASE, "ok\n", 3);
	make_avail(1, 0);
	kick(1);
	CHECK(drain(out, sizeof(out)) == 3 && !needs_reset(),
	      "the device works after a reset");
}

/*
 * A driver that breaks the rules of device initialization (virtio 1.x,
 * 3.1.1): the device does not start, it needs a reset, and the guest
 * hears of it with a configuration change interrupt.
 */
static void test_virtio_driver_errors(void)
{
	const uint32_t ack_driver = VIRTIO_CONFIG_S_ACKNOWLEDGE |
				    VIRTIO_CONFIG_S_DRIVER;
	char out[64];

	group = "driver errors";
	w32(VIRTIO_MMIO_STATUS, 0);
	w32(VIRTIO_MMIO_STATUS, ack_driver);
	setup_queue(1, QSIZE);
	memcpy(ram + BUF_BASE, "no\n", 3);
	set_desc(1, 0, BUF_BASE, 3, 0, 0);
	make_avail(1, 0);
	fake_vcpu_reset();
	w32(VIRTIO_MMIO_STATUS, ack_driver | VIRTIO_CONFIG_S_DRIVER_OK);
	CHECK(needs_reset() && fake_nirqs == 1 &&
	      r32(VIRTIO_MMIO_INTERRUPT_STATUS) == 2,
	      "DRIVER_OK without FEATURES_OK: device error, config-change interrupt");
	CHECK(drain(out, sizeof(out)) == 0 && used(1)->idx == 0,
	      "DRIVER_OK without FEATURES_OK: the device does not start");

	/* Features are fixed from FEATURES_OK on; bit 1 is MULTIPORT. */
	driver_init(true);
	w32(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	w32(VIRTIO_MMIO_DRIVER_FEATURES, 1 << 1);
	CHECK(to_virtio(con)->driver_features == 1ull << VIRTIO_F_VERSION_1 &&
	      !virtio_has_feature(to_virtio(con), 1),
	      "features written after FEATURES_OK are ignored");
	to_virtio(con)->driver_features |= 1 << 1;
	CHECK(!virtio_has_feature(to_virtio(con), 1) &&
	      virtio_has_feature(to_virtio(con), VIRTIO_F_VERSION_1),
	      "a feature the device did not offer is never on");

	/* 0xf, then 0xb: DRIVER_OK cleared without a reset */
	driver_init(true);
	w32(VIRTIO_MMIO_STATUS, ack_driver | VIRTIO_CONFIG_S_FEATURES_OK);
	CHECK(r32(VIRTIO_MMIO_STATUS) == (0xf | VIRTIO_CONFIG_S_NEEDS_RESET) &&
	      fake_nirqs == 1,
	      "status bit cleared without a reset: device error, status kept");
	set_desc(1, 0, BUF_BASE, 3, 0, 0);
	make_avail(1, 0);
	kick(1);
	CHECK(drain(out, sizeof(out)) == 0 && used(1)->idx == 0,
	      "status bit cleared without a reset: the device stops");

	/* An error before DRIVER_OK is told at DRIVER_OK. */
	driver_init(false);
	w32(VIRTIO_MMIO_QUEUE_SEL, 1);
	w32(VIRTIO_MMIO_QUEUE_READY, 0);
	w32(VIRTIO_MMIO_QUEUE_NUM, 6);
	w32(VIRTIO_MMIO_QUEUE_READY, 1);
	CHECK(needs_reset() && fake_nirqs == 0,
	      "device error before DRIVER_OK: no interrupt yet");
	w32(VIRTIO_MMIO_STATUS, 0xf);
	CHECK(fake_nirqs == 1 && r32(VIRTIO_MMIO_INTERRUPT_STATUS) == 2,
	      "device error before DRIVER_OK: config-change interrupt at DRIVER_OK");
	w32(VIRTIO_MMIO_STATUS, 0);
}

/* The same device, reached through decoded guest instructions */
static void test_mmio_insns(void)
{
	uint32_t base = con->mmio_addr;

	group = "MMIO";
	w32(VIRTIO_MMIO_STATUS, 0);
	fake_vcpu_reset();
	fake_regs[LGUEST_REG_EIP] = 0x100;
	fake_regs[LGUEST_REG_EAX] = 0x55555555;
	MMIO(base, 0x8b, 0x42, 0x00);		/* mov 0x0(%edx),%eax */
	CHECK_EQ(fake_regs[LGUEST_REG_EAX], 0x74726976, "readl magic into eax");
	CHECK_EQ(fake_regs[LGUEST_REG_EIP], 0x103, "eip + 3");
	MMIO(base + 8, 0x8b, 0x8b, 0x08, 0, 0, 0); /* mov 0x8(%ebx),%ecx */
	CHECK_EQ(fake_regs[LGUEST_REG_ECX], 3, "readl device ID into ecx");
	fake_regs[LGUEST_REG_EDX] = 0x1234;
	fake_regs[LGUEST_REG_EBX] = 0;
	MMIO(base + 0x70, 0x89, 0x5a, 0x70);	/* mov %ebx,0x70(%edx) */
	fake_regs[LGUEST_REG_EBX] = 0x01;
	MMIO(base + 0x70, 0x89, 0x5a, 0x70);
	CHECK_EQ(r32(VIRTIO_MMIO_STATUS), 1, "writel of ebx to Status");
	MMIO(base + 0x70, 0xc7, 0x42, 0x70, 0x03, 0, 0, 0); /* movl $3 */
	CHECK_EQ(r32(VIRTIO_MMIO_STATUS), 3, "writel of an immediate");
	fake_regs[LGUEST_REG_EAX] = 0xaaaaaaaa;
	MMIO(base + 0x100, 0x8a, 0x60, 0x00);	/* mov 0x0(%eax),%ah */
	CHECK_EQ(fake_regs[LGUEST_REG_EAX], 0xaaaa00aa,
		 "readb of config (0) into ah, the rest kept");
	fake_regs[LGUEST_REG_ECX] = 0xffffffff;
	MMIO(base, 0x0f, 0xb6, 0x48, 0x00);	/* movzbl 0x0(%eax),%ecx */
	CHECK_EQ(fake_regs[LGUEST_REG_ECX], 0xff,
		 "byte read of a register: refused, all ones, zero-extended");
	MMIO(base + 0x100, 0x0f, 0xb7, 0x48, 0x00); /* movzwl 0x0(%eax),%ecx */
	CHECK_EQ(fake_regs[LGUEST_REG_ECX], 0, "movzwl zero-extends config");
	fake_regs[LGUEST_REG_EDX] = 0xdddddddd;
	MMIO(base + 4, 0x66, 0x8b, 0x50, 0x04);	/* mov 0x4(%eax),%dx */
	CHECK_EQ(fake_regs[LGUEST_REG_EDX], 0xddddffff,
		 "16-bit register read: all ones into dx, rest kept");
	/* Past the devices: no device there */
	fake_regs[LGUEST_REG_EAX] = 0;
	MMIO(base + 0x10000, 0x8b, 0x40, 0x00);
	CHECK_EQ(fake_regs[LGUEST_REG_EAX], 0xffffffff, "no device: all ones");
	CHECK_EQ(fake_ntraps, 0, "no traps so far");
	fake_regs[LGUEST_REG_EIP] = 0x200;
	MMIO(base, 0x01, 0x03);			/* add %eax,(%ebx) */
	CHECK(fake_ntraps == 1 && fake_traps[0] == 13 &&
	      fake_regs[LGUEST_REG_EIP] == 0x200,
	      "undecodable: #GP, eip unchanged");
	w32(VIRTIO_MMIO_STATUS, 0);
}

/* ---------------------------------------------------------------- */

static void test_iov(void)
{
	struct vq_iov v[3] = {
		{ gmem(BUF_BASE), 4 }, { gmem(BUF_BASE + 0x10), 0 },
		{ gmem(BUF_BASE + 0x20), 6 },
	};
	struct iovec out[3];
	uint8_t buf[16];

	group = "iov";
	memcpy(gmem(BUF_BASE), "abcd", 4);
	memcpy(gmem(BUF_BASE + 0x20), "efghij", 6);
	CHECK(iov_to_buf(v, 3, 2, buf, 16) == 8 && !memcmp(buf, "cdefghij", 8),
	      "copy out across parts, short at the end");
	CHECK(iov_from_buf(v, 3, 3, "XYZ", 3) == 3 &&
	      !memcmp(gmem(BUF_BASE), "abcX", 4) &&
	      !memcmp(gmem(BUF_BASE + 0x20), "YZ", 2), "copy in across parts");
	CHECK(iov_slice(v, 3, 3, 4, out) == 2 && out[0].iov_len == 1 &&
	      out[0].iov_base == gmem(BUF_BASE + 3) && out[1].iov_len == 3 &&
	      out[1].iov_base == gmem(BUF_BASE + 0x20), "slice");
	CHECK(iov_slice(v, 3, 20, 4, out) == 0, "slice past the end");
}

/* ---------------------------------------------------------------- */
/* Bounds on what one kick of the console costs                      */

/* console.c's TX_MAX: the most of one transmit buffer that goes out */
#define CON_TX_MAX	65536u

static const char *tx_file;
static int tx_pipe[2];
static uint32_t tx_chunk;
static size_t tx_got;

/* A console of its own on fd, in a child of in_child(): dut is it. */
static bool tx_console(int fd)
{
	struct device *dev = console_create(-1, fd);

	CHECK(dev && !device_register(dev), "a console on fd %d", fd);
	if (!dev)
		return false;
	dut = dev;
	driver_init(true);
	return true;
}

/* One buffer of eight 16 MiB parts, all from the start of RAM: 128 MiB */
static void tx_huge_child(void)
{
	struct stat st;
	unsigned int i;
	int fd = open(tx_file, O_WRONLY | O_TRUNC);

	if (fd < 0) {
		CHECK(false, "open %s: %s", tx_file, strerror(errno));
		return;
	}
	if (!tx_console(fd))
		return;
	for (i = 0; i < QSIZE; i++)
		set_desc(1, i, 0, 16 * MiB, VRING_DESC_F_NEXT, i + 1);
	desc(1)[QSIZE - 1].flags = 0;
	make_avail(1, 0);
	kick(1);
	if (fstat(fd, &st) < 0)
		st.st_size = -1;
	CHECK(st.st_size == CON_TX_MAX,
	      "a 128 MiB transmit buffer: %lld bytes out, at most %u",
	      (long long)st.st_size, CON_TX_MAX);
	CHECK(used(1)->idx == 1 && last_used(1)->len == 0 && !needs_reset(),
	      "the cut buffer is returned, without a device error");
	close(fd);
}

/*
 * The guest's side of the test below, while the kick is being handled,
 * as a guest on another CPU could do it: before it takes each buffer's
 * output past the first, it makes one more buffer available.  The pipe
 * holds one buffer's output, so the device cannot run out of buffers as
 * long as this goes on: only the bound on buffers per kick stops it.
 */
static void *tx_refill(void *arg)
{
	unsigned int posted = 0;
	char buf[4096];
	ssize_t n;

	(void)arg;
	for (;;) {
		while (posted < 2 * QSIZE && posted < tx_got / tx_chunk) {
			make_avail(1, 0);
			posted++;
		}
		n = read(tx_pipe[0], buf, sizeof(buf));
		if (n <= 0)
			return NULL;
		/* The test's own newline after the kick: the end */
		if (buf[n - 1] == '\n') {
			tx_got += n - 1;
			return NULL;
		}
		tx_got += n;
	}
}

static void tx_many_child(void)
{
	pthread_t t;
	unsigned int i;
	int size;

	if (pipe(tx_pipe) < 0) {
		CHECK(false, "pipe: %s", strerror(errno));
		return;
	}
	/* A page if we may; either way a buffer fills the pipe. */
	fcntl(tx_pipe[1], F_SETPIPE_SZ, 4096);
	size = fcntl(tx_pipe[1], F_GETPIPE_SZ);
	if (size <= 0 || (uint32_t)size > CON_TX_MAX) {
		CHECK(false, "pipe size %d", size);
		return;
	}
	tx_chunk = size;
	if (!tx_console(tx_pipe[1]))
		return;
	memset(gmem(BUF_BASE), 'x', tx_chunk);
	set_desc(1, 0, BUF_BASE, tx_chunk, 0, 0);
	for (i = 0; i < QSIZE; i++)
		make_avail(1, 0);
	if (pthread_create(&t, NULL, tx_refill, NULL)) {
		CHECK(false, "pthread_create");
		return;
	}
	kick(1);
	if (write(tx_pipe[1], "\n", 1) != 1)
		CHECK(false, "write: %s", strerror(errno));
	pthread_join(t, NULL);
	CHECK(used(1)->idx == QSIZE && tx_got == QSIZE * tx_chunk,
	      "buffers added during a kick: %u handled (%zu bytes), at most the queue size %u",
	      used(1)->idx, tx_got, QSIZE);
	CHECK(!needs_reset(), "... and no device error");
}

/* Counted by the handler, read after: an atomic, not a plain int. */
static int tx_alarms;

/* Still stuck after a second: the test failed, and its process ends. */
static void tx_alarm(int sig)
{
	static const char msg[] = "unit: transmit is stuck in write()\n";

	(void)sig;
	if (__atomic_add_fetch(&tx_alarms, 1, __ATOMIC_RELAXED) > 10) {
		if (write(STDOUT_FILENO, msg, sizeof(msg) - 1) < 0)
			_exit(2);
		_exit(1);
	}
}

/* stdout that takes nothing, and a stop pending (request_stop()) */
static void tx_stop_child(void)
{
	struct itimerval it = { { 0, 100000 }, { 0, 100000 } };
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	struct sigaction sa;
	char buf[4096];
	int p[2];

	if (pipe(p) < 0 || fcntl(p[1], F_SETFL, O_NONBLOCK) < 0) {
		CHECK(false, "pipe: %s", strerror(errno));
		return;
	}
	memset(buf, 'y', sizeof(buf));
	while (write(p[1], buf, sizeof(buf)) > 0)
		;
	fcntl(p[1], F_SETFL, 0);
	if (!tx_console(p[1]))
		return;
	memcpy(gmem(BUF_BASE), "lost\n", 5);
	set_desc(1, 0, BUF_BASE, 5, 0, 0);
	make_avail(1, 0);
	make_avail(1, 0);
	request_stop(EXIT_GUEST, "the unit tests stop");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = tx_alarm;	/* no SA_RESTART: write() fails */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	kick(1);
	setitimer(ITIMER_REAL, &off, NULL);
	CHECK(used(1)->idx == 2 && !needs_reset(),
	      "a stop pending: stuck output is dropped at an EINTR (%d signals)",
	      __atomic_load_n(&tx_alarms, __ATOMIC_RELAXED));
}

/*
 * One kick, one bounded piece of work: the main thread holds the console
 * lock all along, and a stop must get through.
 */
static void test_console_bounds(void)
{
	group = "console bounds";
	tx_file = write_tmp("console-out", "", 0);
	in_child("huge transmit buffer", tx_huge_child);
	in_child("buffers added during a kick", tx_many_child);
	in_child("stop with stdout stuck", tx_stop_child);
	dut = con;
}

/* vq_push() on a queue that is gone: nothing, and no crash */
static void push_gone_child(void)
{
	static struct vq_elem e;

	driver_init(true);
	w32(VIRTIO_MMIO_QUEUE_SEL, 1);
	w32(VIRTIO_MMIO_QUEUE_READY, 0);
	vq_push(&to_virtio(con)->vqs[1], &e, 0);
	CHECK_EQ(used(1)->idx, 0, "vq_push() to a queue no longer ready");
	w32(VIRTIO_MMIO_STATUS, 0);
	vq_push(&to_virtio(con)->vqs[1], &e, 0);
	CHECK_EQ(used(1)->idx, 0, "vq_push() to a reset queue");
}

static void test_vq_push_gone(void)
{
	group = "virtqueues";
	in_child("vq_push() to a queue that is gone", push_gone_child);
}

/* The guest restarts: every device as at power on */
static void test_devices_reset(void)
{
	group = "restart";
	dut = con;
	driver_init(true);
	CHECK_EQ(r32(VIRTIO_MMIO_STATUS), status_ok(), "a running console");
	devices_reset();
	w32(VIRTIO_MMIO_QUEUE_SEL, 1);
	CHECK(r32(VIRTIO_MMIO_STATUS) == 0 && !r32(VIRTIO_MMIO_QUEUE_READY) &&
	      to_virtio(con)->driver_features == 0 && !to_virtio(con)->vqs[0].ready,
	      "devices_reset(): status 0, queues and features gone");
	CHECK_EQ(console_feed(con, (const uint8_t *)"x", 1), 0,
		 "the reset console takes no input");
	memset(ram, 0x77, 2 * PAGE_SIZE);
	guest_memory_clear();
	CHECK(ram[0] == 0 && ram[2 * PAGE_SIZE - 1] == 0 &&
	      ram[TEST_MEM - 1] == 0, "guest_memory_clear()");
}

static void test_ctrlc(void)
{
	struct ctrlc_state s = { .count = 0 };

	group = "Ctrl-C";
	CHECK(!ctrlc_pressed(&s, 1000), "one");
	CHECK(!ctrlc_pressed(&s, 1500), "two");
	CHECK(ctrlc_pressed(&s, 2000), "three within a second");
	memset(&s, 0, sizeof(s));
	CHECK(!ctrlc_pressed(&s, 1000) && !ctrlc_pressed(&s, 1600) &&
	      !ctrlc_pressed(&s, 2100), "three in 1.1 s are not enough");
	CHECK(ctrlc_pressed(&s, 2200), "but a fourth soon after is");
}

UNIT_TEST(setup_console, 48);
UNIT_TEST(test_console_cmdline, 49);
UNIT_TEST(test_virtio_regs, 50);
UNIT_TEST(test_virtio_transmit, 51);
UNIT_TEST(test_virtio_receive, 52);
UNIT_TEST(test_virtio_hostile, 53);
UNIT_TEST(test_virtio_driver_errors, 54);
UNIT_TEST(test_mmio_insns, 55);
UNIT_TEST(test_iov, 56);
UNIT_TEST(test_vq_push_gone, 57);
UNIT_TEST(test_console_bounds, 58);
UNIT_TEST(test_devices_reset, 95);
UNIT_TEST(test_ctrlc, 96);
