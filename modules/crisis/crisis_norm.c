/* crisis_norm.c — turn what people type into plain words for matching.
 *
 * One pass over the text, into the caller's buffer, no allocation:
 * - ASCII is lower-cased; accented Latin letters lose their accents; common
 *   lookalikes (Cyrillic, Greek, small capitals, fullwidth, "mathematical"
 *   fancy-text letters, circled and squared letters) become ASCII letters;
 * - leetspeak inside words is read as letters (k1ll, $uicide, d3ad, @lone),
 *   while plain numbers ("988", "116 123") stay numbers;
 * - apostrophes vanish (can't -> cant); other punctuation, symbols and emoji
 *   separate words; zero-width characters, combining accents and IRC
 *   formatting codes are ignored;
 * - a run of repeated letters becomes one letter (kiiilll -> kil), and
 *   three or more one-letter words in a row are joined (k i l l -> kil);
 * - words are separated by exactly one space, with a space at each end, so
 *   a phrase normalized the same way matches only whole words.
 * Phrases go through the very same function, so both sides always agree. */
#include "crisis.h"

#include <string.h>

/* The output being built. */
struct w {
    char *out;
    size_t len, cap;
    unsigned tok;                   /* bytes in the current word */
    unsigned run;                   /* one-letter words in a row, up to the last one ended */
    unsigned sep_n;                 /* separator characters since the last word */
    bool sep_space;                 /* one of them was white space */
    uint8_t sig, run_sig;           /* kind of separator before this word / inside the run */
    int qopen;                      /* where the open quote's text starts, or -1 */
    struct crisis_norm *info;
};

/* Is c a lower-case ASCII letter (what letters become in the output)? */
static inline bool is_low(unsigned char c)
{
    return c >= 'a' && c <= 'z';
}

/* Is c an ASCII letter of either case (for looking ahead in the input)? */
static inline bool is_alpha(unsigned char c)
{
    return (unsigned char)((c | 0x20) - 'a') < 26;
}

/* A word starts: remember what kind of separator came before it. */
static inline void word_start(struct w *w)
{
    w->sig = (uint8_t)((w->sep_space ? 2 : 0) | (w->sep_n > 1));
    w->sep_n = 0;
    w->sep_space = false;
}

/* Append one byte to the current word. Letters repeating the previous
 * letter are dropped (collapse). Keeps room for the final space and NUL. */
static inline void put(struct w *w, char c, bool collapse)
{
    if (w->len + 2 >= w->cap)
        return;
    if (w->tok == 0)
        word_start(w);
    if (collapse && w->out[w->len - 1] == c)
        return;
    w->out[w->len++] = c;
    w->tok++;
}

/* Append a letter, collapsing it into an identical letter before it. */
static inline void put_joined(struct w *w, char c)
{
    if (w->out[w->len - 1] != c)
        w->out[w->len++] = c;
}

/* A word just ended: three or more one-letter words in a row, with the
 * same kind of separator between them, are one word spelled out ("k i l l",
 * "k.i.l.l"); "k.i.l.l m.e" is two such words. Join them. */
static void end_word(struct w *w)
{
    if (w->tok != 1 || !is_low((unsigned char)w->out[w->len - 1])) {
        w->run = 0;
        w->tok = 0;
        return;
    }
    w->tok = 0;
    if (w->run == 1) {
        w->run_sig = w->sig;
    } else if (w->run >= 2 && w->sig != w->run_sig) {
        w->run = 1;                             /* a new run: the previous letter and this one */
        w->run_sig = w->sig;
    }
    if (++w->run < 3)
        return;
    if (w->run == 3) {                          /* "x y z" -> "xyz" */
        size_t b = w->len - 5;
        char y = w->out[b + 2], z = w->out[b + 4];
        w->len = b + 1;
        put_joined(w, y);
        put_joined(w, z);
    } else {                                    /* "xyz w" -> "xyzw" */
        char z = w->out[w->len - 1];
        w->len -= 2;
        put_joined(w, z);
    }
}

