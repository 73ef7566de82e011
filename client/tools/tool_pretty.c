/* tool_pretty.c - see tool_pretty.h. */
#include "config.h"

#include <math.h>
#include <stdlib.h>

#include <msgpack.h>

#include "tool_json.h"
#include "tool_pretty.h"

static void put_obj(FILE *f, const msgpack_object *o, int depth);

/* A new line at depth; nothing in compact mode (depth < 0). */
static void indent(FILE *f, int depth)
{
	if (depth < 0)
		return;
	fputc('\n', f);
	for (int i = 0; i < depth; i++)
		fputs("  ", f);
}

/* The shortest of %.{min..max}g that reads back as d (max always
 * does): 1.5, not 1.5000000000000001. */
static void put_float(FILE *f, double d, int min, int max)
{
	char buf[40];

	if (isnan(d)) {
		fputs("\"NaN\"", f);
		return;
	}
	if (isinf(d)) {
		fputs(d > 0 ? "\"Infinity\"" : "\"-Infinity\"", f);
		return;
	}
	for (int prec = min; prec <= max; prec++) {
		snprintf(buf, sizeof buf, "%.*g", prec, d);
		if (prec == max || (max == 9 ? (double)strtof(buf, NULL)
					     : strtod(buf, NULL)) == d)
			break;
	}
	fputs(buf, f);
}

static void put_b64(FILE *f, const char *p, size_t n)
{
	fputc('"', f);
	tool_json_base64(f, p, n);
	fputc('"', f);
}

static void put_ext(FILE *f, const msgpack_object_ext *e, int depth)
{
	fputc('{', f);
	indent(f, depth + 1);
	fprintf(f, "\"ext_type\": %d,", (int)e->type);
	indent(f, depth + 1);
	fputs("\"data_b64\": ", f);
	put_b64(f, e->ptr, e->size);
	indent(f, depth);
	fputc('}', f);
}

static void put_array(FILE *f, const msgpack_object_array *a, int depth)
{
	if (a->size == 0) {
		fputs("[]", f);
		return;
	}
	fputc('[', f);
	for (uint32_t i = 0; i < a->size; i++) {
		indent(f, depth + 1);
		put_obj(f, &a->ptr[i], depth + 1);
		if (i + 1 < a->size)
			fputc(',', f);
	}
	indent(f, depth);
	fputc(']', f);
}

/* A map key: a string as it is, binary in base64, anything else its
 * compact JSON text (depth < 0: no new lines) as a string. */
static void put_key(FILE *f, const msgpack_object *k)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem;

	if (k->type == MSGPACK_OBJECT_STR) {
		tool_json_string(f, k->via.str.ptr, k->via.str.size);
		return;
	}
	if (k->type == MSGPACK_OBJECT_BIN) {
		put_b64(f, k->via.bin.ptr, k->via.bin.size);
		return;
	}
	mem = open_memstream(&text, &len);
	if (mem) {
		put_obj(mem, k, -TOOL_PRETTY_MAX_DEPTH * 2);
		fclose(mem);
	}
	tool_json_string(f, text ? text : "", text ? len : 0);
	free(text);
}

static void put_map(FILE *f, const msgpack_object_map *m, int depth)
{
	if (m->size == 0) {
		fputs("{}", f);
		return;
	}
	fputc('{', f);
	for (uint32_t i = 0; i < m->size; i++) {
		indent(f, depth + 1);
		put_key(f, &m->ptr[i].key);
		fputs(": ", f);
		put_obj(f, &m->ptr[i].val, depth + 1);
		if (i + 1 < m->size)
			fputc(',', f);
	}
	indent(f, depth);
	fputc('}', f);
}

static void put_obj(FILE *f, const msgpack_object *o, int depth)
{
	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		fputs("null", f);
		break;
	case MSGPACK_OBJECT_BOOLEAN:
		fputs(o->via.boolean ? "true" : "false", f);
		break;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		fprintf(f, "%llu", (unsigned long long)o->via.u64);
		break;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		fprintf(f, "%lld", (long long)o->via.i64);
		break;
	case MSGPACK_OBJECT_FLOAT32:
		put_float(f, o->via.f64, 6, 9);
		break;
	case MSGPACK_OBJECT_FLOAT64:
		put_float(f, o->via.f64, 15, 17);
		break;
	case MSGPACK_OBJECT_STR:
		tool_json_string(f, o->via.str.ptr, o->via.str.size);
		break;
	case MSGPACK_OBJECT_BIN:
		put_b64(f, o->via.bin.ptr, o->via.bin.size);
		break;
	case MSGPACK_OBJECT_EXT:
		put_ext(f, &o->via.ext, depth);
		break;
	case MSGPACK_OBJECT_ARRAY:
		put_array(f, &o->via.array, depth);
		break;
	case MSGPACK_OBJECT_MAP:
		put_map(f, &o->via.map, depth);
		break;
	}
}

/* Nesting depth of o (1 for a scalar), stopping past limit. */
static int depth_of(const msgpack_object *o, int limit)
{
	int max = 0, d;
	uint32_t n;

	if (limit <= 0)
		return 1;
	if (o->type == MSGPACK_OBJECT_ARRAY) {
		for (n = 0; n < o->via.array.size && max <= limit; n++)
			if ((d = depth_of(&o->via.array.ptr[n], limit - 1)) >
			    max)
				max = d;
	} else if (o->type == MSGPACK_OBJECT_MAP) {
		for (n = 0; n < o->via.map.size && max <= limit; n++) {
			d = depth_of(&o->via.map.ptr[n].key, limit - 1);
			max = d > max ? d : max;
			d = depth_of(&o->via.map.ptr[n].val, limit - 1);
			max = d > max ? d : max;
		}
	}
	return max + 1;
}

int tool_pretty(FILE *f, const void *p, size_t n, const char **why)
{
	msgpack_unpacked u;
	size_t off = 0;
	int rc = -1;

	if (n > TOOL_PRETTY_MAX_BYTES) {
		*why = "over 4 MiB, too large to render";
		return -1;
	}
	msgpack_unpacked_init(&u);
	switch (msgpack_unpack_next(&u, p, n, &off)) {
	case MSGPACK_UNPACK_SUCCESS:
		if (off != n)
			*why = "trailing bytes after one msgpack object";
		else if (depth_of(&u.data, TOOL_PRETTY_MAX_DEPTH) >
			 TOOL_PRETTY_MAX_DEPTH)
			*why = "nested too deeply";
		else
			rc = 0;
		break;
	case MSGPACK_UNPACK_NOMEM_ERROR: /* also past msgpack-c's stack */
		*why = "nested too deeply, or out of memory";
		break;
	case MSGPACK_UNPACK_CONTINUE:
		*why = n ? "truncated msgpack" : "empty payload";
		break;
	default:
		*why = "not msgpack";
	}
	if (rc == 0)
		put_obj(f, &u.data, 0);
	msgpack_unpacked_destroy(&u);
	return rc;
}
