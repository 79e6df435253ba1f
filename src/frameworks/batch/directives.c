/* directives.c - reading a job script's #SBATCH/#MBATCH lines and the
 * command line into a batch_job_spec (the options themselves are in
 * directives_opts.c). */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "directives_impl.h"
#include "errors.h"
#include "mem.h"
#include "outpattern.h"
#include "slurm_time.h"
#include "strbuf.h"

static const char *const prefixes[] = {"#SBATCH", "#MBATCH"};

void
directives_spec_init(batch_job_spec *s)
{
	memset(s, 0, sizeof(*s));
	s->cpus_per_task = 1;
	s->ntasks = 1;
	s->time_limit = SLURM_TIME_UNLIMITED;
	s->requeue = -1;
	s->export_mode = BATCH_EXPORT_ALL;
}

static void
free_list(char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

void
directives_spec_fini(batch_job_spec *s)
{
	free(s->job_name);
	free(s->output);
	free(s->error);
	free(s->chdir);
	free(s->wrap);
	arrayspec_fini(&s->array);
	depspec_fini(&s->dependency);
	free_list(s->export_vars, s->nexport);
	free_list(s->warnings, s->nwarnings);
	directives_spec_init(s);
}

/* "job.sh:4: ", "job.sh: " (line 0: the whole script) or "command line: ". */
static void
put_where(strbuf *sb, const opt_where *w)
{
	if (w->source == SRC_CLI)
		strbuf_puts(sb, "command line: ");
	else if (w->source != SRC_NONE && w->line > 0)
		strbuf_printf(sb, "%s:%u: ", w->file, w->line);
	else if (w->source != SRC_NONE)
		strbuf_printf(sb, "%s: ", w->file);
}

int
directives_fail(directives_state *ds, const opt_where *w, int code, const char *fmt, ...)
{
	if (ds->err == NULL || ds->errlen == 0)
		return code;
	strbuf sb;
	strbuf_init(&sb);
	put_where(&sb, w);
	va_list ap;
	va_start(ap, fmt);
	strbuf_vprintf(&sb, fmt, ap);
	va_end(ap);
	snprintf(ds->err, ds->errlen, "%s", sb.buf);
	strbuf_fini(&sb);
	return code;
}

void
directives_warn(directives_state *ds, const opt_where *w, const char *fmt, ...)
{
	batch_job_spec *s = ds->spec;
	strbuf sb;
	strbuf_init(&sb);
	put_where(&sb, w);
	va_list ap;
	va_start(ap, fmt);
	strbuf_vprintf(&sb, fmt, ap);
	va_end(ap);
	s->warnings = xrealloc(s->warnings, (s->nwarnings + 1) * sizeof(*s->warnings));
	s->warnings[s->nwarnings++] = strbuf_take(&sb);
}

/* walk reads the options in tok[0..n). With apply false it only
 * recognises them (to find where a command line's options end). A word
 * that is not an option is an error in a directive and, on the command
 * line, ends the options: *stop receives its index (n if none). */
static int
walk(directives_state *ds, char *const tok[], int n, const opt_where *w, bool apply, int *stop)
{
	bool cli = w->source == SRC_CLI;
	const char *in = cli ? "" : " in ", *where = cli ? "" : w->prefix, *dir = cli ? "" : " directive";
	int i = 0;
	*stop = n;
	while (i < n) {
		const char *t = tok[i];
		if (t[0] != '-' || t[1] == '\0' || (cli && strcmp(t, "--") == 0)) {
			if (cli) {
				*stop = i;
				return MOSAIC_OK;
			}
			return directives_fail(ds, w, MOSAIC_EINVAL,
			                       "unexpected '%s' in %s directive (options start with '-')", t,
			                       w->prefix);
		}
		if (t[1] == '-') {
			const char *name = t + 2, *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);
			bool ambiguous;
			const opt_def *def = directives_opt_long(name, len, &ambiguous);
			if (def == NULL)
				return directives_fail(ds, w, MOSAIC_EINVAL, "%s option '--%.*s'%s%s%s",
				                       ambiguous ? "ambiguous" : "unsupported", (int)len,
				                       name, in, where, dir);
			const char *value = NULL;
			if (eq != NULL) {
				if (def->arg == ARG_NONE)
					return directives_fail(ds, w, MOSAIC_EINVAL,
					                       "option '--%s' takes no value", def->name);
				value = eq + 1;
			} else if (def->arg == ARG_REQUIRED) {
				if (i + 1 >= n)
					return directives_fail(ds, w, MOSAIC_EINVAL,
					                       "option '--%s' needs a value", def->name);
				value = tok[++i];
			}
			if (apply) {
				int rv = directives_opt_apply(ds, def, value, w);
				if (rv != MOSAIC_OK)
					return rv;
			}
			i++;
			continue;
		}
		/* Short options, clustered as getopt allows: "-Hc4", "-J name". */
		for (const char *c = t + 1; *c; c++) {
			const opt_def *def = directives_opt_short(*c);
			if (def == NULL)
				return directives_fail(ds, w, MOSAIC_EINVAL, "unsupported option '-%c'%s%s%s",
				                       *c, in, where, dir);
			const char *value = NULL;
			bool last = def->arg != ARG_NONE;
			if (def->arg != ARG_NONE) {
				if (c[1] != '\0')
					value = c + 1;
				else if (i + 1 < n)
					value = tok[++i];
				else
					return directives_fail(ds, w, MOSAIC_EINVAL,
					                       "option '-%c' (--%s) needs a value", *c,
					                       def->name);
			}
			if (apply) {
				int rv = directives_opt_apply(ds, def, value, w);
				if (rv != MOSAIC_OK)
					return rv;
			}
			if (last)
				break;
		}
		i++;
	}
	return MOSAIC_OK;
}