/* End the current word with a single space (no doubled spaces). */
static void boundary(struct w *w)
{
    w->sep_n++;
    if (w->out[w->len - 1] == ' ')
        return;
    end_word(w);
    w->out[w->len++] = ' ';
}

/* A double quote: opens or closes a quoted span, and separates words. */
static void quote(struct w *w)
{
    boundary(w);
    if (w->qopen < 0) {
        w->qopen = (int)w->len - 1;
        return;
    }
    struct crisis_norm *info = w->info;
    if (w->qopen > (int)w->len - 1)
        w->qopen = (int)w->len - 1;
    if (info->nquotes < CRISIS_QUOTES_MAX) {
        info->quote[info->nquotes][0] = (uint16_t)w->qopen;
        info->quote[info->nquotes][1] = (uint16_t)w->len;
        info->nquotes++;
    }
    w->qopen = -1;
}

/* One ASCII character (or one that stands for it). next is the input byte
 * after it, to tell "k1ll" (a word) from "10" (a number). */
static void ascii(struct w *w, unsigned char c, unsigned char next, unsigned flags)
{
    if (c >= 'A' && c <= 'Z')
        c = (unsigned char)(c + 32);
    if (is_low(c)) {
        put(w, (char)c, true);
        return;
    }
    bool prev_letter = is_low((unsigned char)w->out[w->len - 1]);
    bool in_word = prev_letter || is_alpha(next);
    switch (c) {
    case '0': case '3': case '4': case '5': case '7':
        if (in_word)
            put(w, "o??eas?t"[c - '0'], true);
        else
            put(w, (char)c, false);
        return;
    case '1':
        if (in_word) {
            w->info->ambiguous++;
            put(w, (flags & CN_ONE_AS_L) ? 'l' : 'i', true);
        } else {
            put(w, '1', false);
        }
        return;
    case '2': case '6': case '8': case '9':
        put(w, (char)c, false);
        return;
    case '@':
    case '$':
        if (in_word)
            put(w, c == '@' ? 'a' : 's', true);
        else
            boundary(w);
        return;
    case '!':
    case '|':
        if (prev_letter && is_alpha(next)) {
            w->info->ambiguous++;
            put(w, (flags & CN_ONE_AS_L) ? 'l' : 'i', true);
        } else {
            boundary(w);
        }
        return;
    case '\'': case '`':
    case 0x02: case 0x0F: case 0x11: case 0x16: case 0x1D: case 0x1E: case 0x1F:   /* IRC formatting */
        return;
    case '"':
        quote(w);
        return;
    default:
        w->sep_space |= c == ' ' || c == '\t';
        boundary(w);
        return;
    }
}

/* Decode one UTF-8 sequence at p (n bytes left): its length, or 0 when the
 * byte does not start a valid sequence. */
static size_t utf8_decode(const unsigned char *p, size_t n, uint32_t *cp)
{
    unsigned char c = p[0];
    if (c < 0xC2 || c > 0xF4)
        return 0;
    size_t need = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if (n < need)
        return 0;
    for (size_t i = 1; i < need; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0) || (c == 0xF0 && p[1] < 0x90) ||
        (c == 0xF4 && p[1] >= 0x90))
        return 0;                               /* overlong, surrogate, beyond U+10FFFF */
    if (need == 2)
        *cp = (uint32_t)(c & 0x1F) << 6 | (p[1] & 0x3F);
    else if (need == 3)
        *cp = (uint32_t)(c & 0x0F) << 12 | (uint32_t)(p[1] & 0x3F) << 6 | (p[2] & 0x3F);
    else
        *cp = (uint32_t)(c & 0x07) << 18 | (uint32_t)(p[1] & 0x3F) << 12 | (uint32_t)(p[2] & 0x3F) << 6 |
              (p[3] & 0x3F);
    return need;
}

/* Characters that are invisible or only decorate the one before them:
 * zero-width spaces and joiners, bidi controls, variation selectors, soft
 * hyphens, combining accents, tag characters. */
