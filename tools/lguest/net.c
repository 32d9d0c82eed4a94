// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio network device (device ID 1) on a tap: --tunnet=IP or
 * --tunnet=bridge:BR gives the guest an Ethernet interface whose other
 * end is a tap device on the host, lgtapN.  With IP, the host side of the
 * tap gets that address (a /24) and the guest picks another one of the
 * network; with bridge:BR, the tap joins the host's bridge BR, and the
 * guest is on whatever network BR is on.
 *
 * The tap is opened with IFF_VNET_HDR: every packet read from it or
 * written to it starts with a virtio-net header, so the guest's packets
 * go to the tap as they are, header included, and the tap's come to the
 * guest the same way.  With VIRTIO_F_VERSION_1 (which every device here
 * requires) the header is struct virtio_net_hdr_v1, 12 bytes, whatever
 * VIRTIO_NET_F_MRG_RXBUF says; TUNSETVNETHDRSZ makes the tap use that
 * size.  Features: a MAC address (locally administered, from our pid and
 * the device's number, so that guests on one bridge differ), and partial
 * checksums both ways: VIRTIO_NET_F_CSUM (the guest may leave checksums
 * to us: the host's stack completes them) and VIRTIO_NET_F_GUEST_CSUM
 * (the guest takes packets whose checksum is not done yet; we tell the
 * tap so with TUNSETOFFLOAD, once the guest has accepted the feature).
 * No segmentation offloads, no mergeable buffers: a receive buffer holds
 * a whole packet.
 *
 * Transmit is done when the guest kicks transmitq, in the main thread.
 * Receive has a thread: it waits in poll() for a packet on the tap, reads
 * it into a buffer of its own, and copies it to the guest's next receive
 * buffer under the device lock.  When the guest has no buffer, the packet
 * waits, the thread stops reading the tap (which then queues and drops,
 * as a full network card would) and waits for a receiveq notify, which
 * comes through a pipe.  Packets that come while the guest's driver is
 * not running (before it starts, after a reset) are dropped.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>
#include "net.h"
#include "virtio.h"

#define NET_QUEUE_SIZE	256
#define RX_QUEUE	0
#define TX_QUEUE	1
/* The largest packet a tap gives us: the header and a 64 KiB frame */
#define PKT_MAX		(NET_HDR_SIZE + 65536 + 64)
#define TUN_DEV		"/dev/net/tun"
#define TAP_NAME	"lgtap%d"
#define MAKE_BRIDGE	"ip link add NAME type bridge"

static_assert(sizeof(struct virtio_net_hdr_v1) == NET_HDR_SIZE,
	      "the virtio 1.0 net header is 12 bytes");

struct net {
	struct virtio_device vdev;
	struct virtio_net_config config;
	char name[16];
	char ifname[IFNAMSIZ];
	int fd;			/* the tap (or a unit test's socket) */
	bool tap;
	/* Woken up by a receiveq notify, a reset and DRIVER_OK */
	struct dev_thread rx;
	/* The receive thread's packet, waiting for a buffer of the guest */
	uint8_t *pkt;
	/* Working space, under the device lock */
	struct vq_elem rx_elem, tx_elem;
	struct iovec tx_iov[VQ_NUM_MAX + 1];
};

static struct net *to_net(struct virtio_device *vdev)
{
	return container_of(vdev, struct net, vdev);
}

/* ---- the host side: the tap ---- */

static int if_index(int sock, const char *name)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(sock, SIOCGIFINDEX, &ifr) < 0)
		return -1;
	return ifr.ifr_ifindex;
}

static int set_ipv4(int sock, const char *ifname, unsigned long req,
		    struct in_addr a)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr = a };
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	memcpy(&ifr.ifr_addr, &sin, sizeof(sin));
	return ioctl(sock, req, &ifr);
}

static int if_up(int sock, const char *ifname)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0)
		return -1;
	ifr.ifr_flags |= IFF_UP;
	return ioctl(sock, SIOCSIFFLAGS, &ifr);
}

