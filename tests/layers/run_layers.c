/* layers: the include matrix of shared/README.md, enforced. Every
 * `#include "..."` of every .c/.h file of the repo (build/ and .git/ aside)
 * is resolved the way the compiler resolves it (the including file's folder,
 * then the Makefile's -I folders) and checked against the table, which this
 * driver parses so that the README and the check cannot disagree.
 * Fixture trees under tests/layers/fixtures/ (each a tiny repo with its own
 * README table and Makefile) prove that the check passes a clean tree and
 * names file:line of every include that breaks the rule.
 *
 *   run_layers [build-dir]   (run from the repository root; the dir is unused)
 *
 * Prints "layers: N passed, N failed": one check per quote include of the
 * repo, plus the fixture checks. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "driver.h"
#include "platform/dstr.h"

#define MAX_COLS 32
#define MAX_ROWS 64
#define MAX_SEARCH 16
#define FIXTURES "tests/layers/fixtures"

enum allow { ALLOW_NONE, ALLOW_ALL, ALLOW_FILES };

typedef struct {
    char *path; /* a folder ("shared/domain") or a file ("infra/local/backtest.c") */
    int is_file;
    enum allow allow[MAX_COLS];
    char *files[MAX_COLS]; /* ALLOW_FILES: the names, each followed by '\n' */
} mrow;

typedef struct {
    char *scope; /* "" for every file, else a folder prefix ending in '/' */
    char *dir;
} search_dir;

typedef struct {
    int ncols, nrows, nsearch;
    char *col[MAX_COLS];
    mrow row[MAX_ROWS];
    search_dir search[MAX_SEARCH];
} matrix;

typedef struct {
    const char *root;
    matrix m;
    int verbose;      /* one drv_check per include (the repo); else silent (fixtures) */
    int checked, bad; /* quote includes seen, and those that break the rule */
    dstr where;       /* "file:line\n" of every violation, in walk order */
    dstr report;      /* "file:line: why\n" of the same */
} tree;