int
directives_args_end(int argc, char *const argv[], int *nopts, int *script, char *err, size_t errlen)
{
	/* Only recognising options: no spec is touched. */
	directives_state ds = {.err = err, .errlen = errlen};
	opt_where w = {.source = SRC_CLI};
	int stop;
	int rv = walk(&ds, argv, argc, &w, false, &stop);
	if (rv != MOSAIC_OK)
		return rv;
	*nopts = stop;
	*script = stop < argc && strcmp(argv[stop], "--") == 0 ? stop + 1 : stop;
	return MOSAIC_OK;
}

/* split_words cuts a directive's text into words: blanks separate, quotes
 * group (and are removed), a word starting with '#' starts a comment. */
static int
split_words(directives_state *ds, const opt_where *w, const char *s, size_t n, char ***words, int *nwords)
{
	size_t i = 0;
	*words = NULL;
	*nwords = 0;
	strbuf sb;
	strbuf_init(&sb);
	for (;;) {
		while (i < n && isspace((unsigned char)s[i]))
			i++;
		if (i == n || s[i] == '#')
			break;
		char quote = 0;
		strbuf_clear(&sb);
		for (; i < n; i++) {
			char c = s[i];
			if (quote) {
				if (c == quote)
					quote = 0;
				else
					strbuf_append(&sb, &c, 1);
			} else if (isspace((unsigned char)c)) {
				break;
			} else if (c == '"' || c == '\'') {
				quote = c;
			} else {
				strbuf_append(&sb, &c, 1);
			}
		}
		if (quote) {
			strbuf_fini(&sb);
			free_list(*words, (size_t)*nwords);
			*words = NULL;
			*nwords = 0;
			return directives_fail(ds, w, MOSAIC_EINVAL, "unterminated %s quote in %s directive",
			                       quote == '"' ? "double" : "single", w->prefix);
		}
		*words = xrealloc(*words, (size_t)(*nwords + 1) * sizeof(**words));
		(*words)[(*nwords)++] = xstrdup(sb.buf);
	}
	strbuf_fini(&sb);
	return MOSAIC_OK;
}

/* The directive prefix that starts line s, if any: "#SBATCH" followed by a
 * blank or the end of the line. */
static const char *
directive_prefix(const char *s, size_t n)
{
	for (size_t k = 0; k < sizeof(prefixes) / sizeof(prefixes[0]); k++) {
		size_t pl = strlen(prefixes[k]);
		if (n >= pl && memcmp(s, prefixes[k], pl) == 0 && (n == pl || isspace((unsigned char)s[pl])))
			return prefixes[k];
	}
	return NULL;
}

/* A directive line, found before it is applied. */
typedef struct directive_line {
	unsigned line;
	opt_source source;
	const char *text; /* after the prefix */
	size_t len;
} directive_line;

/* find_directives checks the script as a whole and lists its directive
 * lines (those before the first command). The caller frees *lines. */
