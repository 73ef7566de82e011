/* tool_args.c - see tool_args.h. */
#include "config.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool_args.h"

static const char pub_usage[] =
	"Usage: broker-pub [-h HOST] [-p PORT] [-i NAME] -t TOPIC\n"
	"                  (-m MESSAGE | -f FILE | -l | -s) [-r REPLY_TO]\n"
	"                  [--retry N] [--retry-max MS] [--timeout MS]\n"
	"Publish to a brokerd broker.\n\n"
	"  -h, --host HOST      broker host (default 127.0.0.1)\n"
	"  -p, --port PORT      broker port (default 7654)\n"
	"  -i, --id NAME        client name sent to the broker\n"
	"  -t, --topic TOPIC    topic to publish to (required)\n"
	"  -m, --message MSG    publish MSG\n"
	"  -f, --file FILE      publish the whole file as one message\n"
	"  -l, --stdin-line     publish each line of stdin as a message\n"
	"                       (without its newline; empty lines are sent\n"
	"                       as empty messages)\n"
	"  -s, --stdin-file     publish all of stdin as one message\n"
	"  -r, --reply-to TOPIC reply-to topic of the message(s)\n"
	"      --retry N        retry a failed connect N times (default 0)\n"
	"      --retry-max MS   longest wait between retries (default 5000;\n"
	"                       waits start at 100 ms and double)\n"
	"      --timeout MS     connect and acknowledgement timeout\n"
	"                       (default 5000)\n"
	"      --help           show this help and exit\n"
	"      --version        show the version and exit\n\n"
	"Exits 0 once the broker has accepted every message, 1 on errors,\n"
	"2 on usage errors.\n";

static const char sub_usage[] =
	"Usage: broker-sub [-h HOST] [-p PORT] [-i NAME] -t PATTERN...\n"
	"                  [-q GROUP] [-n COUNT] [-v] [-N] [--reconnect]\n"
	"                  [--policy POLICY] [--max-queue-msgs N]\n"
	"                  [--max-queue-bytes SIZE]\n"
	"                  [--retry N] [--retry-max MS] [--timeout MS]\n"
	"Subscribe to a brokerd broker and print the messages.\n\n"
	"  -h, --host HOST      broker host (default 127.0.0.1)\n"
	"  -p, --port PORT      broker port (default 7654)\n"
	"  -i, --id NAME        client name sent to the broker\n"
	"  -t, --topic PATTERN  pattern to subscribe to (repeatable); '*'\n"
	"                       matches one token, a last '>' one or more\n"
	"  -q, --queue GROUP    join queue group GROUP (one member gets each\n"
	"                       message)\n"
	"  -n, --count N        exit after N messages\n"
	"  -v, --verbose        print the topic, a space, then the payload\n"
	"  -N                   no newline after each payload\n"
	"      --reconnect      keep running when the connection is lost:\n"
	"                       reconnect (backoff up to --retry-max) and\n"
	"                       resubscribe; state changes go to stderr\n"
	"      --policy POLICY  what the broker does when messages for us\n"
	"                       pile up: block (the default: the publishers\n"
	"                       wait while we read, nothing is lost unless\n"
	"                       we stall), drop-oldest, drop-newest,\n"
	"                       disconnect, or pool (the broker's setting)\n"
	"      --max-queue-msgs N\n"
	"                       ask the broker to queue at most N messages\n"
	"                       for us (it may only lower its own limit)\n"
	"      --max-queue-bytes SIZE\n"
	"                       the same in bytes; SIZE may end in k, M or G\n"
	"                       (powers of 1024)\n"
	"      --retry N        retry a failed first connect N times\n"
	"      --retry-max MS   longest wait between retries (default 5000)\n"
	"      --timeout MS     connect and handshake timeout (default 5000)\n"
	"      --help           show this help and exit\n"
	"      --version        show the version and exit\n\n"
	"Exits 0 after -n messages or on SIGINT/SIGTERM, 1 on errors (broker\n"
	"unreachable, subscription rejected, connection lost without\n"
	"--reconnect), 2 on usage errors.\n";

enum { OPT_HELP = 256, OPT_VERSION, OPT_RETRY, OPT_RETRY_MAX, OPT_TIMEOUT,
       OPT_RECONNECT, OPT_POLICY, OPT_MAX_QUEUE_MSGS, OPT_MAX_QUEUE_BYTES };

