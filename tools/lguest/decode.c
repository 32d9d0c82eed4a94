// SPDX-License-Identifier: GPL-2.0
/*
 * Just enough of an x86 instruction decoder for the two things a guest
 * makes us emulate: in/out instructions (port I/O) and the moves that
 * readb/w/l and writeb/w/l compile to (device memory).  The host tells us
 * what kind of access it was and hands us the instruction bytes at eip;
 * we need the operand size, the register or immediate involved and the
 * length of the instruction, to skip it afterwards.
 *
 * Anything else fails to decode, and the caller gives the guest a #GP:
 * that is what real hardware would do for an access it cannot complete,
 * and it is better than guessing.
 */
#include <string.h>
#include "lguest.h"

#define OPSIZE_PREFIX	0x66
#define ADDRSIZE_PREFIX	0x67

static bool is_segment_prefix(uint8_t b)
{
	return b == 0x26 || b == 0x2e || b == 0x36 || b == 0x3e ||
	       b == 0x64 || b == 0x65;
}

/*
 * Skip the prefixes an access may carry: the operand-size prefix, which
 * makes it 16-bit, and, where segments do not matter, segment overrides.
 * Returns the index of the opcode, or -1 if nothing follows the prefixes.
 */
static int skip_prefixes(const uint8_t *insn, size_t avail, bool segments,
			 unsigned int *opsize)
{
	size_t i = 0;

	while (i < avail && (insn[i] == OPSIZE_PREFIX ||
			     (segments && is_segment_prefix(insn[i])))) {
		if (insn[i] == OPSIZE_PREFIX)
			*opsize = 2;
		i++;
	}
	return i < avail ? (int)i : -1;
}

/*
 * The ports: e4-e7 carry an 8-bit port number, ec-ef take it from dx.
 * Even opcodes move a byte, odd ones a word or a double word, as the
 * operand-size prefix says.
 */
int decode_pio(const uint8_t *insn, size_t avail, struct pio_insn *pio)
{
	unsigned int opsize = 4, i;
	int start;
	uint8_t op;

	memset(pio, 0, sizeof(*pio));
	if (avail > INSN_MAX)
		avail = INSN_MAX;
	start = skip_prefixes(insn, avail, false, &opsize);
	if (start < 0)
		return -1;
	i = start;
	op = insn[i++];
	switch (op) {
	case 0xe4: case 0xe5: case 0xe6: case 0xe7:
		if (i >= avail)
			return -1;
		pio->port = insn[i++];
		break;
	case 0xec: case 0xed: case 0xee: case 0xef:
		pio->port_in_dx = true;
		break;
	default:
		/* ins/outs (6c-6f) and everything else */
		return -1;
	}
	pio->out = op & 2;
	pio->size = op & 1 ? opsize : 1;
	pio->len = i;
	return 0;
}

/*
 * The ModRM byte, and the SIB byte and displacement that may follow it,
 * with 32-bit addressing.  We never compute the address (the host gives
 * it to us); we need the reg field and how many bytes all this takes.
 * A register operand (mod 3) cannot have been a memory access.
 */
static int decode_modrm(const uint8_t *p, size_t avail, int *reg,
			unsigned int *len)
{
	unsigned int mod, rm, n = 1;

	if (avail < 1)
		return -1;
	mod = p[0] >> 6;
	rm = p[0] & 7;
	*reg = (p[0] >> 3) & 7;
	if (mod == 3)
		return -1;
	if (rm == 4) {
		if (avail < 2)
			return -1;
		n++;
		/* SIB base 5 with mod 0: no base register, a disp32 */
		if (mod == 0 && (p[1] & 7) == 5)
			n += 4;
	} else if (mod == 0 && rm == 5) {
		n += 4;		/* disp32 alone */
	}
	if (mod == 1)
		n += 1;
	else if (mod == 2)
		n += 4;
	if (n > avail)
		return -1;
	*len = n;
	return 0;
}

static uint32_t get_le(const uint8_t *p, unsigned int size)
{
	uint32_t v = 0;

	while (size--)
		v = (v << 8) | p[size];
	return v;
}

int decode_mmio(const uint8_t *insn, size_t avail, struct mmio_insn *m)
{
	unsigned int opsize = 4, i, mlen = 0, immsize = 0;
	bool moffs = false;
	int start;
	uint8_t op;

	memset(m, 0, sizeof(*m));
	if (avail > INSN_MAX)
		avail = INSN_MAX;
	/* The address comes from the host, so segments do not matter. */
	start = skip_prefixes(insn, avail, true, &opsize);
	if (start < 0)
		return -1;
	i = start;
	op = insn[i++];
	switch (op) {
	case 0x88:			/* mov r/m8, r8 */
	case 0x8a:			/* mov r8, r/m8 */
		m->size = 1;
		m->reg_size = 1;
		m->reg8 = true;
		m->write = op == 0x88;
		break;
	case 0x89:			/* mov r/m, r */
	case 0x8b:			/* mov r, r/m */
		m->size = opsize;
		m->reg_size = opsize;
		m->write = op == 0x89;
		break;
	case 0xc6:			/* mov r/m8, imm8 */
	case 0xc7:			/* mov r/m, imm16/32 */
		immsize = op == 0xc6 ? 1 : opsize;
		m->size = immsize;
		m->write = true;
		m->has_imm = true;
		break;
	case 0xa0:			/* mov al, moffs8 */
	case 0xa2:			/* mov moffs8, al */
		m->size = 1;
		m->reg_size = 1;
		m->reg8 = true;
		m->write = op == 0xa2;
		moffs = true;
		break;
	case 0xa1:			/* mov eax, moffs */
	case 0xa3:			/* mov moffs, eax */
		m->size = opsize;
		m->reg_size = opsize;
		m->write = op == 0xa3;
		moffs = true;
		break;
	case 0x0f:
		if (i >= avail)
			return -1;
		op = insn[i++];
		if (op != 0xb6 && op != 0xb7)
			return -1;
		/* movzx: a byte or a word, zero-extended into the register */
		m->size = op == 0xb6 ? 1 : 2;
		m->reg_size = opsize;
		break;
	default:
		return -1;
	}

	if (moffs) {
		m->reg = 0;		/* always al/ax/eax */
		mlen = 4;
		if (i + mlen > avail)
			return -1;
	} else if (decode_modrm(insn + i, avail - i, &m->reg, &mlen)) {
		return -1;
	}
	i += mlen;
	if (m->has_imm) {
		/* mov imm has only /0: other reg fields are not a mov */
		if (m->reg != 0 || i + immsize > avail)
			return -1;
		m->imm = get_le(insn + i, immsize);
		m->reg = -1;
		i += immsize;
	}
	m->len = i;
	return 0;
}
