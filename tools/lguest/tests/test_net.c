// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: the virtio network device (net.c), and the options of every
 * kind of device together.
 */
#include "net.h"
#include "virtio_driver.h"

/* ---------------------------------------------------------------- */
/* virtio-net, on a socket pair in place of the tap                  */

/* CSUM, GUEST_CSUM and MAC */
#define NET_FEATURES	0x23u
#define RX_BUF(i)	(BUF_BASE + 0x10000 + (i) * 0x800)
#define RX_BUF_LEN	1526	/* Linux's small buffers: header + 1514 */
#define ETH_TEST	0x88b5	/* IEEE local experimental EtherType */

static int net_peer = -1;

/* A test frame: header then an Ethernet frame of len bytes in total */
static size_t make_frame(uint8_t *p, uint8_t flags, uint8_t gso, size_t len,
			 uint8_t seed)
{
	struct virtio_net_hdr_v1 h = {
		.flags = flags, .gso_type = gso, .csum_start = 34,
		.csum_offset = 6, .num_buffers = 0x7777,
	};
	size_t i;

	memcpy(p, &h, sizeof(h));
	memset(p + 12, 0xff, 6);			/* broadcast */
	memcpy(p + 18, "\x02\x00\x00\x00\x00\x01", 6);
	p[24] = ETH_TEST >> 8;
	p[25] = ETH_TEST & 0xff;
	for (i = 26; i < len; i++)
		p[i] = seed + i;
	return len;
}

static void post_rx(unsigned int i, uint32_t len)
{
	memset(gmem(RX_BUF(i)), 0xee, 0x800);
	set_desc(0, i, RX_BUF(i), len, VRING_DESC_F_WRITE, 0);
	make_avail(0, i);
	kick(0);
}

static ssize_t peer_recv(uint8_t *buf, size_t len)
{
	return recv(net_peer, buf, len, MSG_DONTWAIT);
}

/* Transmit one packet made of two descriptors: header + 14, the rest. */
static void net_tx(const uint8_t *pkt, size_t len)
{
	memcpy(gmem(BUF_BASE), pkt, 26);
	memcpy(gmem(BUF_BASE + 0x100), pkt + 26, len - 26);
	set_desc(1, 0, BUF_BASE, 26, VRING_DESC_F_NEXT, 1);
	set_desc(1, 1, BUF_BASE + 0x100, len - 26, 0, 0);
	make_avail(1, 0);
	kick(1);
}

static void test_net_tx(void)
{
	uint8_t pkt[200], got[400];
	struct virtio_net_hdr_v1 *h = (void *)got;

	group = "virtio-net transmit";
	make_frame(pkt, VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 72, 1);
	net_tx(pkt, 72);
	CHECK_EQ(peer_recv(got, sizeof(got)), 72, "a 72-byte packet reaches the tap");
	CHECK(h->flags == VIRTIO_NET_HDR_F_NEEDS_CSUM && h->gso_type == 0 &&
	      h->csum_start == 34 && h->csum_offset == 6,
	      "the header goes through (partial checksum)");
	CHECK(!memcmp(got + 12, pkt + 12, 60), "the frame goes through");
	CHECK(used(1)->idx == 1 && last_used(1)->len == 0, "used, 0 bytes written");
	CHECK(fake_nirqs == 1 && fake_irqs[0] == dut->irq, "interrupt");

	make_frame(pkt, 0, VIRTIO_NET_HDR_GSO_TCPV4, 72, 2);
	net_tx(pkt, 72);
	CHECK(peer_recv(got, sizeof(got)) < 0 && used(1)->idx == 2,
	      "a GSO packet (not offered) is dropped, its buffer returned");
	set_desc(1, 0, BUF_BASE, 8, 0, 0);
	make_avail(1, 0);
	kick(1);
	CHECK(peer_recv(got, sizeof(got)) < 0 && used(1)->idx == 3,
	      "a buffer shorter than the header is dropped");
	CHECK(!needs_reset(), "no device error");
}

