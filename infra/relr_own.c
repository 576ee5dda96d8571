/* relr_own BOOTSTRAP: makes the DT_RELR table that `ld -z pack-relative-relocs`
 * wrote into a release bootstrap the bootstrap's own to apply
 * (shared/platform/relr.h says why), in place:
 *   - DT_RELR, DT_RELRSZ and DT_RELRENT become RELR_TAG, RELR_RELRSZ_TAG and
 *     RELR_RELRENT_TAG, which every loader ignores (glibc 2.36 would apply
 *     DT_RELR itself, before relr_init; glibc 2.34 would not at all);
 *   - the GLIBC_ABI_DT_RELR version the link added to libc's needs is
 *     dropped (no symbol carries it; provided.al2023's glibc 2.34 lacks it).
 * It refuses (status 1, the file untouched) a file that is not a 64-bit PIE
 * whose DT_INIT is relr_init, has no DT_RELR, or whose table names an address
 * outside the writable segment, inside thread-local data (whose first copy
 * is made before relr_init runs) or holding main's address (_start passes
 * main to __libc_start_main before relr_init runs). The Makefile's bootstrap rule runs it after
 * each link. */
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "platform/relr.h"

static unsigned char *img;
static size_t img_len;
static const Elf64_Ehdr *eh;
static const Elf64_Phdr *ph;

static int fail(const char *file, const char *why) {
    fprintf(stderr, "relr_own: %s: %s\n", file, why);
    return 1;
}

/* The file offset of [va, va + len) when a PT_LOAD holds it in the file, else -1. */
static long file_off(Elf64_Addr va, size_t len) {
    for (int i = 0; i < eh->e_phnum; i++)
        if (ph[i].p_type == PT_LOAD && va >= ph[i].p_vaddr &&
            va + len <= ph[i].p_vaddr + ph[i].p_filesz)
            return (long)(ph[i].p_offset + (va - ph[i].p_vaddr));
    return -1;
}

static const Elf64_Phdr *phdr(Elf64_Word type, Elf64_Word flags) {
    for (int i = 0; i < eh->e_phnum; i++)
        if (ph[i].p_type == type && (ph[i].p_flags & flags) == flags) return &ph[i];
    return NULL;
}

/* An address the table may relocate: in the file part of the writable
 * segment, outside PT_TLS, and not a slot holding main's address (_start
 * reads that one before relr_init runs; ld makes it PC-relative today). */
static int slot_ok(Elf64_Addr a, Elf64_Addr main_va) {
    const Elf64_Phdr *rw = phdr(PT_LOAD, PF_W), *tls = phdr(PT_TLS, 0);
    if (!rw || a < rw->p_vaddr || a + 8 > rw->p_vaddr + rw->p_filesz) return 0;
    if (tls && a + 8 > tls->p_vaddr && a < tls->p_vaddr + tls->p_memsz) return 0;
    long off = file_off(a, 8);
    Elf64_Addr addend;
    if (off < 0) return 0;
    memcpy(&addend, img + off, sizeof addend);
    return addend != main_va;
}

/* Every address the table relocates passes slot_ok (the standard DT_RELR
 * encoding: relr.c's apply). */
static int table_ok(const Elf64_Relr *relr, size_t n, Elf64_Addr main_va) {
    Elf64_Addr where = 0;
    int have = 0;
    for (size_t i = 0; i < n; i++) {
        Elf64_Relr e = relr[i];
        if ((e & 1) == 0) {
            if (!slot_ok(e, main_va)) return 0;
            where = e + 8;
            have = 1;
            continue;
        }
        if (!have) return 0;
        for (Elf64_Addr k = 0; (e >>= 1) != 0; k++)
            if ((e & 1) && !slot_ok(where + 8 * k, main_va)) return 0;
        where += 8 * 63;
    }
    return 1;
}

