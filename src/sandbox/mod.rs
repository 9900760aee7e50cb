//! The sandbox org: an in-memory server that behaves like a Salesforce org's REST API,
//! and publishes Change Data Capture events over Salesforce's Pub/Sub API.
//!
//! It is reached only over the network (HTTP; gRPC for the Pub/Sub API) and imports
//! nothing from the rest of the crate but the generated [`crate::eventbus`] contract, so
//! sfgate's real clients and any third-party Salesforce library can use it. Only
//! [`pubsub`], the Pub/Sub API server, uses tonic: the API is gRPC, and its server belongs
//! with the org whose events it serves (`.ci/run` checks both rules).
//!
//! # Layout
//! - [`ids`]: 18-character Ids with Salesforce's checksum, minted in order.
//! - [`objects`], [`seed`]: the standard types with a real org's field
//!   metadata ([`schema`]), custom ones from a seed file (format in [`seed`]),
//!   and the sample data; [`numbers`]: number fields' exact decimals;
//!   [`relationships`]: the child relationship names subqueries and describe use.
//! - [`store`] (with `dml`): the records behind one `RwLock`; it implements the
//!   SOQL engine's [`soql::DataSource`]; savepoints undo writes for `allOrNone`.
//! - [`cdc`]: Change Data Capture: the store's changes as change events in a log
//!   with replay ids, Avro payloads per object schema; [`pubsub`]: the
//!   `eventbus.v1.PubSub` server over it ([`Sandbox::serve_pubsub`]).
//! - `routes`: the HTTP side — version check, sessions ([`oauth`]), the daily
//!   budget, [`faults`] (with what the user may see: [`visibility`]), and the
//!   Salesforce-shaped errors of [`errors`].
//! - [`counters`]: requests by route, in-flight peak, API usage.
//! - [`metadata_clock`]: when the metadata last changed (describe's
//!   `If-Modified-Since`).
//!
//! # Routes
//! - `GET /services/data/` (no session), and under `/services/data/vXX.X/`
//!   (or `latest`): `sobjects/` (describe global), `sobjects/{Type}/` (GET
//!   basic info, POST create), `sobjects/{Type}/describe`,
//!   `sobjects/{Type}/{Id}` (GET, PATCH, DELETE),
//!   `sobjects/{Type}/{ExtIdField}/{value}` (GET, PATCH upsert), `query`,
//!   `queryAll`, `query/{locator}-{offset}`, `limits`,
//!   `connect/records/{Id}/topics` (GET, POST), `ui-api/records` (POST, with
//!   `Idempotency-Key`); sObject Collections `composite/sobjects` (POST create,
//!   PATCH update, DELETE `?ids=`), `composite/sobjects/{Type}` (GET
//!   `?ids=&fields=`, POST read), `composite/sobjects/{Type}/{ExtIdField}`
//!   (PATCH upsert); Composite `composite` (POST, GET). Describe honours
//!   `If-Modified-Since`. A request line and headers over 16,384 bytes are
//!   refused first (414 / 431).
//! - `/services/oauth2/…` from [`oauth`].
//! - Admin, no session: `GET|PUT|DELETE /__sandbox/faults` ([`FaultConfig`]
//!   as camelCase JSON), `GET /__sandbox/requests` ([`RequestCounts`]),
//!   `POST /__sandbox/reset-counts`, `GET /__sandbox/usage`,
//!   `POST /__sandbox/reset-usage`; `GET|PUT /__sandbox/event-bus`
//!   ([`cdc::EventBusSettings`]: selected objects, retention, keepalive, size;
//!   GET adds `latestReplayId`, `retainedEvents`, `openStreams`),
//!   `POST /__sandbox/event-bus/drop-streams`, `POST /__sandbox/undelete/{Id}`,
//!   `POST /__sandbox/touch-metadata` (`?sobject=`: its metadata changed now).
//!
//! # Choices where Salesforce's behaviour is not documented
//! - A path Id that is malformed or of another type: GET → 404 `NOT_FOUND`
//!   "Provided external ID field does not exist or is not accessible: …"
//!   (Salesforce reads the segment as a field name); PATCH/DELETE → 400
//!   `MALFORMED_ID` with `fields: ["Id"]`.
//! - An 18-character Id in mixed case whose suffix does not match is refused
//!   (corruption); one in a single case is re-cased from its suffix.
//! - Oversized bodies: 413 `REQUEST_ENTITY_TOO_LARGE`. 503s:
//!   `SERVER_UNAVAILABLE`. Connect topic already on the record: 400
//!   `DUPLICATE_VALUE`. Idempotency key reused with another body: 400
//!   `IDEMPOTENCY_KEY_REUSED`.
//! - The daily budget counts every authenticated API request (not the
//!   versions list, not refused ones) and resets only on request.
//! - A number with more decimal places than its field's scale is rounded half
//!   away from zero (Java's `HALF_UP`); Salesforce rounds to the scale, but its
//!   tie rule for API writes is not documented in what we read.
//! - An `attributes` object in a record body (as a query returns records) is
//!   ignored, as it is in the bodies of Salesforce's sObject Collections; what a
//!   single-record create does with one is not documented in what we read.
//!
//! # Use
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use sfgate::sandbox::{SandboxConfig, spawn};
//! let (addr, sandbox) = spawn(SandboxConfig::default()).await?;
//! let token = sandbox.auth().issue_session();
//! sandbox.faults().update(|f| f.unavailable_rate = 0.1);
//! // Its Pub/Sub API, for Change Data Capture events (plaintext gRPC):
//! let pubsub = sandbox.spawn_pubsub().await?;
//! sandbox.event_bus().select(&["Contact", "Lead"]).expect("standard objects");
//! # let _ = (addr, token, pubsub); Ok(()) }
//! ```

