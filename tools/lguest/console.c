// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio console (device ID 3), the guest's hvc0: one port, no
 * multiport, no size or emergency-write features.  Queue 0 (receiveq)
 * holds buffers the guest gives us to fill with what is typed on stdin;
 * queue 1 (transmitq) holds what it prints, which goes to stdout.
 *
 * Input has a thread of its own, which waits in poll() for stdin while
 * the main thread runs the guest.  The two share the device under its
 * lock.  What the guest has no empty receive buffer for waits in a small
 * buffer; a notify on receiveq wakes the thread up through a pipe to
 * deliver it.  The thread always goes on reading stdin, even when the
 * guest takes nothing (before its console is up, or after it broke it),
 * so that three Ctrl-C always get through; past the buffer, input is
 * dropped, as a serial port would.  The same pipe tells the thread to
 * stop when the Launcher ends.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/virtio_console.h>
#include <linux/virtio_ids.h>
#include "console.h"
#include "virtio.h"

#define CONSOLE_QUEUE_SIZE	128
/* The most of one transmit buffer that goes out (see transmit()) */
#define TX_MAX			65536u
#define RX_QUEUE		0
#define CTRL_C			0x03

struct console {
	struct virtio_device vdev;
	struct virtio_console_config config;
	int in_fd, out_fd;
	bool in_tty;
	/* Woken up when the guest adds receive buffers */
	struct dev_thread input;
	/* Input the guest has no buffers for yet (input thread only). */
	uint8_t pending[4096];
	size_t npending;
	/* Working space for one buffer each way, under the device lock. */
	struct vq_elem rx_elem, tx_elem;
};

static struct console *to_console(struct virtio_device *vdev)
{
	return container_of(vdev, struct console, vdev);
}

/*
 * Write it all to stdout; a reader that went away loses the output.  So
 * does one that takes nothing (a full pipe, a terminal stopped with
 * Ctrl-S) once the Launcher is to stop: the signal that says so, or the
 * one request_stop() sends, ends the wait with EINTR.  False if output
 * was lost.
 */
static bool write_all(int fd, const uint8_t *p, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR && !stop_is_pending())
			continue;
		if (n <= 0) {
			vmsg("console output lost: %s",
			     n ? strerror(errno) : "short write");
			return false;
		}
		p += n;
		len -= n;
	}
	return true;
}

/*
 * What the guest prints.  A kick costs us a bounded amount of work, since
 * the device lock is held all along and the input thread waits for it:
 * at most a queue's worth of buffers, and at most TX_MAX bytes of each.
 * A longer buffer (a chain of descriptors may describe 4 GiB, all of it
 * the same page) is cut short rather than refused: the spec sets no size
 * limit on transmitq buffers, so it is no driver error to answer with
 * NEEDS_RESET, and a device-readable buffer goes back with a used length
 * of 0 whatever we took of it.  Linux's driver never sends that much.
 * Once output is lost, the rest of the kick's goes too, so that a reader
 * that takes nothing does not hold us once per buffer.
 */
static void transmit(struct virtio_device *vdev, struct virtqueue *vq)
{
	struct console *con = to_console(vdev);
	struct vq_elem *e = &con->tx_elem;
	unsigned int i, n;
	uint32_t left, len;
	bool used = false, lost = false;

	for (n = 0; n < vq->num && vq_pop(vq, e) > 0; n++) {
		if (e->out_len > TX_MAX)
			vmsg("console: buffer %u holds %u bytes: only its first %u go out",
			     e->head, e->out_len, TX_MAX);
		left = TX_MAX;
		for (i = 0; i < e->nout && left && !lost; i++) {
			len = e->out[i].len < left ? e->out[i].len : left;
			lost = !write_all(con->out_fd, e->out[i].base, len);
			left -= len;
		}
		vq_push(vq, e, 0);
		used = true;
	}
	if (used)
		vq_interrupt(vq);
}

static void receive_notify(struct virtio_device *vdev, struct virtqueue *vq)
{
	(void)vq;
	dev_thread_wake(&to_console(vdev)->input);
}

/*
 * Put up to len bytes into the guest's receive buffers, with the device
 * lock held.  Returns how many bytes went in: fewer than len when the
 * guest has no more empty buffers (or the device is not running).
 */
static size_t feed_locked(struct virtio_device *vdev, const uint8_t *buf,
			  size_t len)
{
	struct virtqueue *vq = &vdev->vqs[RX_QUEUE];
	struct vq_elem *e = &to_console(vdev)->rx_elem;
	size_t done = 0;
	uint32_t put, n;
	unsigned int i;
	bool used = false;

	while (done < len && vq_pop(vq, e) > 0) {
		if (!e->in_len) {
			virtio_error(vdev, "receive buffer %u has no writable part",
				     e->head);
			break;
		}
		put = 0;
		for (i = 0; i < e->nin && done < len; i++) {
			n = e->in[i].len;
			if (n > len - done)
				n = len - done;
			memcpy(e->in[i].base, buf + done, n);
			done += n;
			put += n;
		}
		vq_push(vq, e, put);
		used = true;
	}
	if (used)
		vq_interrupt(vq);
	return done;
}

