/* pw_hash.c - see pw_hash.h. */
#include "config.h"

#include <crypt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pw_hash.h"

int pw_hash(enum pw_method m, const char *pass, char *out, size_t cap,
	    char *why, size_t why_cap)
{
	const char *prefix = m == PW_SHA512 ? "$6$" : "$y$";
	struct crypt_data *cd = calloc(1, sizeof *cd);
	char *setting = crypt_gensalt_ra(prefix, 0, NULL, 0);
	const char *h = NULL;
	int rc = -1;

	if (!cd || !setting)
		snprintf(why, why_cap, "cannot make a salt: %s",
			 strerror(errno ? errno : ENOMEM));
	else if (!(h = crypt_rn(pass, setting, cd, (int)sizeof *cd)) ||
		 h[0] == '*')
		snprintf(why, why_cap, "cannot hash the password with %s",
			 prefix);
	else if (strlen(h) >= cap)
		snprintf(why, why_cap, "hash too long");
	else {
		memcpy(out, h, strlen(h) + 1);
		rc = 0;
	}
	if (cd)
		explicit_bzero(cd, sizeof *cd); /* holds the password */
	free(cd);
	free(setting);
	return rc;
}
