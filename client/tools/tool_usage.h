/*
 * tool_usage.h - the --help text of each tool (static strings, never
 * freed).  Kept apart from the parser so the options' wording is in one
 * place per tool.
 */
#ifndef TOOL_USAGE_H
#define TOOL_USAGE_H

#include "tool_args.h"

const char *tool_usage(enum tool_kind kind);

#endif
