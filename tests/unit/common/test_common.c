/* loop timers and posts, json writer, durations, store, ids. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "ids.h"
#include "json.h"
#include "loop.h"
#include "store.h"
#include "util.h"

static int fired[4];

static void
on_timer(mosaic_loop *loop, void *arg)
{
	fired[(intptr_t)arg]++;
}

static void
test_loop(void)
{
	mosaic_loop *loop;
	CHECK_OK(loop_new(&loop));
	loop_timer_start(loop, 0.02, on_timer, (void *)0);
	uint64_t t1 = loop_timer_start(loop, 0.01, on_timer, (void *)1);
	loop_timer_start(loop, 0.0, on_timer, (void *)2);
	loop_timer_cancel(loop, t1);
	loop_post(loop, on_timer, (void *)3);
	double end = mosaic_mono_now() + 1;
	while (mosaic_mono_now() < end && !(fired[0] && fired[2] && fired[3]))
		loop_run_once(loop, 0.1);
	CHECK(fired[0] == 1 && fired[1] == 0 && fired[2] == 1 && fired[3] == 1);
	loop_free(loop);
}

static void
test_json(void)
{
	json_writer w;
	json_init(&w);
	json_object_begin(&w);
	json_kv_string(&w, "a", "q\"\n");
	json_key(&w, "list");
	json_array_begin(&w);
	json_int(&w, 1);
	json_number(&w, 0.5);
	json_null(&w);
	json_array_end(&w);
	json_kv_bool(&w, "b", true);
	json_object_end(&w);
	char *s = json_take(&w);
	CHECK(strcmp(s, "{\"a\":\"q\\\"\\n\",\"list\":[1,0.5,null],\"b\":true}") == 0);
	free(s);
}

static void
test_util(void)
{
	double d;
	/* FNV-1a's published values; a pair hashes as "a/b" */
	CHECK(util_hash_str("") == 0x811c9dc5u && util_hash_str("a") == 0xe40c292cu &&
	      util_hash_str("foobar") == 0xbf9cf968u);
	CHECK(util_hash_pair("fw-1", "t1") == util_hash_str("fw-1/t1"));
	CHECK(util_fnv1a(UTIL_FNV1A_SEED, "ab", 2) == util_fnv1a(util_fnv1a(UTIL_FNV1A_SEED, "a", 1), "b", 1));
	CHECK_OK(util_parse_duration("5s", &d));
	CHECK_NEAR(d, 5, 1e-9);
	CHECK_OK(util_parse_duration("250ms", &d));
	CHECK_NEAR(d, 0.25, 1e-9);
	CHECK_OK(util_parse_duration("2m", &d));
	CHECK_NEAR(d, 120, 1e-9);
	CHECK_OK(util_parse_duration("1w", &d));
	CHECK_NEAR(d, 7 * 86400, 1e-9);
	CHECK(util_parse_duration("5x", &d) == MOSAIC_EINVAL);
	CHECK(util_parse_duration("-1", &d) == MOSAIC_EINVAL);
	char id[MOSAIC_ID_MAX], id2[MOSAIC_ID_MAX];
	id_new(id, "fw");
	id_new(id2, "fw");
	CHECK(strncmp(id, "fw-", 3) == 0 && strcmp(id, id2) != 0 && id_valid(id));
	CHECK(!id_valid("../x") && !id_valid("") && !id_valid("a/b") && !id_valid(".."));
}

static int
count_rows(void *arg, const char *key, const void *val, size_t len)
{
	(*(int *)arg)++;
	return 0;
}

static void
test_store(void)
{
	char dir[] = "/tmp/mosaic-store-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char path[256];
	snprintf(path, sizeof(path), "%s/s.db", dir);
	store *s;
	CHECK_OK(store_open(&s, path, NULL, 0));
	CHECK_OK(store_put(s, "agents", "a1", "one", 3));
	CHECK_OK(store_put(s, "agents", "a2", "two", 3));
	CHECK_OK(store_del(s, "agents", "a1"));
	CHECK(store_put(s, "bad-name", "k", "v", 1) == MOSAIC_EINVAL);
	store_close(s);
	CHECK_OK(store_open(&s, path, NULL, 0));
	void *v;
	size_t n;
	CHECK(store_get(s, "agents", "a1", &v, &n) == MOSAIC_ENOENT);
	CHECK_OK(store_get(s, "agents", "a2", &v, &n));
	CHECK(n == 3 && memcmp(v, "two", 3) == 0);
	free(v);
	int rows = 0;
	store_scan(s, "agents", count_rows, &rows);
	CHECK(rows == 1);
	/* Statements are kept per table and reused, over more tables than
	 * the first allocation holds: every call sees the last write.
	 * ("to" is an SQL keyword: table names are quoted.) */
	const char *names[] = {"ta", "tb", "tc", "td", "te", "tf", "tg", "th", "ti", "tj",
	                       "tk", "tl", "tm", "tn", "to", "tp", "tq", "tr", "ts", "tt"};
	for (int round = 0; round < 3; round++) {
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			char val[8];
			snprintf(val, sizeof(val), "%d", round);
			CHECK_OK(store_put(s, names[i], "k", val, strlen(val)));
			CHECK_OK(store_get(s, names[i], "k", &v, &n));
			CHECK(n == 1 && ((char *)v)[0] == '0' + round);
			free(v);
		}
	}
	CHECK_OK(store_del(s, "tt", "k"));
	CHECK(store_get(s, "tt", "k", &v, &n) == MOSAIC_ENOENT);
	CHECK_OK(store_get(s, "ta", "k", &v, &n));
	free(v);
	store_close(s);
	/* mkdir -p: deep, existing, and under a file (fails). */
	char deep[512], file[512];
	snprintf(deep, sizeof(deep), "%s/a/b/c/d", dir);
	CHECK_OK(util_mkdir_p(deep));
	CHECK_OK(util_mkdir_p(deep));
	snprintf(file, sizeof(file), "%s/a/f", dir);
	CHECK_OK(util_write_file_atomic(file, "x", 1));
	snprintf(deep, sizeof(deep), "%s/a/f/g", dir);
	CHECK(util_mkdir_p(deep) == MOSAIC_EIO);
	util_remove_tree(dir);
}

int
main(void)
{
	test_loop();
	test_json();
	test_util();
	test_store();
	return check_done();
}
