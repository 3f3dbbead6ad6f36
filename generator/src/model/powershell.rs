//! PowerShell cmdlet names: each operation's name in Microsoft Graph PowerShell, and the check of
//! the reference page's commands against them.
//!
//! Two steps, as the PowerShell SDK takes them:
//! 1. [`operation_id`]: the operationId Graph's OpenAPI documents give the path, derived from the
//!    model's segments (so every permission's crate gets names, not only those with a pinned
//!    module document; a test holds the derivation to the pinned Identity.Governance document).
//! 2. [`cmdlet`]: the cmdlet AutoRest makes of an operationId, with the rules of
//!    `metadata/powershell.yaml` (verbs, prepositions, renames, overrides).
//!
//! [`check_commands`] then maps every command the page lists to the operations named so, compares
//! the page's consent markers with theirs, and says which commands map to nothing and why.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::inputs::manifest::ManifestCommand;
use crate::inputs::powershell::{PowerShellFile, PowerShellRules};
use crate::model::types::{Api, HttpMethod, Operation, Segment};

/// The operationId of `op` in Graph's OpenAPI documents (the convention of their converter):
/// `{subject}_{verb}{object}`, the subject being the path's navigation segments joined with
/// `.` (each singular but the first), e.g.
/// `identityGovernance.entitlementManagement.accessPackage_ListAssignmentPolicy`; bound actions
/// and functions keep their own name (`..._cancel`); prepositions inside names are encoded
/// (`filterGraphBPreCurrentUser`).
pub fn operation_id(op: &Operation, prepositions: &[String]) -> String {
    let segs = &op.segments;
    let nav_name = |s: &Segment| match s {
        Segment::Navigation { name, .. } => Some(name.clone()),
        _ => None,
    };
    // The subject: the navigation segments of `segs[..end]`, each singular but the first.
    let subject = |end: usize| -> Vec<String> {
        segs[..end]
            .iter()
            .filter_map(nav_name)
            .enumerate()
            .map(|(i, n)| if i == 0 { n } else { singular(&n) })
            .collect()
    };
    let Some(i) = segs.iter().rposition(|s| !matches!(s, Segment::Key { .. } | Segment::Ref)) else {
        return String::new();
    };
    let id = match &segs[i] {
        Segment::Function { name, .. } | Segment::Action { name } => {
            format!("{}_{}", subject(i).join("."), singular(&name.name))
        }
        Segment::Navigation { name, target, collection, .. } => {
            let after = &segs[i + 1..];
            let key = after.iter().find_map(|s| match s {
                Segment::Key { entity, .. } => Some(entity),
                _ => None,
            });
            let is_ref = after.iter().any(|s| matches!(s, Segment::Ref));
            let verb = match op.http_method {
                HttpMethod::Get if *collection && key.is_none() => "List",
                HttpMethod::Get => "Get",
                HttpMethod::Post => "Create",
                HttpMethod::Patch => "Update",
                HttpMethod::Put => "Set",
                HttpMethod::Delete => "Delete",
            };
            let (mut subject, mut object) = match key {
                // `.../things/{id}/$ref`: the item's reference, named by its type.
                Some(entity) if is_ref => (subject(i + 1), pascal(&entity.name)),
                _ => (subject(i), pascal(&singular(name))),
            };
            if subject.is_empty() {
                // An entity set or singleton itself: `groups.group_ListGroup`.
                subject = vec![name.clone(), target.name.clone()];
                object = pascal(&target.name);
            }
            format!("{}_{verb}{object}{}", subject.join("."), if is_ref { "ByRef" } else { "" })
        }
        // A stream: `drives.items_GetContent`, `..._SetContent` (a media entity's `$value` too).
        Segment::Stream { name } => {
            let verb = if op.http_method == HttpMethod::Put { "Set" } else { "Get" };
            let object = if name == "$value" { "Content".to_string() } else { pascal(name) };
            format!("{}_{verb}{object}", subject(i).join("."))
        }
        Segment::Key { .. } | Segment::Ref => String::new(),
    };
    encode_prepositions(&id, prepositions)
}

/// `filterByCurrentUser` -> `filterGraphBPreCurrentUser`: a preposition that is a word inside a
/// name (not its first) becomes `Graph{initial}Pre`, as in Graph's OpenAPI documents.
fn encode_prepositions(id: &str, prepositions: &[String]) -> String {
    let mut out = String::with_capacity(id.len() + 16);
    for (i, word) in camel_words(id).into_iter().enumerate() {
        let mid_name = i > 0 && !out.ends_with(['.', '_']);
        if mid_name && prepositions.iter().any(|p| p == word) {
            out.push_str("Graph");
            out.push_str(&word[..1]);
            out.push_str("Pre");
        } else {
            out.push_str(word);
        }
    }
    out
}

