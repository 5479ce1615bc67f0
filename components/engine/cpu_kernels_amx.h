/* Prompt attention on AMX tiles (BF16 products into float32), included by cpu_kernels.c's AVX-512 BF16 build; the
   caller runs it only where the CPU has AMX-TILE and AMX-BF16 and Linux granted the tile state (kefu_amx_enable).

   torch's CPU flash attention computes keys in blocks of up to 512, so below 512 keys (and largely above) every
   query block multiplies against every key, masked half included, at AVX-512 speed. Here each block of 16 queries
   of one head multiplies only against the 32-key blocks it may see (causal, from its positions past + t), with
   the online softmax of flash attention: per 32-key block, S = Q K^T (two 16x16 float32 tiles, four tile
   products), the row maxima and exponentials on AVX-512, then O = O * alpha + P V (four tiles). Keys are packed
   once per call as K^T in the tiles' pair layout, values as pairs of positions; queries and outputs keep the
   caller's strides. Scores and the running sums are float32; P is rounded to bfloat16 for its product, as in
   torch's kernel. */

#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define AMX_QUERIES 16                     /* queries per block (rows of a tile) */
#define AMX_KEYS 32                        /* keys per block (the depth of a BF16 tile product) */
#define AMX_SLACK 8.0f                     /* how far a score may exceed the maximum its exponential uses */
#define TILE_FENCE() __asm__ volatile("" ::: "memory")  /* tile loads and stores are asm the compiler cannot see into */
/* the output's four tiles (tmm4..tmm7) stored to or loaded from o [16, 64] float32 */
#define OUTPUT_TILES(op, o) do { op(4, o, 256); op(5, o + 16, 256); op(6, o + 32, 256); op(7, o + 48, 256); } while (0)

/* Ask Linux for the AMX tile state (arch_prctl ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA): 0 when granted. */
int kefu_amx_enable(void) {
    return (int)syscall(SYS_arch_prctl, 0x1023, 18);
}

typedef struct {
    uint8_t palette, start_row, reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
} amx_config;

/* one key/value head's positions 0..n-1 (rows of 64 bfloat16), zeros up to `padded` (a multiple of 32):
   kt, per 16 positions and half of the head (32 dimensions): a tile of 16 dimension pairs x 16 positions x 2;
   vp, per 32 positions and 16 dimensions: a tile of 16 position pairs x 16 dimensions x 2 */
static void amx_pack(int n, int padded, const uint16_t *k, const uint16_t *v, uint16_t *kt, uint16_t *vp) {
    const uint32_t *k32 = (const uint32_t *)k;    /* a position's 32 dimension pairs */
    uint32_t *kt32 = (uint32_t *)kt;
    for (int key = 0; key < padded; key++) {
        uint32_t *column = kt32 + (key / 16) * 512 + key % 16;
        for (int pair = 0; pair < 32; pair++)
            column[(pair / 16) * 256 + (pair % 16) * 16] = key < n ? k32[(long)key * 32 + pair] : 0;
    }
    /* dimensions 16 dt .. 16 dt + 15 of positions a and b, interleaved: a tile row of value tile dt */
    const __m512i pairs = _mm512_set_epi16(47, 15, 46, 14, 45, 13, 44, 12, 43, 11, 42, 10, 41, 9, 40, 8,
                                           39, 7, 38, 6, 37, 5, 36, 4, 35, 3, 34, 2, 33, 1, 32, 0);
    for (int key = 0; key < padded; key += 2) {
        __m512i a[2], b[2];
        for (int half = 0; half < 2; half++) {
            const uint16_t *va = v + (long)key * 64 + half * 32;
            a[half] = key < n ? _mm512_loadu_si512((const void *)va) : _mm512_setzero_si512();
            b[half] = key + 1 < n ? _mm512_loadu_si512((const void *)(va + 64)) : _mm512_setzero_si512();
        }
        uint16_t *row = vp + (long)(key / 32) * 4 * 512 + (key % 32 / 2) * 32;
        for (int dt = 0; dt < 4; dt++) {
            const __m512i index = _mm512_add_epi16(pairs, _mm512_set1_epi16((short)(16 * (dt % 2))));
            _mm512_storeu_si512((void *)(row + dt * 512), _mm512_permutex2var_epi16(a[dt / 2], index, b[dt / 2]));
        }
    }
}

static inline __m512 lane(__m512 v, int i) { return _mm512_permutexvar_ps(_mm512_set1_epi32(i), v); }

