/* Unit tests for shared/domain/indicators: every indicator, every index, against
 * values produced by TA-Lib itself (tests/reference/indicators/, see its
 * README), plus small hand-checked series, edge cases and invalid input.
 * Run from the repository root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/indicators.h"

#define CANDLES_CSV "tests/reference/indicators/btcusdt_1h_300.csv"
#define REFERENCE_CSV "tests/reference/indicators/btcusdt_1h_ref.csv"

/* TA-Lib computes in doubles too; differences are summation order only. */
#define REL_TOL 1e-9
#define ABS_TOL 1e-8

/* ---- a numeric CSV table -------------------------------------------------- */

typedef struct table {
    size_t cols, rows;
    char **names;
    double *cells; /* row-major; empty or unparsable cells are NaN */
} table;

static void table_free(table *t) {
    for (size_t c = 0; c < t->cols; c++) free(t->names[c]);
    free(t->names);
    free(t->cells);
    memset(t, 0, sizeof *t);
}

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: %s (run the tests from the repository root)\n", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (cap - len - 1 == 0) {
            char *bigger = realloc(buf, cap * 2);
            if (!bigger) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf) buf[len] = '\0';
    return buf;
}

static size_t count_fields(const char *line) {
    size_t n = 1;
    for (; *line && *line != '\n'; line++) n += *line == ',';
    return n;
}

/* Loads a CSV with a header line; false (with a message) on any problem. */
static bool table_load(table *t, const char *path) {
    memset(t, 0, sizeof *t);
    char *text = read_file(path);
    if (!text) return false;
    t->cols = count_fields(text);
    for (const char *p = strchr(text, '\n'); p && p[1]; p = strchr(p + 1, '\n')) t->rows++;
    t->names = calloc(t->cols, sizeof *t->names);
    t->cells = calloc(t->cols * t->rows + 1, sizeof *t->cells);
    bool ok = t->names && t->cells;
    char *line = text;
    for (size_t c = 0; ok && c < t->cols; c++) {
        size_t len = strcspn(line, ",\n");
        t->names[c] = strndup(line, len);
        ok = t->names[c] != NULL;
        line += len + 1;
    }
    for (size_t r = 0; ok && r < t->rows; r++) {
        ok = count_fields(line) == t->cols;
        for (size_t c = 0; ok && c < t->cols; c++) {
            char *end;
            double v = strtod(line, &end);
            t->cells[r * t->cols + c] = end == line ? NAN : v;
            line = end + strcspn(end, ",\n") + 1;
        }
    }
    if (!ok) fprintf(stderr, "%s: malformed CSV\n", path);
    free(text);
    if (!ok) table_free(t);
    return ok;
}

/* Copies one named column out; the caller frees. Fails the test if absent. */
static double *table_column(const table *t, const char *name) {
    for (size_t c = 0; c < t->cols; c++) {
        if (strcmp(t->names[c], name) != 0) continue;
        double *col = malloc(t->rows * sizeof *col);
        assert_non_null(col);
        for (size_t r = 0; r < t->rows; r++) col[r] = t->cells[r * t->cols + c];
        return col;
    }
    fail_msg("no column %s", name);
    return NULL;
}

/* ---- fixture: the candles and TA-Lib's outputs ---------------------------- */

typedef struct fixture {
    table candles, ref;
    size_t n;
    double *high, *low, *close, *volume;
} fixture;

