/* The decode-step kernels of cpu_kernels.c for x86-64 CPUs with AVX2 and FMA (built and loaded by cpu_kernels.py):
   the same functions, arguments and packed weight layout, on 256-bit vectors.

   Built with -mavxvnni (AVX-VNNI, __AVXVNNI__), the integer dot products are vpdpbusd as in the AVX-512 build;
   without it, vpmaddubsw + vpmaddwd compute the same sums. vpmaddubsw adds pairs of u * a in 16 bits, which is
   exact for 4-bit u (2 * 15 * 127 < 2^15) but not for 8-bit u, so an 8-bit block is split into its nibbles:
   u.a = 16 * (u >> 4).a + (u & 15).a.

   A tile of 16 output columns is two halves of 8 (bytes 32h..32h+31 of each 64-byte vector of the layout hold
   columns 8h..8h+7), and rows go in groups of up to 4 (16 registers). bfloat16 is converted with shifts and rounded
   to nearest even, as vcvtneps2bf16 does. */
#include <immintrin.h>
#include <math.h>
#include <stdint.h>

#define BLOCK 32
/* software prefetch distance for the weights, as in cpu_kernels.c */
#ifndef PREFETCH_BYTES
#define PREFETCH_BYTES 2048
#endif
#define MAX_ROWS 4

static inline __m256 load_bf16(const uint16_t *p) {
    __m128i h = _mm_loadu_si128((const __m128i *)p);
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

/* float32 -> bfloat16 bits in the low half of each 32-bit lane, rounded to nearest even */
static inline __m256i bf16_bits(__m256 v) {
    __m256i i = _mm256_castps_si256(v);
    __m256i odd = _mm256_and_si256(_mm256_srli_epi32(i, 16), _mm256_set1_epi32(1));
    return _mm256_srli_epi32(_mm256_add_epi32(i, _mm256_add_epi32(odd, _mm256_set1_epi32(0x7FFF))), 16);
}

static inline void store_bf16(uint16_t *p, __m256 v) {
    __m256i b = bf16_bits(v);
    _mm_storeu_si128((__m128i *)p, _mm_packus_epi32(_mm256_castsi256_si128(b), _mm256_extracti128_si256(b, 1)));
}

static inline __m256 round_bf16(__m256 v) { return _mm256_castsi256_ps(_mm256_slli_epi32(bf16_bits(v), 16)); }

static inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}

static inline float hmax(__m256 v) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_max_ss(s, _mm_movehdup_ps(s)));
}

static inline int hsum_i32(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
    return _mm_cvtsi128_si32(_mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1))));
}

/* four vectors of 8 int32 (each within -127..127) -> 32 int8 in order */
static inline void store_i8(int8_t *out, const __m256i *q) {
    __m256i bytes = _mm256_packs_epi16(_mm256_packs_epi32(q[0], q[1]), _mm256_packs_epi32(q[2], q[3]));
    bytes = _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    _mm256_storeu_si256((__m256i *)out, bytes);
}

/* as in cpu_kernels.c: x [M, K] -> int8 a, block scales dx and dx * sum(a) (two passes: x ~= dx (a + a2 / 256)) */
static void quantize_rows(int M, int K, int passes, const uint16_t *x, int8_t *a, float *dx, float *sx) {
    const int G = K / BLOCK;
    const __m256 magnitude = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
    for (int r = 0; r < M; r++) {
        for (int g = 0; g < G; g++) {
            const uint16_t *p = x + (long)r * K + g * BLOCK;
            __m256 v[4];
            for (int i = 0; i < 4; i++) v[i] = load_bf16(p + 8 * i);
            __m256 top = _mm256_max_ps(_mm256_max_ps(_mm256_and_ps(v[0], magnitude), _mm256_and_ps(v[1], magnitude)),
                                       _mm256_max_ps(_mm256_and_ps(v[2], magnitude), _mm256_and_ps(v[3], magnitude)));
            float amax = hmax(top);
            float d = amax / 127.0f, id = amax > 0.0f ? 127.0f / amax : 0.0f;
            __m256i q[4];
            for (int i = 0; i < 4; i++) q[i] = _mm256_cvtps_epi32(_mm256_mul_ps(v[i], _mm256_set1_ps(id)));
            float sum = (float)hsum_i32(_mm256_add_epi32(_mm256_add_epi32(q[0], q[1]), _mm256_add_epi32(q[2], q[3])));
            int8_t *out = a + (long)r * K + g * BLOCK;
            store_i8(out, q);
            if (passes == 2) {
                const __m256 fine = _mm256_set1_ps(256.0f * id), step = _mm256_set1_ps(d);
                __m256i e[4];
                for (int i = 0; i < 4; i++) {
                    e[i] = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_fnmadd_ps(_mm256_cvtepi32_ps(q[i]), step, v[i]), fine));
                    e[i] = _mm256_max_epi32(_mm256_min_epi32(e[i], _mm256_set1_epi32(127)), _mm256_set1_epi32(-127));
                }
                sum += (float)hsum_i32(_mm256_add_epi32(_mm256_add_epi32(e[0], e[1]), _mm256_add_epi32(e[2], e[3])))
                       / 256.0f;
                store_i8(out + (long)M * K, e);
            }
            dx[r * G + g] = d;
            sx[r * G + g] = d * sum;
        }
    }
}

