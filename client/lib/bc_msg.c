/* bc_msg.c - received messages: accessors and owned copies. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "bc_msg.h"
#include "brokerclient.h"

const char *bc_msg_topic(const bc_msg *m)
{
	return m ? m->topic : NULL;
}

const void *bc_msg_data(const bc_msg *m)
{
	return m ? m->data : NULL;
}

size_t bc_msg_len(const bc_msg *m)
{
	return m ? m->len : 0;
}

const char *bc_msg_reply_to(const bc_msg *m)
{
	return m ? m->reply_to : NULL;
}

uint32_t bc_msg_sid(const bc_msg *m)
{
	return m ? m->sid : 0;
}

/* One allocation: the struct, then data + NUL, topic + NUL, reply_to + NUL. */
bc_msg *bc_msg_dup(const bc_msg *m)
{
	size_t tlen, rlen;
	bc_msg *d;
	char *p;

	if (!m)
		return NULL;
	tlen = strlen(m->topic);
	rlen = m->reply_to ? strlen(m->reply_to) : 0;
	if (m->len > SIZE_MAX - sizeof *d - tlen - rlen - 3)
		return NULL;
	d = malloc(sizeof *d + m->len + tlen + rlen + 3);
	if (!d)
		return NULL;
	*d = *m;
	d->owned = 1;
	p = (char *)(d + 1);
	if (m->len)
		memcpy(p, m->data, m->len);
	p[m->len] = 0;
	d->data = p;
	p += m->len + 1;
	memcpy(p, m->topic, tlen + 1);
	d->topic = p;
	p += tlen + 1;
	if (m->reply_to)
		memcpy(p, m->reply_to, rlen + 1);
	d->reply_to = m->reply_to ? p : NULL;
	return d;
}

void bc_msg_free(bc_msg *m)
{
	if (m && m->owned)
		free(m);
}
