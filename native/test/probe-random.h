/* The probes' pseudo-random jumps: xorshift64, fixed seed, so a failing sequence repeats. */
#ifndef RAMPART_PROBE_RANDOM_H
#define RAMPART_PROBE_RANDOM_H

static unsigned long long rng = 88172645463325252ULL;
static unsigned long long next_random(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

#endif
