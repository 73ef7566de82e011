/* tool_args.c - see tool_args.h. */
#include "config.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool_args.h"
#include "tool_url.h"
#include "tool_usage.h"

enum {
	OPT_HELP = 256,
	OPT_VERSION,
	OPT_RETRY,
	OPT_RETRY_MAX,
	OPT_TIMEOUT,
	OPT_RECONNECT,
	OPT_LITERAL,
	OPT_COMMAND,
	OPT_POLICY,
	OPT_MAX_QUEUE_MSGS,
	OPT_MAX_QUEUE_BYTES,
	OPT_TLS,
	OPT_CAFILE,
	OPT_CERT,
	OPT_KEY,
	OPT_INSECURE,
	OPT_JSON,
	OPT_PRETTY
};

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
	{ "literal", no_argument, NULL, OPT_LITERAL },
	{ "command", required_argument, NULL, OPT_COMMAND },
	{ "policy", required_argument, NULL, OPT_POLICY },
	{ "max-queue-msgs", required_argument, NULL, OPT_MAX_QUEUE_MSGS },
	{ "max-queue-bytes", required_argument, NULL, OPT_MAX_QUEUE_BYTES },
	{ "tls", no_argument, NULL, OPT_TLS },
	{ "cafile", required_argument, NULL, OPT_CAFILE },
	{ "cert", required_argument, NULL, OPT_CERT },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "insecure", no_argument, NULL, OPT_INSECURE },
	{ "username", required_argument, NULL, 'u' },
	{ "pw", required_argument, NULL, 'P' },
	{ "format", required_argument, NULL, 'F' },
	{ "watch", no_argument, NULL, 'w' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "pretty", no_argument, NULL, OPT_PRETTY },
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
		tool_fail(a,
			  "invalid policy '%s' (block, drop-oldest, "
			  "drop-newest, disconnect or pool)",
			  arg);
		return TOOL_EXIT_USAGE;
	}
	return -1;
}

/* An option this tool does not take, named as the user wrote it. */
static int bad_option(const struct tool_args *a, const char *name, int known)
{
	if (known)
		tool_fail(a, "option '%s' is not for %s (see --help)", name,
			  a->prog);
	else
		tool_fail(a, "invalid option '%s' (see --help)", name);
	return TOOL_EXIT_USAGE;
}

/* --tls, --cafile, --cert, --key, --insecure: each turns TLS on (as
 * mosquitto_pub's --cafile does).  Returns -1. */
static int take_tls(struct tool_args *a, int opt, const char *arg)
{
	a->tls = 1;
	if (opt == OPT_CAFILE)
		a->cafile = arg;
	else if (opt == OPT_CERT)
		a->cert = arg;
	else if (opt == OPT_KEY)
		a->key = arg;
	else if (opt == OPT_INSECURE)
		a->insecure = 1;
	return -1;
}

/* The long-only options.  Returns -1, or an exit status. */
static int take_long(struct tool_args *a, int opt, const char *arg,
		     const char *name)
{
	switch (opt) {
	case OPT_TLS:
	case OPT_CAFILE:
	case OPT_CERT:
	case OPT_KEY:
	case OPT_INSECURE:
		return take_tls(a, opt, arg);
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
		return take_num(a, &a->timeout_ms, arg, "timeout", 1, 86400000);
	case OPT_LITERAL:
		a->literal = 1;
		return -1;
	case OPT_COMMAND:
		if (a->kind == TOOL_REPLY) {
			a->command = arg;
			return -1;
		}
		break;
	case OPT_RECONNECT:
		if (a->kind == TOOL_SUB) {
			a->reconnect = 1;
			return -1;
		}
		break;
	case OPT_JSON:
		if (a->kind == TOOL_SUB || a->kind == TOOL_STAT) {
			a->json = 1;
			return -1;
		}
		break;
	case OPT_PRETTY:
		if (a->kind == TOOL_SUB) {
			a->pretty = 1;
			return -1;
		}
		break;
	}
	return bad_option(a, name, 1);
}

/* Options only one tool knows are refused by the other's optstring; here
 * the values are stored.  Returns -1, or an exit status. */
