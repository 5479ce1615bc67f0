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

   decode_attention: one query token per row against that row's cached keys and values (bfloat16, the runner's
   pool layout [rows, kv_heads, capacity, head_dim]); the query heads sharing a key/value head are computed
   together so each key and value is read once. Scores in float32, softmax in float32. */
#include <immintrin.h>
#include <math.h>
#include <stdint.h>

#define BLOCK 32
#define MAX_ROWS 8

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
        const uint8_t *w, const float *dw, const float *mw, uint16_t *y) {
    const int G = K / BLOCK, tile_bytes = bits == 4 ? 256 : 512;
    const __m512i nibble = _mm512_set1_epi8(0x0F);
    for (int t = t0; t < t1; t++) {
        __m512 acc[8];
#pragma GCC unroll 8
        for (int r = 0; r < M; r++) acc[r] = _mm512_setzero_ps();
        const uint8_t *wt = w + (long)t * G * tile_bytes;
        const float *dwt = dw + (long)t * G * 16, *mwt = mw + (long)t * G * 16;
        for (int g = 0; g < G; g++) {
            __m512i u[8];
            const uint8_t *wg = wt + (long)g * tile_bytes;
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
            __m512 scale = _mm512_loadu_ps(dwt + g * 16), low = _mm512_loadu_ps(mwt + g * 16);
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

/* exp(x) for x <= 0: 2^(x log2 e) = 2^n * 2^f, f in [-0.5, 0.5], 2^f by its Taylor series to degree 6 */
static inline __m512 exp_ps(__m512 x) {
    __m512 y = _mm512_mul_ps(_mm512_max_ps(x, _mm512_set1_ps(-87.0f)), _mm512_set1_ps(1.4426950408889634f));
    __m512 n = _mm512_roundscale_ps(y, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 f = _mm512_mul_ps(_mm512_sub_ps(y, n), _mm512_set1_ps(0.6931471805599453f));
    __m512 p = _mm512_set1_ps(1.0f / 720);
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f / 120));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f / 24));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f / 6));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(0.5f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(p, n);
}

/* sums of 16 vectors: lane i of the result is the sum of the 16 lanes of v[i] */
static inline __m512 sum16(__m512 *v) {
    __m512 s[8], t[4], u[2];
    for (int i = 0; i < 8; i++)
        s[i] = _mm512_add_ps(_mm512_unpacklo_ps(v[2 * i], v[2 * i + 1]), _mm512_unpackhi_ps(v[2 * i], v[2 * i + 1]));
    for (int i = 0; i < 4; i++) {
        __m512d lo = _mm512_unpacklo_pd(_mm512_castps_pd(s[2 * i]), _mm512_castps_pd(s[2 * i + 1]));
        __m512d hi = _mm512_unpackhi_pd(_mm512_castps_pd(s[2 * i]), _mm512_castps_pd(s[2 * i + 1]));
        t[i] = _mm512_add_ps(_mm512_castpd_ps(lo), _mm512_castpd_ps(hi));
    }
    for (int i = 0; i < 2; i++)
        u[i] = _mm512_add_ps(_mm512_shuffle_f32x4(t[2 * i], t[2 * i + 1], _MM_SHUFFLE(2, 0, 2, 0)),
                             _mm512_shuffle_f32x4(t[2 * i], t[2 * i + 1], _MM_SHUFFLE(3, 1, 3, 1)));
    return _mm512_add_ps(_mm512_shuffle_f32x4(u[0], u[1], _MM_SHUFFLE(2, 0, 2, 0)),
                         _mm512_shuffle_f32x4(u[0], u[1], _MM_SHUFFLE(3, 1, 3, 1)));
}

#define MAX_GROUP 8
#define HEAD_DIM 64

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

/* The small operations of a decode step, fused so that a layer is a few calls instead of ~40 torch operations
   (each costs 3-7 us of dispatch, which at one thread was a third of a single-stream step). All in float32 between
   bfloat16 loads and stores; n is a multiple of 16. */

/* out = weight * x / rms(x) per row (the RMSNorm of Llama; the normalized value is rounded to bfloat16 before the
   weight multiplies it, as transformers does) */