static void test_net_rx(void)
{
	struct virtio_net_hdr_v1 *h = (void *)gmem(RX_BUF(0));
	uint8_t pkt[2000];
	size_t len;

	group = "virtio-net receive";
	post_rx(0, RX_BUF_LEN);
	len = make_frame(pkt, VIRTIO_NET_HDR_F_DATA_VALID, 0, 112, 3);
	CHECK(send(net_peer, pkt, len, 0) == (ssize_t)len, "the tap has a packet");
	CHECK(wait_used(0, 1), "it arrives");
	CHECK_EQ(last_used(0)->len, 112, "112 bytes written");
	CHECK(h->flags == VIRTIO_NET_HDR_F_DATA_VALID && h->num_buffers == 1,
	      "header: DATA_VALID kept (GUEST_CSUM), num_buffers 1");
	CHECK(!memcmp(gmem(RX_BUF(0)) + 12, pkt + 12, 100) &&
	      *gmem(RX_BUF(0) + 112) == 0xee, "the frame, no more");
	CHECK(fake_nirqs >= 1 && fake_irqs[0] == dut->irq, "interrupt");

	/* No buffer: the packet waits for one */
	len = make_frame(pkt, 0, 0, 1514, 4);
	send(net_peer, pkt, len, 0);
	usleep(50000);
	CHECK_EQ(used(0)->idx, 1, "no buffer: nothing delivered yet");
	post_rx(1, RX_BUF_LEN);
	CHECK(wait_used(0, 2) && last_used(0)->id == 1 &&
	      last_used(0)->len == 1514 &&
	      !memcmp(gmem(RX_BUF(1)) + 12, pkt + 12, 1502),
	      "a full-size packet delivered once a buffer comes");

	/* A buffer too small for the packet */
	post_rx(2, 100);
	len = make_frame(pkt, 0, 0, 200, 5);
	send(net_peer, pkt, len, 0);
	CHECK(wait_used(0, 3) && last_used(0)->len == 0,
	      "too small a buffer: returned empty, the packet dropped");
	CHECK(!needs_reset(), "no device error");

	/* A driver without GUEST_CSUM */
	driver_init_features(1u << VIRTIO_NET_F_MAC, true);
	post_rx(0, RX_BUF_LEN);
	len = make_frame(pkt, VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 80, 6);
	send(net_peer, pkt, len, 0);
	len = make_frame(pkt, VIRTIO_NET_HDR_F_DATA_VALID, 0, 90, 7);
	send(net_peer, pkt, len, 0);
	CHECK(wait_used(0, 1) && last_used(0)->len == 90,
	      "without GUEST_CSUM: a partial-checksum packet is dropped");
	CHECK(h->flags == 0 && !memcmp(gmem(RX_BUF(0)) + 12, pkt + 12, 78),
	      "without GUEST_CSUM: the next one comes without DATA_VALID");
	make_frame(pkt, VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 72, 8);
	net_tx(pkt, 72);
	CHECK(peer_recv(pkt, sizeof(pkt)) < 0 && used(1)->idx == 1,
	      "without CSUM: a partial-checksum packet to send is dropped");

	/* Before DRIVER_OK, packets are dropped */
	driver_init_features(NET_FEATURES, false);
	post_rx(0, RX_BUF_LEN);
	len = make_frame(pkt, 0, 0, 64, 9);
	send(net_peer, pkt, len, 0);
	usleep(50000);
	w32(VIRTIO_MMIO_STATUS, status_ok());
	usleep(50000);
	CHECK_EQ(used(0)->idx, 0, "a packet before DRIVER_OK is dropped");
	len = make_frame(pkt, 0, 0, 66, 10);
	send(net_peer, pkt, len, 0);
	CHECK(wait_used(0, 1) && last_used(0)->len == 66,
	      "after DRIVER_OK, packets arrive");

	/* Gigantic packets (GSO) from the tap are not for this guest */
	len = make_frame(pkt, 0, VIRTIO_NET_HDR_GSO_TCPV4, 100, 11);
	send(net_peer, pkt, len, 0);
	post_rx(1, RX_BUF_LEN);
	len = make_frame(pkt, 0, 0, 70, 12);
	send(net_peer, pkt, len, 0);
	CHECK(wait_used(0, 2) && last_used(0)->len == 70,
	      "a GSO packet from the tap is dropped");
}