static int take_opt(struct tool_args *a, int opt, const char *arg,
		    const char *name)
{
	switch (opt) {
	case 'h':
		a->host = arg;
		break;
	case 'i':
		a->id = arg;
		break;
	case 'm':
		a->message = arg;
		break;
	case 'f':
		a->file = arg;
		break;
	case 'l':
		a->lines = 1;
		break;
	case 's':
		a->whole_stdin = 1;
		break;
	case 'r':
		a->reply_to = arg;
		break;
	case 'q':
		a->queue = arg;
		break;
	case 'v':
		a->verbose = 1;
		break;
	case 'u':
		a->user = arg;
		break;
	case 'P':
		a->pass = arg;
		break;
	case 'N':
		a->no_newline = 1;
		break;
	case 'F':
		a->format = arg;
		break;
	case 'w':
		a->watch = 1;
		break;
	case 'p':
		if ((a->port = (int)parse_num(arg, 1, 65535)) < 0) {
			tool_fail(a, "invalid port '%s'", arg);
			return TOOL_EXIT_USAGE;
		}
		break;
	case 'W':
		return take_num(a, &a->idle_s, arg, "-W seconds", 1, 86400);
	case 'C':
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
		return bad_option(a, name, opt != '?');
	}
	return -1;
}

/* s in brokerd's spelling: MQTT's '/' '+' '#' become '.' '*' '>'. */
static void mqtt_to_brokerd(char *buf, size_t cap, const char *s)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < cap; i++)
		buf[i] = s[i] == '/'   ? '.'
			 : s[i] == '+' ? '*'
			 : s[i] == '#' ? '>'
				       : s[i];
	buf[i] = 0;
}

/* '+' and '#' are MQTT's wildcards; to brokerd they are plain characters,
 * so `-t 'a/#'` would be a literal topic that never matches anything.
 * Refuse it with the translation unless --literal says it is meant. */
static int check_mqtt_habit(const struct tool_args *a)
{
	char hint[300];

	for (int i = 0; i < a->ntopics && !a->literal; i++) {
		if (!strpbrk(a->topics[i], "+#"))
			continue;
		mqtt_to_brokerd(hint, sizeof hint, a->topics[i]);
		if (a->kind == TOOL_SUB)
			tool_fail(a,
				  "brokerd patterns use '.' '*' and '>': did "
				  "you mean '%s'? (--literal to subscribe to "
				  "'%s' as written)",
				  hint, a->topics[i]);
		else
			tool_fail(a,
				  "brokerd topics use '.' and have no "
				  "wildcards ('+' and '#' are MQTT's): "
				  "--literal publishes to '%s' as written",
				  a->topics[i]);
		return TOOL_EXIT_USAGE;
	}
	return -1;
}

/* mosquitto's -q is the QoS level (0, 1, 2); here it joins a queue group,
 * so `-q 1` quietly load-balances with every other `-q 1`.  Say so. */
static void warn_qos_habit(const struct tool_args *a)
{
	const char *q = a->queue;

	if (q && q[0] >= '0' && q[0] <= '2' && q[1] == 0)
		tool_fail(a,
			  "warning: -q %s joins queue group '%s' (brokerd "
			  "has no QoS levels; -q is not mosquitto's QoS)",
			  q, q);
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
	return check_mqtt_habit(a);
}

/* broker-sub: -F, --json and --pretty are three ways to print a message;
 * one at a time (-F's text is checked by broker-sub itself).  Returns -1,
 * or an exit status after a message. */
static int check_output(const struct tool_args *a)
{
	if (!!a->format + a->json + a->pretty > 1) {
		tool_fail(a, "give at most one of -F, --json, --pretty");
		return TOOL_EXIT_USAGE;
	}
	if ((a->format || a->json) && a->verbose) {
		tool_fail(a, "-v does not apply to -F or --json");
		return TOOL_EXIT_USAGE;
	}
	if (a->json && a->no_newline) {
		tool_fail(a, "-N does not apply to --json (one object a line)");
		return TOOL_EXIT_USAGE;
	}
	return -1;
}

static int check_sub(const struct tool_args *a)
{
	if (a->ntopics == 0) {
		tool_fail(a,
			  "at least one -t PATTERN is required (see --help)");
		return TOOL_EXIT_USAGE;
	}
	warn_qos_habit(a);
	if (check_output(a) >= 0)
		return TOOL_EXIT_USAGE;
	return check_mqtt_habit(a);
}

/* The option getopt_long just returned, as the user spelled it: "--name"
 * when a long option matched (longindex), "-c" for a short one, else the
 * unknown word itself (getopt leaves optopt 0 for an unknown long one). */
