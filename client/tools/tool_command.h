/*
 * tool_command.h - run a shell command with some bytes on its standard
 * input and collect its standard output (broker-reply --command).
 */
#ifndef TOOL_COMMAND_H
#define TOOL_COMMAND_H

#include <stddef.h>

/* Largest output kept; more is read and discarded (a reply must fit the
 * broker's max payload anyway, which is at most 64 MiB). */
#define TOOL_COMMAND_MAX_OUT (64u * 1024u * 1024u)

/* Run `/bin/sh -c cmd` with in[0..len) on its stdin (stderr inherited),
 * wait for it, and return its output in *out (malloc'd, caller frees;
 * *out_len bytes, not NUL-terminated).  Returns the command's exit status
 * (0..255, 128+N if killed by signal N), or -1 with errno when it could
 * not be run (*out NULL). */
int tool_command_run(const char *cmd, const void *in, size_t len, char **out,
		     size_t *out_len);

#endif
