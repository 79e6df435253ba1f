/* wire_poke - sends deliberately bad traffic to a Mosaic daemon, for the
 * integration tests that check bad input changes nothing:
 *   wire_poke ADDR garbage     bytes that are no envelope
 *   wire_poke ADDR payloads    an envelope of every known type whose payload is junk
 *   wire_poke ADDR unknown     a valid envelope of an unknown type
 *   wire_poke ADDR oversize    a message over the 4 MiB limit
 *   wire_poke ADDR tcpjunk     raw bytes on the TCP port (no SP handshake)
 * Exits 0 once everything was handed to the network. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/pipeline0/push.h>

#include "mosaic.pb-c.h"

static int
send_env(nng_socket s, uint32_t type, const void *payload, size_t len)
{
	Mosaic__Envelope env = MOSAIC__ENVELOPE__INIT;
	env.type = type;
	env.from = "tcp://127.0.0.1:1";
	env.has_payload = 1;
	env.payload.data = (uint8_t *)payload;
	env.payload.len = len;
	size_t n = mosaic__envelope__get_packed_size(&env);
	uint8_t *buf = malloc(n);
	mosaic__envelope__pack(&env, buf);
	int rv = nng_send(s, buf, n, 0);
	free(buf);
	return rv;
}

static int
tcp_junk(const char *addr)
{
	const char *colon = strrchr(addr, ':');
	if (strncmp(addr, "tcp://127.", 10) != 0 || !colon)
		return 2;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1))};
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		return 1;
	const char junk[] = "GET / HTTP/1.0\r\n\r\n\x00\xff\xfe garbage garbage";
	ssize_t w = write(fd, junk, sizeof(junk));
	close(fd);
	return w > 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: wire_poke ADDR garbage|payloads|unknown|oversize|tcpjunk\n");
		return 2;
	}
	const char *addr = argv[1], *what = argv[2];
	if (strcmp(what, "tcpjunk") == 0)
		return tcp_junk(addr);
	nng_socket s;
	if (nng_push0_open(&s) != 0 || nng_dial(s, addr, NULL, 0) != 0) {
		fprintf(stderr, "wire_poke: cannot reach %s\n", addr);
		return 1;
	}
	int rv = 0;
	if (strcmp(what, "garbage") == 0) {
		for (int i = 0; i < 50; i++) {
			char junk[64];
			for (size_t j = 0; j < sizeof(junk); j++)
				junk[j] = (char)(rand() & 0xff);
			rv |= nng_send(s, junk, (size_t)(1 + i), 0);
		}
	} else if (strcmp(what, "payloads") == 0) {
		const uint8_t junk[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x12, 0x99};
		for (const ProtobufCEnumValue *v = mosaic__message_type__descriptor.values;
		     v < mosaic__message_type__descriptor.values + mosaic__message_type__descriptor.n_values; v++)
			rv |= send_env(s, (uint32_t)v->value, junk, sizeof(junk));
	} else if (strcmp(what, "unknown") == 0) {
		rv = send_env(s, 65000, "x", 1);
	} else if (strcmp(what, "oversize") == 0) {
		size_t n = (4u << 20) + 1000;
		char *big = calloc(1, n);
		rv = nng_send(s, big, n, 0);
		free(big);
	} else {
		fprintf(stderr, "wire_poke: unknown action '%s'\n", what);
		return 2;
	}
	/* Give nng's sender a moment to put the bytes on the wire before close. */
	usleep(300 * 1000);
	nng_close(s);
	return rv ? 1 : 0;
}
