#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dp_log.h"
#include "tap_if.h"

/* struct in6_ifreq from <linux/ipv6.h>, which clashes with netinet/in.h */
struct twr_in6_ifreq {
	struct in6_addr addr;
	uint32_t prefixlen;
	int ifindex;
};

static int write_sysctl(const char *ifname, const char *leaf, const char *val)
{
	char path[128];
	int fd, rc;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/%s", ifname, leaf);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = write(fd, val, strlen(val)) == (ssize_t)strlen(val) ? 0 : -1;
	close(fd);
	return rc;
}

static int add_v4(int fd, const char *ifname, const struct cfg_prefix *p)
{
	struct ifreq ifr;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
	uint32_t mask = p->len == 0 ? 0 : htonl(~0u << (32 - p->len));

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	sin->sin_family = AF_INET;
	memcpy(&sin->sin_addr, p->addr, 4);
	if (ioctl(fd, SIOCSIFADDR, &ifr) != 0)
		return -1;
	sin->sin_addr.s_addr = mask;
	return ioctl(fd, SIOCSIFNETMASK, &ifr);
}

static int add_v6(const char *ifname, const struct cfg_prefix *p)
{
	struct twr_in6_ifreq r;
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc;

	if (fd < 0)
		return -1;
	memset(&r, 0, sizeof(r));
	memcpy(&r.addr, p->addr, 16);
	r.prefixlen = p->len;
	r.ifindex = (int)if_nametoindex(ifname);
	rc = ioctl(fd, SIOCSIFADDR, &r);
	if (rc != 0 && errno == EEXIST)
		rc = 0;
	close(fd);
	return rc;
}

int tap_if_configure(const char *ifname, const struct dp_port_cfg *c, char *err, size_t errlen)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		snprintf(err, errlen, "exception interface %s: socket: %s", ifname, strerror(errno));
		return -1;
	}
	/* the addresses are the data port's: no duplicate address detection */
	write_sysctl(ifname, "accept_dad", "0");
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) != 0)
		goto fail;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) != 0)
		goto fail;
	for (size_t i = 0; i < c->naddrs; i++) {
		const struct cfg_prefix *p = &c->addrs[i];
		char a[INET6_ADDRSTRLEN];

		if ((p->ipver == 4 ? add_v4(fd, ifname, p) : add_v6(ifname, p)) != 0) {
			inet_ntop(p->ipver == 4 ? AF_INET : AF_INET6, p->addr, a, sizeof(a));
			snprintf(err, errlen, "exception interface %s: cannot add %s/%u: %s", ifname, a,
				 p->len, strerror(errno));
			close(fd);
			return -1;
		}
	}
	close(fd);
	dp_log(DP_INFO, "exception interface %s up with %zu address(es)", ifname, c->naddrs);
	return 0;
fail:
	snprintf(err, errlen, "exception interface %s: %s", ifname, strerror(errno));
	close(fd);
	return -1;
}
