/* catalog: files with blocks and replicas round-trip, names are unique and
 * checked, deletion is whole, sums keep all 64 bits, and a second handle
 * (another process's) sees what the first committed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog.h"
#include "check.h"
#include "util.h"

static catalog_replica
rep(const char *agent, const char *task)
{
	static char path[8][64];
	static int k;
	char *p = path[k++ % 8];
	snprintf(p, 64, "/w/%s/%s/blk", agent, task);
	return (catalog_replica){.agent_id = (char *)agent,
	                         .hostname = (char *)agent,
	                         .agent_http = "http://h:1",
	                         .rack = "r1",
	                         .framework_id = "fw-1",
	                         .task_id = (char *)task,
	                         .path = p};
}

static void
test_roundtrip(const char *path)
{
	char err[256];
	catalog *c;
	CHECK_OK(catalog_open(&c, path, err, sizeof(err)));
	catalog_replica r0[] = {rep("agent-a", "s.1.0.1"), rep("agent-b", "s.1.1.1")};
	catalog_replica r1[] = {rep("agent-b", "s.1.2.1")};
	catalog_block blocks[] = {
	    {.offset = 0, .length = 100, .sum = 0xfedcba9876543210ULL, .nreplicas = 2, .replicas = r0},
	    {.offset = 100, .length = 50, .sum = 7, .nreplicas = 1, .replicas = r1}};
	catalog_file f = {.name = "words.txt",
	                  .source = "/tmp/words.txt",
	                  .size = 150,
	                  .block_size = 100,
	                  .replication = 2,
	                  .created = 1234.5,
	                  .nblocks = 2,
	                  .blocks = blocks};
	CHECK_OK(catalog_file_put(c, &f));
	CHECK(catalog_file_put(c, &f) == MOSAIC_EEXIST);
	f.name = "bad/name";
	CHECK(catalog_file_put(c, &f) == MOSAIC_EINVAL);
	f.name = "empty";
	f.nblocks = 0;
	f.size = 0;
	CHECK_OK(catalog_file_put(c, &f));

	catalog_file g;
	CHECK_OK(catalog_file_get(c, "words.txt", &g));
	CHECK(strcmp(g.name, "words.txt") == 0 && strcmp(g.source, "/tmp/words.txt") == 0);
	CHECK(g.size == 150 && g.block_size == 100 && g.replication == 2 && g.created == 1234.5);
	CHECK(g.nblocks == 2);
	CHECK(g.blocks[0].sum == 0xfedcba9876543210ULL && g.blocks[1].sum == 7);
	CHECK(g.blocks[1].offset == 100 && g.blocks[1].length == 50);
	CHECK(g.blocks[0].nreplicas == 2 && g.blocks[1].nreplicas == 1);
	CHECK(strcmp(g.blocks[0].replicas[1].agent_id, "agent-b") == 0);
	CHECK(strcmp(g.blocks[1].replicas[0].task_id, "s.1.2.1") == 0);
	CHECK(strcmp(g.blocks[1].replicas[0].path, "/w/agent-b/s.1.2.1/blk") == 0);
	CHECK(strcmp(g.blocks[0].replicas[0].rack, "r1") == 0);
	catalog_file_fini(&g);
	CHECK(catalog_file_get(c, "nope", &g) == MOSAIC_ENOENT);

	uint64_t bytes = 0;
	CHECK_OK(catalog_agent_bytes(c, "agent-b", &bytes));
	CHECK(bytes == 150);
	CHECK_OK(catalog_agent_bytes(c, "agent-z", &bytes));
	CHECK(bytes == 0);

	char **names;
	size_t n;
	CHECK_OK(catalog_file_names(c, &names, &n));
	CHECK(n == 2 && strcmp(names[0], "empty") == 0 && strcmp(names[1], "words.txt") == 0);
	catalog_names_free(names, n);

	char *v;
	CHECK(catalog_meta_get(c, "k", &v) == MOSAIC_ENOENT);
	CHECK_OK(catalog_meta_set(c, "k", "v1"));
	CHECK_OK(catalog_meta_set(c, "k", "v2"));

	/* Another handle sees it all. */
	catalog *c2;
	CHECK_OK(catalog_open(&c2, path, err, sizeof(err)));
	CHECK_OK(catalog_meta_get(c2, "k", &v));
	CHECK(strcmp(v, "v2") == 0);
	free(v);
	CHECK_OK(catalog_file_del(c2, "words.txt"));
	CHECK(catalog_file_del(c2, "words.txt") == MOSAIC_ENOENT);
	catalog_close(c2);
	CHECK(catalog_file_get(c, "words.txt", &g) == MOSAIC_ENOENT);
	CHECK_OK(catalog_agent_bytes(c, "agent-b", &bytes));
	CHECK(bytes == 0);
	CHECK_OK(catalog_file_get(c, "empty", &g));
	CHECK(g.nblocks == 0);
	catalog_file_fini(&g);
	catalog_close(c);
}

static void
test_names(void)
{
	CHECK(catalog_name_valid("a"));
	CHECK(catalog_name_valid("pg1342.txt"));
	CHECK(catalog_name_valid("Ünïcode-ok_1"));
	CHECK(!catalog_name_valid(""));
	CHECK(!catalog_name_valid(NULL));
	CHECK(!catalog_name_valid("a/b"));
	CHECK(!catalog_name_valid("a b"));
	CHECK(!catalog_name_valid("-rf"));
	CHECK(!catalog_name_valid(".hidden"));
	CHECK(!catalog_name_valid("tab\there"));
	char longname[300];
	memset(longname, 'x', sizeof(longname));
	longname[256] = '\0';
	CHECK(!catalog_name_valid(longname));
	longname[255] = '\0';
	CHECK(catalog_name_valid(longname));
}

int
main(void)
{
	char dir[] = "/tmp/test_catalog.XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	char path[256];
	snprintf(path, sizeof(path), "%s/sub/catalog.db", dir);
	test_roundtrip(path);
	test_names();
	util_remove_tree(dir);
	return check_done();
}
