//! "Download my data": everything the portal shows the signed-in customer, as one JSON file.

use super::PortalCustomer;
use crate::app::App;
use crate::pages::PageResult;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

pub async fn download_my_data(State(app): State<App>, me: PortalCustomer) -> PageResult<Response> {
    let data = app.store.customer_data(me.customer.id).await?;
    let json = serde_json::to_vec_pretty(&data).map_err(crate::pages::PageError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"my-support-data.json\"",
            ),
        ],
        json,
    )
        .into_response())
}
