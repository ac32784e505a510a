//! Response bodies shared by the features' JSON APIs.
//!
//! The rule for a handler's JSON body:
//! - when a model type's shape is the API's, serialise it directly (`Json(report)`), giving it
//!   `Serialize` with the `rename_all` the API needs (camelCase);
//! - when the API adds, drops or renames fields, wrap the model in a response struct named
//!   `<Thing>Response`, declared next to its handler in the feature's `api.rs`;
//! - a shape several features answer with (such as [`IdResponse`]) lives in this module.
//!
//! JSON key order is not part of the contract: declare fields in the order that reads best.
//!
//! Request bodies are read with [`JsonBody`]: a body that is not JSON, or not the shape the
//! handler takes, is a 400 with the API's error body, never axum's plain-text 415/422.

use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;
use serde::Serialize;
use uuid::Uuid;

use crate::error::AppError;

/// A JSON request body; any rejection is `AppError::BadRequest` with a sentence saying why.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(body)) => Ok(JsonBody(body)),
            Err(rejection) => Err(AppError::BadRequest(format!(
                "The request body is not valid JSON for this call: {}",
                rejection.body_text()
            ))),
        }
    }
}

/// `{"id": …}`: the body of a `201`/`202` that created something (a saved view, a recon run).
/// The id serialises as itself: a [`Uuid`] is a JSON string.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IdResponse {
    pub id: Uuid,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_a_json_string() {
        let id = Uuid::nil();
        assert_eq!(
            serde_json::to_string(&IdResponse { id }).unwrap(),
            r#"{"id":"00000000-0000-0000-0000-000000000000"}"#
        );
    }
}
