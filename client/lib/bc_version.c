/* bc_version.c - the library's version, as compiled (see brokerclient.h). */
#include "config.h"

#include "brokerclient.h"

/* The header is installed as is, not generated, so its numbers are checked
 * here against the package's (configure.ac's AC_INIT): a release cannot
 * ship a header that names another version than its library. */
#if BC_VERSION_MAJOR != PACKAGE_VERSION_MAJOR ||     \
	BC_VERSION_MINOR != PACKAGE_VERSION_MINOR || \
	BC_VERSION_PATCH != PACKAGE_VERSION_PATCH
#error "BC_VERSION_* in brokerclient.h differ from AC_INIT in configure.ac"
#endif

#define STR_(x) #x
#define STR(x) STR_(x)

const char *bc_version(void)
{
	return STR(BC_VERSION_MAJOR) "." STR(BC_VERSION_MINOR) "." STR(
		BC_VERSION_PATCH);
}

int bc_version_number(void)
{
	return BC_VERSION_NUMBER;
}
