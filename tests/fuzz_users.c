/*
 * fuzz_users.c - libFuzzer target for the users file parser
 * (broker/users_parse.c, users.c) and the rule sets it fills (acl.c).
 * Built and run briefly by tests/fuzz.sh; by hand:
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -include config.h \
 *       -Ibroker -Iprotocol -I. tests/fuzz_users.c broker/users.c \
 *       broker/users_parse.c broker/acl.c broker/acl_pattern.c \
 *       broker/conf_pool.c \
 *       broker/conf_value.c protocol/proto_check.c \
 *       protocol/proto_names.c -lcrypt -o /tmp/fu
 *   /tmp/fu -max_total_time=60 /tmp/corpus tests/corpus_users
 *
 * The input is the file's text.  Checked: no crash, leak or sanitizer
 * report; a table comes back iff no problem was counted; every record in
 * it is found by its name, has an accepted hash (anonymous: none) and a
 * rule set; the table is sorted and holds anonymous; a record referenced
 * past the table's end stays readable.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "users.h"

static void check_table(struct users *u)
{
	struct user *keep;

	if (!u->anonymous || u->n < 1 || u->n > USERS_MAX + 1)
		abort();
	for (size_t i = 0; i < u->n; i++) {
		struct user *r = u->v[i];

		if (users_find(u, r->name, r->name_len) != r || !r->acl)
			abort();
		if (r != u->anonymous && users_hash_problem(r->hash) != NULL)
			abort();
		if (i > 0 && strcmp(u->v[i - 1]->name, r->name) >= 0)
			abort();
		(void)acl_may_pub(r->acl, "a.b", 3);
	}
	keep = user_ref(u->v[u->n - 1]);
	users_free(u);
	if (keep->name_len != strlen(keep->name))
		abort();
	user_unref(keep);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int problems = -1;
	struct users *u = users_parse((const char *)data, size, "fuzz", NULL,
				      NULL, &problems);

	if ((u != NULL) != (problems == 0))
		abort();
	if (u)
		check_table(u);
	return 0;
}
