/* relr: the bootstrap's own relative relocations (see relr.h). */
#define _GNU_SOURCE /* ElfW, MADV_POPULATE_WRITE */
#include "platform/relr.h"

#include <elf.h>
#include <link.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* The image's own ELF header (its load address) and dynamic section: both
 * hidden, so they are reached PC-relative, with no relocation of their own. */
extern const ElfW(Ehdr) __ehdr_start __attribute__((visibility("hidden")));
extern ElfW(Dyn) _DYNAMIC[] __attribute__((visibility("hidden")));
extern void _init(void);

/* The standard DT_RELR encoding: an even entry is an address (relocated, and
 * the start of what follows); an odd one a bitmap of the next 63 words. */
static void apply(uintptr_t base, const ElfW(Relr) * relr, size_t n) {
    ElfW(Addr) *where = NULL;
    for (size_t i = 0; i < n; i++) {
        ElfW(Relr) e = relr[i];
        if ((e & 1) == 0) {
            where = (ElfW(Addr) *)(base + e);
            *where++ += base;
            continue;
        }
        if (!where) abort(); /* a bitmap before any address: not a table ld wrote */
        for (size_t k = 0; (e >>= 1) != 0; k++)
            if (e & 1) where[k] += base;
        where += 8 * sizeof(ElfW(Relr)) - 1;
    }
}

void relr_init(void) {
    uintptr_t base = (uintptr_t)&__ehdr_start;
    const ElfW(Relr) *relr = NULL;
    size_t size = 0;
    for (const ElfW(Dyn) *d = _DYNAMIC; d->d_tag != DT_NULL; d++) {
        if (d->d_tag == RELR_TAG) relr = (const ElfW(Relr) *)(base + d->d_un.d_ptr);
        if (d->d_tag == RELR_RELRSZ_TAG) size = d->d_un.d_val;
    }
    if (relr && size) {
        /* the ranges as the loader computed them: RELRO's pages (its last
         * partial page stays writable), and the writable segment's file part */
        const ElfW(Phdr) *ph = (const ElfW(Phdr) *)(base + __ehdr_start.e_phoff);
        uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE), ro_lo = 0, ro_hi = 0, rw_lo = 0,
                  rw_hi = 0;
        for (int i = 0; i < __ehdr_start.e_phnum; i++) {
            uintptr_t lo = base + ph[i].p_vaddr;
            if (ph[i].p_type == PT_GNU_RELRO) {
                ro_lo = lo & ~(page - 1);
                ro_hi = (lo + ph[i].p_memsz) & ~(page - 1);
            } else if (ph[i].p_type == PT_LOAD && (ph[i].p_flags & PF_W)) {
                rw_lo = lo & ~(page - 1);
                rw_hi = (lo + ph[i].p_filesz + page - 1) & ~(page - 1);
            }
        }
        if (ro_hi > ro_lo && mprotect((void *)ro_lo, ro_hi - ro_lo, PROT_READ | PROT_WRITE) != 0)
            abort();
#ifdef MADV_POPULATE_WRITE
        if (rw_hi > rw_lo) /* EINVAL before Linux 5.14: then each page faults as it is written */
            madvise((void *)rw_lo, rw_hi - rw_lo, MADV_POPULATE_WRITE);
#endif
        apply(base, relr, size / sizeof *relr);
        if (ro_hi > ro_lo && mprotect((void *)ro_lo, ro_hi - ro_lo, PROT_READ) != 0) abort();
    }
    _init();
}
