/*
 * main.c - brokerd: parse the command line and the config file, listen,
 * optionally detach and write a pidfile, tell systemd it is ready, run the
 * broker until SIGINT/SIGTERM (drain) or SIGUSR2 (lame duck), reload on
 * SIGHUP, free everything, exit 0.
 *
 * Precedence: defaults < config file (-c) < command-line flags; -b/-p
 * replace the file's listen lines.
 * Exit status: 0 clean stop, 1 runtime failure (cannot listen, pidfile
 * held...), 2 usage or configuration error.
 */
#include "config.h"

#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <event2/event.h>

#include "auth.h"
#include "broker.h"
#include "conf.h"
#include "daemon.h"
#include "fdlimit.h"
#include "lameduck.h"
#include "pidfile.h"
#include "reload.h"
#include "tls_ctx.h"

/* Options given on the command line, applied after the config file (and
 * again on every reload). */
struct cli {
	char config[PATH_MAX]; /* absolute once resolved; "" for none */
	char cwd[PATH_MAX];    /* start directory, for relative paths */
	const char *bind;
	const char *port;
	const char *level;
	const char *pidfile;
	const char *monitor;   /* -m: PORT or ADDR:PORT */
	int daemon;	       /* -1 unset, 0 -f, 1 -d */
	int check;	       /* --check-config */
	struct fdlimit fd;     /* the descriptor limit, raised at start */
	int clients_verdict;   /* enum fdlimit_verdict of the last load */
	char clients_why[200]; /* max_clients in force and why */
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: brokerd [OPTION]...\n"
		"A publish/subscribe message broker.\n\n"
		"  -c, --config FILE     read settings from FILE\n"
		"  -t, --check-config    validate the settings, print every "
		"problem, exit\n"
		"  -b, --bind ADDR       listen address (default 127.0.0.1)\n"
		"  -p, --port N          listen port (default 7654)\n"
		"                        (-b/-p replace the file's listen "
		"lines)\n"
		"  -m, --http-port PORT  HTTP monitor on 127.0.0.1:PORT "
		"(or ADDR:PORT)\n"
		"  -l, --log-level LEVEL error, warning, notice, info or "
		"debug\n"
		"  -v, --verbose         log level debug\n"
		"  -q, --quiet           log level warning\n"
		"  -d, --daemon          detach from the terminal\n"
		"  -f, --foreground      stay in the foreground (the "
		"default)\n"
		"      --pidfile FILE    write the pid to FILE (locked while "
		"running)\n"
		"  -h, --help            show this help and exit\n"
		"  -V, --version         show the version and exit\n\n"
		"Command-line options override the config file.\n"
		"Signals: SIGTERM/SIGINT drain and exit, SIGHUP reloads the "
		"file,\nSIGUSR2 enters lame-duck mode.\n");
}

static void set_config_path(struct cli *cli, const char *path)
{
	if (!realpath(path, cli->config))
		snprintf(cli->config, sizeof cli->config, "%s", path);
}

/* One option; -1 to go on, or an exit status. */
static int take_opt(struct cli *cli, int opt, char **argv)
{
	switch (opt) {
	case 'c':
		set_config_path(cli, optarg);
		break;
	case 't':
		cli->check = 1;
		break;
	case 'b':
		cli->bind = optarg;
		break;
	case 'p':
		cli->port = optarg;
		break;
	case 'l':
		cli->level = optarg;
		break;
	case 'm':
		cli->monitor = optarg;
		break;
	case 'v':
		cli->level = "debug";
		break;
	case 'q':
		cli->level = "warning";
		break;
	case 'd':
		cli->daemon = 1;
		break;
	case 'f':
		cli->daemon = 0;
		break;
	case 'P':
		cli->pidfile = optarg;
		break;
	case 'h':
		usage(stdout);
		return 0;
	case 'V':
		printf("brokerd %s\n", PACKAGE_VERSION);
		return 0;
	case ':':
		fprintf(stderr, "brokerd: option '%s' needs a value\n",
			argv[optind - 1]);
		return 2;
	default:
		fprintf(stderr, "brokerd: unknown option '%s' (try --help)\n",
			argv[optind - 1]);
		return 2;
	}
	return -1;
}

