/* test_mpiwire.c - the proxy protocol's frames: every kind round-trips,
 * frames split at any byte come out whole, a length out of range is
 * refused, long output is cut into chunks, and a real socket pair carries
 * a burst larger than its buffers with the non-blocking helpers. */
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "loop.h"
#include "mpiwire.h"

static void
test_roundtrip(void)
{
	mpiwire_buf b;
	mpiwire_buf_init(&b);
	mpiwire_put_hello(&b, 7, "0123456789abcdef0123456789abcdef");
	mpiwire_put(&b, MPIWIRE_GO, NULL, 0);
	mpiwire_put_run(&b, "tok", "orted -mca x \"y\"");
	mpiwire_put_out(&b, 3, MPIWIRE_STDERR, "hello\n", 6);
	mpiwire_put_exit(&b, MPIWIRE_NO_RANK, -2, 9);
	mpiwire_put_text(&b, MPIWIRE_ABORT, "the gang failed");
	mpiwire_frame f;
	uint32_t u;
	char tok[64];
	CHECK(mpiwire_next(&b, &f) == 1 && f.type == MPIWIRE_HELLO);
	CHECK_OK(mpiwire_get_hello(&f, &u, tok, sizeof(tok)));
	CHECK(u == 7 && strcmp(tok, "0123456789abcdef0123456789abcdef") == 0);
	CHECK(mpiwire_next(&b, &f) == 1 && f.type == MPIWIRE_GO && f.len == 0);
	const char *cmd;
	size_t clen;
	CHECK(mpiwire_next(&b, &f) == 1);
	CHECK_OK(mpiwire_get_run(&f, tok, sizeof(tok), &cmd, &clen));
	CHECK(strcmp(tok, "tok") == 0 && clen == strlen("orted -mca x \"y\"") &&
	      memcmp(cmd, "orted", 5) == 0);
	uint8_t stream;
	const uint8_t *data;
	size_t len;
	CHECK(mpiwire_next(&b, &f) == 1);
	CHECK_OK(mpiwire_get_out(&f, &u, &stream, &data, &len));
	CHECK(u == 3 && stream == MPIWIRE_STDERR && len == 6 && memcmp(data, "hello\n", 6) == 0);
	int32_t code, sig;
	CHECK(mpiwire_next(&b, &f) == 1);
	CHECK_OK(mpiwire_get_exit(&f, &u, &code, &sig));
	CHECK(u == MPIWIRE_NO_RANK && code == -2 && sig == 9);
	char text[8];
	CHECK(mpiwire_next(&b, &f) == 1 && f.type == MPIWIRE_ABORT);
	mpiwire_get_text(&f, text, sizeof(text));
	CHECK(strcmp(text, "the gan") == 0); /* cut to fit */
	CHECK(mpiwire_next(&b, &f) == 0 && mpiwire_pending(&b) == 0);
	/* A frame of the wrong kind does not decode as another. */
	mpiwire_put(&b, MPIWIRE_OUT, "abc", 3);
	CHECK(mpiwire_next(&b, &f) == 1);
	CHECK(mpiwire_get_out(&f, &u, &stream, &data, &len) == MOSAIC_EDECODE);
	CHECK(mpiwire_get_exit(&f, &u, &code, &sig) == MOSAIC_EDECODE);
	CHECK(mpiwire_get_run(&f, tok, sizeof(tok), &cmd, &clen) == MOSAIC_EDECODE);
	mpiwire_buf_fini(&b);
}

/* Bytes fed one at a time still give whole frames, in order. */
static void
test_split(void)
{
	mpiwire_buf src, dst;
	mpiwire_buf_init(&src);
	mpiwire_buf_init(&dst);
	for (uint32_t r = 0; r < 50; r++)
		mpiwire_put_exit(&src, r, (int32_t)r * 3, 0);
	uint32_t next = 0;
	for (size_t i = 0; i < src.len; i++) {
		dst.data = realloc(dst.data, dst.len + 1);
		dst.cap = dst.len + 1;
		dst.data[dst.len++] = src.data[i];
		mpiwire_frame f;
		while (mpiwire_next(&dst, &f) == 1) {
			uint32_t r;
			int32_t code, sig;
			CHECK_OK(mpiwire_get_exit(&f, &r, &code, &sig));
			CHECK(r == next && code == (int32_t)next * 3);
			next++;
		}
	}
	CHECK(next == 50);
	mpiwire_buf_fini(&src);
	mpiwire_buf_fini(&dst);
}

