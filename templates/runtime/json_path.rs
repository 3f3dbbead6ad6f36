//! Where in a JSON text a decode error happened, named as a path
//! (`value[3].schedule.expiration.duration`).
//!
//! The path is found from the error's position (`serde_json` gives the line and column of every
//! error it raises while reading text) by scanning the text up to it. So the models are decoded
//! once, by the decoder a program compiles anyway. A path-tracking deserializer (the crate used
//! `serde_path_to_error` before) wraps the reader in its own type, which compiles a second copy of
//! every model's decoder into the program, only to run it after a failure.

use serde::de::DeserializeOwned;

/// Decodes `bytes` as `T`; an error comes with the JSON path where it happened (`.` at the top).
pub(crate) fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, (String, serde_json::Error)> {
    serde_json::from_slice(bytes).map_err(|e| (error_path(bytes, &e), e))
}

/// Decodes `value` as `T` through its text, so that it is decoded by the decoder every other value
/// uses (one decoder per model in a program, not a second one for `serde_json::Value`). An error
/// comes with its JSON path inside `value` and its message without a position (the text decoded
/// is not the one the user sent). Writing a `Value` as text cannot fail.
pub(crate) fn from_value<T: DeserializeOwned>(value: &serde_json::Value) -> Result<T, (String, String)> {
    let text = serde_json::to_vec(value).map_err(|e| (".".to_string(), e.to_string()))?;
    from_slice(&text).map_err(|(path, e)| (path, message(&e)))
}

/// The JSON path of `error`, raised while reading `bytes` (`.` for an error without a position).
fn error_path(bytes: &[u8], error: &serde_json::Error) -> String {
    if error.line() == 0 {
        return ".".to_string();
    }
    path_at(bytes, offset(bytes, error.line(), error.column()))
}

/// The error's message without the position `serde_json` appends (for an error raised in a text
/// that is not the one the user sent, where the position would mislead).
fn message(error: &serde_json::Error) -> String {
    let text = error.to_string();
    if error.line() == 0 {
        return text;
    }
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    text.strip_suffix(&suffix).map_or_else(|| text.clone(), str::to_string)
}

/// The byte offset of a `serde_json` position: `line` counts from 1, `column` is the number of
/// bytes since the start of the line.
fn offset(bytes: &[u8], line: usize, column: usize) -> usize {
    let mut start = 0;
    for _ in 1..line {
        match bytes[start..].iter().position(|&b| b == b'\n') {
            Some(i) => start += i + 1,
            None => break,
        }
    }
    (start + column).min(bytes.len())
}

/// One open container while scanning.
enum Frame {
    /// An object and its current member: the key once read, `active` once its `:` is passed (the
    /// member's value is then being read).
    Object { key: Option<String>, active: bool },
    /// An array and the index of its current element.
    Array(usize),
}

/// The path of the value being read when the reader stood at `at`: every container opened before
/// `at` and not closed, each with the member or element it was reading. An error inside a key
/// names the object that holds it.
fn path_at(bytes: &[u8], at: usize) -> String {
    let mut frames: Vec<Frame> = Vec::new();
    let mut i = 0;
    while i < at && i < bytes.len() {
        match bytes[i] {
            b'{' => frames.push(Frame::Object { key: None, active: false }),
            b'[' => frames.push(Frame::Array(0)),
            b'}' | b']' => {
                frames.pop();
            }
            b':' => {
                if let Some(Frame::Object { active, .. }) = frames.last_mut() {
                    *active = true;
                }
            }
            b',' => match frames.last_mut() {
                Some(Frame::Object { key, active }) => {
                    *key = None;
                    *active = false;
                }
                Some(Frame::Array(index)) => *index += 1,
                None => {}
            },
            b'"' => {
                let end = string_end(bytes, i);
                if let Some(Frame::Object { key, active: false }) = frames.last_mut() {
                    // A key; one that does not end before `at` is where the error is.
                    if end >= at {
                        break;
                    }
                    match serde_json::from_slice::<String>(&bytes[i..=end.min(bytes.len() - 1)]) {
                        Ok(k) => *key = Some(k),
                        Err(_) => break,
                    }
                }
                i = end;
            }
            _ => {}
        }
        i += 1;
    }
    render(&frames)
}

