/* The entry points that are the same for every build of kefu's kernels, included at the end of cpu_kernels.c and
   cpu_kernels_avx2.c: each defines BLOCK, HEAD_DIM, MAX_ROWS (rows per call of its qgemm_rows), quantize_rows,
   qgemm_rows and attend first (and includes immintrin.h). */

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <linux/futex.h>
#include <time.h>
#include <unistd.h>

#define ROWS_CASE(m, b, p) case m: qgemm_rows(m, b, p, K, N, j->t0, j->t1, j->a + (long)r0 * K, (long)M * K, \
                                              j->accumulate, j->dx + r0 * G, j->sx + r0 * G, j->w, j->dw, j->mw, \
                                              j->y + (long)r0 * N); break;
#if MAX_ROWS == 8
#define ALL_ROWS(b, p) switch (m) { ROWS_CASE(1, b, p) ROWS_CASE(2, b, p) ROWS_CASE(3, b, p) ROWS_CASE(4, b, p) \
                                    ROWS_CASE(5, b, p) ROWS_CASE(6, b, p) ROWS_CASE(7, b, p) ROWS_CASE(8, b, p) }
#else
#define ALL_ROWS(b, p) switch (m) { ROWS_CASE(1, b, p) ROWS_CASE(2, b, p) ROWS_CASE(3, b, p) ROWS_CASE(4, b, p) }
#endif

/* One share of a qgemm: every row, output tiles t0..t1-1, from activations already quantized. */
typedef struct {
    int M, K, N, bits, passes, accumulate, t0, t1;
    const int8_t *a;
    const float *dx, *sx;
    const uint16_t *dw, *mw;                        /* float16 */
    const uint8_t *w;
    uint16_t *y;
} tile_job;

static void qgemm_tiles(const tile_job *j) {
    const int M = j->M, K = j->K, N = j->N, G = K / BLOCK;
    for (int r0 = 0; r0 < M; r0 += MAX_ROWS) {
        int m = M - r0 < MAX_ROWS ? M - r0 : MAX_ROWS;
        if (j->bits == 4 && j->passes == 1) {
            ALL_ROWS(4, 1)
        } else if (j->bits == 4) {
            ALL_ROWS(4, 2)
        } else if (j->passes == 1) {
            ALL_ROWS(8, 1)
        } else {
            ALL_ROWS(8, 2)
        }
    }
}

/* The second decode thread: one persistent helper that shares a qgemm's output tiles with the caller. The tiles are
   claimed in chunks from one atomic word, work = job sequence (32 bits) | tile count (16) | next tile (16): the
   caller takes chunks with fetch-and-add, the helper with compare-and-swap on the job it was woken for, so a
   helper that wakes late (or was descheduled) finds the product already done and the caller never waits for more
   than the one chunk the helper is computing. Between jobs the helper spins for HELPER_SPIN_NS (the next matrix
   of the same decode step comes within microseconds), then sleeps on a futex until the next job is posted, so an
   idle engine costs no CPU. One caller at a time uses it (helper_claimed); another caller meanwhile computes its
   product alone. A forked child starts its own. */
#define HELPER_SPIN_NS 200000L
#define MAX_SHARED_TILES 60000
static tile_job helper_job;                         /* written by the caller before it posts the job */
static atomic_ullong work;
static atomic_int tiles_done, helper_sleeping, helper_claimed;
static atomic_uint helper_posted;                   /* the last job's sequence number (the futex word) */
static atomic_int helper_pid;                       /* the process whose helper runs (0: none yet) */
static pthread_mutex_t helper_start_lock = PTHREAD_MUTEX_INITIALIZER;

static long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static inline int chunk_of(int tiles) { return tiles / 8 > 2 ? tiles / 8 : 2; }

/* Compute tiles of `job` in chunks claimed out of `work` while it still holds job `seq` (the tile count is read
   from `work` itself, never from a copy of the parameters that a successful claim has not yet vouched for). */
static void share_tiles(const tile_job *job, unsigned seq, int helper) {
    for (;;) {
        unsigned long long v = atomic_load(&work);
        const int tiles = (int)((v >> 16) & 0xFFFF), chunk = chunk_of(tiles);
        int first;
        if (helper) {
            if ((unsigned)(v >> 32) != seq || (int)(v & 0xFFFF) >= tiles) return;
            if (!atomic_compare_exchange_weak(&work, &v, v + chunk)) continue;
            first = (int)(v & 0xFFFF);
        } else {
            first = (int)(atomic_fetch_add(&work, (unsigned long long)chunk) & 0xFFFF);
            if (first >= tiles) return;
        }
        tile_job part = *job;
        part.t0 = first;
        part.t1 = first + chunk < tiles ? first + chunk : tiles;
        qgemm_tiles(&part);
        atomic_fetch_add(&tiles_done, part.t1 - part.t0);
    }
}