pub mod cdc;
pub mod counters;
mod dml;
pub mod errors;
pub mod faults;
pub mod ids;
pub mod metadata_clock;
pub mod numbers;
pub mod oauth;
pub mod objects;
pub mod pubsub;
pub mod relationships;
mod routes;
mod sample;
pub mod schema;
pub mod seed;
mod serve;
pub mod soql;
pub mod store;
pub mod validation;
pub mod values;
pub mod visibility;

use std::path::PathBuf;
use std::sync::{Arc, PoisonError, RwLock};

pub use cdc::{EventBus, EventBusConfig};
pub use counters::RequestCounts;
pub use faults::{FaultConfig, Faults};
pub use seed::{Seed, SeedError};
pub use serve::spawn;

use counters::{ApiUsage, Counters};
use metadata_clock::MetadataClock;
use oauth::{AuthServer, OAuthConfig};
use routes::{Cursors, IdempotencyKeys};
use store::{State, Store};

/// How a sandbox org is set up.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// The connected app, the user and the session timeout. The org and user
    /// Ids in it are the org's own.
    pub oauth: OAuthConfig,
    /// Requests allowed per "day" before 403 `REQUEST_LIMIT_EXCEEDED`.
    pub daily_api_limit: u64,
    /// A seed file to load (see [`seed`] for the format).
    pub seed_path: Option<PathBuf>,
    /// A seed given directly; loaded after `seed_path`'s records.
    pub seed: Option<Seed>,
    /// Whether to load the sample Accounts, Contacts and Leads, and the two
    /// custom Contact fields they use (see `sample`).
    pub sample_data: bool,
    /// API versions served, as majors (`50..=66` is v50.0 to v66.0).
    pub api_versions: std::ops::RangeInclusive<u32>,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Most query locators kept open; the oldest is evicted beyond it.
    pub max_open_cursors: usize,
    /// Faults switched on from the start.
    pub faults: FaultConfig,
    /// The event bus's retention, keepalive and size (see [`cdc`]).
    pub event_bus: EventBusConfig,
}

impl Default for SandboxConfig {
    /// Client id `sandbox`, secret `sandbox`, user `dev@sandbox.local` with
    /// password `sandbox` (no security token), 2 h idle timeout, 100,000 API
    /// requests a day, sample data on, v50.0–v66.0, 16 MiB bodies, 10,000
    /// open locators, no faults, the event bus's defaults.
    fn default() -> Self {
        SandboxConfig {
            oauth: OAuthConfig::default(),
            daily_api_limit: 100_000,
            seed_path: None,
            seed: None,
            sample_data: true,
            api_versions: 50..=66,
            max_body_bytes: 16 * 1024 * 1024,
            max_open_cursors: 10_000,
            faults: FaultConfig::default(),
            event_bus: EventBusConfig::default(),
        }
    }
}

/// Why a sandbox could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// The seed file or seed data is wrong.
    #[error(transparent)]
    Seed(#[from] SeedError),
    /// A configuration value is wrong.
    #[error("sandbox config: {0}")]
    Config(String),
}

