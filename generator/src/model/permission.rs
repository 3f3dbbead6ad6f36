//! The permission itself, as an app registration needs it: per consent type its id (where
//! known), display name, description, whether an administrator must consent, and its privilege
//! level. From permissions.json's `schemes` and `metadata/permission-ids.yaml`.

use std::path::Path;

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::frontend::permissions::Permission;
use crate::inputs::permission_ids::Ids;

/// The crate's permission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionInfo {
    /// E.g. `EntitlementManagement.ReadWrite.All`.
    pub name: String,
    /// With a signed-in user (permissions.json's `DelegatedWork` scheme; a scope, `Scope`).
    pub delegated: Option<ConsentInfo>,
    /// App-only (the `Application` scheme; an app role, `Role`).
    pub application: Option<ConsentInfo>,
    /// Where the ids were read, when they were.
    pub ids_source: Option<String>,
}

/// One consent type of the permission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentInfo {
    /// The GUID that goes into `requiredResourceAccess`, where recorded.
    pub id: Option<String>,
    /// What an administrator sees.
    pub display_name: String,
    pub description: String,
    /// What a consenting user sees (delegated only).
    pub user_display_name: Option<String>,
    pub user_description: Option<String>,
    pub admin_consent_required: bool,
    /// permissions.json's privilege level (1 low to 5 high), where given.
    pub privilege_level: Option<u8>,
}

/// A scheme as permissions.json writes it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Scheme {
    #[serde(default)]
    admin_display_name: String,
    #[serde(default)]
    admin_description: String,
    #[serde(default)]
    user_display_name: Option<String>,
    #[serde(default)]
    user_description: Option<String>,
    #[serde(default)]
    requires_admin_consent: bool,
    #[serde(default)]
    privilege_level: Option<u8>,
}

/// The permission `name` from its permissions.json entry and its recorded ids. An id recorded for
/// a consent type permissions.json does not offer is an error naming `ids_file`.
pub fn describe(
    name: &str,
    entry: Option<&Permission>,
    ids: Option<&Ids>,
    permissions_file: &Path,
    ids_file: &Path,
) -> Result<PermissionInfo> {
    let scheme = |key: &str, id: Option<String>| -> Result<Option<ConsentInfo>> {
        let Some(value) = entry.and_then(|e| e.schemes.get(key)) else {
            return Ok(None);
        };
        let s: Scheme = serde_json::from_value(value.clone())
            .map_err(|e| Error::file(permissions_file, format!("permissions.{name}.schemes.{key}: {e}")))?;
        let nonempty = |t: Option<String>| t.filter(|t| !t.trim().is_empty());
        Ok(Some(ConsentInfo {
            id,
            display_name: s.admin_display_name,
            description: s.admin_description,
            user_display_name: nonempty(s.user_display_name),
            user_description: nonempty(s.user_description),
            admin_consent_required: s.requires_admin_consent,
            privilege_level: s.privilege_level,
        }))
    };
    let delegated_id = ids.and_then(|i| i.delegated.as_ref()).map(|g| g.0.clone());
    let application_id = ids.and_then(|i| i.application.as_ref()).map(|g| g.0.clone());
    let delegated = scheme("DelegatedWork", delegated_id.clone())?;
    let application = scheme("Application", application_id.clone())?;
    for (consent, id, offered) in
        [("delegated", &delegated_id, delegated.is_some()), ("application", &application_id, application.is_some())]
    {
        if id.is_some() && !offered {
            return Err(Error::file(
                ids_file,
                format!("`{name}` has a {consent} id, but permissions.json offers no {consent} consent for it"),
            ));
        }
    }
    Ok(PermissionInfo { name: name.to_string(), delegated, application, ids_source: ids.map(|i| i.source.clone()) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::permission_ids::Guid;

    fn entry(json: &str) -> Permission {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn schemes_and_ids_make_the_consent_types() {
        let e = entry(
            r#"{"schemes": {
                "DelegatedWork": {"adminDisplayName": "Read D", "adminDescription": "Allows D.",
                                  "userDisplayName": "Read yours", "userDescription": "", "requiresAdminConsent": true,
                                  "privilegeLevel": 3},
                "DelegatedPersonal": {"adminDisplayName": "MSA"},
                "Application": {"adminDisplayName": "Read A", "adminDescription": "Allows A.", "requiresAdminConsent": true}
            }}"#,
        );
        let ids = Ids { source: "page".into(), application: Some(Guid("0000".into())), delegated: None };
        let p = describe("X.Read.All", Some(&e), Some(&ids), Path::new("p.json"), Path::new("ids.yaml")).unwrap();
        let d = p.delegated.unwrap();
        assert_eq!((d.id, d.display_name.as_str(), d.privilege_level), (None, "Read D", Some(3)));
        assert_eq!((d.user_display_name.as_deref(), d.user_description), (Some("Read yours"), None));
        let a = p.application.unwrap();
        assert_eq!((a.id.as_deref(), a.admin_consent_required, a.user_display_name), (Some("0000"), true, None));
        assert_eq!(p.ids_source.as_deref(), Some("page"));
    }

    #[test]
    fn an_id_for_a_consent_type_the_permission_lacks_is_an_error() {
        let e = entry(r#"{"schemes": {"DelegatedWork": {"adminDisplayName": "D"}}}"#);
        let ids = Ids { source: "page".into(), application: Some(Guid("0000".into())), delegated: None };
        let err = describe("X.Read", Some(&e), Some(&ids), Path::new("p.json"), Path::new("ids.yaml")).unwrap_err();
        assert!(err.to_string().contains("ids.yaml") && err.to_string().contains("no application consent"), "{err}");
    }
}
