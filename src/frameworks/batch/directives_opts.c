/* directives_opts.c - the options sbatch users write, and what each value
 * means here. The table is the single list of what is honoured (README.md
 * shows it to users). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "directives_impl.h"
#include "errors.h"
#include "mem.h"
#include "slurm_time.h"

#define MAX_COUNT 65536u        /* cpus per task, tasks, cores, sockets */
#define MAX_MEM_MB (1ull << 40) /* a petabyte: past that it is a typo */
#define MAX_PATH 4096u

static const opt_def opts[] = {
    {"job-name", 'J', ARG_REQUIRED, OPT_JOB_NAME, false},
    {"cpus-per-task", 'c', ARG_REQUIRED, OPT_CPUS_PER_TASK, false},
    {"ntasks", 'n', ARG_REQUIRED, OPT_NTASKS, false},
    {"ntasks-per-node", 0, ARG_REQUIRED, OPT_NTASKS_PER_NODE, false},
    {"mem", 0, ARG_REQUIRED, OPT_MEM, false},
    {"mem-per-cpu", 0, ARG_REQUIRED, OPT_MEM_PER_CPU, false},
    {"time", 't', ARG_REQUIRED, OPT_TIME, false},
    {"output", 'o', ARG_REQUIRED, OPT_OUTPUT, false},
    {"error", 'e', ARG_REQUIRED, OPT_ERROR, false},
    {"array", 'a', ARG_REQUIRED, OPT_ARRAY, false},
    {"dependency", 'd', ARG_REQUIRED, OPT_DEPENDENCY, false},
    {"export", 0, ARG_REQUIRED, OPT_EXPORT, false},
    {"chdir", 'D', ARG_REQUIRED, OPT_CHDIR, false},
    {"workdir", 0, ARG_REQUIRED, OPT_CHDIR, false}, /* its name before Slurm 17.11 */
    {"priority", 0, ARG_REQUIRED, OPT_PRIORITY, false},
    {"requeue", 0, ARG_NONE, OPT_REQUEUE, false},
    {"no-requeue", 0, ARG_NONE, OPT_NO_REQUEUE, false},
    {"begin", 'b', ARG_REQUIRED, OPT_BEGIN, false},
    {"hold", 'H', ARG_NONE, OPT_HOLD, false},
    {"exclusive", 0, ARG_OPTIONAL, OPT_EXCLUSIVE, false},
    {"cores-per-socket", 0, ARG_REQUIRED, OPT_CORES_PER_SOCKET, false},
    {"sockets-per-node", 0, ARG_REQUIRED, OPT_SOCKETS_PER_NODE, false},
    {"cpu-bind", 0, ARG_REQUIRED, OPT_CPU_BIND, false},
    {"mem-bind", 0, ARG_REQUIRED, OPT_MEM_BIND, false},
    {"wrap", 0, ARG_REQUIRED, OPT_WRAP, true},
    {"parsable", 0, ARG_NONE, OPT_PARSABLE, false},
    {"wait", 'W', ARG_NONE, OPT_WAIT, true},
    {"nodes", 'N', ARG_REQUIRED, OPT_NODES, false},
    {"gres", 0, ARG_REQUIRED, OPT_GRES, false},
    {"gpus", 'G', ARG_REQUIRED, OPT_GPUS, false},
    {"partition", 'p', ARG_REQUIRED, OPT_IGNORED, false},
    {"account", 'A', ARG_REQUIRED, OPT_IGNORED, false},
    {"qos", 'q', ARG_REQUIRED, OPT_IGNORED, false},
    {"mail-type", 0, ARG_REQUIRED, OPT_IGNORED, false},
    {"mail-user", 0, ARG_REQUIRED, OPT_IGNORED, false},
    {"constraint", 'C', ARG_REQUIRED, OPT_IGNORED, false},
    {"reservation", 0, ARG_REQUIRED, OPT_IGNORED, false},
    {"comment", 0, ARG_REQUIRED, OPT_IGNORED, false},
};
#define NOPTS (sizeof(opts) / sizeof(opts[0]))