/// The cmdlet Microsoft Graph PowerShell makes of `operation_id` for `api_version`, e.g.
/// `Get-MgEntitlementManagementAccessPackageAssignmentPolicy`. `function` tells a bound function
/// (named for what it returns: `Get-`) from an action (`Invoke-`) when the name's first word is
/// not a verb the rules know.
pub fn cmdlet(operation_id: &str, api_version: &str, function: bool, rules: &PowerShellRules) -> String {
    if let Some(o) = rules.overrides.iter().find(|o| o.operation_id == operation_id && o.api_version == api_version) {
        return o.cmdlet.clone();
    }
    let decoded = decode_prepositions(operation_id, &rules.prepositions);
    let (subject, name) = decoded.split_once('_').unwrap_or(("", decoded.as_str()));
    // Each segment PascalCase and singular, a segment repeating the one before said once
    // (`groups.group` -> `Group`).
    let mut segments: Vec<String> = Vec::new();
    for segment in subject.split('.').filter(|s| !s.is_empty()) {
        let segment = pascal(&singular(segment));
        if segments.last() != Some(&segment) {
            segments.push(segment);
        }
    }
    let mut subject_noun: String = segments.concat();
    for r in &rules.subject_renames {
        if let Some(rest) = subject_noun.strip_prefix(r.from.as_str()) {
            subject_noun = format!("{}{rest}", r.to);
            break;
        }
    }
    let name_words: Vec<String> = camel_words(name).into_iter().map(pascal).collect();
    let first = name.split(|c: char| c.is_ascii_uppercase()).next().unwrap_or_default();
    let (verb, lead, tail): (String, String, &[String]) = if name.starts_with(|c: char| c.is_ascii_uppercase()) {
        // CRUD: `ListAssignmentPolicy`.
        let verb = name_words.first().and_then(|w| rules.verbs.get(w)).cloned().unwrap_or_else(|| "Invoke".into());
        (verb, String::new(), name_words.get(1..).unwrap_or_default())
    } else if let Some(verb) = rules.name_verbs.get(first) {
        // `cancel` -> Stop, `getApplicablePolicyRequirement` -> Get.
        (verb.clone(), String::new(), name_words.get(1..).unwrap_or_default())
    } else if function && !rules.invoke_words.iter().any(|w| w == first) {
        // A function named for what it returns: `delta` -> Get-...Delta.
        ("Get".into(), String::new(), &name_words[..])
    } else {
        // An action (or a function named by a verb PowerShell does not approve): Invoke, the
        // word leading the noun (`Invoke-MgFilter...ByCurrentUser`).
        ("Invoke".into(), name_words.first().cloned().unwrap_or_default(), name_words.get(1..).unwrap_or_default())
    };
    // The name's first words repeat the subject's last ones (`accessPackage_ListAccessPackages
    // IncompatibleWith`, `incompatibleGroup_DeleteGroupByRef`): PowerShell says them once.
    let subject_all: Vec<String> = camel_words(&subject_noun).into_iter().map(str::to_string).collect();
    let overlap = (1..=tail.len().min(subject_all.len()))
        .rev()
        .find(|&k| subject_all[subject_all.len() - k..].iter().zip(&tail[..k]).all(|(a, b)| singular(a) == singular(b)))
        .unwrap_or(0);
    let prefix = rules.prefixes.get(api_version).map_or("Mg", String::as_str);
    format!("{verb}-{prefix}{lead}{subject_noun}{}", tail[overlap..].concat())
}

fn decode_prepositions(id: &str, prepositions: &[String]) -> String {
    let mut out = id.to_string();
    for p in prepositions {
        out = out.replace(&format!("Graph{}Pre", &p[..1]), p);
    }
    out
}

/// The words of a camelCase or PascalCase name, split before each capital (a run of capitals
/// stays one word with the next: `RBAC` in `RBACApplication` is `RBACApplication`).
fn camel_words(s: &str) -> Vec<&str> {
    let mut words = Vec::new();
    let mut start = 0;
    let bytes = s.as_bytes();
    for i in 1..bytes.len() {
        let boundary = bytes[i].is_ascii_uppercase() && !bytes[i - 1].is_ascii_uppercase()
            || matches!(bytes[i], b'.' | b'_')
            || matches!(bytes[i - 1], b'.' | b'_');
        if boundary {
            words.push(&s[start..i]);
            start = i;
        }
    }
    if start < s.len() {
        words.push(&s[start..]);
    }
    words
}

