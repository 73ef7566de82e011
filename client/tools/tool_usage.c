/* tool_usage.c - see tool_usage.h. */
#include "config.h"

#include "tool_usage.h"

/* TLS and credentials: the same for every tool. */
#define SECURITY_USAGE                                                        \
	"      --tls            connect with TLS (verifying the broker's\n"   \
	"                       certificate and name; BROKER_URL=tls://...\n" \
	"                       also does; port 7655 then by default)\n"      \
	"      --cafile FILE    trust the CAs in FILE (PEM) instead of the\n" \
	"                       system store (implies --tls)\n"               \
	"      --cert FILE      client certificate (PEM; with --key)\n"       \
	"      --key FILE       its private key (PEM)\n"                      \
	"      --insecure       do not verify the broker's certificate or\n"  \
	"                       name (tests only)\n"                          \
	"  -u, --username USER  log in as USER\n"                             \
	"  -P, --pw PASS        password (visible in ps: prefer the\n"        \
	"                       environment variable BROKER_PASSWORD)\n"

static const char pub_usage[] =
	"Usage: broker-pub [-h HOST] [-p PORT] [-i NAME] -t TOPIC\n"
	"                  (-m MESSAGE | -f FILE | -l | -s) [-r REPLY_TO]\n"
	"                  [--retry N] [--retry-max MS] [--timeout MS]\n"
	"Publish to a brokerd broker.\n\n"
	"  -h, --host HOST      broker host or unix:/PATH (default 127.0.0.1;\n"
	"                       BROKER_URL=HOST:PORT sets both)\n"
	"  -p, --port PORT      broker port (default 7654)\n"
	"  -i, --id NAME        client name sent to the broker\n"
	"  -t, --topic TOPIC    topic to publish to (required)\n"
	"  -m, --message MSG    publish MSG\n"
	"  -f, --file FILE      publish the whole file as one message\n"
	"  -l, --stdin-line     publish each line of stdin as a message\n"
	"                       (without its newline; empty lines are sent\n"
	"                       as empty messages)\n"
	"  -s, --stdin-file     publish all of stdin as one message\n"
	"  -r, --reply-to TOPIC reply-to topic of the message(s) (not\n"
	"                       mosquitto's retain: brokerd keeps no "
	"messages)\n"
	"      --literal        take a topic with '+', '#' as written (they\n"
	"                       are MQTT wildcards, refused by default)\n"
	"      --retry N        retry a failed connect N times (default 0)\n"
	"      --retry-max MS   longest wait between retries (default 5000;\n"
	"                       waits start at 100 ms and double)\n"
	"      --timeout MS     connect and acknowledgement timeout\n"
	"                       (default 5000)\n" SECURITY_USAGE
	"      --help           show this help and exit\n"
	"      --version        show the version and exit\n\n"
	"Exits 0 once the broker has accepted every message, 1 on errors,\n"
	"2 on usage errors.\n";

static const char sub_usage[] =
	"Usage: broker-sub [-h HOST] [-p PORT] [-i NAME] -t PATTERN...\n"
	"                  [-q GROUP] [-n|-C COUNT] [-W SECONDS] [-v] [-N]\n"
	"                  [--reconnect]\n"
	"                  [--policy POLICY] [--max-queue-msgs N]\n"
	"                  [--max-queue-bytes SIZE]\n"
	"                  [--retry N] [--retry-max MS] [--timeout MS]\n"
	"                  [-F FORMAT | --json | --pretty]\n"
	"Subscribe to a brokerd broker and print the messages.\n\n"
	"  -h, --host HOST      broker host or unix:/PATH (default 127.0.0.1;\n"
	"                       BROKER_URL=HOST:PORT sets both)\n"
	"  -p, --port PORT      broker port (default 7654)\n"
	"  -i, --id NAME        client name sent to the broker\n"
	"  -t, --topic PATTERN  pattern to subscribe to (repeatable); '*'\n"
	"                       matches one token, a last '>' one or more\n"
	"  -q, --queue GROUP    join queue group GROUP (one member gets each\n"
	"                       message; not mosquitto's QoS)\n"
	"  -n, -C, --count N    exit after N messages\n"
	"  -W SECONDS           exit (status 3) after SECONDS without a\n"
	"                       message\n"
	"  -v, --verbose        print the topic, a space, then the payload\n"
	"  -N                   no newline after each payload\n"
	"  -F, --format FORMAT  print each message as FORMAT (and a newline\n"
	"                       unless -N): %t topic, %p payload, %x/%X "
	"payload\n"
	"                       in hex, %l payload length, %r reply-to,\n"
	"                       %I receive time (ISO 8601, UTC, ms), %U\n"
	"                       receive time (Unix seconds.nanoseconds),\n"
	"                       %j the --json object, %% a percent; \\n \\t\n"
	"                       \\\\ \\r \\0 \\e \\a \\v escapes\n"
	"      --json           one JSON object per message and line: topic,\n"
	"                       reply_to, payload (payload_b64 when not\n"
	"                       UTF-8), payload_len, received\n"
	"      --pretty         print msgpack payloads as indented JSON (a\n"
	"                       warning and hex for anything else)\n"
	"      --literal        take a pattern with '+', '#' as written (they\n"
	"                       are MQTT wildcards, refused by default)\n"
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
	"      --timeout MS     connect and handshake timeout (default "
	"5000)\n" SECURITY_USAGE
	"      --help           show this help and exit\n"
	"      --version        show the version and exit\n\n"
	"Exits 0 after -n messages or on SIGINT/SIGTERM, 1 on errors (broker\n"
	"unreachable, subscription rejected, connection lost without\n"
	"--reconnect), 2 on usage errors, 3 when -W SECONDS passed without\n"
	"a message.\n";

