/*
 * users_edit.h - the text change brokerd-passwd makes to a users file
 * (lines "user NAME HASH [pool=NAME]", "allow ..."/"deny ..." rules,
 * "#" comments, blank lines): set one user's hash or delete its line,
 * every other byte kept as it was.  Pure string work: no files.
 */
#ifndef USERS_EDIT_H
#define USERS_EDIT_H

#include <stddef.h>

/* Longest user name (the protocol's). */
#define USERS_MAX_NAME 128

/* 1 if name (borrowed) is a valid user name: 1..USERS_MAX_NAME bytes, no
 * whitespace or control bytes, not starting with '#'. */
int users_valid_name(const char *name);

/* text[0..len) (borrowed) with the line of user (borrowed) changed:
 * hash set (borrowed; what followed the old hash, such as " pool=NAME",
 * kept), or the user appended at the end when it has no line; hash NULL
 * deletes the user's line ("allow"/"deny" lines stay).  *out gets the new
 * text (malloc'd, the caller frees; not NUL-terminated), *out_len its
 * length, *found the number of the user's lines seen.  0, or -1 when out
 * of memory. */
int users_edit(const char *text, size_t len, const char *user, const char *hash,
	       char **out, size_t *out_len, int *found);

#endif