/*
 * Make the tap a port of the bridge, as "ip link set TAP master BR" does:
 * an RTM_NEWLINK for the tap with IFLA_MASTER, over rtnetlink (the old
 * SIOCBRADDIF ioctl does the same, but user-mode emulators do not pass it
 * on).  0, or -1 with errno set.
 */
static int bridge_add_port(int tap_index, int bridge_index)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
		struct rtattr rta;
		__u32 master;
	} req = {
		.nh = {
			.nlmsg_len = sizeof(req),
			.nlmsg_type = RTM_NEWLINK,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK,
			.nlmsg_seq = 1,
		},
		.ifi = { .ifi_family = AF_UNSPEC, .ifi_index = tap_index },
		.rta = { .rta_len = RTA_LENGTH(sizeof(__u32)),
			 .rta_type = IFLA_MASTER },
		.master = bridge_index,
	};
	struct {
		struct nlmsghdr nh;
		struct nlmsgerr err;
	} ack;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	ssize_t n;
	int nl, err;

	nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (nl < 0)
		return -1;
	if (sendto(nl, &req, sizeof(req), 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) != sizeof(req)) {
		err = errno;
		goto out;
	}
	n = recv(nl, &ack, sizeof(ack), 0);
	if (n < 0)
		err = errno;
	else if (n < (ssize_t)sizeof(ack) || ack.nh.nlmsg_type != NLMSG_ERROR)
		err = EPROTO;
	else
		err = -ack.err.error;
out:
	close(nl);
	errno = err;
	return err ? -1 : 0;
}

/* The host's end of the guest's network: an address, or a bridge port. */
static int tap_configure(int sock, const struct tunnet *tn,
			 const char *ifname)
{
	struct in_addr mask = { .s_addr = htonl(0xffffff00) };
	char ip[INET_ADDRSTRLEN];

	if (tn->bridge) {
		int tap = if_index(sock, ifname), br = if_index(sock, tn->bridge);

		if (tap < 0 || br < 0 || bridge_add_port(tap, br) < 0) {
			errorf("cannot add tap %s to bridge %s: %s%s", ifname,
			       tn->bridge, strerror(errno),
			       errno == EOPNOTSUPP || errno == EINVAL ?
			       " (is it a bridge? make one with: " MAKE_BRIDGE ")" :
			       "");
			return -1;
		}
	} else {
		inet_ntop(AF_INET, &tn->ip, ip, sizeof(ip));
		if (set_ipv4(sock, ifname, SIOCSIFADDR, tn->ip) < 0 ||
		    set_ipv4(sock, ifname, SIOCSIFNETMASK, mask) < 0) {
			errorf("cannot give tap %s the address %s/24: %s",
			       ifname, ip, strerror(errno));
			return -1;
		}
	}
	if (if_up(sock, ifname) < 0) {
		errorf("cannot bring tap %s up: %s", ifname, strerror(errno));
		return -1;
	}
	return 0;
}

#define TUNNET_EXAMPLE	"e.g. --tunnet=192.168.19.1, or --tunnet=bridge:br0"

/*
 * --tunnet=IP: the host's address on the guest's /24, which must be one a
 * host can have there.  --tunnet=bridge:BR: an interface name.
 */
int parse_tunnet(const char *arg, struct tunnet *tn)
{
	static const char bridge[] = "bridge:";
	const char *br;
	uint32_t ip;

	memset(tn, 0, sizeof(*tn));
	tn->arg = arg;
	if (!strncmp(arg, bridge, strlen(bridge))) {
		br = arg + strlen(bridge);
		if (!*br) {
			errorf("--tunnet=%s needs a bridge name, %s", arg,
			       TUNNET_EXAMPLE);
			return -1;
		}
		if (strlen(br) >= IFNAMSIZ) {
			errorf("--tunnet=%s: bridge name '%s' is longer than %d characters",
			       arg, br, IFNAMSIZ - 1);
			return -1;
		}
		if (!strcmp(br, ".") || !strcmp(br, "..") ||
		    strpbrk(br, "/: \t\n")) {
			errorf("--tunnet=%s: '%s' is not an interface name", arg,
			       br);
			return -1;
		}
		tn->bridge = br;
		return 0;
	}
	if (inet_pton(AF_INET, arg, &tn->ip) != 1) {
		errorf("--tunnet=%s: '%s' is not an IPv4 address: give %s, %s",
		       arg, arg,
		       "the host's address on the guest's network or a bridge",
		       TUNNET_EXAMPLE);
		return -1;
	}
	ip = ntohl(tn->ip.s_addr);
	if ((ip >> 24) == 0 || (ip >> 24) == 127 || (ip >> 24) >= 224 ||
	    (ip & 0xff) == 0 || (ip & 0xff) == 255) {
		errorf("--tunnet=%s: the host cannot have address %s on a /24 network (%s): %s",
		       arg, arg,
		       "zero, loopback, multicast, or the network's first or last address",
		       TUNNET_EXAMPLE);
		return -1;
	}
	return 0;
}