static void test_net(void)
{
	struct device *dev;
	uint8_t mac[6];
	unsigned int i;
	int sv[2];

	group = "virtio-net";
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv) < 0) {
		CHECK(false, "socketpair: %s", strerror(errno));
		return;
	}
	net_peer = sv[1];
	dev = net_create(sv[0], false, 3, "sock");
	CHECK(dev && !device_register(dev), "creates on a socket");
	if (!dev)
		return;
	dut = dev;
	CHECK_EQ(r32(VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_NET, "device ID 1");
	CHECK_EQ(features_offered(0), NET_FEATURES, "CSUM, GUEST_CSUM, MAC");
	CHECK_EQ(features_offered(1), 1, "VERSION_1");
	for (i = 0; i < 6; i++)
		mac[i] = dev->mmio_read(dev, 0x100 + i, 1);
	CHECK(mac[0] == 2 && mac[1] == 0x4c && mac[2] == (uint8_t)(getpid() >> 16) &&
	      mac[3] == (uint8_t)(getpid() >> 8) && mac[4] == (uint8_t)getpid() &&
	      mac[5] == 3, "MAC 02:4c, the pid, the index");
	dev->mmio_write(dev, 0x100, 0x12345678, 4);
	CHECK_EQ(dev->mmio_read(dev, 0x100, 1), 2, "the MAC cannot be written");
	driver_init_features(NET_FEATURES, true);
	CHECK_EQ(r32(VIRTIO_MMIO_STATUS), status_ok(), "driver accepted");
	CHECK(dev->start(dev) == 0, "the receive thread starts");
	test_net_tx();
	test_net_rx();
	group = "virtio-net";
	dev->stop(dev);
	CHECK(true, "the receive thread stops");
	w32(VIRTIO_MMIO_STATUS, 0);
	close(sv[1]);
}

/* ---------------------------------------------------------------- */
/* virtio-net on a real tap, in a network namespace of its own       */

/* What the guest received, copied before its buffer goes back */
static uint8_t rx_got[0x800];
static uint32_t rx_got_len;

typedef bool frame_test_fn(const uint8_t *p, uint32_t len);

static void tap_rx_until(uint16_t *idx, frame_test_fn *want, const char *what)
{
	unsigned int tries;
	uint32_t id, len;

	for (tries = 0; tries < 20; tries++) {
		if (!wait_used(0, *idx + 1))
			break;
		(*idx)++;
		id = last_used(0)->id % QSIZE;
		len = last_used(0)->len;
		if (len > sizeof(rx_got))
			len = sizeof(rx_got);
		memcpy(rx_got, gmem(RX_BUF(id)), len);
		rx_got_len = len;
		post_rx(id, RX_BUF_LEN);
		if (want(rx_got, len)) {
			CHECK(true, "%s", what);
			return;
		}
		/* Something else: IPv6 noise, say */
	}
	CHECK(false, "%s: never came", what);
}

static bool is_test_frame(const uint8_t *p, uint32_t len)
{
	return len > 26 && p[24] == ETH_TEST >> 8 && p[25] == (ETH_TEST & 0xff);
}

/* IPv4 UDP to port 9999 */
static bool is_test_udp(const uint8_t *p, uint32_t len)
{
	return len > 12 + 14 + 20 + 8 && p[24] == 0x08 && p[25] == 0 &&
	       p[26 + 9] == 17 && p[26 + 22] == 9999 >> 8 &&
	       p[26 + 23] == (9999 & 0xff);
}

static uint16_t udp_checksum(const uint8_t *ip)
{
	unsigned int ihl = (ip[0] & 15) * 4, len, i;
	const uint8_t *udp = ip + ihl;
	uint32_t sum = 0;

	len = udp[4] << 8 | udp[5];
	for (i = 12; i < 20; i += 2)		/* addresses */
		sum += ip[i] << 8 | ip[i + 1];
	sum += 17 + len;
	for (i = 0; i < len; i += 2)
		sum += udp[i] << 8 | (i + 1 < len ? udp[i + 1] : 0);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

static void send_udp(const char *to)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(9999) };
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	inet_pton(AF_INET, to, &sin.sin_addr);
	if (s < 0 || sendto(s, "hello, guest", 12, 0, (void *)&sin,
			    sizeof(sin)) != 12)
		CHECK(false, "UDP to %s: %s", to, strerror(errno));
	close(s);
}

