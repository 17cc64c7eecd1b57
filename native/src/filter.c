#define _POSIX_C_SOURCE 200809L
#include "filter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "ip.h"
#include "text.h"

/*
 * Groups. fail2ban hands a match around as a dict by group name (FilterRegex.search builds it:
 * every name of the regex is a key, valued by its last participating capture, undefined when
 * none participated; alt_ names fill their target). Only the names below are ever read by the
 * pipeline, so a groups dict is kept as these keys, each absent, undefined or a string; the
 * absent/undefined distinction matters for withPrefixGroups (dict.update) and mergeFailure.
 */
enum {
  K_CONTENT,
  K_FID,
  K_IP4,
  K_IP6,
  K_DNS,
  K_CIDR,
  K_USER,
  K_MLFID,
  K_NOFAIL,
  K_MLFGAINED,
  K_MLFFORGET,
  K_COUNT
};
static const char *const key_names[K_COUNT] = {"content", "fid",    "ip4",       "ip6",      "dns",      "cidr",
                                               "user",    "mlfid",  "nofail",    "mlfgained", "mlfforget"};

enum { G_ABSENT = 0, G_UNDEF, G_VALUE };

/* A group's value while a match is taken apart (see fregex_search). */
typedef struct {
  const char *p;
  size_t len;
  int state;
} gval;

typedef struct {
  const char *p;
  size_t len;
} gtext;

#define KEY_BIT(k) (1u << (k))

/*
 * A groups dict as two sets of keys: those in the dict, and those of them holding a string
 * (the others are undefined). A line copies and merges dicts a few times: as key sets that
 * costs only the keys present, and the text of a key that is not defined is never read.
 */
typedef struct {
  unsigned present;
  unsigned defined; /* a subset of present */
  gtext v[K_COUNT];
} groups;

static inline int defined(const groups *g, int k) { return (g->defined >> k) & 1; }
/* JavaScript truthiness of a group: a non-empty string. */
static inline int truthy(const groups *g, int k) { return defined(g, k) && g->v[k].len > 0; }
static inline void set_undefined(groups *g, int k) {
  g->present |= KEY_BIT(k);
  g->defined &= ~KEY_BIT(k);
}
static inline int same_text(const gtext *a, const gtext *b) {
  return a->len == b->len && (a->len == 0 || memcmp(a->p, b->p, a->len) == 0);
}

/* The lowest key of a non-empty key set. */
static inline int first_key(unsigned keys) {
#if defined(__GNUC__)
  return __builtin_ctz(keys);
#else
  int k = 0;
  while (!(keys & 1u)) keys >>= 1, k++;
  return k;
#endif
}

/* to[k] = from[k] for every key k of `keys`. */
static inline void copy_texts(gtext *to, const gtext *from, unsigned keys) {
  for (; keys; keys &= keys - 1) {
    int k = first_key(keys);
    to[k] = from[k];
  }
}

/*
 * A filter regex with its name bookkeeping, precomputed from the plan's capture names:
 * slot = one distinct Python name (in first-appearance order, as the JS object's keys are
 * created) or an alt_ target that is not itself a name of the regex.
 */
typedef struct {
  scan_regex *re;
  int slot_count;
  int name_slots;     /* slots [0, name_slots) are names of the regex: present in every match */
  int *capture_slot;  /* by capture index (capture_names_len entries): slot, or -1 */
  int *slot_key;      /* by slot: K_*, or -1 for a name the pipeline never reads */
  const char **slot_name;
  char **owned_names; /* alt_ target names made here */
  int owned_count;
  int (*alt_ops)[2];  /* (alt_ slot, target slot), in fail-regex.ts's sorted order */
  int alt_count;
  /* Without alt_ names a match's dict needs only these: the keys that are names of the regex,
     and (capture index, key) of every capture named by a key, in index order. */
  unsigned name_keys;
  int (*keyed)[2];
  int keyed_count;
} fregex;

/* ---- mlfid cache (mlfid-cache.ts: fail2ban's Utils.Cache(maxCount=100, maxTime=300)) ---- */

#define MLF_MAX 100
#define MLF_TIME 300.0

typedef struct {
  char *data;
  size_t cap;
  size_t len;
} oval;

/* One cached FailData: groups (owned copies of the defined ones, keyed like a groups dict),
   users (only whether there is more than one distinct user is ever asked, and the set only
   grows), and mlfpending. */
typedef struct {
  int prev, next; /* insertion order; `next` also links the free list */
  int hnext;      /* hash chain */
  uint64_t hash;
  char *key;
  size_t key_len, key_cap;
  double expires;
  unsigned present, defined;
  oval g[K_COUNT];
  int users; /* 0, 1, or 2 = more than one */
  char *user;
  size_t user_len, user_cap;
  int mlfpending;
} mlf_entry;

#define MLF_BUCKETS 256 /* a power of two */

/* report_id's memo: texts up to this long, and ids (which are no longer than the text or
   failure_id_text's buffer). */
#define ID_MEMO_TEXT_MAX 64
#define ID_MEMO_MAX 96

typedef struct {
  mlf_entry e[MLF_MAX];
  int head, tail, size, free_head;
  int bucket[MLF_BUCKETS];
} mlf_cache;

typedef struct {
  char *name; /* lower case */
  char **addresses;
  int address_count;
} host_entry;

/* The date stage (log-filter.ts cutDate): what it carries from line to line. */
struct scan_date_stage {
  date_detector *dates;
  int has_last_date;
  double last_date;
};

struct scan_filter {
  scan_plan *plan;
  scan_date_stage date;
  scan_failure_fn on_failure;
  void *ctx;
  fregex pref;
  int has_pref;
  fregex *fail;
  int fail_count;
  /* The failregexes that may match a buffer starting with byte b (scan_regex_may_start):
     by_first[b] for b < 128, by_first[128] = all (bytes >= 128, and the empty buffer). Each
     lists indexes in order and ends with -1; all_fail[i..] is the list of every index from i. */
  const int *by_first[129];
  int *first_lists;
  int *all_fail;
  fregex *ignore;
  int ignore_count;
  uint64_t *fail_hits;
  uint64_t *ignore_hits;
  int *pending_hits; /* failregex hits of the current line, counted when it completes */
  int pending_count;
  pcre2_match_data *md;
  const PCRE2_SIZE *ov; /* md's ovector, fetched once */
  gval *slots; /* scratch, max slot_count */
  text_buf line_buf;    /* the line without its date, and "\n" (tupleLinesBuffer) */
  int line_ascii;       /* the line is all ASCII, so is every buffer a filter regex searches (parts
                           of it, "\n", ""): they run their ASCII variants */
  text_buf content_buf; /* <F-CONTENT> and "\n" */
  text_buf scratch;     /* hosts lookups */
  /* report_id's last id that took parsing (IPv6, a cidr, a non-canonical IPv4): the arguments
     and the answer. Failures from one address tend to come one after another. */
  int id_memo_valid, id_memo_family, id_memo_has_cidr;
  double id_memo_cidr;
  size_t id_memo_text_len, id_memo_len;
  char id_memo_text[ID_MEMO_TEXT_MAX];
  char id_memo[ID_MEMO_MAX];
  mlf_cache cache;
  host_entry *hosts;
  int host_count;
  int oom;
};

