/* Decode-step kernels for x86 CPUs with AVX-512 VNNI, with or without AVX-512 BF16 (built and loaded by
   cpu_kernels.py; built with -mavx512bf16 it uses the BF16 instructions, without, the same arithmetic in float32).
   cpu_kernels_avx2.c is the same set for AVX2 CPUs.

   qgemm: y = x W^T for a few rows x (bfloat16) and W in blocks of 32 inputs, the way llama.cpp computes a GGUF
   Q4_1 x Q8_1 (or Q8_0 x Q8_0) dot product: each row's 32-value block of x is quantized to int8 with its own scale,
   the integer products are summed by vpdpbusd (64 multiply-adds per instruction), and each block's sum is scaled
   in float32. A weight block is w = dw * u + mw with u unsigned (0..15 for 4-bit, 0..255 for 8-bit), so
       sum_k w_k x_k ~= dw * dx * sum_k u_k a_k + mw * (dx * sum_k a_k).
   Weights are packed in tiles of 16 output columns: per tile and block, 8 vectors of 64 bytes where byte 4c+b of
   vector j is u[column c][4j+b] (4-bit: vector p holds quads p and p+4 as low and high nibbles, 256 bytes).
   dw and mw are float16 (as GGUF stores them), 16 per tile and block.

   decode_attention: one query token per row against that row's cached keys and values (bfloat16, the runner's
   pool layout [rows, kv_heads, capacity, head_dim]); the query heads sharing a key/value head are computed
   together so each key and value is read once. Scores in float32, softmax in float32. */
#include <immintrin.h>
#include <math.h>
#include <stdint.h>

#define BLOCK 32
#define MAX_ROWS 8
/* weights are read this far ahead with software prefetches: a decode step streams every weight once, and the
   hardware prefetcher alone left a one-row product waiting on memory (kernel benchmark, 4-bit 3072x576 and
   576x1536 products cycling through 80 matrices: 1 row 83 -> 48 us, 8 rows 158 -> 124 us at 2 KB ahead; 1 and
   4 KB were slower) */
#ifndef PREFETCH_BYTES
#define PREFETCH_BYTES 2048
#endif

static inline __m512 load_bf16(const uint16_t *p) {
    __m256i h = _mm256_loadu_si256((const __m256i *)p);
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

#ifdef __AVX512BF16__
static inline void store_bf16(uint16_t *p, __m512 v) {
    __m256bh b = _mm512_cvtneps_pbh(v);
    _mm256_storeu_si256((__m256i *)p, (__m256i)b);
}

static inline __m512 round_bf16(__m512 v) { return _mm512_cvtpbh_ps(_mm512_cvtneps_pbh(v)); }
#else
/* float32 -> bfloat16 bits (in the low half of each 32-bit lane), rounding to nearest even as vcvtneps2bf16 does */
static inline __m512i bf16_bits(__m512 v) {
    __m512i i = _mm512_castps_si512(v);
    __m512i odd = _mm512_and_si512(_mm512_srli_epi32(i, 16), _mm512_set1_epi32(1));
    return _mm512_srli_epi32(_mm512_add_epi32(i, _mm512_add_epi32(odd, _mm512_set1_epi32(0x7FFF))), 16);
}

static inline void store_bf16(uint16_t *p, __m512 v) {
    _mm256_storeu_si256((__m256i *)p, _mm512_cvtepi32_epi16(bf16_bits(v)));
}

static inline __m512 round_bf16(__m512 v) { return _mm512_castsi512_ps(_mm512_slli_epi32(bf16_bits(v), 16)); }
#endif

/* x [M, K] bfloat16 -> a [M, K] int8, dx [M, K/32] and sx = dx * sum(a) per block. With two passes, the
   rounding error of each block is quantized again on a 256 times finer scale into a[M*K + ...], and
   dx * sum(a) + dx / 256 * sum(a2) goes to sx: x ~= dx * (a + a2 / 256). */
static void quantize_rows(int M, int K, int passes, const uint16_t *x, int8_t *a, float *dx, float *sx) {
    const int G = K / BLOCK;
    for (int r = 0; r < M; r++) {
        for (int g = 0; g < G; g++) {
            const uint16_t *p = x + (long)r * K + g * BLOCK;
            __m512 v0 = load_bf16(p), v1 = load_bf16(p + 16);
            float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(v0), _mm512_abs_ps(v1)));
            float d = amax / 127.0f, id = amax > 0.0f ? 127.0f / amax : 0.0f;
            __m512i q0 = _mm512_cvtps_epi32(_mm512_mul_ps(v0, _mm512_set1_ps(id)));
            __m512i q1 = _mm512_cvtps_epi32(_mm512_mul_ps(v1, _mm512_set1_ps(id)));
            float sum = (float)_mm512_reduce_add_epi32(_mm512_add_epi32(q0, q1));
            int8_t *out = a + (long)r * K + g * BLOCK;
            _mm_storeu_si128((__m128i *)out, _mm512_cvtsepi32_epi8(q0));
            _mm_storeu_si128((__m128i *)(out + 16), _mm512_cvtsepi32_epi8(q1));
            if (passes == 2) {
                __m512 fine = _mm512_set1_ps(256.0f * id), step = _mm512_set1_ps(d);
                __m512i e0 = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_fnmadd_ps(_mm512_cvtepi32_ps(q0), step, v0), fine));
                __m512i e1 = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_fnmadd_ps(_mm512_cvtepi32_ps(q1), step, v1), fine));
                e0 = _mm512_max_epi32(_mm512_min_epi32(e0, _mm512_set1_epi32(127)), _mm512_set1_epi32(-127));
                e1 = _mm512_max_epi32(_mm512_min_epi32(e1, _mm512_set1_epi32(127)), _mm512_set1_epi32(-127));
                sum += (float)_mm512_reduce_add_epi32(_mm512_add_epi32(e0, e1)) / 256.0f;
                _mm_storeu_si128((__m128i *)(out + (long)M * K), _mm512_cvtsepi32_epi8(e0));
                _mm_storeu_si128((__m128i *)(out + (long)M * K + 16), _mm512_cvtsepi32_epi8(e1));
            }
            dx[r * G + g] = d;
            sx[r * G + g] = d * sum;
        }
    }
}

