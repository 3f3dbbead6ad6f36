//! The waiters of `metadata/waiters.yaml`, checked against a version's metadata and attached to
//! the reads they poll. An unknown entity, property, enum member or operation is an error at its
//! line in the file; a waiter whose read this permission does not generate is left out.

use std::collections::BTreeSet;

use crate::error::Result;
use crate::inputs::waiters::WaitersFile;
use crate::model::types::{Api, ApiWaiter, HttpMethod, Response, TypeRef};
use crate::paths::{resolve, syntax};
use crate::schema::{QName, Schema, TypeKind};

/// Checks every waiter of `api`'s version against `schema` and records those whose read `api`
/// generates.
pub fn attach(api: &mut Api, schema: &Schema, file: &WaitersFile) -> Result<()> {
    let mut seen = BTreeSet::new();
    for (i, w) in file.waiters.iter().enumerate() {
        if w.api_version != api.api_version {
            continue;
        }
        let is_ident = !w.name.is_empty()
            && w.name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            && w.name.starts_with(|c: char| c.is_ascii_lowercase());
        if !is_ident {
            return Err(file.error(i, &w.name, format!("waiter name `{}` is not snake_case", w.name)));
        }
        let Some((ns, short)) = w.entity.rsplit_once('.') else {
            return Err(file.error(i, &w.entity, format!("`{}` is not a qualified type name", w.entity)));
        };
        let entity = QName::new(ns, short);
        if !schema.types.get(&entity).is_some_and(|t| t.kind == TypeKind::Entity) {
            return Err(file.error(
                i,
                &w.entity,
                format!("`{}` is not an entity type of the {} metadata", w.entity, api.api_version),
            ));
        }
        let Some(property) = schema.all_properties(&entity).into_iter().find(|p| p.name == w.property) else {
            return Err(file.error(i, &w.property, format!("`{}` has no property `{}`", w.entity, w.property)));
        };
        if w.success.is_empty() {
            return Err(file.error(i, "success", "a waiter needs at least one `success` value"));
        }
        let values = w.success.iter().chain(&w.failure);
        match schema.types.get(&property.ty.name) {
            Some(t) if t.kind == TypeKind::Enum => {
                for v in values {
                    if !t.members.iter().any(|(m, _)| m == v) {
                        let members: Vec<&str> = t.members.iter().map(|(m, _)| m.as_str()).collect();
                        return Err(file.error(
                            i,
                            v,
                            format!("`{v}` is not a member of `{}` ({})", t.name, members.join(", ")),
                        ));
                    }
                }
            }
            _ if property.ty.name.namespace == "Edm" && property.ty.name.name == "String" => {}
            _ => {
                return Err(file.error(
                    i,
                    &w.property,
                    format!("`{}` is a `{}`; a waiter watches an enum or a string", w.property, property.ty.name),
                ));
            }
        }
        if let Some(v) = w.success.iter().find(|v| w.failure.contains(v)) {
            return Err(file.error(i, v, format!("`{v}` is both a success and a failure value")));
        }
        // The read: `GET <path>` of one `entity`.
        let Some(path) = w.operation.strip_prefix("GET ") else {
            return Err(file.error(i, &w.operation, format!("`{}`: a waiter polls a `GET <path>`", w.operation)));
        };
        let resolved = syntax::parse(path.trim())
            .and_then(|raw| resolve::resolve(schema, HttpMethod::Get, &raw, resolve::Options::default()))
            .map_err(|e| file.error(i, path.trim(), format!("`{}`: {e}", w.operation)))?;
        let reads_entity = matches!(&resolved.response, Response::Value(TypeRef::Named(q)) if schema.is_a(&entity, q) || schema.is_a(q, &entity));
        if !reads_entity {
            return Err(file.error(i, path.trim(), format!("`{}` does not read one `{}`", w.operation, w.entity)));
        }
        if !seen.insert((resolved.template.clone(), w.name.clone())) {
            return Err(file.error(i, &w.name, format!("a second waiter `{}` on `{}`", w.name, resolved.template)));
        }
        let Some(operation) =
            api.operations.iter().position(|op| op.http_method == HttpMethod::Get && op.template == resolved.template)
        else {
            continue;
        };
        api.waiters.push(ApiWaiter {
            operation,
            name: w.name.clone(),
            property: w.property.clone(),
            success: w.success.clone(),
            failure: w.failure.clone(),
        });
    }
    Ok(())
}
