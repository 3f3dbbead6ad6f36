//! Typed `$filter` expressions over a model's `…Field` enum: property names checked by the
//! compiler, literals written the way OData wants them (strings quoted with `'` doubled, GUIDs,
//! date-times and numbers bare, enum members quoted, `null`), rendered once and percent-encoded
//! once by the request.
//!
//! The builder checks syntax, not what Graph supports: which properties can be filtered on, and
//! with which operators, varies by resource (see each method's Graph docs; some need
//! [`Request::count`](crate::Request::count) for advanced queries). Raw strings stay
//! possible with [`Request::filter`](crate::Request::filter) or [`Filter::raw`].

use std::fmt::Write as _;
use std::marker::PhantomData;

/// A value written as an OData literal in a `$filter`.
pub trait Literal {
    /// The literal, e.g. `'O''Brien'`, `true`, `42`, `2024-05-01T00:00:00Z`, `null`.
    fn literal(&self) -> String;
}

/// `'text'` with every `'` doubled: an OData string literal (not percent-encoded: the request
/// encodes the whole query once).
pub fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

impl Literal for str {
    fn literal(&self) -> String {
        quote_literal(self)
    }
}

impl Literal for String {
    fn literal(&self) -> String {
        quote_literal(self)
    }
}

impl<T: Literal + ?Sized> Literal for &T {
    fn literal(&self) -> String {
        (**self).literal()
    }
}

impl<T: Literal> Literal for Option<T> {
    fn literal(&self) -> String {
        self.as_ref().map_or_else(|| "null".to_string(), Literal::literal)
    }
}

impl Literal for bool {
    fn literal(&self) -> String {
        self.to_string()
    }
}

macro_rules! integer_literals {
    ($($t:ty),*) => {$(
        impl Literal for $t {
            fn literal(&self) -> String {
                self.to_string()
            }
        }
    )*};
}
integer_literals!(i8, i16, i32, i64, u8, u16, u32, u64);

impl Literal for f64 {
    fn literal(&self) -> String {
        if self.is_finite() {
            // `1` is an Edm.Int32 literal; keep the double a double.
            let text = self.to_string();
            if text.contains(['.', 'e', 'E']) { text } else { format!("{text}.0") }
        } else if self.is_nan() {
            "NaN".to_string()
        } else if *self > 0.0 {
            "INF".to_string()
        } else {
            "-INF".to_string()
        }
    }
}

impl Literal for uuid::Uuid {
    fn literal(&self) -> String {
        self.hyphenated().to_string()
    }
}

impl Literal for chrono::DateTime<chrono::Utc> {
    fn literal(&self) -> String {
        self.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
    }
}

impl Literal for chrono::NaiveDate {
    fn literal(&self) -> String {
        self.format("%Y-%m-%d").to_string()
    }
}

/// What `$filter` and `$orderby` name, for an entity whose properties `F` names (its `…Field`
/// enum): one of its properties (the enum, or the name as text), a property reached through a
/// single-valued navigation property ([`Hop`], `owner/id`), or a collection-valued
/// navigation property ([`NavMany`], for [`Filter::any`] and [`Filter::all`]).
pub trait Property<F> {
    /// The path as OData writes it: `displayName`, `owner/id`.
    fn path(&self) -> String;
}

impl<F: AsRef<str>> Property<F> for F {
    fn path(&self) -> String {
        self.as_ref().to_string()
    }
}

/// A navigation property of the entity whose properties `F` names, to entities whose properties
/// `G` names: what `$expand` takes ([`Request::expand_nav`](crate::Request::expand_nav)).
pub trait Navigation<F> {
    /// The target's property enum.
    type Target;
    /// The navigation property's name, e.g. `owner`.
    fn name(&self) -> &'static str;
}

/// A single-valued navigation property, e.g. `<Entity>Field::owner()`
/// (generated beside each entity's `…Field` enum): [`field`](Self::field) names a property of
/// its target for `$filter` and `$orderby`; `$expand` takes it as it is.
pub struct Nav<F, G> {
    name: &'static str,
    types: PhantomData<fn() -> (F, G)>,
}