fn pascal(s: &str) -> String {
    let mut c = s.chars();
    c.next().map_or_else(String::new, |f| f.to_ascii_uppercase().to_string() + c.as_str())
}

/// The singular of a name's last word, as Graph's converter and PowerShell spell it:
/// `accessPackages` -> `accessPackage`, `assignmentPolicies` -> `assignmentPolicy`; `access`,
/// `status`, `analysis` stay.
fn singular(name: &str) -> String {
    let keep = ["ss", "us", "is", "ics"];
    if keep.iter().any(|k| name.ends_with(k)) || name.len() < 3 {
        name.to_string()
    } else if let Some(stem) = name.strip_suffix("ies") {
        format!("{stem}y")
    } else if let Some(stem) = name.strip_suffix("sses") {
        format!("{stem}ss")
    } else if let Some(stem) = name.strip_suffix('s') {
        stem.to_string()
    } else {
        name.to_string()
    }
}

/// Sets [`Operation::powershell`] on every operation of `apis`.
pub fn name_operations(apis: &mut [Api], rules: &PowerShellRules) {
    for api in apis {
        for op in &mut api.operations {
            let id = operation_id(op, &rules.prepositions);
            let function = matches!(op.segments.last(), Some(Segment::Function { .. }));
            op.powershell = Some(cmdlet(&id, &api.api_version, function, rules));
        }
    }
}

/// A command of the reference page and what it maps to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandMapping {
    pub api_version: String,
    pub cmdlet: String,
    /// Indexes into its API version's `operations` of the operations named so.
    pub operations: Vec<usize>,
    /// Why it maps to nothing (from `powershell.yaml`), when it does.
    pub unmapped_reason: Option<String>,
    /// The page's markers.
    pub delegated: Option<bool>,
    pub application: Option<bool>,
}

/// A page command whose consent markers differ from those of an operation it maps to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandDrift {
    pub api_version: String,
    pub cmdlet: String,
    /// `METHOD path` of the operation.
    pub operation: String,
    pub detail: String,
    pub explained_by: Option<String>,
}

/// The page's commands against the generated operations.
#[derive(Debug, Clone, Default)]
pub struct CommandReport {
    pub commands: Vec<CommandMapping>,
    pub drift: Vec<CommandDrift>,
    /// Problems `--check` fails on: a command mapping to nothing without a reason, a reason for a
    /// command that maps after all, an unexplained consent difference, a stale entry.
    pub problems: Vec<String>,
    pub file: PathBuf,
}

impl CommandReport {
    /// `--check`: an error listing the problems.
    pub fn check(&self) -> Result<()> {
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(Error::Drift { file: self.file.clone(), items: self.problems.clone() })
        }
    }

    /// The mapped commands of one API version.
    pub fn mapped(&self, api_version: &str) -> impl Iterator<Item = &CommandMapping> {
        self.commands.iter().filter(move |c| c.api_version == api_version && !c.operations.is_empty())
    }
}

fn describe(op: &Operation) -> String {
    format!("{} {}", op.http_method.as_str(), op.template)
}

fn marker(d: Option<bool>, a: Option<bool>) -> String {
    let one = |v: Option<bool>, name: &str| match v {
        Some(true) => name.to_string(),
        Some(false) => format!("not {name}"),
        None => format!("{name} unknown"),
    };
    format!("{}, {}", one(d, "delegated"), one(a, "application"))
}

