/* The element-wise decode kernels written once for both vector widths: included by cpu_kernels.c (AVX-512, 16
   lanes) and cpu_kernels_avx2.c (AVX2, 8 lanes) after each defines VEC, LANES, the V_* operations below, load_bf16,
   store_bf16, round_bf16, V_HSUM (sum of the lanes), V_POW2 (p * 2^n for integral n) and HEAD_DIM. */

/* exp(x) for x <= 88: 2^(x log2 e) = 2^n * 2^f, f in [-0.5, 0.5], 2^f by its Taylor series to degree 6 */
static inline VEC exp_ps(VEC x) {
    VEC y = V_MUL(V_MAX(x, V_SET1(-87.0f)), V_SET1(1.4426950408889634f));
    VEC n = V_ROUND(y);
    VEC f = V_MUL(V_SUB(y, n), V_SET1(0.6931471805599453f));
    VEC p = V_SET1(1.0f / 720);
    p = V_FMADD(p, f, V_SET1(1.0f / 120));
    p = V_FMADD(p, f, V_SET1(1.0f / 24));
    p = V_FMADD(p, f, V_SET1(1.0f / 6));
    p = V_FMADD(p, f, V_SET1(0.5f));
    p = V_FMADD(p, f, V_SET1(1.0f));
    p = V_FMADD(p, f, V_SET1(1.0f));
    return V_POW2(p, n);
}

/* Llama's RMSNorm of x [rows, n] bfloat16 (n a multiple of LANES) into out */
void kefu_rms_norm(int rows, int n, const uint16_t *x, const uint16_t *weight, float eps, uint16_t *out) {
    for (int r = 0; r < rows; r++) {
        const uint16_t *xr = x + (long)r * n;
        VEC squares = V_ZERO();
        for (int i = 0; i < n; i += LANES) {
            VEC v = load_bf16(xr + i);
            squares = V_FMADD(v, v, squares);
        }
        VEC inv = V_SET1(1.0f / sqrtf(V_HSUM(squares) / (float)n + eps));
        for (int i = 0; i < n; i += LANES) {
            VEC h = round_bf16(V_MUL(load_bf16(xr + i), inv));
            store_bf16(out + (long)r * n + i, V_MUL(h, load_bf16(weight + i)));
        }
    }
}

/* qkv [rows, (heads + 2 * kv_heads) * 64]: rotate each query and key head by its row's position (rotate-half
   RoPE; cos and sin tables [positions, 64]); query head h of row r -> q + r * q_row + h * q_head; keys and values
   are written into a pool [.., kv_heads, capacity, 64] at position positions[r] of pool row r (pool_row elements
   apart: a decode step's rows are the pool's slots, a prompt's rows all go to one slot with pool_row 0). */
#define ROPE_VECS (HEAD_DIM / LANES)
void kefu_rope_strided(int rows, int heads, int kv_heads, int capacity, const uint16_t *qkv, const uint16_t *cos,
                       const uint16_t *sin, const int64_t *positions, uint16_t *q, long q_row, long q_head,
                       uint16_t *k_pool, uint16_t *v_pool, long pool_row) {
    const int width = (heads + 2 * kv_heads) * HEAD_DIM, half = ROPE_VECS / 2;
    for (int r = 0; r < rows; r++) {
        const long pos = positions[r];
        const uint16_t *c = cos + pos * HEAD_DIM, *s = sin + pos * HEAD_DIM;
        VEC cv[ROPE_VECS], sv[ROPE_VECS];
        for (int i = 0; i < ROPE_VECS; i++) {
            cv[i] = load_bf16(c + LANES * i);
            sv[i] = load_bf16(s + LANES * i);
        }
        for (int h = 0; h < heads + kv_heads; h++) {
            const uint16_t *x = qkv + (long)r * width + h * HEAD_DIM;
            uint16_t *dst = h < heads ? q + r * q_row + h * q_head
                                      : k_pool + r * pool_row + ((long)(h - heads) * capacity + pos) * HEAD_DIM;
            VEC xv[ROPE_VECS];
            for (int i = 0; i < ROPE_VECS; i++) xv[i] = load_bf16(x + LANES * i);
            for (int i = 0; i < half; i++) {  /* rotate half: (x1 c - x2 s, x2 c + x1 s) */
                store_bf16(dst + LANES * i, V_FNMADD(xv[i + half], sv[i], V_MUL(xv[i], cv[i])));
                store_bf16(dst + HEAD_DIM / 2 + LANES * i,
                           V_FMADD(xv[i], sv[i + half], V_MUL(xv[i + half], cv[i + half])));
            }
        }
        for (int h = 0; h < kv_heads; h++) {
            const uint16_t *x = qkv + (long)r * width + (heads + kv_heads + h) * HEAD_DIM;
            uint16_t *dst = v_pool + r * pool_row + ((long)h * capacity + pos) * HEAD_DIM;
            for (int i = 0; i < HEAD_DIM; i++) dst[i] = x[i];
        }
    }
}

/* gate_up [rows, 2n] -> out [rows, n] = silu(gate) * up */
void kefu_silu_mul(int rows, int n, const uint16_t *gate_up, uint16_t *out) {
    for (int r = 0; r < rows; r++) {
        const uint16_t *g = gate_up + (long)r * 2 * n, *u = g + n;
        for (int i = 0; i < n; i += LANES) {
            VEC gv = load_bf16(g + i);
            VEC e = exp_ps(V_MIN(V_SUB(V_ZERO(), gv), V_SET1(88.0f)));
            VEC silu = V_DIV(gv, V_ADD(V_SET1(1.0f), e));
            store_bf16(out + (long)r * n + i, V_MUL(silu, load_bf16(u + i)));
        }
    }
}
