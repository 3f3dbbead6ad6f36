//! Rustdoc from a second document: where the model's own front end had no description, the
//! OpenAPI document named as `descriptions:` in codegen.yaml may have one (operations by
//! template, types, properties and enum types by name).

use crate::frontend::openapi::OpenApi;
use crate::model::types::{Api, TypeDef};
use crate::paths::resolve::Served;

/// Fills missing rustdoc from another document (an OpenAPI one): operation descriptions and
/// documentation links by (template, method) from `served` (the other document's paths, resolved
/// against its own schema), type, property and enum descriptions by name.
pub fn describe(api: &mut Api, other: &OpenApi, served: &Served) {
    for op in &mut api.operations {
        let Some(served) = served.ops.get(&(op.template.clone(), op.http_method)) else { continue };
        if op.description.is_none() {
            op.description = served.description.clone().or_else(|| served.summary.clone());
        }
        if op.docs.is_none() {
            op.docs = served.docs.clone();
        }
    }
    for (name, def) in &mut api.types {
        let Some(decl) = other.schema.get(name) else { continue };
        match def {
            TypeDef::Struct(s) => {
                if s.description.is_none() {
                    s.description = decl.description.clone();
                }
                for p in &mut s.properties {
                    if p.description.is_some() {
                        continue;
                    }
                    let chain = other.schema.ancestry(name);
                    p.description = chain.iter().find_map(|t| {
                        let prop = t.properties.iter().find(|d| d.name == p.name).and_then(|d| d.description.clone());
                        prop.or_else(|| {
                            t.navigation.iter().find(|d| d.name == p.name).and_then(|d| d.description.clone())
                        })
                    });
                }
            }
            TypeDef::Enum(e) => {
                if e.description.is_none() {
                    e.description = decl.description.clone();
                }
            }
        }
    }
}
