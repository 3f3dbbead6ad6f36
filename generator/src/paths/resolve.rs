//! Path resolution: walks a raw path through the CSDL (container -> navigation -> key -> ... ->
//! function / action / `$ref`) and decides what the (HTTP method, path) pair means: its kind,
//! request body and response. A path that does not resolve gives a reason, never a panic.

use std::collections::BTreeMap;

use crate::frontend::openapi::ServedOp;
use crate::model::types::{HttpMethod, OperationKind, Param, Primitive, Response, Segment, TypeRef};
use crate::paths::syntax::{self, RawArg, RawPath, RawSegment, strip_namespace};
use crate::schema::{OperationDecl, OperationKind as CsdlOpKind, QName, Schema, TypeExpr};

/// How tolerant resolution is; set per source.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Match names case-insensitively (permissions.json writes paths in lower case).
    pub fold_case: bool,
    /// A POST to, or DELETE of an item of, a non-contained navigation collection means `$ref`
    /// (permissions.json drops the `$ref` suffix).
    pub implicit_ref: bool,
}

/// The meaning of one (HTTP method, path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub segments: Vec<Segment>,
    pub template: String,
    pub kind: OperationKind,
    pub body: Option<TypeRef>,
    pub response: Response,
    /// The action or function invoked, for its description.
    pub operation: Option<QName>,
}

/// Where the walk stands after a segment.
#[derive(Debug, Clone)]
struct State {
    ty: QName,
    collection: bool,
    /// The navigation that led here was a non-contained one (a reference).
    non_contained: bool,
    /// The last segment was a key.
    keyed: bool,
}