void kefu_rms_norm(int rows, int n, const uint16_t *x, const uint16_t *weight, float eps, uint16_t *out) {
    for (int r = 0; r < rows; r++) {
        const uint16_t *xr = x + (long)r * n;
        __m512 squares = _mm512_setzero_ps();
        for (int i = 0; i < n; i += 16) {
            __m512 v = load_bf16(xr + i);
            squares = _mm512_fmadd_ps(v, v, squares);
        }
        __m512 inv = _mm512_set1_ps(1.0f / sqrtf(_mm512_reduce_add_ps(squares) / (float)n + eps));
        for (int i = 0; i < n; i += 16) {
            __m512 h = round_bf16(_mm512_mul_ps(load_bf16(xr + i), inv));
            store_bf16(out + (long)r * n + i, _mm512_mul_ps(h, load_bf16(weight + i)));
        }
    }
}

/* qkv [rows, (heads + 2 * kv_heads) * 64]: rotate each query and key head by its row's position (rotate-half
   RoPE; cos and sin tables [positions, 64]); queries -> q [rows, heads, 64]; keys and values are written into the
   layer's pool [slots, kv_heads, capacity, 64] at row r, position positions[r]. */
void kefu_rope_store(int rows, int heads, int kv_heads, int capacity, const uint16_t *qkv, const uint16_t *cos,
                     const uint16_t *sin, const int64_t *positions, uint16_t *q, uint16_t *k_pool, uint16_t *v_pool) {
    const int width = (heads + 2 * kv_heads) * HEAD_DIM;
    for (int r = 0; r < rows; r++) {
        const long pos = positions[r];
        const uint16_t *c = cos + pos * HEAD_DIM, *s = sin + pos * HEAD_DIM;
        __m512 c0 = load_bf16(c), c1 = load_bf16(c + 16), c2 = load_bf16(c + 32), c3 = load_bf16(c + 48);
        __m512 s0 = load_bf16(s), s1 = load_bf16(s + 16), s2 = load_bf16(s + 32), s3 = load_bf16(s + 48);
        for (int h = 0; h < heads + kv_heads; h++) {
            const uint16_t *x = qkv + (long)r * width + h * HEAD_DIM;
            uint16_t *dst = h < heads ? q + ((long)r * heads + h) * HEAD_DIM
                                      : k_pool + (((long)r * kv_heads + h - heads) * capacity + pos) * HEAD_DIM;
            __m512 x0 = load_bf16(x), x1 = load_bf16(x + 16), x2 = load_bf16(x + 32), x3 = load_bf16(x + 48);
            store_bf16(dst, _mm512_fnmadd_ps(x2, s0, _mm512_mul_ps(x0, c0)));
            store_bf16(dst + 16, _mm512_fnmadd_ps(x3, s1, _mm512_mul_ps(x1, c1)));
            store_bf16(dst + 32, _mm512_fmadd_ps(x0, s2, _mm512_mul_ps(x2, c2)));
            store_bf16(dst + 48, _mm512_fmadd_ps(x1, s3, _mm512_mul_ps(x3, c3)));
        }
        for (int h = 0; h < kv_heads; h++) {
            const uint16_t *x = qkv + (long)r * width + (heads + kv_heads + h) * HEAD_DIM;
            uint16_t *dst = v_pool + (((long)r * kv_heads + h) * capacity + pos) * HEAD_DIM;
            for (int i = 0; i < HEAD_DIM; i++) dst[i] = x[i];
        }
    }
}

/* gate_up [rows, 2n] -> out [rows, n] = silu(gate) * up */
void kefu_silu_mul(int rows, int n, const uint16_t *gate_up, uint16_t *out) {
    for (int r = 0; r < rows; r++) {
        const uint16_t *g = gate_up + (long)r * 2 * n, *u = g + n;
        for (int i = 0; i < n; i += 16) {
            __m512 gv = load_bf16(g + i);
            __m512 e = exp_ps(_mm512_min_ps(_mm512_sub_ps(_mm512_setzero_ps(), gv), _mm512_set1_ps(88.0f)));
            __m512 silu = _mm512_div_ps(gv, _mm512_add_ps(_mm512_set1_ps(1.0f), e));
            store_bf16(out + (long)r * n + i, _mm512_mul_ps(silu, load_bf16(u + i)));
        }
    }
}

#include "cpu_kernels_entry.h"
