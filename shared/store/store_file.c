/* store_file: the file backend of store.h. A key "a/b/c" is the file
 * <root>/a/b/c; directories are created on demand.
 *
 * Atomicity: an object is always written in full to a temporary file in its
 * own directory (".tmp-<pid>-<counter>-<random>", O_EXCL, a name no key can
 * have and no listing returns) and fsynced before it gets its real name:
 * - store_put renames it over the key: rename(2) swaps the directory entry
 *   in one step, so a reader opens either the old file or the new one;
 * - store_put_new hard-links it to the key: link(2) fails with EEXIST when
 *   the name exists, atomically and across processes, so of
 *   concurrent writers exactly one creates the name, and the name only ever
 *   points at complete, synced contents. (O_CREAT|O_EXCL on the key itself
 *   would be just as exclusive but would show the object while half written.)
 * Then the temporary name is removed and the directory fsynced, so the new
 * entry survives a crash. A crash in between leaves at most an invisible
 * ".tmp-*" file behind.
 *
 * Containment: every path is resolved from a descriptor of the root, one
 * segment at a time with O_NOFOLLOW (key rules already exclude "." and ".."),
 * so a symlink planted inside the root is refused (STORE_IO), never
 * followed; listings skip symlinks and anything that is not a regular file
 * or directory. The root itself may be a symlink: it is resolved once, at
 * open. */
#include "store/store_backend.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DIR_MODE 0755
#define FILE_MODE 0644
#define TMP_NAME_MAX 64
#define TMP_ATTEMPTS 8

typedef struct file_store {
    int root_fd;
    char *root; /* absolute, for messages */
} file_store;

static atomic_ulong tmp_counter;

static file_store *fstore(store *s) { return s->impl; }

