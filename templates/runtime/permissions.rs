//! The permissions table's row type and the lookup of a concrete request URL in it; the
//! permission itself as an app registration needs it ([`Permission`]), and what a refused call
//! needs ([`RequiredPermission`]).

use std::fmt;

/// Microsoft Graph's application id: the `resourceAppId` of its permissions in an app
/// registration's `requiredResourceAccess` (the same in the national clouds).
pub const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";

/// The two ways a permission is granted to an app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConsentType {
    /// With a signed-in user: a delegated permission (an OAuth2 scope). [`Delegated`](super::Delegated) clients.
    Delegated,
    /// App-only: an application permission (an app role). [`AppOnly`](super::AppOnly) clients.
    Application,
}

impl ConsentType {
    /// `Scope` or `Role`: the permission's `type` in `requiredResourceAccess`.
    pub fn resource_access_type(self) -> &'static str {
        match self {
            ConsentType::Delegated => "Scope",
            ConsentType::Application => "Role",
        }
    }
}

impl fmt::Display for ConsentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ConsentType::Delegated => "delegated",
            ConsentType::Application => "application",
        })
    }
}

/// A Graph permission as an app registration needs it: `permissions::PERMISSION` of a generated
/// crate. From Graph's permissions.json (names, descriptions, admin consent, privilege level) and
/// the ids recorded in the generator's `metadata/permission-ids.yaml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Permission {
    /// E.g. `Group.ReadWrite.All`.
    pub name: &'static str,
    /// Its delegated form, if Graph offers one.
    pub delegated: Option<ConsentDetails>,
    /// Its application form, if Graph offers one.
    pub application: Option<ConsentDetails>,
}

impl Permission {
    /// The permission's form for `consent`, if Graph offers it.
    pub fn consent(&self, consent: ConsentType) -> Option<&ConsentDetails> {
        match consent {
            ConsentType::Delegated => self.delegated.as_ref(),
            ConsentType::Application => self.application.as_ref(),
        }
    }
}

/// One consent type of a [`Permission`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConsentDetails {
    /// The id that goes into `requiredResourceAccess` (the app role's or the scope's), where it
    /// is known; `None` rather than a guess (look it up on Microsoft Graph's service principal:
    /// `appRoles` or `oauth2PermissionScopes`).
    pub id: Option<&'static str>,
    /// What an administrator sees when consenting.
    pub display_name: &'static str,
    /// What an administrator reads about it.
    pub description: &'static str,
    /// What a consenting user sees (delegated only).
    pub user_display_name: Option<&'static str>,
    /// What a consenting user reads (delegated only).
    pub user_description: Option<&'static str>,
    /// Only an administrator can grant it.
    pub admin_consent_required: bool,
    /// Graph's privilege level, 1 (low) to 5 (high), where given.
    pub privilege_level: Option<u8>,
}

/// What a call Graph refused with `403 Authorization_RequestDenied` needs: the crate's
/// permission, under the consent type of the client that made it ([`ErrorDetails::required_permission`](super::ErrorDetails::required_permission)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequiredPermission {
    /// The crate's permission.
    pub permission: &'static Permission,
    /// The consent type of the client that made the call.
    pub consent: ConsentType,
    /// The row of the permissions table for the call.
    pub method: &'static MethodPermission,
}

impl fmt::Display for RequiredPermission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.method;
        write!(f, "`{} {}` needs the {} permission `{}`", m.http_method, m.path, self.consent, self.permission.name)?;
        if let Some(details) = self.permission.consent(self.consent) {
            let kind = self.consent.resource_access_type();
            match details.id {
                Some(id) => write!(f, " ({kind} {id} of Microsoft Graph)")?,
                None => write!(f, " (a {kind} of Microsoft Graph)")?,
            }
            if details.admin_consent_required {
                write!(f, ", granted to the app by an administrator (admin consent)")?;
            }
        }
        if self.consent == ConsentType::Delegated {
            write!(f, "; the signed-in user also needs a role that allows it")?;
        }
        let least = match self.consent {
            ConsentType::Delegated => m.least_privileged_delegated,
            ConsentType::Application => m.least_privileged_application,
        };
        if !least.is_empty() && least != [self.permission.name] {
            write!(f, "; least privileged for it: {}", least.join(", "))?;
        }
        Ok(())
    }
}

