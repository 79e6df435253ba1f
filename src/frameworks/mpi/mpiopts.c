/* mpiopts.c - mmpirun's command line (see mpiopts.h). A table of options
 * and a small loop, not getopt: getopt_long would permute the program's
 * own arguments into ours. */
#include "mpiopts.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "mem.h"
#include "util.h"

enum opt_id {
	OPT_NP,
	OPT_PPN,
	OPT_MAP_BY,
	OPT_CPUS,
	OPT_MEM,
	OPT_BIND,
	OPT_TIMEOUT,
	OPT_RESTARTS,
	OPT_LAUNCHER,
	OPT_TAG,
	OPT_ENV,
	OPT_MCA,
	OPT_ROLE,
	OPT_NAME,
	OPT_MASTER,
	OPT_MPIRUN,
	OPT_HOLD,
	OPT_BACKOFF,
	OPT_VERBOSE,
	OPT_HELP,
};

typedef struct opt {
	const char *name; /* "-n", "--ppn" */
	enum opt_id id;
	bool value; /* takes a value */
} opt;

/* clang-format off */
static const opt opts[] = {
	{"-n", OPT_NP, true},
	{"-np", OPT_NP, true},
	{"--np", OPT_NP, true},
	{"--ppn", OPT_PPN, true},
	{"-N", OPT_PPN, true},
	{"--npernode", OPT_PPN, true},
	{"--map-by", OPT_MAP_BY, true},
	{"--cpus-per-rank", OPT_CPUS, true},
	{"--cpus-per-proc", OPT_CPUS, true},
	{"--mem-per-rank", OPT_MEM, true},
	{"--bind-to", OPT_BIND, true},
	{"--timeout", OPT_TIMEOUT, true},
	{"--restarts", OPT_RESTARTS, true},
	{"--launcher", OPT_LAUNCHER, true},
	{"--tag-output", OPT_TAG, false},
	{"-x", OPT_ENV, true},
	{"--mca", OPT_MCA, true},
	{"-mca", OPT_MCA, true},
	{"--role", OPT_ROLE, true},
	{"--name", OPT_NAME, true},
	{"--master", OPT_MASTER, true},
	{"--mpirun", OPT_MPIRUN, true},
	{"--hold", OPT_HOLD, true},
	{"--backoff", OPT_BACKOFF, true},
	{"-v", OPT_VERBOSE, false},
	{"--verbose", OPT_VERBOSE, false},
	{"-h", OPT_HELP, false},
	{"--help", OPT_HELP, false},
};
/* clang-format on */

static int
bad(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (err && errlen)
		vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return MOSAIC_EINVAL;
}

static bool
parse_uint(const char *s, unsigned max, unsigned *out)
{
	char *end;
	errno = 0;
	if (!s || !isdigit((unsigned char)*s))
		return false;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return false;
	*out = (unsigned)v;
	return true;
}

static bool
parse_double(const char *s, double *out)
{
	char *end;
	errno = 0;
	if (!s || !*s)
		return false;
	double v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v < 0)
		return false;
	*out = v;
	return true;
}