pub fn resolve(csdl: &Schema, method: HttpMethod, path: &RawPath, options: Options) -> Result<Resolved, String> {
    let fold = options.fold_case;
    let mut segments: Vec<Segment> = Vec::new();
    let Some((first, rest)) = path.segments.split_first() else {
        return Err("empty path".to_string());
    };
    let RawSegment::Name(first_name) = first else {
        return Err(format!("the path must start with an entity set or singleton, not {first:?}"));
    };
    let item = csdl
        .container
        .get(first_name)
        .or_else(|| fold.then(|| csdl.container.values().find(|c| c.name.eq_ignore_ascii_case(first_name))).flatten())
        .ok_or_else(|| format!("`{first_name}` is not an entity set or singleton of the metadata"))?;
    segments.push(Segment::Navigation {
        name: item.name.clone(),
        target: item.ty.clone(),
        collection: !item.singleton,
        contained: true,
    });
    let mut state = State { ty: item.ty.clone(), collection: !item.singleton, non_contained: false, keyed: false };
    let mut invoked: Option<&OperationDecl> = None;
    let mut is_ref = false;
    let mut stream = false;

    for seg in rest {
        // A composable function's result is addressed further, like a navigation's target.
        if let Some(op) = invoked.filter(|op| op.composable) {
            if let Some(ret) = op.returns.as_ref().filter(|r| !r.is_edm()) {
                state = State { ty: ret.name.clone(), collection: ret.collection, non_contained: false, keyed: false };
                invoked = None;
            }
        }
        if invoked.is_some() || is_ref || stream {
            return Err(format!("nothing can follow `{}`", describe_last(&segments)));
        }
        match seg {
            RawSegment::Placeholder(_) | RawSegment::Key(_) => {
                if !state.collection {
                    return Err(format!("a key follows `{}`, which is not a collection", describe_last(&segments)));
                }
                let key = csdl.key_of(&state.ty).ok_or_else(|| format!("entity type `{}` has no key", state.ty))?;
                let [key_prop] = key.as_slice() else {
                    return Err(format!("entity type `{}` has a composite key", state.ty));
                };
                let ty = type_ref(&key_prop.ty);
                segments.push(Segment::Key { param: String::new(), entity: state.ty.clone(), ty });
                state.collection = false;
                state.keyed = true;
            }
            RawSegment::Name(name) => match name_segment(csdl, &state, strip_namespace(name), fold)? {
                Named::Navigation(segment, next) => {
                    segments.push(segment);
                    state = next;
                }
                Named::Stream(segment) => {
                    segments.push(segment);
                    stream = true;
                }
                Named::Operation(op) => {
                    segments.push(operation_segment(op));
                    invoked = Some(op);
                }
            },
            RawSegment::Call { name, args } => {
                let short = strip_namespace(name);
                let ops = csdl.bound_operations(short, &state.ty, state.collection, fold);
                if ops.is_empty() {
                    return Err(not_found(csdl, &state, short, fold));
                }
                let arg_names: Vec<&str> = args.iter().map(|(n, _)| n.as_str()).collect();
                let op = pick_overload(&ops, &arg_names).ok_or_else(|| {
                    format!(
                        "`{short}` bound to `{}` takes no overload with parameters ({})",
                        state.ty,
                        arg_names.join(", ")
                    )
                })?;
                if op.kind == CsdlOpKind::Action {
                    return Err(format!("`{}` is an action; actions take their parameters in the body", op.name));
                }
                for (_, value) in args {
                    if let RawArg::Bare(v) = value {
                        if v.contains(['{', '}']) {
                            return Err(format!("malformed argument `{v}`"));
                        }
                    }
                }
                segments.push(operation_segment(op));
                invoked = Some(op);
            }
            RawSegment::Ref => {
                let Some(Segment::Navigation { .. } | Segment::Key { .. }) = segments.last() else {
                    return Err("`$ref` must follow a navigation property or its key".to_string());
                };
                if !state.non_contained {
                    return Err(format!(
                        "`$ref` follows `{}`, which is not a reference (contained or not a navigation property)",
                        describe_last(&segments)
                    ));
                }
                segments.push(Segment::Ref);
                is_ref = true;
            }
            RawSegment::System(s) if s == "value" && !state.collection => {
                if !csdl.ancestry(&state.ty).iter().any(|t| t.has_stream) {
                    return Err(format!("`$value` follows `{}`, which is not a media entity (HasStream)", state.ty));
                }
                segments.push(Segment::Stream { name: "$value".to_string() });
                stream = true;
            }
            RawSegment::System(s) => return Err(format!("`${s}` segments are not supported")),
        }
    }

    // permissions.json writes reference operations without `$ref`.
    if options.implicit_ref && !is_ref && invoked.is_none() && state.non_contained {
        let implied = match method {
            HttpMethod::Post => state.collection,
            HttpMethod::Delete => state.keyed,
            _ => false,
        };
        if implied {
            segments.push(Segment::Ref);
            is_ref = true;
        }
    }

    name_key_params(&mut segments);
    let template = template_of(&segments);
    let (kind, body, response) = if stream {
        classify_stream(method, &state, &segments)?
    } else {
        classify(method, &state, is_ref, invoked, &segments)?
    };
    Ok(Resolved { segments, template, kind, body, response, operation: invoked.map(|o| o.name.clone()) })
}

/// What a name segment addresses.
enum Named<'a> {
    Navigation(Segment, State),
    /// A stream property (a file's `content`): its bytes.
    Stream(Segment),
    /// A bound action, or a function called without parentheses.
    Operation(&'a OperationDecl),
}

/// The name `short` after `state`: a navigation property, a stream property, or a bound
/// operation (an action, or a function overload without parameters).
fn name_segment<'a>(csdl: &'a Schema, state: &State, short: &str, fold: bool) -> Result<Named<'a>, String> {
    if !state.collection {
        if let Some(nav) = csdl.find_navigation(&state.ty, short, fold) {
            let segment = Segment::Navigation {
                name: nav.name.clone(),
                target: nav.ty.name.clone(),
                collection: nav.ty.collection,
                contained: nav.contains_target,
            };
            let next = State {
                ty: nav.ty.name.clone(),
                collection: nav.ty.collection,
                non_contained: !nav.contains_target,
                keyed: false,
            };
            return Ok(Named::Navigation(segment, next));
        }
        if let Some(p) = stream_property(csdl, &state.ty, short, fold) {
            return Ok(Named::Stream(Segment::Stream { name: p }));
        }
    }
    let ops = csdl.bound_operations(short, &state.ty, state.collection, fold);
    // Actions take their parameters in the body; a function needs an overload without
    // parameters.
    ops.iter()
        .find(|o| o.kind == CsdlOpKind::Action)
        .copied()
        .or_else(|| pick_overload(&ops, &[]))
        .map(Named::Operation)
        .ok_or_else(|| not_found(csdl, state, short, fold))
}