/// The index of the quote closing the string that opens at `open` (the text's length when it
/// never closes).
fn string_end(bytes: &[u8], open: usize) -> usize {
    let mut i = open + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// `a.b[2].c`; `.` for the top.
fn render(frames: &[Frame]) -> String {
    let mut out = String::new();
    for frame in frames {
        match frame {
            Frame::Object { key: Some(key), active: true } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            // Between members, or in a key: the object itself.
            Frame::Object { .. } => break,
            Frame::Array(index) => {
                out.push('[');
                out.push_str(&index.to_string());
                out.push(']');
            }
        }
    }
    if out.is_empty() { ".".to_string() } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The path of the error decoding `text` as `T`.
    fn path<T: DeserializeOwned>(text: &str) -> String {
        match from_slice::<T>(text.as_bytes()) {
            Ok(_) => panic!("{text} decoded"),
            Err((path, _)) => path,
        }
    }

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Item {
        id: Option<String>,
        n: Option<u32>,
        inner: Option<Box<Item>>,
        list: Option<Vec<Item>>,
    }

    #[test]
    fn errors_are_named_by_the_value_being_read() {
        let cases: &[(&str, &str)] = &[
            // A wrong scalar: after the value.
            (r#"{"id": 1}"#, "id"),
            (r#"{"id": "a", "n": "x"}"#, "n"),
            (r#"{"inner": {"inner": {"n": -1}}}"#, "inner.inner.n"),
            (r#"{"list": [{}, {"n": true}]}"#, "list[1].n"),
            (r#"{"list": [{}, {}, 7]}"#, "list[2]"),
            // A wrong container: at its opening.
            (r#"{"id": {"a": 1}}"#, "id"),
            (r#"{"list": {"a": 1}}"#, "list"),
            // Pretty-printed, several lines.
            ("{\n  \"list\": [\n    {\"id\": \"a\"},\n    {\"n\": \"x\"}\n  ]\n}", "list[1].n"),
            // Escapes in keys and strings are read as such.
            (r#"{"id": "a\"b,[", "inner": {"\u0069d": 5}}"#, "inner.id"),
            // Syntax errors: where the reader stopped.
            (r#"{"inner": {"n": 1,"#, "inner"),
            (r#"{"list": [{}, "#, "list[1]"),
            (r#"{"id": "a" "n": 1}"#, "id"),
            // The top.
            (r#""text""#, "."),
            ("", "."),
        ];
        for (text, want) in cases {
            assert_eq!(path::<Item>(text), *want, "{text}");
        }
    }

    #[test]
    fn an_error_in_a_key_names_the_object_that_holds_it() {
        assert_eq!(path::<Item>("{\"inner\": {\"a\u{1}b\": 1}}"), "inner");
        assert_eq!(path::<Item>(r#"{"list": [{"\x": 1}]}"#), "list[0]");
    }

    #[test]
    fn any_text_and_any_position_give_a_path() {
        // Truncated, unbalanced and escaped texts, every position inside and past them: a path,
        // never a panic (the scan sees whatever a server sent).
        let alphabet = b"{}[]\":,\\ a1\n";
        let mut state = 0x2545_f491_u32;
        for _ in 0..3000 {
            let mut text = Vec::new();
            for _ in 0..(state % 40) {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                text.push(alphabet[state as usize % alphabet.len()]);
            }
            for at in 0..=text.len() + 2 {
                assert!(!path_at(&text, at).is_empty());
            }
            state = state.wrapping_add(1);
        }
        assert_eq!(offset(b"{}", 9, 9), 2);
    }

    #[test]
    fn the_message_drops_the_position() {
        let err = serde_json::from_str::<Item>(r#"{"n": "x"}"#).unwrap_err();
        assert!(err.to_string().contains(" at line 1 column"), "{err}");
        let text = message(&err);
        assert!(text.starts_with("invalid type: string \"x\""), "{text}");
        assert!(!text.contains("line"), "{text}");
    }
}
