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
 * copied to heap chunks (ochunk_heap_new): only slow readers pay for that. */
#include "net/outbuf.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define BLOCK_SIZE (128 * 1024)     /* one arena block; bigger requests get their own */
#define SPARE_MAX 64                /* blocks kept between turns (8 MiB) while busy */
#define HEAP_MIN_ALLOC 256          /* a heap chunk's smallest allocation */
#define HEAP_MAX_ALLOC 16384        /* ... and the size it doubles up to */

struct block {
    struct block *next;
    size_t size, used;              /* bytes of the mapping; bytes handed out */
    char mem[];
};

static struct block *blocks;        /* in use this turn; the first is being filled */
static struct block *spare;         /* emptied, kept for the next turns */
static size_t nspare;
static struct ochunk *last;         /* the arena's newest chunk: may grow in place */

static size_t align16(size_t n)
{
    return (n + 15) & ~(size_t)15;
}

/* A block of at least need bytes (a spare one when it fits), put first
 * in the list. Spares matter under load: a fresh mapping costs a page
 * fault per page touched, every turn. */
static struct block *block_new(size_t need)
{
    struct block *b;
    if (spare && sizeof(struct block) + need <= BLOCK_SIZE) {
        b = spare;
        spare = b->next;
        nspare--;
    } else {
        size_t size = sizeof(struct block) + need > BLOCK_SIZE ? sizeof(struct block) + need : BLOCK_SIZE;
        void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            abort();
        b = p;
        b->size = size;
    }
    b->used = 0;
    b->next = blocks;
    blocks = b;
    return b;
}

struct ochunk *ochunk_new(size_t n, size_t tail_cap)
{
    /* Doubling after the tail chunk: a client that receives many lines in
     * a turn gets few chunks, so one sendmsg() (16 pieces at most) takes
     * them all. */
    size_t cap = 2 * tail_cap < HEAP_MAX_ALLOC ? 2 * tail_cap : HEAP_MAX_ALLOC;
    if (cap < 240)
        cap = 240;
    cap = align16(n > cap ? n : cap);
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

struct ochunk *ochunk_heap_new(size_t n, size_t tail_cap)
{
    size_t alloc = HEAP_MIN_ALLOC;
    size_t want = tail_cap ? 2 * (tail_cap + sizeof(struct ochunk)) : 0;
    while (alloc < HEAP_MAX_ALLOC && (alloc < want || alloc - sizeof(struct ochunk) < n))
        alloc *= 2;
    if (alloc - sizeof(struct ochunk) < n)
        alloc = sizeof(struct ochunk) + n;
    struct ochunk *h = malloc(alloc);
    if (!h)
        abort();
    h->next = NULL;
    h->pos = h->len = 0;
    h->cap = alloc - sizeof *h;
    h->heap = true;
    return h;
}

void outbuf_turn_end(void)
{
    /* The first block stays current; the others become spares (within
     * bounds; oversized ones go back at once). */
    while (blocks && blocks->next) {
        struct block *b = blocks->next;
        blocks->next = b->next;
        if (b->size == BLOCK_SIZE && nspare < SPARE_MAX) {
            b->next = spare;
            spare = b;
            nspare++;
        } else {
            munmap(b, b->size);
        }
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
    /* Idle: the spares go back, and the current block's pages (it stays
     * mapped; its first page, with the header, stays resident). */
    while (spare) {
        struct block *b = spare;
        spare = b->next;
        munmap(b, b->size);
    }
    nspare = 0;
    if (blocks && !last && blocks->size > 4096)
        madvise((char *)blocks + 4096, blocks->size - 4096, MADV_DONTNEED);
}

void outbuf_shutdown(void)
{
    outbuf_quiet();
    while (blocks) {
        struct block *b = blocks;
        blocks = b->next;
        munmap(b, b->size);
    }
    last = NULL;
}
