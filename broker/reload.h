/*
 * reload.h - SIGHUP: re-read the configuration file, validate all of it,
 * and only then swap it in (never half a configuration).
 *
 * What changes at run time: log level, limits (max_payload, max_clients,
 * max_subs_per_client, max_outbound, timeouts, keepalive, drain and lame
 * duck settings).  What cannot (listen/bind/port, daemon, pidfile,
 * log_dest, log_facility) is logged and left as it was.  A file with any
 * problem is reported line by line in the log and the running
 * configuration is kept.  systemd hears RELOADING=1, then READY=1.
 *
 * Ownership: the struct is owned by the caller (main); the broker is
 * borrowed and must outlive it; the loader is called with its arg.
 */
#ifndef BROKERD_RELOAD_H
#define BROKERD_RELOAD_H

#include <stdio.h>

#include "conf.h"

struct broker;
struct event;

/* Build a complete configuration into *out (defaults, file, command-line
 * overrides), reporting every problem on errs.  0 or the problem count. */
typedef int (*reload_load_fn)(void *arg, struct conf *out, FILE *errs);

struct reload {
	struct broker *b; /* borrowed */
	reload_load_fn load;
	void *load_arg;	      /* borrowed */
	struct event *sighup; /* owned */
};

/* Install the SIGHUP handler on b's loop.  0, or -1 when out of memory. */
int reload_init(struct reload *r, struct broker *b, reload_load_fn load,
		void *load_arg);

/* Reload now (what SIGHUP does).  0 when the new file is in use, -1 when
 * it was refused (the old one is kept). */
int reload_now(struct reload *r);

/* Remove the handler.  Safe on a zeroed struct. */
void reload_free(struct reload *r);

#endif
