//! Validation of a [`Schema`]: every type reference resolves (or is a known Edm primitive), base
//! types exist and are of the same kind without cycles, keys and containment are addressable,
//! property names are unique along the inheritance chain, the container names entity types.
//! Errors name the file, line and column of the declaration.

use std::collections::BTreeSet;

use super::{OperationKind, Schema, TypeExpr, TypeKind};
use crate::error::{Error, Loc, Result};

impl Schema {
    /// Checks the schema; the first problem is the error.
    pub fn validate(&self) -> Result<()> {
        let check = |ty: &TypeExpr, loc: Loc, what: &str| -> Result<()> {
            if ty.is_edm() {
                if edm_known(&ty.name.name) {
                    return Ok(());
                }
                return Err(Error::input(&self.file, loc, format!("{what}: unknown primitive type `{}`", ty.name)));
            }
            if self.types.contains_key(&ty.name) {
                Ok(())
            } else {
                Err(Error::input(&self.file, loc, format!("{what}: unknown type `{}`", ty.name)))
            }
        };
        for t in self.types.values() {
            if let Some(base) = &t.base {
                match self.types.get(base) {
                    None => {
                        return Err(Error::input(
                            &self.file,
                            t.loc,
                            format!("type `{}`: unknown base type `{base}`", t.name),
                        ));
                    }
                    Some(b) if b.kind != t.kind => {
                        return Err(Error::input(
                            &self.file,
                            t.loc,
                            format!("type `{}`: base type `{base}` is of another kind", t.name),
                        ));
                    }
                    Some(_) => {}
                }
            }
            // Cycles in BaseType.
            let mut seen = BTreeSet::new();
            let mut current = Some(t);
            while let Some(c) = current {
                if !seen.insert(&c.name) {
                    return Err(Error::input(
                        &self.file,
                        t.loc,
                        format!("type `{}`: BaseType chain is cyclic (through `{}`)", t.name, c.name),
                    ));
                }
                current = c.base.as_ref().and_then(|b| self.types.get(b));
            }
            for p in &t.properties {
                check(&p.ty, p.loc, &format!("property `{}.{}`", t.name, p.name))?;
            }
            for n in &t.navigation {
                check(&n.ty, n.loc, &format!("navigation property `{}.{}`", t.name, n.name))?;
                if n.ty.collection && n.contains_target && !self.has_key(&n.ty.name) {
                    return Err(Error::input(
                        &self.file,
                        n.loc,
                        format!(
                            "navigation property `{}.{}`: its items cannot be addressed, `{}` has no key \
                             (neither declared nor inherited)",
                            t.name, n.name, n.ty.name
                        ),
                    ));
                }
                if n.ty.is_edm() || self.types.get(&n.ty.name).is_some_and(|x| x.kind != TypeKind::Entity) {
                    return Err(Error::input(
                        &self.file,
                        n.loc,
                        format!("navigation property `{}.{}`: `{}` is not an entity type", t.name, n.name, n.ty),
                    ));
                }
            }
            // Duplicate property names across the inheritance chain.
            let mut names = BTreeSet::new();
            let mut chain = self.ancestry(&t.name);
            chain.reverse();
            for c in chain {
                for (name, loc) in
                    c.properties.iter().map(|p| (&p.name, p.loc)).chain(c.navigation.iter().map(|n| (&n.name, n.loc)))
                {
                    if !names.insert(name) {
                        return Err(Error::input(
                            &self.file,
                            loc,
                            format!("type `{}`: property `{name}` is declared twice", c.name),
                        ));
                    }
                }
            }
            if let Some(key) = &t.key {
                let props = self.all_properties(&t.name);
                for k in key {
                    if !props.iter().any(|p| &p.name == k) {
                        return Err(Error::input(
                            &self.file,
                            t.loc,
                            format!("type `{}`: key property `{k}` is not a property", t.name),
                        ));
                    }
                }
            }
        }
        for item in self.container.values() {
            match self.types.get(&item.ty) {
                Some(t) if t.kind == TypeKind::Entity && !item.singleton && !self.has_key(&t.name) => {
                    return Err(Error::input(
                        &self.file,
                        item.loc,
                        format!(
                            "entity set `{}`: `{}` has no key (neither declared nor inherited)",
                            item.name, item.ty
                        ),
                    ));
                }
                Some(t) if t.kind == TypeKind::Entity => {}
                Some(_) => {
                    return Err(Error::input(
                        &self.file,
                        item.loc,
                        format!("`{}`: `{}` is not an entity type", item.name, item.ty),
                    ));
                }
                None => {
                    return Err(Error::input(
                        &self.file,
                        item.loc,
                        format!("`{}`: unknown type `{}`", item.name, item.ty),
                    ));
                }
            }
        }
        for op in &self.operations {
            let what =
                format!("{} `{}`", if op.kind == OperationKind::Action { "action" } else { "function" }, op.name);
            if let Some(b) = &op.binding {
                check(b, op.loc, &what)?;
            }
            for p in &op.params {
                check(&p.ty, p.loc, &format!("{what} parameter `{}`", p.name))?;
            }
            if let Some(r) = &op.returns {
                check(r, op.loc, &format!("{what} return type"))?;
            }
        }
        Ok(())
    }
}

/// The Edm primitive types the generator maps.
pub fn edm_known(name: &str) -> bool {
    matches!(
        name,
        "String"
            | "Boolean"
            | "Byte"
            | "SByte"
            | "Int16"
            | "Int32"
            | "Int64"
            | "Single"
            | "Double"
            | "Decimal"
            | "Guid"
            | "DateTimeOffset"
            | "Date"
            | "TimeOfDay"
            | "Duration"
            | "Binary"
            | "Stream"
            | "Untyped"
            | "PrimitiveType"
            | "ComplexType"
            | "EntityType"
            | "Geography"
            | "GeographyPoint"
            | "Geometry"
    )
}
