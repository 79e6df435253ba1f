/* mrfiles.c - `mapred ls`, `mapred cat` and `mapred rm`: the stored files
 * as the catalog records them and as the agents still hold them.
 *
 * Whether a replica can be read is asked of its agent's file server, not
 * of the master (a framework's view of the cluster is its offers): an
 * agent that does not answer makes its replicas unavailable, and a file
 * stays readable while each block has one replica whose agent answers. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blocksum.h"
#include "errors.h"
#include "httpc.h"
#include "json.h"
#include "mem.h"
#include "mrfiles_impl.h"
#include "mrput.h"

#define PROBE_TIMEOUT 1.0

/* ---- agents: asked once each ---- */

void
mrfiles_probe(agent_probe *ap, const catalog_file *files, size_t nfiles)
{
	for (size_t f = 0; f < nfiles; f++)
		for (size_t b = 0; b < files[f].nblocks; b++)
			for (size_t r = 0; r < files[f].blocks[b].nreplicas; r++) {
				const char *http = files[f].blocks[b].replicas[r].agent_http;
				bool known = false;
				for (size_t i = 0; i < ap->n && !known; i++)
					known = strcmp(ap->http[i], http) == 0;
				if (known)
					continue;
				ap->http = xrealloc(ap->http, (ap->n + 1) * sizeof(char *));
				ap->up = xrealloc(ap->up, (ap->n + 1) * sizeof(bool));
				ap->http[ap->n] = xstrdup(http);
				ap->up[ap->n++] = mrclient_agent_up(http, PROBE_TIMEOUT);
			}
}

bool
mrfiles_up(const agent_probe *ap, const char *http)
{
	for (size_t i = 0; i < ap->n; i++)
		if (strcmp(ap->http[i], http) == 0)
			return ap->up[i];
	return false;
}

void
mrfiles_probe_fini(agent_probe *ap)
{
	for (size_t i = 0; i < ap->n; i++)
		free(ap->http[i]);
	free(ap->http);
	free(ap->up);
}

/* Files named, or all; *n of them loaded. -1 after a message if one is unknown. */
static int
load(catalog *cat, char **names, size_t nnames, catalog_file **out, size_t *n, const char *cmd)
{
	char **all = NULL;
	size_t nall = 0;
	if (nnames == 0) {
		if (catalog_file_names(cat, &all, &nall) != 0) {
			fprintf(stderr, "mapred %s: catalog: %s\n", cmd, catalog_errmsg(cat));
			return -1;
		}
		names = all;
		nnames = nall;
	}
	*out = xcalloc(nnames ? nnames : 1, sizeof(catalog_file));
	*n = 0;
	int rv = 0;
	for (size_t i = 0; i < nnames && !rv; i++) {
		int e = catalog_file_get(cat, names[i], &(*out)[*n]);
		if (e == MOSAIC_ENOENT) {
			fprintf(stderr, "mapred %s: no stored file '%s' (see mapred ls)\n", cmd, names[i]);
			rv = -1;
		} else if (e) {
			fprintf(stderr, "mapred %s: catalog: %s\n", cmd, catalog_errmsg(cat));
			rv = -1;
		} else {
			(*n)++;
		}
	}
	catalog_names_free(all, nall);
	return rv;
}

static void
free_files(catalog_file *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		catalog_file_fini(&f[i]);
	free(f);
}

/* The fewest live replicas of any block (the file's availability). */
static size_t
min_live(const catalog_file *f, const agent_probe *ap)
{
	size_t least = SIZE_MAX;
	for (size_t b = 0; b < f->nblocks; b++) {
		size_t live = 0;
		for (size_t r = 0; r < f->blocks[b].nreplicas; r++)
			live += mrfiles_up(ap, f->blocks[b].replicas[r].agent_http);
		if (live < least)
			least = live;
	}
	return f->nblocks ? least : f->replication;
}

static const char *
status_of(const catalog_file *f, size_t live)
{
	return live == 0 ? "UNAVAILABLE" : live < f->replication ? "degraded" : "ok";
}