static const char empty_text[1] = "";

/* ---- names ---- */

/* JS string `<` on two names (UTF-16 code unit order), for the alt_ sort. */
static int utf16_compare(const char *a, const char *b) {
  const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
  for (;;) {
    if (!*x || !*y) return (*x != 0) - (*y != 0);
    /* Code points compare like UTF-16 units except astral vs U+E000..U+FFFF. */
    uint32_t cx, cy;
    size_t lx, ly;
#define DECODE(p, c, l)                                                                                       \
  do {                                                                                                        \
    if (p[0] < 0x80) c = p[0], l = 1;                                                                         \
    else if (p[0] < 0xE0) c = ((uint32_t)(p[0] & 0x1F) << 6) | (p[1] & 0x3F), l = 2;                         \
    else if (p[0] < 0xF0) c = ((uint32_t)(p[0] & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) | (p[2] & 0x3F), l = 3; \
    else c = 0xD800 + ((((uint32_t)(p[0] & 0x07) << 18) | ((uint32_t)(p[1] & 0x3F) << 12) | ((uint32_t)(p[2] & 0x3F) << 6) | (p[3] & 0x3F)) - 0x10000) / 0x400, l = 4; \
  } while (0)
    DECODE(x, cx, lx);
    DECODE(y, cy, ly);
#undef DECODE
    if (cx != cy) return cx < cy ? -1 : 1;
    if (lx != ly) return lx < ly ? -1 : 1; /* same high surrogate: compare the whole code point */
    int d = memcmp(x, y, lx);
    if (d != 0) return d;
    x += lx;
    y += ly;
  }
}

/*
 * fail-regex.ts COMPLEX_NAME /^(alt_|tuple_)(.*?)(?:_\d+)?$/ for an alt_ name: the target name
 * (mapName: lower case, id -> fid, port -> fport) in a new string, or NULL when not an alt_ name.
 * Lower-casing is ASCII only: the pipeline reads ASCII names only, and no other character
 * lower-cases to ASCII except the Kelvin sign (U+212A -> k), which none of them contains.
 */
static char *alt_target(const char *name, int *oom) {
  size_t n = strlen(name);
  if (n <= 4 || memcmp(name, "alt_", 4) != 0) return NULL;
  const char *r = name + 4;
  size_t rn = n - 4, j;
  for (j = 0; j < rn; j++) {
    if (r[j] != '_' || j + 1 >= rn) continue;
    size_t k = j + 1;
    while (k < rn && r[k] >= '0' && r[k] <= '9') k++;
    if (k == rn) break;
  }
  char *t = malloc(j + 6);
  if (!t) {
    *oom = 1;
    return NULL;
  }
  for (size_t i = 0; i < j; i++) t[i] = (r[i] >= 'A' && r[i] <= 'Z') ? (char)(r[i] + 32) : r[i];
  t[j] = '\0';
  if (strcmp(t, "id") == 0) strcpy(t, "fid");
  else if (strcmp(t, "port") == 0) strcpy(t, "fport");
  return t;
}

static int key_of(const char *name) {
  for (int k = 0; k < K_COUNT; k++)
    if (strcmp(key_names[k], name) == 0) return k;
  return -1;
}

static void fregex_free(fregex *r) {
  free(r->capture_slot);
  free(r->slot_key);
  free(r->slot_name);
  for (int i = 0; i < r->owned_count; i++) free(r->owned_names[i]);
  free(r->owned_names);
  free(r->alt_ops);
  free(r->keyed);
  memset(r, 0, sizeof *r);
}

static int fregex_init(fregex *r, scan_regex *re, const char *what, char *err, size_t errlen) {
  memset(r, 0, sizeof *r);
  r->re = re;
  char cerr[300];
  if (scan_regex_compile(re, cerr, sizeof cerr) != 0) {
    snprintf(err, errlen, "%s does not compile: %s", what, cerr);
    return -1;
  }
  int names = re->capture_names_len > 0 ? re->capture_names_len - 1 : 0;
  if (names != re->capture_count) {
    /* The names are read by capture index: a mismatch would misattribute every group. */
    snprintf(err, errlen, "%s: the plan names %d capture groups, the pattern has %d", what, names,
             re->capture_count);
    return -1;
  }
  int n = re->capture_names_len;
  /* At most one slot per capture plus one alt_ target per name. */
  size_t max_slots = 2 * (size_t)(n + 1);
  r->capture_slot = malloc((size_t)(n + 1) * sizeof *r->capture_slot);
  r->slot_key = malloc(max_slots * sizeof *r->slot_key);
  r->slot_name = malloc(max_slots * sizeof *r->slot_name);
  r->owned_names = malloc((size_t)(n + 1) * sizeof *r->owned_names);
  r->alt_ops = malloc((size_t)(n + 1) * sizeof *r->alt_ops);
  r->keyed = malloc((size_t)(n + 1) * sizeof *r->keyed);
  if (!r->capture_slot || !r->slot_key || !r->slot_name || !r->owned_names || !r->alt_ops || !r->keyed) goto oom;
  for (int i = 0; i < n; i++) {
    r->capture_slot[i] = -1;
    const char *name = i == 0 ? NULL : re->capture_names[i];
    if (!name) continue;
    int s;
    for (s = 0; s < r->slot_count; s++)
      if (strcmp(r->slot_name[s], name) == 0) break;
    if (s == r->slot_count) {
      r->slot_name[s] = name;
      r->slot_key[s] = key_of(name);
      r->slot_count++;
    }
    r->capture_slot[i] = s;
  }
  r->name_slots = r->slot_count;
  /* altValues: [alt name, target] for every alt_ name, sorted by the alt name. */
  int order[512];
  int *sorted = r->name_slots <= 512 ? order : malloc((size_t)r->name_slots * sizeof *sorted);
  if (!sorted) goto oom;
  int alt_names = 0;
  for (int s = 0; s < r->name_slots; s++)
    if (strlen(r->slot_name[s]) > 4 && memcmp(r->slot_name[s], "alt_", 4) == 0) sorted[alt_names++] = s;
  for (int i = 1; i < alt_names; i++) /* insertion sort: a handful of names, stable */
    for (int j = i; j > 0 && utf16_compare(r->slot_name[sorted[j - 1]], r->slot_name[sorted[j]]) > 0; j--) {
      int t = sorted[j];
      sorted[j] = sorted[j - 1];
      sorted[j - 1] = t;
    }
  int no_memory = 0;
  for (int i = 0; i < alt_names; i++) {
    char *target = alt_target(r->slot_name[sorted[i]], &no_memory);
    if (!target) {
      if (no_memory) break;
      continue;
    }
    int t;
    for (t = 0; t < r->slot_count; t++)
      if (strcmp(r->slot_name[t], target) == 0) break;
    if (t == r->slot_count) {
      r->owned_names[r->owned_count++] = target;
      r->slot_name[t] = target;
      r->slot_key[t] = key_of(target);
      r->slot_count++;
    } else
      free(target);
    r->alt_ops[r->alt_count][0] = sorted[i];
    r->alt_ops[r->alt_count][1] = t;
    r->alt_count++;
  }
  if (sorted != order) free(sorted);
  if (no_memory) goto oom;
  for (int s = 0; s < r->name_slots; s++)
    if (r->slot_key[s] >= 0) r->name_keys |= KEY_BIT(r->slot_key[s]);
  for (int i = 1; i < n; i++) {
    int s = r->capture_slot[i];
    if (s >= 0 && r->slot_key[s] >= 0) {
      r->keyed[r->keyed_count][0] = i;
      r->keyed[r->keyed_count][1] = r->slot_key[s];
      r->keyed_count++;
    }
  }
  return 0;
oom:
  fregex_free(r);
  snprintf(err, errlen, "out of memory");
  return -1;
}

/*
 * FilterRegex.search on subject[0..len): 1 with the groups, 0 without a match, -1 when the
 * regex gave up (match limit, or another PCRE2 error).
 */
static int fregex_search(scan_filter *f, const fregex *r, const char *subject, size_t len, groups *out) {
  /* Every buffer is a part of the line (which has no "\n") and "\n", or empty. */
  int rc = scan_regex_search_line(r->re, subject, len, f->line_ascii, f->md);
  if (rc <= 0) return rc < 0 ? -1 : 0;
  if (!out) return 1;
  /* f->md has a pair for every capture of every regex of the filter (scan_filter_new). */
  const PCRE2_SIZE *ov = f->ov;
  if (r->alt_count == 0) {
    /* Each name is its own slot: the captures named by a key are all there is to read. */
    unsigned def = 0;
    for (int c = 0; c < r->keyed_count; c++) {
      int i = r->keyed[c][0], k = r->keyed[c][1];
      PCRE2_SIZE a = ov[2 * i], b = ov[2 * i + 1];
      /* Later participating copies of a name win; a non-participating one changes nothing.
         (PCRE2_UNSET is above any offset: a capture with an unset end fails b > len, one with
         only an unset start a > b.) */
      if (a > b || b > len) continue;
      out->v[k].p = subject + a;
      out->v[k].len = b - a;
      def |= KEY_BIT(k);
    }
    out->present = r->name_keys;
    out->defined = def;
    return 1;
  }
  gval *slots = f->slots;
  for (int s = 0; s < r->slot_count; s++) slots[s].state = s < r->name_slots ? G_UNDEF : G_ABSENT;
  int n = r->re->capture_names_len;
  for (int i = 1; i < n; i++) {
    int s = r->capture_slot[i];
    if (s < 0) continue;
    PCRE2_SIZE a = ov[2 * i], b = ov[2 * i + 1];
    if (a == PCRE2_UNSET || b == PCRE2_UNSET || a > b || b > len) continue;
    slots[s].p = subject + a;
    slots[s].len = b - a;
    slots[s].state = G_VALUE;
  }
  for (int k = 0; k < r->alt_count; k++) {
    const gval *v = &slots[r->alt_ops[k][0]];
    gval *target = &slots[r->alt_ops[k][1]];
    if (v->state == G_VALUE && v->len > 0 && !(target->state == G_VALUE && target->len > 0)) *target = *v;
  }
  out->present = out->defined = 0;
  for (int s = 0; s < r->slot_count; s++) {
    int k = r->slot_key[s];
    if (k < 0 || slots[s].state == G_ABSENT) continue;
    out->present |= KEY_BIT(k);
    if (slots[s].state == G_VALUE) {
      out->defined |= KEY_BIT(k);
      out->v[k].p = slots[s].p;
      out->v[k].len = slots[s].len;
    }
  }
  return 1;
}

/* ---- mlfid cache ---- */

/* The mlfid's hash (only for the buckets: keys are compared in full), 8 bytes per step. */
static uint64_t hash_bytes(const char *s, size_t n) {
  uint64_t h = UINT64_C(0xcbf29ce484222325) ^ n;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, s + i, 8);
    h = (h ^ w) * UINT64_C(0x9e3779b97f4a7c15);
    h ^= h >> 29;
  }
  uint64_t w = 0;
  if (n >= 8) /* the last 8 bytes, overlapping the ones already mixed in */
    memcpy(&w, s + n - 8, 8);
  else
    for (size_t k = 0; i < n; i++, k += 8) w |= (uint64_t)(unsigned char)s[i] << k;
  h = (h ^ w) * UINT64_C(0x9e3779b97f4a7c15);
  return h ^ (h >> 32);
}

