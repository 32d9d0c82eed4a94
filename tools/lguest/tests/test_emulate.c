// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: the instruction decoder (decode.c) and port I/O through
 * handle_pending() (emulate.c).
 */
#include "unit.h"

/* ---------------------------------------------------------------- */
/* The instruction decoder                                           */

struct pio_case {
	const char *asm_text;
	uint8_t bytes[4];
	unsigned int nbytes;
	bool ok, out, dx;
	unsigned int size, port;
};

/* Bytes from "as --32" and checked against "objdump -d". */
static const struct pio_case pio_cases[] = {
	{ "in $0x71,%al",	{ 0xe4, 0x71 }, 2,	true, false, false, 1, 0x71 },
	{ "in $0x60,%ax",	{ 0x66, 0xe5, 0x60 }, 3, true, false, false, 2, 0x60 },
	{ "in $0x40,%eax",	{ 0xe5, 0x40 }, 2,	true, false, false, 4, 0x40 },
	{ "out %al,$0x80",	{ 0xe6, 0x80 }, 2,	true, true, false, 1, 0x80 },
	{ "out %ax,$0x70",	{ 0x66, 0xe7, 0x70 }, 3, true, true, false, 2, 0x70 },
	{ "out %eax,$0xf0",	{ 0xe7, 0xf0 }, 2,	true, true, false, 4, 0xf0 },
	{ "in (%dx),%al",	{ 0xec }, 1,		true, false, true, 1, 0 },
	{ "in (%dx),%ax",	{ 0x66, 0xed }, 2,	true, false, true, 2, 0 },
	{ "in (%dx),%eax",	{ 0xed }, 1,		true, false, true, 4, 0 },
	{ "out %al,(%dx)",	{ 0xee }, 1,		true, true, true, 1, 0 },
	{ "out %ax,(%dx)",	{ 0x66, 0xef }, 2,	true, true, true, 2, 0 },
	{ "out %eax,(%dx)",	{ 0xef }, 1,		true, true, true, 4, 0 },
	{ "insb (%dx),%es:(%edi)", { 0x6c }, 1,	false },
	{ "outsl %ds:(%esi),(%dx)", { 0x6f }, 1,	false },
	{ "rep outsb %ds:(%esi),(%dx)", { 0xf3, 0x6e }, 2, false },
	{ "nop",		{ 0x90 }, 1,		false },
};

/* reg: -1 for an immediate; R8 marks an 8-bit register number */
#define R8	0x100

struct mmio_case {
	const char *asm_text;
	uint8_t bytes[12];
	unsigned int nbytes;
	bool ok, write;
	unsigned int size, reg_size;
	int reg;
	uint32_t imm;
};

enum { EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI };
enum { AL = R8, CL, DL, BL, AH, CH, DH, BH };