static int fixture_setup(void **state) {
    fixture *fx = calloc(1, sizeof *fx);
    if (!fx || !table_load(&fx->candles, CANDLES_CSV) || !table_load(&fx->ref, REFERENCE_CSV)) {
        if (fx) {
            table_free(&fx->candles);
            free(fx);
        }
        return -1;
    }
    fx->n = fx->candles.rows;
    if (fx->ref.rows != fx->n) {
        fprintf(stderr, "reference has %zu rows, candles %zu\n", fx->ref.rows, fx->n);
        table_free(&fx->candles);
        table_free(&fx->ref);
        free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

static int fixture_teardown(void **state) {
    fixture *fx = *state;
    table_free(&fx->candles);
    table_free(&fx->ref);
    free(fx);
    return 0;
}

/* Per test: fresh column copies, so a test cannot disturb another. */
static int candles_setup(void **state) {
    fixture *fx = *state;
    fx->high = table_column(&fx->candles, "high");
    fx->low = table_column(&fx->candles, "low");
    fx->close = table_column(&fx->candles, "close");
    fx->volume = table_column(&fx->candles, "volume");
    return 0;
}

static int candles_teardown(void **state) {
    fixture *fx = *state;
    free(fx->high);
    free(fx->low);
    free(fx->close);
    free(fx->volume);
    return 0;
}

/* ---- comparison ----------------------------------------------------------- */

static bool close_enough(double got, double want, double rel, double abs_tol) {
    if (isnan(want) || isnan(got)) return isnan(want) && isnan(got);
    double diff = fabs(got - want);
    return diff <= abs_tol || diff <= rel * fabs(want);
}

static void assert_series(const char *label, const double *got, const double *want, size_t n,
                          double scale) {
    for (size_t i = 0; i < n; i++) {
        double w = want[i] * scale;
        if (!close_enough(got[i], w, REL_TOL, ABS_TOL * scale))
            fail_msg("%s[%zu]: got %.17g, want %.17g", label, i, got[i], w);
    }
}

static void assert_series_ref(const fixture *fx, const char *column, const double *got) {
    double *want = table_column(&fx->ref, column);
    assert_series(column, got, want, fx->n, 1.0);
    free(want);
}

/* Bitwise: *_last runs the very code that filled out[n-1]. */
static void assert_same_double(double a, double b) {
    if (isnan(a) && isnan(b)) return;
    if (memcmp(&a, &b, sizeof a) != 0)
        fail_msg("last helper %.17g differs from out[n-1] %.17g", a, b);
}

/* ---- reference cases, as data --------------------------------------------- */

typedef enum { K_SMA, K_EMA, K_RSI, K_ATR, K_MACD, K_BBANDS, K_VWAP, K_RVOL } kind;

typedef struct ref_case {
    kind kind;
    int p[3];
    double k;
    size_t offset; /* VWAP anchor */
    const char *cols[3];
    ptrdiff_t first; /* expected return value, relative to the series start */
} ref_case;

/* clang-format off */
static const ref_case REF_CASES[] = {
    {K_SMA, {20}, 0, 0, {"sma_20"}, 19},
    {K_SMA, {5}, 0, 0, {"sma_5"}, 4},
    {K_EMA, {20}, 0, 0, {"ema_20"}, 19},
    {K_EMA, {9}, 0, 0, {"ema_9"}, 8},
    {K_RSI, {14}, 0, 0, {"rsi_14"}, 14},
    {K_RSI, {2}, 0, 0, {"rsi_2"}, 2},
    {K_ATR, {14}, 0, 0, {"atr_14"}, 14},
    {K_ATR, {1}, 0, 0, {"atr_1"}, 1},
    {K_MACD, {12, 26, 9}, 0, 0, {"macd_12_26_9", "macd_signal_12_26_9", "macd_hist_12_26_9"}, 33},
    {K_MACD, {3, 10, 16}, 0, 0, {"macd_3_10_16", "macd_signal_3_10_16", "macd_hist_3_10_16"}, 24},
    {K_BBANDS, {20}, 2.0, 0, {"bb_upper_20_2", "bb_middle_20_2", "bb_lower_20_2"}, 19},
    {K_BBANDS, {10}, 1.5, 0, {"bb_upper_10_1.5", "bb_middle_10_1.5", "bb_lower_10_1.5"}, 9},
    {K_VWAP, {0}, 0, 0, {"vwap_from_0"}, 0},
    {K_VWAP, {0}, 0, 150, {"vwap_from_150"}, 0},
    {K_RVOL, {20}, 0, 0, {"rvol_20"}, 20},
    {K_RVOL, {2}, 0, 0, {"rvol_2"}, 2},
};
/* clang-format on */

/* Runs one case over the fixture's candles (from rc->offset on): fills
 * out[0..2] and checks the return value and the *_last helper. */
static void run_case(const fixture *fx, const ref_case *rc, double *const out[3]) {
    size_t n = fx->n - rc->offset;
    const double *h = fx->high + rc->offset, *l = fx->low + rc->offset;
    const double *c = fx->close + rc->offset, *v = fx->volume + rc->offset;
    ptrdiff_t first = -1;
    double last[3] = {NAN, NAN, NAN};
    switch (rc->kind) {
    case K_SMA:
        first = ind_sma(c, n, rc->p[0], out[0]);
        last[0] = ind_sma_last(c, n, rc->p[0]);
        break;
    case K_EMA:
        first = ind_ema(c, n, rc->p[0], out[0]);
        last[0] = ind_ema_last(c, n, rc->p[0]);
        break;
    case K_RSI:
        first = ind_rsi(c, n, rc->p[0], out[0]);
        last[0] = ind_rsi_last(c, n, rc->p[0]);
        break;
    case K_ATR:
        first = ind_atr(h, l, c, n, rc->p[0], out[0]);
        last[0] = ind_atr_last(h, l, c, n, rc->p[0]);
        break;
    case K_MACD: {
        first = ind_macd(c, n, rc->p[0], rc->p[1], rc->p[2], out[0], out[1], out[2]);
        ind_macd_value m = ind_macd_last(c, n, rc->p[0], rc->p[1], rc->p[2]);
        last[0] = m.macd, last[1] = m.signal, last[2] = m.hist;
        break;
    }
    case K_BBANDS: {
        first = ind_bbands(c, n, rc->p[0], rc->k, out[0], out[1], out[2]);
        ind_bbands_value b = ind_bbands_last(c, n, rc->p[0], rc->k);
        last[0] = b.upper, last[1] = b.middle, last[2] = b.lower;
        break;
    }
    case K_VWAP:
        first = ind_vwap(h, l, c, v, n, out[0]);
        last[0] = ind_vwap_last(h, l, c, v, n);
        break;
    case K_RVOL:
        first = ind_realised_vol(c, n, rc->p[0], out[0]);
        last[0] = ind_realised_vol_last(c, n, rc->p[0]);
        break;
    }
    assert_int_equal(first, rc->first);
    for (int j = 0; j < 3 && rc->cols[j]; j++) assert_same_double(last[j], out[j][n - 1]);
}

static void test_reference_values(void **state) {
    const fixture *fx = *state;
    for (size_t i = 0; i < sizeof REF_CASES / sizeof REF_CASES[0]; i++) {
        const ref_case *rc = &REF_CASES[i];
        double *buf[3], *out[3];
        for (int j = 0; j < 3; j++) {
            buf[j] = malloc(fx->n * sizeof *buf[j]);
            assert_non_null(buf[j]);
            for (size_t r = 0; r < fx->n; r++) buf[j][r] = NAN; /* the part before a VWAP anchor */
            out[j] = buf[j] + rc->offset;
        }
        run_case(fx, rc, out);
        for (int j = 0; j < 3 && rc->cols[j]; j++) assert_series_ref(fx, rc->cols[j], buf[j]);
        for (int j = 0; j < 3; j++) free(buf[j]);
    }
}

/* TA-Lib zeroes anything below 1e-14 (RSI's denominator, Bollinger's
 * variance); we do not, so BTC's series scaled by 2^-60 (~8.7e-19, exact in
 * binary) keeps its RSI and scales its bands: TA-Lib gives RSI 0 and
 * zero-width bands there. */
static void test_tiny_prices_scale(void **state) {
    fixture *fx = *state;
    const double scale = 0x1p-60;
    for (size_t i = 0; i < fx->n; i++) fx->close[i] *= scale;
    double *rsi = malloc(fx->n * sizeof *rsi), *b[3];
    assert_non_null(rsi);
    for (int j = 0; j < 3; j++) assert_non_null(b[j] = malloc(fx->n * sizeof *b[j]));
    assert_int_equal(ind_rsi(fx->close, fx->n, 14, rsi), 14);
    assert_int_equal(ind_bbands(fx->close, fx->n, 20, 2.0, b[0], b[1], b[2]), 19);

    double *want = table_column(&fx->ref, "rsi_14");
    assert_series("rsi_14 of scaled prices", rsi, want, fx->n, 1.0);
    free(want);
    const char *bands[3] = {"bb_upper_20_2", "bb_middle_20_2", "bb_lower_20_2"};
    for (int j = 0; j < 3; j++) {
        want = table_column(&fx->ref, bands[j]);
        assert_series(bands[j], b[j], want, fx->n, scale);
        free(want);
        free(b[j]);
    }
    free(rsi);
}

/* ---- hand-checked series -------------------------------------------------- */

#define NA NAN

/* A full-series result against literal values (NA for warm-up), exactly or
 * to 1e-12 where the arithmetic is not exact. */
static void assert_values(const double *got, const double *want, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!close_enough(got[i], want[i], 1e-12, 1e-12))
            fail_msg("[%zu]: got %.17g, want %.17g", i, got[i], want[i]);
}

static const double ONE_TO_FIVE[] = {1, 2, 3, 4, 5};

static void test_sma_small(void **state) {
    (void)state;
    double out[5];
    assert_int_equal(ind_sma(ONE_TO_FIVE, 5, 3, out), 2);
    assert_values(out, (double[]){NA, NA, 2, 3, 4}, 5);
    assert_int_equal(ind_sma(ONE_TO_FIVE, 5, 5, out), 4);
    assert_values(out, (double[]){NA, NA, NA, NA, 3}, 5);
    assert_int_equal(ind_sma(ONE_TO_FIVE, 5, 1, out), 0);
    assert_values(out, ONE_TO_FIVE, 5);
    assert_true(ind_sma_last(ONE_TO_FIVE, 5, 2) == 4.5);
}

static void test_ema_small(void **state) {
    (void)state;
    double out[5];
    /* seed mean(1,2,3) = 2, then k = 1/2 */
    assert_int_equal(ind_ema(ONE_TO_FIVE, 5, 3, out), 2);
    assert_values(out, (double[]){NA, NA, 2, 3, 4}, 5);
    const double jump[] = {2, 2, 2, 10};
    assert_int_equal(ind_ema(jump, 4, 3, out), 2);
    assert_values(out, (double[]){NA, NA, 2, 6}, 4);
    assert_int_equal(ind_ema(ONE_TO_FIVE, 5, 1, out), 0); /* k = 1: the input */
    assert_values(out, ONE_TO_FIVE, 5);
}

static void test_rsi_small(void **state) {
    (void)state;
    double out[6];
    /* changes +1, -1: averages 0.5/0.5 -> 50; then +2: gain (0.5+2)/2 = 1.25,
     * loss 0.5/2 = 0.25 -> 100 * 1.25/1.5 */
    const double zigzag[] = {1, 2, 1, 3};
    assert_int_equal(ind_rsi(zigzag, 4, 2, out), 2);
    assert_values(out, (double[]){NA, NA, 50, 100.0 * 1.25 / 1.5}, 4);

    const double up[] = {1, 2, 3, 4, 5, 6}, down[] = {6, 5, 4, 3, 2, 1},
                 flat[] = {7, 7, 7, 7, 7, 7};
    assert_int_equal(ind_rsi(up, 6, 3, out), 3); /* no losses: 100 */
    assert_values(out, (double[]){NA, NA, NA, 100, 100, 100}, 6);
    assert_int_equal(ind_rsi(down, 6, 3, out), 3); /* no gains: 0 */
    assert_values(out, (double[]){NA, NA, NA, 0, 0, 0}, 6);
    assert_int_equal(ind_rsi(flat, 6, 3, out), 3); /* no change: 0, as TA-Lib */
    assert_values(out, (double[]){NA, NA, NA, 0, 0, 0}, 6);
    const double flat_then_up[] = {7, 7, 7, 7, 8};
    assert_true(ind_rsi_last(flat_then_up, 5, 3) == 100);
}

static void test_atr_small(void **state) {
    (void)state;
    /* TR[1] = max(1, |11-9.5|, |10-9.5|) = 1.5; TR[2] = max(2, 1.5, 0.5) = 2;
     * TR[3]: a gap up from close 11 to a bar at 20 gives 9 */
    const double h[] = {10, 11, 12, 20}, l[] = {9, 10, 10, 20}, c[] = {9.5, 10.5, 11, 20};
    double out[4];
    assert_int_equal(ind_atr(h, l, c, 4, 1, out), 1);
    assert_values(out, (double[]){NA, 1.5, 2, 9}, 4);
    assert_int_equal(ind_atr(h, l, c, 4, 2, out), 2);
    assert_values(out, (double[]){NA, NA, 1.75, (1.75 + 9) / 2}, 4);
    assert_true(ind_atr_last(h, l, c, 4, 3) == (1.5 + 2 + 9) / 3);
}

static void test_macd_small(void **state) {
    (void)state;
    double flat[40], m[40], s[40], hist[40];
    for (int i = 0; i < 40; i++) flat[i] = 123.25;
    assert_int_equal(ind_macd(flat, 40, 12, 26, 9, m, s, hist), 33);
    for (int i = 0; i < 40; i++) {
        if (i < 33) {
            assert_true(isnan(m[i]) && isnan(s[i]) && isnan(hist[i]));
        } else {
            assert_true(m[i] == 0 && s[i] == 0 && hist[i] == 0);
        }
    }
    /* fast = 1 is the price itself; slow = 2 seeds with mean(1,2) = 1.5 at
     * index 1 then k = 2/3; signal = 1 is the line itself */
    assert_int_equal(ind_macd(ONE_TO_FIVE, 5, 1, 2, 1, m, s, hist), 1);
    double slow2 = 1.5, slow3 = slow2 + (3 - slow2) * 2.0 / 3.0;
    assert_values(m, (double[]){NA, 2 - 1.5, 3 - slow3}, 3);
    assert_values(s, (double[]){NA, 2 - 1.5, 3 - slow3}, 3);
    assert_values(hist, (double[]){NA, 0, 0}, 3);
    /* too short by one: 26 + 9 - 2 = 33 needs 34 values */
    assert_int_equal(ind_macd(flat, 33, 12, 26, 9, m, s, hist), -1);
    assert_true(isnan(ind_macd_last(flat, 33, 12, 26, 9).hist));
    assert_true(ind_macd_last(flat, 34, 12, 26, 9).signal == 0);
}

static void test_bbands_small(void **state) {
    (void)state;
    const double x[] = {1, 2, 3, 4};
    double u[4], mid[4], lo[4];
    /* mean 2.5, population variance (2.25 + 0.25 + 0.25 + 2.25) / 4 = 1.25 */
    assert_int_equal(ind_bbands(x, 4, 4, 2.0, u, mid, lo), 3);
    assert_values(u, (double[]){NA, NA, NA, 2.5 + 2 * sqrt(1.25)}, 4);
    assert_values(mid, (double[]){NA, NA, NA, 2.5}, 4);
    assert_values(lo, (double[]){NA, NA, NA, 2.5 - 2 * sqrt(1.25)}, 4);
    const double flat[] = {5, 5, 5};
    ind_bbands_value b = ind_bbands_last(flat, 3, 3, 2.0);
    assert_true(b.upper == 5 && b.middle == 5 && b.lower == 5);
    b = ind_bbands_last(x, 4, 2, 0.0); /* k = 0: all three are the SMA */
    assert_true(b.upper == 3.5 && b.lower == 3.5);
}

static void test_vwap_small(void **state) {
    (void)state;
    /* typical prices 10, 20, 30 */
    const double h[] = {11, 22, 33, 44}, l[] = {9, 18, 27, 36}, c[] = {10, 20, 30, 40};
    double out[4];
    assert_int_equal(ind_vwap(h, l, c, (double[]){1, 3, 0, 0}, 4, out), 0);
    assert_values(out, (double[]){10, 17.5, 17.5, 17.5}, 4);
    /* nothing traded yet: NaN, and the first valid index moves */
    assert_int_equal(ind_vwap(h, l, c, (double[]){0, 0, 2, 2}, 4, out), 2);
    assert_values(out, (double[]){NA, NA, 30, 35}, 4);
    assert_int_equal(ind_vwap(h, l, c, (double[]){0, 0, 0, 0}, 4, out), -1);
    assert_values(out, (double[]){NA, NA, NA, NA}, 4);
    /* a negative volume is bad data: NaN from there on */
    assert_int_equal(ind_vwap(h, l, c, (double[]){1, -1, 1, 1}, 4, out), 0);
    assert_values(out, (double[]){10, NA, NA, NA}, 4);
    assert_true(isnan(ind_vwap_last(h, l, c, (double[]){1, NAN, 1, 1}, 4)));
    assert_true(ind_vwap_last(h, l, c, (double[]){1, 1, 1, 1}, 4) == 25);
}

static void test_realised_vol_small(void **state) {
    (void)state;
    double out[5];
    /* log returns +1, -1: mean 0, sample variance (1 + 1) / 1 = 2 */
    const double e_path[] = {1, M_E, 1};
    assert_int_equal(ind_realised_vol(e_path, 3, 2, out), 2);
    assert_values(out, (double[]){NA, NA, sqrt(2)}, 3);
    /* constant growth: every return is ln 2, no dispersion */
    const double doubling[] = {1, 2, 4, 8, 16};
    assert_int_equal(ind_realised_vol(doubling, 5, 3, out), 3);
    assert_values(out, (double[]){NA, NA, NA, 0, 0}, 5);
    /* a close <= 0 spoils the windows that touch it, and only those */
    const double bad[] = {1, 2, 0, 2, 4, 8};
    double out6[6];
    assert_int_equal(ind_realised_vol(bad, 6, 2, out6), 2);
    assert_values(out6, (double[]){NA, NA, NA, NA, NA, 0}, 6);
    assert_true(ind_realised_vol_last(doubling, 5, 4) == 0);
}

/* ---- invalid input --------------------------------------------------------- */

/* Every full-series function with one argument broken: -1, and nothing
 * written (the sentinel survives). */
static void test_invalid_arguments(void **state) {
    (void)state;
    const double *x = ONE_TO_FIVE;
    double o1[5], o2[5], o3[5];
    for (int i = 0; i < 5; i++) o1[i] = o2[i] = o3[i] = 42;
    const ptrdiff_t results[] = {
        ind_sma(NULL, 5, 2, o1),
        ind_sma(x, 5, 2, NULL),
        ind_sma(x, 5, 0, o1),
        ind_sma(x, 5, -3, o1),
        ind_ema(NULL, 5, 2, o1),
        ind_ema(x, 5, 2, NULL),
        ind_ema(x, 5, 0, o1),
        ind_rsi(NULL, 5, 2, o1),
        ind_rsi(x, 5, 2, NULL),
        ind_rsi(x, 5, 0, o1),
        ind_atr(NULL, x, x, 5, 2, o1),
        ind_atr(x, NULL, x, 5, 2, o1),
        ind_atr(x, x, NULL, 5, 2, o1),
        ind_atr(x, x, x, 5, 2, NULL),
        ind_atr(x, x, x, 5, 0, o1),
        ind_macd(NULL, 5, 1, 2, 1, o1, o2, o3),
        ind_macd(x, 5, 1, 2, 1, NULL, o2, o3),
        ind_macd(x, 5, 1, 2, 1, o1, NULL, o3),
        ind_macd(x, 5, 1, 2, 1, o1, o2, NULL),
        ind_macd(x, 5, 0, 2, 1, o1, o2, o3),
        ind_macd(x, 5, 3, 2, 1, o1, o2, o3),
        ind_macd(x, 5, 1, 2, 0, o1, o2, o3),
        ind_bbands(NULL, 5, 2, 2, o1, o2, o3),
        ind_bbands(x, 5, 2, 2, NULL, o2, o3),
        ind_bbands(x, 5, 2, 2, o1, NULL, o3),
        ind_bbands(x, 5, 2, 2, o1, o2, NULL),
        ind_bbands(x, 5, 0, 2, o1, o2, o3),
        ind_bbands(x, 5, 2, -1, o1, o2, o3),
        ind_bbands(x, 5, 2, NAN, o1, o2, o3),
        ind_bbands(x, 5, 2, INFINITY, o1, o2, o3),
        ind_vwap(NULL, x, x, x, 5, o1),
        ind_vwap(x, NULL, x, x, 5, o1),
        ind_vwap(x, x, NULL, x, 5, o1),
        ind_vwap(x, x, x, NULL, 5, o1),
        ind_vwap(x, x, x, x, 5, NULL),
        ind_realised_vol(NULL, 5, 2, o1),
        ind_realised_vol(x, 5, 2, NULL),
        ind_realised_vol(x, 5, 1, o1),
    };
    for (size_t i = 0; i < sizeof results / sizeof results[0]; i++)
        if (results[i] != -1) fail_msg("invalid call #%zu returned %td", i, results[i]);
    for (int i = 0; i < 5; i++) assert_true(o1[i] == 42 && o2[i] == 42 && o3[i] == 42);

    assert_true(isnan(ind_sma_last(NULL, 5, 2)) && isnan(ind_sma_last(x, 5, 0)));
    assert_true(isnan(ind_ema_last(NULL, 5, 2)) && isnan(ind_ema_last(x, 5, 0)));
    assert_true(isnan(ind_rsi_last(NULL, 5, 2)) && isnan(ind_rsi_last(x, 5, -1)));
    assert_true(isnan(ind_atr_last(x, NULL, x, 5, 2)) && isnan(ind_atr_last(x, x, x, 5, 0)));
    assert_true(isnan(ind_macd_last(NULL, 5, 1, 2, 1).macd) &&
                isnan(ind_macd_last(x, 5, 2, 1, 1).macd));
    assert_true(isnan(ind_bbands_last(NULL, 5, 2, 2).middle) &&
                isnan(ind_bbands_last(x, 5, 2, -2).middle));
    assert_true(isnan(ind_vwap_last(x, x, x, NULL, 5)));
    assert_true(isnan(ind_realised_vol_last(NULL, 5, 2)) && isnan(ind_realised_vol_last(x, 5, 1)));
}

static void fill(double *o, size_t n, double v) {
    for (size_t i = 0; i < n; i++) o[i] = v;
}

static void assert_all_nan(const char *name, const double *o, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!isnan(o[i])) fail_msg("%s: out[%zu] = %g, want NaN", name, i, o[i]);
}

