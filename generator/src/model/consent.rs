//! Consent: joins the method manifest, permissions.json (all permissions) and
//! `metadata/overrides.yaml` into, per operation, which consents allow it, which sources say so,
//! and the least-privileged permissions per scheme; and reports where the sources disagree.
//!
//! The manifest (the permission's reference page) wins over permissions.json; every disagreement
//! must be explained by an override, or `--check` fails.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::error::{Error, Result};
use crate::frontend::permissions::{Grant, PermissionsFile, Scheme};
use crate::inputs::manifest::Manifest;
use crate::inputs::overrides::{DriftKind, DriftOverride, Overrides};
use crate::model::types::{Api, Consent, GrantedBy, Source};
use crate::paths::matcher::{self, Aliases, PathKey};

/// One difference between the sources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriftItem {
    pub kind: DriftKind,
    pub http_method: String,
    /// As the source that has it writes it.
    pub path: String,
    pub key: PathKey,
    pub detail: String,
    /// Index of the override that explains it.
    pub explained_by: Option<usize>,
}

/// Every difference, and the overrides that explain none.
#[derive(Debug, Clone, Default)]
pub struct DriftReport {
    pub items: Vec<DriftItem>,
    pub unused_overrides: Vec<String>,
    pub overrides_file: PathBuf,
    /// The reason of each drift override, by index (what [`DriftItem::explained_by`] points at).
    pub reasons: Vec<String>,
    /// With several permissions: where their permissions.json data disagree on an operation
    /// (least-privileged markers), one line each. Reported, not an error.
    pub set_conflicts: Vec<String>,
}

impl DriftReport {
    pub fn unexplained(&self) -> impl Iterator<Item = &DriftItem> {
        self.items.iter().filter(|i| i.explained_by.is_none())
    }

    pub fn is_clean(&self) -> bool {
        self.unexplained().next().is_none() && self.unused_overrides.is_empty()
    }

    /// One line per unexplained item and per unused override.
    pub fn problems(&self) -> Vec<String> {
        self.unexplained()
            .map(|i| format!("{}: {} {} ({})", i.kind.describe(), i.http_method, i.path, i.detail))
            .chain(self.unused_overrides.iter().map(|o| format!("override explains nothing any more: {o}")))
            .collect()
    }

    /// `--check`: an error listing the problems.
    pub fn check(&self) -> Result<()> {
        if self.is_clean() {
            Ok(())
        } else {
            Err(Error::Drift { file: self.overrides_file.clone(), items: self.problems() })
        }
    }
}

/// Which permission grants (method, path) under which schemes.
#[derive(Debug, Clone)]
struct Granting {
    permission: Rc<str>,
    /// Shared by every path and method of one path set.
    schemes: Rc<BTreeSet<Scheme>>,
    least: BTreeSet<Scheme>,
    /// permissions.json `privilegeLevel` per scheme (shared by the permission's grants).
    levels: Rc<BTreeMap<Scheme, i64>>,
}

/// permissions.json indexed by (HTTP method, path key).
pub struct PermissionIndex {
    by_key: BTreeMap<(String, PathKey), Vec<Granting>>,
    /// path key -> permission -> the HTTP methods it grants there (for the least-privileged
    /// tie-break, without scanning the whole index per candidate).
    methods_by_path: BTreeMap<PathKey, BTreeMap<String, BTreeSet<String>>>,
    /// permissions.json `privilegeLevel` per permission and scheme.
    levels: BTreeMap<Rc<str>, Rc<BTreeMap<Scheme, i64>>>,
}

