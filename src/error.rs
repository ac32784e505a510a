//! The one error type of the application. Server functions return it (it crosses to the browser as
//! JSON), API handlers turn it into `{"error", "message"}` with a fitting status. The user sees a
//! clear sentence; causes (SQL errors, I/O) are logged on the server and never sent.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Please sign in to continue.")]
    Unauthorized,
    #[error("Your role does not allow this.")]
    Forbidden,
    /// A 403 that says why (the role may do the thing in general, not to this one).
    #[error("{0}")]
    ForbiddenBecause(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    TooManyRequests(String),
    #[error("The database is not reachable right now. Try again in a minute.")]
    Unavailable,
    /// The file store refused a write (its disk full, say): nothing was recorded.
    #[error("{0}")]
    StorageFull(String),
    #[error("Something went wrong on our side; it has been logged. Try again, or tell the platform team.")]
    Internal,
    #[error("{0}")]
    Transport(String),
}

impl AppError {
    /// Machine-readable code used by the JSON API.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthorized => "unauthorized",
            AppError::Forbidden | AppError::ForbiddenBecause(_) => "forbidden",
            AppError::NotFound(_) => "not_found",
            AppError::BadRequest(_) => "bad_request",
            AppError::Conflict(_) => "conflict",
            AppError::TooManyRequests(_) => "too_many_requests",
            AppError::Unavailable => "unavailable",
            AppError::StorageFull(_) => "storage_full",
            AppError::Internal => "internal",
            AppError::Transport(_) => "transport",
        }
    }

    pub fn status_code(&self) -> u16 {
        match self {
            AppError::Unauthorized => 401,
            AppError::Forbidden | AppError::ForbiddenBecause(_) => 403,
            AppError::NotFound(_) => 404,
            AppError::BadRequest(_) => 400,
            AppError::Conflict(_) => 409,
            AppError::TooManyRequests(_) => 429,
            AppError::Unavailable => 503,
            AppError::StorageFull(_) => 507,
            AppError::Internal | AppError::Transport(_) => 500,
        }
    }
}

/// Money that leaves the `i64` range comes from the amounts a request asked about (an import, a
/// filter, a batch over them): the caller gets the sentence naming the limit, nothing is wrapped.
impl From<crate::money::MoneyOverflow> for AppError {
    fn from(err: crate::money::MoneyOverflow) -> Self {
        AppError::BadRequest(err.to_string())
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Request(_) => {
                AppError::Transport("The server could not be reached. Check your connection.".into())
            }
            other => AppError::Transport(other.to_string()),
        }
    }
}

/// The JSON body of an API error: `{"error": code, "message": sentence}` (the limits' timeout
/// answers and the webhook's refusal use it too).
#[cfg(feature = "ssr")]
#[derive(Serialize)]
pub struct ErrorBody<'a> {
    pub error: &'a str,
    pub message: &'a str,
}

#[cfg(feature = "ssr")]
mod server {
    use super::{AppError, ErrorBody};
    use axum::http::StatusCode;
    use axum::response::{IntoResponse, Response};

    impl From<sqlx::Error> for AppError {
        fn from(err: sqlx::Error) -> Self {
            match err {
                sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => {
                    tracing::error!(error = %err, "database unavailable");
                    AppError::Unavailable
                }
                // Worth trying again as it was: a conflict with a concurrent transaction, or the
                // connection lost (class 08) or the server shutting down (57P01–57P03).
                sqlx::Error::Database(ref db)
                    if db.code().is_some_and(|c| {
                        matches!(&*c, "40001" | "40P01" | "57P01" | "57P02" | "57P03") || c.starts_with("08")
                    }) =>
                {
                    tracing::warn!(error = %err, "transient database error");
                    AppError::Unavailable
                }
                sqlx::Error::RowNotFound => AppError::NotFound("Not found.".into()),
                other => {
                    tracing::error!(error = %other, "database error");
                    AppError::Internal
                }
            }
        }
    }

    impl AppError {
        /// A server function's error answers with its own status (403, 404, 409…), not a blanket 500.
        pub fn in_server_fn(self) -> Self {
            if let Some(res) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
                res.set_status(StatusCode::from_u16(self.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
            }
            self
        }
    }

    impl IntoResponse for AppError {
        fn into_response(self) -> Response {
            let status = StatusCode::from_u16(self.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let message = self.to_string();
            (status, axum::Json(ErrorBody { error: self.code(), message: &message })).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_say_nothing_about_their_cause() {
        let e = AppError::Internal;
        assert_eq!(e.status_code(), 500);
        assert!(!e.to_string().to_lowercase().contains("sql"));
    }

    #[test]
    fn money_overflow_is_a_bad_request_naming_the_limit() {
        let e = AppError::from(crate::money::MoneyOverflow);
        assert_eq!(e.status_code(), 400);
        assert!(e.to_string().contains("too large"));
    }

    #[test]
    fn statuses() {
        assert_eq!(AppError::Unauthorized.status_code(), 401);
        assert_eq!(AppError::Forbidden.status_code(), 403);
        assert_eq!(AppError::Conflict("x".into()).status_code(), 409);
        assert_eq!(AppError::Unavailable.code(), "unavailable");
    }
}