static void opt_name(char *buf, size_t cap, int opt, int longindex, char **argv)
{
	int c = opt == '?' || opt == ':' ? optopt : opt;

	if (longindex >= 0)
		snprintf(buf, cap, "--%s", long_opts[longindex].name);
	else if (c > 0 && c < 256)
		snprintf(buf, cap, "-%c", c);
	else
		snprintf(buf, cap, "%.*s", (int)strcspn(argv[optind - 1], "="),
			 argv[optind - 1]);
}

/* BROKER_URL into a->host / a->port.  0, or TOOL_EXIT_USAGE after a
 * message. */
static int take_url(struct tool_args *a, const char *url)
{
	const char *host;

	if (strncmp(url, "tls://", 6) == 0) {
		a->tls = 1;
		a->port = 7655; /* the library's tls:// default */
		url += 6;
	}
	if (tool_url_parse(url, a->url_host, sizeof a->url_host, &host,
			   &a->port) != 0) {
		tool_fail(a,
			  "invalid BROKER_URL '%s' (HOST[:PORT], "
			  "tls://HOST[:PORT] or unix:/PATH)",
			  url);
		return TOOL_EXIT_USAGE;
	}
	a->host = host;
	return 0;
}

/* broker-req TOPIC PAYLOAD. */
static int check_req(struct tool_args *a, int nargs, char **args)
{
	if (nargs != 2) {
		tool_fail(a, "give TOPIC and PAYLOAD (see --help)");
		return TOOL_EXIT_USAGE;
	}
	a->topics[a->ntopics++] = args[0];
	a->message = args[1];
	if (!a->count)
		a->count = 1;
	if (!a->idle_s)
		a->idle_s = 5;
	return check_mqtt_habit(a);
}

/* broker-reply TOPIC with exactly one of -m, --command. */
static int check_reply(struct tool_args *a, int nargs, char **args)
{
	if (nargs != 1) {
		tool_fail(a, "give one TOPIC (see --help)");
		return TOOL_EXIT_USAGE;
	}
	if (!a->message == !a->command) {
		tool_fail(a, "give exactly one of -m, --command (see --help)");
		return TOOL_EXIT_USAGE;
	}
	a->topics[a->ntopics++] = args[0];
	warn_qos_habit(a);
	return check_mqtt_habit(a);
}

static const struct {
	const char *prog, *optstring;
} tools[] = {
	[TOOL_PUB] = { "broker-pub", ":h:p:i:t:m:f:lsr:u:P:" },
	[TOOL_SUB] = { "broker-sub", ":h:p:i:t:q:n:C:W:vNF:u:P:" },
	[TOOL_REQ] = { "broker-req", ":h:p:i:n:W:u:P:" },
	[TOOL_REPLY] = { "broker-reply", ":h:p:i:m:q:n:u:P:" },
	[TOOL_STAT] = { "broker-stat", ":h:p:i:n:wu:P:" },
};

/* -u/-P/BROKER_PASSWORD and --cert/--key go together. */
static int check_security(struct tool_args *a)
{
	const char *env = getenv("BROKER_PASSWORD");

	if (a->user && !a->pass)
		a->pass = env;
	if (a->pass && !a->user) {
		tool_fail(a, "-P needs -u USER (see --help)");
		return TOOL_EXIT_USAGE;
	}
	if (a->user && !a->pass) {
		tool_fail(a,
			  "-u %s needs a password: -P PASS or the "
			  "environment variable BROKER_PASSWORD",
			  a->user);
		return TOOL_EXIT_USAGE;
	}
	if (!a->cert != !a->key) {
		tool_fail(a, "--cert and --key go together (see --help)");
		return TOOL_EXIT_USAGE;
	}
	return -1;
}

/* The checks after the options, per tool. */
static int check_args(struct tool_args *a, int nargs, char **args)
{
	int rc = check_security(a);

	if (rc >= 0)
		return rc;
	if (a->kind == TOOL_REQ)
		return check_req(a, nargs, args);
	if (a->kind == TOOL_REPLY)
		return check_reply(a, nargs, args);
	if (a->kind == TOOL_STAT && a->count)
		a->watch = 1;
	if (nargs > 0) {
		tool_fail(a, "unexpected argument '%s' (see --help)", args[0]);
		return TOOL_EXIT_USAGE;
	}
	if (a->kind == TOOL_STAT)
		return -1;
	return a->kind == TOOL_PUB ? check_pub(a) : check_sub(a);
}

