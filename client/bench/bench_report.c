/*
 * bench_report.c - see bench_report.h.  CSV and JSON print the same flat
 * list of fields (fill_fields), so the two never disagree; the text form
 * is for people.  Rates: msgs/s, and MB/s of payload (MB = 10^6 bytes).
 */
#include "config.h"

#include <inttypes.h>
#include <string.h>

#include "bench_report.h"

#define MAX_FIELDS 40

enum field_kind { F_U64, F_DBL, F_STR };

struct field {
	const char *name;
	enum field_kind kind;
	uint64_t u;
	double d;
	const char *s; /* borrowed from the result or a literal */
};

struct fields {
	struct field v[MAX_FIELDS];
	int n;
};

static void add_u(struct fields *f, const char *name, uint64_t u)
{
	f->v[f->n++] = (struct field){ name, F_U64, u, 0, NULL };
}

static void add_d(struct fields *f, const char *name, double d)
{
	f->v[f->n++] = (struct field){ name, F_DBL, 0, d, NULL };
}

static void add_s(struct fields *f, const char *name, const char *s)
{
	f->v[f->n++] = (struct field){ name, F_STR, 0, 0, s };
}

static const char *mode_name(const struct bench_cfg *cfg)
{
	if (cfg->request)
		return "request";
	if (cfg->nsub == 0)
		return "pub";
	return cfg->queue ? "queue" : "pubsub";
}

static double per_sec(uint64_t n, double secs)
{
	return secs > 0 ? (double)n / secs : 0.0;
}

static uint64_t lost(const struct bench_result *r)
{
	return r->sub.msgs < r->expected ? r->expected - r->sub.msgs : 0;
}

static void add_side(struct fields *f, const char *msgs, const char *secs,
		     const char *rate, const char *mbs,
		     const struct bench_side *s)
{
	add_u(f, msgs, s->msgs);
	add_d(f, secs, s->secs);
	add_d(f, rate, per_sec(s->msgs, s->secs));
	add_d(f, mbs, per_sec(s->bytes, s->secs) / 1e6);
}

static void add_latency(struct fields *f, const struct bench_hist *h)
{
	static const double p[] = { 50, 90, 99, 99.9 };
	static const char *const names[] = { "p50_us", "p90_us", "p99_us",
					     "p999_us" };

	add_u(f, "lat_samples", h ? bench_hist_count(h) : 0);
	for (int i = 0; i < 4; i++)
		add_d(f, names[i],
		      h ? (double)bench_hist_percentile(h, p[i]) / 1e3 : 0);
	add_d(f, "max_us", h ? (double)bench_hist_max(h) / 1e3 : 0);
	add_d(f, "mean_us", h ? bench_hist_mean(h) / 1e3 : 0);
}

static void fill_fields(struct fields *f, const struct bench_result *r)
{
	const struct bench_cfg *c = r->cfg;

	f->n = 0;
	add_s(f, "mode", mode_name(c));
	add_u(f, "pubs", (uint64_t)c->npub);
	add_u(f, "subs", (uint64_t)c->nsub);
	add_s(f, "queue", c->queue ? c->queue : "");
	add_u(f, "size", c->size);
	add_d(f, "rate", c->rate);
	add_side(f, "pub_msgs", "pub_secs", "pub_msgs_per_s", "pub_mb_per_s",
		 &r->pub);
	add_side(f, "sub_msgs", "sub_secs", "sub_msgs_per_s", "sub_mb_per_s",
		 &r->sub);
	add_u(f, "expected", r->expected);
	add_u(f, "lost", lost(r));
	add_u(f, "dropped", r->dropped);
	add_u(f, "drop_notices", r->notices);
	add_u(f, "gaps", r->gaps);
	add_u(f, "reorders", r->reorders);
	add_u(f, "bad", r->bad);
	add_u(f, "req_failed", r->req_failed);
	add_latency(f, r->lat);
	add_d(f, "late_p50_us",
	      r->late ? (double)bench_hist_percentile(r->late, 50) / 1e3 : 0);
	add_d(f, "late_p99_us",
	      r->late ? (double)bench_hist_percentile(r->late, 99) / 1e3 : 0);
	add_d(f, "late_max_us", (double)r->pacer_late_max_ns / 1e3);
	add_d(f, "elapsed_s", r->elapsed);
	add_d(f, "tool_cpu_s", r->tool_cpu);
	add_u(f, "timed_out", (uint64_t)r->timed_out);
	add_s(f, "error", r->error);
}