static void *helper_main(void *first) {
    unsigned seen = (unsigned)(uintptr_t)first;  /* the last job posted before it started (not its own) */
    for (;;) {
        long since = now_ns();
        unsigned posted;
        int spins = 0;
        while ((posted = atomic_load(&helper_posted)) == seen) {
            _mm_pause();
            if (++spins % 64 || now_ns() - since < HELPER_SPIN_NS) continue;
            atomic_store(&helper_sleeping, 1);
            if (atomic_load(&helper_posted) == seen)
                syscall(SYS_futex, &helper_posted, FUTEX_WAIT_PRIVATE, seen, NULL, NULL, 0);
            atomic_store(&helper_sleeping, 0);
            since = now_ns();
        }
        seen = posted;
        /* the parameters are read before the claim: a successful claim (work unchanged since it was read as job
           `seen` with tiles left) proves the caller was not yet writing the next job's */
        unsigned long long v = atomic_load(&work);
        if ((unsigned)(v >> 32) != seen || (int)(v & 0xFFFF) >= (int)((v >> 16) & 0xFFFF)) continue;
        tile_job job = helper_job;
        if ((unsigned)(atomic_load(&work) >> 32) == seen) share_tiles(&job, seen, 1);
    }
    return NULL;
}

static int helper_ready(void) {
    const int pid = (int)getpid();
    if (atomic_load(&helper_pid) == pid) return 1;
    pthread_mutex_lock(&helper_start_lock);
    if (atomic_load(&helper_pid) != pid) {
        pthread_t thread;
        atomic_store(&helper_claimed, 0);
        atomic_store(&helper_sleeping, 0);
        const unsigned posted = atomic_load(&helper_posted);
        if (pthread_create(&thread, NULL, helper_main, (void *)(uintptr_t)posted) == 0) {
            pthread_detach(thread);
            atomic_store(&helper_pid, pid);
        }
    }
    pthread_mutex_unlock(&helper_start_lock);
    return atomic_load(&helper_pid) == pid;
}

/* 1 while the helper is spinning or working (it then counts as a runnable thread of its own), 0 asleep or absent */
int kefu_helper_awake(void) {
    return atomic_load(&helper_pid) == (int)getpid() && !atomic_load(&helper_sleeping);
}

/* y [M, N] bfloat16 = x [M, K] bfloat16 times the packed W (y += ... when accumulate), with x quantized in one or
   two passes; scratch: a [passes * M * K] int8, dx and sx [M * K / 32] float. threads = 2 shares the output
   tiles with the helper thread (the same arithmetic per column, so the same result as one thread). */
void kefu_qgemm(int M, int K, int N, const uint16_t *x, int bits, int passes, const uint8_t *w, const uint16_t *dw,
                const uint16_t *mw, uint16_t *y, int accumulate, int8_t *a, float *dx, float *sx, int threads) {
    quantize_rows(M, K, passes, x, a, dx, sx);
    const int tiles = N / 16;
    tile_job job = {M, K, N, bits, passes, accumulate, 0, tiles, a, dx, sx, dw, mw, w, y};
    int expected = 0;
    if (threads < 2 || tiles < 4 || tiles > MAX_SHARED_TILES || !helper_ready()
            || !atomic_compare_exchange_strong(&helper_claimed, &expected, 1)) {
        qgemm_tiles(&job);
        return;
    }
    helper_job = job;
    atomic_store(&tiles_done, 0);
    const unsigned seq = atomic_load(&helper_posted) + 1;
    atomic_store(&work, ((unsigned long long)seq << 32) | ((unsigned long long)tiles << 16));
    atomic_store(&helper_posted, seq);
    if (atomic_load(&helper_sleeping)) syscall(SYS_futex, &helper_posted, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    share_tiles(&job, seq, 0);
    for (int spins = 0; atomic_load(&tiles_done) != tiles; spins++) {
        _mm_pause();
        if (spins > 4096) sched_yield();  /* the helper's chunk is unfinished and it lost its core */
    }
    atomic_store(&helper_claimed, 0);
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