static void cache_init(mlf_cache *c) {
  memset(c, 0, sizeof *c);
  c->head = c->tail = -1;
  for (int i = 0; i < MLF_BUCKETS; i++) c->bucket[i] = -1;
  for (int i = 0; i < MLF_MAX; i++) c->e[i].next = i + 1 < MLF_MAX ? i + 1 : -1;
  c->free_head = 0;
}

static void cache_free(mlf_cache *c) {
  for (int i = 0; i < MLF_MAX; i++) {
    free(c->e[i].key);
    free(c->e[i].user);
    for (int k = 0; k < K_COUNT; k++) free(c->e[i].g[k].data);
  }
}

/*
 * Removes an entry (Map.delete). Its storage is only reused by a later cache_set, so the
 * failure being processed may go on reading it until its line is done (mergeFailure unsets
 * an entry and then still uses it; no line sets twice).
 */
static void cache_unlink(mlf_cache *c, int i) {
  mlf_entry *e = &c->e[i];
  if (e->prev >= 0) c->e[e->prev].next = e->next;
  else c->head = e->next;
  if (e->next >= 0) c->e[e->next].prev = e->prev;
  else c->tail = e->prev;
  int *link = &c->bucket[e->hash & (MLF_BUCKETS - 1)];
  while (*link != i) link = &c->e[*link].hnext;
  *link = e->hnext;
  e->next = c->free_head;
  e->prev = -1;
  c->free_head = i;
  c->size--;
}