/// What every request handler shares.
#[derive(Debug)]
struct Shared {
    store: Store,
    auth: AuthServer,
    faults: Arc<Faults>,
    bus: Arc<EventBus>,
    /// The base URL the REST API was last served at (`instanceurl` of Pub/Sub API calls).
    instance_url: RwLock<Option<Arc<str>>>,
    /// The org Id (`tenantid` of Pub/Sub API calls).
    org_id: String,
    counters: Counters,
    usage: ApiUsage,
    cursors: Cursors,
    idempotency: IdempotencyKeys,
    /// When the metadata last changed (describe's `If-Modified-Since`).
    metadata: MetadataClock,
    /// The transaction gate: every API request holds it shared while its
    /// handler runs; an all-or-none Composite request holds it alone, so its
    /// subrequests form one transaction nothing else writes into.
    txn: tokio::sync::RwLock<()>,
    /// Served majors with their `"58.0"` text, made once (it goes in every request).
    versions: Vec<(u32, Arc<str>)>,
    max_body_bytes: usize,
}

impl Shared {
    /// The version a path segment names (`v58.0` or `latest`), as `"58.0"`.
    fn version(&self, seg: &str) -> Option<Arc<str>> {
        if seg == "latest" {
            return self.versions.last().map(|(_, v)| v.clone());
        }
        let major: u32 = seg.strip_prefix('v')?.strip_suffix(".0")?.parse().ok()?;
        self.versions
            .iter()
            .find(|(m, _)| *m == major)
            .map(|(_, v)| v.clone())
    }
}

/// A running (or ready) sandbox org. Cheap to clone: clones share the org.
#[derive(Debug, Clone)]
pub struct Sandbox {
    shared: Arc<Shared>,
}

impl Sandbox {
    /// Builds the org: standard objects, the seed, the sample data.
    pub fn new(config: SandboxConfig) -> Result<Sandbox, SandboxError> {
        let user = config.oauth.user_id.clone();
        for (id, prefix) in [(&config.oauth.org_id, "00D"), (&user, "005")] {
            if ids::parse(id).ok().as_ref() != Some(id) || !id.starts_with(prefix) {
                return Err(SandboxError::Config(format!(
                    "{id} is not an 18-character {prefix} Id"
                )));
            }
        }
        let mut seeds = Vec::new();
        if let Some(path) = &config.seed_path {
            let text = std::fs::read_to_string(path).map_err(|source| SeedError::Read {
                path: path.display().to_string(),
                source,
            })?;
            seeds.push(serde_json::from_str::<Seed>(&text).map_err(SeedError::Format)?);
        }
        seeds.extend(config.seed.clone());
        let mut objs = objects::standard(&user);
        let sample = config.sample_data.then(sample::sample);
        let all = Seed {
            objects: sample
                .iter()
                .chain(&seeds)
                .flat_map(|s| s.objects.clone())
                .collect(),
            ..Seed::default()
        };
        seed::apply_objects(&mut objs, &all, &user)?;
        let mut state = State::new(objs, user.clone());
        if let Some(ti) = state.type_index("User") {
            state.insert_raw(ti, user_record(&config.oauth, &user));
        }
        seed::check_rules(&state)?;
        let now = time::OffsetDateTime::now_utc();
        if let Some(sample) = &sample {
            seed::load_records(&mut state, &sample.records, now)?;
        }
        for s in &seeds {
            seed::load_records(&mut state, &s.records, now)?;
        }
        let faults = Arc::new(Faults::new(config.faults));
        let selection: Option<Vec<String>> = seeds
            .iter()
            .filter_map(|s| s.change_data_capture.clone())
            .reduce(|mut a, b| {
                a.extend(b);
                a
            });
        let bus = EventBus::new(
            state.objects(),
            selection.as_deref(),
            config.event_bus,
            user.clone(),
            faults.clone(),
        )
        .map_err(|problem| {
            SandboxError::Seed(SeedError::Object {
                object: "changeDataCapture".into(),
                problem,
            })
        })?;
        let bus = Arc::new(bus);
        state.capture_changes(bus.clone());
        let versions: Vec<(u32, Arc<str>)> = config
            .api_versions
            .clone()
            .map(|m| (m, Arc::from(format!("{m}.0"))))
            .collect();
        if versions.is_empty() {
            return Err(SandboxError::Config("no API versions".into()));
        }
        let org_id = config.oauth.org_id.clone();
        Ok(Sandbox {
            shared: Arc::new(Shared {
                store: Store::new(state),
                auth: AuthServer::new(config.oauth),
                faults,
                bus,
                instance_url: RwLock::new(None),
                org_id,
                counters: Counters::default(),
                usage: ApiUsage::new(config.daily_api_limit),
                cursors: Cursors::new(config.max_open_cursors),
                idempotency: IdempotencyKeys::default(),
                metadata: MetadataClock::new(now, config.faults.hide_topics),
                txn: tokio::sync::RwLock::new(()),
                versions,
                max_body_bytes: config.max_body_bytes,
            }),
        })
    }

