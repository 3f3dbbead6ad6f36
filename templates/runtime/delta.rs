//! Delta queries: the items of a `delta` function's pages are changes since the last round,
//! each an object that was added or changed, or one that was removed (`@removed`). The last page
//! carries the `@odata.deltaLink` of the next round ([`Pages::delta_link`](super::Pages::delta_link)).

use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One item of a delta page.
#[derive(Debug, Clone, PartialEq)]
pub enum Delta<T> {
    /// Added or changed: on the first round the whole object, on later rounds at least the
    /// properties that changed.
    Changed(T),
    /// Gone from the results (`"@removed": {"reason": "deleted" | "changed"}`).
    Removed(Removed),
}

/// An item a delta round reports as removed.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Removed {
    /// The object's id.
    pub id: Option<String>,
    /// `deleted` (gone for good) or `changed` (e.g. no longer matches; it may come back).
    pub reason: Option<String>,
    /// The item as Graph sent it (`id`, `@removed` and anything else), written back unchanged.
    pub raw: serde_json::Map<String, serde_json::Value>,
}

impl<T> Delta<T> {
    /// The object, when added or changed.
    pub fn changed(&self) -> Option<&T> {
        match self {
            Delta::Changed(t) => Some(t),
            Delta::Removed(_) => None,
        }
    }

    /// The removal, when removed.
    pub fn removed(&self) -> Option<&Removed> {
        match self {
            Delta::Changed(_) => None,
            Delta::Removed(r) => Some(r),
        }
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Delta<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        if let serde_json::Value::Object(raw) = &value {
            if let Some(removed) = raw.get("@removed") {
                let text = |v: Option<&serde_json::Value>| v.and_then(serde_json::Value::as_str).map(str::to_owned);
                return Ok(Delta::Removed(Removed {
                    id: text(raw.get("id")),
                    reason: text(removed.get("reason")),
                    raw: raw.clone(),
                }));
            }
        }
        super::json_path::from_value::<T>(&value)
            .map(Delta::Changed)
            .map_err(|(path, message)| D::Error::custom(format!("{message} (at `{path}` of the item)")))
    }
}

impl<T: Serialize> Serialize for Delta<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Delta::Changed(t) => t.serialize(serializer),
            Delta::Removed(r) => r.raw.serialize(serializer),
        }
    }
}
