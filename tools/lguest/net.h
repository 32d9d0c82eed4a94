/* SPDX-License-Identifier: GPL-2.0 */
/* The virtio network device (net.c), for the unit tests. */
#ifndef LGUEST_NET_H
#define LGUEST_NET_H

#include <netinet/in.h>
#include "lguest.h"

/* --tunnet=IP or --tunnet=bridge:BR */
struct tunnet {
	const char *arg;	/* as given, for messages */
	const char *bridge;	/* the bridge to join, or NULL */
	struct in_addr ip;	/* else the host side's address */
};

#define NET_HDR_SIZE	12	/* struct virtio_net_hdr_v1, with num_buffers */
int parse_tunnet(const char *arg, struct tunnet *tn);
int tap_open(const struct tunnet *tn, char *ifname, size_t size);
struct device *net_create(int fd, bool tap, unsigned int index,
			  const char *ifname);

#endif /* LGUEST_NET_H */
