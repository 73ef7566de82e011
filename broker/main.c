/*
 * main.c - brokerd: parse the command line and the config file, run the
 * broker until SIGINT/SIGTERM, free everything, exit 0.
 *
 * Precedence: defaults < config file (-c) < command-line flags.
 * Exit status: 0 clean stop, 1 runtime failure (cannot listen...),
 * 2 usage or configuration error.
 */
#include "config.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <event2/event.h>

#include "broker.h"
#include "conf.h"

/* Options given on the command line, applied after the config file. */
struct cli {
	const char *config;
	const char *bind;
	const char *port;
	const char *level;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: brokerd [OPTION]...\n"
		"A publish/subscribe message broker.\n\n"
		"  -c, --config FILE  read settings from FILE\n"
		"  -b, --bind ADDR    listen address (default 127.0.0.1)\n"
		"  -p, --port N       listen port (default 7654)\n"
		"  -v, --verbose      log level debug\n"
		"  -q, --quiet        log level warning\n"
		"  -h, --help         show this help and exit\n"
		"  -V, --version      show the version and exit\n\n"
		"Command-line options override the config file.\n");
}

/* Parse argv into *cli.  Returns -1 to continue, or an exit status. */
static int parse_args(int argc, char **argv, struct cli *cli)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "bind", required_argument, NULL, 'b' },
		{ "port", required_argument, NULL, 'p' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":c:b:p:vqhV", longopts,
				  NULL)) != -1) {
		switch (opt) {
		case 'c': cli->config = optarg; break;
		case 'b': cli->bind = optarg; break;
		case 'p': cli->port = optarg; break;
		case 'v': cli->level = "debug"; break;
		case 'q': cli->level = "warning"; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("brokerd %s\n", PACKAGE_VERSION); return 0;
		case ':':
			fprintf(stderr, "brokerd: option '%s' needs a value\n",
				argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr, "brokerd: unknown option '%s' (try "
				"--help)\n", argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "brokerd: unexpected argument '%s'\n",
			argv[optind]);
		return 2;
	}
	return -1;
}

/* One command-line override; 0 or -1 (reported). */
static int override(struct conf *c, const char *opt, const char *key,
		    const char *value)
{
	char err[200];

	if (!value || conf_set(c, key, value, err, sizeof err) == 0)
		return 0;
	fprintf(stderr, "brokerd: option '%s': %s\n", opt, err);
	return -1;
}

/* Build the settings.  Returns 0, or 2 (reported on stderr). */
static int load_conf(const struct cli *cli, struct conf *c)
{
	conf_defaults(c);
	if (cli->config && conf_load(c, cli->config, stderr) != 0)
		return 2;
	if (override(c, "--bind", "bind", cli->bind) ||
	    override(c, "--port", "port", cli->port) ||
	    override(c, "--verbose/--quiet", "log_level", cli->level))
		return 2;
	return 0;
}

int main(int argc, char **argv)
{
	struct cli cli = { NULL, NULL, NULL, NULL };
	struct conf conf;
	struct broker b;
	int rc = parse_args(argc, argv, &cli);

	if (rc >= 0)
		return rc;
	if (load_conf(&cli, &conf) != 0)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	if (broker_init(&b, &conf) != 0)
		return 1;
	log_msg(&b.log, LOG_LEVEL_NOTICE, "brokerd %s started", PACKAGE_VERSION);
	rc = broker_run(&b) == 0 ? 0 : 1;
	broker_free(&b);
	log_msg(&b.log, LOG_LEVEL_NOTICE, "brokerd stopped");
	libevent_global_shutdown();
	return rc;
}
