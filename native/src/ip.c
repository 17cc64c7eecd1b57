#include "ip.h"

#include <string.h>

#include "text.h"

/* ip-address.ts isCanonicalIpv4: four "."-separated parts, each 0 or 1-3 digits without a
   leading zero, at most 255. Every failure's id goes through here: one pass, part by part. */
int ip_is_canonical_v4(const char *s, size_t n) {
  if (n < 7 || n > 15) return 0;
  const unsigned char *p = (const unsigned char *)s, *end = p + n;
  for (int part = 0;; part++) {
    /* A part starts here, and p < end. (A byte below '0' wraps far above 9.) */
    unsigned value = (unsigned)*p++ - '0', d;
    if (value > 9) return 0;
    if (value != 0 && p < end && (d = (unsigned)*p - '0') <= 9) { /* no digit after a leading zero */
      value = value * 10 + d;
      p++;
      if (p < end && (d = (unsigned)*p - '0') <= 9) {
        value = value * 10 + d;
        p++;
        if (value > 255) return 0;
      }
    }
    /* The part ends: at the end after the fourth, else at a "." with more to come. */
    if (p == end) return part == 3;
    if (part == 3 || *p++ != '.' || p == end) return 0;
  }
}

/* ip-address.ts parseIpv4Bytes: split(".") into exactly 4 parts matching ^(?:0|[1-9]\d{0,2})$, <= 255. */
static int parse_v4_bytes(const char *s, size_t n, uint8_t out[4]) {
  int part = 0;
  size_t start = 0;
  for (size_t i = 0; i <= n; i++) {
    if (i < n && s[i] != '.') continue;
    if (part >= 4) return 0;
    size_t len = i - start;
    const char *p = s + start;
    if (len < 1 || len > 3) return 0;
    if (p[0] == '0' && len > 1) return 0;
    int value = 0;
    for (size_t k = 0; k < len; k++) {
      if (p[k] < '0' || p[k] > '9') return 0;
      value = value * 10 + (p[k] - '0');
    }
    if (value > 255) return 0;
    out[part++] = (uint8_t)value;
    start = i + 1;
  }
  return part == 4;
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* parseGroups: "" -> none; else split(":"), each ^[0-9a-fA-F]{1,4}$. -1 when invalid. */
static int parse_v6_groups(const char *s, size_t n, uint16_t *groups, int max) {
  if (n == 0) return 0;
  int count = 0;
  size_t start = 0;
  for (size_t i = 0; i <= n; i++) {
    if (i < n && s[i] != ':') continue;
    size_t len = i - start;
    if (len < 1 || len > 4 || count >= max) return -1;
    unsigned v = 0;
    for (size_t k = 0; k < len; k++) {
      int h = hex_value(s[start + k]);
      if (h < 0) return -1;
      v = (v << 4) | (unsigned)h;
    }
    groups[count++] = (uint16_t)v;
    start = i + 1;
  }
  return count;
}

/* ip-address.ts parseIpv6Bytes */
static int parse_v6_bytes(const char *text, size_t n, uint8_t out[16]) {
  if (n < 2 || n > 45) return 0;
  int has_dot = 0;
  size_t last_colon = 0;
  int seen_colon = 0;
  for (size_t i = 0; i < n; i++) {
    char c = text[i];
    if (c == '.') has_dot = 1;
    else if (c == ':') {
      last_colon = i;
      seen_colon = 1;
    } else if (hex_value(c) < 0)
      return 0;
  }
  char head[64];
  size_t head_len = n;
  uint8_t tail[4];
  if (has_dot) {
    /* lastIndexOf(":") is -1 without a colon: the whole text is the IPv4 tail. */
    size_t tail_start = seen_colon ? last_colon + 1 : 0;
    if (!parse_v4_bytes(text + tail_start, n - tail_start, tail)) return 0;
    memcpy(head, text, tail_start);
    memcpy(head + tail_start, "0:0", 3);
    head_len = tail_start + 3;
  } else
    memcpy(head, text, n);
  /* head.split("::"): non-overlapping, left to right. */
  size_t cut[3];
  int halves = 1;
  for (size_t i = 0; i + 1 < head_len; i++) {
    if (head[i] == ':' && head[i + 1] == ':') {
      if (halves >= 3) return 0;
      cut[halves++] = i;
      i++;
    }
  }
  if (halves > 2) return 0;
  uint16_t left[32], right[32];
  int nl, nr = 0;
  if (halves == 2) {
    nl = parse_v6_groups(head, cut[1], left, 32);
    nr = parse_v6_groups(head + cut[1] + 2, head_len - cut[1] - 2, right, 32);
  } else
    nl = parse_v6_groups(head, head_len, left, 32);
  if (nl < 0 || nr < 0) return 0;
  int missing = 8 - nl - nr;
  if (halves == 2 ? missing < 1 : missing != 0) return 0;
  uint16_t groups[8];
  int g = 0;
  for (int i = 0; i < nl; i++) groups[g++] = left[i];
  for (int i = 0; i < (halves == 2 ? missing : 0); i++) groups[g++] = 0;
  for (int i = 0; i < nr; i++) groups[g++] = right[i];
  for (int i = 0; i < 8; i++) {
    out[i * 2] = (uint8_t)(groups[i] >> 8);
    out[i * 2 + 1] = (uint8_t)(groups[i] & 0xff);
  }
  if (has_dot) memcpy(out + 12, tail, 4);
  return 1;
}

int ip_parse(const char *s, size_t n, ip_address *out) {
  if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
    s++;
    n -= 2;
  }
  if (!memchr(s, ':', n)) {
    memset(out, 0, sizeof *out);
    out->family = 4;
    return parse_v4_bytes(s, n, out->bytes);
  }
  uint8_t b[16];
  if (!parse_v6_bytes(s, n, b)) return 0;
  memset(out, 0, sizeof *out);
  int mapped = b[10] == 0xff && b[11] == 0xff;
  for (int i = 0; i < 10; i++)
    if (b[i] != 0) mapped = 0;
  if (mapped) {
    out->family = 4;
    memcpy(out->bytes, b + 12, 4);
  } else {
    out->family = 6;
    memcpy(out->bytes, b, 16);
  }
  return 1;
}

