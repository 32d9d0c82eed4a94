/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LGUEST_FAKE_VCPU_H
#define LGUEST_FAKE_VCPU_H

#define FAKE_LOG	64

extern uint32_t fake_regs[LGUEST_NR_REGS];
extern unsigned int fake_irqs[FAKE_LOG];
extern unsigned int fake_nirqs;
/* The status bits of each raised interrupt, 0 without LHREQ_IRQ_STATUS */
extern uint32_t fake_irq_bits[FAKE_LOG];
extern unsigned int fake_traps[FAKE_LOG];
extern unsigned int fake_ntraps;

void fake_vcpu_reset(void);

#endif /* LGUEST_FAKE_VCPU_H */