/// A collection-valued navigation property, e.g. an access package's `resourceRoleScopes`:
/// for `$expand`, and for [`Filter::any`] / [`Filter::all`] over its items.
pub struct NavMany<F, G> {
    name: &'static str,
    types: PhantomData<fn() -> (F, G)>,
}

/// A property of a navigation property's target: `owner/id`. Built with [`Nav::field`].
pub struct Hop<F, G> {
    nav: &'static str,
    field: G,
    parent: PhantomData<fn() -> F>,
}

macro_rules! navigation_type {
    ($t:ident) => {
        impl<F, G> $t<F, G> {
            /// The navigation property named `name` (what the generated constructors call).
            #[doc(hidden)]
            pub const fn new(name: &'static str) -> Self {
                $t { name, types: PhantomData }
            }
        }

        impl<F, G> Clone for $t<F, G> {
            fn clone(&self) -> Self {
                *self
            }
        }

        impl<F, G> Copy for $t<F, G> {}

        impl<F, G> std::fmt::Debug for $t<F, G> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}({})", stringify!($t), self.name)
            }
        }

        impl<F, G> Navigation<F> for $t<F, G> {
            type Target = G;
            fn name(&self) -> &'static str {
                self.name
            }
        }
    };
}
navigation_type!(Nav);
navigation_type!(NavMany);

impl<F, G> Nav<F, G> {
    /// A property of the target: `Filter::eq(<Entity>Field::owner().field(<Target>Field::Id), id)`
    /// writes `owner/id eq '…'`.
    pub fn field(self, field: G) -> Hop<F, G> {
        Hop { nav: self.name, field, parent: PhantomData }
    }
}

impl<F, G: AsRef<str>> Property<F> for Hop<F, G> {
    fn path(&self) -> String {
        format!("{}/{}", self.nav, self.field.as_ref())
    }
}

impl<F, G> Property<F> for NavMany<F, G> {
    fn path(&self) -> String {
        self.name.to_string()
    }
}

impl<F, G: Clone> Clone for Hop<F, G> {
    fn clone(&self) -> Self {
        Hop { nav: self.nav, field: self.field.clone(), parent: PhantomData }
    }
}

impl<F, G: Copy> Copy for Hop<F, G> {}

impl<F, G: AsRef<str>> std::fmt::Debug for Hop<F, G> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Hop({}/{})", self.nav, self.field.as_ref())
    }
}

/// A `$filter` expression over the properties `F` names (a model's `…Field` enum, e.g.
/// `GroupField`). Build it with the constructors, combine with [`and`](Self::and),
/// [`or`](Self::or) and `!` (or [`Filter::not`]), and pass it to
/// [`Request::filter_by`](crate::Request::filter_by).
///
/// ```
/// use msgraph_runtime::Filter;
///
/// // With a model's field enum (`Filter::eq(<Entity>Field::DisplayName, ..)`) the names are
/// // checked by the compiler; text names work too.
/// let f = Filter::eq("displayName", "Sales & O'Brien").and(Filter::eq("isHidden", false));
/// assert_eq!(f.to_string(), "displayName eq 'Sales & O''Brien' and isHidden eq false");
/// ```
pub struct Filter<F> {
    expr: Expr,
    field: PhantomData<fn() -> F>,
}

impl<F> Clone for Filter<F> {
    fn clone(&self) -> Self {
        Filter { expr: self.expr.clone(), field: PhantomData }
    }
}

impl<F> std::fmt::Debug for Filter<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Filter").field(&self.to_string()).finish()
    }
}

