/* test_mpiout.c - output as mmpirun prints it: whole lines per rank
 * even when chunks of several ranks interleave, [rank] tags on request,
 * partial lines flushed at a rank's end, OpenMPI's tags read back, and
 * stderr kept apart. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "mpiout.h"

/* Everything written so far to a temporary file, as a string. */
static char *
slurp(int fd)
{
	static char buf[4096];
	off_t end = lseek(fd, 0, SEEK_CUR);
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	(void)end;
	return buf;
}

static int
tmpfd(void)
{
	char path[] = "/tmp/test_mpiout.XXXXXX";
	int fd = mkstemp(path);
	unlink(path);
	return fd;
}

int
main(void)
{
	int out = tmpfd(), err = tmpfd();
	mpiout *o = mpiout_new(3, out, err, true);
	mpiout_write(o, 0, 1, "hel", 3);
	mpiout_write(o, 1, 1, "wor", 3);
	mpiout_write(o, 0, 1, "lo\nsecond", 9);
	mpiout_write(o, 1, 1, "ld\n", 3);
	mpiout_write(o, 2, 2, "oops\n", 5);
	CHECK(strcmp(slurp(out), "[0] hello\n[1] world\n") == 0);
	CHECK(strcmp(slurp(err), "[2] oops\n") == 0);
	mpiout_flush_rank(o, 0);
	CHECK(strcmp(slurp(out), "[0] hello\n[1] world\n[0] second") == 0);
	/* Output of no rank (a proxy's own) is never tagged. */
	mpiout_write(o, MPIOUT_NO_RANK, 1, "\nplain\n", 7);
	mpiout_write(o, 99, 1, "also\n", 5);
	CHECK(strcmp(slurp(out), "[0] hello\n[1] world\n[0] second\nplain\nalso\n") == 0);
	mpiout_free(o);

	/* OpenMPI's tags, whole or cut mid-line, become ours. */
	uint32_t r;
	int s;
	size_t pre;
	CHECK(mpiout_openmpi_tag("[1,12]<stderr>:x", 16, &r, &s, &pre) && r == 12 && s == 2 && pre == 15);
	CHECK(!mpiout_openmpi_tag("[1,12]<stdin>:x", 15, &r, &s, &pre));
	CHECK(!mpiout_openmpi_tag("[a,1]<stdout>:x", 15, &r, &s, &pre));
	CHECK(!mpiout_openmpi_tag("plain", 5, &r, &s, &pre));
	out = tmpfd(), err = tmpfd();
	o = mpiout_new(4, out, err, true);
	const char *chunk = "[7,3]<stdout>:ring ok\n[7,1]<std";
	mpiout_write_openmpi(o, 1, chunk, strlen(chunk));
	mpiout_write_openmpi(o, 1, "err>:bad\nmpirun says\n", 21);
	CHECK(strcmp(slurp(out), "[3] ring ok\nmpirun says\n") == 0);
	CHECK(strcmp(slurp(err), "[1] bad\n") == 0);
	mpiout_free(o);

	/* Untagged: lines still whole, nothing added. */
	out = tmpfd(), err = tmpfd();
	o = mpiout_new(2, out, err, false);
	mpiout_write(o, 0, 1, "a", 1);
	mpiout_write(o, 1, 1, "b\n", 2);
	mpiout_write(o, 0, 1, "c\n", 2);
	CHECK(strcmp(slurp(out), "b\nac\n") == 0);
	mpiout_free(o);
	close(out);
	close(err);
	return check_done();
}