/*
 * Make a tap for --tunnet and set up its host side; its name goes to
 * ifname.  The tap lives as long as the file we return (it is not made
 * persistent), so it goes away with the Launcher, however that ends.
 */
int tap_open(const struct tunnet *tn, char *ifname, size_t size)
{
	int fd = -1, sock, hdr_size = NET_HDR_SIZE;
	const char *hint = "";
	struct ifreq ifr;
	char how[80];

	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0) {
		errorf("cannot make a socket to set up a tap: %s",
		       strerror(errno));
		return -1;
	}
	if (tn->bridge && if_index(sock, tn->bridge) < 0) {
		snprintf(how, sizeof(how),
			 "ip link add %s type bridge; ip link set %s up",
			 tn->bridge, tn->bridge);
		errorf("--tunnet=%s: bridge %s does not exist: create it first (%s)",
		       tn->arg, tn->bridge, how);
		goto fail;
	}
	fd = open(TUN_DEV, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENODEV || errno == ENXIO)
			hint = " (is the tun module loaded? try: modprobe tun)";
		else if (errno == EACCES || errno == EPERM)
			hint = " (run the Launcher as root)";
		errorf("cannot open %s for --tunnet: %s%s", TUN_DEV,
		       strerror(errno), hint);
		goto fail;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", TAP_NAME);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		errorf("cannot create a tap device: %s%s", strerror(errno),
		       errno == EPERM ? " (it takes CAP_NET_ADMIN: run the Launcher as root)" : "");
		goto fail;
	}
	snprintf(ifname, size, "%s", ifr.ifr_name);
	/* No offloads until the guest's driver accepts GUEST_CSUM. */
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr_size) < 0 ||
	    ioctl(fd, TUNSETOFFLOAD, 0) < 0) {
		errorf("tap %s does not take %d-byte virtio-net headers: %s",
		       ifname, hdr_size, strerror(errno));
		goto fail;
	}
	if (tap_configure(sock, tn, ifname))
		goto fail;
	close(sock);
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	close(sock);
	return -1;
}

/* ---- the device ---- */

/*
 * Packets with a checksum still to do, only for a guest that takes them;
 * we ask the tap for them then (and not after a reset).
 */
static void set_offload(struct net *n, bool csum)
{
	if (n->tap && ioctl(n->fd, TUNSETOFFLOAD, csum ? TUN_F_CSUM : 0) < 0)
		vmsg("%s: TUNSETOFFLOAD on %s: %s", n->name, n->ifname,
		     strerror(errno));
}

static void net_driver_ok(struct virtio_device *vdev)
{
	struct net *n = to_net(vdev);

	set_offload(n, virtio_has_feature(vdev, VIRTIO_NET_F_GUEST_CSUM));
	dev_thread_wake(&n->rx);
}

static void net_reset(struct virtio_device *vdev)
{
	struct net *n = to_net(vdev);

	set_offload(n, false);
	/* The packet it holds, if any, is dropped: the driver is gone. */
	dev_thread_wake(&n->rx);
}

static void receive_notify(struct virtio_device *vdev, struct virtqueue *vq)
{
	(void)vq;
	dev_thread_wake(&to_net(vdev)->rx);
}

/*
 * One packet from the guest to the tap.  The header is read once, checked
 * and written from our copy; the frame goes straight from guest memory.
 */
