// SHA-256 compression with the x86 SHA extensions (FIPS 180-4; Intel SHA extensions reference).
// The portable implementation lives in Swift (SHA256Digest); this file only speeds up the block
// function on CPUs that have the instructions, and is compared with the portable one in the tests.
#include "sha256_blocks.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>

int leadscore_sha256_hardware(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int ssse3 = (c >> 9) & 1, sse41 = (c >> 19) & 1;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    int sha = (b >> 29) & 1;
    return ssse3 && sse41 && sha;
}

__attribute__((target("sha,sse4.1,ssse3")))
void leadscore_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks,
                             const uint32_t round_constants[64]) {
    // The instructions keep the state as two registers: (A, B, E, F) and (C, D, G, H), first
    // letter in the highest lane.
    __m128i low = _mm_loadu_si128((const __m128i *)&state[0]);   // lanes A B C D
    __m128i high = _mm_loadu_si128((const __m128i *)&state[4]);  // lanes E F G H
    low = _mm_shuffle_epi32(low, 0xB1);                          // B A D C
    high = _mm_shuffle_epi32(high, 0x1B);                        // H G F E
    __m128i abef = _mm_alignr_epi8(low, high, 8);                // F E B A
    __m128i cdgh = _mm_blend_epi16(high, low, 0xF0);             // H G D C
    // Big-endian words: reverse the bytes inside each 32-bit lane.
    const __m128i byteswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);

    for (size_t block = 0; block < blocks; block++, data += 64) {
        const __m128i abef_start = abef, cdgh_start = cdgh;
        __m128i w[4];
        for (int group = 0; group < 16; group++) {
            __m128i words;
            if (group < 4) {
                words = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 16 * group)), byteswap);
            } else {
                // W[t..t+3] from W[t-16..t-13], W[t-15..t-12] (σ0), W[t-7..t-4] and W[t-2], W[t-1] (σ1).
                __m128i sum = _mm_sha256msg1_epu32(w[group & 3], w[(group + 1) & 3]);
                sum = _mm_add_epi32(sum, _mm_alignr_epi8(w[(group + 3) & 3], w[(group + 2) & 3], 4));
                words = _mm_sha256msg2_epu32(sum, w[(group + 3) & 3]);
            }
            w[group & 3] = words;
            __m128i wk = _mm_add_epi32(words, _mm_loadu_si128((const __m128i *)&round_constants[4 * group]));
            cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);
            abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(wk, 0x0E));
        }
        abef = _mm_add_epi32(abef, abef_start);
        cdgh = _mm_add_epi32(cdgh, cdgh_start);
    }

    __m128i feba = _mm_shuffle_epi32(abef, 0x1B);                // A B E F
    __m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1);                // G H C D
    _mm_storeu_si128((__m128i *)&state[0], _mm_blend_epi16(feba, dchg, 0xF0));  // A B C D
    _mm_storeu_si128((__m128i *)&state[4], _mm_alignr_epi8(dchg, feba, 8));     // E F G H
}

#else

int leadscore_sha256_hardware(void) { return 0; }
void leadscore_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks,
                             const uint32_t round_constants[64]) {
    (void)state; (void)data; (void)blocks; (void)round_constants;
}

#endif