/// A stream's download and upload. A PUT of a stream property (a file's `content`) answers with
/// its entity; of a media entity's `$value`, with nothing.
fn classify_stream(
    method: HttpMethod,
    state: &State,
    segments: &[Segment],
) -> Result<(OperationKind, Option<TypeRef>, Response), String> {
    let value = matches!(segments.last(), Some(Segment::Stream { name }) if name == "$value");
    match method {
        HttpMethod::Get => Ok((OperationKind::Download, None, Response::Bytes)),
        HttpMethod::Put => {
            let response =
                if value { Response::Empty } else { Response::OptionalValue(TypeRef::Named(state.ty.clone())) };
            Ok((OperationKind::Upload, Some(TypeRef::Primitive(Primitive::Stream)), response))
        }
        m => Err(format!("{} is not defined on the stream `{}`", m.as_str(), describe_last(segments))),
    }
}

/// The stream property (`Edm.Stream`, single-valued) of `ty` named `name`.
fn stream_property(csdl: &Schema, ty: &QName, name: &str, fold: bool) -> Option<String> {
    csdl.all_properties(ty)
        .into_iter()
        .find(|p| {
            (p.name == name || (fold && p.name.eq_ignore_ascii_case(name)))
                && !p.ty.collection
                && p.ty.is_edm()
                && p.ty.name.name == "Stream"
        })
        .map(|p| p.name.clone())
}

/// What the walked path means for `method`: the operation's kind, request body and response.
fn classify(
    method: HttpMethod,
    state: &State,
    is_ref: bool,
    invoked: Option<&OperationDecl>,
    segments: &[Segment],
) -> Result<(OperationKind, Option<TypeRef>, Response), String> {
    let elem = TypeRef::Named(state.ty.clone());
    if is_ref {
        match (method, state.collection, state.keyed) {
            (HttpMethod::Post, true, _) => Ok((OperationKind::AddRef, None, Response::Empty)),
            (HttpMethod::Delete, false, _) => Ok((OperationKind::RemoveRef, None, Response::Empty)),
            _ => Err(format!("{} is not supported on `$ref` here", method.as_str())),
        }
    } else if let Some(op) = invoked {
        let returns = op.returns.as_ref().map(type_ref_expr);
        match (op.kind, method) {
            (CsdlOpKind::Function, HttpMethod::Get) => {
                let response = match returns {
                    Some(TypeRef::Primitive(Primitive::Stream)) => Response::Bytes,
                    // Graph's delta queries: pages of changes, ending with a `@odata.deltaLink`.
                    Some(TypeRef::Collection(inner)) if op.name.name == "delta" => Response::DeltaPage(*inner),
                    Some(TypeRef::Collection(inner)) => Response::Page(*inner),
                    Some(t) => Response::Value(t),
                    None => return Err(format!("function `{}` declares no return type", op.name)),
                };
                Ok((OperationKind::Function, None, response))
            }
            (CsdlOpKind::Action, HttpMethod::Post) => {
                let body = (!op.params.is_empty()).then(|| TypeRef::Named(action_params_name(op)));
                let response = match returns {
                    None => Response::Empty,
                    Some(TypeRef::Primitive(Primitive::Stream)) => Response::Bytes,
                    Some(TypeRef::Collection(inner)) => Response::Page(*inner),
                    Some(t) => Response::OptionalValue(t),
                };
                Ok((OperationKind::Action, body, response))
            }
            (CsdlOpKind::Function, m) => Err(format!("function `{}` is called with GET, not {}", op.name, m.as_str())),
            (CsdlOpKind::Action, m) => Err(format!("action `{}` is called with POST, not {}", op.name, m.as_str())),
        }
    } else if state.collection {
        match method {
            HttpMethod::Get => Ok((OperationKind::List, None, Response::Page(elem))),
            HttpMethod::Post => Ok((OperationKind::Create, Some(elem.clone()), Response::Value(elem))),
            m => Err(format!("{} is not defined on the collection `{}`", m.as_str(), describe_last(segments))),
        }
    } else {
        match method {
            HttpMethod::Get => Ok((OperationKind::Get, None, Response::Value(elem))),
            HttpMethod::Patch => Ok((OperationKind::Update, Some(elem.clone()), Response::OptionalValue(elem))),
            HttpMethod::Put => Ok((OperationKind::Replace, Some(elem.clone()), Response::OptionalValue(elem))),
            HttpMethod::Delete => Ok((OperationKind::Delete, None, Response::Empty)),
            HttpMethod::Post => Err(format!("POST is not defined on the single entity `{}`", describe_last(segments))),
        }
    }
}

