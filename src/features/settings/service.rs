//! Settings' use cases, shared by the pages' server functions and the JSON API: authorise (users,
//! tuning and bank layouts are the admin's; one's own password and API tokens are everyone's,
//! every token the admin's), validate, then the command, then flush this instance's principals
//! cache (the others flush on the `users` and `api_tokens` tables' notifications).

use uuid::Uuid;

use super::layouts::{LayoutEditView, LayoutForm, LayoutRow, LayoutTrial, StoredReading, UploadChoice};
use super::model::{
    NewToken, NewUserForm, PasswordChangeForm, TokenForm, TokenRow, TokensView, UserAction, UserRow, UsersView,
    MAX_LIVE_TOKENS, SECRET_SHOWN_FOR_MINUTES,
};
use super::tuning::{SlaForm, ToleranceChange, ToleranceForm, TuningView};
use super::{commands, queries};
use crate::auth::guard::authorize;
use crate::auth::{Access, CurrentUser};
use crate::error::AppError;
use crate::features::recon::store::{self, stored_layouts, StoredLayout};
use crate::state::AppState;

/// Every user, for `/settings`.
pub async fn users_view(state: &AppState, caller: &CurrentUser) -> Result<UsersView, AppError> {
    let admin = authorize(Some(caller), Access::ADMIN)?;
    Ok(UsersView { users: queries::users(&state.pool).await?, now: state.clock.now(), me: admin.id })
}

/// Every user, for the API.
pub async fn users(state: &AppState, caller: &CurrentUser) -> Result<Vec<UserRow>, AppError> {
    authorize(Some(caller), Access::ADMIN)?;
    queries::users(&state.pool).await
}

/// Create a user (400 with the reason for a weak password, a bad e-mail or one already taken).
pub async fn create_user(
    state: &AppState,
    caller: &CurrentUser,
    ip: Option<&str>,
    form: &NewUserForm,
) -> Result<Uuid, AppError> {
    let admin = authorize(Some(caller), Access::ADMIN)?;
    let new = form.parse().map_err(AppError::BadRequest)?;
    let id = commands::create_user(&state.pool, &admin, ip, new).await?;
    state.principals_changed();
    Ok(id)
}

/// Act on a user: `action` with its fields (`roles` for "roles", `password` for "reset").
pub async fn act(
    state: &AppState,
    caller: &CurrentUser,
    ip: Option<&str>,
    id: &str,
    action: &str,
    roles: &[String],
    password: Option<&str>,
) -> Result<UserRow, AppError> {
    let admin = authorize(Some(caller), Access::ADMIN)?;
    let id = Uuid::parse_str(id.trim()).map_err(|_| AppError::NotFound("No such user.".into()))?;
    let action = UserAction::parse(action, roles, password).map_err(AppError::BadRequest)?;
    let row = commands::act(&state.pool, &admin, ip, id, action, state.clock.now()).await?;
    state.principals_changed();
    Ok(row)
}

/// The caller's session under a new id, its owner recorded again (as at sign-in) only while the
/// password is still `password_hash` (the one just set): after a password change, a copy of the
/// old cookie opens nothing, and a reset that landed meanwhile leaves no session.
pub async fn renew_session(
    state: &AppState,
    caller: &CurrentUser,
    session: &tower_sessions::Session,
    password_hash: &str,
) -> Result<(), AppError> {
    let failed = |e: tower_sessions::session::Error| {
        tracing::error!(error = %e, "could not renew a session after a password change");
        AppError::Internal
    };
    session.cycle_id().await.map_err(failed)?;
    session.save().await.map_err(failed)?;
    let id = session.id().ok_or(AppError::Internal)?;
    if !crate::auth::users::own_session(&state.pool, caller.id, &id.to_string(), Some(password_hash)).await? {
        return Err(AppError::Unauthorized);
    }
    Ok(())
}

/// Change one's own password (any signed-in user); their other sessions end. The new hash, for
/// [`renew_session`].
pub async fn change_own_password(
    state: &AppState,
    caller: &CurrentUser,
    ip: Option<&str>,
    form: &PasswordChangeForm,
    keep_session: Option<&str>,
) -> Result<String, AppError> {
    let user = authorize(Some(caller), Access::SIGNED_IN)?;
    let new = form.parse().map_err(AppError::BadRequest)?;
    let hash = commands::change_own_password(&state.pool, &user, ip, &form.current, &new, keep_session).await?;
    state.principals_changed();
    Ok(hash)
}