/* CSV field: quoted when it holds a comma, quote or newline. */
static void csv_str(FILE *out, const char *s)
{
	if (!strpbrk(s, ",\"\n\r")) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

static void json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(out, "\\u%04x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

static void print_value(FILE *out, const struct field *fl, int json)
{
	if (fl->kind == F_U64)
		fprintf(out, "%" PRIu64, fl->u);
	else if (fl->kind == F_DBL)
		fprintf(out, "%.3f", fl->d);
	else if (json)
		json_str(out, fl->s);
	else
		csv_str(out, fl->s);
}

static void print_csv(FILE *out, const struct fields *f)
{
	for (int i = 0; i < f->n; i++)
		fprintf(out, "%s%s", i ? "," : "", f->v[i].name);
	fputc('\n', out);
	for (int i = 0; i < f->n; i++) {
		if (i)
			fputc(',', out);
		print_value(out, &f->v[i], 0);
	}
	fputc('\n', out);
}

static void print_json(FILE *out, const struct fields *f)
{
	fputc('{', out);
	for (int i = 0; i < f->n; i++) {
		fprintf(out, "%s\"%s\": ", i ? ", " : "", f->v[i].name);
		print_value(out, &f->v[i], 1);
	}
	fputs("}\n", out);
}

/* ---- text ---- */

static void text_side(FILE *out, const char *label, const char *unit,
		      const struct bench_side *s)
{
	if (s->clients == 0)
		return;
	fprintf(out, "%-5s %12.0f %s/s  %8.1f MB/s  (%" PRIu64 " in %.3f s",
		label, per_sec(s->msgs, s->secs), unit,
		per_sec(s->bytes, s->secs) / 1e6, s->msgs, s->secs);
	if (s->clients > 1)
		fprintf(out,
			"; %d clients, each %.0f .. %.0f %s/s, %" PRIu64
			" .. %" PRIu64 " msgs",
			s->clients, s->min_rate, s->max_rate, unit, s->min_msgs,
			s->max_msgs);
	fputs(")\n", out);
}

static void text_latency(FILE *out, const struct bench_result *r)
{
	const struct bench_hist *h = r->lat;

	if (!h)
		return;
	fprintf(out,
		"%s (us, %" PRIu64 " samples, from the %s send time):\n"
		"      p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f  "
		"mean %.1f\n",
		r->cfg->request ? "Round trip" : "Latency", bench_hist_count(h),
		r->cfg->rate > 0 ? "intended" : "actual",
		(double)bench_hist_percentile(h, 50) / 1e3,
		(double)bench_hist_percentile(h, 90) / 1e3,
		(double)bench_hist_percentile(h, 99) / 1e3,
		(double)bench_hist_percentile(h, 99.9) / 1e3,
		(double)bench_hist_max(h) / 1e3, bench_hist_mean(h) / 1e3);
	if (r->late)
		fprintf(out,
			"      sender's lateness against its schedule "
			"(included above): p50 %.1f  p99 %.1f  max %.1f\n",
			(double)bench_hist_percentile(r->late, 50) / 1e3,
			(double)bench_hist_percentile(r->late, 99) / 1e3,
			(double)bench_hist_max(r->late) / 1e3);
}

static void print_text(FILE *out, const struct bench_result *r)
{
	const struct bench_cfg *c = r->cfg;

	fprintf(out,
		"broker-bench %s: %s:%d topic %s, %d %s, %d %s%s%s, "
		"%zu B payload",
		PACKAGE_VERSION, c->host, c->port, c->topic, c->npub,
		c->request ? "requester(s)" : "publisher(s)", c->nsub,
		c->request ? "responder(s)" : "subscriber(s)",
		c->queue ? " in queue group " : "", c->queue ? c->queue : "",
		c->size);
	if (c->rate > 0)
		fprintf(out, ", %.0f msgs/s", c->rate);
	fputc('\n', out);
	text_side(out, c->request ? "Req" : "Pub", "msgs", &r->pub);
	text_side(out, c->request ? "Reply" : "Sub", "msgs", &r->sub);
	text_latency(out, r);
	fprintf(out, "Tool  CPU %.2f s in %.2f s elapsed (%.0f %%)\n",
		r->tool_cpu, r->elapsed,
		r->elapsed > 0 ? 100.0 * r->tool_cpu / r->elapsed : 0.0);
	bench_report_warnings(out, r);
}

void bench_report_print(FILE *out, const struct bench_result *r)
{
	struct fields f;

	if (r->cfg->output == BENCH_OUT_TEXT) {
		print_text(out, r);
		return;
	}
	fill_fields(&f, r);
	if (r->cfg->output == BENCH_OUT_CSV)
		print_csv(out, &f);
	else
		print_json(out, &f);
}

/* The loss line, worded for the mode. */
static void warn_lost(FILE *out, const struct bench_result *r)
{
	const struct bench_cfg *c = r->cfg;
	uint64_t n = lost(r);

	if (c->request)
		fprintf(out,
			"WARNING: sent %" PRIu64 " requests, got %" PRIu64
			" replies (%" PRIu64 " lost, %" PRIu64 " failed)\n",
			r->pub.msgs, r->sub.msgs, n, r->req_failed);
	else if (c->queue)
		fprintf(out,
			"WARNING: sent %" PRIu64 " to queue group %s "
			"(%d members), received %" PRIu64 " (%" PRIu64
			" lost)\n",
			r->pub.msgs, c->queue, c->nsub, r->sub.msgs, n);
	else
		fprintf(out,
			"WARNING: sent %" PRIu64 " x %d subscribers, "
			"received %" PRIu64 " (%" PRIu64 " lost)\n",
			r->pub.msgs, c->nsub, r->sub.msgs, n);
}

void bench_report_warnings(FILE *out, const struct bench_result *r)
{
	if (r->cfg->nsub > 0 && r->sub.msgs != r->expected) {
		if (r->sub.msgs < r->expected)
			warn_lost(out, r);
		else
			fprintf(out,
				"WARNING: expected %" PRIu64 " messages, "
				"received %" PRIu64 " (duplicates?)\n",
				r->expected, r->sub.msgs);
	}
	if (r->dropped || r->notices)
		fprintf(out,
			"WARNING: the broker reported %" PRIu64 " messages "
			"dropped (%" PRIu64 " DROPPED notices)\n",
			r->dropped, r->notices);
	if (r->gaps || r->reorders)
		fprintf(out,
			"WARNING: %" PRIu64
			" sequence numbers missing, %" PRIu64
			" out of order or duplicated\n",
			r->gaps, r->reorders);
	if (r->bad)
		fprintf(out,
			"WARNING: %" PRIu64 " messages without a valid "
			"broker-bench header (another publisher on the "
			"topic?)\n",
			r->bad);
	if (r->lame_duck)
		fputs("WARNING: the broker announced it is shutting down\n",
		      out);
	if (r->cfg->rate == 0 && r->elapsed > 0.1 &&
	    r->tool_cpu > 0.9 * r->elapsed)
		fputs("NOTE: broker-bench used a whole core: it may be the "
		      "bottleneck, not the broker\n",
		      out);
	if (r->cfg->rate > 0 && r->pacer_late_max_ns > 1000000u)
		fprintf(out,
			"NOTE: the sender was up to %.1f ms behind its "
			"schedule (client or host stalls)\n",
			(double)r->pacer_late_max_ns / 1e6);
}
