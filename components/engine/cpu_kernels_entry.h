/* The entry points that are the same for every build of kefu's kernels, included at the end of cpu_kernels.c and
   cpu_kernels_avx2.c: each defines BLOCK, HEAD_DIM, MAX_ROWS (rows per call of its qgemm_rows), quantize_rows,
   qgemm_rows and attend first. */

#define ROWS_CASE(m, b, p) case m: qgemm_rows(m, b, p, K, N, a + (long)r0 * K, (long)M * K, accumulate, dx + r0 * G, \
                                              sx + r0 * G, w, dw, mw, y + (long)r0 * N); break;
#if MAX_ROWS == 8
#define ALL_ROWS(b, p) switch (m) { ROWS_CASE(1, b, p) ROWS_CASE(2, b, p) ROWS_CASE(3, b, p) ROWS_CASE(4, b, p) \
                                    ROWS_CASE(5, b, p) ROWS_CASE(6, b, p) ROWS_CASE(7, b, p) ROWS_CASE(8, b, p) }
#else
#define ALL_ROWS(b, p) switch (m) { ROWS_CASE(1, b, p) ROWS_CASE(2, b, p) ROWS_CASE(3, b, p) ROWS_CASE(4, b, p) }
#endif

/* y [M, N] bfloat16 = x [M, K] bfloat16 times the packed W (y += ... when accumulate), with x quantized in one or
   two passes; scratch: a [passes * M * K] int8, dx and sx [M * K / 32] float */
void kefu_qgemm(int M, int K, int N, const uint16_t *x, int bits, int passes, const uint8_t *w, const float *dw,
                const float *mw, uint16_t *y, int accumulate, int8_t *a, float *dx, float *sx) {
    const int G = K / BLOCK;
    quantize_rows(M, K, passes, x, a, dx, sx);
    for (int r0 = 0; r0 < M; r0 += MAX_ROWS) {
        int m = M - r0 < MAX_ROWS ? M - r0 : MAX_ROWS;
        if (bits == 4 && passes == 1) {
            ALL_ROWS(4, 1)
        } else if (bits == 4) {
            ALL_ROWS(4, 2)
        } else if (passes == 1) {
            ALL_ROWS(8, 1)
        } else {
            ALL_ROWS(8, 2)
        }
    }
}

#define GROUP_CASE(m) case m: attend(m, n, capacity, qh, kh, vh, scale, scores, out + head * group * HEAD_DIM); break;

/* q [rows, kv_heads * group, 64] bfloat16; k, v [rows, kv_heads, capacity, 64] bfloat16; row r attends to
   positions 0..lengths[r]-1 (capacity is a multiple of 16 and >= every length); out like q.
   scores: scratch of group * capacity floats. */
void kefu_decode_attention(int rows, int kv_heads, int group, int capacity, const uint16_t *q, const uint16_t *k,
                           const uint16_t *v, const int64_t *lengths, float scale, float *scores, uint16_t *out) {
    for (int r = 0; r < rows; r++) {
        const int n = (int)lengths[r];
        for (int h = 0; h < kv_heads; h++) {
            const long head = (long)r * kv_heads + h;
            const uint16_t *kh = k + head * capacity * HEAD_DIM, *vh = v + head * capacity * HEAD_DIM;
            const uint16_t *qh = q + head * group * HEAD_DIM;
            switch (group) {
                GROUP_CASE(1) GROUP_CASE(2) GROUP_CASE(3) GROUP_CASE(4)
                GROUP_CASE(5) GROUP_CASE(6) GROUP_CASE(7) GROUP_CASE(8)
            }
        }
    }
}
