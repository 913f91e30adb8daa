/* Small helpers over SQLite statements: prepare and bind from a compact
 * type string, step expecting no row or one row, and one place that turns
 * a SQLite failure into an err_set() message. */
#ifndef STELE_UTIL_SQL_H
#define STELE_UTIL_SQL_H

#include <stdarg.h>

struct sqlite3;
struct sqlite3_stmt;

/*
 * Set the error for a failed call on db about what ("blob add"): a busy
 * or locked database is ERR_CONFLICT, anything else ERR_IO with SQLite's
 * own message. Returns the code.
 */
int sql_fail(struct sqlite3 *db, const char *what);

/*
 * Prepare sql and bind the arguments that types describes, one letter per
 * parameter in order: 's' a const char * (NULL binds SQL NULL; the text is
 * copied), 'i' an int64_t, 'n' an int. The caller finalises *st, which is
 * NULL after a failure.
 */
int sql_prep(struct sqlite3 *db, struct sqlite3_stmt **st, const char *sql,
	     const char *types, ...);
int sql_vprep(struct sqlite3 *db, struct sqlite3_stmt **st, const char *sql,
	      const char *types, va_list ap);

/* Prepare, bind and run a statement that returns no rows (SQLITE_DONE);
 * the statement is finalised either way. */
int sql_exec(struct sqlite3 *db, const char *what, const char *sql,
	     const char *types, ...);
int sql_vexec(struct sqlite3 *db, const char *what, const char *sql,
	      const char *types, va_list ap);

/* Step st once: 0 with a row ready, ERR_NOTFOUND (no message set) when
 * there is none, or the error of sql_fail(db, what). */
int sql_row(struct sqlite3 *db, struct sqlite3_stmt *st, const char *what);

/* Reads the current row of st; a non-zero return stops the walk. */
typedef int (*sql_row_fn)(struct sqlite3_stmt *st, void *arg);

/* Step st through its rows calling fn on each until fn returns non-zero,
 * which is returned; 0 after the last row, or the error of
 * sql_fail(db, what). The caller finalises st. */
int sql_each(struct sqlite3 *db, struct sqlite3_stmt *st, const char *what,
	     sql_row_fn fn, void *arg);

/* Column col of the current row as text; NULL for SQL NULL. */
const char *sql_col(struct sqlite3_stmt *st, int col);

#endif
