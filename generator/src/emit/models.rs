//! `models.rs`: serde types for the type closure — structs for entity and complex types (with
//! inherited properties flattened in), enums with a catch-all member, and enums over derived types
//! dispatched on `@odata.type`.

use proc_macro2::TokenStream;
use quote::quote;

use super::rust::{TypeNames, VersionModule, doc_attrs, doc_text, ident};
use crate::error::Result;
use crate::model::types::{Api, EnumDef, Primitive, StructDef, StructKind, TypeDef, TypeRef};
use crate::naming::{Case, Scope, sanitize};

pub(crate) fn models_file(api: &Api, module: &VersionModule) -> Result<String> {
    let names = TypeNames::in_module(&api.types, module);
    let mut items = Vec::new();
    for (q, t) in &api.types {
        // In a crate with a feature per API root, a type some root does not need is behind the
        // features of the roots that do.
        let gate = module.type_gate(q);
        let mut add = |item: TokenStream| -> Result<()> {
            items.push(super::rust::gated(item, gate.as_ref(), "models.rs")?);
            Ok(())
        };
        match t {
            TypeDef::Struct(s) => {
                if !s.is_abstract {
                    add(struct_item(s, &names))?;
                }
                if s.polymorphic.is_some() {
                    add(poly_item(s, api, &names))?;
                }
            }
            TypeDef::Enum(e) => add(enum_item(e))?,
        }
    }
    let allow_unused = module.gates.is_some().then(|| quote!(#[allow(unused_imports)]));
    // A crate whose operations use no model (only primitives and JSON) imports nothing.
    let serde = (!items.is_empty()).then(|| {
        quote!(
            #allow_unused
            use serde::{Deserialize, Serialize};
        )
    });
    let object = api.types.values().any(|t| matches!(t, TypeDef::Struct(_))).then(|| {
        quote!(
            #allow_unused
            use crate::runtime::object;
        )
    });
    let tokens = quote! {
        //! Models: the entity, complex and enum types the operations use.
        #![allow(clippy::large_enum_variant)]
        #serde
        #object
        #(#items)*
    };
    super::rust::rust_file("models.rs", tokens)
}

fn struct_item(s: &StructDef, names: &TypeNames<'_>) -> TokenStream {
    let name = ident(&s.rust_name);
    let mut doc = vec![match s.kind {
        StructKind::ActionParameters => s.description.clone().unwrap_or_default(),
        _ => format!("`{}` ({}).", s.name, if s.kind == StructKind::Entity { "entity type" } else { "complex type" }),
    }];
    if s.kind != StructKind::ActionParameters {
        if let Some(d) = &s.description {
            doc.push(String::new());
            doc.push(doc_text(d));
        }
        if let Some(b) = &s.base {
            doc.push(String::new());
            doc.push(format!("Derives from `{b}`; inherited properties are included."));
        }
    }
    let doc = doc_attrs(&doc);
    let mut scope = Scope::new();
    scope.reserve(["odata_type", "additional_properties"]);
    let has_odata_type = s.kind != StructKind::ActionParameters;
    let odata_type = has_odata_type.then(|| {
        let doc = format!(" The `@odata.type` the server sent (or to send), e.g. `#{}`.", s.name);
        quote! {
            #[doc = #doc]
            pub odata_type: Option<String>,
        }
    });
    // (field, JSON name, docs, type) per property.
    let props: Vec<(proc_macro2::Ident, &str, TokenStream, TokenStream)> = s
        .properties
        .iter()
        .map(|p| {
            let field = ident(&scope.claim(&sanitize(&p.name, Case::Snake)));
            let json = p.name.as_str();
            let mut ty = names.rust_type(&p.ty);
            if p.boxed {
                ty = quote!(Box<#ty>);
            }
            let mut doc = Vec::new();
            if let Some(d) = &p.description {
                doc.push(doc_text(d));
                doc.push(String::new());
            }
            let kind = if p.navigation { "Navigation property" } else { "Property" };
            let nullable = if p.nullable { "nullable" } else { "not nullable" };
            let expand = if p.navigation { "; present only with `$expand`" } else { "" };
            doc.push(format!("{kind} `{json}` ({}, {nullable}{expand}).", type_label(&p.ty)));
            (field, json, doc_attrs(&doc), ty)
        })
        .collect();
    let fields = props.iter().map(|(field, _, doc, ty)| {
        quote! {
            #doc
            pub #field: Option<#ty>,
        }
    });
    // The serde code (runtime/object.rs): one pass over the object, undeclared properties into
    // `additional_properties`, unset properties left out.
    let odata_key = has_odata_type.then(|| quote!("@odata.type" => object::set(&mut self.odata_type, map),));
    // A timestamp has a decoder of its own (Graph's one form read directly).
    let de_arms = props.iter().zip(&s.properties).map(|((field, json, _, _), p)| {
        if p.ty == TypeRef::Primitive(Primitive::DateTimeOffset) && !p.boxed {
            quote!(#json => object::set_date_time(&mut self.#field, map),)
        } else {
            quote!(#json => object::set(&mut self.#field, map),)
        }
    });
    // `tag`: the `@odata.type` a polymorphic enum writes for its member when `odata_type` is unset.
    let odata_entry = has_odata_type.then(|| quote!(map.entry("@odata.type", self.odata_type.as_deref().or(tag));));
    let ser_entries = props.iter().map(|(field, json, _, _)| quote!(map.entry(#json, self.#field.as_ref());));
    let rust_name = s.rust_name.as_str();
    let write = quote! {
        let mut map = object::begin(serializer)?;
        #odata_entry
        #(#ser_entries)*
        map.end(&self.additional_properties)
    };
    // A struct with `@odata.type` may be a member of a polymorphic enum, which writes it with its
    // tag (`object::Member`); the others are written as they are.
    let serialize = if has_odata_type {
        quote! {
            impl Serialize for #name {
                fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                    object::Member::write(self, None, serializer)
                }
            }

            impl object::Member for #name {
                fn write<S: serde::Serializer>(
                    &self,
                    tag: Option<&'static str>,
                    serializer: S,
                ) -> Result<S::Ok, S::Error> {
                    #write
                }
            }
        }
    } else {
        quote! {
            impl Serialize for #name {
                fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                    #write
                }
            }
        }
    };
    let extra = quote! {
        /// Every property of the JSON object that this type does not declare (newer server
        /// properties, annotations such as `@odata.etag`, properties of derived types this crate
        /// does not generate), kept as JSON so that decoding and encoding again loses nothing
        /// (a GET, a change, then a full PUT sends back what the server had). Add entries to
        /// send properties the model lacks.
        pub additional_properties: ::serde_json::Map<String, ::serde_json::Value>,
    };
    quote! {
        #doc
        #[derive(Debug, Clone, Default, PartialEq)]
        pub struct #name {
            #odata_type
            #(#fields)*
            #extra
        }

        impl object::Object for #name {
            const NAME: &'static str = #rust_name;
            fn field<'de, A: serde::de::MapAccess<'de>>(
                &mut self,
                key: object::Key<'de>,
                map: &mut A,
            ) -> Result<(), A::Error> {
                match key.as_str() {
                    #odata_key
                    #(#de_arms)*
                    _ => object::other(&mut self.additional_properties, key, map),
                }
            }
        }

        #serialize

        impl<'de> Deserialize<'de> for #name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                object::deserialize(deserializer)
            }
        }
    }
}

