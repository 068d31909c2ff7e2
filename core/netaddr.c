/*
 * netaddr.c - CIDR parsing and matching for trusted_networks.
 *
 * Owns nothing but the list array.  Guarantees: a network's host bits are
 * cleared at parse time, so "10.1.2.3/8" means 10.0.0.0/8; a prefix longer
 * than the family allows, or any trailing text, is an error.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "netaddr.h"
#include "xalloc.h"

/* clear_host_bits - zero everything after the first bits bits */
static void
clear_host_bits(unsigned char *a, size_t size, unsigned bits)
{
	size_t i;

	for (i = 0; i < size; i++) {
		if (bits >= 8) {
			bits -= 8;
			continue;
		}
		a[i] &= (unsigned char)(0xff << (8 - bits));
		bits = 0;
	}
}

int
netaddr_parse_net(const char *text, struct netaddr_net *net)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(text, '/'), *p;
	size_t len = slash ? (size_t)(slash - text) : strlen(text);
	unsigned bits = 0, max;

	memset(net, 0, sizeof(*net));
	if (len == 0 || len >= sizeof(addr))
		return -1;
	memcpy(addr, text, len);
	addr[len] = '\0';
	net->family = strchr(addr, ':') ? AF_INET6 : AF_INET;
	max = net->family == AF_INET6 ? 128 : 32;
	if (inet_pton(net->family, addr, net->addr) != 1)
		return -1;
	if (slash == NULL) {
		net->bits = max;
		return 0;
	}
	if (slash[1] == '\0' || strlen(slash + 1) > 3)
		return -1;
	for (p = slash + 1; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		bits = bits * 10 + (unsigned)(*p - '0');
	}
	if (bits > max)
		return -1;
	net->bits = bits;
	clear_host_bits(net->addr, max / 8, bits);
	return 0;
}

int
netaddr_list_init(struct netaddr_list *l, char *const *text, size_t n,
		  const char **bad)
{
	size_t i;

	l->v = n ? xcalloc(n, sizeof(*l->v)) : NULL;
	l->n = 0;
	for (i = 0; i < n; i++) {
		if (netaddr_parse_net(text[i], &l->v[i]) < 0) {
			*bad = text[i];
			netaddr_list_free(l);
			return -1;
		}
		l->n++;
	}
	return 0;
}

void
netaddr_list_free(struct netaddr_list *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* match_bin - is the address (family, bytes) inside some network? */
static bool
match_bin(const struct netaddr_list *l, int family, const unsigned char *a)
{
	static const unsigned char v4mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	unsigned char tmp[16];
	size_t i, size;

	if (family == AF_INET6 && memcmp(a, v4mapped, 12) == 0) {
		family = AF_INET;
		a += 12;
	}
	size = family == AF_INET6 ? 16 : 4;
	for (i = 0; i < l->n; i++) {
		if (l->v[i].family != family)
			continue;
		memcpy(tmp, a, size);
		clear_host_bits(tmp, size, l->v[i].bits);
		if (memcmp(tmp, l->v[i].addr, size) == 0)
			return true;
	}
	return false;
}

bool
netaddr_match_text(const struct netaddr_list *l, const char *addr)
{
	unsigned char bin[16];
	int family = strchr(addr, ':') ? AF_INET6 : AF_INET;

	if (inet_pton(family, addr, bin) != 1)
		return false;
	return match_bin(l, family, bin);
}

bool
netaddr_match_sa(const struct netaddr_list *l, const struct sockaddr *sa)
{
	if (sa == NULL)
		return false;
	if (sa->sa_family == AF_INET)
		return match_bin(l, AF_INET, (const unsigned char *)
			&((const struct sockaddr_in *)(const void *)sa)->sin_addr);
	if (sa->sa_family == AF_INET6)
		return match_bin(l, AF_INET6, ((const struct sockaddr_in6 *)
			(const void *)sa)->sin6_addr.s6_addr);
	return false;
}
