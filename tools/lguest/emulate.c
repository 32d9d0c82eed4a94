// SPDX-License-Identifier: GPL-2.0
/*
 * What the guest does that the host hands to us: in/out instructions and
 * accesses to device memory.  We do the access, update the guest's
 * registers, and move eip past the instruction, so that the guest sees a
 * completed instruction.  What we cannot decode gets a #GP (trap 13).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "lguest.h"

#define TRAP_GP		13

/*
 * The one serial port there is: just what the kernel's earlyprintk
 * (early_serial_putc) needs to print before the virtio console is up.
 * It polls the line status register for "transmitter empty", then writes
 * the transmit register.  We also keep the line control register, whose
 * DLAB bit turns the transmit register into the baud rate divisor during
 * setup: without that, the divisor would come out as a stray byte.
 */
#define UART_BASE	0x3f8
#define UART_THR	0	/* transmit holding register */
#define UART_LCR	3	/* line control */
#define UART_LSR	5	/* line status */
#define UART_LCR_DLAB	0x80
#define UART_LSR_IDLE	0x60	/* THR empty, transmitter empty */

static uint8_t uart_lcr;
int serial_out_fd = STDOUT_FILENO;

void emulate_reset(void)
{
	uart_lcr = 0;
}

static uint32_t ones(unsigned int size)
{
	return size == 4 ? 0xffffffff : (1u << (size * 8)) - 1;
}

/* Every other port reads as all ones, as on a bus with nothing on it. */
static uint32_t port_in(uint16_t port, unsigned int size)
{
	if (port == UART_BASE + UART_LSR)
		return UART_LSR_IDLE;
	if (port == UART_BASE + UART_LCR)
		return uart_lcr;
	return ones(size);
}

static void port_out(uint16_t port, uint32_t val)
{
	uint8_t c = val;

	if (port == UART_BASE + UART_THR && !(uart_lcr & UART_LCR_DLAB)) {
		/* Nowhere to report a failure to: the console is stdout. */
		if (write(serial_out_fd, &c, 1) < 0)
			vmsg("serial output lost");
	} else if (port == UART_BASE + UART_LCR) {
		uart_lcr = val;
	}
}

/* The x86 register numbers of the ModRM byte, in our ABI's terms. */
static const enum lguest_reg x86_regs[8] = {
	LGUEST_REG_EAX, LGUEST_REG_ECX, LGUEST_REG_EDX, LGUEST_REG_EBX,
	LGUEST_REG_ESP, LGUEST_REG_EBP, LGUEST_REG_ESI, LGUEST_REG_EDI,
};

/*
 * An operand register, as its bits within a 32-bit register: eax, ax, al
 * are bits 0 up of eax; ah, ch, dh, bh (8-bit numbers 4-7) are bits 8-15
 * of eax, ecx, edx, ebx.
 */
static enum lguest_reg operand_reg(int reg, bool reg8, unsigned int *shift)
{
	*shift = 0;
	if (reg8 && reg >= 4) {
		*shift = 8;
		reg -= 4;
	}
	return x86_regs[reg & 7];
}

static uint32_t read_operand(int reg, bool reg8, unsigned int size)
{
	unsigned int shift;
	enum lguest_reg r = operand_reg(reg, reg8, &shift);

	return (vcpu_getreg(r) >> shift) & ones(size);
}

/* Writing al or ax leaves the rest of eax alone, as the CPU would. */
static void write_operand(int reg, bool reg8, unsigned int size, uint32_t val)
{
	unsigned int shift;
	enum lguest_reg r = operand_reg(reg, reg8, &shift);
	uint32_t mask = ones(size) << shift;
	uint32_t old = size == 4 ? 0 : vcpu_getreg(r);

	vcpu_setreg(r, (old & ~mask) | ((val << shift) & mask));
}

static void skip_insn(unsigned int len)
{
	vcpu_setreg(LGUEST_REG_EIP, vcpu_getreg(LGUEST_REG_EIP) + len);
}