/* acc + the 4-byte dot products of u (unsigned, each pair of products below 2^15 without AVX-VNNI) and a */
static inline __m256i dot4(__m256i acc, __m256i u, __m256i a) {
#ifdef __AVXVNNI__
    return _mm256_dpbusd_avx_epi32(acc, u, a);
#else
    return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(u, a), _mm256_set1_epi16(1)));
#endif
}

/* dot[r] += sum over the block's 32 inputs of u * a for rows 0..M-1 (a: row 0's block; rows K apart) */
static inline __attribute__((always_inline)) void block_dot(const int M, const __m256i *u, const int8_t *a, long K,
                                                            __m256i *dot) {
#pragma GCC unroll 8
    for (int j = 0; j < 8; j++) {
#pragma GCC unroll 4
        for (int r = 0; r < M; r++) dot[r] = dot4(dot[r], u[j], _mm256_set1_epi32(((const int32_t *)(a + r * K))[j]));
    }
}

/* the same for 8-bit u: whole bytes with AVX-VNNI, else the two nibbles (16 * high.a + low.a) */
static inline __attribute__((always_inline)) void block_dot8(const int M, const __m256i *u, const int8_t *a, long K,
                                                             __m256i *dot) {
#ifdef __AVXVNNI__
    block_dot(M, u, a, K, dot);
#else
    const __m256i nibble = _mm256_set1_epi8(0x0F);
    __m256i high[8], low[8], part[MAX_ROWS];
    for (int j = 0; j < 8; j++) {
        low[j] = _mm256_and_si256(u[j], nibble);
        high[j] = _mm256_and_si256(_mm256_srli_epi16(u[j], 4), nibble);
    }
    for (int r = 0; r < M; r++) part[r] = _mm256_setzero_si256();
    block_dot(M, high, a, K, part);
    for (int r = 0; r < M; r++) dot[r] = _mm256_add_epi32(dot[r], _mm256_slli_epi32(part[r], 4));
    block_dot(M, low, a, K, dot);
#endif
}