/// Where a new token's secret waits in its maker's session until their profile shows it, once.
const NEW_TOKEN_KEY: &str = "settings.new_token";
/// Tokens a list shows.
const TOKENS_LISTED: i64 = 200;

fn token_row(t: crate::auth::tokens::TokenRecord) -> TokenRow {
    TokenRow {
        id: t.id,
        owner: t.owner,
        name: t.name,
        prefix: t.prefix,
        created_at: t.created_at,
        expires_at: t.expires_at,
        last_used_at: t.last_used_at,
        revoked_at: t.revoked_at,
    }
}

fn session_failed(e: tower_sessions::session::Error) -> AppError {
    crate::auth::guard::session_error(e)
}

/// The caller's own tokens (`everyone`: every user's, admins only), and the secret of a token they
/// just made, taken out of their session so it shows once.
pub async fn tokens_view(
    state: &AppState,
    caller: &CurrentUser,
    everyone: bool,
    session: Option<&tower_sessions::Session>,
) -> Result<TokensView, AppError> {
    let user = authorize(Some(caller), if everyone { Access::ADMIN } else { Access::SIGNED_IN })?;
    let owner = (!everyone).then_some(user.id);
    let tokens = crate::auth::tokens::list(&state.pool, owner, TOKENS_LISTED).await?;
    let new_token = match (everyone, session) {
        (false, Some(session)) => session
            .remove::<NewToken>(NEW_TOKEN_KEY)
            .await
            .map_err(session_failed)?
            .filter(|t| t.show_until > state.clock.now()),
        _ => None,
    };
    Ok(TokensView { tokens: tokens.into_iter().map(token_row).collect(), now: state.clock.now(), new_token })
}

/// Make a token for oneself (every role); its secret waits in the session for the profile to show.
pub async fn create_token(
    state: &AppState,
    caller: &CurrentUser,
    ip: Option<&str>,
    form: &TokenForm,
    session: &tower_sessions::Session,
) -> Result<NewToken, AppError> {
    let user = authorize(Some(caller), Access::SIGNED_IN)?;
    let (name, days) = form.parse().map_err(AppError::BadRequest)?;
    let (_, secret, expires_at) =
        crate::auth::tokens::create_own(&state.pool, &user, ip, &name, days, MAX_LIVE_TOKENS, state.clock.now())
            .await?;
    let show_until = state.clock.now() + chrono::Duration::minutes(SECRET_SHOWN_FOR_MINUTES);
    let new = NewToken { name, secret, expires_at, show_until };
    session.insert(NEW_TOKEN_KEY, &new).await.map_err(session_failed)?;
    Ok(new)
}

/// Revoke a token: one's own, or (admins) anyone's. It stops at once on every instance.
pub async fn revoke_token(state: &AppState, caller: &CurrentUser, ip: Option<&str>, id: &str) -> Result<(), AppError> {
    let user = authorize(Some(caller), Access::SIGNED_IN)?;
    let id = uuid::Uuid::parse_str(id.trim())
        .map_err(|_| AppError::NotFound("No such token, or it is revoked already.".into()))?;
    crate::auth::tokens::revoke_by_id(&state.pool, &user, user.may(Access::ADMIN), ip, id).await?;
    state.principals_changed();
    Ok(())
}

/// The SLA hours and recon tolerances (admin).
pub async fn tuning_view(state: &AppState, caller: &CurrentUser) -> Result<TuningView, AppError> {
    authorize(Some(caller), Access::ADMIN)?;
    let (sla, tolerances) =
        tokio::try_join!(super::tuning_store::sla_rows(&state.pool), super::tuning_store::tolerance_rows(&state.pool))?;
    Ok(TuningView { sla, tolerances })
}

/// Set an exception type's SLA hours (admin); new and re-graded exceptions get them at once.
pub async fn save_sla(
    state: &AppState,
    caller: &CurrentUser,
    ip: Option<&str>,
    form: &SlaForm,
) -> Result<String, AppError> {
    let user = authorize(Some(caller), Access::ADMIN)?;
    let (code, hours) = form.parse().map_err(AppError::BadRequest)?;
    super::tuning_store::save_sla(&state.pool, &user, ip, &code, hours, state.clock.now()).await?;
    Ok(code)
}