static bool ignorable(uint32_t cp)
{
    return cp == 0xAD || cp == 0x34F || cp == 0x61C || cp == 0x115F || cp == 0x1160 || cp == 0x3164 ||
           cp == 0xFEFF || cp == 0xFFA0 || (cp >= 0x300 && cp <= 0x36F) || (cp >= 0x17B4 && cp <= 0x17B5) ||
           (cp >= 0x180B && cp <= 0x180F) || (cp >= 0x1AB0 && cp <= 0x1AFF) || (cp >= 0x1DC0 && cp <= 0x1DFF) ||
           (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2060 && cp <= 0x206F) ||
           (cp >= 0x20D0 && cp <= 0x20FF) || (cp >= 0xFE00 && cp <= 0xFE0F) || (cp >= 0xFE20 && cp <= 0xFE2F) ||
           (cp >= 0x1D173 && cp <= 0x1D17A) || (cp >= 0xE0000 && cp <= 0xE0FFF);
}

/* Typographic apostrophes and primes: dropped like "'". */
static bool apostrophe(uint32_t cp)
{
    return cp == 0x2018 || cp == 0x2019 || cp == 0x201B || cp == 0x2032 || cp == 0xB4 || cp == 0x2BC ||
           cp == 0x2B9;
}

/* Typographic double quotes and guillemets: quoted spans, like '"'. */
static bool quote_mark(uint32_t cp)
{
    return (cp >= 0x201C && cp <= 0x201F) || cp == 0xAB || cp == 0xBB || cp == 0x2033 || cp == 0x2039 ||
           cp == 0x203A || cp == 0x275D || cp == 0x275E || (cp >= 0x300C && cp <= 0x300F);
}

/* Latin-1 letters U+00C0..U+00FF without their accents (' ': × and ÷). */
static const char latin1[] = "aaaaaaaceeeeiiiidnooooo ouuuuytsaaaaaaaceeeeiiiidnooooo ouuuuyty";

/* Latin Extended-A U+0100..U+017F without their accents. */
static const char latin_a[] = "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiiiiijjkkk"
                                     "llllllllllnnnnnnnnnoooooooorrrrrrsssssssstttttt"
                                     "uuuuuuuuuuuuwwyyyzzzzzzs";

_Static_assert(sizeof latin1 == 64 + 1, "latin1 covers U+00C0..U+00FF");
_Static_assert(sizeof latin_a == 128 + 1, "latin_a covers U+0100..U+017F");

/* Letters that look like ASCII ones (sorted by code point). */
static const struct { uint16_t cp; char c; } lookalike[] = {
    { 0x01EB, 'q' }, { 0x0251, 'a' }, { 0x0261, 'g' }, { 0x0262, 'g' }, { 0x026A, 'i' }, { 0x0274, 'n' },
    { 0x0280, 'r' }, { 0x028F, 'y' }, { 0x0299, 'b' }, { 0x029C, 'h' }, { 0x029F, 'l' },
    { 0x0391, 'a' }, { 0x0392, 'b' }, { 0x0395, 'e' }, { 0x0396, 'z' }, { 0x0397, 'h' }, { 0x0399, 'i' },
    { 0x039A, 'k' }, { 0x039C, 'm' }, { 0x039D, 'n' }, { 0x039F, 'o' }, { 0x03A1, 'p' }, { 0x03A4, 't' },
    { 0x03A5, 'y' }, { 0x03A7, 'x' }, { 0x03B1, 'a' }, { 0x03B2, 'b' }, { 0x03B5, 'e' }, { 0x03B7, 'n' },
    { 0x03B9, 'i' }, { 0x03BA, 'k' }, { 0x03BD, 'v' }, { 0x03BF, 'o' }, { 0x03C1, 'p' }, { 0x03C4, 't' },
    { 0x03C5, 'u' }, { 0x03C7, 'x' }, { 0x03C9, 'w' },
    { 0x0405, 's' }, { 0x0406, 'i' }, { 0x0408, 'j' }, { 0x0410, 'a' }, { 0x0412, 'b' }, { 0x0415, 'e' },
    { 0x041A, 'k' }, { 0x041C, 'm' }, { 0x041D, 'h' }, { 0x041E, 'o' }, { 0x0420, 'p' }, { 0x0421, 'c' },
    { 0x0422, 't' }, { 0x0423, 'y' }, { 0x0425, 'x' }, { 0x0430, 'a' }, { 0x0435, 'e' }, { 0x043A, 'k' },
    { 0x043C, 'm' }, { 0x043D, 'h' }, { 0x043E, 'o' }, { 0x0440, 'p' }, { 0x0441, 'c' }, { 0x0442, 't' },
    { 0x0443, 'y' }, { 0x0445, 'x' }, { 0x0455, 's' }, { 0x0456, 'i' }, { 0x0458, 'j' }, { 0x0501, 'd' },
    { 0x051B, 'q' }, { 0x051D, 'w' },
    { 0x1D00, 'a' }, { 0x1D04, 'c' }, { 0x1D05, 'd' }, { 0x1D07, 'e' }, { 0x1D0A, 'j' }, { 0x1D0B, 'k' },
    { 0x1D0D, 'm' }, { 0x1D0F, 'o' }, { 0x1D18, 'p' }, { 0x1D1B, 't' }, { 0x1D1C, 'u' }, { 0x1D20, 'v' },
    { 0x1D21, 'w' }, { 0x1D22, 'z' }, { 0xA730, 'f' }, { 0xA731, 's' },
};

