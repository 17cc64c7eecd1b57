/*
 * Strict IP address parsing and fail2ban's failure-id text: ports of Rampart's
 * src/core/ip/ip-address.ts (parseIp, isCanonicalIpv4) and src/core/filter/failure-id.ts
 * (failureId, glibc-style ntop), decision for decision, so ids print byte for byte the same.
 */
#ifndef RAMPART_IP_H
#define RAMPART_IP_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  int family;        /* 4 or 6 */
  uint8_t bytes[16]; /* network order; 4 used for IPv4 */
} ip_address;

/* Longest canonical text: "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" plus NUL. */
#define IP_TEXT_MAX 48

/*
 * parseIp: one address, optionally in brackets; dotted quads without leading zeros, RFC 4291
 * IPv6 with an optional IPv4 tail; IPv4-mapped IPv6 becomes IPv4. 1 when it is one, else 0.
 */
int ip_parse(const char *s, size_t n, ip_address *out);

/* The address's canonical text (parseIp's `.text`: RFC 5952 for IPv6). Returns the length. */
size_t ip_format(const ip_address *a, char out[IP_TEXT_MAX]);

/* isCanonicalIpv4: dotted-quad text that ip_parse accepts and prints unchanged. */
int ip_is_canonical_v4(const char *s, size_t n);

/*
 * A failure id: `p[0..len)` is either a slice of the text given to failure_id or `buf`. Do not
 * copy the struct while p points into buf.
 */
typedef struct {
  const char *p;
  size_t len;
  char buf[96];
} failure_id_text;

/*
 * failureId(text, family, cidr): family 0 (unknown), 4 or 6; has_cidr/cidr is the `cidr`
 * group already converted with JavaScript's Number() (it may be NaN or fractional).
 */
void failure_id(const char *text, size_t n, int family, int has_cidr, double cidr, failure_id_text *out);

#endif