/* rows r0..r0+M-1 (M <= 8, a compile-time constant after inlining) of y = x W^T, output tiles t0..t1-1 (columns 16 t0 .. 16 t1 - 1) */
static inline __attribute__((always_inline)) void qgemm_rows(
        const int M, const int bits, const int passes, int K, int N, int t0, int t1, const int8_t *a,
        long fine_offset, int accumulate, const float *dx, const float *sx,
        const uint8_t *w, const uint16_t *dw, const uint16_t *mw, uint16_t *y) {
    const int G = K / BLOCK, tile_bytes = bits == 4 ? 256 : 512;
    const __m512i nibble = _mm512_set1_epi8(0x0F);
    for (int t = t0; t < t1; t++) {
        __m512 acc[8];
#pragma GCC unroll 8
        for (int r = 0; r < M; r++) acc[r] = _mm512_setzero_ps();
        const uint8_t *wt = w + (long)t * G * tile_bytes;
        const uint16_t *dwt = dw + (long)t * G * 16, *mwt = mw + (long)t * G * 16;
        for (int g = 0; g < G; g++) {
            __m512i u[8];
            const uint8_t *wg = wt + (long)g * tile_bytes;
#if PREFETCH_BYTES
            for (int line = 0; line < tile_bytes; line += 64)  /* the weights a few blocks ahead (tiles are contiguous) */
                _mm_prefetch((const char *)(wg + PREFETCH_BYTES + line), _MM_HINT_T0);
            if ((g & 1) == 0) {
                _mm_prefetch((const char *)(dwt + g * 16 + PREFETCH_BYTES / 8), _MM_HINT_T0);
                _mm_prefetch((const char *)(mwt + g * 16 + PREFETCH_BYTES / 8), _MM_HINT_T0);
            }
#endif
            if (bits == 4) {
#pragma GCC unroll 4
                for (int p = 0; p < 4; p++) {
                    __m512i z = _mm512_loadu_si512((const void *)(wg + 64 * p));
                    u[p] = _mm512_and_si512(z, nibble);
                    u[p + 4] = _mm512_and_si512(_mm512_srli_epi16(z, 4), nibble);
                }
            } else {
#pragma GCC unroll 8
                for (int j = 0; j < 8; j++) u[j] = _mm512_loadu_si512((const void *)(wg + 64 * j));
            }
            __m512i dot[8];
#pragma GCC unroll 8
            for (int r = 0; r < M; r++) dot[r] = _mm512_setzero_si512();
#pragma GCC unroll 8
            for (int j = 0; j < 8; j++) {
#pragma GCC unroll 8
                for (int r = 0; r < M; r++) {
                    const int32_t *ar = (const int32_t *)(a + (long)r * K + g * BLOCK);
                    dot[r] = _mm512_dpbusd_epi32(dot[r], u[j], _mm512_set1_epi32(ar[j]));
                }
            }
            if (passes == 2) {  /* dot = 256 * u.a + u.a2, in int32 (|u.a| < 2^20) */
#pragma GCC unroll 8
                for (int r = 0; r < M; r++) dot[r] = _mm512_slli_epi32(dot[r], 8);
#pragma GCC unroll 8
                for (int j = 0; j < 8; j++) {
#pragma GCC unroll 8
                    for (int r = 0; r < M; r++) {
                        const int32_t *ar = (const int32_t *)(a + fine_offset + (long)r * K + g * BLOCK);
                        dot[r] = _mm512_dpbusd_epi32(dot[r], u[j], _mm512_set1_epi32(ar[j]));
                    }
                }
            }
            __m512 scale = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(dwt + g * 16)));
            __m512 low = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(mwt + g * 16)));
            if (passes == 2) scale = _mm512_mul_ps(scale, _mm512_set1_ps(1.0f / 256));