/* Parse argv into *cli.  Returns -1 to continue, or an exit status. */
static int parse_args(int argc, char **argv, struct cli *cli)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 't' },
		{ "bind", required_argument, NULL, 'b' },
		{ "port", required_argument, NULL, 'p' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "http-port", required_argument, NULL, 'm' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "daemon", no_argument, NULL, 'd' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "pidfile", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int opt, rc;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":c:tb:p:l:m:vqdfhV", longopts,
				  NULL)) != -1)
		if ((rc = take_opt(cli, opt, argv)) >= 0)
			return rc;
	if (optind < argc) {
		fprintf(stderr, "brokerd: unexpected argument '%s'\n",
			argv[optind]);
		return 2;
	}
	if (!getcwd(cli->cwd, sizeof cli->cwd))
		snprintf(cli->cwd, sizeof cli->cwd, "/");
	return -1;
}

/* One command-line override; 0, or 1 (reported on errs). */
static int override(struct conf *c, const char *opt, const char *key,
		    const char *value, FILE *errs)
{
	char err[200];

	if (!value || conf_set(c, key, value, err, sizeof err) == 0)
		return 0;
	fprintf(errs, "brokerd: option '%s': %s\n", opt, err);
	return 1;
}

/* A relative pidfile or users_file (path, CONF_MAX_PATH bytes) is taken
 * from the start directory (brokerd -d moves to "/").  0, or 1 when the
 * result is too long (reported). */
static int absolute_path(char *path, const char *what, const struct cli *cli,
			 FILE *errs)
{
	char abs[CONF_MAX_PATH];
	int n;

	if (!path[0] || path[0] == '/')
		return 0;
	n = snprintf(abs, sizeof abs, "%s/%s", cli->cwd, path);
	if (n < 0 || (size_t)n >= sizeof abs) {
		fprintf(errs, "brokerd: %s path too long\n", what);
		return 1;
	}
	memcpy(path, abs, (size_t)n + 1);
	return 0;
}

/* Build the settings (reload_load_fn).  0 or the number of problems, each
 * reported on errs. */
static int load_conf(void *arg, struct conf *c, FILE *errs)
{
	struct cli *cli = arg;
	int problems = 0;

	conf_defaults(c);
	if (cli->config[0])
		problems += conf_load(c, cli->config, errs);
	if (cli->bind || cli->port)
		c->nlisten = 0;
	problems += override(c, "--bind", "bind", cli->bind, errs);
	problems += override(c, "--port", "port", cli->port, errs);
	problems += override(c, "--log-level", "log_level", cli->level, errs);
	problems += override(c, "--pidfile", "pidfile", cli->pidfile, errs);
	problems += override(c, "--http-port", "monitor", cli->monitor, errs);
	if (cli->daemon >= 0)
		c->daemon = cli->daemon;
	problems += absolute_path(c->pidfile, "pidfile", cli, errs);
	problems += absolute_path(c->users_file, "users_file", cli, errs);
	if (!problems)
		problems += auth_check_conf(c, errs);
	cli->clients_verdict = fdlimit_settle(&cli->fd, &c->max_clients,
					      cli->clients_why,
					      sizeof cli->clients_why);
	return problems;
}

/* glibc's defaults (mmap above 128 KiB, give the heap top back above
 * 128 KiB, both adjusted as it goes) make every large read buffer and
 * every tail of a large message an mmap/munmap or brk pair plus page
 * faults: that was half of brokerd's CPU with 16 KiB messages.  Keep
 * buffers up to 1 MiB on the heap and up to 4 MiB of free heap top. */
static void tune_malloc(void)
{
#if defined(__GLIBC__)
	mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
	mallopt(M_TRIM_THRESHOLD, 4 * 1024 * 1024);
#endif
}

/* --check-config: the TLS files must load as brokerd would load them.
 * 0 or 1 (reported). */
