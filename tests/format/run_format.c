/* format: every git-tracked .c/.h file must be exactly as the repo's
 * .clang-format lays it out, so that a reformat never hides in a change.
 * One clang-format run over all files (--dry-run -Werror) keeps it to about
 * a second. Where clang-format is not installed (or the tree is not a git
 * checkout) the check says it was skipped, which is not a failure.
 *
 *   run_format [build-dir]   (run from the repository root; the dir is unused)
 *
 * Prints "format: N passed, N failed": one check per file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "driver.h"
#include "platform/dstr.h"

/* Runs argv with stdout and stderr into out; returns the exit status, or -1. */
static int run(char *const argv[], dstr *out) {
    int fd[2];
    if (pipe(fd) != 0) return -1;
    pid_t pid = fork();
    if (pid < 0) {
        close(fd[0]);
        close(fd[1]);
        return -1;
    }
    if (pid == 0) {
        dup2(fd[1], 1);
        dup2(fd[1], 2);
        close(fd[0]);
        close(fd[1]);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(fd[1]);
    char buf[4096];
    ssize_t n;
    while ((n = read(fd[0], buf, sizeof buf)) > 0) dstr_append(out, buf, (size_t)n);
    close(fd[0]);
    int status;
    if (waitpid(pid, &status, 0) != pid) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int on_path(const char *prog) {
    const char *path = getenv("PATH");
    dstr dir = {0};
    int found = 0;
    for (const char *p = path ? path : ""; !found && *p;) {
        size_t n = strcspn(p, ":");
        dstr_clear(&dir);
        dstr_printf(&dir, "%.*s/%s", (int)n, p, prog);
        found = n && access(dir.ptr, X_OK) == 0;
        p += n + (p[n] == ':');
    }
    dstr_free(&dir);
    return found;
}

/* The first "file:line:" diagnostic clang-format gave for file, or 0. */
static int first_line(const char *output, const char *file) {
    size_t n = strlen(file);
    for (const char *p = output; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (strncmp(p, file, n) == 0 && p[n] == ':') return atoi(p + n + 1);
    return 0;
}

int main(int argc, char **argv) {
    (void)argc, (void)argv;
    if (!on_path("clang-format")) {
        printf("skipped: clang-format is not installed (infra/dev.sh test installs it)\n");
        return drv_summary("format");
    }
    dstr listing = {0}, out = {0};
    char *git[] = {"git", "ls-files", "-z", "--", "*.c", "*.h", NULL};
    if (run(git, &listing) != 0) {
        printf("skipped: not a git checkout (git ls-files: %s)\n", dstr_cstr(&listing));
        dstr_free(&listing);
        return drv_summary("format");
    }
    size_t nfiles = 0;
    for (size_t i = 0; i < listing.len; i++) nfiles += listing.ptr[i] == '\0';
    char **args = calloc(nfiles + 4, sizeof *args);
    if (!args) abort();
    size_t k = 0;
    args[k++] = "clang-format";
    args[k++] = "--dry-run";
    args[k++] = "-Werror";
    for (const char *f = listing.ptr; f && f < listing.ptr + listing.len; f += strlen(f) + 1)
        args[k++] = (char *)f;
    int rc = k > 3 ? run(args, &out) : 0; /* with no file it would read stdin */
    int bad = 0;
    for (size_t i = 3; i < k; i++) {
        int line = first_line(dstr_cstr(&out), args[i]);
        bad += line > 0;
        drv_check(line == 0, args[i],
                  "not as .clang-format lays it out (first at line %d); run: "
                  "clang-format -i %s",
                  line, args[i]);
    }
    /* a failure that names no file (a bad .clang-format, a crash) */
    drv_check(rc == 0 || bad > 0, "clang-format ran", "exit %d: %s", rc, dstr_cstr(&out));
    free(args);
    dstr_free(&listing);
    dstr_free(&out);
    return drv_summary("format");
}