static const char req_usage[] =
	"Usage: broker-req [-h HOST] [-p PORT] [-i NAME] [-n COUNT]\n"
	"                  [-W SECONDS] [--retry N] [--retry-max MS]\n"
	"                  [--timeout MS] TOPIC PAYLOAD\n"
	"Send a request and print the reply (like `nats req`).\n\n"
	"  -h, --host HOST      broker host or unix:/PATH (default 127.0.0.1;\n"
	"                       BROKER_URL=HOST:PORT sets both)\n"
	"  -p, --port PORT      broker port (default 7654)\n"
	"  -i, --id NAME        client name sent to the broker\n"
	"  -n, --count N        wait for N replies (default 1)\n"
	"  -W SECONDS           wait at most SECONDS for them (default 5)\n"
	"      --literal        take a topic with '+', '#' as written\n"
	"      --retry N        retry a failed connect N times (default 0)\n"
	"      --retry-max MS   longest wait between retries (default 5000)\n"
	"      --timeout MS     connect and acknowledgement "
	"timeout\n" SECURITY_USAGE
	"      --help           show this help and exit\n"
	"      --version        show the version and exit\n\n"
	"Each reply is printed on its own line.  Exits 0 once N replies came,\n"
	"1 on errors, 2 on usage errors, 3 on timeout, 4 when the broker\n"
	"says nobody subscribes to TOPIC (no responders).\n";

static const char reply_usage[] =
	"Usage: broker-reply [-h HOST] [-p PORT] [-i NAME] [-q GROUP]\n"
	"                    [-n COUNT] (-m TEXT | --command CMD) TOPIC\n"
	"Answer requests on TOPIC (a pattern; like `nats reply`).\n\n"
	"  -h, --host HOST      broker host or unix:/PATH (default 127.0.0.1;\n"
	"                       BROKER_URL=HOST:PORT sets both)\n"
	"  -p, --port PORT      broker port (default 7654)\n"
	"  -i, --id NAME        client name sent to the broker\n"
	"  -m, --message TEXT   answer every request with TEXT\n"
	"      --command CMD    answer with the output of `sh -c CMD`, run\n"
	"                       once per request with the request on stdin\n"
	"  -q, --queue GROUP    serve in queue group GROUP (one member\n"
	"                       answers each request)\n"
	"  -n, --count N        exit after answering N requests\n"
	"      --literal        take a pattern with '+', '#' as written\n"
	"      --retry N        retry a failed connect N times (default 0)\n"
	"      --retry-max MS   longest wait between retries (default 5000)\n"
	"      --timeout MS     connect and handshake timeout (default "
	"5000)\n" SECURITY_USAGE
	"      --help           show this help and exit\n"
	"      --version        show the version and exit\n\n"
	"Requests without a reply-to are ignored.  Exits 0 after -n requests\n"
	"or on SIGINT/SIGTERM, 1 on errors, 2 on usage errors.\n";

static const char stat_usage[] =
	"Usage: broker-stat [-h HOST] [-p PORT] [-i NAME] [-w] [-n COUNT]\n"
	"                   [--json] [--timeout MS]\n"
	"Show a brokerd broker's statistics ($SYS.REQ.STATS; like\n"
	"`redis-cli --stat`).\n\n"
	"  -h, --host HOST      broker host or unix:/PATH (default 127.0.0.1;\n"
	"                       BROKER_URL=HOST:PORT sets both)\n"
	"  -p, --port PORT      broker port (default 7654)\n"
	"  -i, --id NAME        client name sent to the broker\n"
	"  -w, --watch          every second, one line of rates: messages\n"
	"                       in/s and out/s, drops/s (header every 20\n"
	"                       lines)\n"
	"  -n, --count N        stop after N refreshes (implies -w)\n"
	"      --json           print the broker's answer, one JSON object\n"
	"                       per line (every second with -w)\n"
	"      --retry N        retry a failed connect N times (default 0)\n"
	"      --retry-max MS   longest wait between retries (default 5000)\n"
	"      --timeout MS     connect timeout and the wait for each\n"
	"                       answer (default 5000)\n" SECURITY_USAGE
	"      --help           show this help and exit\n"
	"      --version        show the version and exit\n\n"
	"Without -w, prints one table and exits.  Exits 0 when done or on\n"
	"SIGINT/SIGTERM, 1 on errors (broker unreachable, no answer in time,\n"
	"a malformed answer), 2 on usage errors.\n";

const char *tool_usage(enum tool_kind kind)
{
	switch (kind) {
	case TOOL_PUB:
		return pub_usage;
	case TOOL_SUB:
		return sub_usage;
	case TOOL_REQ:
		return req_usage;
	case TOOL_REPLY:
		return reply_usage;
	case TOOL_STAT:
		return stat_usage;
	}
	return pub_usage;
}