/// [`resolve`], and when the path does not resolve, once more with older segment names replaced
/// through `aliases` (e.g. beta `accessPackageCatalogs` -> v1.0 `catalogs`; compared
/// case-insensitively). When the renamed path fails too, the reason is the one of the attempt
/// that got further.
pub fn resolve_with_aliases(
    csdl: &Schema,
    method: HttpMethod,
    path: &RawPath,
    options: Options,
    aliases: &BTreeMap<String, String>,
) -> Result<Resolved, String> {
    let reason = match resolve(csdl, method, path, options) {
        Ok(r) => return Ok(r),
        Err(reason) => reason,
    };
    let renamed = RawPath {
        segments: path
            .segments
            .iter()
            .map(|s| match s {
                RawSegment::Name(n) => aliases
                    .iter()
                    .find(|(old, _)| old.eq_ignore_ascii_case(n))
                    .map_or_else(|| s.clone(), |(_, new)| RawSegment::Name(new.clone())),
                other => other.clone(),
            })
            .collect(),
        query: path.query.clone(),
    };
    if renamed == *path {
        return Err(reason);
    }
    resolve(csdl, method, &renamed, options).map_err(|renamed_reason| {
        // Report the attempt that got further: the renamed one when the first stopped at a
        // segment the aliases rename.
        let lower = reason.to_ascii_lowercase();
        let stopped_at_alias = aliases.keys().any(|old| lower.contains(&format!("`{}`", old.to_ascii_lowercase())));
        if stopped_at_alias { format!("with segment aliases applied: {renamed_reason}") } else { reason }
    })
}

/// The synthetic type holding an action's body parameters.
pub fn action_params_name(op: &OperationDecl) -> QName {
    let binding = op.binding.as_ref().map_or("unbound", |b| b.name.name.as_str());
    QName::new(&format!("{}.{}", op.name.namespace, binding), &format!("{}Parameters", op.name.name))
}

fn operation_segment(op: &OperationDecl) -> Segment {
    match op.kind {
        CsdlOpKind::Function => Segment::Function {
            name: op.name.clone(),
            params: op
                .params
                .iter()
                .map(|p| Param { name: p.name.clone(), ty: type_ref_expr(&p.ty), nullable: p.nullable })
                .collect(),
        },
        CsdlOpKind::Action => Segment::Action { name: op.name.clone() },
    }
}

/// The overload whose parameter names are exactly `args` (case-insensitive).
fn pick_overload<'a>(ops: &[&'a OperationDecl], args: &[&str]) -> Option<&'a OperationDecl> {
    ops.iter()
        .find(|op| {
            op.params.len() == args.len()
                && op.params.iter().all(|p| args.iter().any(|a| a.eq_ignore_ascii_case(&p.name)))
        })
        .copied()
}

fn not_found(csdl: &Schema, state: &State, name: &str, fold: bool) -> String {
    if state.collection && csdl.find_navigation(&state.ty, name, fold).is_some() {
        return format!("`{name}` is a navigation property of `{}`, but a key must come first", state.ty);
    }
    let is_property =
        csdl.all_properties(&state.ty).iter().any(|p| p.name == name || (fold && p.name.eq_ignore_ascii_case(name)));
    if is_property {
        return format!(
            "`{name}` is a structural property of `{}`; only navigation properties are addressed",
            state.ty
        );
    }
    let what = if state.collection { "collection of " } else { "" };
    format!("`{name}` is neither a navigation property nor a bound operation of {what}`{}` in this metadata", state.ty)
}

fn describe_last(segments: &[Segment]) -> String {
    match segments.last() {
        Some(Segment::Navigation { name, .. }) => name.clone(),
        Some(Segment::Key { entity, .. }) => format!("{{{}}}", entity.name),
        Some(Segment::Function { name, .. } | Segment::Action { name }) => name.name.clone(),
        Some(Segment::Ref) => "$ref".to_string(),
        Some(Segment::Stream { name }) => name.clone(),
        None => String::new(),
    }
}

