/*
 * The local zone's UTC offset without glibc's lock, for date.c's mktime and fromtimestamp.
 *
 * localtime_r takes glibc's process-wide tzset lock on every call; with two scanning threads
 * each calling it for every new second of the log, the threads queue on that lock (a futex
 * system call each time they collide) as well as paying ~530 instructions a call. Yet between
 * two transitions of a zone file (TZif) glibc's answer is one fixed offset and DST flag: it
 * takes the type of the last transition at or before the time (time/tzfile.c
 * __tzfile_compute). So once localtime_r has answered for a time, the whole transition interval
 * around it can be answered by arithmetic, per thread, with no lock.
 *
 * Exactness: the zone file is the one glibc reads (TZ unset: /etc/localtime; TZ=":NAME" or
 * "NAME": NAME, under $TZDIR or /usr/share/zoneinfo when relative; TZ="": Universal), parsed
 * here only for its transition times and types. An interval is cached only when localtime_r
 * itself agrees at the time asked and at both ends of the interval, and agrees with the file's
 * type for it, so a file glibc did not read (or read differently) is never trusted. Not cached:
 * zones with leap seconds ("right/" files), times after the last transition (glibc then follows
 * the file's POSIX TZ rule, whose changes are computed per year) and anything unusual; those ask
 * localtime_r every time, as before. native/test/zone-probe.c checks every answer against
 * localtime_r in many zones.
 */
#ifndef RAMPART_ZONE_H
#define RAMPART_ZONE_H

#include <stdint.h>
#include <time.h>

/*
 * 1 when localtime_r(t) is known from this thread's cache without calling it: its UTC offset
 * (its civil time is t + *offset, with no leap second) and tm_isdst. 0: ask localtime_r, then
 * zone_learn.
 */
int zone_offset(int64_t t, int64_t *offset, int *isdst);

/*
 * What localtime_r(t) gave (`tm`; `offset` = its civil time minus t, as the caller counts civil
 * seconds): caches the transition interval around t for this thread when that is safe (above).
 */
void zone_learn(int64_t t, int64_t offset, const struct tm *tm);

#endif