static int cache_find(mlf_cache *c, const char *key, size_t n, uint64_t h) {
  for (int i = c->bucket[h & (MLF_BUCKETS - 1)]; i >= 0; i = c->e[i].hnext) {
    const mlf_entry *e = &c->e[i];
    if (e->hash == h && e->key_len == n && (n == 0 || memcmp(e->key, key, n) == 0)) return i;
  }
  return -1;
}

/* MlfidCache.get (h = hash_bytes(key, n)) */
static mlf_entry *cache_get(mlf_cache *c, const char *key, size_t n, uint64_t h, double now) {
  int i = cache_find(c, key, n, h);
  if (i < 0) return NULL;
  if (c->e[i].expires > now) return &c->e[i];
  cache_unlink(c, i);
  return NULL;
}

static int store(char **data, size_t *cap, const char *p, size_t n) {
  if (n > *cap || !*data) {
    size_t want = n < 32 ? 32 : n;
    char *d = realloc(*data, want);
    if (!d) return -1;
    *data = d;
    *cap = want;
  }
  if (n) memcpy(*data, p, n);
  return 0;
}

/* MlfidCache.set for a key that is not cached (merge_failure sets one only when cache_get found
   none, so MlfidCache.set's delete of the key has nothing to do): evicts the oldest entries when
   full (see mlfid-cache.ts), then appends (h = hash_bytes(key, n)). */
static mlf_entry *cache_set(mlf_cache *c, const char *key, size_t n, uint64_t h, double now) {
  if (c->size >= MLF_MAX) {
    int i = c->head;
    while (i >= 0) {
      int next = c->e[i].next;
      double expires = c->e[i].expires;
      cache_unlink(c, i);
      if (expires > now && c->size < MLF_MAX) break;
      i = next;
    }
  }
  int i = c->free_head;
  if (i < 0) return NULL; /* cannot happen: size < MLF_MAX here */
  mlf_entry *e = &c->e[i];
  if (store(&e->key, &e->key_cap, key, n) != 0) return NULL;
  c->free_head = e->next;
  e->key_len = n;
  e->hash = h;
  e->expires = now + MLF_TIME;
  e->users = 0;
  e->user_len = 0;
  e->mlfpending = 0;
  e->present = e->defined = 0;
  e->prev = c->tail;
  e->next = -1;
  e->hnext = c->bucket[h & (MLF_BUCKETS - 1)];
  c->bucket[h & (MLF_BUCKETS - 1)] = i;
  if (c->tail >= 0) c->e[c->tail].next = i;
  else c->head = i;
  c->tail = i;
  c->size++;
  return e;
}

/*
 * The entry's groups get every key of `keys` (defined in g) with its value. g is a failure of
 * the entry's mlfid: its mlfid is the entry's key, which entry_value reads instead of a copy.
 */
static int entry_set(mlf_entry *e, const groups *g, unsigned keys) {
  e->present |= keys;
  e->defined |= keys;
  for (keys &= ~KEY_BIT(K_MLFID); keys; keys &= keys - 1) {
    int k = first_key(keys);
    if (store(&e->g[k].data, &e->g[k].cap, g->v[k].p, g->v[k].len) != 0) return -1;
    e->g[k].len = g->v[k].len;
  }
  return 0;
}

static void entry_set_undefined(mlf_entry *e, int k) {
  e->present |= KEY_BIT(k);
  e->defined &= ~KEY_BIT(k);
}

/* updateUsers: a truthy user joins the set. */
static int entry_add_user(mlf_entry *e, const groups *g) {
  if (!truthy(g, K_USER)) return 0;
  const gtext *user = &g->v[K_USER];
  if (e->users == 0) {
    if (store(&e->user, &e->user_cap, user->p, user->len) != 0) return -1;
    e->user_len = user->len;
    e->users = 1;
  } else if (e->users == 1 && !(e->user_len == user->len && memcmp(e->user, user->p, user->len) == 0))
    e->users = 2;
  return 0;
}

/* The value of a key the entry defines. */
static gtext entry_value(const mlf_entry *e, int k) {
  gtext v;
  if (k == K_MLFID) {
    v.p = e->key;
    v.len = e->key_len;
  } else {
    v.p = e->g[k].data ? e->g[k].data : empty_text;
    v.len = e->g[k].len;
  }
  return v;
}

static int entry_truthy(const mlf_entry *e, int k) { return ((e->defined >> k) & 1) && entry_value(e, k).len > 0; }

static void entry_view(const mlf_entry *e, groups *out) {
  out->present = e->present;
  out->defined = e->defined;
  for (unsigned keys = e->defined; keys; keys &= keys - 1) {
    int k = first_key(keys);
    out->v[k] = entry_value(e, k);
  }
}

#define NOFAIL 1
#define FORGET 2
#define PREVIOUS_STATE 4
#define GAINED 8

/*
 * log-filter.ts mergeFailure (fail2ban's _mergeFailure) without the matched-lines bookkeeping,
 * which only feeds output this scanner does not print. `g` is the current failure's groups (it
 * is changed, as there); on return `view` holds the groups of the failure to report and
 * *entry its cache entry (NULL when it is not cached). -1 when out of memory.
 */
