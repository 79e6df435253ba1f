/* mrput.c - `mapred put FILE... [--as NAME] [--block-size 64M] [--replicas 2]`.
 *
 * Each file is cut into blocks on line boundaries (split.h) and summed
 * (blocksum.h); this process lends the bytes from a small HTTP server of
 * its own (httpd.h) while, as the block store (mrstore.h), it launches on
 * each chosen agent a store task that fetches its block and keeps it. A
 * block's replicas go to distinct agents, different racks first, then the
 * agents holding the fewest bytes (this put's and the catalog's). A failed
 * store is retried, on another agent if its agent went away, up to
 * PUT_ATTEMPTS times. Files enter the catalog only once every block has
 * its replicas, so a put that fails leaves no half file behind. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blocksum.h"
#include "errors.h"
#include "httpd.h"
#include "json.h"
#include "mem.h"
#include "mrput.h"
#include "mrput_impl.h"
#include "split.h"

/* Reads each file once, summing its blocks in order. */
static int
sum_blocks(put *p, put_file *f)
{
	int fd = open(f->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "mapred put: %s: %s\n", f->path, strerror(errno));
		return -1;
	}
	enum { CHUNK = 4 << 20 };
	char *buf = xmalloc(CHUNK);
	int rv = 0;
	for (size_t i = 0; i < f->nblocks && !rv; i++) {
		put_block *b = &p->blocks[f->first + i];
		blocksum s;
		blocksum_init(&s);
		for (uint64_t done = 0; done < b->length && !rv;) {
			size_t want = b->length - done < CHUNK ? (size_t)(b->length - done) : CHUNK;
			ssize_t n = pread(fd, buf, want, (off_t)(b->offset + done));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				fprintf(stderr, "mapred put: reading %s: %s\n", f->path,
				        n < 0 ? strerror(errno) : "it shrank while being read");
				rv = -1;
				break;
			}
			blocksum_update(&s, buf, (size_t)n);
			done += (uint64_t)n;
		}
		b->sum = blocksum_final(&s);
	}
	free(buf);
	close(fd);
	return rv;
}

static int
prepare(put *p, char **paths, size_t n, const char *as, catalog *cat)
{
	p->files = xcalloc(n, sizeof(put_file));
	p->nfiles = n;
	for (size_t i = 0; i < n; i++) {
		put_file *f = &p->files[i];
		f->path = paths[i];
		char tmp[PATH_MAX];
		snprintf(tmp, sizeof(tmp), "%s", paths[i]);
		f->name = xstrdup(as ? as : basename(tmp));
		if (!catalog_name_valid(f->name)) {
			fprintf(
			    stderr,
			    "mapred put: '%s' is not a valid name (1-255 printable bytes, no '/' or space, "
			    "not starting with '-' or '.'); use --as NAME\n",
			    f->name);
			return -1;
		}
		for (size_t k = 0; k < i; k++) {
			if (strcmp(p->files[k].name, f->name) == 0) {
				fprintf(stderr, "mapred put: two inputs would be stored as '%s'\n", f->name);
				return -1;
			}
		}
		catalog_file old;
		if (catalog_file_get(cat, f->name, &old) == 0) {
			catalog_file_fini(&old);
			fprintf(stderr,
			        "mapred put: '%s' is already stored; mapred rm it first, or use --as\n",
			        f->name);
			return -1;
		}
		struct stat st;
		if (stat(f->path, &st) != 0 || !S_ISREG(st.st_mode)) {
			fprintf(stderr, "mapred put: %s: %s\n", f->path,
			        errno ? strerror(errno) : "not a regular file");
			return -1;
		}
		split_block *blocks;
		int rv = split_file(f->path, p->block_size, &blocks, &f->nblocks);
		if (rv) {
			fprintf(stderr, "mapred put: cannot split %s: %s\n", f->path, mosaic_strerror(rv));
			return -1;
		}
		f->size = (uint64_t)st.st_size;
		f->first = p->nblocks;
		p->blocks = xrealloc(p->blocks, (p->nblocks + f->nblocks + 1) * sizeof(put_block));
		for (size_t k = 0; k < f->nblocks; k++)
			p->blocks[p->nblocks + k] = (put_block){.file = (uint32_t)i,
			                                        .idx = (uint32_t)k,
			                                        .offset = blocks[k].offset,
			                                        .length = blocks[k].length};
		p->nblocks += f->nblocks;
		free(blocks);
		if (sum_blocks(p, f) != 0)
			return -1;
	}
	return 0;
}

static int
publish(put *p)
{
	char err[256];
	const char *host = getenv("MOSAIC_LISTEN_HOST");
	if (httpd_open(&p->hd, host && *host ? host : "127.0.0.1", err, sizeof(err)) != 0) {
		fprintf(stderr, "mapred put: %s\n", err);
		return -1;
	}
	for (size_t i = 0; i < p->nblocks; i++) {
		put_block *b = &p->blocks[i];
		int rv = httpd_publish(p->hd, p->files[b->file].path, b->offset, b->length, &b->url);
		if (rv) {
			fprintf(stderr, "mapred put: cannot serve %s: %s\n", p->files[b->file].path,
			        mosaic_strerror(rv));
			return -1;
		}
	}
	return 0;
}