static const struct mmio_case mmio_cases[] = {
	{ "mov 0x70(%edx),%eax", { 0x8b, 0x42, 0x70 }, 3, true, false, 4, 4, EAX },
	{ "mov (%eax),%ecx", { 0x8b, 0x08 }, 2, true, false, 4, 4, ECX },
	{ "mov 0x100(%ebx),%esi", { 0x8b, 0xb3, 0x00, 0x01, 0x00, 0x00 },
	  6, true, false, 4, 4, ESI },
	{ "mov %edi,0x50(%ecx)", { 0x89, 0x79, 0x50 }, 3, true, true, 4, 4, EDI },
	{ "mov %eax,(%edx)", { 0x89, 0x02 }, 2, true, true, 4, 4, EAX },
	{ "mov 0x2(%eax),%dx", { 0x66, 0x8b, 0x50, 0x02 }, 4, true, false, 2, 2, EDX },
	{ "mov %cx,0x4(%ebx)", { 0x66, 0x89, 0x4b, 0x04 }, 4, true, true, 2, 2, ECX },
	{ "mov 0x100(%eax),%bl", { 0x8a, 0x98, 0x00, 0x01, 0x00, 0x00 }, 6, true, false, 1, 1, BL },
	{ "mov 0x3(%esi),%ah", { 0x8a, 0x66, 0x03 }, 3, true, false, 1, 1, AH },
	{ "mov %dh,0x8(%edi)", { 0x88, 0x77, 0x08 }, 3, true, true, 1, 1, DH },
	{ "mov %bh,(%eax)", { 0x88, 0x38 }, 2, true, true, 1, 1, BH },
	{ "movzbl 0x101(%edx),%eax", { 0x0f, 0xb6, 0x82, 0x01, 0x01, 0x00, 0x00 },
	  7, true, false, 1, 4, EAX },
	{ "movzbw 0x101(%edx),%cx", { 0x66, 0x0f, 0xb6, 0x8a, 0x01, 0x01, 0x00, 0x00 },
	  8, true, false, 1, 2, ECX },
	{ "movzwl 0x102(%ecx),%ebp", { 0x0f, 0xb7, 0xa9, 0x02, 0x01, 0x00, 0x00 },
	  7, true, false, 2, 4, EBP },
	{ "movzwl (%eax,%ebx,2),%esi", { 0x0f, 0xb7, 0x34, 0x58 }, 4, true, false, 2, 4, ESI },
	{ "movb $0x5a,0x10(%eax)", { 0xc6, 0x40, 0x10, 0x5a }, 4, true, true, 1, 0, -1, 0x5a },
	{ "movw $0x1234,0x12(%ebx)", { 0x66, 0xc7, 0x43, 0x12, 0x34, 0x12 },
	  6, true, true, 2, 0, -1, 0x1234 },
	{ "movl $0xdeadbeef,0x70(%ecx)", { 0xc7, 0x41, 0x70, 0xef, 0xbe, 0xad, 0xde },
	  7, true, true, 4, 0, -1, 0xdeadbeef },
	{ "movl $0x1,0x12345678", { 0xc7, 0x05, 0x78, 0x56, 0x34, 0x12, 0x01, 0x00, 0x00, 0x00 },
	  10, true, true, 4, 0, -1, 1 },
	{ "mov 0xfee00020,%eax", { 0xa1, 0x20, 0x00, 0xe0, 0xfe }, 5, true, false, 4, 4, EAX },
	{ "mov %eax,0xfee000b0", { 0xa3, 0xb0, 0x00, 0xe0, 0xfe }, 5, true, true, 4, 4, EAX },
	{ "mov 0xfee00020,%al", { 0xa0, 0x20, 0x00, 0xe0, 0xfe }, 5, true, false, 1, 1, AL },
	{ "mov %al,0xfee000b0", { 0xa2, 0xb0, 0x00, 0xe0, 0xfe }, 5, true, true, 1, 1, AL },
	{ "mov 0x12345678,%edx", { 0x8b, 0x15, 0x78, 0x56, 0x34, 0x12 },
	  6, true, false, 4, 4, EDX },
	{ "mov (%esp),%eax", { 0x8b, 0x04, 0x24 }, 3, true, false, 4, 4, EAX },
	{ "mov 0x8(%esp),%eax", { 0x8b, 0x44, 0x24, 0x08 }, 4, true, false, 4, 4, EAX },
	{ "mov 0x1000(%ebp),%eax", { 0x8b, 0x85, 0x00, 0x10, 0x00, 0x00 },
	  6, true, false, 4, 4, EAX },
	{ "mov 0x0(%ebp),%eax", { 0x8b, 0x45, 0x00 }, 3, true, false, 4, 4, EAX },
	{ "mov 0x10(,%ebx,4),%eax", { 0x8b, 0x04, 0x9d, 0x10, 0x00, 0x00, 0x00 },
	  7, true, false, 4, 4, EAX },
	{ "mov 0x10(%eax,%ecx,8),%edi", { 0x8b, 0x7c, 0xc8, 0x10 }, 4, true, false, 4, 4, EDI },
	{ "mov %fs:0x10(%eax),%eax", { 0x64, 0x8b, 0x40, 0x10 }, 4, true, false, 4, 4, EAX },
	{ "movl $0x7,0x4(%esp,%eax,1)", { 0xc7, 0x44, 0x04, 0x04, 0x07, 0x00, 0x00, 0x00 },
	  8, true, true, 4, 0, -1, 7 },
	/* not moves we emulate */
	{ "add %eax,(%ebx)", { 0x01, 0x03 }, 2, false },
	{ "mov %eax,%ebx (no memory operand)", { 0x89, 0xc3 }, 2, false },
	{ "movsl", { 0xa5 }, 1, false },
	{ "mov 0x70(%edx),%es", { 0x8e, 0x42, 0x70 }, 3, false },
	{ "movl $1,(%eax) with /1", { 0xc7, 0x08, 0x01, 0x00, 0x00, 0x00 }, 6, false },
	{ "addr32 prefix", { 0x67, 0x8b, 0x07 }, 3, false },
	{ "0f 0b (ud2)", { 0x0f, 0x0b }, 2, false },
};

