/* Internals shared by the advisory database's source files. */
#ifndef STELE_VULN_VULNDB_INT_H
#define STELE_VULN_VULNDB_INT_H

#include <sqlite3.h>

#include "vuln/vulndb.h"

enum vulndb_sql {
	SQL_GET_MODIFIED, SQL_DEL_ADV, SQL_DEL_ALIAS, SQL_DEL_AFF,
	SQL_INS_ADV, SQL_INS_ALIAS, SQL_INS_AFF, SQL_BY_PACKAGE, SQL_BY_ID,
	SQL_ALIASES, VULNDB_SQL_N
};

struct vuln_db {
	sqlite3 *db;
	sqlite3_stmt *st[VULNDB_SQL_N];
};

/* Set the message from SQLite's last error; returns ERR_IO. */
int vulndb_sql_fail(struct vuln_db *db, const char *what);

/* The cached statement, reset; NULL with the message set on failure. */
sqlite3_stmt *vulndb_stmt(struct vuln_db *db, enum vulndb_sql which);

/* What storing one record did. */
enum vulndb_put { PUT_ADDED, PUT_UPDATED, PUT_UNCHANGED, PUT_WITHDRAWN,
		  PUT_OTHER };

/* Store r inside the caller's transaction; *what says what happened. */
int vulndb_put(struct vuln_db *db, const struct osv_record *r,
	       enum vulndb_put *what);

#endif
