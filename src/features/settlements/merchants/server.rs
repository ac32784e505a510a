//! The merchant terms server functions: the caller and the state from the request, then the same
//! use cases as the JSON API (`service`).

use leptos::prelude::*;

use super::model::{MerchantView, MerchantsView, TermsForm};
use crate::error::AppError;

#[cfg(feature = "ssr")]
use crate::http::server_fn::serve;

/// Every merchant with the terms in force today, and the holiday calendar.
#[server(prefix = "/sfn", endpoint = "settlement-merchants/list")]
pub async fn get_merchants() -> Result<MerchantsView, AppError> {
    serve(async move |c| super::service::list(&c.state, &c.user).await).await
}

/// One merchant's terms, versions and (for an admin) the edit form.
#[server(prefix = "/sfn", endpoint = "settlement-merchants/view")]
pub async fn get_merchant(id: String) -> Result<MerchantView, AppError> {
    serve(async move |c| super::service::merchant(&c.state, &c.user, &id).await).await
}

/// The admin's edit form: saves one terms version, and the post goes back to the merchant's page.
#[server(prefix = "/sfn", endpoint = "settlement-merchants/terms")]
pub async fn save_merchant_terms(form: TermsForm) -> Result<(), AppError> {
    serve(async move |c| {
        super::service::save_form(&c.state, &c.user, c.ip, &form).await?;
        let id = crate::auth::guard::urlencode(form.merchant_id.trim());
        leptos_axum::redirect(&format!("/settlements/merchants/{id}?notice=Terms%20saved."));
        Ok(())
    })
    .await
}

/// Admin: map an unknown merchant code to an existing merchant (a plain form post).
#[server(prefix = "/sfn", endpoint = "settlement-merchants/map-code")]
pub async fn map_unknown_merchant(code: String, merchant_id: String) -> Result<(), AppError> {
    serve(async move |c| {
        let moved = super::service::map_unknown(&c.state, &c.user, c.ip.as_deref(), &code, &merchant_id).await?;
        let notice = format!("{} mapped to {}: {moved} transactions moved.", code.trim(), merchant_id.trim());
        leptos_axum::redirect(&format!("/settlements/merchants?notice={}", crate::auth::guard::urlencode(&notice)));
        Ok(())
    })
    .await
}

/// Admin: complete an unknown merchant with its names (a plain form post).
#[server(prefix = "/sfn", endpoint = "settlement-merchants/create-code")]
pub async fn create_merchant(code: String, name: String, legal_name: String, pan: String) -> Result<(), AppError> {
    serve(async move |c| {
        let pan = Some(pan.as_str()).filter(|p| !p.trim().is_empty());
        super::service::create(&c.state, &c.user, c.ip.as_deref(), &code, &name, &legal_name, pan).await?;
        let id = crate::auth::guard::urlencode(code.trim());
        leptos_axum::redirect(&format!(
            "/settlements/merchants/{id}?notice=Merchant%20created:%20set%20its%20terms%20and%20bank%20account."
        ));
        Ok(())
    })
    .await
}

/// Admin: add an alias to a merchant (a plain form post).
#[server(prefix = "/sfn", endpoint = "settlement-merchants/add-alias")]
pub async fn add_merchant_alias(merchant_id: String, alias: String) -> Result<(), AppError> {
    serve(async move |c| {
        super::service::add_alias(&c.state, &c.user, c.ip.as_deref(), &merchant_id, &alias).await?;
        let id = crate::auth::guard::urlencode(merchant_id.trim());
        leptos_axum::redirect(&format!("/settlements/merchants/{id}?notice=Alias%20added."));
        Ok(())
    })
    .await
}

/// Admin: remove an alias of a merchant (a plain form post).
#[server(prefix = "/sfn", endpoint = "settlement-merchants/remove-alias")]
pub async fn remove_merchant_alias(merchant_id: String, alias: String) -> Result<(), AppError> {
    serve(async move |c| {
        super::service::remove_alias(&c.state, &c.user, c.ip.as_deref(), &merchant_id, &alias).await?;
        let id = crate::auth::guard::urlencode(merchant_id.trim());
        leptos_axum::redirect(&format!("/settlements/merchants/{id}?notice=Alias%20removed."));
        Ok(())
    })
    .await
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    //! The edit form's field names against the decoder the server runs on every post.

    use super::*;
    use crate::features::settlements::merchants::model::ModeForm;
    use crate::http::server_fn::decode_form_post;

    #[tokio::test]
    async fn the_edit_form_decodes_into_a_terms_form() {
        let body = "form%5Bmerchant_id%5D=MERCH_001&form%5Beffective_from%5D=2026-12-10&form%5Bcycle_days%5D=2\
                    &form%5Bmin_settlement%5D=100.00&form%5Bpreferred_rail%5D=NEFT&form%5Bgst_rate%5D=18\
                    &form%5Btds_enabled%5D=on&form%5Btds_rate%5D=0.1&form%5Breserve_rate%5D=0\
                    &form%5Breserve_hold_days%5D=0\
                    &form%5Bmodes%5D%5BUPI%5D%5Bkind%5D=percent&form%5Bmodes%5D%5BUPI%5D%5Bvalue%5D=1.8\
                    &form%5Bmodes%5D%5BUPI%5D%5Bbearer%5D=payer\
                    &form%5Bholder_name%5D=Acme+Ltd&form%5Baccount_number%5D=123456789\
                    &form%5Bifsc%5D=HDFC0001234&form%5Bbank_name%5D=HDFC+Bank";
        let SaveMerchantTerms { form } = decode_form_post(body).await.unwrap();
        assert_eq!(form.merchant_id, "MERCH_001");
        assert_eq!(form.tds_enabled, "on");
        assert_eq!(form.reserve_enabled, "", "an unticked box is not sent");
        assert_eq!(form.holder_name, "Acme Ltd");
        assert_eq!(
            form.modes.get("UPI"),
            Some(&ModeForm { kind: "percent".into(), value: "1.8".into(), bearer: "payer".into() })
        );
    }
}
