//! `fields.rs`: the property enums of the entity types, beside the models they name: `…Field`
//! (every structural property, for typed `$select`, `$orderby` and `$filter`) and
//! `…NullableField` (the properties the metadata declares nullable: what `set_null` may send as
//! `null`), with their runtime trait impls for the model structs.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::TokenStream;
use quote::quote;

use super::rust::{VersionModule, ident};
use crate::error::Result;
use crate::model::types::{Api, HttpMethod, QName, Response, StructDef, StructKind, TypeDef, TypeRef};
use crate::naming::{self, FieldEnumNamer};

/// The property enums of an entity type: `…Field` (every structural property) when a read can
/// return it, and `…NullableField` when it has nullable properties and a write sends it.
pub(crate) struct FieldEnums {
    pub(crate) field: Option<String>,
    pub(crate) nullable: Option<String>,
}

/// The property enums of every entity type, named in type order (the one place that claims them,
/// so the models and the end-to-end tests agree). Every entity type's names are claimed, so that
/// a type's enums keep their names when another starts or stops being read or written.
///
/// An enum is only emitted where a request can take it: `…Field` for the types a read returns
/// (`select_fields`, `filter_by`, `order_by_field` and `expand_*` take them; the navigation
/// constructors name their targets'), `…NullableField` for the types a create, update or
/// replace sends and answers with (`set_null` takes them).
pub(crate) fn field_enums(api: &Api) -> BTreeMap<QName, FieldEnums> {
    let written = written_types(api);
    let mut namer = FieldEnumNamer::new(api.types.values().map(TypeDef::rust_name).chain(
        api.types.values().filter_map(|t| match t {
            TypeDef::Struct(s) => s.polymorphic.as_ref().map(|p| p.rust_name.as_str()),
            TypeDef::Enum(_) => None,
        }),
    ));
    let mut out = BTreeMap::new();
    for t in api.types.values() {
        if let TypeDef::Struct(s) = t {
            if s.kind == StructKind::Entity {
                let field = Some(namer.field(&s.rust_name)).filter(|_| s.readable);
                let nullable = (!nullable_variants(s).is_empty())
                    .then(|| namer.nullable(&s.rust_name))
                    .filter(|_| written.contains(&s.name));
                if field.is_some() || nullable.is_some() {
                    out.insert(s.name.clone(), FieldEnums { field, nullable });
                }
            }
        }
    }
    out
}

/// The types a write (`POST`, `PATCH`, `PUT`) sends and answers with: the requests `set_null`
/// is a method of.
fn written_types(api: &Api) -> BTreeSet<&QName> {
    api.operations
        .iter()
        .filter(|op| op.http_method != HttpMethod::Get)
        .filter_map(|op| match (&op.body, &op.response) {
            (
                Some(TypeRef::Named(body)),
                Response::Value(TypeRef::Named(out)) | Response::OptionalValue(TypeRef::Named(out)),
            ) if body == out => Some(body),
            _ => None,
        })
        .collect()
}

/// The variants of `…NullableField`: the structural properties the metadata declares nullable,
/// as (variant, JSON name).
pub(crate) fn nullable_variants(s: &StructDef) -> Vec<(String, &str)> {
    naming::variants(s.properties.iter().filter(|p| !p.navigation && p.nullable).map(|p| p.name.as_str()))
}

