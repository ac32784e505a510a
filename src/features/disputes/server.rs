//! The Disputes server functions: the caller and the state from the request, then the same use
//! cases as the JSON API (`service`).

use leptos::prelude::*;

use super::model::{CaseActionForm, CaseView, CreateForm, DisputesQuery, DisputesView};
use crate::error::AppError;

#[cfg(feature = "ssr")]
use crate::http::server_fn::serve;

/// Everything the `/disputes` page shows for its URL.
#[server(prefix = "/sfn", endpoint = "disputes/view")]
pub async fn get_disputes(#[server(default)] query: DisputesQuery) -> Result<DisputesView, AppError> {
    serve(async move |c| super::service::desk_view(&c.state, &c.user, &query).await).await
}

/// One case with what this user may do with it.
#[server(prefix = "/sfn", endpoint = "disputes/case")]
pub async fn get_dispute_case(id: String) -> Result<CaseView, AppError> {
    serve(async move |c| super::service::case_view(&c.state, &c.user, &id).await).await
}

/// A case action from the detail page (status, assign, note, deadline).
#[server(prefix = "/sfn", endpoint = "disputes/act")]
pub async fn dispute_act(form: CaseActionForm) -> Result<(), AppError> {
    serve(async move |c| super::service::apply_action(&c.state, &c.user, c.ip, &form.id, &form.request).await).await
}

/// The manual create form; answers the new case's id, and the form's post goes on to the new
/// case's page.
#[server(prefix = "/sfn", endpoint = "disputes/create")]
pub async fn create_dispute(form: CreateForm) -> Result<String, AppError> {
    serve(async move |c| {
        let id = super::service::create_manual(&c.state, &c.user, c.ip, &form).await?;
        leptos_axum::redirect(&format!("/disputes/{id}?notice=Case%20created."));
        Ok(id.to_string())
    })
    .await
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    //! The forms' field names against the decoder the server runs on every post (JavaScript or
    //! not): the bodies below are what a browser sends for each form on the pages.

    use super::*;
    use crate::features::disputes::model::CaseAction;
    use crate::http::server_fn::decode_form_post;

    const ID: &str = "0b7e4c1e-7d2a-4f43-9a51-3c4f6c2d8e10";

    fn action_form(request: CaseAction) -> CaseActionForm {
        CaseActionForm { id: ID.into(), request }
    }

    #[tokio::test]
    async fn the_detail_forms_decode_into_one_case_action() {
        // "Change status": the clicked button's `form[to]` comes last, after the note box.
        let body = format!(
            "form%5Bid%5D={ID}&form%5Baction%5D=status&form%5Bnote%5D=Proof+sent&form%5Bto%5D=evidence_required"
        );
        let DisputeAct { form } = decode_form_post(&body).await.unwrap();
        assert_eq!(
            form,
            action_form(CaseAction {
                action: "status".into(),
                to: Some("evidence_required".into()),
                note: Some("Proof sent".into()),
                ..Default::default()
            })
        );
        // "Assign" with the team left at "—": an empty value, which the service reads as none.
        let body = format!("form%5Bid%5D={ID}&form%5Baction%5D=assign&form%5Bassignee%5D=&form%5Bteam%5D=");
        let DisputeAct { form } = decode_form_post(&body).await.unwrap();
        assert_eq!(
            form,
            action_form(CaseAction {
                action: "assign".into(),
                assignee: Some(String::new()),
                team: Some(String::new()),
                ..Default::default()
            })
        );
        // "Change deadline": the date field carries the JSON API's name for it.
        let body = format!(
            "form%5Bid%5D={ID}&form%5Baction%5D=deadline&form%5BevidenceDue%5D=2026-12-01&form%5Bnote%5D=Extension"
        );
        let DisputeAct { form } = decode_form_post(&body).await.unwrap();
        assert_eq!(
            form,
            action_form(CaseAction {
                action: "deadline".into(),
                evidence_due: Some("2026-12-01".into()),
                note: Some("Extension".into()),
                ..Default::default()
            })
        );
        // The loose names of before are no longer this function's arguments.
        assert!(decode_form_post::<DisputeAct>(&format!("id={ID}&action=status&to=won")).await.is_err());
    }

    #[tokio::test]
    async fn the_new_case_form_decodes_into_a_create_form() {
        let body = "form%5Bnetwork%5D=VISA&form%5Bnetwork_case_id%5D=VCR9&form%5Bmerchant_id%5D=MERCH_001\
                    &form%5Bamount%5D=1%2C500.25&form%5Breason_code%5D=13.1&form%5Breason%5D=Not+received\
                    &form%5Breceived%5D=2026-11-20&form%5Bdue%5D=&form%5Btxn_ref%5D=TXN1&form%5Brrn%5D=\
                    &form%5Butr%5D=";
        let CreateDispute { form } = decode_form_post(body).await.unwrap();
        assert_eq!(
            form,
            CreateForm {
                network: "VISA".into(),
                network_case_id: "VCR9".into(),
                merchant_id: "MERCH_001".into(),
                amount: "1,500.25".into(),
                reason_code: "13.1".into(),
                reason: "Not received".into(),
                received: "2026-11-20".into(),
                txn_ref: "TXN1".into(),
                ..Default::default()
            }
        );
        // A field left out reads as empty, for validation to answer, rather than failing to decode.
        let CreateDispute { form } = decode_form_post("form%5Bnetwork%5D=VISA").await.unwrap();
        assert_eq!(form, CreateForm { network: "VISA".into(), ..Default::default() });
    }
}