/// What a refused call needs, from the crate's permissions table and permissions: of the crate's
/// permissions that allow the call under `consent`, the least privileged.
pub(crate) fn required(
    api: &'static ApiInfo,
    consent: ConsentType,
    method: &str,
    url: &str,
) -> Option<RequiredPermission> {
    let row = find(api.permissions, method, url)?;
    let allowed = match consent {
        ConsentType::Delegated => row.delegated,
        ConsentType::Application => row.application,
    };
    let least = row.granted_by.iter().find(|g| match consent {
        ConsentType::Delegated => g.delegated && g.least_privileged_delegated,
        ConsentType::Application => g.application && g.least_privileged_application,
    });
    let permission = least.and_then(|g| api.set.iter().find(|p| p.name == g.permission)).unwrap_or(api.permission);
    allowed.then_some(RequiredPermission { permission, consent, method: row })
}

/// What a generated crate tells the runtime about itself: its API version, its name (the
/// default user agent) and its permissions table (what a refused call needs).
#[doc(hidden)]
#[derive(Debug)]
pub struct ApiInfo {
    /// `v1.0` or `beta`: the version of the crate's main API, in the default base URL.
    pub api_version: &'static str,
    /// The crate's package name, named in errors.
    pub crate_name: &'static str,
    /// The default `User-Agent`: `<crate name>/<version>`.
    pub user_agent: &'static str,
    /// The crate's first permission.
    pub permission: &'static Permission,
    /// Every permission of the crate.
    pub set: &'static [Permission],
    /// The crate's permissions table.
    pub permissions: &'static [MethodPermission],
}

/// One segment of a row's path template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathSegment {
    /// A fixed name, compared case-insensitively.
    Literal(&'static str),
    /// A key: any one segment.
    Param(&'static str),
    /// A function call with these parameter names.
    Function {
        /// The function's name.
        name: &'static str,
        /// Its parameter names.
        params: &'static [&'static str],
    },
    /// `$ref`.
    Ref,
}

/// Which consents allow one operation, and the least-privileged permissions for it. A row of the
/// generated table; it may gain fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct MethodPermission {
    /// `v1.0` or `beta`.
    pub api_version: &'static str,
    /// `GET`, `POST`, ...
    pub http_method: &'static str,
    /// The path template, with `{...}` placeholders for keys (e.g. `/groups/{group-id}`).
    pub path: &'static str,
    /// The template, split.
    pub segments: &'static [PathSegment],
    /// Allowed with a signed-in user (delegated consent).
    pub delegated: bool,
    /// Allowed app-only (application consent).
    pub application: bool,
    /// The least-privileged permissions that allow it with a signed-in user.
    pub least_privileged_delegated: &'static [&'static str],
    /// The least-privileged permissions that allow it app-only.
    pub least_privileged_application: &'static [&'static str],
    /// The generated method, e.g. `<crate>::api::GroupsRequestBuilder::list`.
    pub rust: &'static str,
    /// The Microsoft Graph PowerShell cmdlet that calls the same operation, e.g.
    /// `Get-MgGroupMember` (derived the way the PowerShell SDK names its cmdlets).
    pub powershell: Option<&'static str>,
    /// The crate's permissions that allow it (a crate generated for several permissions, an app
    /// registration's whole grant, says which of them), in the crate's order.
    pub granted_by: &'static [GrantedBy],
}

/// One of the crate's permissions that allows an operation, under which consents, and whether it
/// is the least privileged of the crate's permissions that do. It may gain fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct GrantedBy {
    /// The permission, e.g. `User.Read.All`.
    pub permission: &'static str,
    /// It allows the operation with a signed-in user.
    pub delegated: bool,
    /// It allows the operation app-only.
    pub application: bool,
    /// Of the crate's permissions that allow the operation with a signed-in user, this one has
    /// the lowest privilege level.
    pub least_privileged_delegated: bool,
    /// The same, app-only.
    pub least_privileged_application: bool,
}

