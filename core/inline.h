/*
 * inline.h - the two inlining hints of the per-line hot paths (log
 * reading, parsing, correlation), defined once.
 *
 * ALWAYS_INLINE: a small helper GCC would leave as a call inside a large
 * function; NOINLINE: a rare slow path kept out of the inlined fast one.
 * Both are plain no-ops for compilers without GNU attributes.
 */
#ifndef PB_INLINE_H
#define PB_INLINE_H

#if defined(__GNUC__)
#define ALWAYS_INLINE inline __attribute__((always_inline))
#define NOINLINE __attribute__((noinline))
#else
#define ALWAYS_INLINE inline
#define NOINLINE
#endif

#endif
