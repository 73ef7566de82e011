/*
 * pw_read.h - the password for brokerd-passwd: from the terminal without
 * echo, asked twice, or one line of stdin when stdin is not a terminal.
 */
#ifndef PW_READ_H
#define PW_READ_H

#include <stddef.h>

/* Longest password taken (the client library's limit). */
#define PW_MAX 1024

/* Read the password into buf[0..cap) (cap > PW_MAX; the caller wipes
 * it).  0, or -1 with a one-line reason in why[0..why_cap) (empty,
 * too long, the two entries differ, end of input). */
int pw_read(char *buf, size_t cap, char *why, size_t why_cap);

#endif