const opt_def *
directives_opt_long(const char *name, size_t len, bool *ambiguous)
{
	const opt_def *found = NULL;
	*ambiguous = false;
	if (len == 0)
		return NULL;
	for (size_t i = 0; i < NOPTS; i++) {
		if (strncmp(opts[i].name, name, len) != 0)
			continue;
		if (opts[i].name[len] == '\0')
			return &opts[i];
		/* Two names for one option (chdir/workdir) are not ambiguous. */
		if (found != NULL && found->id != opts[i].id)
			*ambiguous = true;
		found = &opts[i];
	}
	return *ambiguous ? NULL : found;
}

const opt_def *
directives_opt_short(char c)
{
	for (size_t i = 0; i < NOPTS; i++)
		if (c != 0 && opts[i].short_name == c)
			return &opts[i];
	return NULL;
}

static void
set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = xstrdup(v);
}

/* A whole number in [min, max], digits only. */
static bool
parse_u64(const char *v, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t n = 0;
	if (v == NULL || !isdigit((unsigned char)*v))
		return false;
	for (; *v; v++) {
		if (!isdigit((unsigned char)*v))
			return false;
		n = n * 10 + (uint64_t)(*v - '0');
		if (n > max)
			return false;
	}
	if (n < min)
		return false;
	*out = n;
	return true;
}

static int
set_count(directives_state *ds, const opt_where *w, const char *opt, const char *v, uint32_t *out)
{
	uint64_t n;
	if (!parse_u64(v, 1, MAX_COUNT, &n))
		return directives_fail(ds, w, MOSAIC_EINVAL,
		                       "bad --%s '%s': expected a whole number from 1 to %u", opt, v,
		                       MAX_COUNT);
	*out = (uint32_t)n;
	return MOSAIC_OK;
}

/* Slurm's sizes: a whole number, MiB unless suffixed K, M, G or T. */
static bool
parse_size_mb(const char *v, uint64_t *out)
{
	size_t n = strlen(v);
	uint64_t mult_kb = 1024; /* MiB */
	char digits[32];
	if (n == 0 || n >= sizeof(digits))
		return false;
	switch (toupper((unsigned char)v[n - 1])) {
	case 'K': mult_kb = 1, n--; break;
	case 'M': mult_kb = 1024, n--; break;
	case 'G': mult_kb = 1024 * 1024, n--; break;
	case 'T': mult_kb = 1024ull * 1024 * 1024, n--; break;
	default: break;
	}
	memcpy(digits, v, n);
	digits[n] = '\0';
	uint64_t num;
	if (!parse_u64(digits, 0, MAX_MEM_MB * 1024 / mult_kb, &num))
		return false;
	*out = (num * mult_kb + 1023) / 1024; /* K rounds up to whole MiB */
	return true;
}

static int
set_mem(directives_state *ds, const opt_where *w, opt_id id, const char *v)
{
	batch_job_spec *s = ds->spec;
	const char *name = id == OPT_MEM ? "mem" : "mem-per-cpu";
	opt_id other = id == OPT_MEM ? OPT_MEM_PER_CPU : OPT_MEM;
	uint64_t mb;
	if (!parse_size_mb(v, &mb))
		return directives_fail(ds, w, MOSAIC_EINVAL,
		                       "bad --%s '%s': expected a whole number with an optional K, M, G or T "
		                       "suffix (MiB by default)",
		                       name, v);
	if (mb == 0)
		return directives_fail(
		    ds, w, MOSAIC_ENOTSUP,
		    "--%s=0 (all of the node's memory) is not supported: give a size, e.g. --%s=4G", name,
		    name);
	if (ds->where[other].source == w->source)
		return directives_fail(ds, w, MOSAIC_EINVAL,
		                       "--mem and --mem-per-cpu are mutually exclusive");
	/* A later source (#MBATCH over #SBATCH, the command line over both)
	 * overrides an earlier one's choice of either form. */
	ds->where[other].source = SRC_NONE;
	s->mem_mb = id == OPT_MEM ? mb : 0;
	s->mem_per_cpu_mb = id == OPT_MEM ? 0 : mb;
	return MOSAIC_OK;
}

static int
set_path(directives_state *ds, const opt_where *w, const char *opt, const char *v, char **dst)
{
	if (*v == '\0' || strlen(v) >= MAX_PATH || strpbrk(v, "\n\r") != NULL)
		return directives_fail(ds, w, MOSAIC_EINVAL,
		                       "bad --%s '%s': expected a path (one line, under %u bytes)", opt, v,
		                       MAX_PATH);
	set_str(dst, v);
	return MOSAIC_OK;
}

