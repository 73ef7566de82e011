/* users_edit.c - see users_edit.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "users_edit.h"

int users_valid_name(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > USERS_MAX_NAME || name[0] == '#')
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c <= ' ' || c == 0x7f)
			return 0;
	}
	return 1;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* The token at *p in [*p, end): its start and length; *p moves past it
 * and the blanks before it. */
static size_t token(const char **p, const char *end, const char **start)
{
	const char *s = *p;

	while (s < end && is_blank(*s))
		s++;
	*start = s;
	while (s < end && !is_blank(*s) && *s != '\r')
		s++;
	*p = s;
	return (size_t)(s - *start);
}

/* If line [p, end) is "user USER ...", return where the hash token ends
 * (what follows it is kept), else NULL. */
static const char *user_line(const char *p, const char *end, const char *user)
{
	const char *t;
	size_t n = token(&p, end, &t);

	if (n != 4 || memcmp(t, "user", 4) != 0)
		return NULL;
	n = token(&p, end, &t);
	if (n != strlen(user) || memcmp(t, user, n) != 0)
		return NULL;
	token(&p, end, &t); /* the old hash, possibly empty */
	return p;
}

int users_edit(const char *text, size_t len, const char *user, const char *hash,
	       char **out, size_t *out_len, int *found)
{
	const char *p = text, *end = text + len;
	FILE *m = open_memstream(out, out_len);

	*found = 0;
	if (!m)
		return -1;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		const char *rest = user_line(p, eol, user);

		if (rest)
			++*found;
		if (!rest)
			fwrite(p, 1, (size_t)(eol - p), m);
		else if (hash)
			fprintf(m, "user %s %s%.*s", user, hash,
				(int)(eol - rest), rest);
		if (nl && (!rest || hash))
			fputc('\n', m);
		p = nl ? nl + 1 : end;
	}
	if (!*found && hash)
		fprintf(m, "%suser %s %s\n",
			len && text[len - 1] != '\n' ? "\n" : "", user, hash);
	return fclose(m) == 0 ? 0 : -1;
}
