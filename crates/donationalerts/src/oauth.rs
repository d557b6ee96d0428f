//! `draw-stream login donationalerts`: the OAuth authorization-code flow with a loopback callback.
//!
//! 1. Print (and optionally open) `{oauth_base}/authorize?client_id…&redirect_uri=http://127.0.0.1:PORT/callback
//!    &response_type=code&scope=oauth-user-show oauth-donation-subscribe oauth-donation-index&state=…`.
//! 2. Wait for the browser to come back to `127.0.0.1:PORT/callback?code=…&state=…`.
//! 3. `POST {oauth_base}/token` (form: `grant_type=authorization_code`, client id and secret,
//!    redirect uri, code) and store the tokens in the token file (mode 0600).
//!
//! The redirect URI must be registered, exactly, in the DA application's settings.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Html;
use axum::routing::get;
use axum::Router;
use rand::Rng;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};

use crate::api::{Api, TokenCallError};
use crate::config::DaConfig;
use crate::error::IntakeError;
use crate::token::{StoredToken, TokenFile};

/// The three scopes the intake needs, space-separated as DA expects.
pub const SCOPES: &str = "oauth-user-show oauth-donation-subscribe oauth-donation-index";

/// How [`login_with`] runs.
#[derive(Debug, Clone)]
pub struct LoginOptions {
    /// Try to open the authorize URL in the default browser.
    pub open_browser: bool,
    /// Port of the loopback callback on 127.0.0.1 (0: any free port).
    pub callback_port: u16,
    /// How long to wait for the browser to come back.
    pub timeout: Duration,
}

impl Default for LoginOptions {
    fn default() -> Self {
        LoginOptions { open_browser: true, callback_port: 8765, timeout: Duration::from_secs(600) }
    }
}

/// The authorize URL for `redirect_uri` and `state`.
pub fn authorize_url(cfg: &DaConfig, redirect_uri: &str, state: &str) -> Result<String, IntakeError> {
    let client_id = cfg.client_id.as_deref().ok_or_else(missing_app)?;
    let mut url = url::Url::parse(&cfg.oauth_url("authorize"))
        .map_err(|e| IntakeError::Config(format!("DA_OAUTH_BASE is not a URL ({e})")))?;
    url.query_pairs_mut()
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("response_type", "code")
        .append_pair("scope", SCOPES)
        .append_pair("state", state);
    // DA's docs show the scopes separated by %20; form encoding would write '+'.
    Ok(url.to_string().replace('+', "%20"))
}

fn missing_app() -> IntakeError {
    IntakeError::Config(
        "DA_CLIENT_ID and DA_CLIENT_SECRET are needed to log in: create an application at \
         https://www.donationalerts.com/application/clients with the redirect URL \
         http://127.0.0.1:<port>/callback"
            .into(),
    )
}

/// Logs in to Donation Alerts and stores the tokens in `cfg.token_file` (mode 0600).
///
/// Prints the authorize URL (and opens it in the browser if `open_browser`), receives the code on
/// `http://127.0.0.1:{callback_port}/callback` and exchanges it. Waits up to 10 minutes.
pub async fn login(cfg: &DaConfig, open_browser: bool, callback_port: u16) -> Result<(), IntakeError> {
    let opts = LoginOptions { open_browser, callback_port, ..LoginOptions::default() };
    login_with(cfg, &opts, |url| {
        println!("Open this address in a browser and allow access for Draw Stream:\n\n  {url}\n");
    })
    .await
}

/// [`login`] with every knob, and `on_url` called with the authorize URL once the callback listens.
pub async fn login_with(cfg: &DaConfig, opts: &LoginOptions, on_url: impl FnOnce(&str)) -> Result<(), IntakeError> {
    cfg.validate()?;
    let client_id = cfg.client_id.clone().ok_or_else(missing_app)?;
    let client_secret = cfg.client_secret.clone().ok_or_else(missing_app)?;
    let listener = TcpListener::bind(("127.0.0.1", opts.callback_port)).await.map_err(|e| {
        IntakeError::Login(format!("cannot listen on 127.0.0.1:{} for the callback: {e}", opts.callback_port))
    })?;
    let port = listener.local_addr().map_err(|e| IntakeError::Login(e.to_string()))?.port();
    let redirect_uri = format!("http://127.0.0.1:{port}/callback");
    let state: String = {
        let mut rng = rand::rng();
        (0..32).map(|_| char::from_digit(rng.random_range(0..16), 16).unwrap_or('0')).collect()
    };
    let url = authorize_url(cfg, &redirect_uri, &state)?;
    on_url(&url);
    if opts.open_browser {
        open_in_browser(&url);
    }
    tracing::info!(port, "donationalerts: waiting for the login callback");

    let code = tokio::time::timeout(opts.timeout, wait_for_code(listener, &state))
        .await
        .map_err(|_| IntakeError::Login("no callback from the browser in time".into()))??;

    let api = Api::new(cfg)?;
    let form = [
        ("grant_type", "authorization_code"),
        ("client_id", client_id.as_str()),
        ("client_secret", client_secret.as_str()),
        ("redirect_uri", redirect_uri.as_str()),
        ("code", code.as_str()),
    ];
    let body = match api.token_call(&form).await {
        Ok(b) => b,
        Err(TokenCallError::Rejected { status, error }) => {
            return Err(IntakeError::Login(format!(
                "Donation Alerts refused the code (HTTP {status}{}); check DA_CLIENT_SECRET and that the \
                 application's redirect URL is {redirect_uri}",
                error.map(|e| format!(", {e}")).unwrap_or_default()
            )))
        }
        Err(TokenCallError::Other(e)) => return Err(e),
    };
    let token = StoredToken::from_token_response(&body, None, SCOPES)?;
    TokenFile::new(cfg.token_file.clone()).save(&token)?;
    tracing::info!(file = %cfg.token_file.display(), "donationalerts: login complete");
    Ok(())
}

