/* What `stele scan`, `stele vulns` and `stele vulndb` share to talk to
 * the registry's pipeline (docs/pipeline.md). */
#ifndef STELE_CLI_PIPELINE_CLI_H
#define STELE_CLI_PIPELINE_CLI_H

#include <stdbool.h>

#include "scan/scan.h"
#include "vuln/vulndb.h"

#define CLI_SCAN_WAIT_DEFAULT 600     /* seconds --wait waits at most */

/* True when text names a registry ("host[:port]/repo[:tag|@digest]")
 * rather than a file or directory that exists. */
bool cli_scan_is_ref(const char *text);

/*
 * Show the registry's scan of ref: its status and, once done, its
 * results in format. With wait, poll until the scan is done or failed,
 * at most wait_sec. Returns the `stele scan` exit status (a scan that
 * is not done is incomplete, 2).
 */
int cli_scan_remote(const char *ref, bool wait, int wait_sec,
		    enum scan_format format, enum scan_severity fail_on);

/* `stele vulns --registry HOST`: the registry-wide answer. */
int cli_vulns_remote(const char *host, const char *id, const char *package,
		     bool json);

/*
 * After an import into DATA/vulndb.sqlite: re-evaluate every stored
 * version of the registry in DATA (a reeval job run here, or left to the
 * server when it took it first) and print what changed.
 */
int cli_vulndb_reevaluate(const char *data, struct vuln_db *db);

#endif