impl PermissionIndex {
    /// Indexes the paths whose first segment is in `roots` (lower case, aliases applied): the
    /// lookups below only ever ask for keys of the generated operations, so the other paths of
    /// permissions.json (most of it) need not be normalised.
    pub fn new(file: &PermissionsFile, aliases: &Aliases, roots: &BTreeSet<String>) -> PermissionIndex {
        let mut by_key: BTreeMap<(String, PathKey), Vec<Granting>> = BTreeMap::new();
        let mut methods_by_path: BTreeMap<PathKey, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
        // Many permissions list the same paths: normalise each distinct path once.
        let mut keys: HashMap<&str, PathKey> = HashMap::new();
        let mut all_levels = BTreeMap::new();
        for (name, permission) in &file.permissions {
            let levels: Rc<BTreeMap<Scheme, i64>> = Rc::new(
                permission
                    .schemes
                    .iter()
                    .filter_map(|(k, v)| Some((Scheme::parse(k)?, v.get("privilegeLevel")?.as_i64()?)))
                    .collect(),
            );
            let name_rc: Rc<str> = Rc::from(name.as_str());
            all_levels.insert(name_rc.clone(), levels.clone());
            for set in &permission.path_sets {
                let schemes: Rc<BTreeSet<Scheme>> =
                    Rc::new(set.scheme_keys.iter().filter_map(|s| Scheme::parse(s)).collect());
                for (path, annotation) in &set.paths {
                    let first = path.trim_start().trim_start_matches('/');
                    let first = &first[..first.find(['/', '(', '?']).unwrap_or(first.len())];
                    if !roots
                        .contains(aliases.apply(&crate::paths::syntax::strip_namespace(first).to_ascii_lowercase()))
                    {
                        continue;
                    }
                    let key = keys.entry(path.as_str()).or_insert_with(|| matcher::normalize(path, aliases)).clone();
                    let granted = methods_by_path.entry(key.clone()).or_default().entry(name.clone()).or_default();
                    granted.extend(set.methods.iter().map(|m| m.to_ascii_uppercase()));
                    for method in &set.methods {
                        by_key.entry((method.to_ascii_uppercase(), key.clone())).or_default().push(Granting {
                            permission: name_rc.clone(),
                            schemes: schemes.clone(),
                            least: crate::frontend::permissions::parse_least(annotation),
                            levels: levels.clone(),
                        });
                    }
                }
            }
        }
        PermissionIndex { by_key, methods_by_path, levels: all_levels }
    }

    /// The privilege level of `permission` for consents of one kind (the lowest of its delegated
    /// schemes, or its application scheme); unknown levels rank last.
    fn level(&self, permission: &str, delegated: bool) -> i64 {
        self.levels.get(permission).map_or(i64::MAX, |levels| level_of(levels, delegated))
    }

    fn get(&self, method: &str, key: &PathKey) -> &[Granting] {
        self.by_key.get(&(method.to_string(), key.clone())).map_or(&[], Vec::as_slice)
    }

    /// The least-privileged permissions for `method` on any of `keys`, per scheme group.
    fn least_privileged(&self, method: &str, keys: &[PathKey], delegated: bool) -> Vec<String> {
        let in_group = |s: &Scheme| s.is_delegated() == delegated;
        let grants: Vec<&Granting> =
            keys.iter().flat_map(|k| self.get(method, k)).filter(|g| g.schemes.iter().any(in_group)).collect();
        // The permissions marked least-privileged (a path set marked for its PATCH also lists its
        // GET, so several can be marked); when none is, every grant competes. Of those, the ones
        // with the lowest privilege level win.
        let marked: Vec<&Granting> = grants.iter().copied().filter(|g| g.least.iter().any(in_group)).collect();
        let candidates = if marked.is_empty() { grants } else { marked };
        // Ties go to the permission that grants fewer methods on the same path (Read.All grants
        // GET where ReadWrite.All grants GET and PATCH).
        let rank = |g: &Granting| (level_of(&g.levels, delegated), self.methods_granted(&g.permission, keys));
        let ranked: Vec<_> = candidates.iter().map(|g| (rank(g), g)).collect();
        let best = ranked.iter().map(|(r, _)| *r).min();
        let chosen: BTreeSet<String> =
            ranked.iter().filter(|(r, _)| Some(*r) == best).map(|(_, g)| g.permission.to_string()).collect();
        chosen.into_iter().collect()
    }

