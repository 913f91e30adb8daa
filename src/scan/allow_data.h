/* The allowlist, deny-list and TensorFlow op files of data/scan, embedded
 * at build time. */
#ifndef STELE_SCAN_ALLOW_DATA_H
#define STELE_SCAN_ALLOW_DATA_H

struct scan_allow_blob {
	const char *name;    /* file stem: "allow-torch", "deny", "tf-ops" */
	const char *text;
};

/* Terminated by an entry whose name is NULL. */
extern const struct scan_allow_blob scan_allow_blobs[];

#endif