/// The rows of `table` whose operation the Microsoft Graph PowerShell cmdlet `cmdlet` calls
/// (compared without regard to case, as PowerShell does): a cmdlet may stand for several
/// operations (`Get-Mg...` lists and reads one item).
pub fn find_cmdlet<'a>(
    table: &'static [MethodPermission],
    cmdlet: &'a str,
) -> impl Iterator<Item = &'static MethodPermission> + 'a {
    let cmdlet = cmdlet.trim();
    table.iter().filter(move |row| row.powershell.is_some_and(|c| c.eq_ignore_ascii_case(cmdlet)))
}

/// Finds the row of `table` for a concrete request: `method` and a URL with real ids, query
/// strings and function arguments, absolute or not, with or without the version prefix.
/// Literal segments beat keys, so `.../things/someFunction(on='x')` finds the
/// function, not the item.
pub fn find(table: &'static [MethodPermission], method: &str, url: &str) -> Option<&'static MethodPermission> {
    let (version, segments) = split_url(url);
    let mut best: Option<(usize, &'static MethodPermission)> = None;
    for row in table {
        if !row.http_method.eq_ignore_ascii_case(method) || version.is_some_and(|v| v != row.api_version) {
            continue;
        }
        if let Some(score) = score(row.segments, &segments) {
            if best.is_none_or(|(s, _)| score > s) {
                best = Some((score, row));
            }
        }
    }
    best.map(|(_, row)| row)
}

/// The version prefix (if any) and the path segments of a URL.
fn split_url(url: &str) -> (Option<&str>, Vec<&str>) {
    let mut path = url.trim();
    if let Some(i) = path.find("://") {
        let rest = &path[i + 3..];
        path = rest.find('/').map_or("", |j| &rest[j..]);
    }
    let end = path.find(['?', '#']).unwrap_or(path.len());
    let path = &path[..end];
    let mut segments = split_segments(path.trim_matches('/'));
    let version = match segments.first() {
        Some(&v) if v.eq_ignore_ascii_case("v1.0") || v.eq_ignore_ascii_case("beta") => {
            segments.remove(0);
            Some(if v.eq_ignore_ascii_case("beta") { "beta" } else { "v1.0" })
        }
        _ => None,
    };
    // `things('id')` is the collection and a key.
    let mut out = Vec::with_capacity(segments.len());
    for s in segments {
        match s.find("('") {
            Some(open) if s.ends_with("')") && s.len() >= open + 4 && !s[open..].contains("',") => {
                out.push(&s[..open]);
                out.push(&s[open + 2..s.len() - 2]);
            }
            _ => out.push(s),
        }
    }
    (version, out)
}

/// Splits at `/` outside quotes and parentheses.
fn split_segments(path: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut quoted, mut start) = (0usize, false, 0usize);
    for (i, c) in path.char_indices() {
        match c {
            // Quotes delimit literals only inside a call's parentheses; an id may hold a bare `'`.
            '\'' if depth > 0 => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth = depth.saturating_sub(1),
            '/' if !quoted && depth == 0 => {
                out.push(&path[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if start < path.len() {
        out.push(&path[start..]);
    }
    out
}

/// How well `segments` match `template` (literal matches), or `None`.
fn score(template: &[PathSegment], segments: &[&str]) -> Option<usize> {
    if template.len() != segments.len() {
        return None;
    }
    let mut score = 0;
    for (t, s) in template.iter().zip(segments) {
        match t {
            PathSegment::Literal(l) => {
                if !strip_namespace(s).eq_ignore_ascii_case(l) {
                    return None;
                }
                score += 1;
            }
            PathSegment::Param(_) => {
                if s.is_empty() || looks_like_call(s) {
                    return None;
                }
            }
            PathSegment::Ref => {
                if *s != "$ref" {
                    return None;
                }
                score += 1;
            }
            PathSegment::Function { name, params } => {
                let open = s.find('(')?;
                if !strip_namespace(&s[..open]).eq_ignore_ascii_case(name) || !s.ends_with(')') {
                    return None;
                }
                let args = &s[open + 1..s.len() - 1];
                let names: Vec<&str> = if args.trim().is_empty() {
                    Vec::new()
                } else {
                    split_args(args).into_iter().map(|a| a.split('=').next().unwrap_or("").trim()).collect()
                };
                let same = names.len() == params.len()
                    && params.iter().all(|p| names.iter().any(|n| n.eq_ignore_ascii_case(p)));
                if !same {
                    return None;
                }
                score += 1;
            }
        }
    }
    Some(score)
}

/// `name(...=...)` or `name()`: a function call, never a key.
fn looks_like_call(s: &str) -> bool {
    let Some(open) = s.find('(') else { return false };
    let name = &s[..open];
    let args = &s[open..];
    !name.is_empty()
        && name.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '.')
        && args.ends_with(')')
        && (args == "()" || args.contains('='))
}

fn split_args(args: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut quoted, mut start) = (false, 0usize);
    for (i, c) in args.char_indices() {
        match c {
            '\'' => quoted = !quoted,
            ',' if !quoted => {
                out.push(&args[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&args[start..]);
    out
}

fn strip_namespace(s: &str) -> &str {
    s.strip_prefix("microsoft.graph.").unwrap_or(s)
}

/// The generated permissions tables' constructors: a generated crate writes every field (it is
/// regenerated with the runtime), while the types stay `#[non_exhaustive]` for everyone else.
#[doc(hidden)]
#[allow(missing_docs)] // the fields of the types they build, documented there
pub mod init {
    use crate::permissions::{ConsentDetails, GrantedBy, MethodPermission, PathSegment, Permission};

    /// Every field of [`Permission`].
    #[derive(Debug, Clone, Copy)]
    pub struct PermissionInit {
        pub name: &'static str,
        pub delegated: Option<ConsentDetails>,
        pub application: Option<ConsentDetails>,
    }

    impl Permission {
        /// The value of these fields.
        #[doc(hidden)]
        pub const fn from_init(init: PermissionInit) -> Permission {
            Permission { name: init.name, delegated: init.delegated, application: init.application }
        }
    }

    /// Every field of [`ConsentDetails`].
    #[derive(Debug, Clone, Copy)]
    pub struct ConsentDetailsInit {
        pub id: Option<&'static str>,
        pub display_name: &'static str,
        pub description: &'static str,
        pub user_display_name: Option<&'static str>,
        pub user_description: Option<&'static str>,
        pub admin_consent_required: bool,
        pub privilege_level: Option<u8>,
    }

    impl ConsentDetails {
        /// The value of these fields.
        #[doc(hidden)]
        pub const fn from_init(init: ConsentDetailsInit) -> ConsentDetails {
            ConsentDetails {
                id: init.id,
                display_name: init.display_name,
                description: init.description,
                user_display_name: init.user_display_name,
                user_description: init.user_description,
                admin_consent_required: init.admin_consent_required,
                privilege_level: init.privilege_level,
            }
        }
    }

    /// Every field of [`MethodPermission`].
    #[derive(Debug, Clone, Copy)]
    pub struct MethodPermissionInit {
        pub api_version: &'static str,
        pub http_method: &'static str,
        pub path: &'static str,
        pub segments: &'static [PathSegment],
        pub delegated: bool,
        pub application: bool,
        pub least_privileged_delegated: &'static [&'static str],
        pub least_privileged_application: &'static [&'static str],
        pub rust: &'static str,
        pub powershell: Option<&'static str>,
        pub granted_by: &'static [GrantedBy],
    }

    impl MethodPermission {
        /// The value of these fields.
        #[doc(hidden)]
        pub const fn from_init(init: MethodPermissionInit) -> MethodPermission {
            MethodPermission {
                api_version: init.api_version,
                http_method: init.http_method,
                path: init.path,
                segments: init.segments,
                delegated: init.delegated,
                application: init.application,
                least_privileged_delegated: init.least_privileged_delegated,
                least_privileged_application: init.least_privileged_application,
                rust: init.rust,
                powershell: init.powershell,
                granted_by: init.granted_by,
            }
        }
    }

    /// Every field of [`GrantedBy`].
    #[derive(Debug, Clone, Copy)]
    pub struct GrantedByInit {
        pub permission: &'static str,
        pub delegated: bool,
        pub application: bool,
        pub least_privileged_delegated: bool,
        pub least_privileged_application: bool,
    }

    impl GrantedBy {
        /// The value of these fields.
        #[doc(hidden)]
        pub const fn from_init(init: GrantedByInit) -> GrantedBy {
            GrantedBy {
                permission: init.permission,
                delegated: init.delegated,
                application: init.application,
                least_privileged_delegated: init.least_privileged_delegated,
                least_privileged_application: init.least_privileged_application,
            }
        }
    }
}