static const struct option long_opts[] = {
	{ "host", required_argument, NULL, 'h' },
	{ "port", required_argument, NULL, 'p' },
	{ "id", required_argument, NULL, 'i' },
	{ "topic", required_argument, NULL, 't' },
	{ "message", required_argument, NULL, 'm' },
	{ "file", required_argument, NULL, 'f' },
	{ "stdin-line", no_argument, NULL, 'l' },
	{ "stdin-file", no_argument, NULL, 's' },
	{ "reply-to", required_argument, NULL, 'r' },
	{ "queue", required_argument, NULL, 'q' },
	{ "count", required_argument, NULL, 'n' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "retry", required_argument, NULL, OPT_RETRY },
	{ "retry-max", required_argument, NULL, OPT_RETRY_MAX },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "reconnect", no_argument, NULL, OPT_RECONNECT },
	{ "policy", required_argument, NULL, OPT_POLICY },
	{ "max-queue-msgs", required_argument, NULL, OPT_MAX_QUEUE_MSGS },
	{ "max-queue-bytes", required_argument, NULL, OPT_MAX_QUEUE_BYTES },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

void tool_fail(const struct tool_args *a, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", a->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* A whole decimal number in [min, max], or -1. */
static long parse_num(const char *s, long min, long max)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v < min || v > max)
		return -1;
	return v;
}

/* A number option in [min, max] into *dst.  Returns -1, or an exit
 * status after a message. */
static int take_num(struct tool_args *a, int *dst, const char *arg,
		    const char *what, long min, long max)
{
	long v = parse_num(arg, min, max);

	if (v < 0) {
		tool_fail(a, "invalid %s '%s'", what, arg);
		return TOOL_EXIT_USAGE;
	}
	*dst = (int)v;
	return -1;
}

/* A count or a size ("64k", "16M", "1G": powers of 1024) in
 * 1..TOOL_MAX_QUEUE into *dst.  Returns -1, or an exit status after a
 * message. */
#define TOOL_MAX_QUEUE ((uint64_t)1 << 50)
static int take_size(struct tool_args *a, uint64_t *dst, const char *arg,
		     const char *what, int suffix_ok)
{
	static const char units[] = "kMG";
	unsigned long long v;
	const char *u;
	char *end;

	v = arg[0] >= '0' && arg[0] <= '9' ? strtoull(arg, &end, 10) : 0;
	u = v && suffix_ok && *end ? strchr(units, *end) : NULL;
	if (u && end[1] == 0) {
		for (long i = 0; i <= u - units; i++)
			v = v > TOOL_MAX_QUEUE ? v : v * 1024;
		end++;
	}
	if (v == 0 || *end || v > TOOL_MAX_QUEUE) {
		tool_fail(a, "invalid %s '%s'", what, arg);
		return TOOL_EXIT_USAGE;
	}
	*dst = v;
	return -1;
}

/* broker-sub's queue options.  Returns -1, or an exit status. */
static int take_queue_opt(struct tool_args *a, int opt, const char *arg)
{
	if (opt == OPT_MAX_QUEUE_MSGS)
		return take_size(a, &a->max_queue_msgs, arg, "--max-queue-msgs",
				 0);
	if (opt == OPT_MAX_QUEUE_BYTES)
		return take_size(a, &a->max_queue_bytes, arg,
				 "--max-queue-bytes", 1);
	a->policy = strcmp(arg, "pool") == 0 ? TOOL_POLICY_POOL
					      : bc_policy_parse(arg);
	if (a->policy < 0) {
		tool_fail(a, "invalid policy '%s' (block, drop-oldest, "
			  "drop-newest, disconnect or pool)", arg);
		return TOOL_EXIT_USAGE;
	}
	return -1;
}

