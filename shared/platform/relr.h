/* relr: the release bootstrap applies its own relative relocations.
 *
 * Why: a bootstrap is a PIE (ASLR) with static OpenSSL inside, whose tables
 * hold ~19,000 pointers. As R_X86_64_RELATIVE entries the loader reads 450 KB
 * of them and takes one copy-on-write fault per page they land on (~100
 * pages): about a third of the bootstrap's cold start (README "Benchmarks").
 * `ld -z pack-relative-relocs` packs them into a 6 KB DT_RELR table, but
 * only glibc 2.36 applies DT_RELR, and provided.al2023 has glibc 2.34. So the
 * release build (Makefile: the bootstrap rule, infra/relr_own.c) links with
 * DT_RELR, then renames its tags to RELR_TAG and RELRSZ_TAG (tags every glibc
 * ignores) and drops the GLIBC_ABI_DT_RELR version it would need; the table
 * is then this module's to apply.
 *
 * Contract: relr_init() is the bootstrap's DT_INIT (-Wl,-init=relr_init).
 * glibc calls it from __libc_start_main before anything of the program runs
 * (the DT_INIT_ARRAY constructors, main; before it, only the loader and libc's
 * own set-up, which read none of these pointers). It makes the RELRO range
 * writable, prefaults the writable segment in one call (MADV_POPULATE_WRITE,
 * where the kernel has it: one system call instead of a fault per page),
 * adds the load address at every address the table names, puts RELRO back to
 * read-only, and calls _init (the DT_INIT it stands in for: OpenSSL's CPU
 * feature probe among others). Without the tags it only calls _init. The
 * program stays a PIE with full RELRO and BIND_NOW (tests/package/elf_deps.sh
 * checks all three). A relocation it cannot apply aborts the process. */
#ifndef RELR_H
#define RELR_H

/* the renamed DT_RELRSZ and DT_RELR: in the OS-specific range, unknown to
 * every loader (infra/relr_own.c writes them) */
#define RELR_RELRSZ_TAG 0x6f5e1235
#define RELR_TAG 0x6f5e1236
#define RELR_RELRENT_TAG 0x6f5e1237

void relr_init(void);

#endif