bool
mpiopts_env_name_ok(const char *entry)
{
	size_t n = strcspn(entry, "=");
	if (n == 0 || !(isalpha((unsigned char)entry[0]) || entry[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!(isalnum((unsigned char)entry[i]) || entry[i] == '_'))
			return false;
	return true;
}

/* --map-by ppr:K:node is OpenMPI's way of saying --ppn K. */
static int
map_by(mpiopts *o, const char *v, char *err, size_t errlen)
{
	unsigned k;
	if (strncmp(v, "ppr:", 4) == 0) {
		char num[16];
		const char *colon = strchr(v + 4, ':');
		size_t len = colon ? (size_t)(colon - v - 4) : 0;
		if (!colon || strcmp(colon, ":node") != 0 || len == 0 || len >= sizeof(num))
			return bad(err, errlen, "--map-by %s: only ppr:K:node is understood", v);
		memcpy(num, v + 4, len);
		num[len] = '\0';
		if (!parse_uint(num, 1u << 20, &k) || k == 0)
			return bad(err, errlen, "--map-by %s: K must be a positive number", v);
		o->map.ppn = k;
		return MOSAIC_OK;
	}
	if (rankmap_parse_map_by(v, &o->map.map_by) != MOSAIC_OK)
		return bad(err, errlen, "--map-by %s: expected slot, node, socket, core or ppr:K:node", v);
	return MOSAIC_OK;
}

static int
apply(mpiopts *o, enum opt_id id, const char *name, const char *v, char *err, size_t errlen)
{
	unsigned u;
	switch (id) {
	case OPT_NP:
		if (!parse_uint(v, 1u << 20, &u) || u == 0)
			return bad(err, errlen, "%s %s: expected a number of ranks, 1 or more", name, v);
		o->map.np = u;
		break;
	case OPT_PPN:
		if (!parse_uint(v, 1u << 20, &u) || u == 0)
			return bad(err, errlen, "%s %s: expected a number of ranks per node, 1 or more", name,
			           v);
		o->map.ppn = u;
		break;
	case OPT_MAP_BY: return map_by(o, v, err, errlen);
	case OPT_CPUS:
		if (!parse_double(v, &o->map.cpus_per_rank) || o->map.cpus_per_rank <= 0)
			return bad(err, errlen, "%s %s: expected a number of cpus above 0", name, v);
		break;
	case OPT_MEM:
		if (!parse_double(v, &o->map.mem_per_rank))
			return bad(err, errlen, "%s %s: expected MiB, 0 or more", name, v);
		break;
	case OPT_BIND:
		if (rankmap_parse_bind_to(v, &o->map.bind_to) != MOSAIC_OK)
			return bad(err, errlen, "%s %s: expected core, socket or none", name, v);
		break;
	case OPT_TIMEOUT:
		if (util_parse_duration(v, &o->timeout) != MOSAIC_OK || o->timeout <= 0)
			return bad(err, errlen, "%s %s: expected a duration above 0 (30, 90s, 5m, 1h)", name,
			           v);
		break;
	case OPT_RESTARTS:
		if (!parse_uint(v, 1000, &o->restarts))
			return bad(err, errlen, "%s %s: expected a number of restarts, 0 to 1000", name, v);
		break;
	case OPT_LAUNCHER:
		if (strcmp(v, "openmpi") == 0)
			o->launcher = MPIOPTS_LAUNCHER_OPENMPI;
		else if (strcmp(v, "generic") == 0)
			o->launcher = MPIOPTS_LAUNCHER_GENERIC;
		else
			return bad(err, errlen, "%s %s: expected openmpi or generic", name, v);
		break;
	case OPT_TAG: o->tag_output = true; break;
	case OPT_ENV:
		if (!mpiopts_env_name_ok(v))
			return bad(err, errlen, "%s %s: expected VAR or VAR=value (a variable name)", name,
			           v);
		o->env = xrealloc(o->env, (o->nenv + 1) * sizeof(*o->env));
		o->env[o->nenv++] = v;
		break;
	case OPT_ROLE:
	case OPT_NAME:
		if (!*v)
			return bad(err, errlen, "%s: must not be empty", name);
		*(id == OPT_ROLE ? &o->role : &o->name) = v;
		break;
	case OPT_MASTER: o->master = v; break;
	case OPT_MPIRUN: o->mpirun = v; break;
	case OPT_HOLD:
	case OPT_BACKOFF: {
		double d;
		if (util_parse_duration(v, &d) != MOSAIC_OK || (id == OPT_BACKOFF && d <= 0))
			return bad(err, errlen, "%s %s: expected a duration%s", name, v,
			           id == OPT_BACKOFF ? " above 0" : "");
		*(id == OPT_HOLD ? &o->hold : &o->backoff) = d;
		break;
	}
	case OPT_VERBOSE: o->verbose = true; break;
	case OPT_HELP: o->help = true; break;
	case OPT_MCA: break; /* two values: handled by the caller */
	}
	return MOSAIC_OK;
}

static const opt *
find_opt(const char *arg, size_t len)
{
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (strlen(opts[i].name) == len && strncmp(opts[i].name, arg, len) == 0)
			return &opts[i];
	return NULL;
}

int
mpiopts_parse(mpiopts *o, int argc, char *const *argv, char *err, size_t errlen)
{
	memset(o, 0, sizeof(*o));
	rankmap_opts_init(&o->map);
	o->role = "mpi";
	o->name = "mmpirun";
	o->hold = 10;
	o->backoff = 1;
	bool np_given = false;
	int i = 1, rv = MOSAIC_OK;
	while (i < argc && rv == MOSAIC_OK) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (a[0] != '-' || a[1] == '\0')
			break;
		const char *eq = strncmp(a, "--", 2) == 0 ? strchr(a, '=') : NULL;
		size_t len = eq ? (size_t)(eq - a) : strlen(a);
		const opt *op = find_opt(a, len);
		if (!op) {
			rv = bad(err, errlen, "unknown option %s", a);
			break;
		}
		if (!op->value && eq) {
			rv = bad(err, errlen, "%.*s takes no value", (int)len, a);
			break;
		}
		if (op->id == OPT_MCA) {
			if (eq || i + 2 >= argc) {
				rv = bad(err, errlen, "%s needs two values: --mca KEY VALUE", op->name);
				break;
			}
			o->mca = xrealloc(o->mca, (o->nmca + 1) * 2 * sizeof(*o->mca));
			o->mca[2 * o->nmca] = argv[i + 1];
			o->mca[2 * o->nmca + 1] = argv[i + 2];
			o->nmca++;
			i += 3;
			continue;
		}
		const char *v = NULL;
		if (op->value) {
			if (eq)
				v = eq + 1;
			else if (i + 1 < argc)
				v = argv[++i];
			else {
				rv = bad(err, errlen, "%s needs a value", op->name);
				break;
			}
		}
		np_given |= op->id == OPT_NP;
		rv = apply(o, op->id, op->name, v, err, errlen);
		i++;
	}
	if (rv == MOSAIC_OK && !o->help) {
		if (i >= argc)
			rv = bad(err, errlen, "no program to run (mmpirun -n N PROG ARGS...)");
		else if (!np_given)
			rv = bad(err, errlen, "-n N is required: how many ranks to run");
		else
			rv = rankmap_opts_check(&o->map, err, errlen);
	}
	if (rv != MOSAIC_OK) {
		mpiopts_fini(o);
		return rv;
	}
	o->argv = argv + i;
	o->argc = argc - i;
	return MOSAIC_OK;
}

void
mpiopts_fini(mpiopts *o)
{
	free(o->env);
	free(o->mca);
	o->env = NULL;
	o->mca = NULL;
	o->nenv = o->nmca = 0;
}

void
mpiopts_usage(FILE *f)
{
	fputs("usage: mmpirun -n N [options] PROG [ARGS...]\n"
	      "\n"
	      "Run PROG as an N-rank gang on a Mosaic cluster: all ranks start together or\n"
	      "none does; one rank failing ends them all. With OpenMPI's mpirun found, it runs\n"
	      "mpirun with the gang's agents as hosts and OpenMPI's daemons inside the gang's\n"
	      "tasks; otherwise (or --launcher generic) each rank gets MOSAIC_RANK,\n"
	      "MOSAIC_WORLD_SIZE, MOSAIC_LOCAL_RANK, MOSAIC_PEERS and MOSAIC_COORDINATOR.\n"
	      "Exits with the first failing rank's exit code, or 0.\n"
	      "\n"
	      "  -n, -np N              ranks (required)\n"
	      "  --ppn K, -N K          exactly K ranks on every agent used (N a multiple of K)\n"
	      "  --map-by M             slot (fill agents in turn, default), node (round-robin),\n"
	      "                         socket, core, or ppr:K:node (= --ppn K)\n"
	      "  --cpus-per-rank C      cpus per rank (default 1; whole cores when binding)\n"
	      "  --mem-per-rank MB      memory per rank in MiB (default 0: none reserved)\n"
	      "  --bind-to B            core, socket or none (default none): ranks bound within\n"
	      "                         the cores the agent gave their task\n"
	      "  --timeout T            give up after T (wait + run), e.g. 90s, 10m; exit 124\n"
	      "  --restarts N           relaunch the whole gang up to N times after a failure\n"
	      "  --launcher L           openmpi or generic (default: openmpi if mpirun is found)\n"
	      "  --tag-output           prefix each output line with [rank]\n"
	      "  -x VAR[=value]         set VAR for the ranks (from this environment without =)\n"
	      "  --mca KEY VALUE        pass an MCA parameter to OpenMPI's mpirun\n"
	      "  --role R               the framework's role (default mpi)\n"
	      "  --name NAME            the framework's name (default mmpirun)\n"
	      "  --master ADDR          the master (default $MOSAIC_MASTER, else tcp://127.0.0.1:5050)\n"
	      "  --mpirun PATH          OpenMPI's mpirun (default: found in PATH)\n"
	      "  --hold T               longest a partial gang holds offers (default 10s)\n"
	      "  --backoff T            first wait after giving a partial gang back (default 1s)\n"
	      "  -v, --verbose          say what the gang is doing\n"
	      "  -h, --help             this help\n"
	      "\n"
	      "Exit status: the job's (the first failing rank's exit code, 128+N for signal N),\n"
	      "2 bad usage, 124 --timeout reached, 130 interrupted, 1 other failures.\n",
	      f);
}