/* The long-only options.  Returns -1, or an exit status. */
static int take_long(struct tool_args *a, int opt, const char *arg)
{
	switch (opt) {
	case OPT_POLICY:
	case OPT_MAX_QUEUE_MSGS:
	case OPT_MAX_QUEUE_BYTES:
		if (a->kind == TOOL_SUB)
			return take_queue_opt(a, opt, arg);
		break;
	case OPT_RETRY:
		return take_num(a, &a->retry, arg, "retry count", 0, 1000000);
	case OPT_RETRY_MAX:
		return take_num(a, &a->retry_max_ms, arg, "--retry-max", 1,
				86400000);
	case OPT_TIMEOUT:
		return take_num(a, &a->timeout_ms, arg, "timeout", 1,
				86400000);
	case OPT_RECONNECT:
		if (a->kind == TOOL_SUB) {
			a->reconnect = 1;
			return -1;
		}
		break;
	}
	tool_fail(a, "invalid option (see --help)");
	return TOOL_EXIT_USAGE;
}

/* Options only one tool knows are refused by the other's optstring; here
 * the values are stored.  Returns -1, or an exit status. */
static int take_opt(struct tool_args *a, int opt, const char *arg)
{
	switch (opt) {
	case 'h': a->host = arg; break;
	case 'i': a->id = arg; break;
	case 'm': a->message = arg; break;
	case 'f': a->file = arg; break;
	case 'l': a->lines = 1; break;
	case 's': a->whole_stdin = 1; break;
	case 'r': a->reply_to = arg; break;
	case 'q': a->queue = arg; break;
	case 'v': a->verbose = 1; break;
	case 'N': a->no_newline = 1; break;
	case 'p':
		if ((a->port = (int)parse_num(arg, 1, 65535)) < 0) {
			tool_fail(a, "invalid port '%s'", arg);
			return TOOL_EXIT_USAGE;
		}
		break;
	case 'n':
		if ((a->count = parse_num(arg, 1, 1000000000L)) < 0) {
			tool_fail(a, "invalid count '%s'", arg);
			return TOOL_EXIT_USAGE;
		}
		break;
	case 't':
		if (a->ntopics == TOOL_MAX_TOPICS) {
			tool_fail(a, "too many -t options (max %d)",
				  TOOL_MAX_TOPICS);
			return TOOL_EXIT_USAGE;
		}
		a->topics[a->ntopics++] = arg;
		break;
	default:
		tool_fail(a, "invalid option (see --help)");
		return TOOL_EXIT_USAGE;
	}
	return -1;
}

static int check_pub(const struct tool_args *a)
{
	int modes = !!a->message + !!a->file + a->lines + a->whole_stdin;

	if (a->ntopics != 1) {
		tool_fail(a, "exactly one -t TOPIC is required (see --help)");
		return TOOL_EXIT_USAGE;
	}
	if (modes != 1) {
		tool_fail(a, "give exactly one of -m, -f, -l, -s (see --help)");
		return TOOL_EXIT_USAGE;
	}
	return -1;
}

static int check_sub(const struct tool_args *a)
{
	if (a->ntopics == 0) {
		tool_fail(a, "at least one -t PATTERN is required (see --help)");
		return TOOL_EXIT_USAGE;
	}
	return -1;
}

int tool_parse(struct tool_args *a, enum tool_kind kind, int argc,
	       char **argv)
{
	const char *optstring = kind == TOOL_PUB ? ":h:p:i:t:m:f:lsr:"
						 : ":h:p:i:t:q:n:vN";
	int opt, rc;

	memset(a, 0, sizeof *a);
	a->kind = kind;
	a->prog = kind == TOOL_PUB ? "broker-pub" : "broker-sub";
	a->host = "127.0.0.1";
	a->port = 7654;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, optstring, long_opts, NULL)) !=
	       -1) {
		if (opt == OPT_HELP) {
			fputs(kind == TOOL_PUB ? pub_usage : sub_usage, stdout);
			return 0;
		}
		if (opt == OPT_VERSION) {
			printf("%s %s\n", a->prog, PACKAGE_VERSION);
			return 0;
		}
		if (opt == ':') {
			tool_fail(a, "option needs a value (see --help)");
			return TOOL_EXIT_USAGE;
		}
		if (opt > OPT_VERSION) {
			if ((rc = take_long(a, opt, optarg)) >= 0)
				return rc;
			continue;
		}
		if (!strchr(optstring + 1, opt))
			opt = '?';
		if ((rc = take_opt(a, opt, optarg)) >= 0)
			return rc;
	}
	if (optind < argc) {
		tool_fail(a, "unexpected argument '%s' (see --help)",
			  argv[optind]);
		return TOOL_EXIT_USAGE;
	}
	return kind == TOOL_PUB ? check_pub(a) : check_sub(a);
}