/* rows 0..M-1 (M <= 4, a compile-time constant after inlining) of y = x W^T, output tiles t0..t1-1 (columns 16 t0 .. 16 t1 - 1) */
static inline __attribute__((always_inline)) void qgemm_rows(
        const int M, const int bits, const int passes, int K, int N, int t0, int t1, const int8_t *a,
        long fine_offset, int accumulate, const float *dx, const float *sx,
        const uint8_t *w, const uint16_t *dw, const uint16_t *mw, uint16_t *y) {
    const int G = K / BLOCK, tile_bytes = bits == 4 ? 256 : 512;
    const __m256i nibble = _mm256_set1_epi8(0x0F);
    for (int t = t0; t < t1; t++) {
        for (int half = 0; half < 2; half++) {
            __m256 acc[MAX_ROWS];
            for (int r = 0; r < M; r++) acc[r] = _mm256_setzero_ps();
            const uint8_t *wt = w + (long)t * G * tile_bytes + 32 * half;
            const uint16_t *dwt = dw + (long)t * G * 16 + 8 * half, *mwt = mw + (long)t * G * 16 + 8 * half;
            for (int g = 0; g < G; g++) {
                __m256i u[8], dot[MAX_ROWS];
                const uint8_t *wg = wt + (long)g * tile_bytes;
#if PREFETCH_BYTES
                if (half == 0) {  /* the weights a few blocks ahead (the second half finds them in cache) */
                    for (int line = 0; line < tile_bytes; line += 64)
                        _mm_prefetch((const char *)(wg + PREFETCH_BYTES + line), _MM_HINT_T0);
                    if ((g & 1) == 0) {
                        _mm_prefetch((const char *)(dwt + g * 16 + PREFETCH_BYTES / 8), _MM_HINT_T0);
                        _mm_prefetch((const char *)(mwt + g * 16 + PREFETCH_BYTES / 8), _MM_HINT_T0);
                    }
                }
#endif
                const int8_t *ag = a + g * BLOCK;
                for (int r = 0; r < M; r++) dot[r] = _mm256_setzero_si256();
                if (bits == 4) {
                    for (int p = 0; p < 4; p++) {
                        __m256i z = _mm256_loadu_si256((const __m256i *)(wg + 64 * p));
                        u[p] = _mm256_and_si256(z, nibble);
                        u[p + 4] = _mm256_and_si256(_mm256_srli_epi16(z, 4), nibble);
                    }
                    block_dot(M, u, ag, K, dot);
                    if (passes == 2) {  /* dot = 256 * u.a + u.a2 */
                        for (int r = 0; r < M; r++) dot[r] = _mm256_slli_epi32(dot[r], 8);
                        block_dot(M, u, ag + fine_offset, K, dot);
                    }
                } else {
                    for (int j = 0; j < 8; j++) u[j] = _mm256_loadu_si256((const __m256i *)(wg + 64 * j));
                    block_dot8(M, u, ag, K, dot);
                    if (passes == 2) {
                        for (int r = 0; r < M; r++) dot[r] = _mm256_slli_epi32(dot[r], 8);
                        block_dot8(M, u, ag + fine_offset, K, dot);
                    }
                }
                __m256 scale = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(dwt + g * 16)));
                __m256 low = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(mwt + g * 16)));
                if (passes == 2) scale = _mm256_mul_ps(scale, _mm256_set1_ps(1.0f / 256));
                for (int r = 0; r < M; r++) {
                    acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot[r]),
                                             _mm256_mul_ps(scale, _mm256_set1_ps(dx[r * G + g])), acc[r]);
                    acc[r] = _mm256_fmadd_ps(low, _mm256_set1_ps(sx[r * G + g]), acc[r]);
                }
            }
            for (int r = 0; r < M; r++) {
                uint16_t *yr = y + (long)r * N + t * 16 + 8 * half;
                store_bf16(yr, accumulate ? _mm256_add_ps(acc[r], load_bf16(yr)) : acc[r]);
            }
        }
    }
}

#define MAX_GROUP 8
#define HEAD_DIM 64

/* the element-wise kernels (exp, RMSNorm, RoPE with the cache write, SiLU x up) on 8 lanes */
#define VEC __m256
#define LANES 8
#define V_SET1 _mm256_set1_ps
#define V_ZERO _mm256_setzero_ps
#define V_ADD _mm256_add_ps
#define V_SUB _mm256_sub_ps
#define V_MUL _mm256_mul_ps
#define V_DIV _mm256_div_ps
#define V_MIN _mm256_min_ps
#define V_MAX _mm256_max_ps
#define V_FMADD _mm256_fmadd_ps
#define V_FNMADD _mm256_fnmadd_ps
#define V_HSUM hsum
#define V_ROUND(y) _mm256_round_ps(y, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define V_POW2(p, n) _mm256_mul_ps(p, _mm256_castsi256_ps(_mm256_slli_epi32( \
    _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23)))
#include "cpu_kernels_vector.h"

