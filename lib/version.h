/* version.h - the tool's version, for the CLI and for the tool_version a
 * snapshot records (lib/capture).  Both layers include it; it includes
 * nothing. */
#pragma once

#define MNTSNAP_VERSION "0.1.0"