static void tap_child(void)
{
	struct tunnet tn = { .arg = "198.51.100.1" };
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	struct arpreq arp = { .arp_flags = ATF_COM | ATF_PERM };
	struct sockaddr_in *sin;
	const struct virtio_net_hdr_v1 *h;
	char ifname[IFNAMSIZ];
	struct device *dev;
	struct ifreq ifr;
	uint8_t pkt[200], got[200];
	struct pollfd pfd;
	uint16_t idx = 0;
	int fd, raw, s;
	unsigned int i;

	group = "tap";
	if (unshare(CLONE_NEWNET) < 0) {
		skip("no network namespace of our own: the tap test");
		return;
	}
	/* Fewer stray packets (IPv6 router solicitations) on the new tap */
	fd = open("/proc/sys/net/ipv6/conf/default/disable_ipv6", O_WRONLY);
	if (fd >= 0 && write(fd, "1", 1) < 0)
		fd = -1;
	close(fd);
	inet_pton(AF_INET, tn.arg, &tn.ip);
	clear_error();
	fd = tap_open(&tn, ifname, sizeof(ifname));
	if (fd < 0 && (strstr(last_error, "modprobe tun") ||
		       strstr(last_error, "CAP_NET_ADMIN"))) {
		skip(last_error);
		return;
	}
	CHECK(fd >= 0 && !strcmp(ifname, "lgtap0"), "tap %s made", ifname);
	if (fd < 0)
		return;
	s = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	sin = (void *)&ifr.ifr_addr;
	CHECK(ioctl(s, SIOCGIFADDR, &ifr) == 0 &&
	      sin->sin_addr.s_addr == tn.ip.s_addr, "its address is %s", tn.arg);
	CHECK(ioctl(s, SIOCGIFNETMASK, &ifr) == 0 &&
	      sin->sin_addr.s_addr == htonl(0xffffff00), "netmask /24");
	CHECK(ioctl(s, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_UP),
	      "it is up");

	dev = net_create(fd, true, 0, ifname);
	CHECK(dev && !device_register(dev), "a device on it");
	if (!dev)
		return;
	dut = dev;
	driver_init_features(NET_FEATURES, true);
	dev->start(dev);
	for (i = 0; i < QSIZE; i++)
		post_rx(i, RX_BUF_LEN);

	/* The host sends a raw frame on the tap: the guest gets it. */
	raw = socket(AF_PACKET, SOCK_RAW, htons(ETH_TEST));
	sll.sll_protocol = htons(ETH_TEST);
	sll.sll_ifindex = if_nametoindex(ifname);
	CHECK(raw >= 0 && bind(raw, (void *)&sll, sizeof(sll)) == 0,
	      "a packet socket on the tap");
	make_frame(pkt, 0, 0, 100, 20);
	CHECK(send(raw, pkt + 12, 88, 0) == 88, "the host sends a frame");
	tap_rx_until(&idx, is_test_frame, "the guest receives it");
	h = (const void *)rx_got;
	CHECK(rx_got_len == 100 && h->flags == 0 && h->gso_type == 0 &&
	      h->num_buffers == 1 && !memcmp(rx_got + 12, pkt + 12, 88),
	      "with a 12-byte header (num_buffers 1) and the frame as sent");

	/* The guest sends one: the host gets it. */
	make_frame(pkt, 0, 0, 80, 21);
	net_tx(pkt, 80);
	pfd.fd = raw;
	pfd.events = POLLIN;
	CHECK(poll(&pfd, 1, 2000) == 1 && recv(raw, got, sizeof(got), 0) == 68 &&
	      !memcmp(got, pkt + 12, 68), "the host receives the guest's frame");

	/* UDP from the host's stack: partial checksums for this guest */
	sin = (void *)&arp.arp_pa;
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, "198.51.100.2", &sin->sin_addr);
	arp.arp_ha.sa_family = ARPHRD_ETHER;
	for (i = 0; i < 6; i++)
		arp.arp_ha.sa_data[i] = dev->mmio_read(dev, 0x100 + i, 1);
	snprintf(arp.arp_dev, sizeof(arp.arp_dev), "%s", ifname);
	CHECK(ioctl(s, SIOCSARP, &arp) == 0, "the guest's address in ARP");

	/*
	 * The Launcher sets the tap's offloads at each DRIVER_OK, by then
	 * without root: TUNSETOFFLOAD must work for any user.
	 */
	CHECK(setuid(65534) == 0, "no longer root");
	/* A guest without GUEST_CSUM gets complete checksums */
	driver_init_features(1u << VIRTIO_NET_F_MAC, true);
	idx = 0;
	for (i = 0; i < QSIZE; i++)
		post_rx(i, RX_BUF_LEN);
	send_udp("198.51.100.2");
	tap_rx_until(&idx, is_test_udp, "UDP reaches a guest without GUEST_CSUM");
	h = (const void *)rx_got;
	CHECK(h->flags == 0 && udp_checksum(rx_got + 26) == 0xffff,
	      "... with no flags and a correct UDP checksum");

	/* One with GUEST_CSUM gets the checksum to do */
	driver_init_features(NET_FEATURES, true);
	idx = 0;
	for (i = 0; i < QSIZE; i++)
		post_rx(i, RX_BUF_LEN);
	send_udp("198.51.100.2");
	tap_rx_until(&idx, is_test_udp, "UDP reaches a guest with GUEST_CSUM");
	h = (const void *)rx_got;
	CHECK(h->flags == VIRTIO_NET_HDR_F_NEEDS_CSUM && h->csum_start == 34 &&
	      h->csum_offset == 6,
	      "... with its checksum left to the guest (TUNSETOFFLOAD)");
	dev->stop(dev);
	close(raw);
	close(s);
}