#pragma GCC unroll 8
            for (int r = 0; r < M; r++) {
                acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot[r]), _mm512_mul_ps(scale, _mm512_set1_ps(dx[r * G + g])),
                                         acc[r]);
                acc[r] = _mm512_fmadd_ps(low, _mm512_set1_ps(sx[r * G + g]), acc[r]);
            }
        }
#pragma GCC unroll 8
        for (int r = 0; r < M; r++) {
            uint16_t *yr = y + (long)r * N + t * 16;
            store_bf16(yr, accumulate ? _mm512_add_ps(acc[r], load_bf16(yr)) : acc[r]);
        }
    }
}

#define MAX_GROUP 8
#define HEAD_DIM 64

/* the element-wise kernels (exp, RMSNorm, RoPE with the cache write, SiLU x up) on 16 lanes */
#define VEC __m512
#define LANES 16
#define V_SET1 _mm512_set1_ps
#define V_ZERO _mm512_setzero_ps
#define V_ADD _mm512_add_ps
#define V_SUB _mm512_sub_ps
#define V_MUL _mm512_mul_ps
#define V_DIV _mm512_div_ps
#define V_MIN _mm512_min_ps
#define V_MAX _mm512_max_ps
#define V_FMADD _mm512_fmadd_ps
#define V_FNMADD _mm512_fnmadd_ps
#define V_HSUM _mm512_reduce_add_ps
#define V_ROUND(y) _mm512_roundscale_ps(y, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define V_POW2(p, n) _mm512_scalef_ps(p, n)
#include "cpu_kernels_vector.h"

/* lane i of the result: the sum (or with use_max, the maximum) of the 16 lanes of v[i] */
static inline __attribute__((always_inline)) __m512 reduce16(__m512 *v, const int use_max) {
#define COMBINE(a, b) (use_max ? _mm512_max_ps(a, b) : _mm512_add_ps(a, b))
    __m512 s[8], t[4], u[2];
    for (int i = 0; i < 8; i++)
        s[i] = COMBINE(_mm512_unpacklo_ps(v[2 * i], v[2 * i + 1]), _mm512_unpackhi_ps(v[2 * i], v[2 * i + 1]));
    for (int i = 0; i < 4; i++) {
        __m512d lo = _mm512_unpacklo_pd(_mm512_castps_pd(s[2 * i]), _mm512_castps_pd(s[2 * i + 1]));
        __m512d hi = _mm512_unpackhi_pd(_mm512_castps_pd(s[2 * i]), _mm512_castps_pd(s[2 * i + 1]));
        t[i] = COMBINE(_mm512_castpd_ps(lo), _mm512_castpd_ps(hi));
    }
    for (int i = 0; i < 2; i++)
        u[i] = COMBINE(_mm512_shuffle_f32x4(t[2 * i], t[2 * i + 1], _MM_SHUFFLE(2, 0, 2, 0)),
                       _mm512_shuffle_f32x4(t[2 * i], t[2 * i + 1], _MM_SHUFFLE(3, 1, 3, 1)));
    return COMBINE(_mm512_shuffle_f32x4(u[0], u[1], _MM_SHUFFLE(2, 0, 2, 0)),
                   _mm512_shuffle_f32x4(u[0], u[1], _MM_SHUFFLE(3, 1, 3, 1)));
#undef COMBINE
}

static inline __m512 sum16(__m512 *v) { return reduce16(v, 0); }
static inline __m512 max16(__m512 *v) { return reduce16(v, 1); }

/* one key/value head of one row: its `group` queries (a compile-time constant after inlining) against positions
   0..n-1; scores: scratch of group * capacity floats */