fn type_label(t: &TypeRef) -> String {
    match t {
        TypeRef::Primitive(p) => format!("Edm.{p:?}"),
        TypeRef::Named(q) => q.to_string(),
        TypeRef::Collection(inner) => format!("Collection({})", type_label(inner)),
    }
}

fn poly_item(s: &StructDef, api: &Api, names: &TypeNames<'_>) -> TokenStream {
    let Some(poly) = &s.polymorphic else {
        return TokenStream::new();
    };
    let name = ident(&poly.rust_name);
    let mut variant_scope = Scope::new();
    variant_scope.reserve(["Other"]);
    let members: Vec<(proc_macro2::Ident, proc_macro2::Ident, String)> = poly
        .members
        .iter()
        .filter_map(|m| {
            let TypeDef::Struct(ms) = api.types.get(m)? else {
                return None;
            };
            let variant = ident(&variant_scope.claim(&ms.rust_name));
            Some((variant, ident(&ms.rust_name), m.to_string()))
        })
        .collect();
    let doc = doc_attrs(&[
        format!("A `{}` or any of its derived types, told apart by `@odata.type`.", s.name),
        String::new(),
        "Values whose `@odata.type` this crate does not know are kept as JSON in `Other`.".to_string(),
    ]);
    let variants = members.iter().map(|(v, ty, tag)| {
        let d = format!(" `{tag}`.");
        quote!(#[doc = #d] #v(#ty),)
    });
    // A value of the declared type itself needs no tag; derived ones always carry theirs.
    let declared = s.name.to_string();
    let ser_arms = members.iter().map(|(v, _, tag)| {
        if *tag == declared {
            quote!(Self::#v(value) => value.serialize(serializer),)
        } else {
            let sent = format!("#{tag}");
            quote!(Self::#v(value) => object::Member::write(value, Some(#sent), serializer),)
        }
    });
    let de_arms =
        members.iter().map(|(v, _, tag)| quote!(Some(#tag) => crate::runtime::poly::from_value(value).map(Self::#v),));
    let member_arms = members.iter().map(|(v, ty, tag)| {
        quote! {
            #tag => {
                let mut value = #ty { odata_type: Some(sent.to_owned()), ..Default::default() };
                object::fill(&mut value, map)?;
                Self::#v(value)
            }
        }
    });
    let rust_name = poly.rust_name.as_str();
    let from_members = members.iter().map(|(v, ty, _)| {
        quote! {
            impl From<#ty> for #name {
                fn from(value: #ty) -> Self {
                    Self::#v(value)
                }
            }
        }
    });
    // Without `@odata.type` a value is of the declared type itself (when that is concrete).
    let untagged = if s.is_abstract {
        quote!(None => Ok(Self::Other(value)),)
    } else {
        let own = members.iter().find(|(_, _, tag)| *tag == s.name.to_string()).map(|(v, _, _)| v.clone());
        match own {
            Some(v) => quote!(None => crate::runtime::poly::from_value(value).map(Self::#v),),
            None => quote!(None => Ok(Self::Other(value)),),
        }
    };
    let _ = names;
    quote! {
        #doc
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub enum #name {
            #(#variants)*
            /// A value of a type this crate does not know, as JSON.
            Other(::serde_json::Value),
        }

        #(#from_members)*

        impl Serialize for #name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self {
                    #(#ser_arms)*
                    Self::Other(value) => value.serialize(serializer),
                }
            }
        }

        impl object::Tagged for #name {
            const NAME: &'static str = #rust_name;
            fn member<'de, A: serde::de::MapAccess<'de>>(
                tag: &str,
                sent: &str,
                map: &mut A,
            ) -> Result<Option<Self>, A::Error> {
                Ok(Some(match tag {
                    #(#member_arms)*
                    _ => return Ok(None),
                }))
            }
            fn from_json<E: serde::de::Error>(value: ::serde_json::Value) -> Result<Self, E> {
                let tag = crate::runtime::poly::odata_type_of(&value).map(str::to_owned);
                match tag.as_deref() {
                    #(#de_arms)*
                    #untagged
                    Some(_) => Ok(Self::Other(value)),
                }
            }
        }

        impl<'de> Deserialize<'de> for #name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                object::deserialize_tagged(deserializer)
            }
        }
    }
}