static int merge_failure(scan_filter *f, groups *g, double now, groups *view, mlf_entry **entry) {
  int flags = 0;
  if (truthy(g, K_MLFGAINED)) {
    flags |= GAINED | NOFAIL;
    if (!truthy(g, K_NOFAIL)) {
      g->present |= KEY_BIT(K_NOFAIL);
      g->defined |= KEY_BIT(K_NOFAIL);
      g->v[K_NOFAIL] = g->v[K_MLFGAINED];
    }
  } else if (truthy(g, K_NOFAIL))
    flags |= NOFAIL;
  if (truthy(g, K_MLFFORGET)) flags |= FORGET;
  set_undefined(g, K_MLFFORGET);
  const gtext *mlfid = &g->v[K_MLFID];
  uint64_t h = hash_bytes(mlfid->p, mlfid->len);
  mlf_entry *e = cache_get(&f->cache, mlfid->p, mlfid->len, h, now);
  int many_users = 0;
  if (e) {
    if (entry_add_user(e, g) != 0) return -1;
    many_users = e->users > 1;
    if (entry_truthy(e, K_NOFAIL)) flags |= PREVIOUS_STATE;
    entry_set_undefined(e, K_NOFAIL);
    if (entry_truthy(e, K_MLFGAINED)) flags |= PREVIOUS_STATE;
    entry_set_undefined(e, K_MLFGAINED);
    if (flags & GAINED) e->mlfpending = 0;
    if (entry_set(e, g, g->defined) != 0) return -1;
    if (flags & FORGET) cache_unlink(&f->cache, (int)(e - f->cache.e));
  } else if (!(flags & FORGET)) {
    e = cache_set(&f->cache, mlfid->p, mlfid->len, h, now);
    if (!e) return -1;
    /* A new entry takes the dict whole: undefined keys too. */
    e->present = g->present;
    if (entry_set(e, g, g->defined) != 0) return -1;
    if (entry_add_user(e, g) != 0) return -1;
    many_users = e->users > 1;
  }
  *entry = e;
  if (!e) {
    /* Not cached (forgotten at once): no users set, never pending. */
    *view = *g;
    return 0;
  }
  int pending = e->mlfpending;
  e->mlfpending = 0;
  if (pending || many_users) {
    entry_set_undefined(e, K_NOFAIL);
    entry_set_undefined(e, K_MLFGAINED);
  }
  entry_view(e, view);
  return 0;
}

/* ---- failure ids ---- */

enum { IDS_PENDING = -1, IDS_NONE = -2 };

static void report(scan_filter *f, const char *id, size_t id_len, const groups *g, double time, uint64_t line) {
  int has_user = defined(g, K_USER);
  f->on_failure(f->ctx, id, id_len, time, line, has_user ? g->v[K_USER].p : NULL, has_user ? g->v[K_USER].len : 0,
                has_user);
}

/* failure_id (a pure function of its arguments) of a failure, reported. */
static void report_id(scan_filter *f, const char *text, size_t n, int family, int has_cidr, double cidr,
                      const groups *g, double time, uint64_t line) {
  /* failure_id's own first case, which costs less than the memo. */
  if (!has_cidr && family != 6 && ip_is_canonical_v4(text, n)) {
    report(f, text, n, g, time, line);
    return;
  }
  int memo = n <= ID_MEMO_TEXT_MAX;
  if (memo && f->id_memo_valid && f->id_memo_text_len == n && f->id_memo_family == family &&
      f->id_memo_has_cidr == has_cidr && memcmp(&f->id_memo_cidr, &cidr, sizeof cidr) == 0 &&
      memcmp(f->id_memo_text, text, n) == 0) {
    report(f, f->id_memo, f->id_memo_len, g, time, line);
    return;
  }
  failure_id_text id;
  failure_id(text, n, family, has_cidr, cidr, &id);
  f->id_memo_valid = memo && id.len <= ID_MEMO_MAX;
  if (f->id_memo_valid) {
    f->id_memo_family = family;
    f->id_memo_has_cidr = has_cidr;
    f->id_memo_cidr = cidr;
    f->id_memo_text_len = n;
    memcpy(f->id_memo_text, text, n);
    f->id_memo_len = id.len;
    memcpy(f->id_memo, id.p, id.len);
  }
  report(f, id.p, id.len, g, time, line);
}

/* /^(?:\d{1,3}\.){3}\d{1,3}$/ (JS: ASCII digits, `$` at the very end) */
static int dotted_quad_shape(const char *s, size_t n) {
  int parts = 0, digits = 0;
  for (size_t i = 0; i <= n; i++) {
    if (i == n || s[i] == '.') {
      if (digits < 1 || digits > 3) return 0;
      parts++;
      digits = 0;
    } else if (s[i] >= '0' && s[i] <= '9')
      digits++;
    else
      return 0;
  }
  return parts == 4;
}

static int host_compare(const void *a, const void *b) {
  return strcmp(((const host_entry *)a)->name, ((const host_entry *)b)->name);
}