    /// How many HTTP methods `permission` grants on any of `keys`.
    fn methods_granted(&self, permission: &str, keys: &[PathKey]) -> usize {
        keys.iter()
            .filter_map(|k| self.methods_by_path.get(k)?.get(permission))
            .flatten()
            .collect::<BTreeSet<_>>()
            .len()
    }
}

/// Decides each operation's consent, sources and least-privileged permissions (the one place
/// consent is decided), and reports where the manifest and permissions.json drift.
/// `permissions` is the crate's set, the first being the one `grants` and the manifest are
/// about; with several, an operation's consent is the union of theirs.
pub fn apply(
    apis: &mut [Api],
    manifest: &Manifest,
    file: &PermissionsFile,
    grants: &[Grant],
    permissions: &[&str],
    overrides: &Overrides,
    overrides_file: &Path,
) -> DriftReport {
    let aliases = Aliases::new(&overrides.aliases);
    let set_conflicts = decide(apis, file, permissions, &aliases);
    DriftReport { set_conflicts, ..drift(manifest, grants, overrides, overrides_file, &aliases) }
}

/// The lowest of `levels` among the schemes of one kind of consent; none ranks last.
fn level_of(levels: &BTreeMap<Scheme, i64>, delegated: bool) -> i64 {
    levels.iter().filter(|(s, _)| s.is_delegated() == delegated).map(|(_, l)| *l).min().unwrap_or(i64::MAX)
}

