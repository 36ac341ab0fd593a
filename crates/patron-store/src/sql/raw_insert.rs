//! A bulk `INSERT` statement on SQLite whose texts are bound without a copy.
//!
//! Why not rusqlite's binding: it binds every text `SQLITE_TRANSIENT`, so SQLite allocates and
//! copies each value when it is bound and frees it when the next row's value replaces it. A
//! 1,000,000-row orders import binds about five million texts; the binding calls were an
//! eighth of the writer thread's time (perf, most of it `malloc`, `memcpy` and the frees in
//! `vdbeUnbind`). Bound `SQLITE_STATIC`, SQLite reads the caller's bytes in place while it
//! steps. That is sound only while the bytes stay where they are until the statement is
//! stepped and every parameter is bound again before the next step, which [`RawInsert::run`]
//! guarantees by taking the values and their text together and binding all of them on each
//! call.

#![allow(unsafe_code)]

use super::bulk::Lite;
use crate::error::{map_rusqlite, StoreResult};
use rusqlite::ffi;
use std::ffi::{c_char, c_int};
use std::ptr::NonNull;

/// A prepared statement on a connection borrowed for `'c`, finalized when dropped.
pub(crate) struct RawInsert<'c> {
    db: &'c rusqlite::Connection,
    stmt: NonNull<ffi::sqlite3_stmt>,
    params: usize,
}

impl<'c> RawInsert<'c> {
    /// Prepares `sql` on `db`.
    pub(crate) fn prepare(db: &'c rusqlite::Connection, sql: &str) -> StoreResult<Self> {
        let ctx = "preparing a bulk INSERT";
        let len = c_int::try_from(sql.len())
            .map_err(|_| failure(ffi::SQLITE_TOOBIG, "statement too long", ctx))?;
        let mut stmt = std::ptr::null_mut();
        // SAFETY: `db.handle()` is the open connection `db` borrows for `'c`; `sql` is valid
        // for `len` bytes during the call; `stmt` receives the prepared statement or null.
        let rc = unsafe {
            ffi::sqlite3_prepare_v2(
                db.handle(),
                sql.as_ptr().cast::<c_char>(),
                len,
                &mut stmt,
                std::ptr::null_mut(),
            )
        };
        if rc != ffi::SQLITE_OK {
            return Err(last_error(db, rc, ctx));
        }
        let stmt = NonNull::new(stmt)
            .ok_or_else(|| failure(ffi::SQLITE_MISUSE, "an empty statement", ctx))?;
        // SAFETY: `stmt` is a valid prepared statement.
        let n = unsafe { ffi::sqlite3_bind_parameter_count(stmt.as_ptr()) };
        Ok(RawInsert {
            db,
            stmt,
            params: usize::try_from(n).unwrap_or(0),
        })
    }

    /// Binds `vals` (their texts are ranges of `text`) to the statement's parameters in order
    /// and runs it once. `vals` must fill every parameter: none keeps a value (or a pointer
    /// into an earlier `text`) from a previous run.
    pub(crate) fn run(&mut self, vals: &[Lite], text: &str) -> StoreResult<()> {
        let ctx = "bulk INSERT";
        if vals.len() != self.params {
            return Err(map_rusqlite(
                rusqlite::Error::InvalidParameterCount(vals.len(), self.params),
                ctx,
            ));
        }
        let st = self.stmt.as_ptr();
        for (i, v) in vals.iter().enumerate() {
            let i = c_int::try_from(i + 1).unwrap_or(c_int::MAX);
            // SAFETY: `st` is valid and `i` is within its parameter count (checked above).
            // A text points into `text`, which the caller does not change before this
            // function returns, and this function steps and resets the statement before it
            // returns; every later run binds every parameter again before it steps.
            let rc = unsafe {
                match *v {
                    Lite::Int(x) => ffi::sqlite3_bind_int64(st, i, x),
                    Lite::Real(x) => ffi::sqlite3_bind_double(st, i, x),
                    Lite::Null => ffi::sqlite3_bind_null(st, i),
                    Lite::Text(s, e) => {
                        let t = text.get(s..e).unwrap_or("");
                        ffi::sqlite3_bind_text(
                            st,
                            i,
                            t.as_ptr().cast::<c_char>(),
                            c_int::try_from(t.len()).unwrap_or(c_int::MAX),
                            ffi::SQLITE_STATIC(),
                        )
                    }
                }
            };
            if rc != ffi::SQLITE_OK {
                return Err(last_error(self.db, rc, ctx));
            }
        }
        // SAFETY: `st` is valid and fully bound; the texts it points to are alive (see above).
        let rc = unsafe { ffi::sqlite3_step(st) };
        let err = (rc != ffi::SQLITE_DONE).then(|| last_error(self.db, rc, ctx));
        // SAFETY: `st` is valid. Resetting makes it ready for the next run; its error code
        // repeats the step's, reported above.
        unsafe { ffi::sqlite3_reset(st) };
        err.map_or(Ok(()), Err)
    }
}