static void
test_bad_length(void)
{
	mpiwire_buf b;
	mpiwire_buf_init(&b);
	uint8_t zero[5] = {0, 0, 0, 0, 1};
	mpiwire_put(&b, 0, NULL, 0); /* makes room; then overwrite the frame */
	memcpy(b.data, zero, 5);
	mpiwire_frame f;
	CHECK(mpiwire_next(&b, &f) == -1);
	mpiwire_buf_fini(&b);
	mpiwire_buf_init(&b);
	uint8_t huge[5] = {0x7f, 0xff, 0xff, 0xff, 5};
	mpiwire_put(&b, 0, NULL, 0);
	memcpy(b.data, huge, 5);
	CHECK(mpiwire_next(&b, &f) == -1);
	mpiwire_buf_fini(&b);
}

/* 300 KiB of output: chunked into frames of at most 64 KiB, and carried
 * whole through a non-blocking socket pair smaller than the burst. */
static void
test_socket(void)
{
	size_t total = 300 * 1024;
	char *data = malloc(total);
	for (size_t i = 0; i < total; i++)
		data[i] = (char)('a' + i % 26);
	mpiwire_buf out, in;
	mpiwire_buf_init(&out);
	mpiwire_buf_init(&in);
	mpiwire_put_out(&out, 1, MPIWIRE_STDOUT, data, total);
	mpiwire_put_exit(&out, 1, 0, 0);
	int sv[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0);
	size_t got = 0, frames = 0;
	bool ended = false;
	for (int rounds = 0; rounds < 100000 && !ended; rounds++) {
		CHECK(mpiwire_flush(sv[0], &out) == 0);
		long n = mpiwire_fill(sv[1], &in);
		CHECK(n != -1 && n != 0);
		mpiwire_frame f;
		while (mpiwire_next(&in, &f) == 1) {
			uint32_t r;
			uint8_t s;
			const uint8_t *d;
			size_t len;
			int32_t c, sig;
			if (mpiwire_get_out(&f, &r, &s, &d, &len) == 0) {
				CHECK(len <= 64 * 1024 && memcmp(d, data + got, len) == 0);
				got += len;
				frames++;
			} else {
				CHECK(mpiwire_get_exit(&f, &r, &c, &sig) == 0);
				ended = true;
			}
		}
	}
	CHECK(ended && got == total && frames == 5);
	close(sv[0]);
	CHECK(mpiwire_fill(sv[1], &in) == 0); /* end of stream */
	close(sv[1]);
	mpiwire_buf_fini(&out);
	mpiwire_buf_fini(&in);
	free(data);
}

static void
test_tokens(void)
{
	char a[MPIWIRE_TOKEN_LEN + 1], b[MPIWIRE_TOKEN_LEN + 1];
	mpiwire_token(a);
	mpiwire_token(b);
	CHECK(strlen(a) == MPIWIRE_TOKEN_LEN && strcmp(a, b) != 0);
	CHECK(mpiwire_token_equal(a, a) && !mpiwire_token_equal(a, b));
	CHECK(!mpiwire_token_equal("", "") && !mpiwire_token_equal(a, "abc"));
}

/* A listener on loopback takes a connection from mpiwire_connect; a
 * refused port is retried until the timeout, with the reason. */
static void
test_connect(void)
{
	char err[256];
	uint16_t port = 0;
	int l = mpiwire_listen("127.0.0.1", 0, &port, err, sizeof(err));
	CHECK(l >= 0 && port != 0);
	char addr[64];
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", port);
	int c = mpiwire_connect(addr, 2, err, sizeof(err));
	CHECK(c >= 0);
	struct pollfd p = {.fd = l, .events = POLLIN};
	CHECK(poll(&p, 1, 2000) == 1);
	int a = accept(l, NULL, NULL);
	CHECK(a >= 0);
	close(a);
	close(c);
	close(l);
	double t0 = mosaic_mono_now();
	CHECK(mpiwire_connect(addr, 0.3, err, sizeof(err)) == -1);
	CHECK(mosaic_mono_now() - t0 >= 0.25 && strstr(err, "refused") != NULL);
	CHECK(mpiwire_connect("nohostport", 1, err, sizeof(err)) == -1 && strstr(err, "host:port"));
}

int
main(void)
{
	test_roundtrip();
	test_split();
	test_bad_length();
	test_socket();
	test_tokens();
	test_connect();
	return check_done();
}