int tool_parse(struct tool_args *a, enum tool_kind kind, int argc, char **argv)
{
	const char *optstring = tools[kind].optstring;
	int opt, rc, longindex = -1;
	char name[64];

	memset(a, 0, sizeof *a);
	a->kind = kind;
	a->prog = tools[kind].prog;
	a->host = "127.0.0.1";
	a->port = 7654;
	if (getenv("BROKER_URL") && *getenv("BROKER_URL") &&
	    take_url(a, getenv("BROKER_URL")) != 0)
		return TOOL_EXIT_USAGE;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, optstring, long_opts,
				  &longindex)) != -1) {
		opt_name(name, sizeof name, opt, longindex, argv);
		longindex = -1;
		if (opt == OPT_HELP) {
			fputs(tool_usage(kind), stdout);
			return 0;
		}
		if (opt == OPT_VERSION) {
			printf("%s %s\n", a->prog, PACKAGE_VERSION);
			return 0;
		}
		if (opt == ':') {
			tool_fail(a, "option '%s' needs a value (see --help)",
				  name);
			return TOOL_EXIT_USAGE;
		}
		if (opt > OPT_VERSION) {
			if ((rc = take_long(a, opt, optarg, name)) >= 0)
				return rc;
			continue;
		}
		if (opt != '?' && !strchr(optstring + 1, opt))
			opt = 0; /* another tool's option */
		if ((rc = take_opt(a, opt, optarg, name)) >= 0)
			return rc;
	}
	return check_args(a, argc - optind, argv + optind);
}

void tool_error_cb(bc_client *c, int err, int server_code, const char *reason,
		   void *arg)
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

/* TLS and credentials into o.  BC_OK, or an error after a message. */
static int tool_security(const struct tool_args *a, bc_options *o)
{
	int rc = BC_OK;

	if (a->tls)
		rc = bc_options_set_tls(o, a->cafile, a->cert, a->key,
					a->insecure ? BC_TLS_INSECURE : 0);
	if (rc != BC_OK) {
		tool_fail(a, "invalid --cafile, --cert or --key");
		return rc;
	}
	if (a->user)
		rc = bc_options_set_credentials(o, a->user, a->pass);
	if (rc != BC_OK)
		tool_fail(a,
			  "invalid user name '%s' or password (1..128 "
			  "bytes without spaces; password at most 256)",
			  a->user);
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
	if (tool_security(a, o) != BC_OK) {
		bc_options_free(o);
		return NULL;
	}
	return o;
}

void tool_addr(const struct tool_args *a, char *buf, size_t cap)
{
	if (strncmp(a->host, "unix:", 5) == 0)
		snprintf(buf, cap, "%s", a->host);
	else if (strchr(a->host, ':'))
		snprintf(buf, cap, "[%s]:%d", a->host, a->port);
	else
		snprintf(buf, cap, "%s:%d", a->host, a->port);
}

bc_client *tool_connect(const struct tool_args *a, const bc_options *o,
			struct tool_error *e)
{
	bc_client *c = NULL;
	int rc = bc_connect(&c, o);
	const char *why = e->err ? e->reason : bc_strerror(rc);
	char addr[300];

	if (rc == BC_OK) {
		e->err = 0;
		return c;
	}
	tool_addr(a, addr, sizeof addr);
	if (rc == BC_ERR_NOT_BROKER)
		tool_fail(a, "%s %s", addr, why);
	else if (rc == BC_ERR_AUTH)
		tool_fail(a, "broker at %s refused the credentials: %s", addr,
			  why);
	else if (rc == BC_ERR_HANDSHAKE && e->server_code)
		tool_fail(a,
			  "broker at %s refused the connection: %s "
			  "(code %d)",
			  addr, why, e->server_code);
	else if (rc == BC_ERR_HANDSHAKE)
		tool_fail(a, "handshake with %s failed: %s", addr, why);
	else
		tool_fail(a, "cannot connect to %s: %s", addr, why);
	return NULL;
}

int tool_sub_options(const struct tool_args *a, bc_sub_options **out)
{
	bc_sub_options *so;

	/* A person piping to a file expects every line: block unless
	 * --policy says otherwise. */
	int policy = a->policy == 0		     ? BC_POLICY_BLOCK
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

	if (rc == BC_ERR_SERVER || rc == BC_ERR_FORBIDDEN) {
		code = bc_last_error(c, &reason);
		tool_fail(a, "%s: %s (code %d)", what, reason, code);
	} else {
		tool_fail(a, "%s: %s", what, bc_strerror(rc));
	}
}