/* Valid arguments but too few values for one output: -1, every out[i] NaN,
 * and *_last NaN. */
static void test_too_short(void **state) {
    (void)state;
    const double *x = ONE_TO_FIVE;
    double o[3][5];
    enum { SMA, EMA, RSI, ATR, MACD, BBANDS, RVOL, EMPTY, COUNT };
    static const char *const names[COUNT] = {"sma",  "ema",    "rsi",          "atr",
                                             "macd", "bbands", "realised_vol", "empty"};
    for (int which = 0; which < COUNT; which++) {
        fill(o[0], 5, 42), fill(o[1], 5, 42), fill(o[2], 5, 42);
        size_t n = 5;
        ptrdiff_t got = 0;
        double last = 0;
        switch (which) {
        case SMA: n = 4, got = ind_sma(x, n, 5, o[0]), last = ind_sma_last(x, n, 5); break;
        case EMA: n = 4, got = ind_ema(x, n, 5, o[0]), last = ind_ema_last(x, n, 5); break;
        case RSI: /* first value at index 5 */
            got = ind_rsi(x, n, 5, o[0]), last = ind_rsi_last(x, n, 5);
            break;
        case ATR: got = ind_atr(x, x, x, n, 5, o[0]), last = ind_atr_last(x, x, x, n, 5); break;
        case MACD: /* first value at 3 + 4 - 2 = 5 */
            got = ind_macd(x, n, 2, 3, 4, o[0], o[1], o[2]);
            last = ind_macd_last(x, n, 2, 3, 4).signal;
            break;
        case BBANDS:
            n = 4, got = ind_bbands(x, n, 5, 2, o[0], o[1], o[2]);
            last = ind_bbands_last(x, n, 5, 2).middle;
            break;
        case RVOL: /* 5 returns need 6 closes */
            got = ind_realised_vol(x, n, 5, o[0]), last = ind_realised_vol_last(x, n, 5);
            break;
        case EMPTY:
            n = 0, got = ind_vwap(x, x, x, x, n, o[0]), last = ind_vwap_last(x, x, x, x, n);
            break;
        }
        if (got != -1 || !isnan(last))
            fail_msg("%s: got %td / %g, want -1 / NaN", names[which], got, last);
        assert_all_nan(names[which], o[0], n);
        if (which == MACD || which == BBANDS) {
            assert_all_nan(names[which], o[1], n);
            assert_all_nan(names[which], o[2], n);
        }
    }
}

int main(void) {
    const struct CMUnitTest reference[] = {
        cmocka_unit_test_setup_teardown(test_reference_values, candles_setup, candles_teardown),
        cmocka_unit_test_setup_teardown(test_tiny_prices_scale, candles_setup, candles_teardown),
    };
    const struct CMUnitTest small[] = {
        cmocka_unit_test(test_sma_small),         cmocka_unit_test(test_ema_small),
        cmocka_unit_test(test_rsi_small),         cmocka_unit_test(test_atr_small),
        cmocka_unit_test(test_macd_small),        cmocka_unit_test(test_bbands_small),
        cmocka_unit_test(test_vwap_small),        cmocka_unit_test(test_realised_vol_small),
        cmocka_unit_test(test_invalid_arguments), cmocka_unit_test(test_too_short),
    };
    int failed = cmocka_run_group_tests_name("indicators vs TA-Lib reference", reference,
                                             fixture_setup, fixture_teardown);
    failed += cmocka_run_group_tests_name("indicators by hand", small, NULL, NULL);
    return failed ? 1 : 0;
}
