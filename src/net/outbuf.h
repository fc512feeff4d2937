/* outbuf.h — queued-output chunks and the per-turn arena they come from
 * (net/outbuf.c); used by net/conn_io.c only. */
#ifndef HAVEND_OUTBUF_H
#define HAVEND_OUTBUF_H

#include <stdbool.h>
#include <stddef.h>

/* A piece of queued output: bytes [pos, len) of data are still to go. */
struct ochunk {
    struct ochunk *next;
    size_t pos, len, cap;
    bool heap;                 /* malloc()ed (outlives the turn), else in the arena */
    char data[];
};

/* A chunk for at least n bytes from this turn's arena (tail_cap: the
 * capacity of the chunk before it, 0 when none). */
struct ochunk *ochunk_new(size_t n, size_t tail_cap);
/* Grow k in place by up to n bytes if it is the arena's newest chunk;
 * returns the capacity added (0: append a new chunk instead). */
size_t ochunk_extend(struct ochunk *k, size_t n);
void ochunk_free(struct ochunk *k);
/* An empty heap chunk (outlives the turn) for at least n bytes, after a
 * chunk of tail_cap bytes: sizes double from 256 B to 16 KiB. */
struct ochunk *ochunk_heap_new(size_t n, size_t tail_cap);
/* The flush wrote or moved every arena chunk: reuse the arena. */
void outbuf_turn_end(void);
/* No output for a while: give the arena's pages back. */
void outbuf_quiet(void);
void outbuf_shutdown(void);

#endif