static int open_dir_at(int at, const char *name) {
    return openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

static void close_dir(const file_store *fs, int fd) {
    if (fd >= 0 && fd != fs->root_fd) close(fd);
}

static int fsync_retry(int fd) {
    int rc;
    while ((rc = fsync(fd)) != 0 && errno == EINTR) {
    }
    return rc;
}

/* ---- walking a key's directories ------------------------------------------- */

typedef enum { WALK_OK, WALK_MISSING, WALK_NOT_DIR, WALK_SYMLINK, WALK_ERRNO } walk_result;

typedef struct walk {
    walk_result result;
    int err;   /* errno for WALK_ERRNO */
    size_t at; /* length of the key prefix naming the offending directory */
    int fd;    /* the last directory reached (root_fd when none) */
} walk;

/* Why `name` in `at` could not be opened as a directory. */
static walk_result classify_open_failure(int at, const char *name, int err) {
    struct stat st;
    if (err == ENOENT) return WALK_MISSING;
    if (err != ELOOP && err != ENOTDIR) return WALK_ERRNO;
    if (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return WALK_ERRNO;
    return S_ISLNK(st.st_mode) ? WALK_SYMLINK : WALK_NOT_DIR;
}

/* Opens the directories of path[0..len) ("a/b", each segment valid) from the
 * root, creating missing ones if create is set. A new directory's parent is
 * fsynced so the directory outlives a crash together with what goes in it. */
static walk walk_dirs(const file_store *fs, const char *path, size_t len, int create) {
    walk w = {.result = WALK_OK, .fd = fs->root_fd};
    char name[STORE_SEGMENT_MAX + 1];
    for (size_t pos = 0; pos < len;) {
        const char *end = memchr(path + pos, '/', len - pos);
        size_t n = end ? (size_t)(end - (path + pos)) : len - pos;
        memcpy(name, path + pos, n);
        name[n] = '\0';
        w.at = pos + n;
        int fd = open_dir_at(w.fd, name);
        if (fd < 0 && errno == ENOENT && create) {
            if (mkdirat(w.fd, name, DIR_MODE) == 0) {
                if (fsync_retry(w.fd) != 0) {
                    w.result = WALK_ERRNO, w.err = errno;
                    break;
                }
            } else if (errno != EEXIST) { /* EEXIST: a concurrent writer made it */
                w.result = WALK_ERRNO, w.err = errno;
                break;
            }
            fd = open_dir_at(w.fd, name);
        }
        if (fd < 0) {
            w.err = errno;
            w.result = classify_open_failure(w.fd, name, w.err);
            break;
        }
        close_dir(fs, w.fd);
        w.fd = fd;
        pos += n + 1;
    }
    if (w.result != WALK_OK) {
        close_dir(fs, w.fd);
        w.fd = -1;
    }
    return w;
}

static store_status walk_fail(store *s, const char *op, const char *key, const walk *w, dstr *err) {
    int at = (int)w->at;
    switch (w->result) {
    case WALK_SYMLINK:
        return store_fail(
            err, STORE_IO,
            "%s '%s': '%.*s' is a symlink; the file store does not follow symlinks inside its root",
            op, key, at, key);
    case WALK_NOT_DIR:
        return store_fail(
            err, STORE_IO,
            "%s '%s': '%.*s' is an object, so it cannot also hold keys below it (file backend)", op,
            key, at, key);
    case WALK_MISSING: return store_fail(err, STORE_NOT_FOUND, "%s '%s': no such key", op, key);
    default:
        return store_fail(err, STORE_IO, "%s '%s': directory '%.*s' under %s: %s", op, key, at, key,
                          fstore(s)->root, strerror(w->err));
    }
}

/* Splits key into its directory part length and its last segment. */
static const char *leaf_of(const char *key, size_t *dir_len) {
    const char *slash = strrchr(key, '/');
    *dir_len = slash ? (size_t)(slash - key) : 0;
    return slash ? slash + 1 : key;
}

/* ---- writing ------------------------------------------------------------------ */

static unsigned long long random_bits(void) {
    unsigned long long r;
    if (getrandom(&r, sizeof r, GRND_NONBLOCK) == (ssize_t)sizeof r) return r;
    struct timespec ts; /* no entropy yet: O_EXCL still keeps names unique */
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_nsec * 0x9e3779b97f4a7c15ull ^ (unsigned long long)ts.tv_sec;
}

static int write_all(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Creates a new, empty temporary file in dir_fd and names it in tmp: the
 * pid, a counter and random bits make names unique across processes and
 * threads, and O_EXCL makes sure of it. Returns the descriptor or -1. */
static int open_temp(int dir_fd, char tmp[TMP_NAME_MAX]) {
    int fd = -1;
    for (int i = 0; i < TMP_ATTEMPTS && fd < 0; i++) {
        snprintf(tmp, TMP_NAME_MAX, STORE_RESERVED_PREFIX "%ld-%lu-%016llx", (long)getpid(),
                 atomic_fetch_add(&tmp_counter, 1), random_bits());
        fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, FILE_MODE);
        if (fd < 0 && errno != EEXIST) return -1;
    }
    return fd;
}

/* Writes data to a new temporary file in dir_fd, synced and closed; its name
 * goes to tmp. Returns 0, or -1 with errno set and nothing left behind. */
static int write_temp(int dir_fd, const void *data, size_t n, char tmp[TMP_NAME_MAX]) {
    int fd = open_temp(dir_fd, tmp);
    if (fd < 0) return -1;
    int rc = write_all(fd, data, n) == 0 && fsync_retry(fd) == 0 ? 0 : -1;
    int saved = errno;
    if (close(fd) != 0 && rc == 0) rc = -1, saved = errno; /* NFS reports late errors here */
    if (rc != 0) {
        unlinkat(dir_fd, tmp, 0);
        errno = saved;
    }
    return rc;
}

/* The key's name is taken: by an object (STORE_EXISTS) or by a directory of
 * keys, which the file layout cannot hold together with an object. */
static store_status name_taken(const char *op, int dir_fd, const char *leaf, const char *key,
                               dstr *err) {
    struct stat st;
    if (fstatat(dir_fd, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
        return store_fail(
            err, STORE_IO,
            "%s '%s': keys below '%s/' exist, so it cannot also be an object (file backend)", op,
            key, key);
    return store_fail(err, STORE_EXISTS, "%s '%s': key exists", op, key);
}

static store_status file_put(store *s, const char *key, const void *data, size_t n, int create_only,
                             dstr *err) {
    file_store *fs = fstore(s);
    const char *op = create_only ? "put_new" : "put";
    size_t dir_len;
    const char *leaf = leaf_of(key, &dir_len);
    walk w = walk_dirs(fs, key, dir_len, 1);
    if (w.result != WALK_OK) return walk_fail(s, op, key, &w, err);

    store_status st = STORE_OK;
    struct stat existing;
    char tmp[TMP_NAME_MAX];
    /* cheap early answer for the common collision; link() below decides */
    if (create_only && fstatat(w.fd, leaf, &existing, AT_SYMLINK_NOFOLLOW) == 0) {
        st = name_taken(op, w.fd, leaf, key, err);
    } else if (write_temp(w.fd, data, n, tmp) != 0) {
        st = store_fail(err, STORE_IO, "%s '%s': writing a temporary file in %s: %s", op, key,
                        fs->root, strerror(errno));
    } else if (create_only) {
        if (linkat(w.fd, tmp, w.fd, leaf, 0) != 0)
            st = errno == EEXIST
                     ? name_taken(op, w.fd, leaf, key, err)
                     : store_fail(err, STORE_IO, "put_new '%s': link: %s", key, strerror(errno));
        unlinkat(w.fd, tmp, 0);
    } else if (renameat(w.fd, tmp, w.fd, leaf) != 0) {
        int e = errno;
        unlinkat(w.fd, tmp, 0);
        st = e == EISDIR || e == ENOTEMPTY || e == EEXIST
                 ? name_taken(op, w.fd, leaf, key, err)
                 : store_fail(err, STORE_IO, "put '%s': rename: %s", key, strerror(e));
    }
    if (st == STORE_OK && fsync_retry(w.fd) != 0)
        st = store_fail(err, STORE_IO, "%s '%s': written, but syncing its directory failed: %s", op,
                        key, strerror(errno));
    close_dir(fs, w.fd);
    return st;
}

/* ---- reading ------------------------------------------------------------------ */

/* Reads to EOF; size_hint (the file's size) usually makes it one read and
 * one allocation. */
static int read_all(int fd, size_t size_hint, dstr *out) {
    dstr_reserve(out, size_hint + 1); /* room to see EOF without growing */
    out->ptr[out->len] = '\0';
    for (;;) {
        if (out->cap - out->len <= 1) dstr_reserve(out, 64 * 1024);
        ssize_t r = read(fd, out->ptr + out->len, out->cap - out->len - 1);
        if (r < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (r == 0) return 0;
        out->len += (size_t)r;
        out->ptr[out->len] = '\0';
    }
}

static store_status file_get(store *s, const char *key, dstr *out, dstr *err) {
    file_store *fs = fstore(s);
    size_t dir_len;
    const char *leaf = leaf_of(key, &dir_len);
    walk w = walk_dirs(fs, key, dir_len, 0);
    if (w.result == WALK_NOT_DIR)
        return store_fail(err, STORE_NOT_FOUND, "get '%s': no such key", key);
    if (w.result != WALK_OK) return walk_fail(s, "get", key, &w, err);

    store_status st = STORE_OK;
    struct stat sb;
    /* O_NONBLOCK: a FIFO someone left in the root must not hang the reader */
    int fd = openat(w.fd, leaf, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (e == ENOENT) st = store_fail(err, STORE_NOT_FOUND, "get '%s': no such key", key);
        else if (e == ELOOP)
            st = store_fail(err, STORE_IO,
                            "get '%s': is a symlink; the file store does not follow symlinks", key);
        else st = store_fail(err, STORE_IO, "get '%s': open: %s", key, strerror(e));
    } else if (fstat(fd, &sb) != 0) {
        st = store_fail(err, STORE_IO, "get '%s': stat: %s", key, strerror(errno));
    } else if (S_ISDIR(sb.st_mode)) {
        st = store_fail(err, STORE_NOT_FOUND, "get '%s': no such key (only keys below '%s/')", key,
                        key);
    } else if (!S_ISREG(sb.st_mode)) {
        st = store_fail(err, STORE_IO, "get '%s': not a regular file", key);
    } else {
        if (read_all(fd, (size_t)sb.st_size, out) != 0)
            st = store_fail(err, STORE_IO, "get '%s': read: %s", key, strerror(errno));
    }
    if (fd >= 0) close(fd);
    close_dir(fs, w.fd);
    return st;
}

/* ---- listing ------------------------------------------------------------------ */

typedef struct lister {
    store *s;
    const char *after; /* NULL: no lower bound */
    size_t max_keys;
    store_page *page;
    dstr *err;
    dstr path; /* key prefix of the directory being read: "" or "a/b/" */
    int done;
} lister;

static int cmp_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Whether entry `name` of the current directory can hold keys of the listing.
 * A directory sorts as name + "/", which is exactly where its keys fall in
 * byte order among its siblings. */
static int entry_wanted(lister *L, const char *name, size_t n, int is_dir) {
    size_t base = L->path.len;
    if (base + n + (is_dir ? 2 : 0) > STORE_KEY_MAX) return 0; /* no valid key that long */
    if (!L->after) return 1;
    dstr_append(&L->path, name, n);
    if (is_dir) dstr_putc(&L->path, '/');
    /* a directory stays while some key below it may still follow start_after */
    int keep = is_dir ? strncmp(L->path.ptr, L->after, L->path.len) >= 0
                      : strcmp(L->path.ptr, L->after) > 0;
    L->path.len = base;
    L->path.ptr[base] = '\0';
    return keep;
}

/* Entry type without following symlinks; 0 for anything but a file or dir. */
static int entry_kind(int dir_fd, const struct dirent *e) {
    struct stat st;
    if (e->d_type == DT_REG) return 'f';
    if (e->d_type == DT_DIR) return 'd';
    if (e->d_type != DT_UNKNOWN) return 0;
    if (fstatat(dir_fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) return 0;
    return S_ISREG(st.st_mode) ? 'f' : S_ISDIR(st.st_mode) ? 'd' : 0;
}

/* Max-heap of names by strcmp (the largest at [0]): the smallest `cap`
 * entries of a directory are kept while it is read. */
static void names_up(char **h, size_t i) {
    while (i > 0 && strcmp(h[(i - 1) / 2], h[i]) < 0) {
        char *t = h[(i - 1) / 2];
        h[(i - 1) / 2] = h[i], h[i] = t;
        i = (i - 1) / 2;
    }
}

static void names_down(char **h, size_t n, size_t i) {
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && strcmp(h[l], h[m]) > 0) m = l;
        if (r < n && strcmp(h[r], h[m]) > 0) m = r;
        if (m == i) return;
        char *t = h[m];
        h[m] = h[i], h[i] = t;
        i = m;
    }
}

/* The first `cap` (by key order) wanted entries of dir_fd whose names start
 * with name_prefix and sort after `from` (NULL: no bound), sorted, with
 * directories as name + '/'; *more is set when others were left out. Only
 * what is kept is held, so a page's memory does not grow with the directory
 * (a journal day may hold a million objects; the whole directory is read for
 * every page all the same). -1 with errno on failure. */
static int read_entries(lister *L, int dir_fd, const char *name_prefix, const char *from,
                        size_t cap, char ***out, size_t *count, int *more) {
    *out = NULL;
    *count = 0;
    *more = 0;
    /* a new open file description: a dup() would share (and leave at the
     * end) the read offset of the root descriptor kept for the next call */
    int own_fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = own_fd >= 0 ? fdopendir(own_fd) : NULL;
    if (!d) {
        if (own_fd >= 0) close(own_fd);
        return -1;
    }
    size_t np = strlen(name_prefix), n = 0, alloc = 0;
    char **names = NULL;
    struct dirent *e;
    int rc = 0;
    for (;;) {
        errno = 0;
        if (!(e = readdir(d))) {
            rc = errno ? -1 : 0;
            break;
        }
        size_t len = strlen(e->d_name);
        int kind;
        if (strncmp(e->d_name, name_prefix, np) != 0 || !store_segment_valid(e->d_name, len) ||
            !(kind = entry_kind(dir_fd, e)) || !entry_wanted(L, e->d_name, len, kind == 'd'))
            continue; /* ".", "..", temporaries, symlinks, names no key can have */
        char name[sizeof e->d_name + 1];
        memcpy(name, e->d_name, len);
        name[len] = kind == 'd' ? '/' : '\0';
        name[len + 1] = '\0';
        if (from && strcmp(name, from) <= 0) continue;
        size_t at = n;
        if (n == cap) {
            *more = 1;
            if (strcmp(name, names[0]) >= 0) continue; /* after every kept one */
            at = 0;                                    /* replaces the last kept one */
        } else if (n == alloc) {
            alloc = alloc ? alloc * 2 : 64;
            if (!(names = realloc(names, alloc * sizeof *names))) abort();
            names[n] = NULL;
        } else {
            names[n] = NULL;
        }
        if (!(names[at] = realloc(names[at], len + 2))) abort();
        memcpy(names[at], name, len + 2);
        if (at == n) names_up(names, n++);
        else names_down(names, n, 0);
    }
    int saved = errno;
    closedir(d);
    if (n) qsort(names, n, sizeof *names, cmp_names);
    *out = names;
    *count = n;
    errno = saved;
    return rc;
}

static void free_names(char **names, size_t n) {
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
}

/* Lists dir_fd's entries in key order into L->page, reading the directory
 * once per page-worth of entries. */
static store_status list_dir(lister *L, int dir_fd, const char *name_prefix) {
    char *from = NULL; /* the last entry handled: the next read starts after it */
    store_status st = STORE_OK;
    int more = 1;
    while (more && st == STORE_OK && !L->done) {
        char **names;
        size_t n;
        /* the rest of the page, and the key that shows it is truncated */
        size_t cap = L->max_keys - L->page->n + 1;
        if (read_entries(L, dir_fd, name_prefix, from, cap, &names, &n, &more) != 0) {
            int e = errno;
            free_names(names, n);
            free(from);
            return store_fail(L->err, STORE_IO, "list: reading directory '%s' under %s: %s",
                              dstr_cstr(&L->path), fstore(L->s)->root, strerror(e));
        }
        for (size_t i = 0; i < n && st == STORE_OK && !L->done; i++) {
            size_t base = L->path.len, len = strlen(names[i]);
            dstr_append(&L->path, names[i], len);
            if (names[i][len - 1] != '/') {
                if (L->page->n == L->max_keys) L->page->truncated = L->done = 1;
                else store_page_push(L->page, L->path.ptr, L->path.len);
            } else {
                names[i][len - 1] = '\0';
                int sub = open_dir_at(dir_fd, names[i]);
                names[i][len - 1] = '/';
                if (sub >= 0) {
                    st = list_dir(L, sub, "");
                    close(sub);
                } else if (errno != ENOENT && errno != ELOOP && errno != ENOTDIR) {
                    st = store_fail(L->err, STORE_IO, "list: opening directory '%s' under %s: %s",
                                    dstr_cstr(&L->path), fstore(L->s)->root, strerror(errno));
                } /* else it was swapped for something that holds no keys: skip */
            }
            L->path.len = base;
            L->path.ptr[base] = '\0';
        }
        if (n) {
            free(from);
            from = names[n - 1];
            names[n - 1] = NULL;
        }
        free_names(names, n);
    }
    free(from);
    return st;
}

/* Reads only the directory the prefix's last '/' names, and in it only the
 * entries that extend the rest of the prefix. */
static store_status file_list(store *s, const char *prefix, const char *start_after,
                              size_t max_keys, store_page *page, dstr *err) {
    file_store *fs = fstore(s);
    size_t dir_len;
    const char *name_prefix = leaf_of(prefix, &dir_len);
    int has_dir = name_prefix != prefix;
    for (size_t pos = 0; has_dir;) { /* a prefix no valid key can have matches nothing */
        const char *end = memchr(prefix + pos, '/', dir_len - pos);
        size_t n = end ? (size_t)(end - (prefix + pos)) : dir_len - pos;
        if (!store_segment_valid(prefix + pos, n)) return STORE_OK;
        if (!end) break;
        pos += n + 1;
    }
    walk w = walk_dirs(fs, prefix, dir_len, 0);
    if (w.result == WALK_MISSING || w.result == WALK_NOT_DIR || w.result == WALK_SYMLINK)
        return STORE_OK;
    if (w.result != WALK_OK) return walk_fail(s, "list", prefix, &w, err);

    lister L = {.s = s, .after = start_after, .max_keys = max_keys, .page = page, .err = err};
    dstr_append(&L.path, prefix, has_dir ? dir_len + 1 : 0);
    store_status st = list_dir(&L, w.fd, name_prefix);
    dstr_free(&L.path);
    close_dir(fs, w.fd);
    return st;
}

/* ---- opening -------------------------------------------------------------------- */

/* Makes a new directory's entry durable: fsync of its parent, best effort
 * (the directory exists either way). p is the new directory's path. */
static void sync_parent(const char *p) {
    const char *slash = strrchr(p, '/');
    dstr parent = {0};
    if (!slash) dstr_puts(&parent, ".");
    else if (slash == p) dstr_puts(&parent, "/");
    else dstr_append(&parent, p, (size_t)(slash - p));
    int fd = open(parent.ptr, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync_retry(fd);
        close(fd);
    }
    dstr_free(&parent);
}

/* mkdir -p; a component that already exists as a directory is fine. */
static int make_dirs(const char *path, dstr *err) {
    char *p = strdup(path);
    if (!p) abort();
    int rc = 0;
    struct stat st;
    for (char *c = p + 1;; c++) {
        if (*c != '/' && *c != '\0') continue;
        char saved = *c;
        *c = '\0';
        if (mkdir(p, DIR_MODE) == 0) {
            sync_parent(p);
        } else if (errno != EEXIST) {
            int e = errno;
            if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) {
                dstr_printf(err, "cannot create store root '%s': mkdir '%s': %s", path, p,
                            strerror(e));
                rc = -1;
                break;
            }
        }
        *c = saved;
        if (saved == '\0') break;
    }
    free(p);
    return rc;
}

static void file_close(void *impl) {
    file_store *fs = impl;
    if (!fs) return;
    if (fs->root_fd >= 0) close(fs->root_fd);
    free(fs->root);
    free(fs);
}

static const store_ops file_ops = {
    .put = file_put,
    .get = file_get,
    .list = file_list,
    .close = file_close,
};

int store_file_open(store *s, const store_url *url, dstr *err) {
    const char *path = url->path;
    if (make_dirs(path, err) != 0) return -1;
    file_store *fs = calloc(1, sizeof *fs);
    if (!fs) abort();
    fs->root_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fs->root_fd < 0) {
        dstr_printf(err, "cannot open store root '%s': %s", path, strerror(errno));
        file_close(fs);
        return -1;
    }
    fs->root = realpath(path, NULL);
    if (!fs->root) fs->root = xstrdup(path);
    /* fail at start-up, not at the first write, when the root is read-only */
    char tmp[TMP_NAME_MAX];
    int probe = open_temp(fs->root_fd, tmp);
    if (probe < 0) {
        dstr_printf(err, "store root '%s' is not writable: %s", fs->root, strerror(errno));
        file_close(fs);
        return -1;
    }
    close(probe);
    unlinkat(fs->root_fd, tmp, 0);
    s->ops = &file_ops;
    s->impl = fs;
    return 0;
}