static void test_tap(void)
{
	group = "tap";
	clear_error();
	{
		struct tunnet tn = { .arg = "bridge:lgnosuchbr0",
				     .bridge = "lgnosuchbr0" };
		char ifname[IFNAMSIZ];

		CHECK_ERR(tap_open(&tn, ifname, sizeof(ifname)) < 0,
			  "--tunnet=bridge:lgnosuchbr0: bridge lgnosuchbr0 does not exist: create it first (ip link add lgnosuchbr0 type bridge; ip link set lgnosuchbr0 up)");
	}
	in_child("tap", tap_child);
}

static void test_device_options(void)
{
	struct config cfg;
	struct tunnet tn;
	char *many[40];
	int i;

	group = "device options";
	CHECK(parse(&cfg, 9, "--block=a.img", "--rng", "--block=b.img",
		    "--tunnet=192.168.19.1", "--tunnet=bridge:br0",
		    "--username=nobody", "64", "k") == PARSE_RUN,
	      "every device option");
	CHECK(cfg.ndevices == 5, "five device options kept");
	CHECK(device_args(&cfg, "block") == 2 &&
	      !strcmp(device_arg(&cfg, "block", 0), "a.img") &&
	      !strcmp(device_arg(&cfg, "block", 1), "b.img"),
	      "two disks, in order");
	CHECK(device_args(&cfg, "rng") == 1 && !device_arg(&cfg, "rng", 0),
	      "--rng");
	CHECK(device_args(&cfg, "tunnet") == 2 &&
	      !strcmp(device_arg(&cfg, "tunnet", 0), "192.168.19.1") &&
	      !strcmp(device_arg(&cfg, "tunnet", 1), "bridge:br0"),
	      "--tunnet=IP and --tunnet=bridge:BR");
	CHECK(!parse_tunnet("192.168.19.1", &tn) && !tn.bridge &&
	      tn.ip.s_addr == htonl(0xc0a81301), "--tunnet=IP: the address");
	CHECK(!parse_tunnet("bridge:br0", &tn) && tn.bridge &&
	      !strcmp(tn.bridge, "br0"), "--tunnet=bridge:BR: the bridge");
	CHECK(!strcmp(cfg.username, "nobody") && !cfg.chroot, "--username");
	CHECK(parse(&cfg, 5, "--chroot=/var/empty", "--rng", "64", "k") ==
	      PARSE_RUN && !strcmp(cfg.chroot, "/var/empty") &&
	      cfg.ndevices == 1 && device_args(&cfg, "rng") == 1 &&
	      !cfg.username,
	      "--chroot, and a fresh parse");
	CHECK(parse(&cfg, 5, "--rng", "--rng", "64", "k") == PARSE_RUN &&
	      cfg.ndevices == 1, "--rng twice is one device");
	CHECK(parse(&cfg, 4, "64", "k", "--block=x") == PARSE_RUN &&
	      !cfg.ndevices, "--block after KERNEL goes to the guest");

	CHECK_ERR(parse(&cfg, 4, "--block=", "64", "k") == PARSE_ERROR,
		  "--block needs a file name (see lguest --help)");
	CHECK_ERR(parse(&cfg, 2, "--block") == PARSE_ERROR,
		  "option '--block' needs an argument (see lguest --help)");
	CHECK_ERR(parse(&cfg, 4, "--rng=1", "64", "k") == PARSE_ERROR,
		  "option '--rng' takes no argument (see lguest --help)");
	CHECK_ERR(parse(&cfg, 4, "--tunnet=300.1.1.1", "64", "k") ==
		  PARSE_ERROR,
		  "--tunnet=300.1.1.1: '300.1.1.1' is not an IPv4 address: give the host's address on the guest's network or a bridge, e.g. --tunnet=192.168.19.1, or --tunnet=bridge:br0");
	CHECK_ERR(parse(&cfg, 4, "--tunnet=10.1.1", "64", "k") == PARSE_ERROR,
		  "'10.1.1' is not an IPv4 address");
	CHECK_ERR(parse(&cfg, 4, "--tunnet=br0", "64", "k") == PARSE_ERROR,
		  "'br0' is not an IPv4 address");
	CHECK_ERR(parse(&cfg, 4, "--tunnet=", "64", "k") == PARSE_ERROR,
		  "'' is not an IPv4 address");
	CHECK_ERR(parse(&cfg, 4, "--tunnet=192.168.19.0", "64", "k") ==
		  PARSE_ERROR,
		  "--tunnet=192.168.19.0: the host cannot have address 192.168.19.0 on a /24 network (zero, loopback, multicast, or the network's first or last address): e.g. --tunnet=192.168.19.1, or --tunnet=bridge:br0");
	CHECK_ERR(parse(&cfg, 4, "--tunnet=10.0.0.255", "64", "k") ==
		  PARSE_ERROR, "the host cannot have address 10.0.0.255");
	CHECK_ERR(parse(&cfg, 4, "--tunnet=127.0.0.1", "64", "k") ==
		  PARSE_ERROR, "the host cannot have address 127.0.0.1");
	CHECK_ERR(parse(&cfg, 4, "--tunnet=224.1.1.1", "64", "k") ==
		  PARSE_ERROR, "the host cannot have address 224.1.1.1");
	CHECK_ERR(parse(&cfg, 4, "--tunnet=bridge:", "64", "k") == PARSE_ERROR,
		  "--tunnet=bridge: needs a bridge name, e.g. --tunnet=192.168.19.1, or --tunnet=bridge:br0");
	CHECK_ERR(parse(&cfg, 4, "--tunnet=bridge:a-very-long-bridge", "64",
			"k") == PARSE_ERROR,
		  "--tunnet=bridge:a-very-long-bridge: bridge name 'a-very-long-bridge' is longer than 15 characters");
	CHECK_ERR(parse(&cfg, 4, "--tunnet=bridge:a/b", "64", "k") ==
		  PARSE_ERROR,
		  "--tunnet=bridge:a/b: 'a/b' is not an interface name");
	CHECK_ERR(parse(&cfg, 4, "--tunnet=bridge:..", "64", "k") ==
		  PARSE_ERROR, "'..' is not an interface name");
	CHECK_ERR(parse(&cfg, 4, "--username=", "64", "k") == PARSE_ERROR,
		  "--username needs a user name or a numeric UID[:GID] (see lguest --help)");
	CHECK_ERR(parse(&cfg, 4, "--chroot=", "64", "k") == PARSE_ERROR,
		  "--chroot needs a directory (see lguest --help)");
	CHECK_ERR(parse(&cfg, 2, "--chroot") == PARSE_ERROR,
		  "option '--chroot' needs an argument");

	/* 31 devices at most, the console one of them */
	many[0] = "--rng";
	for (i = 1; i < 30; i++)
		many[i] = "--block=d";
	many[30] = "64";
	many[31] = "k";
	CHECK(parse_args_n(&cfg, 32, many) == PARSE_RUN &&
	      device_args(&cfg, "block") == 29 &&
	      device_args(&cfg, "rng") == 1, "31 devices");
	many[30] = "--tunnet=bridge:br0";
	many[31] = "64";
	many[32] = "k";
	CHECK_ERR(parse_args_n(&cfg, 33, many) == PARSE_ERROR,
		  "too many devices: at most 31, 1 always there (one per guest interrupt line)");
}

UNIT_TEST(test_device_options, 15);
UNIT_TEST(test_net, 80);
UNIT_TEST(test_tap, 81);
