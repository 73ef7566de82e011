/* pw_read.c - see pw_read.h. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "pw_read.h"

/* One line of stdin without its newline (and a CR before it).  0, or -1
 * with the reason. */
static int read_line(char *buf, size_t cap, char *why, size_t why_cap)
{
	size_t n;

	if (!fgets(buf, (int)cap, stdin)) {
		snprintf(why, why_cap, "no password on standard input");
		return -1;
	}
	n = strlen(buf);
	if (n && buf[n - 1] == '\n')
		buf[--n] = 0;
	else if (!feof(stdin)) {
		snprintf(why, why_cap, "password too long (at most %d bytes)",
			 PW_MAX);
		return -1;
	}
	if (n && buf[n - 1] == '\r')
		buf[--n] = 0;
	if (n > PW_MAX) {
		snprintf(why, why_cap, "password too long (at most %d bytes)",
			 PW_MAX);
		return -1;
	}
	return 0;
}

/* Prompt on stderr and read a line with echo off. */
static int ask(const char *prompt, char *buf, size_t cap, char *why,
	       size_t why_cap)
{
	struct termios old, quiet;
	int rc, have = tcgetattr(STDIN_FILENO, &old) == 0;

	fputs(prompt, stderr);
	fflush(stderr);
	if (have) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	rc = read_line(buf, cap, why, why_cap);
	if (have)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	fputc('\n', stderr);
	return rc;
}

int pw_read(char *buf, size_t cap, char *why, size_t why_cap)
{
	char again[PW_MAX + 2];
	int rc;

	if (!isatty(STDIN_FILENO))
		rc = read_line(buf, cap, why, why_cap);
	else if ((rc = ask("Password: ", buf, cap, why, why_cap)) == 0 &&
		 (rc = ask("Reenter password: ", again, sizeof again, why,
			   why_cap)) == 0 &&
		 strcmp(buf, again) != 0) {
		snprintf(why, why_cap, "passwords do not match");
		rc = -1;
	}
	explicit_bzero(again, sizeof again);
	if (rc == 0 && !*buf) {
		snprintf(why, why_cap, "empty password");
		rc = -1;
	}
	return rc;
}
