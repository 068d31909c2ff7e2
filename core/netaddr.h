/*
 * netaddr.h - IPv4/IPv6 networks in CIDR form and matching addresses.
 *
 * Used for trusted_networks: a list is parsed once at start (bad entries
 * are reported, never skipped) and matched per connection without
 * allocating.  An IPv4-mapped IPv6 address (::ffff:a.b.c.d) matches the
 * IPv4 networks, as a dual-stack listener reports IPv4 clients that way.
 */
#ifndef PB_NETADDR_H
#define PB_NETADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct netaddr_net {
	int family;			/* AF_INET or AF_INET6 */
	unsigned char addr[16];		/* network, host bits cleared */
	unsigned bits;			/* prefix length */
};

struct netaddr_list {
	struct netaddr_net *v;
	size_t n;
};

/* netaddr_parse_net - "a.b.c.d/n", "x::y/n" or a bare address; 0 or -1 */
int netaddr_parse_net(const char *text, struct netaddr_net *net);

/*
 * netaddr_list_init - parse n entries; on a bad one returns -1 with *bad
 * pointing at it and the list empty.
 */
int netaddr_list_init(struct netaddr_list *l, char *const *text, size_t n,
		      const char **bad);
/* netaddr_list_free - release the list; it is empty afterwards */
void netaddr_list_free(struct netaddr_list *l);

/* netaddr_match_text - true when the textual address is in some network */
bool netaddr_match_text(const struct netaddr_list *l, const char *addr);

/* netaddr_match_sa - the same for a socket address (AF_INET/AF_INET6) */
bool netaddr_match_sa(const struct netaddr_list *l, const struct sockaddr *sa);

#endif