/* The hosts-file addresses of a name (hosts-file-resolver.ts: keys compared in lower case). */
static const host_entry *lookup_host(scan_filter *f, const char *name, size_t n) {
  if (f->host_count == 0 || memchr(name, '\0', n)) return NULL;
  f->scratch.len = 0;
  if (text_buf_reserve(&f->scratch, n + 1) != 0) {
    f->oom = 1;
    return NULL;
  }
  for (size_t i = 0; i < n; i++) {
    char c = name[i];
    f->scratch.data[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
  }
  f->scratch.data[n] = '\0';
  host_entry key = {f->scratch.data, NULL, 0};
  return bsearch(&key, f->hosts, (size_t)f->host_count, sizeof *f->hosts, host_compare);
}

/*
 * log-filter.ts failureIds, reporting each id: the number reported, IDS_PENDING while a
 * multi-line failure has no id yet, IDS_NONE when the regex captured none.
 */
static int report_failure_ids(scan_filter *f, const groups *g, int has_mlfid, double time, uint64_t line) {
  const gtext *fid = &g->v[K_FID];
  int has_fid = defined(g, K_FID);
  int raw = f->plan->use_dns == USEDNS_RAW;
  int has_cidr = truthy(g, K_CIDR);
  double cidr = has_cidr ? js_string_to_number(g->v[K_CIDR].p, g->v[K_CIDR].len) : 0;
  const gtext *ip = NULL;
  int family = 0;
  if (defined(g, K_IP4)) {
    ip = &g->v[K_IP4];
    family = 4;
  } else if (defined(g, K_IP6)) {
    ip = &g->v[K_IP6];
    family = 6;
  }
  if (ip) {
    if (!has_fid || same_text(fid, ip)) report_id(f, ip->p, ip->len, family, has_cidr, cidr, g, time, line);
    else if (raw) report(f, fid->p, fid->len, g, time, line);
    else report_id(f, fid->p, fid->len, 0, 0, 0, g, time, line);
    return 1;
  }
  const gtext *dns = &g->v[K_DNS];
  if (defined(g, K_DNS)) {
    if (raw) {
      const gtext *id = !has_fid || same_text(fid, dns) ? dns : fid;
      report(f, id->p, id->len, g, time, line);
      return 1;
    }
    /* DNSUtils.textToIp: a literal IPv4 first, then names (the hosts file only). */
    ip_address a;
    if (dotted_quad_shape(dns->p, dns->len) && ip_parse(dns->p, dns->len, &a)) {
      report_id(f, dns->p, dns->len, 0, 0, 0, g, time, line);
      return 1;
    }
    if (f->plan->use_dns == USEDNS_NO) return 0;
    const host_entry *h = lookup_host(f, dns->p, dns->len);
    if (!h) return 0;
    for (int i = 0; i < h->address_count; i++)
      report_id(f, h->addresses[i], strlen(h->addresses[i]), 0, 0, 0, g, time, line);
    return h->address_count;
  }
  if (!has_fid) return has_mlfid ? IDS_PENDING : IDS_NONE;
  if (raw) report(f, fid->p, fid->len, g, time, line);
  else report_id(f, fid->p, fid->len, 0, 0, 0, g, time, line);
  return 1;
}

/* ---- the pipeline ---- */

/* log-filter.ts ignoreLine for single-line buffers: 1 ignored, 0 not, -1 gave up. */
static int ignore_line(scan_filter *f, const char *buf, size_t len, scan_line_result *out) {
  for (int i = 0; i < f->ignore_count; i++) {
    int rc = fregex_search(f, &f->ignore[i], buf, len, NULL);
    if (rc < 0) return -1;
    if (rc > 0) {
      f->ignore_hits[i]++;
      out->ignored = 1;
      return 1;
    }
  }
  return 0;
}

/* withPrefixGroups: the prefregex's groups but `content`, updated with the failregex's. */
static void with_prefix_groups(const groups *prefix, const groups *own, groups *out) {
  unsigned from_prefix = prefix->present & ~own->present & ~KEY_BIT(K_CONTENT);
  out->present = own->present | from_prefix;
  out->defined = own->defined | (prefix->defined & from_prefix);
  copy_texts(out->v, own->v, own->defined);
  copy_texts(out->v, prefix->v, prefix->defined & from_prefix);
}

/* log-filter.ts findFailures with maxlines = 1: the buffer buf[0..len) is the one line (without
   its date) and "\n". */
static int find_failures(scan_filter *f, const char *buf, size_t len, double time, uint64_t number, double now,
                         scan_line_result *out) {
  f->pending_count = 0;
  if (f->ignore_count > 0 && f->ignore_count < f->fail_count - 2) {
    int rc = ignore_line(f, buf, len, out);
    if (rc < 0) goto abandon;
    if (rc > 0) return 0;
  }
  groups pre, own, merged;
  if (f->has_pref) {
    int rc = fregex_search(f, &f->pref, buf, len, &pre);
    if (rc < 0) goto abandon;
    if (rc == 0) return 0;
    out->pref_matched = 1;
    const gtext *content = &pre.v[K_CONTENT];
    if (truthy(&pre, K_CONTENT) && content->p + content->len == buf + len - 1) {
      /* The usual case: the content runs to the line's end, so content + "\n" is already there,
         at the end of the line buffer; no copy. */
      buf = content->p;
      len = content->len + 1;
    } else if (truthy(&pre, K_CONTENT)) {
      f->content_buf.len = 0;
      if (text_buf_append(&f->content_buf, content->p, content->len) != 0 ||
          text_buf_append(&f->content_buf, "\n", 1) != 0)
        return -1;
      buf = f->content_buf.data;
      len = f->content_buf.len;
    }
  }
  /* cannotStartWith(buf.charCodeAt(0)): an empty buffer (NaN) never skips. */
  const int *next = f->by_first[len > 0 && (unsigned char)buf[0] < 128 ? (unsigned char)buf[0] : 128];
  for (int i; (i = *next++) >= 0;) {
    fregex *r = &f->fail[i];
    const scan_regex *re = r->re;
    if (re->head && (len < re->head_len || memcmp(buf, re->head, re->head_len) != 0)) continue;
    int rc = fregex_search(f, r, buf, len, &own);
    if (rc < 0) goto abandon;
    if (rc == 0) continue;
    if (f->ignore_count > 0) {
      rc = ignore_line(f, buf, len, out);
      if (rc < 0) goto abandon;
      if (rc > 0) break;
    }
    f->pending_hits[f->pending_count++] = i;
    /* The line buffer becomes hit.unmatchedLines: empty, so later failregexes see "" (and
       none is skipped by its start characters). */
    buf = empty_text;
    len = 0;
    next = f->all_fail + i + 1;
    /* Without a prefregex the failregex's own dict is the failure's (merge_failure may
       change it: it is not read again). */
    groups *m = &own;
    if (f->has_pref) {
      with_prefix_groups(&pre, &own, &merged);
      m = &merged;
    }
    int has_mlfid = defined(m, K_MLFID);
    groups view;
    const groups *g = m;
    mlf_entry *entry = NULL;
    if (has_mlfid) {
      if (merge_failure(f, m, now, &view, &entry) != 0) return -1;
      g = &view;
      if (truthy(g, K_NOFAIL)) break;
    }
    int ids = report_failure_ids(f, g, has_mlfid, time, number);
    if (f->oom) return -1;
    if (ids == IDS_PENDING) {
      if (entry) entry->mlfpending = 1;
      break;
    }
    if (ids == IDS_NONE) continue; /* fail2ban: "No group found", next failregex */
    out->failures += ids;
    break;
  }
  for (int k = 0; k < f->pending_count; k++) f->fail_hits[f->pending_hits[k]]++;
  return 0;
abandon:
  /* The JS engine's watchdog skips such a line whole: its regex hits are not counted. */
  out->abandoned = 1;
  out->ignored = out->pref_matched = 0;
  return 0;
}

/*
 * log-filter.ts cutDate: the date stage. Advances the date detector and the last date, and says
 * what the rest of the pipeline gets (see scan_date_outcome).
 */
static void date_stage(scan_filter *f, const char *line, size_t len, int ascii, double now,
                       scan_date_outcome *o) {
  memset(o, 0, sizeof *o);
  date_match m;
  memset(&m, 0, sizeof m);
  if (date_detector_match(f->date.dates, line, len, ascii, now, &m) < 0) {
    o->kind = SCAN_DATE_ABANDONED;
    return;
  }
  /* fail2ban logs "Failed to process line" and skips it. */
  if (m.fault) {
    o->kind = SCAN_DATE_FAULT;
    return;
  }
  if (m.found) {
    /* The detector's offsets are capture spans of valid UTF-8; anything else would be a bug
       there, and is treated as no date rather than trusted. */
    if (m.start > m.end || m.end > len || (m.start < len && ((unsigned char)line[m.start] & 0xC0) == 0x80) ||
        (m.end < len && ((unsigned char)line[m.end] & 0xC0) == 0x80))
      m.found = 0;
  }
  int last_date_is_recent = f->date.has_last_date && f->date.last_date > now - 60;
  int cut = 0, has_date = 0;
  double date = 0;
  if (m.found) {
    if (m.end > m.start) {
      cut = 1;
      if (m.has_time) {
        date = m.time;
        has_date = 1;
        f->date.last_date = date;
        f->date.has_last_date = 1;
      }
    } else if (last_date_is_recent) {
      date = f->date.last_date;
      has_date = 1;
    } else {
      date = now;
      has_date = 1;
    }
  }
  if (!has_date && last_date_is_recent) {
    /* An unparsable or missing date borrows the last one, and the whole line is matched. */
    cut = 0;
    date = f->date.last_date;
    has_date = 1;
  }
  o->kind = SCAN_DATE_LINE;
  /* With a time of its own, the line's outcome reads neither the last date nor its age. */
  o->steady = m.steady && cut && m.has_time;
  o->cut = cut;
  o->start = cut ? m.start : 0;
  o->end = cut ? m.end : 0;
  o->time = has_date ? date : now;
}

int scan_filter_line(scan_filter *f, const char *line, size_t len, int ascii, int newline_follows, uint64_t number,
                     double now, scan_line_result *out) {
  memset(out, 0, sizeof *out);
  scan_date_outcome *o = &out->date;
  date_stage(f, line, len, ascii, now, o);
  if (o->kind == SCAN_DATE_ABANDONED) {
    out->abandoned = 1;
    return 0;
  }
  if (o->kind == SCAN_DATE_FAULT) return 0;
  f->line_ascii = ascii;
  const char *buf = line + o->end;
  size_t buf_len = len - o->end + 1;
  if (!newline_follows || o->start > 0) {
    /* The line without its date, and "\n", in a copy. Otherwise (most lines: nothing cut, or the
       date at the start) the rest of the line and its "\n" are the buffer already. */
    text_buf *b = &f->line_buf;
    b->len = 0;
    if (text_buf_reserve(b, len + 1) != 0) return -1;
    memcpy(b->data, line, o->start);
    memcpy(b->data + o->start, line + o->end, len - o->end);
    b->len = o->start + (len - o->end);
    b->data[b->len++] = '\n';
    buf = b->data;
    buf_len = b->len;
  }
  return find_failures(f, buf, buf_len, o->time, number, now, out);
}

void scan_filter_date_line(scan_filter *f, const char *line, size_t len, int ascii, double now,
                           scan_date_outcome *out) {
  date_stage(f, line, len, ascii, now, out);
}

scan_date_stage *scan_date_stage_new(scan_plan *plan) {
  scan_date_stage *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->dates = date_detector_new(plan);
  if (!s->dates) {
    free(s);
    return NULL;
  }
  return s;
}

void scan_date_stage_free(scan_date_stage *s) {
  if (!s) return;
  date_detector_free(s->dates);
  free(s);
}

scan_date_stage *scan_filter_date_stage(scan_filter *f) { return &f->date; }

int scan_date_stage_copy(scan_date_stage *dst, const scan_date_stage *src) {
  if (date_detector_copy_state(dst->dates, src->dates) != 0) return -1;
  dst->has_last_date = src->has_last_date;
  dst->last_date = src->last_date;
  return 0;
}

int scan_date_stage_same_course(const scan_date_stage *a, const scan_date_stage *b) {
  return date_detector_same_course(a->dates, b->dates);
}

void scan_date_stage_carry_counts(scan_date_stage *dst, const scan_date_stage *from, uint64_t steady, double now) {
  date_detector_carry_counts(dst->dates, from->dates, steady, now);
}

void scan_date_stage_dump(const scan_date_stage *s, FILE *to) { date_detector_dump(s->dates, to); }

/* ---- state snapshot ---- */

static int put_bytes(text_buf *b, const void *p, size_t n) { return text_buf_append(b, p, n); }

static int put_u64(text_buf *b, uint64_t v) { return put_bytes(b, &v, sizeof v); }

static int put_text(text_buf *b, const char *p, size_t n) {
  return put_u64(b, n) != 0 || (n > 0 && put_bytes(b, p, n) != 0) ? -1 : 0;
}

int scan_filter_state(const scan_filter *f, text_buf *out) {
  out->len = 0;
  const mlf_cache *c = &f->cache;
  if (put_u64(out, (uint64_t)c->size) != 0) return -1;
  /* Entries in insertion order (the order eviction follows); where each sits in the table and
     its hash are bookkeeping. A group's bytes count only when it holds a value; the user only
     while it is the one user seen (users: 0, 1, or 2 = more than one). */
  for (int i = c->head; i >= 0; i = c->e[i].next) {
    const mlf_entry *e = &c->e[i];
    uint64_t expires;
    memcpy(&expires, &e->expires, sizeof expires);
    if (put_text(out, e->key, e->key_len) != 0 || put_u64(out, expires) != 0) return -1;
    for (int k = 0; k < K_COUNT; k++) {
      int state = !((e->present >> k) & 1) ? G_ABSENT : (e->defined >> k) & 1 ? G_VALUE : G_UNDEF;
      if (put_u64(out, (uint64_t)state) != 0) return -1;
      if (state == G_VALUE) {
        gtext v = entry_value(e, k);
        if (put_text(out, v.p, v.len) != 0) return -1;
      }
    }
    if (put_u64(out, (uint64_t)e->users) != 0 || put_u64(out, (uint64_t)e->mlfpending) != 0) return -1;
    if (e->users == 1 && put_text(out, e->user, e->user_len) != 0) return -1;
  }
  return 0;
}

/* ---- setup ---- */

/* f->by_first and f->all_fail (see there). -1 when out of memory. */
static int start_lists(scan_filter *f) {
  size_t n = (size_t)f->fail_count;
  f->all_fail = malloc((n + 1) * sizeof *f->all_fail);
  f->first_lists = malloc(128 * (n + 1) * sizeof *f->first_lists);
  if (!f->all_fail || !f->first_lists) return -1;
  for (size_t i = 0; i < n; i++) f->all_fail[i] = (int)i;
  f->all_fail[n] = -1;
  f->by_first[128] = f->all_fail;
  for (int b = 0; b < 128; b++) {
    int *list = f->first_lists + (size_t)b * (n + 1), k = 0;
    for (size_t i = 0; i < n; i++)
      if (scan_regex_may_start(f->fail[i].re, (unsigned char)b)) list[k++] = (int)i;
    list[k] = -1;
    f->by_first[b] = list;
  }
  return 0;
}

scan_filter *scan_filter_new(scan_plan *plan, scan_failure_fn on_failure, void *ctx, char *err, size_t errlen) {
  if (plan->max_lines != 1) {
    snprintf(err, errlen, "maxlines = %d: the native scanner runs single-line filters only", plan->max_lines);
    return NULL;
  }
  scan_filter *f = calloc(1, sizeof *f);
  if (!f) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  f->plan = plan;
  f->on_failure = on_failure;
  f->ctx = ctx;
  cache_init(&f->cache);
  f->fail = calloc((size_t)plan->fail_count + 1, sizeof *f->fail);
  f->ignore = calloc((size_t)plan->ignore_count + 1, sizeof *f->ignore);
  f->fail_hits = calloc((size_t)plan->fail_count + 1, sizeof *f->fail_hits);
  f->ignore_hits = calloc((size_t)plan->ignore_count + 1, sizeof *f->ignore_hits);
  f->pending_hits = calloc((size_t)plan->fail_count + 1, sizeof *f->pending_hits);
  if (!f->fail || !f->ignore || !f->fail_hits || !f->ignore_hits || !f->pending_hits) goto oom;
  char what[64];
  int max_captures = 0, max_slots = 1;
  if (plan->pref) {
    if (fregex_init(&f->pref, plan->pref, "prefregex", err, errlen) != 0) goto fail;
    f->has_pref = 1;
    max_captures = f->pref.re->capture_count;
    max_slots = f->pref.slot_count > max_slots ? f->pref.slot_count : max_slots;
  }
  for (int i = 0; i < plan->fail_count; i++) {
    snprintf(what, sizeof what, "failregex %d", i + 1);
    if (fregex_init(&f->fail[i], &plan->fail[i], what, err, errlen) != 0) goto fail;
    f->fail_count++;
    if (f->fail[i].re->capture_count > max_captures) max_captures = f->fail[i].re->capture_count;
    if (f->fail[i].slot_count > max_slots) max_slots = f->fail[i].slot_count;
  }
  for (int i = 0; i < plan->ignore_count; i++) {
    snprintf(what, sizeof what, "ignoreregex %d", i + 1);
    if (fregex_init(&f->ignore[i], &plan->ignore[i], what, err, errlen) != 0) goto fail;
    f->ignore_count++;
    if (f->ignore[i].re->capture_count > max_captures) max_captures = f->ignore[i].re->capture_count;
  }
  if (start_lists(f) != 0) goto oom;
  f->md = pcre2_match_data_create((uint32_t)max_captures + 1, NULL);
  f->slots = calloc((size_t)max_slots, sizeof *f->slots);
  if (!f->md || !f->slots) goto oom;
  f->ov = pcre2_get_ovector_pointer(f->md);
  if (plan->host_count > 0) {
    f->hosts = calloc((size_t)plan->host_count, sizeof *f->hosts);
    if (!f->hosts) goto oom;
    for (int i = 0; i < plan->host_count; i++) {
      char *name = strdup(plan->hosts[i].name);
      if (!name) goto oom;
      for (char *p = name; *p; p++)
        if (*p >= 'A' && *p <= 'Z') *p = (char)(*p + 32);
      f->hosts[i].name = name;
      f->hosts[i].addresses = plan->hosts[i].addresses;
      f->hosts[i].address_count = plan->hosts[i].address_count;
      f->host_count++;
    }
    qsort(f->hosts, (size_t)f->host_count, sizeof *f->hosts, host_compare);
  }
  f->date.dates = date_detector_new(plan);
  if (!f->date.dates) goto oom;
  return f;
oom:
  snprintf(err, errlen, "out of memory");
fail:
  scan_filter_free(f);
  return NULL;
}

void scan_filter_clear_hits(scan_filter *f) {
  memset(f->fail_hits, 0, ((size_t)f->plan->fail_count + 1) * sizeof *f->fail_hits);
  memset(f->ignore_hits, 0, ((size_t)f->plan->ignore_count + 1) * sizeof *f->ignore_hits);
}

const uint64_t *scan_filter_fail_hits(const scan_filter *f, int *count) {
  *count = f->plan->fail_count;
  return f->fail_hits;
}

const uint64_t *scan_filter_ignore_hits(const scan_filter *f, int *count) {
  *count = f->plan->ignore_count;
  return f->ignore_hits;
}


void scan_filter_free(scan_filter *f) {
  if (!f) return;
  if (f->date.dates) date_detector_free(f->date.dates);
  if (f->has_pref) fregex_free(&f->pref);
  for (int i = 0; i < f->fail_count; i++) fregex_free(&f->fail[i]);
  for (int i = 0; i < f->ignore_count; i++) fregex_free(&f->ignore[i]);
  free(f->first_lists);
  free(f->all_fail);
  free(f->fail);
  free(f->ignore);
  free(f->fail_hits);
  free(f->ignore_hits);
  free(f->pending_hits);
  if (f->md) pcre2_match_data_free(f->md);
  free(f->slots);
  for (int i = 0; i < f->host_count; i++) free(f->hosts[i].name);
  free(f->hosts);
  cache_free(&f->cache);
  text_buf_free(&f->line_buf);
  text_buf_free(&f->content_buf);
  text_buf_free(&f->scratch);
  free(f);
}
