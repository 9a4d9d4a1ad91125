#ifndef LEADSCORE_SHA256_BLOCKS_H
#define LEADSCORE_SHA256_BLOCKS_H

#include <stddef.h>
#include <stdint.h>

/// 1 when this CPU has the SHA extensions (and SSSE3/SSE4.1) that leadscore_sha256_blocks uses.
int leadscore_sha256_hardware(void);

/// Runs the SHA-256 compression function over `blocks` 64-byte blocks of `data`, updating the
/// eight state words `state` (A..H, host order), with the 64 round constants of FIPS 180-4 (the
/// caller's table, so there is one). Call only when leadscore_sha256_hardware() is 1.
void leadscore_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks,
                             const uint32_t round_constants[64]);

#endif