static inline __attribute__((always_inline)) void attend(
        const int group, int n, int capacity, const uint16_t *qh, const uint16_t *kh, const uint16_t *vh,
        float scale, float *scores, uint16_t *out) {
    const int blocks = (n + 15) / 16;
#ifdef __AVX512BF16__
    __m512bh qlo[MAX_GROUP], qhi[MAX_GROUP];
    for (int g = 0; g < group; g++) {
        qlo[g] = (__m512bh)_mm512_loadu_si512((const void *)(qh + g * HEAD_DIM));
        qhi[g] = (__m512bh)_mm512_loadu_si512((const void *)(qh + g * HEAD_DIM + 32));
    }
#else
    __m512 qf[MAX_GROUP][4];
    for (int g = 0; g < group; g++)
        for (int i = 0; i < 4; i++) qf[g][i] = load_bf16(qh + g * HEAD_DIM + 16 * i);
#endif
    __m512 best[MAX_GROUP];
    for (int g = 0; g < group; g++) best[g] = _mm512_set1_ps(-INFINITY);
    for (int b = 0; b < blocks; b++) {
        __m512 part[MAX_GROUP][16];
        for (int j = 0; j < 16; j++) {
            const uint16_t *kj = kh + (long)(b * 16 + j) * HEAD_DIM;
#ifdef __AVX512BF16__
            __m512bh klo = (__m512bh)_mm512_loadu_si512((const void *)kj);
            __m512bh khi = (__m512bh)_mm512_loadu_si512((const void *)(kj + 32));
            for (int g = 0; g < group; g++)
                part[g][j] = _mm512_dpbf16_ps(_mm512_dpbf16_ps(_mm512_setzero_ps(), qlo[g], klo), qhi[g], khi);
#else
            __m512 k0 = load_bf16(kj), k1 = load_bf16(kj + 16), k2 = load_bf16(kj + 32), k3 = load_bf16(kj + 48);
            for (int g = 0; g < group; g++)
                part[g][j] = _mm512_fmadd_ps(qf[g][3], k3, _mm512_fmadd_ps(qf[g][2], k2, _mm512_fmadd_ps(
                    qf[g][1], k1, _mm512_mul_ps(qf[g][0], k0))));
#endif
        }
        int valid = n - b * 16;
        __mmask16 live = valid >= 16 ? 0xFFFF : (__mmask16)((1u << valid) - 1);
        for (int g = 0; g < group; g++) {
            __m512 s = _mm512_mask_mov_ps(_mm512_set1_ps(-INFINITY), live,
                                          _mm512_mul_ps(sum16(part[g]), _mm512_set1_ps(scale)));
            _mm512_storeu_ps(scores + (long)g * capacity + b * 16, s);
            best[g] = _mm512_max_ps(best[g], s);
        }
    }
    for (int g = 0; g < group; g++) {
        float *sg = scores + (long)g * capacity;
        __m512 top = _mm512_set1_ps(_mm512_reduce_max_ps(best[g])), total = _mm512_setzero_ps();
        for (int b = 0; b < blocks; b++) {
            __m512 e = exp_ps(_mm512_sub_ps(_mm512_loadu_ps(sg + b * 16), top));
            _mm512_storeu_ps(sg + b * 16, e);
            total = _mm512_add_ps(total, e);
        }
        best[g] = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(total));
    }
    __m512 acc[MAX_GROUP][4];
    for (int g = 0; g < group; g++)
        for (int i = 0; i < 4; i++) acc[g][i] = _mm512_setzero_ps();
    for (int j = 0; j < n; j++) {
        const uint16_t *vj = vh + (long)j * HEAD_DIM;
        __m512 v0 = load_bf16(vj), v1 = load_bf16(vj + 16), v2 = load_bf16(vj + 32), v3 = load_bf16(vj + 48);
        for (int g = 0; g < group; g++) {
            __m512 p = _mm512_set1_ps(scores[(long)g * capacity + j]);
            acc[g][0] = _mm512_fmadd_ps(p, v0, acc[g][0]);
            acc[g][1] = _mm512_fmadd_ps(p, v1, acc[g][1]);
            acc[g][2] = _mm512_fmadd_ps(p, v2, acc[g][2]);
            acc[g][3] = _mm512_fmadd_ps(p, v3, acc[g][3]);
        }
    }
    for (int g = 0; g < group; g++)
        for (int i = 0; i < 4; i++) store_bf16(out + g * HEAD_DIM + 16 * i, _mm512_mul_ps(acc[g][i], best[g]));
}

/* the AMX prompt attention: in the BF16 build, where the compiler knows AMX (GCC 11, clang 12 and later) */
#if defined(__AVX512BF16__) && (defined(__clang__) ? __clang_major__ >= 12 : __GNUC__ >= 11)
#include "cpu_kernels_amx.h"
#endif

#include "cpu_kernels_entry.h"