/* The new tokens' attention of a prompt whose first `past` positions are cached: token t (0..count-1) at position
   past + t, query head h at q + t * q_token + h * q_head (64 contiguous bfloat16), sees positions 0..past + t of
   its key/value head h / (heads / kv_heads) at k/v + head * kv_stride + position * 64; writes out + t * out_token
   + h * out_head. With parts > 1, this call does the query blocks b with b % parts == part (of every head). */
__attribute__((target("amx-tile,amx-bf16")))
void kefu_prompt_attention(int heads, int kv_heads, int count, int past, const uint16_t *q, long q_token, long q_head,
                           const uint16_t *k, const uint16_t *v, long kv_stride, float scale, uint16_t *out,
                           long out_token, long out_head, int part, int parts) {
    const int total = past + count, padded = (total + AMX_KEYS - 1) / AMX_KEYS * AMX_KEYS;
    const int group = heads / kv_heads, blocks = (count + AMX_QUERIES - 1) / AMX_QUERIES;
    const long head_size = (long)padded * 64;
    uint16_t *kt = aligned_alloc(64, 2 * head_size * kv_heads), *vp = aligned_alloc(64, 2 * head_size * kv_heads);
    if (kt == NULL || vp == NULL) {
        free(kt);
        free(vp);
        return;
    }
    for (int g = 0; g < kv_heads; g++)
        amx_pack(total, padded, k + g * kv_stride, v + g * kv_stride, kt + g * head_size, vp + g * head_size);
    amx_config config;
    memset(&config, 0, sizeof config);
    config.palette = 1;
    for (int t = 0; t < 8; t++) {
        config.colsb[t] = 64;
        config.rows[t] = 16;
    }
    TILE_FENCE();  /* the asm says it reads 8 bytes of config: the rest must be written before it runs */
    _tile_loadconfig(&config);
    /* tmm0: the left operand (the query block's dimensions 0..31, then 32..63, then P); tmm1: the right one (a
       packed key or value tile); tmm2, tmm3: the scores of 16 + 16 keys; tmm4..tmm7: the output's four columns of
       16 dimensions, kept in the tiles across key blocks */
    float scores[AMX_QUERIES * AMX_KEYS] __attribute__((aligned(64)));
    float o[AMX_QUERIES * 64] __attribute__((aligned(64)));
    uint16_t p[AMX_QUERIES * AMX_KEYS] __attribute__((aligned(64)));
    uint16_t padded_q[AMX_QUERIES * 64] __attribute__((aligned(64)));
    const __m512i key_lanes = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    const __m512 scaled = _mm512_set1_ps(scale), minus_inf = _mm512_set1_ps(-INFINITY);
    const __m512 slack = _mm512_set1_ps(AMX_SLACK);
    for (int h = 0; h < heads; h++) {
        const uint16_t *kth = kt + (h / group) * head_size, *vph = vp + (h / group) * head_size;
        for (int b = part; b < blocks; b += parts) {
            const int t0 = b * AMX_QUERIES, rows = count - t0 < AMX_QUERIES ? count - t0 : AMX_QUERIES;
            const uint16_t *qb = q + t0 * q_token + h * q_head;
            long stride = 2 * q_token;
            if (rows < AMX_QUERIES) {
                memset(padded_q, 0, sizeof padded_q);
                for (int i = 0; i < rows; i++) memcpy(padded_q + i * 64, qb + i * q_token, 128);
                qb = padded_q;
                stride = 128;
            }
            TILE_FENCE();
            _tile_zero(4);
            _tile_zero(5);
            _tile_zero(6);
            _tile_zero(7);
            /* per query row, as lanes: the maximum the exponentials are taken against, and their running sum */
            __m512 best = minus_inf, sum = _mm512_setzero_ps();
            const int first = past + t0, last = past + t0 + rows - 1;       /* positions of the block's queries */
            for (int kb = 0; kb * AMX_KEYS <= last; kb++) {
                const uint16_t *kblock = kth + (long)kb * 4 * 512;
                _tile_zero(2);
                _tile_zero(3);
                _tile_loadd(0, qb, stride);
                _tile_loadd(1, kblock, 64);
                _tile_dpbf16ps(2, 0, 1);
                _tile_loadd(1, kblock + 1024, 64);
                _tile_dpbf16ps(3, 0, 1);
                _tile_loadd(0, qb + 32, stride);
                _tile_loadd(1, kblock + 512, 64);
                _tile_dpbf16ps(2, 0, 1);
                _tile_loadd(1, kblock + 1536, 64);
                _tile_dpbf16ps(3, 0, 1);
                _tile_stored(2, scores, 128);
                _tile_stored(3, scores + 16, 128);
                TILE_FENCE();
                const int masked = kb * AMX_KEYS + AMX_KEYS - 1 > first;    /* some key later than some query */
                __m512 s[AMX_QUERIES][2], top[AMX_QUERIES];
                for (int i = 0; i < AMX_QUERIES; i++) {
                    s[i][0] = _mm512_mul_ps(_mm512_load_ps(scores + i * 32), scaled);
                    s[i][1] = _mm512_mul_ps(_mm512_load_ps(scores + i * 32 + 16), scaled);
                    if (masked) {
                        __m512i seen = _mm512_set1_epi32(i < rows ? first + i : last);
                        __m512i key = _mm512_add_epi32(_mm512_set1_epi32(kb * AMX_KEYS), key_lanes);
                        s[i][0] = _mm512_mask_mov_ps(minus_inf, _mm512_cmple_epi32_mask(key, seen), s[i][0]);
                        key = _mm512_add_epi32(key, _mm512_set1_epi32(16));
                        s[i][1] = _mm512_mask_mov_ps(minus_inf, _mm512_cmple_epi32_mask(key, seen), s[i][1]);
                    }
                    top[i] = _mm512_max_ps(s[i][0], s[i][1]);
                }
                /* the exponentials are taken against `best` as long as no score exceeds it by more than the slack
                   (they stay below e^AMX_SLACK: no overflow, and bfloat16 keeps its relative precision), so the
                   output tiles are rescaled only when a row's maximum rises by more than that */
                __m512 now = _mm512_max_ps(best, max16(top));
                if (_mm512_cmp_ps_mask(now, _mm512_add_ps(best, slack), _CMP_GT_OQ)) {
                    __m512 alpha = exp_ps(_mm512_sub_ps(best, now));
                    sum = _mm512_mul_ps(sum, alpha);
                    if (kb > 0) {  /* the output so far, times alpha (nothing yet at the first block) */
                        OUTPUT_TILES(_tile_stored, o);
                        TILE_FENCE();
                        for (int i = 0; i < AMX_QUERIES; i++) {
                            __m512 a = lane(alpha, i);
                            for (int c = 0; c < 4; c++)
                                _mm512_store_ps(o + i * 64 + c * 16,
                                                _mm512_mul_ps(_mm512_load_ps(o + i * 64 + c * 16), a));
                        }
                        TILE_FENCE();
                        OUTPUT_TILES(_tile_loadd, o);
                    }
                    best = now;
                }
                __m512 sums[AMX_QUERIES];
                for (int i = 0; i < AMX_QUERIES; i++) {
                    __m512 m = lane(best, i);
                    __m512 e0 = exp_ps(_mm512_sub_ps(s[i][0], m)), e1 = exp_ps(_mm512_sub_ps(s[i][1], m));
                    sums[i] = _mm512_add_ps(e0, e1);
                    _mm512_store_si512((void *)(p + i * 32), (__m512i)_mm512_cvtne2ps_pbh(e1, e0));
                }
                sum = _mm512_add_ps(sum, sum16(sums));
                TILE_FENCE();
                const uint16_t *vblock = vph + (long)kb * 4 * 512;
                _tile_loadd(0, p, 64);
                _tile_loadd(1, vblock, 64);
                _tile_dpbf16ps(4, 0, 1);
                _tile_loadd(1, vblock + 512, 64);
                _tile_dpbf16ps(5, 0, 1);
                _tile_loadd(1, vblock + 1024, 64);
                _tile_dpbf16ps(6, 0, 1);
                _tile_loadd(1, vblock + 1536, 64);
                _tile_dpbf16ps(7, 0, 1);
            }
            OUTPUT_TILES(_tile_stored, o);
            TILE_FENCE();
            __m512 inverse = _mm512_div_ps(_mm512_set1_ps(1.0f), sum);
            for (int i = 0; i < rows; i++) {
                __m512 r = lane(inverse, i);
                uint16_t *dst = out + (t0 + i) * out_token + h * out_head;
                for (int c = 0; c < 4; c++)
                    store_bf16(dst + c * 16, _mm512_mul_ps(_mm512_load_ps(o + i * 64 + c * 16), r));
            }
        }
    }
    _tile_release();
    free(kt);
    free(vp);
}