/* The ASCII letter a lookalike stands for, or 0. */
static char lookalike_of(uint32_t cp)
{
    size_t lo = 0, hi = sizeof lookalike / sizeof lookalike[0];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (lookalike[mid].cp == cp)
            return lookalike[mid].c;
        if (lookalike[mid].cp < cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

/* Punctuation, symbols, emoji and private-use characters: word breaks. */
static bool separator(uint32_t cp)
{
    return cp < 0xC0 || (cp >= 0x2000 && cp <= 0x2BFF) || (cp >= 0x2E00 && cp <= 0x2E7F) ||
           (cp >= 0x3000 && cp <= 0x303F) || (cp >= 0xE000 && cp <= 0xF8FF) || (cp >= 0xFE10 && cp <= 0xFE6F) ||
           (cp >= 0xFF00 && cp <= 0xFF65) || (cp >= 0x1F000 && cp <= 0x1FBFF);
}

/* One non-ASCII character (the bytes at raw, n of them). */
static void unicode(struct w *w, uint32_t cp, const unsigned char *raw, size_t n, unsigned char next,
                    unsigned flags)
{
    if (ignorable(cp) || apostrophe(cp))
        return;
    if (quote_mark(cp)) {
        quote(w);
        return;
    }
    if (cp >= 0xFF01 && cp <= 0xFF5E) {                         /* fullwidth ASCII */
        ascii(w, (unsigned char)(cp - 0xFEE0), next, flags);
        return;
    }
    if (cp >= 0xC0 && cp <= 0xFF) {
        char c = latin1[cp - 0xC0];
        if (c == ' ')
            boundary(w);
        else
            put(w, c, true);
        return;
    }
    if (cp >= 0x100 && cp <= 0x17F) {
        put(w, latin_a[cp - 0x100], true);
        return;
    }
    if (cp >= 0x1D400 && cp <= 0x1D6A3) {                       /* bold, italic, script... letters */
        put(w, (char)('a' + (cp - 0x1D400) % 52 % 26), true);
        return;
    }
    if (cp >= 0x1D7CE && cp <= 0x1D7FF) {                       /* and digits */
        ascii(w, (unsigned char)('0' + (cp - 0x1D7CE) % 10), next, flags);
        return;
    }
    if (cp >= 0x24B6 && cp <= 0x24E9) {                         /* circled letters */
        put(w, (char)('a' + (cp - 0x24B6) % 26), true);
        return;
    }
    if (cp >= 0x1F130 && cp <= 0x1F189 && (cp - 0x1F130) % 32 < 26) {  /* squared letters */
        put(w, (char)('a' + (cp - 0x1F130) % 32), true);
        return;
    }
    char c = cp <= 0xFFFF ? lookalike_of(cp) : 0;
    if (c) {
        put(w, c, true);
        return;
    }
    if (separator(cp)) {
        boundary(w);
        return;
    }
    /* Any other letter is kept as it is (lower-cased for Cyrillic and Greek),
     * part of a word: phrases in other scripts match byte for byte. */
    uint32_t lc = cp;
    if ((cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2) || (cp >= 0x410 && cp <= 0x42F))
        lc = cp + 0x20;
    else if (cp >= 0x400 && cp <= 0x40F)
        lc = cp + 0x50;
    if (lc != cp && n == 2) {
        put(w, (char)(0xC0 | (lc >> 6)), false);
        put(w, (char)(0x80 | (lc & 0x3F)), false);
        return;
    }
    for (size_t i = 0; i < n; i++)
        put(w, (char)raw[i], false);
}

/* A digit of an IRC colour code (hex for \4 colours). */
static bool color_digit(unsigned char c, bool hex)
{
    return (c >= '0' && c <= '9') || (hex && (unsigned char)((c | 0x20) - 'a') < 6);
}

size_t crisis_normalize(const char *in, size_t len, char *out, size_t cap, unsigned flags, struct crisis_norm *info)
{
    struct crisis_norm dummy;
    if (!info)
        info = &dummy;
    memset(info, 0, sizeof *info);
    if (cap < 4) {
        if (cap)
            out[0] = '\0';
        return 0;
    }
    struct w w = { .out = out, .cap = cap, .len = 1, .qopen = -1, .info = info };
    out[0] = ' ';
    const unsigned char *p = (const unsigned char *)in;
    size_t i = 0;
    while (i < len && p[i]) {
        unsigned char c = p[i];
        if (c == 0x03 || c == 0x04) {                           /* IRC colour: \3fg[,bg] or \4rrggbb[,rrggbb] */
            bool hex = c == 0x04;
            size_t maxd = hex ? 6 : 2, d = 0;
            for (i++; d < maxd && i < len && color_digit(p[i], hex); d++)
                i++;
            if (d > 0 && i + 1 < len && p[i] == ',' && color_digit(p[i + 1], hex))
                for (i++, d = 0; d < maxd && i < len && color_digit(p[i], hex); d++)
                    i++;
            continue;
        }
        if (c == ' ' && w.tok != 1) {
            /* The common case of a space: after a word of two letters or
             * more (one-letter words may need joining: boundary()). */
            w.sep_n++;
            w.sep_space = true;
            if (out[w.len - 1] != ' ') {
                out[w.len++] = ' ';
                w.run = 0;
                w.tok = 0;
            }
            i++;
            continue;
        }
        if (is_alpha(c) && w.len + 2 < cap) {
            /* The common case, a run of ASCII letters, with the writer in
             * registers: lower-case, collapse repeats, append. */
            if (w.tok == 0)
                word_start(&w);
            size_t n = w.len;
            char last = out[n - 1];
            unsigned tok = w.tok;
            do {
                char l = (char)(c | 0x20);
                if (l != last) {
                    if (n + 2 >= cap)
                        break;
                    out[n++] = last = l;
                    tok++;
                }
                c = ++i < len ? p[i] : 0;
            } while (is_alpha(c));
            w.len = n;
            w.tok = tok;
            continue;
        }
        if (c < 0x80) {
            ascii(&w, c, i + 1 < len ? p[i + 1] : 0, flags);
            i++;
            continue;
        }
        uint32_t cp;
        size_t n = utf8_decode(p + i, len - i, &cp);
        if (n == 0) {
            boundary(&w);
            i++;
            continue;
        }
        unicode(&w, cp, p + i, n, i + n < len ? p[i + n] : 0, flags);
        i += n;
    }
    boundary(&w);
    out[w.len] = '\0';
    info->len = w.len;
    /* Joining spelled-out letters may have pulled text back over a quote
     * recorded earlier: keep every span inside the text. */
    for (unsigned q = 0; q < info->nquotes; q++) {
        if (info->quote[q][1] > w.len)
            info->quote[q][1] = (uint16_t)w.len;
        if (info->quote[q][0] > info->quote[q][1])
            info->quote[q][0] = info->quote[q][1];
    }
    return w.len;
}