static void
ls_json(const catalog_file *files, size_t n, const agent_probe *ap)
{
	json_writer w;
	json_init(&w);
	json_array_begin(&w);
	for (size_t i = 0; i < n; i++) {
		const catalog_file *f = &files[i];
		size_t live = min_live(f, ap);
		json_object_begin(&w);
		json_kv_string(&w, "name", f->name);
		json_kv_int(&w, "size", (int64_t)f->size);
		json_kv_int(&w, "block_size", (int64_t)f->block_size);
		json_kv_int(&w, "replication", f->replication);
		json_kv_int(&w, "min_live_replicas", (int64_t)live);
		json_kv_string(&w, "status", status_of(f, live));
		json_kv_string(&w, "source", f->source);
		json_kv_number(&w, "created", f->created);
		json_key(&w, "blocks");
		json_array_begin(&w);
		for (size_t b = 0; b < f->nblocks; b++) {
			const catalog_block *cb = &f->blocks[b];
			char hex[17];
			blocksum_hex(cb->sum, hex);
			json_object_begin(&w);
			json_kv_int(&w, "offset", (int64_t)cb->offset);
			json_kv_int(&w, "length", (int64_t)cb->length);
			json_kv_string(&w, "sum", hex);
			json_key(&w, "replicas");
			json_array_begin(&w);
			for (size_t r = 0; r < cb->nreplicas; r++) {
				const catalog_replica *rp = &cb->replicas[r];
				json_object_begin(&w);
				json_kv_string(&w, "agent_id", rp->agent_id);
				json_kv_string(&w, "hostname", rp->hostname);
				json_kv_string(&w, "agent_http", rp->agent_http);
				json_kv_string(&w, "rack", rp->rack);
				json_kv_string(&w, "framework_id", rp->framework_id);
				json_kv_string(&w, "task_id", rp->task_id);
				json_kv_string(&w, "path", rp->path);
				json_kv_bool(&w, "available", mrfiles_up(ap, rp->agent_http));
				json_object_end(&w);
			}
			json_array_end(&w);
			json_object_end(&w);
		}
		json_array_end(&w);
		json_object_end(&w);
	}
	json_array_end(&w);
	char *s = json_take(&w);
	printf("%s\n", s);
	free(s);
}

int
mrfiles_ls(mrclient *c, int argc, char **argv)
{
	bool json = false, longfmt = false;
	static const struct option opts[] = {
	    {"json", 0, 0, 'j'}, {"long", 0, 0, 'l'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "lh", opts, NULL)) != -1) {
		switch (ch) {
		case 'j': json = true; break;
		case 'l': longfmt = true; break;
		case 'h':
			printf("usage: mapred ls [NAME...] [-l] [--json]\n\nStored files, with how many "
			       "replicas of "
			       "their least-replicated block\nare on agents that answer now (-l: every block "
			       "and "
			       "where it is).\n");
			return MRCLIENT_EXIT_OK;
		default: return MRCLIENT_EXIT_USAGE;
		}
	}
	catalog *cat = mrclient_open(c);
	if (!cat)
		return MRCLIENT_EXIT_FAIL;
	catalog_file *files;
	size_t n;
	int rv = load(cat, argv + optind, (size_t)(argc - optind), &files, &n, "ls");
	agent_probe ap = {0};
	if (!rv) {
		mrfiles_probe(&ap, files, n);
		if (json) {
			ls_json(files, n, &ap);
		} else {
			if (n)
				printf("%-24s %10s %7s %9s  %s\n", "NAME", "SIZE", "BLOCKS", "REPLICAS",
				       "STATUS");
			for (size_t i = 0; i < n; i++) {
				const catalog_file *f = &files[i];
				size_t live = min_live(f, &ap);
				char h[32], rep[32];
				snprintf(rep, sizeof(rep), "%zu/%u", live, f->replication);
				printf("%-24s %10s %7zu %9s  %s\n", f->name,
				       mrclient_human(f->size, h, sizeof(h)), f->nblocks, rep,
				       status_of(f, live));
				for (size_t b = 0; longfmt && b < f->nblocks; b++) {
					const catalog_block *cb = &f->blocks[b];
					printf("  block %zu: bytes %llu-%llu, on", b,
					       (unsigned long long)cb->offset,
					       (unsigned long long)(cb->offset + cb->length));
					for (size_t r = 0; r < cb->nreplicas; r++)
						printf(" %s%s", cb->replicas[r].hostname,
						       mrfiles_up(&ap, cb->replicas[r].agent_http)
						           ? ""
						           : " (unavailable)");
					printf("\n");
				}
			}
		}
	}
	mrfiles_probe_fini(&ap);
	free_files(files, n);
	catalog_close(cat);
	return rv ? MRCLIENT_EXIT_FAIL : MRCLIENT_EXIT_OK;
}