/// Set or remove a scope's recon tolerances (admin); the next run reads them.
pub async fn save_tolerances(
    state: &AppState,
    caller: &CurrentUser,
    ip: Option<&str>,
    form: &ToleranceForm,
) -> Result<String, AppError> {
    let user = authorize(Some(caller), Access::ADMIN)?;
    match form.parse().map_err(AppError::BadRequest)? {
        ToleranceChange::Save { merchant_id, acquirer, values } => {
            super::tuning_store::save_tolerances(
                &state.pool,
                &user,
                ip,
                &merchant_id,
                &acquirer,
                &values,
                state.clock.now(),
            )
            .await?;
            Ok("Tolerances saved; the next recon run uses them.".into())
        }
        ToleranceChange::Delete { merchant_id, acquirer } => {
            super::tuning_store::delete_tolerances(&state.pool, &user, ip, &merchant_id, &acquirer).await?;
            Ok("Tolerances removed; the wider scope applies again.".into())
        }
    }
}

/// Every stored bank layout, active or not (admin).
pub async fn layouts(state: &AppState, caller: &CurrentUser) -> Result<Vec<LayoutRow>, AppError> {
    authorize(Some(caller), Access::ADMIN)?;
    Ok(stored_layouts(&state.pool, false).await?.into_iter().map(layout_row).collect())
}

fn layout_row(l: StoredLayout) -> LayoutRow {
    LayoutRow {
        form: LayoutForm::of(&l.id.to_string(), &l.updated_at.to_rfc3339(), &l.mapping, l.active),
        updated_at: l.updated_at,
        updated_by: l.updated_by,
    }
}

fn no_such_layout() -> AppError {
    AppError::NotFound("There is no such bank layout.".into())
}

/// How many stored bank uploads the editor offers to test a layout on.
const TEST_UPLOADS: i64 = 50;

/// The editor of layout `id` (`new`: a new one), with the bank uploads it may be tested on and,
/// for a stored layout, its test on the upload `test` (admin).
pub async fn layout_edit_view(
    state: &AppState,
    caller: &CurrentUser,
    ip: Option<&str>,
    id: &str,
    test: Option<&str>,
) -> Result<LayoutEditView, AppError> {
    authorize(Some(caller), Access::ADMIN)?;
    let layout = match id.trim() {
        "new" | "" => None,
        id => {
            let id = Uuid::parse_str(id).map_err(|_| no_such_layout())?;
            let stored = stored_layouts(&state.pool, false).await?.into_iter().find(|l| l.id == id);
            Some(layout_row(stored.ok_or_else(no_such_layout)?))
        }
    };
    let uploads = store::recent_uploads(&state.pool, &["bank"], TEST_UPLOADS, None)
        .await?
        .into_iter()
        .map(|u| UploadChoice {
            id: u.id.to_string(),
            label: format!(
                "{} · cycle {} · read as {} · uploaded {}",
                u.original_name,
                u.cycle_date.map_or_else(|| "not given".to_string(), crate::ist::format_date),
                u.detected_format.as_deref().unwrap_or("an unknown format"),
                crate::ist::format_datetime(u.uploaded_at)
            ),
        })
        .collect();
    let test = match (&layout, test.map(str::trim).filter(|t| !t.is_empty())) {
        (Some(l), Some(upload)) => Some(
            try_layout(state, caller, ip, &l.form, TrialFile::Stored(upload.to_string()))
                .await
                .map_err(|e| e.to_string()),
        ),
        _ => None,
    };
    let form = layout.as_ref().map(|l| l.form.clone()).unwrap_or_else(LayoutForm::blank);
    Ok(LayoutEditView { layout, form, uploads, test })
}

/// Store a new or edited bank layout (admin); the next upload reads by it.
pub async fn save_layout(
    state: &AppState,
    caller: &CurrentUser,
    ip: Option<&str>,
    form: &LayoutForm,
) -> Result<super::layouts_store::Saved, AppError> {
    let admin = authorize(Some(caller), Access::ADMIN)?;
    super::layouts_store::save(&state.pool, &admin, ip, form, state.clock.now()).await
}

/// The file a layout is tried on: a sample sent with the form (`sampled`: only its start), or a
/// stored bank upload by id.
pub enum TrialFile {
    Sample { name: String, bytes: bytes::Bytes, sampled: bool },
    Stored(String),
}