static void
usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: mapred put FILE... [--as NAME] [--block-size SIZE] [--replicas N] [--json] [--quiet]\n"
	    "\n"
	    "Stores local files in the cluster's block store: each file is cut into blocks of\n"
	    "whole lines, and each block copied to N distinct agents (different racks first),\n"
	    "where jobs read it. A file is stored under its base name unless --as names it.\n"
	    "\n"
	    "  --as NAME          the stored name (one FILE only)\n"
	    "  --block-size SIZE  at most this many bytes a block, e.g. 64M (default), 512K, 1G;\n"
	    "                     a line longer than that gets a block of its own\n"
	    "  --replicas N       copies of each block (default 2; fewer if fewer agents)\n"
	    "  --json             print what was stored as JSON\n"
	    "  --quiet            no progress on stderr\n");
}

static void
print_result(put *p)
{
	if (p->json) {
		json_writer w;
		json_init(&w);
		json_array_begin(&w);
		for (size_t i = 0; i < p->nfiles; i++) {
			put_file *f = &p->files[i];
			json_object_begin(&w);
			json_kv_string(&w, "name", f->name);
			json_kv_string(&w, "source", f->path);
			json_kv_int(&w, "size", (int64_t)f->size);
			json_kv_int(&w, "blocks", (int64_t)f->nblocks);
			json_kv_int(&w, "replicas", (int64_t)p->replicas);
			json_kv_number(&w, "seconds", p->elapsed);
			json_object_end(&w);
		}
		json_array_end(&w);
		char *s = json_take(&w);
		printf("%s\n", s);
		free(s);
		return;
	}
	for (size_t i = 0; i < p->nfiles; i++) {
		put_file *f = &p->files[i];
		char h[32];
		printf("stored %s: %s in %zu block%s, %u replica%s each, in %.1f s\n", f->name,
		       mrclient_human(f->size, h, sizeof(h)), f->nblocks, f->nblocks == 1 ? "" : "s",
		       p->replicas, p->replicas == 1 ? "" : "s", p->elapsed);
	}
}

static void
put_free(put *p)
{
	httpd_close(p->hd);
	for (size_t i = 0; i < p->nfiles; i++)
		free(p->files[i].name);
	free(p->files);
	for (size_t i = 0; i < p->nblocks; i++)
		free(p->blocks[i].url);
	free(p->blocks);
	for (size_t i = 0; i < p->nreps; i++)
		free(p->reps[i].path);
	free(p->reps);
	free(p->agents);
	free(p->held);
}

int
mrput_main(mrclient *c, int argc, char **argv)
{
	put p = {.c = c, .block_size = SPLIT_DEFAULT_BLOCK, .replicas = 2};
	const char *as = NULL;
	static const struct option opts[] = {
	    {"as", 1, 0, 'a'},   {"block-size", 1, 0, 'b'}, {"replicas", 1, 0, 'r'},
	    {"json", 0, 0, 'j'}, {"quiet", 0, 0, 'q'},      {"help", 0, 0, 'h'},
	    {0, 0, 0, 0}};
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		char *end;
		switch (ch) {
		case 'a': as = optarg; break;
		case 'b':
			if (split_parse_size(optarg, &p.block_size) != 0) {
				fprintf(stderr, "mapred put: --block-size wants a size like 64M, not '%s'\n",
				        optarg);
				return MRCLIENT_EXIT_USAGE;
			}
			break;
		case 'r':
			p.replicas = (uint32_t)strtoul(optarg, &end, 10);
			if (*end || p.replicas < 1 || p.replicas > PUT_MAX_REPLICAS) {
				fprintf(stderr, "mapred put: --replicas wants 1 to %d, not '%s'\n",
				        PUT_MAX_REPLICAS, optarg);
				return MRCLIENT_EXIT_USAGE;
			}
			break;
		case 'j': p.json = true; break;
		case 'q': p.quiet = true; break;
		case 'h': usage(stdout); return MRCLIENT_EXIT_OK;
		default: usage(stderr); return MRCLIENT_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return MRCLIENT_EXIT_USAGE;
	}
	if (as && argc - optind > 1) {
		fprintf(stderr, "mapred put: --as names one file; %d were given\n", argc - optind);
		return MRCLIENT_EXIT_USAGE;
	}
	if (access(c->task_program, X_OK) != 0) {
		fprintf(stderr, "mapred put: the task program %s is missing (MAPRED_TASK_PROGRAM)\n",
		        c->task_program);
		return MRCLIENT_EXIT_FAIL;
	}
	int lock = mrclient_lock(c, 120);
	if (lock < 0)
		return MRCLIENT_EXIT_FAIL;
	catalog *cat = mrclient_open(c);
	int rv = MRCLIENT_EXIT_FAIL;
	unsigned char rnd[4];
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		memset(rnd, 0, sizeof(rnd));
	snprintf(p.put_id, sizeof(p.put_id), "%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3]);
	if (cat && prepare(&p, argv + optind, (size_t)(argc - optind), as, cat) == 0 && publish(&p) == 0) {
		p.cat = cat;
		rv = put_run(&p);
		if (rv == MRCLIENT_EXIT_OK)
			print_result(&p);
	}
	put_free(&p);
	catalog_close(cat);
	mrclient_unlock(lock);
	return rv;
}