impl Drop for RawInsert<'_> {
    fn drop(&mut self) {
        // SAFETY: `stmt` was prepared on `db`, which outlives `self`, and is finalized once.
        unsafe { ffi::sqlite3_finalize(self.stmt.as_ptr()) };
    }
}

/// An error of SQLite's kind `code` found before SQLite was asked.
fn failure(code: c_int, msg: &str, ctx: &str) -> crate::StoreError {
    map_rusqlite(
        rusqlite::Error::SqliteFailure(ffi::Error::new(code), Some(msg.into())),
        ctx,
    )
}

/// The connection's last error, as rusqlite reports it (so constraint failures map to the same
/// [`crate::StoreError`]s as everywhere else).
fn last_error(db: &rusqlite::Connection, rc: c_int, ctx: &str) -> crate::StoreError {
    // SAFETY: `db.handle()` is open; `sqlite3_errmsg` returns a NUL-terminated string owned by
    // the connection, valid until the next call on it, copied out here at once.
    let (code, msg) = unsafe {
        let h = db.handle();
        let code = ffi::sqlite3_extended_errcode(h);
        let msg = ffi::sqlite3_errmsg(h);
        let msg =
            (!msg.is_null()).then(|| std::ffi::CStr::from_ptr(msg).to_string_lossy().into_owned());
        (if code == ffi::SQLITE_OK { rc } else { code }, msg)
    };
    map_rusqlite(
        rusqlite::Error::SqliteFailure(ffi::Error::new(code), msg),
        ctx,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StoreError;

    /// Texts bound in place are stored as they were when the statement ran, though the buffer
    /// is refilled for the next run; a broken constraint is the store's usual error; a row of
    /// the wrong width is refused before anything is bound.
    #[test]
    fn texts_bound_in_place_land_as_they_were() {
        let db = rusqlite::Connection::open_in_memory().expect("open");
        db.execute_batch("CREATE TABLE t (k TEXT UNIQUE, n INTEGER CHECK (n > 0), x REAL, z TEXT)")
            .expect("create");
        let mut st =
            RawInsert::prepare(&db, "INSERT INTO t VALUES (?,?,?,?),(?,?,?,?)").expect("prepare");
        let mut text = String::new();
        for round in 0..3 {
            text.clear();
            let mut vals = Vec::new();
            for row in 0..2 {
                let s = text.len();
                text.push_str(&format!("key {round}-{row} 张三"));
                vals.extend([
                    Lite::Text(s, text.len()),
                    Lite::Int(round * 2 + row + 1),
                    Lite::Real(0.5),
                    Lite::Null,
                ]);
            }
            st.run(&vals, &text).expect("run");
        }
        let rows: Vec<(String, i64)> = db
            .prepare("SELECT k, n FROM t ORDER BY n")
            .expect("select")
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert_eq!(rows.len(), 6);
        assert_eq!(rows[0], ("key 0-0 张三".to_owned(), 1));
        assert_eq!(rows[5], ("key 2-1 张三".to_owned(), 6));

        let text = "key 0-0 张三";
        let dup = [
            Lite::Text(0, text.len()),
            Lite::Int(7),
            Lite::Null,
            Lite::Null,
        ];
        let mut one = RawInsert::prepare(&db, "INSERT INTO t VALUES (?,?,?,?)").expect("prepare");
        let e = one.run(&dup, text).expect_err("a duplicate key");
        assert!(matches!(e, StoreError::Conflict { .. }), "{e:?}");
        let bad = [Lite::Null, Lite::Int(0), Lite::Null, Lite::Null];
        let e = one.run(&bad, "").expect_err("n must be positive");
        assert!(matches!(e, StoreError::Conflict { .. }), "{e:?}");
        assert!(
            one.run(&bad[..3], "").is_err(),
            "three values for four parameters"
        );
        one.run(&[Lite::Null, Lite::Int(9), Lite::Null, Lite::Null], "")
            .expect("the statement is usable after errors");
        assert!(RawInsert::prepare(&db, "INSERT INTO nowhere VALUES (?)").is_err());
    }
}
