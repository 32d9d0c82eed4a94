// SPDX-License-Identifier: GPL-2.0
/*
 * A virtual CPU without a host, for the unit tests: the registers are an
 * array, and the interrupts and traps the Launcher sends are recorded
 * for the tests to check.  It stands in for lgdev.c.
 */
#include "lguest.h"
#include "fake_vcpu.h"

uint32_t fake_regs[LGUEST_NR_REGS];
unsigned int fake_irqs[FAKE_LOG];
unsigned int fake_nirqs;
uint32_t fake_irq_bits[FAKE_LOG];
unsigned int fake_traps[FAKE_LOG];
unsigned int fake_ntraps;

void fake_vcpu_reset(void)
{
	unsigned int i;

	for (i = 0; i < LGUEST_NR_REGS; i++)
		fake_regs[i] = 0;
	fake_nirqs = 0;
	fake_ntraps = 0;
}

uint32_t vcpu_getreg(enum lguest_reg reg)
{
	return reg < LGUEST_NR_REGS ? fake_regs[reg] : 0xdeadbeef;
}

void vcpu_setreg(enum lguest_reg reg, uint32_t val)
{
	/* The ABI: everything but the last two (EFLAGS, CS) is writable. */
	if (reg < LGUEST_REG_EFLAGS)
		fake_regs[reg] = val;
}

void vcpu_irq_status(unsigned int irq, uint32_t bits)
{
	if (fake_nirqs < FAKE_LOG) {
		fake_irq_bits[fake_nirqs] = bits;
		fake_irqs[fake_nirqs++] = irq;
	}
}

void vcpu_irq(unsigned int irq)
{
	vcpu_irq_status(irq, 0);
}

/* A host that answers no register: the devices keep them all. */
int lgdev_irq_status(unsigned int irq, uint32_t status, uint32_t ack)
{
	(void)irq;
	(void)status;
	(void)ack;
	return -1;
}

int lgdev_ioeventfd(uint32_t gpa, int fd)
{
	(void)gpa;
	(void)fd;
	return -1;
}

void vcpu_trap(unsigned int trapnr)
{
	if (fake_ntraps < FAKE_LOG)
		fake_traps[fake_ntraps++] = trapnr;
}