/// One whole stored upload read at a time on this instance: a test reads every row of a file of
/// up to the upload limit.
static STORED_TRIALS: std::sync::LazyLock<std::sync::Arc<tokio::sync::Semaphore>> =
    std::sync::LazyLock::new(|| std::sync::Arc::new(tokio::sync::Semaphore::new(1)));

/// Read a file with the layout `form` describes, nothing stored (admin): a sample's first rows and
/// what an upload of it would be read as, or a stored upload's first rows and every row's tally
/// beside what its upload recorded (a read of a kept file: audited). A layout with problems is
/// refused with every one (400), as saving it would be — except the checks against the other
/// layouts, which only a save makes.
pub async fn try_layout(
    state: &AppState,
    caller: &CurrentUser,
    ip: Option<&str>,
    form: &LayoutForm,
    file: TrialFile,
) -> Result<LayoutTrial, AppError> {
    use crate::features::recon::ingest::{self, Format, Kind, ReadOptions, XlsxLimits};
    let admin = authorize(Some(caller), Access::ADMIN)?;
    let mapping = form.to_mapping(&[])?;
    let format = Some(Format::Mapping(Box::new(mapping.clone())));
    let options = ReadOptions { cycle_date: Some(crate::ist::today(state.clock.now())), ..Default::default() };
    let xlsx = XlsxLimits::for_upload(state.config.upload_max_bytes as u64);
    match file {
        TrialFile::Sample { name, bytes, sampled } => {
            // Detection as the next upload would run it: the active layouts, this one in its
            // place (when active).
            let editing = Uuid::parse_str(form.id.trim()).ok();
            let mut layouts: Vec<_> = stored_layouts(&state.pool, true)
                .await?
                .into_iter()
                .filter(|l| Some(l.id) != editing)
                .map(|l| l.mapping)
                .collect();
            let tried = [mapping.clone()];
            if form.is_active() {
                layouts.push(mapping);
            }
            let (preview, detected) = tokio::task::spawn_blocking(move || {
                // The layout among the mappings too: a workbook's sheet is found by its header.
                let preview = ingest::preview(&bytes, sampled, Kind::Bank, format, &tried, &options, &xlsx);
                let detected =
                    ingest::preview(&bytes, sampled, Kind::Bank, None, &layouts, &options, &xlsx).map(|p| p.format);
                (preview, detected)
            })
            .await
            .map_err(|_| AppError::Internal)?;
            let preview = preview.map_err(AppError::BadRequest)?;
            Ok(LayoutTrial { file_name: name, preview, detected: Some(detected), tally: None, stored: None })
        }
        TrialFile::Stored(id) => {
            let id =
                Uuid::parse_str(id.trim()).map_err(|_| AppError::NotFound("There is no such bank upload.".into()))?;
            let upload = store::stored_upload(&state.pool, "bank", id).await?;
            let turn = STORED_TRIALS.clone().try_acquire_owned().map_err(|_| {
                AppError::Conflict("Another layout test is reading a stored upload: try again in a moment.".into())
            })?;
            // Audited before the read: a read cut short (a timeout, a closed connection) still read.
            crate::audit::record(
                &state.pool,
                crate::audit::AuditEntry {
                    target_id: Some(id.to_string()),
                    ip,
                    after: Some(serde_json::json!({ "layout": form.layout_name.trim() })),
                    ..crate::audit::AuditEntry::by(&admin, "settings.layout.trial", "uploaded_file")
                },
            )
            .await?;
            let reader = store::open_kept(state.objects.as_ref(), &upload.storage_key).await?;
            // The turn is held by the read itself, which goes on to the end even if the request that
            // asked for it is dropped.
            let (preview, tally) = tokio::task::spawn_blocking(move || {
                let _turn = turn;
                ingest::trial(reader, Kind::Bank, format, std::slice::from_ref(&mapping), &options, &xlsx)
            })
            .await
            .map_err(|_| AppError::Internal)?
            .map_err(AppError::BadRequest)?;
            Ok(LayoutTrial {
                file_name: upload.original_name,
                preview,
                detected: None,
                tally: Some(tally),
                stored: Some(StoredReading {
                    format: upload.format,
                    accepted: upload.accepted,
                    skipped: upload.skipped,
                    refused: upload.refused,
                }),
            })
        }
    }
}
