//! Settings' server functions: the caller and the state from the request, then the service. The
//! forms are plain posts (the page works without JavaScript): each answers with a redirect back to
//! its page and a notice, or the error in words.

use leptos::prelude::*;

use super::layouts::{LayoutEditView, LayoutForm, LayoutRow};
use super::model::{PasswordChangeForm, TokenForm, TokensView, UserForm, UsersView};
use super::tuning::{SlaForm, ToleranceForm, TuningView};
use crate::error::AppError;

#[cfg(feature = "ssr")]
use crate::http::server_fn::serve;

/// Every user, for `/settings` (admin).
#[server(prefix = "/sfn", endpoint = "settings/users")]
pub async fn get_users() -> Result<UsersView, AppError> {
    serve(async move |c| super::service::users_view(&c.state, &c.user).await).await
}

/// Admin: create a user.
#[server(prefix = "/sfn", endpoint = "settings/create-user")]
pub async fn create_user(form: UserForm) -> Result<(), AppError> {
    serve(async move |c| {
        let new = form.new_user();
        super::service::create_user(&c.state, &c.user, c.ip.as_deref(), &new).await?;
        let notice = crate::auth::guard::urlencode(&format!("User {} created.", new.email.trim().to_lowercase()));
        leptos_axum::redirect(&format!("/settings?notice={notice}"));
        Ok(())
    })
    .await
}

/// Admin: disable, enable, unlock, reset the password of, or set the roles of a user.
#[server(prefix = "/sfn", endpoint = "settings/user-action")]
pub async fn manage_user(form: UserForm) -> Result<(), AppError> {
    serve(async move |c| {
        let id = form.id.clone().unwrap_or_default();
        let action = form.action.clone().unwrap_or_default();
        let row = super::service::act(
            &c.state,
            &c.user,
            c.ip.as_deref(),
            &id,
            &action,
            &form.role_codes(),
            form.password.as_deref(),
        )
        .await?;
        let done = match action.trim() {
            "disable" => "disabled; their sessions and API tokens stopped",
            "enable" => "enabled",
            "unlock" => "unlocked",
            "reset" => "given a new password; their sessions ended",
            _ => "given new roles",
        };
        let notice = crate::auth::guard::urlencode(&format!("{} {done}.", row.email));
        leptos_axum::redirect(&format!("/settings?notice={notice}"));
        Ok(())
    })
    .await
}

/// Anyone signed in: change their own password; their other sessions end, and this one goes on
/// under a new id (a copy of the old cookie opens nothing).
#[server(prefix = "/sfn", endpoint = "settings/change-password")]
pub async fn change_password(form: PasswordChangeForm) -> Result<(), AppError> {
    serve(async move |c| {
        let session = use_context::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<tower_sessions::Session>().cloned());
        let keep = session.as_ref().and_then(|s| s.id()).map(|id| id.to_string());
        let hash =
            super::service::change_own_password(&c.state, &c.user, c.ip.as_deref(), &form, keep.as_deref()).await?;
        if let Some(session) = session {
            super::service::renew_session(&c.state, &c.user, &session, &hash).await?;
        }
        leptos_axum::redirect("/profile?notice=Password%20changed.%20Your%20other%20sessions%20were%20signed%20out.");
        Ok(())
    })
    .await
}

/// The request's session (server functions run inside the session layer).
#[cfg(feature = "ssr")]
fn request_session() -> Option<tower_sessions::Session> {
    use_context::<http::request::Parts>().and_then(|parts| parts.extensions.get::<tower_sessions::Session>().cloned())
}

/// Tokens are managed from a signed-in browser, never with a token: a leaked token must not be able
/// to make others (or read their secrets), so its revocation ends the leak.
#[cfg(feature = "ssr")]
fn refuse_bearer() -> Result<(), AppError> {
    let bearer = use_context::<http::request::Parts>().is_some_and(|p| crate::auth::guard::has_bearer(&p.headers));
    if bearer {
        return Err(AppError::ForbiddenBecause(
            "API tokens are managed from a signed-in browser session, not with an API token.".into(),
        ));
    }
    Ok(())
}

/// The caller's API tokens (`everyone`: every user's, admins only), with the secret of one they
/// just made, shown once.
#[server(prefix = "/sfn", endpoint = "settings/tokens")]
pub async fn get_tokens(everyone: bool) -> Result<TokensView, AppError> {
    serve(async move |c| {
        refuse_bearer()?;
        super::service::tokens_view(&c.state, &c.user, everyone, request_session().as_ref()).await
    })
    .await
}

/// Make an API token for oneself; back to the profile, which shows its secret once.
#[server(prefix = "/sfn", endpoint = "settings/create-token")]
pub async fn create_token(form: TokenForm) -> Result<(), AppError> {
    serve(async move |c| {
        refuse_bearer()?;
        let session = request_session().ok_or(AppError::Internal)?;
        super::service::create_token(&c.state, &c.user, c.ip.as_deref(), &form, &session).await?;
        leptos_axum::redirect("/profile#new-token");
        Ok(())
    })
    .await
}

