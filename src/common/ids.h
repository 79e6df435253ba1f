/* ids.h - identifiers and uuids. */
#ifndef MOSAIC_IDS_H
#define MOSAIC_IDS_H

#include <stddef.h>
#include <stdint.h>

#define MOSAIC_ID_MAX 64
#define MOSAIC_UUID_LEN 16

/* id_new writes "<prefix>-<8 hex of time>-<8 random hex>" into buf (at
 * least MOSAIC_ID_MAX bytes); returns buf. Unique across restarts. */
char *id_new(char *buf, const char *prefix);
/* uuid_new fills 16 random bytes. */
void uuid_new(uint8_t out[MOSAIC_UUID_LEN]);
/* uuid_format writes 32 hex characters and a NUL into buf (>= 33 bytes). */
char *uuid_format(const uint8_t *uuid, size_t len, char *buf);
/* id_valid: 1..63 characters of [A-Za-z0-9._-]. Ids name directories on
 * agents, so nothing else is accepted from the wire. */
int id_valid(const char *id);

#endif
