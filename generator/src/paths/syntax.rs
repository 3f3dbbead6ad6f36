//! Syntax of request paths as the sources write them: `/a/{id}/b/fn(x='v',y={value})/$ref?q`.
//! Splits a path into raw segments; what each segment *means* is decided by `resolve`.

/// A path split into segments, with any query string set aside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawPath {
    pub segments: Vec<RawSegment>,
    /// The query string written into the path (without `?`), kept as a documented example.
    pub query: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawSegment {
    /// An identifier, possibly namespace-qualified (`microsoft.graph.reprocess`).
    Name(String),
    /// A placeholder such as `{id}` or `{accessPackageId}`.
    Placeholder(String),
    /// A key in parentheses, `accessPackages('id')` is split into Name + Key.
    Key(String),
    /// A function call with named arguments.
    Call { name: String, args: Vec<(String, RawArg)> },
    /// `$ref`.
    Ref,
    /// `$count` and other `$` segments.
    System(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawArg {
    /// `'text'` (quotes removed, `''` unescaped).
    Literal(String),
    /// `{value}` or `'{value}'`.
    Placeholder(String),
    /// Anything else (numbers, `true`, enum members without quotes).
    Bare(String),
}

/// Splits `path`. Errors describe the offending text.
pub fn parse(path: &str) -> Result<RawPath, String> {
    let path = path.trim();
    let (path_part, query) = split_query(path);
    let path_part = path_part.trim_matches('/');
    if path_part.is_empty() {
        return Err("empty path".to_string());
    }
    let mut segments = Vec::new();
    for seg in split_outside_parens(path_part, '/')? {
        if seg.is_empty() {
            return Err(format!("empty segment in `{path}`"));
        }
        segments.extend(parse_segment(&seg)?);
    }
    // OData addresses a reference with a final `$ref` only.
    if segments.iter().rev().skip(1).any(|s| matches!(s, RawSegment::Ref)) {
        return Err(format!("`$ref` before the last segment in `{path}`"));
    }
    Ok(RawPath { segments, query: query.filter(|q| !q.is_empty()).map(str::to_string) })
}

fn split_query(path: &str) -> (&str, Option<&str>) {
    let mut in_quote = false;
    for (i, c) in path.char_indices() {
        match c {
            '\'' => in_quote = !in_quote,
            '?' if !in_quote => return (&path[..i], Some(&path[i + 1..])),
            _ => {}
        }
    }
    (path, None)
}

/// Splits at `sep` outside quotes and parentheses.
fn split_outside_parens(s: &str, sep: char) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut in_quote = false;
    let mut current = String::new();
    for c in s.chars() {
        match c {
            '\'' => in_quote = !in_quote,
            '(' if !in_quote => depth += 1,
            ')' if !in_quote => {
                depth = depth.checked_sub(1).ok_or_else(|| format!("unbalanced `)` in `{s}`"))?;
            }
            c if c == sep && depth == 0 && !in_quote => {
                out.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    if depth != 0 || in_quote {
        return Err(format!("unbalanced parenthesis or quote in `{s}`"));
    }
    out.push(current);
    Ok(out)
}

fn parse_segment(seg: &str) -> Result<Vec<RawSegment>, String> {
    // Compared as the matcher compares names: case-insensitively (`$ref` and `$REF` are one key).
    if seg.eq_ignore_ascii_case("$ref") {
        return Ok(vec![RawSegment::Ref]);
    }
    if let Some(system) = seg.strip_prefix('$') {
        check_identifier(system)?;
        return Ok(vec![RawSegment::System(system.to_string())]);
    }
    if let Some(inner) = placeholder(seg) {
        return Ok(vec![RawSegment::Placeholder(inner.to_string())]);
    }
    let Some(open) = seg.find('(') else {
        check_identifier(seg)?;
        return Ok(vec![RawSegment::Name(seg.to_string())]);
    };
    let name = &seg[..open];
    check_identifier(name)?;
    let inner = seg[open + 1..]
        .strip_suffix(')')
        .ok_or_else(|| format!("segment `{seg}`: text after the closing parenthesis"))?;
    let parts = if inner.trim().is_empty() { Vec::new() } else { split_outside_parens(inner, ',')? };
    // `name('key')` or `name({id})`: a key in parentheses.
    if parts.len() == 1 && !parts[0].contains('=') {
        let key = match parse_arg(parts[0].trim())? {
            RawArg::Literal(s) | RawArg::Bare(s) => RawSegment::Key(s),
            RawArg::Placeholder(p) => RawSegment::Placeholder(p),
        };
        return Ok(vec![RawSegment::Name(name.to_string()), key]);
    }
    let mut args = Vec::new();
    for part in parts {
        let (arg, value) =
            part.split_once('=').ok_or_else(|| format!("segment `{seg}`: argument `{part}` is not name=value"))?;
        let arg = arg.trim();
        check_identifier(arg)?;
        args.push((arg.to_string(), parse_arg(value.trim())?));
    }
    Ok(vec![RawSegment::Call { name: name.to_string(), args }])
}

/// `microsoft.graph.reprocess` -> `reprocess`.
pub fn strip_namespace(name: &str) -> &str {
    name.rsplit_once('.').map_or(name, |(_, n)| n)
}

fn placeholder(s: &str) -> Option<&str> {
    let inner = s.strip_prefix('{')?.strip_suffix('}')?;
    (!inner.is_empty() && !inner.contains(['{', '}'])).then_some(inner)
}

fn parse_arg(value: &str) -> Result<RawArg, String> {
    if let Some(inner) = value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) {
        if let Some(p) = placeholder(inner) {
            return Ok(RawArg::Placeholder(p.to_string()));
        }
        return Ok(RawArg::Literal(inner.replace("''", "'")));
    }
    if let Some(p) = placeholder(value) {
        return Ok(RawArg::Placeholder(p.to_string()));
    }
    if value.is_empty() {
        return Err("empty argument value".to_string());
    }
    Ok(RawArg::Bare(value.to_string()))
}

fn check_identifier(s: &str) -> Result<(), String> {
    let ok = !s.is_empty()
        && s.split('.').all(|part| {
            let mut chars = part.chars();
            chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
                && chars.all(|c| c.is_alphanumeric() || c == '_')
        });
    if ok { Ok(()) } else { Err(format!("`{s}` is not a valid path segment")) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use RawSegment::*;

    fn name(s: &str) -> RawSegment {
        Name(s.to_string())
    }

    #[test]
    fn keys_refs_and_query() {
        let p = parse("/a/{id}/b/{bId}/$ref?$select=x").unwrap();
        assert_eq!(p.segments, vec![name("a"), Placeholder("id".into()), name("b"), Placeholder("bId".into()), Ref]);
        assert_eq!(p.query.as_deref(), Some("$select=x"));
    }

    #[test]
    fn function_calls() {
        let p = parse("a/f(x='it''s',y={value},z='{zz}',n=3)").unwrap();
        assert_eq!(
            p.segments[1],
            Call {
                name: "f".into(),
                args: vec![
                    ("x".into(), RawArg::Literal("it's".into())),
                    ("y".into(), RawArg::Placeholder("value".into())),
                    ("z".into(), RawArg::Placeholder("zz".into())),
                    ("n".into(), RawArg::Bare("3".into())),
                ]
            }
        );
        assert_eq!(parse("a/f()").unwrap().segments[1], Call { name: "f".into(), args: vec![] });
    }

    #[test]
    fn key_in_parentheses() {
        let p = parse("/a('k1')/b({id})").unwrap();
        assert_eq!(p.segments, vec![name("a"), Key("k1".into()), name("b"), Placeholder("id".into())]);
    }

    #[test]
    fn query_with_quotes_and_parens() {
        let p = parse("/c/{id}/r?$filter=(x+eq+%27{t}%27)&$expand=resource").unwrap();
        assert_eq!(p.segments.len(), 3);
        assert_eq!(p.query.as_deref(), Some("$filter=(x+eq+%27{t}%27)&$expand=resource"));
        let p = parse("r?$filter=originSystem eq 'SharePointOnline'").unwrap();
        assert_eq!(p.segments, vec![name("r")]);
    }

    #[test]
    fn bad_paths() {
        assert!(parse("").is_err());
        assert!(parse("/a//b").is_err());
        assert!(parse("/a/f(x='1'").is_err());
        assert!(parse("/a/f(x)y").is_err());
        assert!(parse("/a b").is_err());
    }
}
