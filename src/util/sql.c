/* SQLite statement helpers; see sql.h. */
#include "util/sql.h"
#include "util/err.h"

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

int sql_fail(sqlite3 *db, const char *what)
{
	int rc = sqlite3_errcode(db);

	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		return err_set(ERR_CONFLICT, "database busy during %s", what);
	return err_set(ERR_IO, "%s failed: %s", what, sqlite3_errmsg(db));
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

int sql_vprep(sqlite3 *db, sqlite3_stmt **st, const char *sql,
	      const char *types, va_list ap)
{
	int i = 1;

	if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK) {
		*st = NULL;
		return sql_fail(db, "prepare");
	}
	/* A bind fails only for an index beyond the statement's
	 * parameters or out of memory; both show as a failed step. */
	for (const char *t = types; *t; t++, i++) {
		if (*t == 's')
			bind_text(*st, i, va_arg(ap, const char *));
		else if (*t == 'i')
			sqlite3_bind_int64(*st, i, va_arg(ap, int64_t));
		else
			sqlite3_bind_int(*st, i, va_arg(ap, int));
	}
	return 0;
}

int sql_prep(sqlite3 *db, sqlite3_stmt **st, const char *sql,
	     const char *types, ...)
{
	va_list ap;
	int rc;

	va_start(ap, types);
	rc = sql_vprep(db, st, sql, types, ap);
	va_end(ap);
	return rc;
}

int sql_vexec(sqlite3 *db, const char *what, const char *sql,
	      const char *types, va_list ap)
{
	sqlite3_stmt *st;
	int rc = sql_vprep(db, &st, sql, types, ap);

	if (rc)
		return rc;
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sql_fail(db, what);
}

int sql_exec(sqlite3 *db, const char *what, const char *sql,
	     const char *types, ...)
{
	va_list ap;
	int rc;

	va_start(ap, types);
	rc = sql_vexec(db, what, sql, types, ap);
	va_end(ap);
	return rc;
}

int sql_row(sqlite3 *db, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return ERR_NOTFOUND;
	return sql_fail(db, what);
}

int sql_each(sqlite3 *db, sqlite3_stmt *st, const char *what,
	     sql_row_fn fn, void *arg)
{
	int rc = 0, step;

	while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW)
		rc = fn(st, arg);
	if (!rc && step != SQLITE_DONE)
		rc = sql_fail(db, what);
	return rc;
}

const char *sql_col(sqlite3_stmt *st, int col)
{
	return (const char *)sqlite3_column_text(st, col);
}
