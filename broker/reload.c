/* reload.c - see reload.h. */
#include "config.h"

#include "reload.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "auth.h"
#include "broker.h"
#include "pool.h"
#include "tls_ctx.h"

/* Log each line of text (the loader's problem report) at error level. */
static void log_lines(struct log *lg, char *text)
{
	char *save = NULL;

	for (char *l = strtok_r(text, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save))
		log_msg(lg, LOG_LEVEL_ERROR, "reload: %s", l);
}

/* Run the loader with its report captured.  0 or the problem count. */
static int load_fresh(struct reload *r, struct conf *fresh)
{
	char *text = NULL;
	size_t len = 0;
	FILE *errs = open_memstream(&text, &len);
	int problems;

	if (!errs) {
		log_msg(&r->b->log, LOG_LEVEL_ERROR, "reload: out of memory");
		return 1;
	}
	problems = r->load(r->load_arg, fresh, errs);
	fclose(errs);
	if (problems)
		log_lines(&r->b->log, text);
	free(text);
	return problems;
}

/* Keep a setting that cannot change while running; log when it differs. */
static void keep(struct broker *b, const char *name, void *fresh,
		 const void *old, size_t size)
{
	if (memcmp(fresh, old, size) == 0)
		return;
	log_msg(&b->log, LOG_LEVEL_WARNING,
		"reload: '%s' cannot change while "
		"running; keeping the old value (restart brokerd to apply)",
		name);
	memcpy(fresh, old, size);
}

#define KEEP(b, f, field) \
	keep((b), #field, &(f)->field, &(b)->conf.field, sizeof(f)->field)

/* Same listeners (where their lines are in the file does not matter)? */
static int same_listeners(const struct conf *a, const struct conf *b)
{
	if (a->nlisten != b->nlisten)
		return 0;
	for (unsigned i = 0; i < a->nlisten; i++) {
		const struct conf_listen *x = &a->listen[i], *y = &b->listen[i];

		if (x->is_unix != y->is_unix || x->port != y->port ||
		    strcmp(x->host, y->host) != 0 ||
		    strcmp(x->pool, y->pool) != 0)
			return 0;
	}
	return 1;
}

/* The engine link (engine.h) is set up at start only. */
static void keep_engine(struct broker *b, struct conf *f)
{
	KEEP(b, f, engine);
	KEEP(b, f, engine_tls_ca_file);
	KEEP(b, f, engine_tls_cert_file);
	KEEP(b, f, engine_tls_key_file);
	KEEP(b, f, engine_tls);
	KEEP(b, f, engine_user);
	KEEP(b, f, engine_password);
	KEEP(b, f, engine_creds_file);
	KEEP(b, f, engine_max_pending);
	KEEP(b, f, engine_max_pending_msgs);
	KEEP(b, f, engine_breaker_threshold);
	KEEP(b, f, engine_breaker_cooldown_ms);
	KEEP(b, f, engine_reconnect_wait_ms);
}

static void keep_fixed(struct broker *b, struct conf *f)
{
	keep_engine(b, f);
	KEEP(b, f, bind);
	KEEP(b, f, port);
	if (!same_listeners(f, &b->conf)) {
		log_msg(&b->log, LOG_LEVEL_WARNING,
			"reload: 'listen' lines "
			"cannot change while running; keeping the old "
			"listeners (restart brokerd to apply)");
		f->nlisten = b->conf.nlisten;
		memcpy(f->listen, b->conf.listen, sizeof f->listen);
	}
	KEEP(b, f, daemon);
	KEEP(b, f, pidfile);
	KEEP(b, f, log_dest);
	KEEP(b, f, log_facility);
	if (f->max_payload > b->frame_max_payload) {
		log_msg(&b->log, LOG_LEVEL_WARNING,
			"reload: 'max_payload' "
			"cannot rise above its start-up value %u while running "
			"(restart brokerd to apply)",
			b->frame_max_payload);
		f->max_payload = b->frame_max_payload;
	}
}

/* A new TLS context from fresh's files, put in place of the old one only
 * when it loads (connections keep the context they were made with).  The
 * running listeners decide whether one is needed: they cannot change.
 * 0, or -1 (logged). */
static int reload_tls(struct broker *b, const struct conf *fresh)
{
	char err[512];
	struct ssl_ctx_st *ctx;

	if (!tls_ctx_wanted(&b->conf))
		return 0;
	ctx = tls_ctx_new(fresh, err, sizeof err);
	if (!ctx) {
		log_msg(&b->log, LOG_LEVEL_ERROR, "reload: %s", err);
		return -1;
	}
	tls_ctx_free(b->tls);
	b->tls = ctx;
	return 0;
}

int reload_now(struct reload *r)
{
	struct broker *b = r->b;
	struct conf *fresh = malloc(sizeof *fresh);
	struct users *users = NULL;
	int rc = -1;

	sdnotify_reloading(&b->notify);
	log_msg(&b->log, LOG_LEVEL_NOTICE, "SIGHUP: reloading configuration");
	if (!fresh) {
		log_msg(&b->log, LOG_LEVEL_ERROR, "reload: out of memory");
	} else if (load_fresh(r, fresh) != 0) {
		log_msg(&b->log, LOG_LEVEL_ERROR,
			"reload failed: keeping the "
			"running configuration");
	} else if (auth_reload_load(b, fresh, &users) != 0) {
		log_msg(&b->log, LOG_LEVEL_ERROR,
			"reload failed: keeping the "
			"running configuration and users");
	} else if (reload_tls(b, fresh) != 0) {
		users_free(users);
		log_msg(&b->log, LOG_LEVEL_ERROR,
			"reload failed: keeping the "
			"running configuration and TLS certificate");
	} else {
		keep_fixed(b, fresh);
		b->conf = *fresh;
		b->log.level = b->conf.log_level;
		auth_reload_apply(b, users);
		if (pools_reconfigure(b->pools, &b->conf) != 0)
			log_msg(&b->log, LOG_LEVEL_ERROR,
				"reload: a new pool "
				"could not be added (out of memory or too "
				"many pools)");
		log_msg(&b->log, LOG_LEVEL_NOTICE,
			"configuration reloaded "
			"(log_level %s, max_payload %u, max_clients %u, "
			"max_subs_per_client %u)",
			log_level_name(b->conf.log_level), b->conf.max_payload,
			b->conf.max_clients, b->conf.max_subs_per_client);
		rc = 0;
	}
	free(fresh);
	sdnotify_send(&b->notify, "READY=1");
	return rc;
}

static void sighup_cb(evutil_socket_t sig, short what, void *arg)
{
	struct reload *r = arg;

	(void)sig;
	(void)what;
	if (!r->b->stopping)
		reload_now(r);
}

int reload_init(struct reload *r, struct broker *b, reload_load_fn load,
		void *load_arg)
{
	r->b = b;
	r->load = load;
	r->load_arg = load_arg;
	r->sighup = evsignal_new(b->base, SIGHUP, sighup_cb, r);
	if (!r->sighup || evsignal_add(r->sighup, NULL) != 0)
		return -1;
	return 0;
}

void reload_free(struct reload *r)
{
	if (r->sighup)
		event_free(r->sighup);
	r->sighup = NULL;
}