/// Revoke a token (one's own; an admin anyone's); back to the page it was revoked on.
#[server(prefix = "/sfn", endpoint = "settings/revoke-token")]
pub async fn revoke_token(id: String, back: String) -> Result<(), AppError> {
    serve(async move |c| {
        refuse_bearer()?;
        super::service::revoke_token(&c.state, &c.user, c.ip.as_deref(), &id).await?;
        let page = if back == "/settings" { "/settings" } else { "/profile" };
        leptos_axum::redirect(&format!("{page}?notice=Token%20revoked.%20It%20no%20longer%20signs%20anything%20in."));
        Ok(())
    })
    .await
}

/// The SLA hours and recon tolerances (admin).
#[server(prefix = "/sfn", endpoint = "settings/tuning")]
pub async fn get_tuning() -> Result<TuningView, AppError> {
    serve(async move |c| super::service::tuning_view(&c.state, &c.user).await).await
}

/// Set an exception type's SLA hours (admin); back to the settings page with a notice.
#[server(prefix = "/sfn", endpoint = "settings/sla")]
pub async fn save_sla(form: SlaForm) -> Result<(), AppError> {
    serve(async move |c| {
        let code = super::service::save_sla(&c.state, &c.user, c.ip.as_deref(), &form).await?;
        let notice = crate::auth::guard::urlencode(&format!(
            "SLA hours of {code} saved; new and re-graded exceptions get them."
        ));
        leptos_axum::redirect(&format!("/settings?notice={notice}#sla"));
        Ok(())
    })
    .await
}

/// Set or remove a scope's recon tolerances (admin); back to the settings page with a notice.
#[server(prefix = "/sfn", endpoint = "settings/tolerances")]
pub async fn save_tolerances(form: ToleranceForm) -> Result<(), AppError> {
    serve(async move |c| {
        let done = super::service::save_tolerances(&c.state, &c.user, c.ip.as_deref(), &form).await?;
        leptos_axum::redirect(&format!("/settings?notice={}#tolerances", crate::auth::guard::urlencode(&done)));
        Ok(())
    })
    .await
}

/// Every stored bank layout (admin).
#[server(prefix = "/sfn", endpoint = "settings/layouts")]
pub async fn get_layouts() -> Result<Vec<LayoutRow>, AppError> {
    serve(async move |c| super::service::layouts(&c.state, &c.user).await).await
}

/// The editor of a bank layout (`new`: a new one), and its test on the stored upload `test`.
#[server(prefix = "/sfn", endpoint = "settings/layout")]
pub async fn get_layout(id: String, test: Option<String>) -> Result<LayoutEditView, AppError> {
    serve(async move |c| {
        super::service::layout_edit_view(&c.state, &c.user, c.ip.as_deref(), &id, test.as_deref()).await
    })
    .await
}

/// Store a new or edited bank layout (admin); back to its editor with a notice. The answer is
/// that editor's address (an island that called the function goes there itself).
#[server(prefix = "/sfn", endpoint = "settings/save-layout")]
pub async fn save_layout(form: LayoutForm) -> Result<String, AppError> {
    serve(async move |c| {
        let saved = super::service::save_layout(&c.state, &c.user, c.ip.as_deref(), &form).await?;
        let (id, name) = (saved.id, form.layout_name.trim());
        let notice = crate::auth::guard::urlencode(&if saved.changed {
            format!("Layout {name} saved. The next bank upload reads it.")
        } else {
            format!("Layout {name}: nothing changed, it is as stored.")
        });
        let location = format!("/settings/layouts/{id}?notice={notice}");
        leptos_axum::redirect(&location);
        Ok(location)
    })
    .await
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    //! The forms' field names against the decoder the server runs on every post.

    use super::*;
    use crate::http::server_fn::decode_form_post;

    #[tokio::test]
    async fn the_user_forms_decode() {
        let body = "form%5Bid%5D=abc&form%5Baction%5D=roles&form%5Brole_sp_ops%5D=on&form%5Brole_admin%5D=on";
        let args: ManageUser = decode_form_post(body).await.unwrap();
        assert_eq!(args.form.role_codes(), vec!["sp-ops".to_string(), "admin".to_string()]);
        assert_eq!(args.form.action.as_deref(), Some("roles"));
        let body = "form%5Bcurrent%5D=a&form%5Bnew%5D=b&form%5Bconfirm%5D=b";
        let args: ChangePassword = decode_form_post(body).await.unwrap();
        assert_eq!(args.form.new, "b");
        // The layout editor's fields; an unticked box is absent.
        let body = "form%5Bid%5D=&form%5BbankCode%5D=KOTAK&form%5Bdelimiter%5D=tab&form%5BheaderRow%5D=2\
                    &form%5BtxnDateColumn%5D=Txn+Date&form%5BchargesColumns%5D=FEE%2CGST";
        let args: SaveLayout = decode_form_post(body).await.unwrap();
        assert_eq!(
            (args.form.bank_code.as_str(), args.form.delimiter_byte(), args.form.header_row.as_str()),
            ("KOTAK", Some(b'\t'), "2")
        );
        assert_eq!((args.form.txn_date_column.as_str(), args.form.charges_columns.as_str()), ("Txn Date", "FEE,GST"));
        assert!(!args.form.is_active());
        let args: SaveLayout = decode_form_post("form%5Bactive%5D=on").await.unwrap();
        assert!(args.form.is_active());
    }
}
