/* tsan_mem.c: __tsan_memcpy, __tsan_memmove and __tsan_memset for the C
 * programs of scripts/sanitize.sh thread.
 *
 * rustc's ThreadSanitizer instrumentation (LLVM 16 and later) calls these
 * for Rust's copies; gcc 12's libtsan, the runtime the C programs are
 * linked with, predates them. Each forwards to the libc function, which
 * libtsan intercepts and checks as a read of src and a write of dst, the
 * same as LLVM's runtime does. Linked into the executable and exported
 * (-rdynamic) so that libzmq.so binds to them. */
#include <stddef.h>
#include <string.h>

void *__tsan_memcpy (void *dst, const void *src, size_t n);
void *__tsan_memmove (void *dst, const void *src, size_t n);
void *__tsan_memset (void *dst, int c, size_t n);

void *__tsan_memcpy (void *dst, const void *src, size_t n)
{
    return memcpy (dst, src, n);
}

void *__tsan_memmove (void *dst, const void *src, size_t n)
{
    return memmove (dst, src, n);
}

void *__tsan_memset (void *dst, int c, size_t n)
{
    return memset (dst, c, n);
}