/* printf "%u" of a byte, "%x" of a 16-bit word (snprintf is slow for what every id needs). */
static size_t put_dec8(char *out, unsigned v) {
  size_t o = 0;
  if (v >= 100) out[o++] = (char)('0' + v / 100);
  if (v >= 10) out[o++] = (char)('0' + v / 10 % 10);
  out[o++] = (char)('0' + v % 10);
  return o;
}

static size_t put_hex16(char *out, unsigned v) {
  static const char hex[] = "0123456789abcdef";
  size_t o = 0;
  for (int shift = 12; shift > 0; shift -= 4)
    if (v >> shift) out[o++] = hex[(v >> shift) & 0xF];
  out[o++] = hex[v & 0xF];
  return o;
}

/* "%u.%u.%u.%u" (at most 15 bytes) */
static size_t put_quad(char *out, const uint8_t b[4]) {
  size_t o = 0;
  for (int i = 0; i < 4; i++) {
    if (i) out[o++] = '.';
    o += put_dec8(out + o, b[i]);
  }
  return o;
}

static void words_of(const uint8_t bytes[16], unsigned words[8]) {
  for (int i = 0; i < 8; i++) words[i] = ((unsigned)bytes[i * 2] << 8) | bytes[i * 2 + 1];
}

/* The first longest run of zero words, at least `min` long: base or -1. */
static int zero_run(const unsigned words[8], int min, int *run_len) {
  int base = -1, best = min - 1;
  for (int i = 0; i < 8;) {
    if (words[i] != 0) {
      i++;
      continue;
    }
    int j = i;
    while (j < 8 && words[j] == 0) j++;
    if (j - i > best) {
      base = i;
      best = j - i;
    }
    i = j;
  }
  *run_len = base >= 0 ? best : 0;
  return base;
}

/* ip-address.ts formatIpv6 (RFC 5952: longest run >= 2 compressed, the first on ties). */
size_t ip_format(const ip_address *a, char out[IP_TEXT_MAX]) {
  if (a->family == 4) {
    size_t o = put_quad(out, a->bytes);
    out[o] = '\0';
    return o;
  }
  unsigned w[8];
  words_of(a->bytes, w);
  int len;
  int base = zero_run(w, 2, &len);
  size_t o = 0;
  for (int i = 0; i < 8; i++) {
    if (base >= 0 && i >= base && i < base + len) {
      if (i == base) {
        out[o++] = ':';
        out[o++] = ':';
      }
      continue;
    }
    if (i != 0 && !(base >= 0 && i == base + len)) out[o++] = ':';
    o += put_hex16(out + o, w[i]);
  }
  out[o] = '\0';
  return o;
}