static void test_decode(void)
{
	unsigned int i, n;
	struct pio_insn io;
	struct mmio_insn m;
	uint8_t buf[16];

	group = "decode";
	for (i = 0; i < ARRAY_SIZE(pio_cases); i++) {
		const struct pio_case *c = &pio_cases[i];

		memset(buf, 0xcc, sizeof(buf));
		memcpy(buf, c->bytes, c->nbytes);
		if (!c->ok) {
			CHECK(decode_pio(buf, sizeof(buf), &io) < 0,
			      "%s: refused", c->asm_text);
			continue;
		}
		CHECK(decode_pio(buf, sizeof(buf), &io) == 0 &&
		      io.out == c->out && io.port_in_dx == c->dx &&
		      io.size == c->size && io.len == c->nbytes &&
		      (c->dx || io.port == c->port),
		      "%s: out %d dx %d size %u port 0x%x len %u", c->asm_text,
		      io.out, io.port_in_dx, io.size, io.port, io.len);
		/* Cut short, it must be refused, not read past the end. */
		CHECK(decode_pio(buf, c->nbytes - 1, &io) < 0,
		      "%s: truncated to %u bytes is refused", c->asm_text,
		      c->nbytes - 1);
	}
	for (i = 0; i < ARRAY_SIZE(mmio_cases); i++) {
		const struct mmio_case *c = &mmio_cases[i];
		int reg = c->reg < 0 ? -1 : c->reg & 7;
		bool reg8 = c->reg >= 0 && (c->reg & R8);

		memset(buf, 0xcc, sizeof(buf));
		memcpy(buf, c->bytes, c->nbytes);
		if (!c->ok) {
			CHECK(decode_mmio(buf, sizeof(buf), &m) < 0,
			      "%s: refused", c->asm_text);
			continue;
		}
		CHECK(decode_mmio(buf, sizeof(buf), &m) == 0 &&
		      m.write == c->write && m.size == c->size &&
		      m.len == c->nbytes && m.has_imm == (c->reg < 0) &&
		      (c->reg < 0 ? m.imm == c->imm :
		       m.reg == reg && m.reg8 == reg8 &&
		       m.reg_size == c->reg_size),
		      "%s: write %d size %u reg %d%s/%u imm 0x%x len %u",
		      c->asm_text, m.write, m.size, m.reg, m.reg8 ? "(8)" : "",
		      m.reg_size, m.imm, m.len);
		for (n = 0; n < c->nbytes; n++)
			if (decode_mmio(buf, n, &m) == 0)
				break;
		CHECK(n == c->nbytes, "%s: refused when cut short",
		      c->asm_text);
	}
	/* A run of prefixes longer than an instruction can be */
	memset(buf, 0x66, sizeof(buf));
	CHECK(decode_mmio(buf, sizeof(buf), &m) < 0 &&
	      decode_pio(buf, sizeof(buf), &io) < 0, "endless prefixes refused");
}

