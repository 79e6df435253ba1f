/* loadfw - a real framework (on libmosaic-sched) that keeps as much of the
 * cluster busy as its offers allow, for the fairness tests:
 *   loadfw --name N --role R --cpus C --mem M --task-seconds S --run-seconds T [--max-tasks K]
 * Each offer is filled with as many tasks of C cpus / M MiB (each sleeping
 * 0.5-1.5 x S seconds)
 * as fit, never more than K running at once when --max-tasks is given (a
 * framework that keeps a fixed part of the cluster busy, wherever its
 * offers come from). After T seconds it tears down and prints
 *   launched=L finished=F failed=X
 * and exits 0 (1 if any task failed or it never subscribed). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mosaic/sched.h>

typedef struct load {
	double cpus, mem, task_seconds;
	unsigned rng;
	unsigned long seq, launched, finished, failed;
	unsigned long max_tasks; /* 0: no limit */
	int subscribed;
} load;

static void
on_subscribed(mosaic_sched *s, void *arg, const char *id)
{
	((load *)arg)->subscribed = 1;
}

static void
on_offers(mosaic_sched *s, void *arg, const mosaic_sched_offer *offers, size_t n)
{
	load *l = arg;
	for (size_t i = 0; i < n; i++) {
		const mosaic_sched_offer *o = &offers[i];
		size_t fit = (size_t)(o->resources.cpus / l->cpus + 1e-9);
		size_t by_mem = (size_t)(o->resources.mem / l->mem + 1e-9);
		if (by_mem < fit)
			fit = by_mem;
		unsigned long running = l->launched - l->finished - l->failed;
		if (l->max_tasks && fit > l->max_tasks - running)
			fit = running < l->max_tasks ? l->max_tasks - running : 0;
		if (fit == 0) {
			/* At the limit: not offered again until a task ends (revive). */
			mosaic_sched_decline(s, &o->id, 1, l->max_tasks && running >= l->max_tasks ? 60 : 0);
			continue;
		}
		mosaic_sched_task *tasks = calloc(fit, sizeof(*tasks));
		char(*ids)[MOSAIC_SCHED_ID_MAX] = calloc(fit, MOSAIC_SCHED_ID_MAX);
		for (size_t k = 0; k < fit; k++) {
			snprintf(ids[k], MOSAIC_SCHED_ID_MAX, "t%lu", ++l->seq);
			tasks[k].id = ids[k];
			tasks[k].agent_id = o->agent_id;
			tasks[k].resources.cpus = l->cpus;
			tasks[k].resources.mem = l->mem;
			/* Durations spread over [0.5, 1.5) x S, so tasks of one
			 * offer do not all end at once. */
			char *sh = malloc(64);
			l->rng = l->rng * 1103515245u + 12345u;
			snprintf(sh, 64, "sleep %.2f", l->task_seconds * (0.5 + (l->rng >> 16) % 1000 / 1000.0));
			tasks[k].shell = sh;
		}
		int rv = mosaic_sched_launch(s, &o->id, 1, tasks, fit, 0);
		for (size_t k = 0; k < fit; k++)
			free((char *)tasks[k].shell);
		if (rv == 0)
			l->launched += fit;
		else
			fprintf(stderr, "loadfw: launch: %s\n", mosaic_sched_last_error(s));
		free(tasks);
		free(ids);
	}
}

static void
on_status(mosaic_sched *s, void *arg, const mosaic_sched_status *st)
{
	load *l = arg;
	if (l->max_tasks && mosaic_sched_task_state_terminal(st->state))
		mosaic_sched_revive(s);
	if (st->state == MOSAIC_SCHED_TASK_FINISHED)
		l->finished++;
	else if (mosaic_sched_task_state_terminal(st->state)) {
		l->failed++;
		fprintf(stderr, "loadfw: task %s %s: %s\n", st->task_id, mosaic_sched_task_state_name(st->state),
		    st->message);
	}
}

static void
on_done(mosaic_sched *s, void *arg)
{
	mosaic_sched_stop(s);
}

int
main(int argc, char **argv)
{
	load l = {.cpus = 1, .mem = 64, .task_seconds = 1};
	const char *name = "loadfw", *role = "*";
	double run_seconds = 10;
	static const struct option opts[] = {{"name", 1, 0, 'n'}, {"role", 1, 0, 'r'}, {"cpus", 1, 0, 'c'},
		{"mem", 1, 0, 'm'}, {"task-seconds", 1, 0, 's'}, {"run-seconds", 1, 0, 't'},
		{"max-tasks", 1, 0, 'k'}, {0, 0, 0, 0}};
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n': name = optarg; break;
		case 'r': role = optarg; break;
		case 'c': l.cpus = atof(optarg); break;
		case 'm': l.mem = atof(optarg); break;
		case 's': l.task_seconds = atof(optarg); break;
		case 't': run_seconds = atof(optarg); break;
		case 'k': l.max_tasks = strtoul(optarg, NULL, 10); break;
		default: fprintf(stderr, "usage: loadfw --name N --role R --cpus C --mem M --task-seconds S --run-seconds T [--max-tasks K]\n"); return 2;
		}
	}
	l.rng = (unsigned)getpid();
	mosaic_sched_callbacks cb = {.subscribed = on_subscribed, .offers = on_offers, .status = on_status};
	mosaic_sched_config cfg = {.framework = {.name = name, .role = role}, .callbacks = &cb, .arg = &l};
	char err[256];
	mosaic_sched *s;
	if (mosaic_sched_new(&s, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "loadfw: %s\n", err);
		return 1;
	}
	mosaic_sched_timer_add(s, run_seconds, on_done, NULL);
	mosaic_sched_run(s);
	mosaic_sched_teardown(s);
	mosaic_sched_free(s);
	printf("launched=%lu finished=%lu failed=%lu\n", l.launched, l.finished, l.failed);
	return (!l.subscribed || l.failed) ? 1 : 0;
}
