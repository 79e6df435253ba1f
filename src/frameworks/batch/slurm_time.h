/* slurm_time.h - Slurm's time syntaxes: time limits (--time), their
 * display (squeue's TIME_LIMIT and TIME columns) and start times (--begin).
 *
 * Pure: no clock reads (callers pass `now`, seconds since the epoch), no
 * globals; the --begin parser reads the local time zone (localtime_r and
 * mktime) as Slurm does. Formatting writes into the caller's buffer and
 * returns it; nothing here allocates. */
#ifndef MOSAIC_BATCH_SLURM_TIME_H
#define MOSAIC_BATCH_SLURM_TIME_H

#include <stddef.h>
#include <stdint.h>

/* A time limit of "no limit". */
#define SLURM_TIME_UNLIMITED INT64_C(-1)
/* Enough for any formatted duration. */
#define SLURM_TIME_BUFLEN 32
/* What --time accepts, for error messages. */
#define SLURM_TIME_SYNTAX                                                                                    \
	"expected minutes, minutes:seconds, hours:minutes:seconds, days-hours, days-hours:minutes, "         \
	"days-hours:minutes:seconds or UNLIMITED"

/* slurm_time_parse reads a time limit as sbatch --time does: "minutes",
 * "minutes:seconds", "hours:minutes:seconds", "days-hours",
 * "days-hours:minutes", "days-hours:minutes:seconds"; "UNLIMITED",
 * "INFINITE" or "-1" (any case) give SLURM_TIME_UNLIMITED, and so does a
 * limit of zero ("A time limit of zero requests that no time limit be
 * imposed"). Fields need not be normalised ("90" is 90 minutes). Unlike
 * Slurm, seconds are kept rather than rounded up to whole minutes. Sets
 * *secs and returns 0, or MOSAIC_EINVAL (with *secs unchanged). */
int slurm_time_parse(const char *text, int64_t *secs);

/* slurm_time_format writes a limit as Slurm shows it: "1-02:03:04",
 * "00:05:00", "UNLIMITED" (any negative value but SLURM_TIME_UNLIMITED
 * gives "INVALID"). Returns buf. */
char *slurm_time_format(int64_t secs, char *buf, size_t len);

/* slurm_time_format_elapsed writes a run time as squeue's TIME column does:
 * "0:05", "12:34", "1:02:03", "3-04:05:06" ("INVALID" if negative).
 * Returns buf. */
char *slurm_time_format_elapsed(int64_t secs, char *buf, size_t len);

/* slurm_time_parse_begin reads an sbatch --begin time relative to now:
 *   now[{+|-}count[seconds|minutes|hours|days|weeks]]  (seconds by default;
 *       s, sec, m, min, h, d, w and plurals also accepted)
 *   HH:MM[:SS] [AM|PM]    today, or tomorrow if that time has passed
 *   midnight, noon, elevenses (11:00), fika (15:00), teatime (16:00)
 *   today, tomorrow
 *   YYYY-MM-DD[THH:MM[:SS]], MMDD[YY], MM/DD[/YY], MM.DD[.YY],
 *   MM/DD[/YY]-HH:MM[:SS]  (a date without a time means 00:00:00; a date
 *       without a year is this year unless it has passed, then next year)
 * A date and a time may be combined ("tomorrow 16:00", "noon tomorrow").
 * Sets *when (seconds since the epoch) and returns 0; otherwise returns
 * MOSAIC_EINVAL and, when err is non-NULL, says what is wrong. */
int slurm_time_parse_begin(const char *text, int64_t now, int64_t *when, char *err, size_t errlen);

#endif