impl<F> PartialEq for Filter<F> {
    fn eq(&self, other: &Self) -> bool {
        self.expr == other.expr
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Expr {
    /// `path op literal`
    Compare {
        path: String,
        op: &'static str,
        value: String,
    },
    /// `function(path,literal)`
    Call {
        function: &'static str,
        path: String,
        value: String,
    },
    /// `path in (a,b)`
    In {
        path: String,
        values: Vec<String>,
    },
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    /// `path/any(x:inner)` / `path/all(x:inner)`, the inner paths below `x`.
    Lambda {
        path: String,
        quantifier: &'static str,
        inner: Option<Box<Expr>>,
    },
    /// `x` itself, inside a lambda over a collection of primitives.
    Item {
        op: &'static str,
        value: String,
    },
    Raw(String),
}

impl<F> Filter<F> {
    fn compare(field: impl Property<F>, op: &'static str, value: &(impl Literal + ?Sized)) -> Self {
        Filter::from_expr(Expr::Compare { path: field.path(), op, value: value.literal() })
    }

    /// `field eq value`
    pub fn eq(field: impl Property<F>, value: impl Literal) -> Self {
        Self::compare(field, "eq", &value)
    }

    /// `field ne value`
    pub fn ne(field: impl Property<F>, value: impl Literal) -> Self {
        Self::compare(field, "ne", &value)
    }

    /// `field gt value`
    pub fn gt(field: impl Property<F>, value: impl Literal) -> Self {
        Self::compare(field, "gt", &value)
    }

    /// `field ge value`
    pub fn ge(field: impl Property<F>, value: impl Literal) -> Self {
        Self::compare(field, "ge", &value)
    }

    /// `field lt value`
    pub fn lt(field: impl Property<F>, value: impl Literal) -> Self {
        Self::compare(field, "lt", &value)
    }

    /// `field le value`
    pub fn le(field: impl Property<F>, value: impl Literal) -> Self {
        Self::compare(field, "le", &value)
    }

    /// `field eq null`
    pub fn is_null(field: impl Property<F>) -> Self {
        Self::compare(field, "eq", &None::<bool>)
    }

    /// `field ne null`
    pub fn is_not_null(field: impl Property<F>) -> Self {
        Self::compare(field, "ne", &None::<bool>)
    }

    fn call(function: &'static str, field: impl Property<F>, text: &str) -> Self {
        Filter::from_expr(Expr::Call { function, path: field.path(), value: text.literal() })
    }

    /// `startswith(field,'prefix')`
    pub fn starts_with(field: impl Property<F>, prefix: &str) -> Self {
        Self::call("startswith", field, prefix)
    }

    /// `endswith(field,'suffix')`
    pub fn ends_with(field: impl Property<F>, suffix: &str) -> Self {
        Self::call("endswith", field, suffix)
    }

    /// `contains(field,'text')`
    pub fn contains(field: impl Property<F>, text: &str) -> Self {
        Self::call("contains", field, text)
    }

    /// `field in (a,b,...)`
    pub fn is_in<V: Literal>(field: impl Property<F>, values: impl IntoIterator<Item = V>) -> Self {
        let values = values.into_iter().map(|v| v.literal()).collect();
        Filter::from_expr(Expr::In { path: field.path(), values })
    }

    fn lambda(field: impl Property<F>, quantifier: &'static str, inner: Option<Expr>) -> Self {
        Filter::from_expr(Expr::Lambda { path: field.path(), quantifier, inner: inner.map(Box::new) })
    }

    /// `field/any(x:inner)`: some item of the collection `field` matches `inner`, a filter over
    /// the item type's fields (`G`).
    pub fn any<G>(field: impl Property<F>, inner: Filter<G>) -> Self {
        Self::lambda(field, "any", Some(inner.expr))
    }

    /// `field/all(x:inner)`: every item of the collection `field` matches `inner`.
    pub fn all<G>(field: impl Property<F>, inner: Filter<G>) -> Self {
        Self::lambda(field, "all", Some(inner.expr))
    }

    /// `field/any(x:x eq value)`: the collection of primitives (or enum members) `field` holds
    /// `value`.
    pub fn any_eq(field: impl Property<F>, value: impl Literal) -> Self {
        Self::lambda(field, "any", Some(Expr::Item { op: "eq", value: value.literal() }))
    }

    /// `field/any()`: the collection `field` is not empty.
    pub fn not_empty(field: impl Property<F>) -> Self {
        Self::lambda(field, "any", None)
    }
}

impl<F> Filter<F> {
    fn from_expr(expr: Expr) -> Self {
        Filter { expr, field: PhantomData }
    }

    /// An expression written by hand, used as it is (no quoting, no checks).
    pub fn raw(expression: impl Into<String>) -> Self {
        Filter::from_expr(Expr::Raw(expression.into()))
    }

    /// `self and other`
    pub fn and(self, other: Filter<F>) -> Self {
        Filter::from_expr(Expr::And(Box::new(self.expr), Box::new(other.expr)))
    }

    /// `self or other`
    pub fn or(self, other: Filter<F>) -> Self {
        Filter::from_expr(Expr::Or(Box::new(self.expr), Box::new(other.expr)))
    }

    /// `not (filter)` (also `!filter`).
    #[allow(clippy::should_implement_trait)] // `!` is implemented too
    pub fn not(filter: Filter<F>) -> Self {
        Filter::from_expr(Expr::Not(Box::new(filter.expr)))
    }
}

impl<F> std::ops::Not for Filter<F> {
    type Output = Filter<F>;
    fn not(self) -> Filter<F> {
        Filter::not(self)
    }
}

impl<F> std::fmt::Display for Filter<F> {
    /// The `$filter` text, before percent-encoding.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut out = String::new();
        render(&self.expr, None, &mut out);
        f.write_str(&out)
    }
}

/// The lambda variable's name at `depth` (`x`, `x1`, ...), so nested lambdas do not shadow.
fn var(depth: usize) -> String {
    if depth == 0 { "x".to_string() } else { format!("x{depth}") }
}

/// Writes `expr`; inside a lambda, `scope` is the variable and its depth.
fn render(expr: &Expr, scope: Option<(usize, &str)>, out: &mut String) {
    let path = |p: &str| match scope {
        Some((_, v)) => format!("{v}/{p}"),
        None => p.to_string(),
    };
    match expr {
        Expr::Compare { path: p, op, value } => {
            let _ = write!(out, "{} {op} {value}", path(p));
        }
        Expr::Call { function, path: p, value } => {
            let _ = write!(out, "{function}({},{value})", path(p));
        }
        Expr::In { path: p, values } => {
            let _ = write!(out, "{} in ({})", path(p), values.join(","));
        }
        Expr::And(a, b) | Expr::Or(a, b) => {
            let op = if matches!(expr, Expr::And(..)) { "and" } else { "or" };
            for (i, side) in [a, b].into_iter().enumerate() {
                if i == 1 {
                    let _ = write!(out, " {op} ");
                }
                // `and` binds tighter than `or`: an `or` inside an `and` needs parentheses;
                // they are written for every nested mix, for readers.
                let nested = matches!(**side, Expr::And(..) | Expr::Or(..))
                    && std::mem::discriminant(&**side) != std::mem::discriminant(expr);
                if nested {
                    out.push('(');
                }
                render(side, scope, out);
                if nested {
                    out.push(')');
                }
            }
        }
        Expr::Not(inner) => {
            out.push_str("not (");
            render(inner, scope, out);
            out.push(')');
        }
        Expr::Lambda { path: p, quantifier, inner } => {
            let depth = scope.map_or(0, |(d, _)| d + 1);
            let v = var(depth);
            let _ = write!(out, "{}/{quantifier}(", path(p));
            if let Some(inner) = inner {
                let _ = write!(out, "{v}:");
                render(inner, Some((depth, &v)), out);
            }
            out.push(')');
        }
        Expr::Item { op, value } => {
            let _ = write!(out, "{} {op} {value}", scope.map_or("$it", |(_, v)| v));
        }
        Expr::Raw(text) => out.push_str(text),
    }
}
