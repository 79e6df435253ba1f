#include "wctask.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"
#include "kvfile.h"
#include "mem.h"
#include "merge.h"
#include "util.h"
#include "wordcount.h"

static char *
spill_dir(const char *outdir, uint32_t k)
{
	return xasprintf("%s/spill-%u", outdir, k);
}

static int
spill(wc_table *t, const char *outdir, uint32_t k, uint32_t nparts)
{
	char *dir = spill_dir(outdir, k);
	int rv = util_mkdir_p(dir);
	if (!rv)
		rv = wc_write_partitions(t, dir, nparts, NULL);
	free(dir);
	return rv;
}

/* Merges run r of every spill into "<outdir>/part-<r>", for every r. */
static int
merge_spills(const char *outdir, uint32_t nspills, uint32_t nparts, uint64_t *records)
{
	int rv = MOSAIC_OK;
	*records = 0;
	for (uint32_t r = 0; r < nparts && !rv; r++) {
		merge *m;
		merge_new(&m);
		for (uint32_t k = 0; k < nspills && !rv; k++) {
			char *dir = spill_dir(outdir, k);
			char *path = kvfile_part_path(dir, r);
			rv = merge_add_file(m, path);
			free(path);
			free(dir);
		}
		char *out = kvfile_part_path(outdir, r);
		kvfile_writer w;
		if (!rv && (rv = kvfile_writer_open(&w, out)) == 0) {
			rv = merge_sum(m, &w);
			*records += w.records;
			if (rv)
				kvfile_writer_abort(&w);
			else
				rv = kvfile_writer_close(&w);
		}
		free(out);
		merge_free(m);
	}
	return rv;
}

int
wctask_map(const char *input, uint64_t offset, uint64_t length, const char *outdir, uint32_t nparts,
           size_t mem_limit, wctask_stats *st)
{
	wctask_stats s = {0};
	if (nparts == 0)
		return MOSAIC_EINVAL;
	int fd = open(input, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? MOSAIC_ENOENT : MOSAIC_EIO;
	posix_fadvise(fd, (off_t)offset, length == UINT64_MAX ? 0 : (off_t)length, POSIX_FADV_SEQUENTIAL);
	wc_table *t;
	wc_table_new(&t);
	int rv;
	for (;;) {
		uint64_t done;
		rv = wc_count_fd(t, fd, offset, length, mem_limit, &done);
		if (rv)
			break;
		s.bytes_in += done;
		offset += done;
		if (length != UINT64_MAX)
			length -= done;
		/* wc_count_fd stops early only at the limit; at the end of the
		 * input the table may be over it too, and the loop comes back
		 * once more to count nothing. */
		if (!mem_limit || wc_memory(t) < mem_limit || done == 0)
			break;
		s.words += wc_total(t);
		if ((rv = spill(t, outdir, s.spills, nparts)) != 0)
			break;
		s.spills++;
		wc_table_clear(t);
	}
	close(fd);
	if (!rv) {
		s.words += wc_total(t);
		if (s.spills == 0) {
			rv = wc_write_partitions(t, outdir, nparts, &s.records_out);
		} else if ((rv = spill(t, outdir, s.spills, nparts)) == 0) {
			rv = merge_spills(outdir, s.spills + 1, nparts, &s.records_out);
		}
	}
	wc_table_free(t);
	for (uint32_t k = 0; k <= s.spills && s.spills; k++) {
		char *dir = spill_dir(outdir, k);
		util_remove_tree(dir);
		free(dir);
	}
	if (st)
		*st = s;
	return rv;
}

int
wctask_reduce(const char *const *inputs, size_t n, const char *output, wctask_stats *st)
{
	merge *m;
	merge_new(&m);
	int rv = MOSAIC_OK;
	for (size_t i = 0; i < n && !rv; i++)
		rv = merge_add_file(m, inputs[i]);
	kvfile_writer w;
	uint64_t out = 0;
	if (!rv && (rv = kvfile_writer_open(&w, output)) == 0) {
		rv = merge_sum(m, &w);
		out = w.records;
		if (rv)
			kvfile_writer_abort(&w);
		else
			rv = kvfile_writer_close(&w);
	}
	if (st) {
		memset(st, 0, sizeof(*st));
		st->words = merge_records(m);
		st->records_out = rv ? 0 : out;
	}
	merge_free(m);
	return rv;
}