static bool
valid_env_name(const char *s, size_t n)
{
	if (n == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_'))
			return false;
	return true;
}

static void
free_list(char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

static int
set_export(directives_state *ds, const opt_where *w, const char *v)
{
	batch_job_spec *s = ds->spec;
	bool all = false, none = false;
	char **vars = NULL;
	size_t n = 0;
	const char *p = v;
	for (;;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		const char *eq = memchr(p, '=', len);
		size_t name_len = eq ? (size_t)(eq - p) : len;
		if (!eq && len == 3 && strncasecmp(p, "ALL", 3) == 0) {
			all = true;
		} else if (!eq && len == 4 && strncasecmp(p, "NONE", 4) == 0) {
			none = true;
		} else if (valid_env_name(p, name_len)) {
			vars = xrealloc(vars, (n + 1) * sizeof(*vars));
			vars[n++] = xstrndup(p, len);
		} else {
			free_list(vars, n);
			return directives_fail(ds, w, MOSAIC_EINVAL,
			                       "bad --export '%s': expected ALL, NONE or a list of NAME or "
			                       "NAME=value (at '%.*s')",
			                       v, (int)len, p);
		}
		if (e == NULL)
			break;
		p = e + 1;
	}
	if (all && none) {
		free_list(vars, n);
		return directives_fail(ds, w, MOSAIC_EINVAL, "bad --export '%s': ALL and NONE together", v);
	}
	free_list(s->export_vars, s->nexport);
	s->export_vars = vars;
	s->nexport = n;
	s->export_mode = all ? BATCH_EXPORT_ALL : n > 0 ? BATCH_EXPORT_LIST : BATCH_EXPORT_NONE;
	return MOSAIC_OK;
}

/* --cpu-bind / --mem-bind: a comma list of one binding and the quiet or
 * verbose flags (which only change what Slurm prints). */
static int
set_bind(directives_state *ds, const opt_where *w, opt_id id, const char *v)
{
	static const struct {
		const char *word;
		int value;
	} cpu[] = {{"none", BATCH_CPU_BIND_NONE},
	           {"no", BATCH_CPU_BIND_NONE},
	           {"cores", BATCH_CPU_BIND_CORES},
	           {"sockets", BATCH_CPU_BIND_SOCKETS}},
	  mem[] = {
	      {"none", BATCH_MEM_BIND_NONE}, {"no", BATCH_MEM_BIND_NONE}, {"local", BATCH_MEM_BIND_LOCAL}};
	bool is_cpu = id == OPT_CPU_BIND;
	int value = -1;
	const char *p = v;
	for (;;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		bool known = false;
		size_t nwords = is_cpu ? sizeof(cpu) / sizeof(cpu[0]) : sizeof(mem) / sizeof(mem[0]);
		for (size_t i = 0; i < nwords; i++) {
			const char *word = is_cpu ? cpu[i].word : mem[i].word;
			if (strlen(word) == len && strncmp(p, word, len) == 0) {
				value = is_cpu ? cpu[i].value : mem[i].value;
				known = true;
			}
		}
		static const char *const flags[] = {"q", "quiet", "v", "verbose"};
		for (size_t i = 0; i < 4; i++)
			if (strlen(flags[i]) == len && strncmp(p, flags[i], len) == 0)
				known = true;
		if (!known)
			return directives_fail(
			    ds, w, MOSAIC_EINVAL, "bad --%s '%s': %s", is_cpu ? "cpu-bind" : "mem-bind", v,
			    is_cpu ? "Mosaic binds to cores, sockets or none (with quiet or verbose)"
			           : "Mosaic binds memory local or none (with quiet or verbose)");
		if (e == NULL)
			break;
		p = e + 1;
	}
	if (value >= 0) {
		if (is_cpu)
			ds->spec->cpu_bind = (batch_cpu_bind)value;
		else
			ds->spec->mem_bind = (batch_mem_bind)value;
	}
	return MOSAIC_OK;
}

/* --nodes=N or N-M: one agent satisfies a minimum of one. */
static int
set_nodes(directives_state *ds, const opt_where *w, const char *v)
{
	char lo[32];
	const char *dash = strchr(v, '-');
	size_t n = dash ? (size_t)(dash - v) : strlen(v);
	uint64_t min, max;
	if (n >= sizeof(lo))
		n = sizeof(lo) - 1;
	memcpy(lo, v, n);
	lo[n] = '\0';
	if (!parse_u64(lo, 1, MAX_COUNT, &min) ||
	    (dash && (!parse_u64(dash + 1, 1, MAX_COUNT, &max) || max < min)))
		return directives_fail(ds, w, MOSAIC_EINVAL, "bad --nodes '%s': expected a count or min-max",
		                       v);
	if (min > 1)
		return directives_fail(
		    ds, w, MOSAIC_ENOTSUP,
		    "--nodes=%s: a batch job runs on one agent here; for multi-node work use mmpirun", v);
	return MOSAIC_OK;
}

/* GPUs from "--gres=gpu[:type][:count][,...]" or "--gpus=[type:]count". */
static int
set_gpus(directives_state *ds, const opt_where *w, opt_id id, const char *v)
{
	const char *opt = id == OPT_GRES ? "gres" : "gpus";
	char item[256];
	const char *p = v;
	uint64_t count = 0;
	for (;;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len >= sizeof(item))
			len = sizeof(item) - 1;
		memcpy(item, p, len);
		item[len] = '\0';
		char *f[3] = {item, NULL, NULL};
		int nf = 1;
		for (char *c = item; *c && nf < 3; c++)
			if (*c == ':') {
				*c = '\0';
				f[nf++] = c + 1;
			}
		const char *type = NULL, *num = NULL;
		if (id == OPT_GRES) {
			if (strcmp(v, "none") == 0) {
				ds->spec->gpus = 0;
				return MOSAIC_OK;
			}
			if (strcmp(f[0], "gpu") != 0)
				return directives_fail(
				    ds, w, MOSAIC_EINVAL,
				    "unsupported --gres '%s': only gpu[:type][:count] is known here", v);
			if (nf == 3)
				type = f[1], num = f[2];
			else if (nf == 2 && isdigit((unsigned char)f[1][0]))
				num = f[1];
			else if (nf == 2)
				type = f[1];
		} else {
			if (nf == 2)
				type = f[0], num = f[1];
			else if (nf == 1)
				num = f[0];
		}
		uint64_t c = 1;
		bool bad = (num == NULL && id == OPT_GPUS) ||
		           (num != NULL && !parse_u64(num, 0, MAX_COUNT, &c)) || (id == OPT_GPUS && nf > 2);
		if (bad)
			return directives_fail(ds, w, MOSAIC_EINVAL, "bad --%s '%s': expected %s", opt, v,
			                       id == OPT_GRES ? "gpu[:type][:count]" : "[type:]count");
		if (type != NULL)
			directives_warn(ds, w, "--%s: GPU type '%s' is not matched here; any GPU will do",
			                opt, type);
		count += c;
		if (e == NULL)
			break;
		p = e + 1;
	}
	ds->spec->gpus = (uint32_t)(count > MAX_COUNT ? MAX_COUNT : count);
	return MOSAIC_OK;
}

int
directives_opt_apply(directives_state *ds, const opt_def *def, const char *value, const opt_where *w)
{
	batch_job_spec *s = ds->spec;
	char err[256];
	int rv = MOSAIC_OK;
	if (def->cli_only && w->source != SRC_CLI)
		return directives_fail(
		    ds, w, MOSAIC_EINVAL,
		    "option '--%s' is only accepted on the command line, not in a %s directive", def->name,
		    w->prefix);
	switch (def->id) {
	case OPT_JOB_NAME:
		if (*value == '\0' || strlen(value) > 255 || strpbrk(value, "\n\r\t") != NULL)
			return directives_fail(
			    ds, w, MOSAIC_EINVAL,
			    "bad --job-name '%s': expected 1 to 255 characters on one line", value);
		set_str(&s->job_name, value);
		break;
	case OPT_CPUS_PER_TASK: rv = set_count(ds, w, def->name, value, &s->cpus_per_task); break;
	case OPT_NTASKS: rv = set_count(ds, w, def->name, value, &s->ntasks); break;
	case OPT_NTASKS_PER_NODE: rv = set_count(ds, w, def->name, value, &ds->ntasks_per_node); break;
	case OPT_CORES_PER_SOCKET: rv = set_count(ds, w, def->name, value, &s->cores_per_socket); break;
	case OPT_SOCKETS_PER_NODE: rv = set_count(ds, w, def->name, value, &s->sockets_per_node); break;
	case OPT_MEM:
	case OPT_MEM_PER_CPU: rv = set_mem(ds, w, def->id, value); break;
	case OPT_TIME:
		if (slurm_time_parse(value, &s->time_limit) != MOSAIC_OK)
			return directives_fail(ds, w, MOSAIC_EINVAL, "bad --time '%s': %s", value,
			                       SLURM_TIME_SYNTAX);
		s->time_given = true;
		break;
	case OPT_OUTPUT: rv = set_path(ds, w, def->name, value, &s->output); break;
	case OPT_ERROR: rv = set_path(ds, w, def->name, value, &s->error); break;
	case OPT_CHDIR: rv = set_path(ds, w, "chdir", value, &s->chdir); break;
	case OPT_ARRAY: {
		arrayspec a;
		if (arrayspec_parse(&a, value, 0, err, sizeof(err)) != MOSAIC_OK)
			return directives_fail(ds, w, MOSAIC_EINVAL, "bad --array '%s': %s", value, err);
		arrayspec_fini(&s->array);
		s->array = a;
		s->has_array = true;
		break;
	}
	case OPT_DEPENDENCY: {
		depspec d;
		if (depspec_parse(&d, value, err, sizeof(err)) != MOSAIC_OK)
			return directives_fail(ds, w, MOSAIC_EINVAL, "bad --dependency '%s': %s", value, err);
		depspec_fini(&s->dependency);
		s->dependency = d;
		break;
	}
	case OPT_EXPORT: rv = set_export(ds, w, value); break;
	case OPT_PRIORITY: {
		uint64_t n;
		if (!parse_u64(value, 0, UINT32_MAX - 1, &n))
			return directives_fail(ds, w, MOSAIC_EINVAL,
			                       "bad --priority '%s': expected a whole number", value);
		s->priority = (uint32_t)n;
		s->priority_given = true;
		break;
	}
	case OPT_REQUEUE: s->requeue = 1; break;
	case OPT_NO_REQUEUE: s->requeue = 0; break;
	case OPT_BEGIN:
		if (slurm_time_parse_begin(value, ds->now, &s->begin, err, sizeof(err)) != MOSAIC_OK)
			return directives_fail(ds, w, MOSAIC_EINVAL, "bad --begin '%s': %s", value, err);
		break;
	case OPT_HOLD: s->hold = true; break;
	case OPT_EXCLUSIVE:
		if (value != NULL && strcmp(value, "user") != 0 && strcmp(value, "mcs") != 0 &&
		    strcmp(value, "topo") != 0)
			return directives_fail(ds, w, MOSAIC_EINVAL,
			                       "bad --exclusive '%s': expected no value, user, mcs or topo",
			                       value);
		if (value != NULL)
			directives_warn(
			    ds, w, "--exclusive=%s is taken as --exclusive: the job gets the whole agent",
			    value);
		s->exclusive = true;
		break;
	case OPT_CPU_BIND:
	case OPT_MEM_BIND: rv = set_bind(ds, w, def->id, value); break;
	case OPT_WRAP:
		if (*value == '\0')
			return directives_fail(ds, w, MOSAIC_EINVAL, "--wrap needs a command");
		set_str(&s->wrap, value);
		break;
	case OPT_PARSABLE: s->parsable = true; break;
	case OPT_WAIT: s->wait = true; break;
	case OPT_NODES: rv = set_nodes(ds, w, value); break;
	case OPT_GRES:
	case OPT_GPUS: rv = set_gpus(ds, w, def->id, value); break;
	case OPT_IGNORED:
		directives_warn(ds, w, "--%s is a Slurm option with no meaning on Mosaic: ignored",
		                def->name);
		break;
	case OPT_COUNT: break;
	}
	if (rv == MOSAIC_OK)
		ds->where[def->id] = *w;
	return rv;
}