/// Consent: the reference page's markers when it lists the operation, else what permissions.json
/// grants the permission; with several permissions, the union over them (each one's share in
/// [`crate::model::types::Operation::granted_by`]); sources; least-privileged permissions per
/// consent scheme. Returns where the set's permissions.json data disagree.
fn decide(apis: &mut [Api], file: &PermissionsFile, permissions: &[&str], aliases: &Aliases) -> Vec<String> {
    let permission = permissions.first().copied().unwrap_or_default();
    let roots: BTreeSet<String> = apis
        .iter()
        .flat_map(|a| &a.operations)
        .flat_map(|op| std::iter::once(&op.template).chain(&op.spec_paths))
        .filter_map(|p| matcher::normalize(p, aliases).0.split('/').nth(1).map(str::to_string))
        .collect();
    let index = crate::timing::measure("consent index", || PermissionIndex::new(file, aliases, &roots));
    // What permissions.json grants `permission` for `method` on any of `keys`: the schemes, and
    // those it is marked least-privileged for.
    type Schemes = (BTreeSet<Scheme>, BTreeSet<Scheme>);
    let granted = |permission: &str, method: &str, keys: &[PathKey]| -> Option<Schemes> {
        let grants: Vec<&Granting> =
            keys.iter().flat_map(|k| index.get(method, k)).filter(|g| &*g.permission == permission).collect();
        let schemes: BTreeSet<Scheme> = grants.iter().flat_map(|g| g.schemes.iter().copied()).collect();
        let least: BTreeSet<Scheme> = grants.iter().flat_map(|g| g.least.iter().copied()).collect();
        (!schemes.is_empty()).then_some((schemes, least))
    };
    let from_schemes = |schemes: &BTreeSet<Scheme>| Consent {
        delegated: Some(schemes.iter().any(|s| s.is_delegated())),
        application: Some(schemes.contains(&Scheme::Application)),
    };
    let mut conflicts = Vec::new();

    for api in apis.iter_mut() {
        for op in &mut api.operations {
            let method = op.http_method.as_str();
            let mut keys: Vec<PathKey> = std::iter::once(op.template.as_str())
                .chain(op.spec_paths.iter().map(String::as_str))
                .map(|p| matcher::normalize(p, aliases))
                .collect();
            keys.sort();
            keys.dedup();
            let per_permission: Vec<(&str, Option<Schemes>)> =
                permissions.iter().map(|p| (*p, granted(p, method, &keys))).collect();
            let schemes = per_permission.first().and_then(|(_, g)| g.as_ref().map(|(s, _)| s));
            op.sources = BTreeSet::new();
            if !op.spec_paths.is_empty() {
                op.sources.insert(Source::Spec);
            }
            if per_permission.iter().any(|(_, g)| g.is_some()) {
                op.sources.insert(Source::PermissionsJson);
            }
            // The first permission: its reference page's markers when it lists the operation.
            let first = match (op.listed_consent, schemes) {
                (Some(listed), _) => Some(listed),
                (None, Some(schemes)) => Some(from_schemes(schemes)),
                (None, None) => None,
            };
            op.granted_by = first
                .map(|consent| (permission, consent))
                .into_iter()
                .chain(per_permission.iter().skip(1).filter_map(|(p, g)| Some((*p, from_schemes(&g.as_ref()?.0)))))
                .map(|(p, consent)| GrantedBy {
                    permission: p.to_string(),
                    consent,
                    least_delegated: false,
                    least_application: false,
                })
                .collect();
            // The union: allowed when any permission of the set allows it.
            let any = |pick: fn(&Consent) -> Option<bool>| {
                let values: Vec<Option<bool>> = op.granted_by.iter().map(|g| pick(&g.consent)).collect();
                if values.contains(&Some(true)) {
                    Some(true)
                } else if values.contains(&Some(false)) {
                    Some(false)
                } else {
                    None
                }
            };
            op.consent = Consent { delegated: any(|c| c.delegated), application: any(|c| c.application) };
            // The set's least-privileged permission per kind of consent: the lowest level.
            for delegated in [true, false] {
                let allows =
                    |g: &GrantedBy| (if delegated { g.consent.delegated } else { g.consent.application }) == Some(true);
                let level = |g: &GrantedBy| index.level(&g.permission, delegated);
                let best = op.granted_by.iter().filter(|g| allows(g)).map(level).min();
                for g in &mut op.granted_by {
                    let least = allows(g) && Some(level(g)) == best;
                    if delegated { g.least_delegated = least } else { g.least_application = least }
                }
            }
            // Several permissions of the set marked least-privileged for the same kind of consent.
            if permissions.len() > 1 {
                for delegated in [true, false] {
                    let marked: Vec<&str> = per_permission
                        .iter()
                        .filter(|(_, g)| {
                            g.as_ref().is_some_and(|(_, least)| least.iter().any(|s| s.is_delegated() == delegated))
                        })
                        .map(|(p, _)| *p)
                        .collect();
                    if marked.len() > 1 {
                        conflicts.push(format!(
                            "{} `{} {}`: permissions.json marks {} least-privileged ({}); the set's least-privileged is the lowest privilege level",
                            api.api_version,
                            method,
                            op.template,
                            crate::naming::prose_list(&marked.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>()),
                            if delegated { "delegated" } else { "application" },
                        ));
                    }
                }
            }
            op.least_privileged.delegated = index.least_privileged(method, &keys, true);
            op.least_privileged.application = index.least_privileged(method, &keys, false);
        }
    }
    conflicts
}