static int check_tls(const struct conf *c)
{
	char err[512];
	struct ssl_ctx_st *ctx;

	if (!tls_ctx_wanted(c))
		return 0;
	ctx = tls_ctx_new(c, err, sizeof err);
	if (!ctx)
		fprintf(stderr, "%s\n", err);
	tls_ctx_free(ctx);
	return ctx ? 0 : 1;
}

/* --check-config: 0 when the settings are valid, else 2. */
static int check_only(struct cli *cli)
{
	struct conf *c = malloc(sizeof *c);
	int problems;

	if (!c)
		return 1;
	problems = load_conf(cli, c, stderr);
	if (!problems)
		problems = check_tls(c);
	free(c);
	if (problems) {
		fprintf(stderr, "brokerd: %d problem%s found\n", problems,
			problems == 1 ? "" : "s");
		return 2;
	}
	printf("%s: configuration OK\n%s\n",
	       cli->config[0] ? cli->config : "(defaults)", cli->clients_why);
	return 0;
}

/* READY=1, with our pid: after -d it is not the one systemd started. */
static void notify_ready(struct broker *b)
{
	char msg[64];

	snprintf(msg, sizeof msg, "READY=1\nMAINPID=%ld", (long)getpid());
	sdnotify_send(&b->notify, msg);
}

/* The loop is over and we are exiting.  Freeing the signal events makes
 * libevent restore SIG_DFL, so a late SIGTERM (or SIGINT/SIGHUP/SIGUSR2)
 * would kill the process mid-teardown with a signal status: block them
 * instead; they stay pending until the process is gone. */
static void block_signals_for_teardown(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
}

/* Everything after the settings are known: 0 clean stop, 1 failure. */
static int serve(struct cli *cli, const struct conf *conf, struct broker *b)
{
	struct daemon d = { -1 };
	struct pidfile pf = { -1, "" };
	struct reload r = { 0 };
	struct lameduck ld = { 0 };
	int rc = 1;

	if (conf->daemon && daemon_start(&d) != 0)
		return 1;
	if (broker_init(b, conf) != 0)
		goto out;
	if (conf->pidfile[0] && pidfile_acquire(&pf, conf->pidfile, &b->log))
		goto out;
	if (reload_init(&r, b, load_conf, cli) != 0 ||
	    lameduck_init(&ld, b) != 0) {
		log_msg(&b->log, LOG_LEVEL_ERROR, "out of memory");
		goto out;
	}
	log_msg(&b->log,
		cli->clients_verdict == FDLIMIT_LOWERED ? LOG_LEVEL_WARNING
							: LOG_LEVEL_NOTICE,
		"%s", cli->clients_why);
	log_msg(&b->log, LOG_LEVEL_NOTICE, "brokerd %s started (pid %ld)",
		PACKAGE_VERSION, (long)getpid());
	daemon_ready(&d, 0);
	notify_ready(b);
	rc = broker_run(b) == 0 ? 0 : 1;
out:
	block_signals_for_teardown();
	daemon_ready(&d, 1);
	reload_free(&r);
	lameduck_free(&ld);
	broker_free(b);
	pidfile_release(&pf);
	return rc;
}

int main(int argc, char **argv)
{
	struct cli cli = { .daemon = -1 };
	struct conf *conf;
	struct broker *b;
	int rc = parse_args(argc, argv, &cli);

	if (rc >= 0)
		return rc;
	/* Before the settings: max_clients is settled against the limit. */
	fdlimit_raise(&cli.fd);
	if (cli.check)
		return check_only(&cli);
	tune_malloc();
	conf = malloc(sizeof *conf);
	b = calloc(1, sizeof *b);
	if (!conf || !b) {
		fprintf(stderr, "brokerd: out of memory\n");
		rc = 1;
	} else if (load_conf(&cli, conf, stderr) != 0) {
		rc = 2;
	} else {
		signal(SIGPIPE, SIG_IGN);
		rc = serve(&cli, conf, b);
		log_msg(&b->log, LOG_LEVEL_NOTICE, "brokerd stopped");
		log_close(&b->log);
		libevent_global_shutdown();
	}
	free(conf);
	free(b);
	return rc;
}