/* lane i of the result is the sum of the 8 lanes of v[i] */
static inline __m256 sum8(const __m256 *v) {
    __m256 a = _mm256_hadd_ps(_mm256_hadd_ps(v[0], v[1]), _mm256_hadd_ps(v[2], v[3]));
    __m256 b = _mm256_hadd_ps(_mm256_hadd_ps(v[4], v[5]), _mm256_hadd_ps(v[6], v[7]));
    return _mm256_add_ps(_mm256_permute2f128_ps(a, b, 0x20), _mm256_permute2f128_ps(a, b, 0x31));
}

/* one key/value head of one row, as in cpu_kernels.c, 8 keys at a time */
static inline __attribute__((always_inline)) void attend(
        const int group, int n, int capacity, const uint16_t *qh, const uint16_t *kh, const uint16_t *vh,
        float scale, float *scores, uint16_t *out) {
    const int blocks = (n + 7) / 8;
    __m256 qf[MAX_GROUP][8];
    for (int g = 0; g < group; g++)
        for (int i = 0; i < 8; i++) qf[g][i] = load_bf16(qh + g * HEAD_DIM + 8 * i);
    __m256 best[MAX_GROUP];
    for (int g = 0; g < group; g++) best[g] = _mm256_set1_ps(-INFINITY);
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    for (int b = 0; b < blocks; b++) {
        __m256 part[MAX_GROUP][8];
        for (int j = 0; j < 8; j++) {
            const uint16_t *kj = kh + (long)(b * 8 + j) * HEAD_DIM;
            __m256 k[8];
            for (int i = 0; i < 8; i++) k[i] = load_bf16(kj + 8 * i);
            for (int g = 0; g < group; g++) {
                __m256 s = _mm256_mul_ps(qf[g][0], k[0]);
                for (int i = 1; i < 8; i++) s = _mm256_fmadd_ps(qf[g][i], k[i], s);
                part[g][j] = s;
            }
        }
        __m256 live = _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32(n - b * 8), lane));
        for (int g = 0; g < group; g++) {
            __m256 s = _mm256_blendv_ps(_mm256_set1_ps(-INFINITY),
                                        _mm256_mul_ps(sum8(part[g]), _mm256_set1_ps(scale)), live);
            _mm256_storeu_ps(scores + (long)g * capacity + b * 8, s);
            best[g] = _mm256_max_ps(best[g], s);
        }
    }
    float inverse[MAX_GROUP];
    for (int g = 0; g < group; g++) {
        float *sg = scores + (long)g * capacity;
        __m256 top = _mm256_set1_ps(hmax(best[g])), total = _mm256_setzero_ps();
        for (int b = 0; b < blocks; b++) {
            __m256 e = exp_ps(_mm256_sub_ps(_mm256_loadu_ps(sg + b * 8), top));
            _mm256_storeu_ps(sg + b * 8, e);
            total = _mm256_add_ps(total, e);
        }
        inverse[g] = 1.0f / hsum(total);
    }
    for (int d = 0; d < HEAD_DIM; d += 32) {  /* half of the value vector at a time: 4 + 4 * group registers */
        __m256 acc[MAX_GROUP][4];
        for (int g = 0; g < group; g++)
            for (int i = 0; i < 4; i++) acc[g][i] = _mm256_setzero_ps();
        for (int j = 0; j < n; j++) {
            const uint16_t *vj = vh + (long)j * HEAD_DIM + d;
            __m256 v0 = load_bf16(vj), v1 = load_bf16(vj + 8), v2 = load_bf16(vj + 16), v3 = load_bf16(vj + 24);
            for (int g = 0; g < group; g++) {
                __m256 p = _mm256_broadcast_ss(scores + (long)g * capacity + j);
                acc[g][0] = _mm256_fmadd_ps(p, v0, acc[g][0]);
                acc[g][1] = _mm256_fmadd_ps(p, v1, acc[g][1]);
                acc[g][2] = _mm256_fmadd_ps(p, v2, acc[g][2]);
                acc[g][3] = _mm256_fmadd_ps(p, v3, acc[g][3]);
            }
        }
        for (int g = 0; g < group; g++)
            for (int i = 0; i < 4; i++)
                store_bf16(out + g * HEAD_DIM + d + 8 * i, _mm256_mul_ps(acc[g][i], _mm256_set1_ps(inverse[g])));
    }
}

#include "cpu_kernels_entry.h"