/// What the callback handler knows: the `state` it must see, and where the result goes.
#[derive(Clone)]
struct Callback {
    state: Arc<str>,
    result: mpsc::Sender<Result<String, IntakeError>>,
}

fn page(status: StatusCode, text: &str) -> (StatusCode, Html<String>) {
    (status, Html(format!("<!doctype html><meta charset=\"utf-8\"><title>Draw Stream</title><p>{text}</p>")))
}

/// `GET /callback?code=…&state=…` (or `?error=…`): answers the browser and hands the result over.
async fn callback(State(cb): State<Callback>, Query(q): Query<HashMap<String, String>>) -> (StatusCode, Html<String>) {
    if q.get("state").map(String::as_str) != Some(&*cb.state) {
        tracing::warn!("donationalerts: login callback with a wrong state ignored");
        return page(StatusCode::BAD_REQUEST, "This login link is stale; start the login again.");
    }
    if let Some(error) = q.get("error") {
        let error: String = error.chars().take(64).collect();
        let _ = cb.result.try_send(Err(IntakeError::Login(format!("authorization refused ({error})"))));
        return page(StatusCode::OK, "Donation Alerts login was cancelled. You can close this tab.");
    }
    match q.get("code").filter(|c| !c.is_empty()) {
        Some(code) => {
            let _ = cb.result.try_send(Ok(code.clone()));
            page(StatusCode::OK, "Draw Stream is now connected to Donation Alerts. You can close this tab.")
        }
        None => page(StatusCode::BAD_REQUEST, "The callback has no code."),
    }
}

/// Serves the loopback callback (axum) until a request carries our `state` and a code (or an
/// error), then stops gracefully so the browser gets its page.
async fn wait_for_code(listener: TcpListener, state: &str) -> Result<String, IntakeError> {
    let (tx, mut rx) = mpsc::channel(1);
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let app = Router::new().route("/callback", get(callback)).with_state(Callback { state: state.into(), result: tx });
    let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
        let _ = stop_rx.await;
    });
    let wait = async move {
        let got = rx.recv().await;
        let _ = stop_tx.send(());
        got
    };
    let (served, got) = tokio::join!(std::future::IntoFuture::into_future(serve), wait);
    match got {
        Some(result) => result,
        None => Err(IntakeError::Login(format!(
            "callback server stopped: {}",
            served.err().map(|e| e.to_string()).unwrap_or_default()
        ))),
    }
}

fn open_in_browser(url: &str) {
    let result = if cfg!(target_os = "macos") {
        std::process::Command::new("open").arg(url).spawn()
    } else if cfg!(windows) {
        std::process::Command::new("rundll32").args(["url.dll,FileProtocolHandler", url]).spawn()
    } else {
        std::process::Command::new("xdg-open").arg(url).spawn()
    };
    if let Err(e) = result {
        tracing::info!(error = %e, "donationalerts: could not open a browser; open the printed address by hand");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_callback_answers_the_browser_and_waits_for_the_right_state() {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let waiting = tokio::spawn(async move { wait_for_code(listener, "s3cret").await });
        let client = reqwest::Client::new();
        let get = |path: &str| client.get(format!("{base}{path}")).send();
        assert_eq!(get("/favicon.ico").await.unwrap().status(), 404);
        let stale = get("/callback?code=abc&state=old").await.unwrap();
        assert_eq!(stale.status(), 400);
        assert!(stale.text().await.unwrap().contains("stale"));
        assert_eq!(get("/callback?state=s3cret").await.unwrap().status(), 400, "no code");
        assert!(!waiting.is_finished(), "still waiting for a usable callback");
        let ok = get("/callback?code=the-code&state=s3cret").await.unwrap();
        assert_eq!(ok.status(), 200);
        assert!(ok.text().await.unwrap().contains("now connected"));
        assert_eq!(waiting.await.unwrap().unwrap(), "the-code");
    }

    #[tokio::test]
    async fn a_refused_authorization_is_reported() {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
        let url = format!("http://{}/callback?error=access_denied&state=s", listener.local_addr().unwrap());
        let waiting = tokio::spawn(async move { wait_for_code(listener, "s").await });
        assert_eq!(reqwest::get(url).await.unwrap().status(), 200);
        let err = waiting.await.unwrap().unwrap_err().to_string();
        assert!(err.contains("authorization refused (access_denied)"), "{err}");
    }

    #[test]
    fn authorize_url_has_the_three_scopes() {
        let cfg = DaConfig { client_id: Some("123".into()), ..DaConfig::default() };
        let url = authorize_url(&cfg, "http://127.0.0.1:8765/callback", "abc").unwrap();
        assert!(url.starts_with("https://www.donationalerts.com/oauth/authorize?client_id=123&"));
        assert!(url.contains("scope=oauth-user-show%20oauth-donation-subscribe%20oauth-donation-index"));
        assert!(url.contains("redirect_uri=http%3A%2F%2F127.0.0.1%3A8765%2Fcallback"));
        assert!(url.contains("response_type=code"));
        assert!(url.contains("state=abc"));
    }
}
