/*
 * tool_stop.h - SIGINT/SIGTERM ask a long-running tool (broker-sub,
 * broker-reply) to stop: the handler only sets a flag, which the tool's
 * loop checks between slices of bc_run.  SIGPIPE is ignored (a closed
 * output or a command that exits unread is an error return, not a kill).
 *
 * The flag is the one piece of process-wide state a signal handler needs;
 * it lives here so each tool does not keep its own copy.
 */
#ifndef BROKER_TOOL_STOP_H
#define BROKER_TOOL_STOP_H

/* Install the handlers (SIGINT, SIGTERM) and ignore SIGPIPE. */
void tool_stop_install(void);

/* Has a stop signal arrived? */
int tool_stop_requested(void);

#endif