/* One block, whole and checked, from the first replica that gives it. */
static int
cat_block(const catalog_file *f, size_t b, const agent_probe *ap)
{
	const catalog_block *cb = &f->blocks[b];
	char last[300] = "no replica is on an agent that answers";
	for (int pass = 0; pass < 2; pass++) {
		for (size_t r = 0; r < cb->nreplicas; r++) {
			const catalog_replica *rp = &cb->replicas[r];
			/* Answering agents first; the others get a second chance after. */
			if (mrfiles_up(ap, rp->agent_http) != (pass == 0))
				continue;
			char *url = mrclient_replica_url(rp);
			httpc_buf buf = {.max = (size_t)cb->length};
			httpc_result res;
			int rv = httpc_fetch(url, 0, HTTPC_NO_SIZE, 30, httpc_sink_buf, &buf, &res);
			free(url);
			if (!rv && (buf.len != cb->length || blocksum_of(buf.data, buf.len) != cb->sum)) {
				snprintf(last, sizeof(last), "the replica on %s is damaged", rp->hostname);
				rv = MOSAIC_EDECODE;
			} else if (rv) {
				snprintf(last, sizeof(last), "%s: %s", rp->hostname,
				         res.err[0] ? res.err : mosaic_strerror(rv));
			}
			if (!rv) {
				size_t off = 0;
				while (off < buf.len) {
					ssize_t w = write(1, buf.data + off, buf.len - off);
					if (w < 0 && errno == EINTR)
						continue;
					if (w <= 0) {
						free(buf.data);
						return -2;
					}
					off += (size_t)w;
				}
				free(buf.data);
				return 0;
			}
			free(buf.data);
		}
	}
	fprintf(stderr, "mapred cat: block %zu of %s cannot be read: %s\n", b, f->name, last);
	return -1;
}

int
mrfiles_cat(mrclient *c, int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fprintf(argc < 2 ? stderr : stdout,
		        "usage: mapred cat NAME...\n\nWrites stored files to stdout, each "
		        "block checked against its checksum.\n");
		return argc < 2 ? MRCLIENT_EXIT_USAGE : MRCLIENT_EXIT_OK;
	}
	catalog *cat = mrclient_open(c);
	if (!cat)
		return MRCLIENT_EXIT_FAIL;
	catalog_file *files;
	size_t n;
	int rv = load(cat, argv + 1, (size_t)(argc - 1), &files, &n, "cat");
	catalog_close(cat);
	agent_probe ap = {0};
	if (!rv)
		mrfiles_probe(&ap, files, n);
	for (size_t i = 0; i < n && !rv; i++)
		for (size_t b = 0; b < files[i].nblocks && !rv; b++)
			rv = cat_block(&files[i], b, &ap);
	if (rv == -2)
		fprintf(stderr, "mapred cat: writing to stdout: %s\n", strerror(errno));
	mrfiles_probe_fini(&ap);
	free_files(files, n);
	return rv ? MRCLIENT_EXIT_FAIL : MRCLIENT_EXIT_OK;
}

int
mrfiles_rm(mrclient *c, int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fprintf(
		    argc < 2 ? stderr : stdout,
		    "usage: mapred rm NAME...\n\nForgets stored files and removes their blocks from the "
		    "agents "
		    "(by tasks of\nthe block store). Replicas on agents that do not answer are left there, "
		    "unused.\n");
		return argc < 2 ? MRCLIENT_EXIT_USAGE : MRCLIENT_EXIT_OK;
	}
	int lock = mrclient_lock(c, 120);
	if (lock < 0)
		return MRCLIENT_EXIT_FAIL;
	catalog *cat = mrclient_open(c);
	catalog_file *files = NULL;
	size_t n = 0;
	int rv = cat ? load(cat, argv + 1, (size_t)(argc - 1), &files, &n, "rm") : -1;
	if (!rv)
		rv = mrfiles_unstore(c, cat, files, n);
	for (size_t i = 0; i < n && !rv; i++) {
		if (catalog_file_del(cat, files[i].name) != 0) {
			fprintf(stderr, "mapred rm: catalog: %s\n", catalog_errmsg(cat));
			rv = -1;
		} else {
			printf("removed %s\n", files[i].name);
		}
	}
	free_files(files, n);
	catalog_close(cat);
	mrclient_unlock(lock);
	return rv ? MRCLIENT_EXIT_FAIL : MRCLIENT_EXIT_OK;
}