/* The instruction bytes the host could read, never more than the array. */
static size_t insn_avail(const struct lguest_pending *p)
{
	return p->insn_len < sizeof(p->insn) ? p->insn_len : sizeof(p->insn);
}

static void give_gp(const char *what, const struct lguest_pending *p)
{
	char msg[80];

	snprintf(msg, sizeof(msg), "cannot emulate %s at 0x%x, giving a #GP",
		 what, p->addr);
	vdump(msg, p->insn, insn_avail(p));
	vcpu_trap(TRAP_GP);
}

static void handle_pio(const struct lguest_pending *p)
{
	struct pio_insn io;
	uint16_t port;

	if (decode_pio(p->insn, insn_avail(p), &io)) {
		give_gp("port I/O", p);
		return;
	}
	port = io.port_in_dx ? vcpu_getreg(LGUEST_REG_EDX) & 0xffff : io.port;
	if (io.out)
		port_out(port, read_operand(0, false, io.size));
	else
		write_operand(0, false, io.size, port_in(port, io.size));
	skip_insn(io.len);
}

/*
 * Device memory.  An access must stay inside one device's page; anything
 * else (the gap up to mmio_pages, a straddling access) reads as all ones
 * and ignores writes, like memory with no device behind it.
 */
static uint32_t mmio_read(uint32_t addr, unsigned int size)
{
	struct device *dev;
	uint32_t off, v;

	dev = device_at(addr, &off);
	if (!dev || off + size > PAGE_SIZE) {
		vmsg("%u-byte read at 0x%x: no device there", size, addr);
		return ones(size);
	}
	pthread_mutex_lock(&dev->lock);
	v = dev->mmio_read(dev, off, size);
	pthread_mutex_unlock(&dev->lock);
	return v & ones(size);
}

static void mmio_write(uint32_t addr, uint32_t val, unsigned int size)
{
	struct device *dev;
	uint32_t off;

	dev = device_at(addr, &off);
	if (!dev || off + size > PAGE_SIZE) {
		vmsg("%u-byte write of 0x%x at 0x%x: no device there", size,
		     val, addr);
		return;
	}
	pthread_mutex_lock(&dev->lock);
	dev->mmio_write(dev, off, val & ones(size), size);
	pthread_mutex_unlock(&dev->lock);
}

static void handle_mmio(const struct lguest_pending *p)
{
	struct mmio_insn m;
	uint32_t val;

	if (decode_mmio(p->insn, insn_avail(p), &m)) {
		give_gp("device memory access", p);
		return;
	}
	if (m.write) {
		val = m.has_imm ? m.imm : read_operand(m.reg, m.reg8, m.size);
		mmio_write(p->addr, val, m.size);
	} else {
		/* movzx: the value is already zero-extended to reg_size */
		val = mmio_read(p->addr, m.size);
		write_operand(m.reg, m.reg8, m.reg_size, val);
	}
	skip_insn(m.len);
}

/*
 * Tour 8.1: The Launcher emulates the access
 *
 * The host gave us the instruction's bytes and, for device memory, the
 * guest-physical address.  We decode the instruction (decode.c), read the
 * guest registers it uses (LHREQ_GETREG), make the access to the device,
 * and write back its result and an eip past the instruction
 * (LHREQ_SETREG): the guest goes on after a completed instruction when the
 * run loop reads again.  Only the instructions drivers use are decoded;
 * anything else gets a general protection fault (LHREQ_TRAP), as from
 * hardware that could not make sense of it.
 */
void handle_pending(const struct lguest_pending *p)
{
	switch (p->reason) {
	case LGUEST_PENDING_PIO:
		handle_pio(p);
		break;
	case LGUEST_PENDING_MMIO:
		handle_mmio(p);
		break;
	default:
		fatal(EXIT_INTERNAL,
		      "the host returned unknown pending reason %u: the Launcher and the lg module disagree on <linux/lguest_launcher.h>; rebuild the Launcher against the running kernel's headers",
		      p->reason);
	}
}