static int
find_directives(directives_state *ds, const char *file, const char *text, size_t len, directive_line **lines,
                size_t *nlines)
{
	opt_where w = {.source = SRC_SBATCH, .file = file, .line = 1};
	*lines = NULL;
	*nlines = 0;
	if (len > DIRECTIVES_MAX_SCRIPT)
		return directives_fail(ds, &(opt_where){.source = SRC_SBATCH, .file = file}, MOSAIC_ETOOBIG,
		                       "the script is %zu bytes, over the limit of %u MiB", len,
		                       DIRECTIVES_MAX_SCRIPT >> 20);
	if (len < 2 || text[0] != '#' || text[1] != '!')
		return directives_fail(ds, &w, MOSAIC_EINVAL,
		                       "the script must start with '#!' and an interpreter, as sbatch "
		                       "requires (e.g. #!/bin/bash)");
	bool reading = true, warned = false;
	unsigned first_command = 0;
	size_t pos = 0;
	for (unsigned line = 1; pos < len; line++) {
		const char *s = text + pos;
		const char *nl = memchr(s, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - s) : len - pos;
		pos += n + (nl != NULL);
		w.line = line;
		if (memchr(s, '\0', n) != NULL)
			return directives_fail(ds, &w, MOSAIC_EINVAL, "the script contains a NUL byte");
		if (n > 0 && s[n - 1] == '\r')
			return directives_fail(
			    ds, &w, MOSAIC_EINVAL,
			    "the script has DOS line breaks (\\r\\n); convert it with dos2unix");
		if (line == 1)
			continue;
		const char *prefix = directive_prefix(s, n);
		if (prefix == NULL) {
			size_t i = 0;
			while (i < n && isspace((unsigned char)s[i]))
				i++;
			if (reading && i < n && s[i] != '#') {
				reading = false;
				first_command = line;
			}
			continue;
		}
		w.prefix = prefix;
		if (!reading) {
			if (!warned)
				directives_warn(
				    ds, &w,
				    "%s lines after the first command (line %u) are ignored, as sbatch does",
				    prefix, first_command);
			warned = true;
			continue;
		}
		if (n > DIRECTIVES_MAX_LINE)
			return directives_fail(ds, &w, MOSAIC_ETOOBIG,
			                       "%s line is %zu bytes, over the limit of %u", prefix, n,
			                       DIRECTIVES_MAX_LINE);
		*lines = xrealloc(*lines, (*nlines + 1) * sizeof(**lines));
		size_t pl = strlen(prefix);
		(*lines)[(*nlines)++] =
		    (directive_line){line, prefix == prefixes[0] ? SRC_SBATCH : SRC_MBATCH, s + pl, n - pl};
	}
	return MOSAIC_OK;
}

/* scan_script applies the #SBATCH lines, then the #MBATCH lines, so that
 * a script written for both systems gets Mosaic's settings here. */
static int
scan_script(directives_state *ds, const char *file, const char *text, size_t len)
{
	directive_line *lines;
	size_t nlines;
	int rv = find_directives(ds, file, text, len, &lines, &nlines);
	for (opt_source src = SRC_SBATCH; rv == MOSAIC_OK && src <= SRC_MBATCH; src++) {
		for (size_t i = 0; rv == MOSAIC_OK && i < nlines; i++) {
			if (lines[i].source != src)
				continue;
			opt_where w = {.source = src,
			               .file = file,
			               .line = lines[i].line,
			               .prefix = prefixes[src == SRC_SBATCH ? 0 : 1]};
			char **words;
			int nwords, stop;
			rv = split_words(ds, &w, lines[i].text, lines[i].len, &words, &nwords);
			if (rv == MOSAIC_OK)
				rv = walk(ds, words, nwords, &w, true, &stop);
			free_list(words, (size_t)nwords);
		}
	}
	free(lines);
	return rv;
}

/* Of two options, the one given last (by precedence, then line). */
static opt_id
later_id(const directives_state *ds, opt_id a, opt_id b)
{
	const opt_where *x = &ds->where[a], *y = &ds->where[b];
	if (x->source != y->source)
		return x->source > y->source ? a : b;
	return x->line >= y->line ? a : b;
}

static const opt_where *
later(const directives_state *ds, opt_id a, opt_id b)
{
	return &ds->where[later_id(ds, a, b)];
}

/* Defaults and checks that involve several options. */
static int
finish(directives_state *ds, const char *script_name, bool have_script)
{
	batch_job_spec *s = ds->spec;
	opt_where cli = {.source = SRC_CLI};
	if (s->wrap != NULL && have_script)
		return directives_fail(ds, &cli, MOSAIC_EINVAL, "--wrap cannot be used with a script file");
	if (s->wrap == NULL && !have_script)
		return directives_fail(ds, &cli, MOSAIC_EINVAL, "no script given (and no --wrap command)");
	if (ds->ntasks_per_node > 0) {
		if (ds->where[OPT_NTASKS].source == SRC_NONE)
			s->ntasks = ds->ntasks_per_node;
		else if (s->ntasks > ds->ntasks_per_node)
			return directives_fail(ds, later(ds, OPT_NTASKS, OPT_NTASKS_PER_NODE), MOSAIC_ENOTSUP,
			                       "--ntasks=%u with --ntasks-per-node=%u needs more than one "
			                       "node; a batch job runs on one "
			                       "agent here",
			                       s->ntasks, ds->ntasks_per_node);
	}
	uint64_t cpus = (uint64_t)s->ntasks * s->cpus_per_task;
	if (cpus > 65536)
		return directives_fail(
		    ds, later(ds, later_id(ds, OPT_NTASKS, OPT_NTASKS_PER_NODE), OPT_CPUS_PER_TASK),
		    MOSAIC_EINVAL, "--ntasks=%u x --cpus-per-task=%u is %llu cpus, more than any agent has",
		    s->ntasks, s->cpus_per_task, (unsigned long long)cpus);
	if (s->job_name == NULL) {
		const char *base = script_name ? strrchr(script_name, '/') : NULL;
		base = base ? base + 1 : script_name;
		s->job_name = xstrdup(s->wrap ? "wrap" : (base && *base) ? base : "sbatch");
	}
	if (s->output == NULL)
		s->output = xstrdup(outpattern_default(s->has_array));
	return MOSAIC_OK;
}