/// Drift: the manifest (every version) against what permissions.json grants this permission,
/// each difference matched with the override that explains it.
fn drift(
    manifest: &Manifest,
    grants: &[Grant],
    overrides: &Overrides,
    overrides_file: &Path,
    aliases: &Aliases,
) -> DriftReport {
    // Without a manifest there is one source and nothing to drift from.
    if manifest.source.is_none() {
        return DriftReport { overrides_file: overrides_file.to_path_buf(), ..DriftReport::default() };
    }
    let mut listed: BTreeMap<(String, PathKey), Vec<&crate::inputs::manifest::ManifestMethod>> = BTreeMap::new();
    for m in &manifest.methods {
        listed.entry((m.http_method.clone(), matcher::normalize(&m.path, aliases))).or_default().push(m);
    }
    let mut granted: BTreeMap<(String, PathKey), (BTreeSet<Scheme>, String)> = BTreeMap::new();
    for g in grants {
        let key = matcher::normalize(&g.path, aliases);
        let entry = granted.entry((g.http_method.clone(), key)).or_insert_with(|| (BTreeSet::new(), g.path.clone()));
        entry.0.extend(g.schemes.iter().copied());
    }
    let mut items = Vec::new();
    for ((method, key), (schemes, path)) in &granted {
        match listed.get(&(method.clone(), key.clone())) {
            None => items.push(DriftItem {
                kind: DriftKind::GrantedNotListed,
                http_method: method.clone(),
                path: path.clone(),
                key: key.clone(),
                detail: format!("schemes {}", scheme_list(schemes)),
                explained_by: None,
            }),
            Some(methods) => {
                let delegated = schemes.iter().any(|s| s.is_delegated());
                let application = schemes.contains(&Scheme::Application);
                for m in methods {
                    let differs =
                        m.delegated.is_some_and(|d| d != delegated) || m.application.is_some_and(|a| a != application);
                    if differs {
                        items.push(DriftItem {
                            kind: DriftKind::Markers,
                            http_method: method.clone(),
                            path: m.path.clone(),
                            key: key.clone(),
                            detail: format!(
                                "{}: reference page says delegated={} application={}; permissions.json says {}",
                                m.api_version,
                                fmt_marker(m.delegated),
                                fmt_marker(m.application),
                                scheme_list(schemes)
                            ),
                            explained_by: None,
                        });
                    }
                }
            }
        }
    }
    for ((method, key), methods) in &listed {
        if !granted.contains_key(&(method.clone(), key.clone())) {
            let versions: BTreeSet<&str> = methods.iter().map(|m| m.api_version.as_str()).collect();
            items.push(DriftItem {
                kind: DriftKind::ListedNotGranted,
                http_method: method.clone(),
                path: methods[0].path.clone(),
                key: key.clone(),
                detail: format!("listed for {}", versions.into_iter().collect::<Vec<_>>().join(", ")),
                explained_by: None,
            });
        }
    }
    items.sort_by(|a, b| (a.kind, &a.key, &a.http_method).cmp(&(b.kind, &b.key, &b.http_method)));

    let mut used = vec![false; overrides.drift.len()];
    for item in &mut items {
        item.explained_by = overrides.drift.iter().position(|o| explains(o, item, aliases));
        if let Some(i) = item.explained_by {
            used[i] = true;
        }
    }
    let unused_overrides = overrides
        .drift
        .iter()
        .zip(&used)
        .filter(|(_, used)| !**used)
        .map(|(o, _)| format!("{:?} {}", o.kind, o.path.as_deref().or(o.path_prefix.as_deref()).unwrap_or_default()))
        .collect();
    let reasons = overrides.drift.iter().map(|o| o.reason.clone()).collect();
    DriftReport {
        items,
        unused_overrides,
        overrides_file: overrides_file.to_path_buf(),
        reasons,
        set_conflicts: Vec::new(),
    }
}

fn explains(o: &DriftOverride, item: &DriftItem, aliases: &Aliases) -> bool {
    if o.kind != item.kind {
        return false;
    }
    if let Some(methods) = &o.methods {
        if !methods.iter().any(|m| m.eq_ignore_ascii_case(&item.http_method)) {
            return false;
        }
    }
    match (&o.path, &o.path_prefix) {
        (Some(p), _) => matcher::normalize(p, aliases) == item.key,
        (None, Some(prefix)) => item.key.starts_with(&matcher::normalize(prefix, aliases)),
        (None, None) => false,
    }
}

fn scheme_list(schemes: &BTreeSet<Scheme>) -> String {
    schemes.iter().map(|s| format!("{s:?}")).collect::<Vec<_>>().join(", ")
}

fn fmt_marker(m: Option<bool>) -> &'static str {
    match m {
        Some(true) => "true",
        Some(false) => "false",
        None => "unknown",
    }
}