size_t console_feed(struct device *dev, const uint8_t *buf, size_t len)
{
	size_t n;

	pthread_mutex_lock(&dev->lock);
	n = feed_locked(to_virtio(dev), buf, len);
	pthread_mutex_unlock(&dev->lock);
	return n;
}

static void console_reset(struct virtio_device *vdev)
{
	/* Pending input goes to the buffers of the reset device's next life. */
	dev_thread_wake(&to_console(vdev)->input);
}

/*
 * Three Ctrl-C within a second, the way out when the terminal is raw and
 * Ctrl-C goes to the guest: true on the third.
 */
bool ctrlc_pressed(struct ctrlc_state *s, uint64_t now_ms)
{
	s->times_ms[s->count++ % 3] = now_ms;
	return s->count >= 3 && now_ms - s->times_ms[s->count % 3] <= 1000;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The main thread stops the guest and the Launcher; this thread ends. */
static bool check_ctrlc(struct ctrlc_state *s, const uint8_t *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (buf[i] == CTRL_C && ctrlc_pressed(s, now_ms())) {
			request_stop(EXIT_GUEST,
				     "three Ctrl-C within a second: stopping the guest");
			return true;
		}
	}
	return false;
}

enum input_state {
	INPUT_OPEN,		/* more may come */
	INPUT_END,		/* stdin ended: the guest gets no more */
	INPUT_QUIT,		/* three Ctrl-C: the thread ends */
};

/* Take what stdin has. */
static enum input_state read_input(struct console *con,
				   struct ctrlc_state *cs)
{
	uint8_t buf[256];
	size_t room = sizeof(con->pending) - con->npending;
	ssize_t n;

	n = read(con->in_fd, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return INPUT_OPEN;
	if (n <= 0) {
		vmsg("console input ends: %s",
		     n ? strerror(errno) : "end of file");
		return INPUT_END;
	}
	if (con->in_tty && check_ctrlc(cs, buf, n))
		return INPUT_QUIT;
	if ((size_t)n > room) {
		vmsg("console: the guest takes no input, %zu bytes dropped",
		     n - room);
		n = room;
	}
	memcpy(con->pending + con->npending, buf, n);
	con->npending += n;
	return INPUT_OPEN;
}

static void *input_thread(void *arg)
{
	struct console *con = arg;
	struct ctrlc_state cs = { .count = 0 };
	int fd = con->in_fd;	/* -1 once input has ended */
	int ret;
	size_t n;

	for (;;) {
		ret = dev_thread_wait(&con->input, fd);
		if (ret < 0)
			return NULL;
		if (ret > 0) {
			switch (read_input(con, &cs)) {
			case INPUT_OPEN:
				break;
			case INPUT_END:
				fd = -1;
				break;
			case INPUT_QUIT:
				return NULL;
			}
		}
		if (con->npending) {
			n = console_feed(&con->vdev.dev, con->pending,
					 con->npending);
			con->npending -= n;
			memmove(con->pending, con->pending + n, con->npending);
		}
		/* Once what is left is delivered, the thread has no more to do. */
		if (fd < 0 && !con->npending)
			return NULL;
	}
}

/* The input thread starts once the guest is set up (devices_start()). */
static int console_start(struct virtio_device *vdev)
{
	struct console *con = to_console(vdev);

	con->in_tty = isatty(con->in_fd);
	/* Every key to the guest: main() restores the terminal at the end. */
	if (con->in_tty && term_raw(con->in_fd))
		return -1;
	return dev_thread_start(&con->input, input_thread, con);
}

static void console_stop(struct virtio_device *vdev)
{
	dev_thread_stop(&to_console(vdev)->input);
}

struct device *console_create(int in_fd, int out_fd)
{
	struct console *con = calloc(1, sizeof(*con));

	if (!con) {
		errorf("out of memory for the console");
		return NULL;
	}
	virtio_device_init(&con->vdev, "console", VIRTIO_ID_CONSOLE, 0,
			   &con->config, sizeof(con->config));
	con->vdev.reset = console_reset;
	con->vdev.start = console_start;
	con->vdev.stop = console_stop;
	con->in_fd = in_fd;
	con->out_fd = out_fd;
	dev_thread_init(&con->input, con->vdev.dev.name, "input");
	/* In the spec's order: port 0's receiveq (RX_QUEUE), then transmitq */
	virtio_add_vq(&con->vdev, "receiveq", CONSOLE_QUEUE_SIZE,
		      receive_notify);
	virtio_add_vq(&con->vdev, "transmitq", CONSOLE_QUEUE_SIZE, transmit);
	return &con->vdev.dev;
}

/* The console is always there, the first device: hvc0 */
static struct device *console_type_create(const char *arg __maybe_unused,
					  unsigned int index __maybe_unused)
{
	return console_create(STDIN_FILENO, STDOUT_FILENO);
}

static const struct device_type console_type = {
	.notes = "The guest console is this terminal (the virtio console, hvc0, plus an\n"
		 "emulated serial port for early messages).  The terminal is put in raw\n"
		 "mode, so Ctrl-C goes to the guest: press Ctrl-C three times within one\n"
		 "second to stop the guest and the Launcher.\n",
	.order = 0,
	.create = console_type_create,
};

DEVICE_TYPE(console_type);