int
directives_parse(batch_job_spec *out, const char *script_name, const char *script, size_t len, int argc,
                 char *const argv[], int64_t now, char *err, size_t errlen)
{
	directives_spec_init(out);
	directives_state ds = {.spec = out, .now = now, .err = err, .errlen = errlen};
	const char *name = script_name ? script_name : "script";
	int rv = MOSAIC_OK, stop;
	if (script != NULL)
		rv = scan_script(&ds, name, script, len);
	if (rv == MOSAIC_OK) {
		opt_where cli = {.source = SRC_CLI};
		rv = walk(&ds, argv, argc, &cli, true, &stop);
		if (rv == MOSAIC_OK && stop < argc)
			rv = directives_fail(&ds, &cli, MOSAIC_EINVAL, "unexpected '%s' among the options",
			                     argv[stop]);
	}
	if (rv == MOSAIC_OK)
		rv = finish(&ds, script_name, script != NULL);
	if (rv != MOSAIC_OK)
		directives_spec_fini(out);
	return rv;
}

char *
directives_wrap_script(const char *cmd)
{
	return xasprintf("#!/bin/sh\n# This script was created by mbatch --wrap.\n\n%s\n", cmd);
}

uint32_t
directives_spec_cpus(const batch_job_spec *s)
{
	uint64_t cpus = (uint64_t)s->ntasks * s->cpus_per_task;
	uint64_t layout = (uint64_t)s->sockets_per_node * s->cores_per_socket;
	if (layout > cpus)
		cpus = layout;
	return cpus > UINT32_MAX ? UINT32_MAX : (uint32_t)cpus;
}

uint64_t
directives_spec_mem_mb(const batch_job_spec *s, uint64_t default_per_cpu_mb)
{
	if (s->mem_mb > 0)
		return s->mem_mb;
	uint64_t per = s->mem_per_cpu_mb > 0 ? s->mem_per_cpu_mb : default_per_cpu_mb;
	return per * directives_spec_cpus(s);
}

/* Environment */

static bool
always_passed(const char *entry)
{
	return strncmp(entry, "SLURM_", 6) == 0 || strncmp(entry, "MBATCH_", 7) == 0;
}

/* The index in env[0..n) of the entry for name (len bytes), or -1. */
static long
env_find(char **env, size_t n, const char *name, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strncmp(env[i], name, len) == 0 && env[i][len] == '=')
			return (long)i;
	return -1;
}

static long
envp_find(char *const envp[], const char *name, size_t len)
{
	for (size_t i = 0; envp != NULL && envp[i] != NULL; i++)
		if (strncmp(envp[i], name, len) == 0 && envp[i][len] == '=')
			return (long)i;
	return -1;
}

char **
directives_export_env(const batch_job_spec *s, char *const envp[], size_t *count)
{
	size_t n = 0, cap = 16;
	char **env = xmalloc(cap * sizeof(*env));
	for (size_t i = 0; envp != NULL && envp[i] != NULL; i++) {
		if (s->export_mode != BATCH_EXPORT_ALL && !always_passed(envp[i]))
			continue;
		if (n + 1 >= cap)
			env = xrealloc(env, (cap *= 2) * sizeof(*env));
		env[n++] = xstrdup(envp[i]);
	}
	for (size_t k = 0; k < s->nexport; k++) {
		const char *v = s->export_vars[k], *eq = strchr(v, '=');
		size_t len = eq ? (size_t)(eq - v) : strlen(v);
		long at = env_find(env, n, v, len);
		char *entry = NULL;
		if (eq != NULL) {
			/* With ALL the submitter's own value wins, as in Slurm. */
			if (s->export_mode == BATCH_EXPORT_ALL && at >= 0)
				continue;
			entry = xstrdup(v);
		} else {
			long e = envp_find(envp, v, len);
			if (e < 0 || at >= 0)
				continue;
			entry = xstrdup(envp[e]);
		}
		if (at >= 0) {
			free(env[at]);
			env[at] = entry;
			continue;
		}
		if (n + 1 >= cap)
			env = xrealloc(env, (cap *= 2) * sizeof(*env));
		env[n++] = entry;
	}
	env[n] = NULL;
	if (count != NULL)
		*count = n;
	return env;
}