void tool_error_cb(bc_client *c, int err, int server_code,
		   const char *reason, void *arg)
{
	struct tool_error *e = arg;

	(void)c;
	if (e->err)
		return;
	e->err = err;
	e->server_code = server_code;
	snprintf(e->reason, sizeof e->reason, "%s", reason);
}

/* --retry, --retry-max, --timeout, --reconnect into o. */
static int tool_resilience(const struct tool_args *a, bc_options *o)
{
	int rc = bc_options_set_reconnect(o, a->reconnect);
	int cap = a->retry_max_ms;

	if (rc == BC_OK)
		rc = bc_options_set_connect_retries(o, a->retry);
	if (rc == BC_OK && cap)
		rc = bc_options_set_backoff(o, cap < 100 ? cap : 100, cap, 2.0);
	if (rc == BC_OK && a->timeout_ms)
		rc = bc_options_set_connect_timeout(o, a->timeout_ms);
	if (rc == BC_OK && a->timeout_ms)
		rc = bc_options_set_timeout(o, a->timeout_ms);
	return rc;
}

bc_options *tool_options(const struct tool_args *a, struct tool_error *e)
{
	bc_options *o = bc_options_new();

	if (!o) {
		tool_fail(a, "out of memory");
		return NULL;
	}
	if (bc_options_set_host(o, a->host) != BC_OK ||
	    bc_options_set_port(o, a->port) != BC_OK ||
	    (a->id && bc_options_set_name(o, a->id) != BC_OK) ||
	    bc_options_set_error_cb(o, tool_error_cb, e) != BC_OK) {
		tool_fail(a, "invalid client name '%s'", a->id ? a->id : "");
		bc_options_free(o);
		return NULL;
	}
	if (tool_resilience(a, o) != BC_OK) {
		tool_fail(a, "invalid retry or timeout settings");
		bc_options_free(o);
		return NULL;
	}
	return o;
}

bc_client *tool_connect(const struct tool_args *a, const bc_options *o,
			struct tool_error *e)
{
	bc_client *c = NULL;
	int rc = bc_connect(&c, o);
	const char *why = e->err ? e->reason : bc_strerror(rc);

	if (rc == BC_OK) {
		e->err = 0;
		return c;
	}
	if (rc == BC_ERR_HANDSHAKE && e->server_code)
		tool_fail(a, "broker at %s:%d refused the connection: %s "
			  "(code %d)", a->host, a->port, why, e->server_code);
	else if (rc == BC_ERR_HANDSHAKE)
		tool_fail(a, "handshake with %s:%d failed: %s", a->host,
			  a->port, why);
	else
		tool_fail(a, "cannot connect to %s:%d: %s", a->host, a->port,
			  why);
	return NULL;
}

int tool_sub_options(const struct tool_args *a, bc_sub_options **out)
{
	bc_sub_options *so;

	/* A person piping to a file expects every line: block unless
	 * --policy says otherwise. */
	int policy = a->policy == 0		   ? BC_POLICY_BLOCK
		     : a->policy == TOOL_POLICY_POOL ? BC_POLICY_DEFAULT
						     : a->policy;

	*out = NULL;
	if (!policy && !a->max_queue_msgs && !a->max_queue_bytes)
		return 0;
	so = bc_sub_options_new();
	if (!so || bc_sub_options_set_policy(so, policy) != BC_OK ||
	    bc_sub_options_set_max_msgs(so, a->max_queue_msgs) != BC_OK ||
	    bc_sub_options_set_max_bytes(so, a->max_queue_bytes) != BC_OK) {
		bc_sub_options_free(so);
		tool_fail(a, "out of memory");
		return 1;
	}
	*out = so;
	return 0;
}

void tool_fail_op(const struct tool_args *a, bc_client *c, int rc,
		  const char *what)
{
	const char *reason;
	int code;

	if (rc == BC_ERR_SERVER) {
		code = bc_last_error(c, &reason);
		tool_fail(a, "%s: %s (code %d)", what, reason, code);
	} else {
		tool_fail(a, "%s: %s", what, bc_strerror(rc));
	}
}
