/*
 * alloc.c — the protocol library's replaceable allocator.
 *
 * Everything the library allocates (decoded strings and lists, the encode
 * buffer, admin arguments) goes through proto_malloc / proto_realloc /
 * proto_free, so that a test can fail the Nth allocation and check that
 * every error path frees what it took, as SQLite's test_malloc does.
 *
 * The object tree of a frame being decoded is one of those allocations:
 * codec.c builds it itself rather than in msgpack-c's zone, which used libc
 * malloc and offered no hook.
 */
#include <stdlib.h>
#include <string.h>

#include "protocol/protocol.h"

static proto_allocator_t current = {malloc, realloc, free};

void proto_set_allocator(const proto_allocator_t *a)
{
    if (a && a->malloc_fn && a->realloc_fn && a->free_fn)
        current = *a;
    else
        current = (proto_allocator_t){malloc, realloc, free};
}

void *proto_malloc(size_t n)
{
    /* malloc(0) may return NULL, which callers would take for failure. */
    return current.malloc_fn(n ? n : 1);
}

void *proto_realloc(void *p, size_t n)
{
    return current.realloc_fn(p, n ? n : 1);
}

void proto_free(void *p)
{
    if (p)
        current.free_fn(p);
}

char *proto_strdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s);
    char *c = proto_malloc(n + 1);
    if (c)
        memcpy(c, s, n + 1);
    return c;
}