    /// Every route: the REST API, the OAuth endpoints and `/__sandbox/…`.
    /// `instance_url` is what token responses name as the org's URL.
    /// Dropped-connection faults need [`Sandbox::serve`]; served another way
    /// they become a bare 500.
    pub fn router(&self, instance_url: String) -> axum::Router {
        *self
            .shared
            .instance_url
            .write()
            .unwrap_or_else(PoisonError::into_inner) =
            Some(Arc::from(instance_url.trim_end_matches('/')));
        routes::router(self.shared.clone(), instance_url)
    }

    /// The event bus: Change Data Capture selection, retention, open streams.
    pub fn event_bus(&self) -> &Arc<EventBus> {
        &self.shared.bus
    }

    /// Restores a record from the recycle bin, as a user in the Recycle Bin would (an
    /// `UNDELETE` change event with an empty `changeOrigin`). `id` may be 15 or 18
    /// characters. Errors: `NOT_FOUND` (no such record), `UNDELETE_FAILED` (not deleted),
    /// `DUPLICATE_VALUE` (see [`store::State::undelete`]).
    pub fn undelete(&self, id: &str) -> Result<(), errors::SfError> {
        let id18 = ids::parse(id).map_err(|_| errors::SfError::not_found())?;
        self.shared
            .store
            .write()
            .undelete(&id18, time::OffsetDateTime::now_utc())
    }

    /// The OAuth server: issue or revoke sessions directly.
    pub fn auth(&self) -> &AuthServer {
        &self.shared.auth
    }

    /// The fault switches.
    pub fn faults(&self) -> &Faults {
        &self.shared.faults
    }

    /// Requests by route kind since the last reset, and the in-flight peak.
    pub fn requests(&self) -> RequestCounts {
        self.shared.counters.snapshot()
    }

    /// Zeroes the request counts and the peak.
    pub fn reset_counts(&self) {
        self.shared.counters.reset();
    }

    /// API requests used and the daily limit.
    pub fn api_usage(&self) -> (u64, u64) {
        self.shared.usage.get()
    }

    /// Changes the daily limit.
    pub fn set_daily_api_limit(&self, limit: u64) {
        self.shared.usage.set_limit(limit);
    }

    /// Forgets the API requests used, as a new day would.
    pub fn reset_api_usage(&self) {
        self.shared.usage.reset();
    }

    /// Marks the metadata of `sobject` (or, with `None`, of every sObject) as
    /// changed now, as adding a field in Setup would: a describe sent with an
    /// earlier `If-Modified-Since` gets the full answer again instead of 304.
    /// Returns the time recorded (see [`metadata_clock`]).
    pub fn touch_metadata(&self, sobject: Option<&str>) -> time::OffsetDateTime {
        self.shared
            .metadata
            .touch(sobject, time::OffsetDateTime::now_utc())
    }

    /// How many records the org holds, deleted ones included.
    pub fn record_count(&self) -> usize {
        self.shared.store.read().len()
    }

    /// Runs `f` over the org's records (for tests and tools; holds the read lock).
    pub fn with_data<R>(&self, f: impl FnOnce(&dyn soql::DataSource) -> R) -> R {
        f(&*self.shared.store.read())
    }
}

fn user_record(oauth: &OAuthConfig, user: &str) -> soql::Record {
    let stamp = values::system_stamp(time::OffsetDateTime::now_utc());
    let mut r = soql::Record::new();
    for (k, v) in [
        ("Id", user.into()),
        ("IsDeleted", false.into()),
        ("CreatedDate", stamp.clone().into()),
        ("CreatedById", user.into()),
        ("LastModifiedDate", stamp.clone().into()),
        ("LastModifiedById", user.into()),
        ("SystemModstamp", stamp.into()),
        ("Username", oauth.username.clone().into()),
        ("FirstName", "Sandbox".into()),
        ("LastName", "Developer".into()),
        ("Name", "Sandbox Developer".into()),
        ("Email", oauth.username.clone().into()),
        ("IsActive", true.into()),
    ] {
        r.insert(k.to_owned(), v);
    }
    r
}