static void matrix_free(matrix *m) {
    for (int c = 0; c < m->ncols; c++) free(m->col[c]);
    for (int r = 0; r < m->nrows; r++) {
        free(m->row[r].path);
        for (int c = 0; c < m->ncols; c++) free(m->row[r].files[c]);
    }
    for (int i = 0; i < m->nsearch; i++) {
        free(m->search[i].scope);
        free(m->search[i].dir);
    }
    memset(m, 0, sizeof *m);
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* path is folder itself or lies below it */
static int under(const char *path, const char *folder) {
    size_t n = strlen(folder);
    return strncmp(path, folder, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static char *trim(char *s) {
    while (*s == ' ' || *s == '\t') s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r')) *--e = '\0';
    return s;
}

/* A path cell: `shared/domain` -> shared/domain (backticks and a trailing '/' go). */
static char *path_cell(char *s) {
    s = trim(s);
    size_t n = strlen(s);
    if (n >= 2 && s[0] == '`' && s[n - 1] == '`') {
        s[n - 1] = '\0';
        s++;
        n -= 2;
    }
    while (n > 1 && s[n - 1] == '/') s[--n] = '\0';
    return s;
}

/* Splits "| a | b |" in place into at most max cells; returns how many. */
static int split_row(char *line, char **cells, int max) {
    char *p = trim(line);
    if (*p != '|') return 0;
    p++;
    size_t n = strlen(p);
    if (n && p[n - 1] == '|') p[n - 1] = '\0';
    int k = 0;
    for (char *cell = p;; k++) {
        char *bar = strchr(cell, '|');
        if (k == max) return -1;
        cells[k] = cell;
        if (!bar) return k + 1;
        *bar = '\0';
        cell = bar + 1;
    }
}

/* "yes", blank, or a list of `file` names of that column. */
static int parse_cell(char *text, enum allow *allow, char **files, dstr *err) {
    char *s = trim(text);
    *files = NULL;
    if (!*s) {
        *allow = ALLOW_NONE;
        return 0;
    }
    if (strcmp(s, "yes") == 0) {
        *allow = ALLOW_ALL;
        return 0;
    }
    dstr names = {0};
    for (char *p = strchr(s, '`'); p; p = strchr(p, '`')) {
        char *end = strchr(p + 1, '`');
        if (!end || end == p + 1) break;
        dstr_append(&names, p + 1, (size_t)(end - p - 1));
        dstr_putc(&names, '\n');
        p = end + 1;
    }
    if (!names.len) {
        dstr_printf(err, "cell \"%s\": not \"yes\", blank, or `file` names", s);
        return -1;
    }
    *allow = ALLOW_FILES;
    *files = dstr_take(&names);
    return 0;
}

/* The first table whose header starts with "from" is the matrix. */
static int parse_readme(const char *text, matrix *m, dstr *err) {
    char *copy = xstrdup(text), *rest = copy, *cells[MAX_COLS + 1];
    int state = 0, rc = -1; /* 0: looking for the header, 1: separator, 2: rows */
    for (char *line; (line = strsep(&rest, "\n"));) {
        if (state == 2 && *trim(line) != '|') break;
        int n = split_row(line, cells, MAX_COLS + 1);
        if (state == 0) {
            if (n < 2 || strncmp(trim(cells[0]), "from", 4) != 0) continue;
            for (int c = 1; c < n; c++) m->col[m->ncols++] = xstrdup(path_cell(cells[c]));
            state = 1;
        } else if (state == 1) {
            state = 2; /* |---|---| */
        } else {
            if (n != m->ncols + 1) {
                dstr_printf(err, "row \"%s\": %d cells, the header has %d", line, n, m->ncols + 1);
                goto out;
            }
            if (m->nrows == MAX_ROWS) {
                dstr_printf(err, "more than %d rows", MAX_ROWS);
                goto out;
            }
            mrow *r = &m->row[m->nrows++];
            r->path = xstrdup(path_cell(cells[0]));
            r->is_file = ends_with(r->path, ".c") || ends_with(r->path, ".h");
            for (int c = 0; c < m->ncols; c++)
                if (parse_cell(cells[c + 1], &r->allow[c], &r->files[c], err) != 0) goto out;
        }
    }
    if (m->ncols == 0 || m->nrows == 0)
        dstr_puts(err, "no matrix: a table whose header starts with \"from\" and has rows");
    else rc = 0;
out:
    free(copy);
    return rc;
}

/* The -I folders of `CFLAGS +=` lines; `$(OBJ)/<dir>/%.o: CFLAGS += ...`
 * scopes them to the files below <dir>. Every-file folders come first, as
 * make appends a target's value after the global one. */
static void parse_makefile(const char *text, matrix *m) {
    char *copy = xstrdup(text), *save = NULL;
    for (int pass = 0; pass < 2; pass++) {
        memcpy(copy, text, strlen(text) + 1);
        for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            char *flags = strstr(line, "CFLAGS"), *plus = flags ? strstr(flags, "+=") : NULL;
            if (!plus) continue;
            const char *scope = "";
            char scoped[256];
            char *pct = strstr(line, "%.o:");
            if (strncmp(line, "$(OBJ)/", 7) == 0 && pct && pct < flags) {
                snprintf(scoped, sizeof scoped, "%.*s", (int)(pct - line - 7), line + 7);
                scope = scoped;
            }
            if ((*scope != '\0') != pass) continue;
            char *tsave = NULL;
            for (char *tok = strtok_r(plus + 2, " \t", &tsave); tok;
                 tok = strtok_r(NULL, " \t", &tsave)) {
                if (strncmp(tok, "-I", 2) != 0 || !tok[2] || strchr(tok, '$')) continue;
                if (m->nsearch == MAX_SEARCH) break;
                search_dir *s = &m->search[m->nsearch++];
                s->scope = xstrdup(scope);
                s->dir = xstrdup(path_cell(tok + 2));
            }
        }
    }
    free(copy);
}

static int load_matrix(const char *root, matrix *m, dstr *err) {
    dstr path = {0}, text = {0};
    int rc = -1;
    dstr_printf(&path, "%s/shared/README.md", root);
    drv_read_file(path.ptr, &text);
    if (!text.len) {
        dstr_printf(err, "%s: missing or empty", path.ptr);
        goto out;
    }
    if (parse_readme(text.ptr, m, err) != 0) {
        dstr_printf(err, " (%s)", path.ptr);
        goto out;
    }
    dstr_clear(&path);
    dstr_printf(&path, "%s/Makefile", root);
    drv_read_file(path.ptr, &text);
    if (!text.len) {
        dstr_printf(err, "%s: missing or empty (it names the -I folders)", path.ptr);
        goto out;
    }
    parse_makefile(text.ptr, m);
    rc = 0;
out:
    dstr_free(&path);
    dstr_free(&text);
    return rc;
}

/* dir + "/" + rel with "." and ".." folded; -1 when it climbs out of the tree. */
static int join_norm(const char *dir, const char *rel, dstr *out) {
    dstr_clear(out);
    dstr_puts(out, "");
    char *both = NULL;
    size_t n = strlen(dir) + strlen(rel) + 2;
    both = malloc(n);
    if (!both) abort();
    snprintf(both, n, "%s%s%s", dir, *dir ? "/" : "", rel);
    int rc = 0;
    char *save = NULL;
    for (char *part = strtok_r(both, "/", &save); part; part = strtok_r(NULL, "/", &save)) {
        if (strcmp(part, ".") == 0) continue;
        if (strcmp(part, "..") == 0) {
            if (!out->len) {
                rc = -1;
                break;
            }
            char *slash = strrchr(out->ptr, '/');
            out->len = slash ? (size_t)(slash - out->ptr) : 0;
            out->ptr[out->len] = '\0';
            continue;
        }
        if (out->len) dstr_putc(out, '/');
        dstr_puts(out, part);
    }
    free(both);
    return rc;
}

static int is_file(const char *root, const char *rel) {
    char path[4096];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", root, rel);
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The file the compiler would open for #include "inc" in file; 0 if found. */
static int resolve(const tree *t, const char *file, const char *inc, dstr *out) {
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", file);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = '\0';
    else dir[0] = '\0';
    if (join_norm(dir, inc, out) == 0 && is_file(t->root, out->ptr)) return 0;
    for (int i = 0; i < t->m.nsearch; i++) {
        const search_dir *s = &t->m.search[i];
        if (strncmp(file, s->scope, strlen(s->scope)) != 0) continue;
        if (join_norm(s->dir, inc, out) == 0 && is_file(t->root, out->ptr)) return 0;
    }
    return -1;
}

static const mrow *row_of(const matrix *m, const char *file) {
    const mrow *best = NULL;
    for (int r = 0; r < m->nrows; r++)
        if (m->row[r].is_file && strcmp(m->row[r].path, file) == 0) return &m->row[r];
    for (int r = 0; r < m->nrows; r++)
        if (!m->row[r].is_file && under(file, m->row[r].path) &&
            (!best || strlen(m->row[r].path) > strlen(best->path)))
            best = &m->row[r];
    return best;
}

static int col_of(const matrix *m, const char *file) {
    int best = -1;
    for (int c = 0; c < m->ncols; c++)
        if (under(file, m->col[c]) && (best < 0 || strlen(m->col[c]) > strlen(m->col[best])))
            best = c;
    return best;
}

static int names_file(const char *files, const char *name) {
    size_t n = strlen(name);
    for (const char *p = files; *p; p = strchr(p, '\n') + 1)
        if (strncmp(p, name, n) == 0 && p[n] == '\n') return 1;
    return 0;
}

/* Checks one include; 0 when the matrix allows it, else why in err. */
static int check_include(const tree *t, const char *file, const char *inc, dstr *err) {
    dstr target = {0};
    int rc = -1;
    const mrow *r = row_of(&t->m, file);
    int c;
    if (resolve(t, file, inc, &target) != 0) {
        dstr_printf(err, "\"%s\" resolves to no file", inc);
    } else if (!r) {
        dstr_printf(err, "\"%s\": no row of the matrix covers %s", inc, file);
    } else if ((c = col_of(&t->m, target.ptr)) < 0) {
        dstr_printf(err, "\"%s\" -> %s: no column of the matrix covers it", inc, target.ptr);
    } else if (r->allow[c] == ALLOW_ALL ||
               (r->allow[c] == ALLOW_FILES &&
                names_file(r->files[c], target.ptr + strlen(t->m.col[c]) + 1))) {
        rc = 0;
    } else if (r->allow[c] == ALLOW_FILES) {
        dstr_printf(err, "\"%s\" -> %s: %s may include only some files of %s", inc, target.ptr,
                    r->path, t->m.col[c]);
    } else {
        dstr_printf(err, "\"%s\" -> %s: %s may not include %s", inc, target.ptr, r->path,
                    t->m.col[c]);
    }
    dstr_free(&target);
    return rc;
}

/* The name inside `#include "name"`, or NULL for any other line. */
static char *quote_include(char *line) {
    char *p = line;
    while (*p == ' ' || *p == '\t') p++;
    if (*p++ != '#') return NULL;
    while (*p == ' ' || *p == '\t') p++;
    if (strncmp(p, "include", 7) != 0) return NULL;
    p += 7;
    while (*p == ' ' || *p == '\t') p++;
    if (*p != '"') return NULL;
    char *end = strchr(p + 1, '"');
    if (!end) return NULL;
    *end = '\0';
    return p + 1;
}

static void check_file(tree *t, const char *file) {
    dstr path = {0}, text = {0}, err = {0}, name = {0};
    dstr_printf(&path, "%s/%s", t->root, file);
    drv_read_file(path.ptr, &text);
    int lineno = 0;
    for (char *line = text.ptr; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        lineno++;
        char *inc = quote_include(line);
        if (inc) {
            t->checked++;
            dstr_clear(&err);
            dstr_puts(&err, "");
            int ok = check_include(t, file, inc, &err) == 0;
            dstr_clear(&name);
            dstr_printf(&name, "%s:%d", file, lineno);
            if (!ok) {
                t->bad++;
                dstr_printf(&t->where, "%s\n", name.ptr);
                dstr_printf(&t->report, "%s: %s\n", name.ptr, err.ptr);
            }
            if (t->verbose) drv_check(ok, name.ptr, "%s", err.ptr);
        }
        line = nl ? nl + 1 : NULL;
    }
    dstr_free(&path);
    dstr_free(&text);
    dstr_free(&err);
    dstr_free(&name);
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Collects the .c/.h files below rel, sorted; skips .git, the top build/,
 * and folders that are trees of their own (a shared/README.md inside). */
static void walk(const tree *t, const char *rel, char ***files, size_t *n) {
    dstr path = {0};
    dstr_printf(&path, "%s%s%s", t->root, *rel ? "/" : "", rel);
    DIR *d = opendir(path.ptr);
    dstr_free(&path);
    if (!d) return;
    char **names = NULL;
    size_t k = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.' && (!e->d_name[1] || strcmp(e->d_name, "..") == 0)) continue;
        if (strcmp(e->d_name, ".git") == 0 || (!*rel && strcmp(e->d_name, "build") == 0)) continue;
        names = realloc(names, (k + 1) * sizeof *names);
        if (!names) abort();
        names[k++] = xstrdup(e->d_name);
    }
    closedir(d);
    if (k > 1) qsort(names, k, sizeof *names, by_name); /* qsort(NULL, 0) is UB: an empty folder */
    for (size_t i = 0; i < k; i++) {
        dstr child = {0}, own = {0};
        dstr_printf(&child, "%s%s%s", rel, *rel ? "/" : "", names[i]);
        dstr_printf(&own, "%s/shared/README.md", child.ptr);
        struct stat st;
        dstr full = {0};
        dstr_printf(&full, "%s/%s", t->root, child.ptr);
        if (stat(full.ptr, &st) == 0 && S_ISDIR(st.st_mode)) {
            if (!is_file(t->root, own.ptr)) walk(t, child.ptr, files, n);
        } else if (ends_with(names[i], ".c") || ends_with(names[i], ".h")) {
            *files = realloc(*files, (*n + 1) * sizeof **files);
            if (!*files) abort();
            (*files)[(*n)++] = dstr_take(&child);
        }
        dstr_free(&child);
        dstr_free(&own);
        dstr_free(&full);
        free(names[i]);
    }
    free(names);
}

/* Checks every file of the tree at root; 0, or -1 (why in err) when its
 * matrix cannot be read. */
static int check_tree(tree *t, dstr *err) {
    if (load_matrix(t->root, &t->m, err) != 0) return -1;
    char **files = NULL;
    size_t n = 0;
    walk(t, "", &files, &n);
    for (size_t i = 0; i < n; i++) {
        check_file(t, files[i]);
        free(files[i]);
    }
    free(files);
    return 0;
}

static void tree_free(tree *t) {
    matrix_free(&t->m);
    dstr_free(&t->where);
    dstr_free(&t->report);
}

/* A fixture must report exactly the file:line list of its `expected` file
 * (empty: it passes). */
static void check_fixture(const char *name) {
    dstr root = {0}, expected = {0}, err = {0}, label = {0};
    dstr_printf(&root, FIXTURES "/%s", name);
    dstr_printf(&label, "%s/expected", root.ptr);
    drv_read_file(label.ptr, &expected);
    tree t = {.root = root.ptr};
    int rc = check_tree(&t, &err);
    dstr_clear(&label);
    dstr_printf(&label, "fixture %s: its matrix loads", name);
    drv_check(rc == 0, label.ptr, "%s", err.ptr ? err.ptr : "");
    dstr_clear(&label);
    dstr_printf(&label, "fixture %s: includes were checked", name);
    drv_check(t.checked > 0, label.ptr, "none found");
    dstr_clear(&label);
    dstr_printf(&label, "fixture %s: reports exactly the expected file:line list", name);
    drv_check(strcmp(dstr_cstr(&t.where), dstr_cstr(&expected)) == 0, label.ptr,
              "\nreported:\n%sexpected:\n%s", dstr_cstr(&t.where), dstr_cstr(&expected));
    dstr_clear(&label);
    dstr_printf(&label, "fixture %s: %s", name, expected.len ? "fails" : "passes");
    drv_check((t.bad > 0) == (expected.len > 0), label.ptr, "%d violations", t.bad);
    tree_free(&t);
    dstr_free(&root);
    dstr_free(&expected);
    dstr_free(&err);
    dstr_free(&label);
}

/* A table that cannot be read is an error, never an empty rule. */
static void check_broken_table(void) {
    tree t = {.root = FIXTURES "/badtable"};
    dstr err = {0};
    int rc = check_tree(&t, &err);
    drv_check(rc != 0 && strstr(dstr_cstr(&err), "\"maybe\"") != NULL,
              "fixture badtable: an unknown cell is a matrix error", "rc %d, error \"%s\"", rc,
              dstr_cstr(&err));
    tree_free(&t);
    dstr_free(&err);
}

int main(int argc, char **argv) {
    (void)argc, (void)argv;
    check_fixture("pass");
    check_fixture("fail");
    check_broken_table();

    tree repo = {.root = ".", .verbose = 1};
    dstr err = {0};
    int rc = check_tree(&repo, &err);
    drv_check(rc == 0, "matrix of shared/README.md loads", "%s", dstr_cstr(&err));
    drv_check(repo.checked > 100, "the repo's includes were found", "only %d", repo.checked);
    if (repo.bad)
        printf("\n%d includes break the matrix of shared/README.md:\n%s\n", repo.bad,
               repo.report.ptr);
    dstr_free(&err);
    tree_free(&repo);
    return drv_summary("layers");
}