static void test_pio(void)
{
	char out[64];

	group = "port I/O";
	fake_vcpu_reset();
	emulate_reset();
	serial_out_fd = out_pipe[1];
	fake_regs[LGUEST_REG_EIP] = 0xc1000000;
	fake_regs[LGUEST_REG_EDX] = 0x123403f8;
	fake_regs[LGUEST_REG_EAX] = 0x11223348;		/* 'H' */
	PIO(0xee);					/* out %al,(%dx) */
	fake_regs[LGUEST_REG_EAX] = 0x69;		/* 'i' */
	PIO(0xee);
	CHECK(drain(out, sizeof(out)) == 2 && !strcmp(out, "Hi"),
	      "out to 0x3f8 prints: \"%s\"", out);
	CHECK_EQ(fake_regs[LGUEST_REG_EIP], 0xc1000002, "eip skips 2 x 1 byte");

	/* earlyprintk's setup: DLAB on, divisor to 0x3f8/9, DLAB off */
	fake_regs[LGUEST_REG_EDX] = 0x3fb;
	fake_regs[LGUEST_REG_EAX] = 0x83;
	PIO(0xee);
	fake_regs[LGUEST_REG_EDX] = 0x3f8;
	fake_regs[LGUEST_REG_EAX] = 0x01;
	PIO(0xee);
	CHECK(drain(out, sizeof(out)) == 0, "divisor latch is not printed");
	fake_regs[LGUEST_REG_EDX] = 0x3fb;
	fake_regs[LGUEST_REG_EAX] = 0xffffff00;
	PIO(0xec);					/* in (%dx),%al */
	CHECK_EQ(fake_regs[LGUEST_REG_EAX], 0xffffff83, "LCR reads back");
	fake_regs[LGUEST_REG_EAX] = 0x03;
	PIO(0xee);
	fake_regs[LGUEST_REG_EDX] = 0x3f8;
	fake_regs[LGUEST_REG_EAX] = '!';
	PIO(0xee);
	CHECK(drain(out, sizeof(out)) == 1 && out[0] == '!',
	      "prints again with DLAB off");

	fake_regs[LGUEST_REG_EAX] = 0xabcdef00;
	PIO(0xe4, 0xfd);				/* in $0xfd,%al: not LSR */
	CHECK_EQ(fake_regs[LGUEST_REG_EAX], 0xabcdefff, "in al, other port");
	fake_regs[LGUEST_REG_EDX] = 0x3fd;
	fake_regs[LGUEST_REG_EAX] = 0xabcdef00;
	PIO(0xec);					/* in (%dx),%al from LSR */
	CHECK_EQ(fake_regs[LGUEST_REG_EAX], 0xabcdef60, "LSR is 0x60, rest kept");
	fake_regs[LGUEST_REG_EAX] = 0xabcd0000;
	PIO(0x66, 0xe5, 0x60);				/* in $0x60,%ax */
	CHECK_EQ(fake_regs[LGUEST_REG_EAX], 0xabcdffff, "in ax: 0xffff");
	PIO(0xe5, 0x40);				/* in $0x40,%eax */
	CHECK_EQ(fake_regs[LGUEST_REG_EAX], 0xffffffff, "in eax: all ones");
	fake_regs[LGUEST_REG_EIP] = 0x1000;
	PIO(0xe7, 0x80);				/* out %eax,$0x80 */
	CHECK_EQ(fake_regs[LGUEST_REG_EIP], 0x1002, "out to 0x80 ignored, skipped");
	CHECK(drain(out, sizeof(out)) == 0, "nothing printed for port 0x80");
	CHECK_EQ(fake_ntraps, 0, "no traps so far");

	PIO(0xf3, 0x6e);				/* rep outsb */
	CHECK(fake_ntraps == 1 && fake_traps[0] == 13, "string I/O gets #GP");
	CHECK_EQ(fake_regs[LGUEST_REG_EIP], 0x1002, "eip unchanged after #GP");
}

UNIT_TEST(test_decode, 30);
UNIT_TEST(test_pio, 40);