/// Key parameters are named after the entity type (`{accessPackageId}`), numbered on repeats.
fn name_key_params(segments: &mut [Segment]) {
    let mut used: Vec<String> = Vec::new();
    for seg in segments.iter_mut() {
        if let Segment::Key { param, entity, .. } = seg {
            let base = format!("{}Id", entity.name);
            let mut candidate = base.clone();
            let mut n = 1;
            while used.contains(&candidate) {
                n += 1;
                candidate = format!("{base}{n}");
            }
            used.push(candidate.clone());
            *param = candidate;
        }
    }
}

/// The canonical template of resolved segments.
pub fn template_of(segments: &[Segment]) -> String {
    let mut out = String::new();
    for seg in segments {
        out.push('/');
        match seg {
            Segment::Navigation { name, .. } => out.push_str(name),
            Segment::Key { param, .. } => {
                out.push('{');
                out.push_str(param);
                out.push('}');
            }
            Segment::Function { name, params } => {
                out.push_str(&name.name);
                out.push('(');
                let args: Vec<String> = params
                    .iter()
                    .map(|p| {
                        if quoted_in_url(&p.ty) {
                            format!("{0}='{{{0}}}'", p.name)
                        } else {
                            format!("{0}={{{0}}}", p.name)
                        }
                    })
                    .collect();
                out.push_str(&args.join(","));
                out.push(')');
            }
            Segment::Action { name } => out.push_str(&name.name),
            Segment::Ref => out.push_str("$ref"),
            Segment::Stream { name } => out.push_str(name),
        }
    }
    out
}

/// Function arguments of these types are written as quoted OData literals.
pub fn quoted_in_url(ty: &TypeRef) -> bool {
    match ty {
        TypeRef::Primitive(p) => matches!(p, Primitive::String),
        TypeRef::Named(_) => true, // enum members are written as 'member'
        TypeRef::Collection(_) => false,
    }
}

/// Maps a CSDL type expression to a model type reference.
pub fn type_ref_expr(t: &TypeExpr) -> TypeRef {
    let inner = type_ref(&TypeExpr { collection: false, name: t.name.clone() });
    if t.collection { TypeRef::Collection(Box::new(inner)) } else { inner }
}

fn type_ref(t: &TypeExpr) -> TypeRef {
    if t.collection {
        return type_ref_expr(t);
    }
    if t.is_edm() {
        // Validation has checked the name.
        TypeRef::Primitive(Primitive::from_edm(&t.name.name).unwrap_or(Primitive::Json))
    } else {
        TypeRef::Named(t.name.clone())
    }
}

/// The (template, HTTP method) pairs an OpenAPI document serves, with their descriptions.
#[derive(Debug, Clone, Default)]
pub struct Served {
    pub ops: BTreeMap<(String, HttpMethod), ServedOp>,
}

/// Resolves every (method, path) an OpenAPI document lists to the model's template (the first
/// spelling of a template wins); a path that does not resolve is not served.
pub fn served(schema: &Schema, listed: &[(HttpMethod, ServedOp)]) -> Served {
    let mut out = Served::default();
    for (method, op) in listed {
        let Ok(raw) = syntax::parse(&op.path) else { continue };
        let Ok(r) = resolve(schema, *method, &raw, Options::default()) else { continue };
        out.ops.entry((r.template, *method)).or_insert_with(|| op.clone());
    }
    out
}

/// Resolves a path against the metadata; with an OpenAPI front end (`served`), only what the
/// document lists resolves.
pub fn resolve_served(
    schema: &Schema,
    served: Option<&Served>,
    method: HttpMethod,
    raw: &RawPath,
    options: Options,
    aliases: &BTreeMap<String, String>,
) -> Result<Resolved, String> {
    let resolved = resolve_with_aliases(schema, method, raw, options, aliases)?;
    match served {
        Some(s) if !s.ops.contains_key(&(resolved.template.clone(), method)) => {
            Err(format!("the OpenAPI document has no `{} {}`", method.as_str(), resolved.template))
        }
        _ => Ok(resolved),
    }
}
