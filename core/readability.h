/*
 * readability.h - the Flesch-Kincaid grade level of English text.
 *
 * Used by the tests to hold the English sender notices at grade 8 or
 * lower, and usable by tools that check site-written templates.
 *
 *   grade = 0.39 * words / sentences + 11.8 * syllables / words - 15.59
 *
 * Counting rules (a heuristic, documented so results can be checked):
 * - A word is a run of non-blank bytes holding at least one letter or
 *   digit.  Inside a word, every run of letters is counted for syllables
 *   (so "bob@example.org" reads as bob, example, org: 5 syllables) and
 *   every run of digits counts 2 syllables; a word has at least 1.
 * - Syllables of a run of letters: groups of vowels (a e i o u, and y
 *   after the first letter); a final silent "e" does not count unless it
 *   ends "le" after a consonant; a final "ed" after a letter other than
 *   t or d and a final "es" after a letter other than s, x, z, c, g do
 *   not count; at least 1.
 * - A sentence ends at a word ending in ".", "!" or "?" (closing quotes
 *   and brackets ignored), and at the end of a line that holds words but
 *   no such end: labels, headings and list lines count as sentences.
 */
#ifndef PB_READABILITY_H
#define PB_READABILITY_H

#include <stddef.h>

struct readability {
	size_t words;
	size_t sentences;
	size_t syllables;
	double grade;		/* 0 when there are no words */
};

/* readability_measure - count text[0..len) and compute the grade */
void readability_measure(const char *text, size_t len,
			 struct readability *out);

/* readability_syllables - the syllables of one word, by the rules above */
size_t readability_syllables(const char *word, size_t len);

#endif
