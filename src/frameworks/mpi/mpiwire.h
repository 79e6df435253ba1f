/* mpiwire.h - the byte protocol between mmpirun, its proxies (one per gang
 * task, mosaic-mpi-proxy) and OpenMPI's launch agent (mosaic-mpi-rsh).
 *
 * Plain TCP, not the messenger, for three reasons: what travels is mostly
 * the ranks' output, a byte stream that must not be lost - TCP's flow
 * control slows a chatty rank down where the messenger's bounded queues
 * would drop; the launch agent is a short-lived blocking client that
 * mpirun forks per host, for which a loop and a listening address of its
 * own (the messenger's one-way model) would be pure cost; and the proxy
 * forks ranks and orted, which nng does not survive (DESIGN §9).
 *
 * A frame is a 4-byte big-endian length L (type and payload, 1..
 * MPIWIRE_MAX_FRAME), a type byte and L-1 bytes of payload:
 *   HELLO  proxy -> mmpirun   u32 place, then the job's token
 *   GO     mmpirun -> proxy   (empty) every proxy said hello: start
 *   ABORT  mmpirun -> proxy   a reason: kill everything and exit
 *   RUN    rsh -> proxy       the token, NUL, a shell command (orted's)
 *   OUT    proxy -> mmpirun/rsh  u32 rank, u8 stream (1 out, 2 err), bytes
 *   EXIT   proxy -> mmpirun/rsh  u32 rank, i32 exit code, i32 signal
 *   ERROR  proxy -> mmpirun/rsh  a message; the sender closes after it
 * In OUT and EXIT, rank MPIWIRE_NO_RANK means the command a RUN started.
 *
 * Buffers are plain growable byte arrays; the helpers never block unless
 * they say so. Not thread-safe; no globals. */
#ifndef MOSAIC_MPI_MPIWIRE_H
#define MOSAIC_MPI_MPIWIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MPIWIRE_MAX_FRAME (1u << 20)
#define MPIWIRE_NO_RANK UINT32_MAX
#define MPIWIRE_TOKEN_LEN 32 /* hex characters */

enum mpiwire_type {
	MPIWIRE_HELLO = 1,
	MPIWIRE_GO = 2,
	MPIWIRE_ABORT = 3,
	MPIWIRE_RUN = 4,
	MPIWIRE_OUT = 5,
	MPIWIRE_EXIT = 6,
	MPIWIRE_ERROR = 7,
};

enum mpiwire_stream { MPIWIRE_STDOUT = 1, MPIWIRE_STDERR = 2 };

typedef struct mpiwire_buf {
	uint8_t *data;
	size_t off; /* consumed bytes at the front */
	size_t len; /* bytes held, from data[0] (off..len unconsumed) */
	size_t cap;
} mpiwire_buf;

/* A frame parsed in place: payload points into the buffer and stays valid
 * until the buffer is next written to. */
typedef struct mpiwire_frame {
	uint8_t type;
	const uint8_t *payload;
	size_t len;
} mpiwire_frame;

void mpiwire_buf_init(mpiwire_buf *b);
void mpiwire_buf_fini(mpiwire_buf *b);
/* Bytes not yet consumed. */
size_t mpiwire_pending(const mpiwire_buf *b);

/* Appending frames (payloads over MPIWIRE_MAX_FRAME - 16 are cut: OUT
 * callers split their data first, see mpiwire_put_out). */
void mpiwire_put(mpiwire_buf *b, uint8_t type, const void *payload, size_t len);
void mpiwire_put_hello(mpiwire_buf *b, uint32_t place, const char *token);
void mpiwire_put_run(mpiwire_buf *b, const char *token, const char *command);
/* OUT frames of at most 64 KiB of data each. */
void mpiwire_put_out(mpiwire_buf *b, uint32_t rank, uint8_t stream, const void *data, size_t len);
void mpiwire_put_exit(mpiwire_buf *b, uint32_t rank, int32_t code, int32_t signo);
void mpiwire_put_text(mpiwire_buf *b, uint8_t type, const char *text);

/* mpiwire_next takes the next whole frame off b: 1 (f filled), 0 (need
 * more bytes), -1 (a length out of range: the peer is not speaking this
 * protocol; drop the connection). */
int mpiwire_next(mpiwire_buf *b, mpiwire_frame *f);

/* Payload decoders: MOSAIC_OK, or MOSAIC_EDECODE when the payload is
 * malformed. Strings are copied into the caller's buffers (cut to fit,
 * NUL-terminated); data pointers point into the frame. */
int mpiwire_get_hello(const mpiwire_frame *f, uint32_t *place, char *token, size_t tlen);
/* RUN: *command points into the frame: clen bytes, not NUL-terminated. */
int mpiwire_get_run(const mpiwire_frame *f, char *token, size_t tlen, const char **command, size_t *clen);
int mpiwire_get_out(const mpiwire_frame *f, uint32_t *rank, uint8_t *stream, const uint8_t **data,
                    size_t *len);
int mpiwire_get_exit(const mpiwire_frame *f, uint32_t *rank, int32_t *code, int32_t *signo);
/* Text payloads (ABORT, ERROR) as a string, cut to len - 1. */
void mpiwire_get_text(const mpiwire_frame *f, char *out, size_t len);

/* ---- sockets (the only part here that does I/O) ---- */

/* mpiwire_fill reads what fd has now into b (at most 256 KiB a call):
 * bytes read (> 0), 0 at end of stream, -1 on an error (errno kept),
 * -2 when nothing is there now (EAGAIN). */
long mpiwire_fill(int fd, mpiwire_buf *b);
/* mpiwire_flush writes what it can of b's unconsumed bytes: 0 (all
 * written, or the rest must wait: check mpiwire_pending), -1 on an error. */
int mpiwire_flush(int fd, mpiwire_buf *b);

/* mpiwire_listen: a non-blocking listening socket on host:port (port 0:
 * any; *bound gets the port). -1 with the reason in err. */
int mpiwire_listen(const char *host, uint16_t port, uint16_t *bound, char *err, size_t errlen);
/* mpiwire_connect: a blocking connect to "host:port", retried while
 * refused (after 1 ms, then doubling to every 20 ms) until timeout seconds
 * have passed. The socket returned is
 * blocking, close-on-exec. -1 with the reason in err. */
int mpiwire_connect(const char *hostport, double timeout, char *err, size_t errlen);
/* mpiwire_token: a fresh random token of MPIWIRE_TOKEN_LEN hex characters
 * (buf: at least MPIWIRE_TOKEN_LEN + 1 bytes). */
char *mpiwire_token(char *buf);
/* Constant-time comparison of two tokens. */
bool mpiwire_token_equal(const char *a, const char *b);

#endif
