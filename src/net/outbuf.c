/* outbuf.c — memory for queued output: a per-loop-turn arena.
 *
 * Output normally lives for one loop turn: appended during the turn,
 * written by the end-of-turn flush (conn_io.c). So chunks are carved from
 * an arena of large mmap()ed blocks and the whole arena is reset once the
 * flush is done, instead of a malloc()/free() per recipient per turn. That
 * is faster on the fan-out path, and it keeps a join storm's short-lived
 * output out of the heap, where it left holes between the long-lived
 * clients and memberships allocated in the same turns (idle RSS per client
 * was ~15% higher). Output a socket did not take by the end of the turn is
 * copied to a heap chunk (ochunk_to_heap): only slow readers pay for that. */
#include "net/outbuf.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define BLOCK_SIZE (128 * 1024)     /* one arena block; bigger requests get their own */
#define HEAP_MIN_ALLOC 256          /* a heap chunk's smallest allocation */
#define HEAP_MAX_ALLOC 16384        /* ... and the size it doubles up to */

struct block {
    struct block *next;
    size_t size, used;              /* bytes of the mapping; bytes handed out */
    char mem[];
};

static struct block *blocks;        /* the block being filled first */
static struct ochunk *last;         /* the arena's newest chunk: may grow in place */

static size_t align16(size_t n)
{
    return (n + 15) & ~(size_t)15;
}

/* A fresh block of at least need bytes, put first in the list. */
static struct block *block_new(size_t need)
{
    size_t size = sizeof(struct block) + need > BLOCK_SIZE ? sizeof(struct block) + need : BLOCK_SIZE;
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        abort();
    struct block *b = p;
    b->size = size;
    b->used = 0;
    b->next = blocks;
    blocks = b;
    return b;
}

struct ochunk *ochunk_new(size_t n, size_t tail_cap)
{
    (void)tail_cap;                 /* arena chunks grow in place instead */
    size_t cap = align16(n < 240 ? 240 : n);
    size_t need = sizeof(struct ochunk) + cap;
    struct block *b = blocks;
    if (!b || b->size - sizeof *b - b->used < need)
        b = block_new(need);
    struct ochunk *k = (struct ochunk *)(b->mem + b->used);
    b->used += need;
    k->next = NULL;
    k->pos = k->len = 0;
    k->cap = cap;
    k->heap = false;
    last = k;
    return k;
}

size_t ochunk_extend(struct ochunk *k, size_t n)
{
    struct block *b = blocks;
    if (k != last || !b)
        return 0;
    size_t room = b->size - sizeof *b - b->used;
    size_t add = align16(n) <= room ? align16(n) : room & ~(size_t)15;
    b->used += add;
    k->cap += add;
    return add;
}

void ochunk_free(struct ochunk *k)
{
    if (k->heap)
        free(k);
    /* arena chunks go with the arena */
}

struct ochunk *ochunk_to_heap(struct ochunk *k, size_t tail_cap)
{
    if (k->heap)
        return k;
    size_t n = k->len - k->pos;
    size_t alloc = HEAP_MIN_ALLOC;
    size_t want = tail_cap ? 2 * (tail_cap + sizeof(struct ochunk)) : 0;
    while (alloc < HEAP_MAX_ALLOC && (alloc < want || alloc - sizeof(struct ochunk) < n))
        alloc *= 2;
    if (alloc - sizeof(struct ochunk) < n)
        alloc = sizeof(struct ochunk) + n;
    struct ochunk *h = malloc(alloc);
    if (!h)
        abort();
    memcpy(h->data, k->data + k->pos, n);
    h->next = k->next;
    h->pos = 0;
    h->len = n;
    h->cap = alloc - sizeof *h;
    h->heap = true;
    return h;
}

void outbuf_turn_end(void)
{
    /* Keep one block for the next turn; give the rest back. */
    while (blocks && blocks->next) {
        struct block *b = blocks;
        blocks = b->next;
        munmap(b, b->size);
    }
    if (blocks && blocks->size > BLOCK_SIZE) {
        munmap(blocks, blocks->size);
        blocks = NULL;
    }
    if (blocks)
        blocks->used = 0;
    last = NULL;
}

void outbuf_quiet(void)
{
    /* Idle: the kept block's pages go back too (it stays mapped; its first
     * page, with the header, stays resident). */
    if (blocks && !last && blocks->size > 4096)
        madvise((char *)blocks + 4096, blocks->size - 4096, MADV_DONTNEED);
}

void outbuf_shutdown(void)
{
    while (blocks) {
        struct block *b = blocks;
        blocks = b->next;
        munmap(b, b->size);
    }
    last = NULL;
}