/* The value of the symbol called name in the symbol tables (0: none). */
static Elf64_Addr sym_value(const char *name) {
    for (int i = 0; eh->e_shoff && i < eh->e_shnum; i++) {
        const Elf64_Shdr *sh = (const Elf64_Shdr *)(img + eh->e_shoff) + i;
        if (sh->sh_type != SHT_SYMTAB && sh->sh_type != SHT_DYNSYM) continue;
        const Elf64_Shdr *str = (const Elf64_Shdr *)(img + eh->e_shoff) + sh->sh_link;
        const Elf64_Sym *sym = (const Elf64_Sym *)(img + sh->sh_offset);
        for (size_t k = 0; k < sh->sh_size / sizeof *sym; k++)
            if (sym[k].st_value && sym[k].st_name < str->sh_size &&
                strcmp((const char *)img + str->sh_offset + sym[k].st_name, name) == 0)
                return sym[k].st_value;
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: relr_own BOOTSTRAP\n");
        return 2;
    }
    const char *file = argv[1];
    int fd = open(file, O_RDWR);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) return fail(file, "cannot open");
    img_len = (size_t)st.st_size;
    img = img_len >= sizeof(Elf64_Ehdr)
              ? mmap(NULL, img_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
              : MAP_FAILED;
    close(fd);
    if (img == MAP_FAILED) return fail(file, "cannot map");
    eh = (const Elf64_Ehdr *)img;
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
        eh->e_type != ET_DYN || eh->e_phoff + (size_t)eh->e_phnum * sizeof *ph > img_len)
        return fail(file, "not a 64-bit PIE");
    ph = (const Elf64_Phdr *)(img + eh->e_phoff);
    const Elf64_Phdr *dph = phdr(PT_DYNAMIC, 0);
    if (!dph || dph->p_offset + dph->p_filesz > img_len) return fail(file, "no dynamic section");
    Elf64_Dyn *dyn = (Elf64_Dyn *)(img + dph->p_offset);
    size_t ndyn = dph->p_filesz / sizeof *dyn;

    /* read everything first: the file changes only when all checks pass */
    Elf64_Dyn *relr_d = NULL, *relrsz_d = NULL, *relrent_d = NULL;
    Elf64_Addr verneed = 0, strtab = 0, init = 0;
    Elf64_Xword nverneed = 0, strsz = 0;
    for (size_t i = 0; i < ndyn && dyn[i].d_tag != DT_NULL; i++) {
        Elf64_Dyn *d = &dyn[i];
        switch (d->d_tag) {
        case DT_RELR: relr_d = d; break;
        case DT_RELRSZ: relrsz_d = d; break;
        case DT_RELRENT: relrent_d = d; break;
        case DT_VERNEED: verneed = d->d_un.d_ptr; break;
        case DT_VERNEEDNUM: nverneed = d->d_un.d_val; break;
        case DT_STRTAB: strtab = d->d_un.d_ptr; break;
        case DT_STRSZ: strsz = d->d_un.d_val; break;
        case DT_INIT: init = d->d_un.d_ptr; break;
        }
    }
    if (!relr_d || !relrsz_d || !relrent_d)
        return fail(file, "no DT_RELR (link with -z pack-relative-relocs)");
    if (!init || sym_value("relr_init") != init)
        return fail(file, "DT_INIT is not relr_init (link with -Wl,-init=relr_init)");
    Elf64_Addr main_va = sym_value("main");
    long relr_off = file_off(relr_d->d_un.d_ptr, relrsz_d->d_un.d_val);
    if (!main_va || relr_off < 0 ||
        !table_ok((const Elf64_Relr *)(img + relr_off), relrsz_d->d_un.d_val / sizeof(Elf64_Relr),
                  main_va))
        return fail(file, "its DT_RELR table relocates outside the writable segment, in TLS, or "
                          "a slot _start reads before relr_init");

    long vn_off = file_off(verneed, sizeof(Elf64_Verneed)), str_off = file_off(strtab, strsz);
    Elf64_Verneed *owner = NULL;
    Elf64_Vernaux *found = NULL, *prev = NULL;
    for (Elf64_Xword n = 0; n < nverneed && vn_off >= 0 && str_off >= 0 && !found; n++) {
        Elf64_Verneed *vn = (Elf64_Verneed *)(img + vn_off);
        long aux_off = vn_off + vn->vn_aux;
        prev = NULL;
        for (int k = 0; k < vn->vn_cnt && !found; k++) {
            Elf64_Vernaux *a = (Elf64_Vernaux *)(img + aux_off);
            if (a->vna_name < strsz &&
                strcmp((const char *)img + str_off + a->vna_name, "GLIBC_ABI_DT_RELR") == 0) {
                owner = vn;
                found = a;
            } else {
                prev = a;
                aux_off += a->vna_next;
            }
        }
        vn_off += vn->vn_next;
    }
    if (!found) return fail(file, "no GLIBC_ABI_DT_RELR version to drop");

    relr_d->d_tag = RELR_TAG;
    relrsz_d->d_tag = RELR_RELRSZ_TAG;
    relrent_d->d_tag = RELR_RELRENT_TAG;
    Elf64_Word next = found->vna_next ? found->vna_next : 0;
    if (prev) prev->vna_next = next ? prev->vna_next + next : 0;
    else owner->vn_aux = next ? owner->vn_aux + next : 0;
    owner->vn_cnt--;
    if (msync(img, img_len, MS_SYNC) != 0) return fail(file, "cannot write");
    munmap(img, img_len);
    return 0;
}