fn enum_item(e: &EnumDef) -> TokenStream {
    let name = ident(&e.rust_name);
    let mut scope = Scope::new();
    scope.reserve(["Unknown"]);
    let members: Vec<(proc_macro2::Ident, &str)> =
        e.members.iter().map(|(m, _)| (ident(&scope.claim(&sanitize(m, Case::Pascal))), m.as_str())).collect();
    let mut doc = vec![format!("`{}` (enum type).", e.name)];
    if let Some(d) = &e.description {
        doc.push(String::new());
        doc.push(doc_text(d));
    }
    if e.flags {
        doc.push(String::new());
        doc.push("A flags enum: a combination of members arrives as `Unknown(\"a,b\")`.".to_string());
    }
    doc.push(String::new());
    doc.push(
        "A value this crate does not know deserializes as `Unknown`, so new server values never break decoding."
            .to_string(),
    );
    let doc = doc_attrs(&doc);
    let variants = members.iter().map(|(v, m)| {
        let d = format!(" `{m}`");
        quote!(#[doc = #d] #v,)
    });
    let to_str = members.iter().map(|(v, m)| quote!(Self::#v => #m,));
    let from_str = members.iter().map(|(v, m)| quote!(#m => Self::#v,));
    quote! {
        #doc
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum #name {
            #(#variants)*
            /// A value this version of the crate does not know.
            Unknown(String),
        }

        impl #name {
            /// The value as Graph writes it.
            pub fn as_str(&self) -> &str {
                match self {
                    #(#to_str)*
                    Self::Unknown(s) => s,
                }
            }
        }

        impl From<&str> for #name {
            fn from(s: &str) -> Self {
                match s {
                    #(#from_str)*
                    other => Self::Unknown(other.to_owned()),
                }
            }
        }

        impl std::fmt::Display for #name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl crate::runtime::Literal for #name {
            fn literal(&self) -> String {
                crate::runtime::quote_literal(self.as_str())
            }
        }

        impl Serialize for #name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for #name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let s = object::Key::deserialize(deserializer)?;
                Ok(Self::from(s.as_str()))
            }
        }
    }
}
