/*
 * readability.c - Flesch-Kincaid grade by a simple English heuristic.
 *
 * Pure counting over the caller's bytes; no allocation, no locale.
 * Guarantees: any input (including invalid UTF-8) gives a defined result.
 */
#include <stdbool.h>

#include "readability.h"

/* is_letter - ASCII letters; other bytes are neither letter nor digit */
static bool
is_letter(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* lower - ASCII lower case */
static char
lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : (char)c;
}

/* is_vowel - a e i o u, and y when it is not the first letter */
static bool
is_vowel(char c, size_t pos)
{
	return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' ||
	       (c == 'y' && pos > 0);
}

/* letters_syllables - syllables of a run of letters w[0..n) */
static size_t
letters_syllables(const char *w, size_t n)
{
	size_t i, count = 0;
	bool prev = false, v;
	char last, before;

	for (i = 0; i < n; i++) {
		v = is_vowel(lower((unsigned char)w[i]), i);
		if (v && !prev)
			count++;
		prev = v;
	}
	if (n >= 3 && count > 1) {
		last = lower((unsigned char)w[n - 1]);
		before = lower((unsigned char)w[n - 2]);
		if (last == 'e' && before != 'l' && !is_vowel(before, n - 2))
			count--;	/* silent e: make, use */
		else if (last == 'e' && before == 'l' &&
			 is_vowel(lower((unsigned char)w[n - 3]), n - 3))
			count--;	/* mile, rule */
		else if (before == 'e' && last == 'd' &&
			 !is_vowel(lower((unsigned char)w[n - 3]), n - 3) &&
			 lower((unsigned char)w[n - 3]) != 't' &&
			 lower((unsigned char)w[n - 3]) != 'd')
			count--;	/* used, moved; not wanted */
		else if (before == 'e' && last == 's' &&
			 !is_vowel(lower((unsigned char)w[n - 3]), n - 3) &&
			 lower((unsigned char)w[n - 3]) != 's' &&
			 lower((unsigned char)w[n - 3]) != 'x' &&
			 lower((unsigned char)w[n - 3]) != 'z' &&
			 lower((unsigned char)w[n - 3]) != 'c' &&
			 lower((unsigned char)w[n - 3]) != 'g')
			count--;	/* makes, takes; not boxes, pages */
	}
	return count ? count : 1;
}

size_t
readability_syllables(const char *word, size_t len)
{
	size_t i = 0, j, total = 0;

	while (i < len) {
		j = i;
		if (is_letter((unsigned char)word[i])) {
			while (j < len && (is_letter((unsigned char)word[j]) ||
					   word[j] == '\''))
				j++;
			total += letters_syllables(word + i, j - i);
		} else if (is_digit((unsigned char)word[i])) {
			while (j < len && is_digit((unsigned char)word[j]))
				j++;
			total += 2;
		} else {
			j++;
		}
		i = j;
	}
	return total ? total : 1;
}

/* ends_sentence - the word ends in . ! ? before closing quotes/brackets */
static bool
ends_sentence(const char *w, size_t n)
{
	while (n > 0 && (w[n - 1] == '"' || w[n - 1] == '\'' ||
			 w[n - 1] == ')' || w[n - 1] == ']'))
		n--;
	return n > 0 && (w[n - 1] == '.' || w[n - 1] == '!' ||
			 w[n - 1] == '?');
}

void
readability_measure(const char *text, size_t len, struct readability *out)
{
	size_t i = 0, j, k;
	bool open = false, word;	/* open: words since the last end */

	out->words = out->sentences = out->syllables = 0;
	out->grade = 0;
	while (i < len) {
		if (text[i] == '\n') {
			if (open)
				out->sentences++;
			open = false;
			i++;
			continue;
		}
		if (text[i] == ' ' || text[i] == '\t') {
			i++;
			continue;
		}
		for (j = i; j < len && text[j] != ' ' && text[j] != '\t' &&
			    text[j] != '\n'; j++)
			;
		for (word = false, k = i; k < j && !word; k++)
			word = is_letter((unsigned char)text[k]) ||
			       is_digit((unsigned char)text[k]);
		if (word) {
			out->words++;
			out->syllables += readability_syllables(text + i,
								j - i);
			open = true;
			if (ends_sentence(text + i, j - i)) {
				out->sentences++;
				open = false;
			}
		}
		i = j;
	}
	if (open)
		out->sentences++;
	if (out->words > 0)
		out->grade = 0.39 * (double)out->words /
				     (double)out->sentences +
			     11.8 * (double)out->syllables /
				     (double)out->words - 15.59;
}