/// Maps each command of `commands` (the page's) to the operations of `apis` named so, and
/// compares consent. A version the crate does not generate is skipped.
pub fn check_commands(apis: &[Api], commands: &[ManifestCommand], file: &PowerShellFile) -> CommandReport {
    let rules = &file.rules;
    let mut report = CommandReport { file: file.file.clone(), ..Default::default() };
    if commands.is_empty() {
        // No reference page for this permission (`--permission`): nothing to check.
        return report;
    }
    let mut by_name: BTreeMap<(&str, String), Vec<usize>> = BTreeMap::new();
    for api in apis {
        for (i, op) in api.operations.iter().enumerate() {
            if let Some(name) = &op.powershell {
                by_name.entry((api.api_version.as_str(), name.to_ascii_lowercase())).or_default().push(i);
            }
        }
    }
    let flags = |entries: &[crate::inputs::powershell::Unmapped]| -> Vec<Vec<bool>> {
        entries.iter().map(|u| vec![false; u.cmdlets.len()]).collect()
    };
    let (mut used_unmapped, mut used_drift) = (flags(&rules.unmapped), flags(&rules.consent_drift));
    for c in commands {
        let Some(api) = apis.iter().find(|a| a.api_version == c.api_version) else { continue };
        let operations =
            by_name.get(&(c.api_version.as_str(), c.cmdlet.to_ascii_lowercase())).cloned().unwrap_or_default();
        let reason = PowerShellRules::find(&rules.unmapped, &c.api_version, &c.cmdlet);
        if let Some((e, i)) = reason {
            used_unmapped[e][i] = true;
            if !operations.is_empty() {
                report.problems.push(format!(
                    "{} `{}` maps to {} now: drop it from its `unmapped` entry",
                    c.api_version,
                    c.cmdlet,
                    operations.iter().map(|&i| describe(&api.operations[i])).collect::<Vec<_>>().join(", ")
                ));
            }
        } else if operations.is_empty() {
            report.problems.push(format!(
                "{} `{}` maps to no generated operation (add it to an `unmapped` entry with the reason, or an override)",
                c.api_version, c.cmdlet
            ));
        }
        for &i in &operations {
            let op = &api.operations[i];
            let page = (c.delegated, c.application);
            let ours = (op.consent.delegated, op.consent.application);
            // A marker the page did not capture is no disagreement.
            let differs = |p: Option<bool>, o: Option<bool>| p.is_some() && o.is_some() && p != o;
            if !differs(page.0, ours.0) && !differs(page.1, ours.1) {
                continue;
            }
            let explained = PowerShellRules::find(&rules.consent_drift, &c.api_version, &c.cmdlet);
            if let Some((e, i)) = explained {
                used_drift[e][i] = true;
            }
            let drift = CommandDrift {
                api_version: c.api_version.clone(),
                cmdlet: c.cmdlet.clone(),
                operation: describe(op),
                detail: format!("page: {}; operation: {}", marker(page.0, page.1), marker(ours.0, ours.1)),
                explained_by: explained.map(|(e, _)| rules.consent_drift[e].reason.clone()),
            };
            if drift.explained_by.is_none() {
                report.problems.push(format!(
                    "{} `{}` consent differs from `{}` ({}): add it to a `consent_drift` entry with the reason",
                    drift.api_version, drift.cmdlet, drift.operation, drift.detail
                ));
            }
            report.drift.push(drift);
        }
        report.commands.push(CommandMapping {
            api_version: c.api_version.clone(),
            cmdlet: c.cmdlet.clone(),
            operations,
            unmapped_reason: reason.map(|(e, _)| rules.unmapped[e].reason.clone()),
            delegated: c.delegated,
            application: c.application,
        });
    }
    // Entries about commands the page no longer lists, or whose consent agrees now.
    let generated = |v: &str| apis.iter().any(|a| a.api_version == v);
    for (what, entries, used) in
        [("unmapped", &rules.unmapped, &used_unmapped), ("consent_drift", &rules.consent_drift, &used_drift)]
    {
        for (u, used) in entries.iter().zip(used) {
            for (cmdlet, used) in u.cmdlets.iter().zip(used) {
                if !used && generated(&u.api_version) {
                    report
                        .problems
                        .push(format!("`{what}` entry for {} `{cmdlet}` explains nothing any more", u.api_version));
                }
            }
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> PowerShellRules {
        let text = "prefixes: {v1.0: Mg, beta: MgBeta}\n\
                    verbs: {List: Get, Get: Get, Create: New, Update: Update, Delete: Remove, Set: Set}\n\
                    name_verbs: {get: Get, cancel: Stop, resume: Resume, move: Move}\n\
                    invoke_words: [filter]\n\
                    prepositions: [By, Of, With]\n\
                    subject_renames:\n  - {from: IdentityGovernanceEntitlementManagement, to: EntitlementManagement, reason: r}\n";
        PowerShellFile::parse(text, std::path::Path::new("powershell.yaml")).unwrap().rules
    }

    #[test]
    fn cmdlet_names_from_operation_ids() {
        let r = rules();
        let v1 = |id: &str, function: bool| cmdlet(id, "v1.0", function, &r);
        for (id, function, want) in [
            (
                "identityGovernance.entitlementManagement_ListAccessPackage",
                false,
                "Get-MgEntitlementManagementAccessPackage",
            ),
            (
                "identityGovernance.entitlementManagement_CreateAssignmentRequest",
                false,
                "New-MgEntitlementManagementAssignmentRequest",
            ),
            (
                "identityGovernance.entitlementManagement_SetAssignmentPolicy",
                false,
                "Set-MgEntitlementManagementAssignmentPolicy",
            ),
            ("identityGovernance.entitlementManagement_DeleteCatalog", false, "Remove-MgEntitlementManagementCatalog"),
            (
                "identityGovernance.entitlementManagement.accessPackage_ListAssignmentPolicy",
                false,
                "Get-MgEntitlementManagementAccessPackageAssignmentPolicy",
            ),
            (
                "identityGovernance.entitlementManagement.assignmentRequest_cancel",
                false,
                "Stop-MgEntitlementManagementAssignmentRequest",
            ),
            (
                "identityGovernance.entitlementManagement.assignmentRequest_resume",
                false,
                "Resume-MgEntitlementManagementAssignmentRequest",
            ),
            (
                "identityGovernance.entitlementManagement.assignmentRequest_reprocess",
                false,
                "Invoke-MgReprocessEntitlementManagementAssignmentRequest",
            ),
            (
                "identityGovernance.entitlementManagement.accessPackage_filterGraphBPreCurrentUser",
                true,
                "Invoke-MgFilterEntitlementManagementAccessPackageByCurrentUser",
            ),
            (
                "identityGovernance.entitlementManagement.accessPackage_getApplicablePolicyRequirement",
                false,
                "Get-MgEntitlementManagementAccessPackageApplicablePolicyRequirement",
            ),
            (
                "identityGovernance.entitlementManagement.accessPackage_ListAccessPackagesIncompatibleGraphWPre",
                false,
                "Get-MgEntitlementManagementAccessPackageIncompatibleWith",
            ),
            (
                "identityGovernance.entitlementManagement.accessPackage_CreateIncompatibleGroupGraphBPreRef",
                false,
                "New-MgEntitlementManagementAccessPackageIncompatibleGroupByRef",
            ),
            (
                "identityGovernance.entitlementManagement.accessPackage.incompatibleGroup_DeleteGroupGraphBPreRef",
                false,
                "Remove-MgEntitlementManagementAccessPackageIncompatibleGroupByRef",
            ),
            (
                "identityGovernance.entitlementManagement.connectedOrganization.externalSponsor_DeleteDirectoryObjectGraphBPreRef",
                false,
                "Remove-MgEntitlementManagementConnectedOrganizationExternalSponsorDirectoryObjectByRef",
            ),
            (
                "identityGovernance.privilegedAccess.group.assignmentApproval_filterGraphBPreCurrentUser",
                true,
                "Invoke-MgFilterIdentityGovernancePrivilegedAccessGroupAssignmentApprovalByCurrentUser",
            ),
            (
                "roleManagement.entitlementManagement_ListRoleAssignment",
                false,
                "Get-MgRoleManagementEntitlementManagementRoleAssignment",
            ),
            ("groups_ListMember", false, "Get-MgGroupMember"),
            ("groups.group_ListGroup", false, "Get-MgGroup"),
            ("groups_delta", true, "Get-MgGroupDelta"),
        ] {
            assert_eq!(v1(id, function), want, "{id}");
        }
        assert_eq!(
            cmdlet("identityGovernance.entitlementManagement.accessPackage_moveToCatalog", "beta", false, &r),
            "Move-MgBetaEntitlementManagementAccessPackageToCatalog"
        );
    }

    #[test]
    fn singulars() {
        for (plural, one) in [
            ("accessPackages", "accessPackage"),
            ("assignmentPolicies", "assignmentPolicy"),
            ("settings", "setting"),
            ("additionalAccess", "additionalAccess"),
            ("status", "status"),
            ("accessPackagesIncompatibleWith", "accessPackagesIncompatibleWith"),
            ("addresses", "address"),
        ] {
            assert_eq!(singular(plural), one);
        }
    }

    #[test]
    fn prepositions_inside_names_are_encoded() {
        let p = rules().prepositions;
        assert_eq!(encode_prepositions("a.b_filterByCurrentUser", &p), "a.b_filterGraphBPreCurrentUser");
        assert_eq!(
            encode_prepositions("identityGovernance.termsOfUse_ListAgreement", &p),
            "identityGovernance.termsGraphOPreUse_ListAgreement"
        );
        assert_eq!(encode_prepositions("a_ListIncompatibleGroupByRef", &p), "a_ListIncompatibleGroupGraphBPreRef");
        // Not a word of its own: kept.
        assert_eq!(encode_prepositions("a_ListByline", &p), "a_ListByline");
    }
}