/// The fields module of a version.
pub(crate) fn fields_file(api: &Api, module: &VersionModule) -> Result<String> {
    let path = module.path();
    let models = quote!(#path::models);
    let enums = field_enums(api);
    let items = api
        .types
        .values()
        .filter_map(|t| match t {
            TypeDef::Struct(s) => enums.get(&s.name).map(|e| {
                super::rust::gated(field_item(s, e, &enums, &models), module.type_gate(&s.name).as_ref(), "fields.rs")
            }),
            TypeDef::Enum(_) => None,
        })
        .collect::<Result<Vec<_>>>()?;
    let tokens = quote! {
        //! Property enums of the entity types: `…Field` for typed `$select`, `$orderby` and
        //! `$filter`, `…NullableField` for what `set_null` may send as `null`.
        #(#items)*
    };
    super::rust::rust_file("fields.rs", tokens)
}

/// `{Entity}Field`: the entity's properties for typed `$select` / `$orderby`, its navigation
/// properties (constructors of `Nav` / `NavMany`, typed by their target's `…Field` enum), and its
/// `Selectable` impls (for the struct, and for its polymorphic enum).
fn field_item(
    s: &StructDef,
    enums: &FieldEnums,
    all: &BTreeMap<QName, FieldEnums>,
    models: &TokenStream,
) -> TokenStream {
    let fields = enums.field.as_ref().map(|field| {
        let props = naming::variants(s.properties.iter().filter(|p| !p.navigation).map(|p| p.name.as_str()));
        let doc =
            format!(" The properties of `{}`, for `Request::select_fields` and `Request::order_by_field`.", s.name);
        let fields = property_enum(field, &doc, &props, s, models, quote!(Selectable), quote!(Field));
        let navigations = navigations(s, field, all);
        quote!(#fields #navigations)
    });
    let nullable = enums.nullable.as_ref().map(|name| {
        let doc = format!(
            " The nullable properties of `{}`: what `Request::set_null` can send as `null` in a create, update or replace.",
            s.name
        );
        property_enum(name, &doc, &nullable_variants(s), s, models, quote!(Nullable), quote!(NullableField))
    });
    quote! {
        #fields
        #nullable
    }
}

/// `impl {Entity}Field { pub const fn access_package() -> Nav<Self, AccessPackageField> .. }`:
/// one constructor per navigation property whose target has a `…Field` enum.
fn navigations(s: &StructDef, field_enum: &str, all: &BTreeMap<QName, FieldEnums>) -> TokenStream {
    let fns: Vec<TokenStream> = s
        .properties
        .iter()
        .filter(|p| p.navigation)
        .filter_map(|p| {
            let target = all.get(p.ty.named()?)?.field.as_ref()?;
            let (kind, what) = match p.ty {
                TypeRef::Collection(_) => (quote!(NavMany), "collection-valued: `$expand`, `any`/`all`"),
                _ => (quote!(Nav), "single-valued: `$expand`, and `.field(..)` for `$filter` / `$orderby`"),
            };
            let (method, target_enum, json) =
                (ident(&naming::sanitize(&p.name, naming::Case::Snake)), ident(target), &p.name);
            let doc = format!(" The navigation property `{json}` ({what}).");
            Some(quote! {
                #[doc = #doc]
                pub const fn #method() -> crate::runtime::#kind<Self, #target_enum> {
                    crate::runtime::#kind::new(#json)
                }
            })
        })
        .collect();
    if fns.is_empty() {
        return TokenStream::new();
    }
    let name = ident(field_enum);
    quote! {
        impl #name {
            #(#fns)*
        }
    }
}

/// An enum naming properties of `s` (variant, JSON name), with `AsRef<str>`, and the runtime
/// trait `runtime_trait` (whose associated type `assoc` is the enum) for the struct (when it can be
/// built) and for its polymorphic enum.
fn property_enum(
    name: &str,
    doc: &str,
    props: &[(String, &str)],
    s: &StructDef,
    models: &TokenStream,
    runtime_trait: TokenStream,
    assoc: TokenStream,
) -> TokenStream {
    let name = ident(name);
    let variants = props.iter().map(|(v, json)| {
        let (v, d) = (ident(v), format!(" `{json}`"));
        quote!(#[doc = #d] #v,)
    });
    let arms = props.iter().map(|(v, json)| {
        let v = ident(v);
        quote!(Self::#v => #json,)
    });
    let own = (!s.is_abstract).then_some(&s.rust_name);
    let owners = own.into_iter().chain(s.polymorphic.as_ref().map(|p| &p.rust_name)).map(|o| {
        let o = ident(o);
        quote! {
            impl crate::runtime::#runtime_trait for #models::#o {
                type #assoc = #name;
            }
        }
    });
    quote! {
        #[doc = #doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum #name {
            #(#variants)*
        }

        impl AsRef<str> for #name {
            fn as_ref(&self) -> &str {
                match *self {
                    #(#arms)*
                }
            }
        }

        #(#owners)*
    }
}