/* failure-id.ts ntop: glibc inet_ntop (first longest zero run >= 2; ::a.b.c.d when v4-compatible).
   `out` holds at least IP_TEXT_MAX bytes. */
static size_t ntop(int family, const uint8_t *bytes, char *out) {
  if (family == 4) {
    size_t o = put_quad(out, bytes);
    out[o] = '\0';
    return o;
  }
  unsigned w[8];
  words_of(bytes, w);
  int len;
  int base = zero_run(w, 2, &len);
  size_t o = 0;
  for (int i = 0; i < 8; i++) {
    if (base >= 0 && i >= base && i < base + len) {
      if (i == base) out[o++] = ':';
      continue;
    }
    if (i != 0) out[o++] = ':';
    if (i == 6 && base == 0 && (len == 6 || (len == 5 && w[5] == 0xffff))) {
      o += put_quad(out + o, bytes + 12);
      out[o] = '\0';
      return o;
    }
    o += put_hex16(out + o, w[i]);
  }
  if (base >= 0 && base + len == 8) out[o++] = ':';
  out[o] = '\0';
  return o;
}

static void id_slice(failure_id_text *out, const char *p, size_t n) {
  out->p = p;
  out->len = n;
}

void failure_id(const char *text, size_t n, int family, int has_cidr, double cidr, failure_id_text *out) {
  if (!has_cidr && family != 6 && ip_is_canonical_v4(text, n)) {
    id_slice(out, text, n);
    return;
  }
  const char *body = text;
  size_t body_len = n;
  int has_prefix = has_cidr;
  double prefix = cidr;
  if (family == 0) {
    /* CIDR_UNSPEC path (IPAddr.__wrap_ipstr): brackets stripped, "addr/plen" split. */
    if (body_len > 2 && body[0] == '[' && body[body_len - 1] == ']') {
      body++;
      body_len -= 2;
    }
    const char *slash = memchr(body, '/', body_len);
    if (slash) {
      const char *plen = slash + 1;
      size_t plen_len = body_len - (size_t)(plen - body);
      int digits = plen_len > 0;
      for (size_t i = 0; i < plen_len; i++)
        if (plen[i] < '0' || plen[i] > '9') digits = 0;
      if (!digits) {
        id_slice(out, text, n);
        return;
      }
      prefix = js_string_to_number(plen, plen_len);
      has_prefix = 1;
      body_len = (size_t)(slash - body);
    }
  }
  ip_address a;
  int family_ok = 1;
  if (family != 0) {
    int has_colon = memchr(body, ':', body_len) != NULL;
    family_ok = family == 4 ? !has_colon : has_colon;
  }
  if (!ip_parse(body, body_len, &a) || (body_len > 0 && body[0] == '[') || !family_ok) {
    id_slice(out, body, body_len);
    return;
  }
  int max = a.family == 4 ? 32 : 128;
  /* NaN compares false everywhere: like JS it takes the masking branch and masks nothing. */
  if (!has_prefix || prefix >= max || prefix < 0) {
    out->len = ntop(a.family, a.bytes, out->buf);
    out->p = out->buf;
    return;
  }
  uint8_t masked[16];
  memcpy(masked, a.bytes, sizeof masked);
  if (prefix == prefix) {
    /* JS clears bits prefix, prefix+1, ... < max through ToInt32: floor(prefix) .. max-1. */
    for (int bit = (int)prefix; bit < max; bit++) masked[bit >> 3] &= (uint8_t)~(0x80 >> (bit & 7));
  }
  size_t o = ntop(a.family, masked, out->buf);
  if (prefix > 0) {
    char num[JS_NUMBER_MAX];
    size_t k = js_number_to_string(prefix, num);
    out->buf[o++] = '/';
    memcpy(out->buf + o, num, k);
    o += k;
  }
  out->buf[o] = '\0';
  out->p = out->buf;
  out->len = o;
}