static void send_packet(struct net *n, const struct vq_elem *e)
{
	struct virtio_net_hdr_v1 h;
	unsigned int cnt;
	ssize_t ret;

	if (iov_to_buf(e->out, e->nout, 0, &h, sizeof(h)) != sizeof(h) ||
	    e->out_len > PKT_MAX) {
		vmsg("%s: transmit buffer %u of %u bytes: not a packet",
		     n->name, e->head, e->out_len);
		return;
	}
	if (h.gso_type != VIRTIO_NET_HDR_GSO_NONE ||
	    ((h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
	     !virtio_has_feature(&n->vdev, VIRTIO_NET_F_CSUM))) {
		vmsg("%s: packet with offloads not agreed on (flags 0x%x, gso %u): dropped",
		     n->name, h.flags, h.gso_type);
		return;
	}
	h.num_buffers = 0;
	n->tx_iov[0].iov_base = &h;
	n->tx_iov[0].iov_len = sizeof(h);
	cnt = 1 + iov_slice(e->out, e->nout, sizeof(h),
			    e->out_len - sizeof(h), n->tx_iov + 1);
	do {
		ret = writev(n->fd, n->tx_iov, cnt);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0)
		vmsg("%s: %u-byte packet to %s dropped: %s", n->name,
		     e->out_len, n->ifname, strerror(errno));
}

static void net_transmit(struct virtio_device *vdev, struct virtqueue *vq)
{
	struct net *n = to_net(vdev);
	struct vq_elem *e = &n->tx_elem;
	unsigned int i;
	bool used = false;

	/* At most a queue's worth of packets a kick */
	for (i = 0; i < vq->num && vq_pop(vq, e) > 0; i++) {
		send_packet(n, e);
		vq_push(vq, e, 0);
		used = true;
	}
	if (used)
		vq_interrupt(vq);
}

enum rx_result { RX_DONE, RX_NO_BUFFER };

/*
 * The packet the receive thread holds (len bytes, header included) into
 * the guest's next receive buffer.  RX_NO_BUFFER: keep it and wait for
 * one; RX_DONE: it was delivered or dropped.
 */
static enum rx_result deliver(struct net *n, size_t len)
{
	struct virtio_device *vdev = &n->vdev;
	struct virtqueue *vq = &vdev->vqs[RX_QUEUE];
	struct virtio_net_hdr_v1 *h = (void *)n->pkt;
	struct vq_elem *e = &n->rx_elem;
	enum rx_result ret = RX_DONE;
	int got;

	if (len < sizeof(*h) || h->gso_type != VIRTIO_NET_HDR_GSO_NONE) {
		vmsg("%s: odd packet from %s (%zu bytes, gso %u): dropped",
		     n->name, n->ifname, len, len < sizeof(*h) ? 0 : h->gso_type);
		return RX_DONE;
	}
	pthread_mutex_lock(&vdev->dev.lock);
	if (!virtio_running(vdev))
		goto out;
	if (!virtio_has_feature(vdev, VIRTIO_NET_F_GUEST_CSUM)) {
		/* From before a reset, when the tap still did offloads */
		if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
			goto out;
		h->flags = 0;
	}
	/* No VIRTIO_NET_F_MRG_RXBUF: one buffer per packet */
	h->num_buffers = 1;
	got = vq_pop(vq, e);
	if (got == 0)
		ret = RX_NO_BUFFER;
	if (got <= 0)
		goto out;
	if (e->in_len < len) {
		vmsg("%s: receive buffer %u holds %u bytes, the packet %zu: dropped",
		     n->name, e->head, e->in_len, len);
		vq_push(vq, e, 0);
	} else {
		iov_from_buf(e->in, e->nin, 0, n->pkt, len);
		vq_push(vq, e, len);
	}
	vq_interrupt(vq);
out:
	pthread_mutex_unlock(&vdev->dev.lock);
	return ret;
}

static void *rx_thread(void *arg)
{
	struct net *n = arg;
	size_t held = 0;	/* bytes of the packet waiting in n->pkt */
	bool tap_ok = true;	/* until the tap fails us */
	ssize_t len;
	int ret;

	for (;;) {
		/*
		 * A packet waits for a buffer: only a notify helps, so the tap
		 * is left out of the wait (a negative fd), as when it has
		 * failed.
		 */
		ret = dev_thread_wait(&n->rx, tap_ok && !held ? n->fd : -1);
		if (ret < 0)
			return NULL;
		if (ret > 0) {
			len = read(n->fd, n->pkt, PKT_MAX);
			if (len > 0) {
				held = len;
			} else if (len == 0 || (errno != EAGAIN &&
						errno != EINTR)) {
				vmsg("%s: receive stops: %s", n->name,
				     len ? strerror(errno) : "end of file");
				tap_ok = false;
			}
		}
		if (held && deliver(n, held) == RX_DONE)
			held = 0;
	}
}

static int net_start(struct virtio_device *vdev)
{
	struct net *n = to_net(vdev);

	return dev_thread_start(&n->rx, rx_thread, n);
}

static void net_stop(struct virtio_device *vdev)
{
	dev_thread_stop(&to_net(vdev)->rx);
}

/*
 * The device on an open tap (or, for the unit tests, any file that reads
 * and writes whole packets, such as a datagram socket: tap false).
 */
struct device *net_create(int fd, bool tap, unsigned int index,
			  const char *ifname)
{
	uint32_t pid = getpid();
	struct net *n;

	n = calloc(1, sizeof(*n));
	if (n)
		n->pkt = malloc(PKT_MAX);
	if (!n || !n->pkt) {
		free(n);
		errorf("out of memory for a network device");
		return NULL;
	}
	snprintf(n->name, sizeof(n->name), "net%u", index);
	snprintf(n->ifname, sizeof(n->ifname), "%s", ifname);
	n->fd = fd;
	n->tap = tap;
	dev_thread_init(&n->rx, n->name, "receive");
	virtio_device_init(&n->vdev, n->name, VIRTIO_ID_NET,
			   (1ull << VIRTIO_NET_F_CSUM) |
			   (1ull << VIRTIO_NET_F_GUEST_CSUM) |
			   (1ull << VIRTIO_NET_F_MAC),
			   &n->config, sizeof(n->config));
	n->vdev.reset = net_reset;
	n->vdev.driver_ok = net_driver_ok;
	n->vdev.start = net_start;
	n->vdev.stop = net_stop;
	/* Locally administered, unicast: 02:4c ("L"), our pid, the index */
	n->config.mac[0] = 0x02;
	n->config.mac[1] = 0x4c;
	n->config.mac[2] = pid >> 16;
	n->config.mac[3] = pid >> 8;
	n->config.mac[4] = pid;
	n->config.mac[5] = index;
	virtio_add_vq(&n->vdev, "receiveq", NET_QUEUE_SIZE, receive_notify);
	virtio_add_vq(&n->vdev, "transmitq", NET_QUEUE_SIZE, net_transmit);
	vmsg("%s: tap %s, MAC %02x:%02x:%02x:%02x:%02x:%02x", n->name,
	     n->ifname, n->config.mac[0], n->config.mac[1], n->config.mac[2],
	     n->config.mac[3], n->config.mac[4], n->config.mac[5]);
	return &n->vdev.dev;
}

static int tunnet_check(const char *arg)
{
	struct tunnet tn;

	return parse_tunnet(arg, &tn);
}

static struct device *net_type_create(const char *arg, unsigned int index)
{
	char ifname[IFNAMSIZ];
	struct tunnet tn;
	int fd;

	if (parse_tunnet(arg, &tn))
		return NULL;
	fd = tap_open(&tn, ifname, sizeof(ifname));
	return fd < 0 ? NULL : net_create(fd, true, index, ifname);
}

static const struct device_type net_type = {
	.option = "tunnet",
	.has_arg = true,
	.help = "  --tunnet=IP        a virtio network card on a new tap device whose\n"
		"                     host side gets address IP/24 (give the guest\n"
		"                     another address of that network)\n"
		"  --tunnet=bridge:BR the same, on a tap added to the host's bridge\n"
		"                     BR.  Repeat --tunnet for more cards; taps need\n"
		"                     root and the tun module\n",
	.order = 3,
	.check = tunnet_check,
	.create = net_type_create,
};

DEVICE_TYPE(net_type);
