//! One source map: checked and parsed with the `sourcemap` crate, and a
//! minified position looked up in it.
//!
//! Positions are 1-based lines and columns, as browsers write them in stack
//! traces; the crate's are 0-based, so both are shifted on the way in and out.

use serde::{Deserialize, Serialize};
use sourcemap::{DecodedMap, SourceMap};
use utoipa::ToSchema;

/// Lines of source shown before and after a resolved line, at most.
pub const CONTEXT_LINES: u32 = 5;

/// Why bytes are not a usable source map.
#[derive(Debug, thiserror::Error)]
pub enum MapError {
    #[error("the map is not JSON: {0}")]
    NotJson(String),
    #[error("not a source map: {0}")]
    NotASourceMap(&'static str),
    #[error("the source map cannot be read: {0}")]
    Invalid(String),
    #[error(
        "an index map whose sections point at other maps by \"url\" cannot be used; \
         upload a map with the sections inline, or each section's map for its own file"
    )]
    IndexWithUrls,
}

/// The fields that tell a source map (revision 3) from other JSON.
#[derive(Deserialize)]
struct Shape {
    version: Option<serde_json::Value>,
    mappings: Option<serde::de::IgnoredAny>,
    sections: Option<serde::de::IgnoredAny>,
}

/// Parses a map; an index map (`sections`) is flattened into a regular one,
/// which needs its sections' maps inline.
pub fn parse(bytes: &[u8]) -> Result<SourceMap, MapError> {
    let shape: Shape =
        serde_json::from_slice(bytes).map_err(|error| MapError::NotJson(error.to_string()))?;
    if shape.version != Some(serde_json::Value::from(3)) {
        return Err(MapError::NotASourceMap("\"version\" must be 3"));
    }
    if shape.mappings.is_none() && shape.sections.is_none() {
        return Err(MapError::NotASourceMap(
            "it has neither \"mappings\" nor \"sections\"",
        ));
    }
    let decoded =
        sourcemap::decode_slice(bytes).map_err(|error| MapError::Invalid(error.to_string()))?;
    match decoded {
        DecodedMap::Regular(map) => Ok(map),
        // A React Native map: the plain map inside its extensions.
        DecodedMap::Hermes(hermes) => Ok((*hermes).clone()),
        DecodedMap::Index(index) => index.flatten().map_err(|error| match error {
            sourcemap::Error::CannotFlatten(_) => MapError::IndexWithUrls,
            other => MapError::Invalid(other.to_string()),
        }),
    }
}

/// Where a minified position came from.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Resolved {
    /// The original file, as the map names it (e.g. `webpack:///src/cart.js`).
    pub source: String,
    /// 1-based.
    pub line: u32,
    /// 1-based.
    pub column: u32,
    /// The original identifier mapped at this position, if the map has one.
    pub name: Option<String>,
    /// The original lines around it, when the map carries `sourcesContent`.
    pub context: Option<Context>,
}

/// Lines of the original source around a resolved line.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Context {
    /// Up to [`CONTEXT_LINES`] lines before, in order.
    pub pre: Vec<String>,
    pub line: String,
    /// Up to [`CONTEXT_LINES`] lines after, in order.
    pub post: Vec<String>,
}

/// The original position of the 1-based `line` and `column` of the minified
/// file, if the map maps a point on that line at or before it. Column 0
/// (unknown) is taken as the line's first column.
pub fn resolve(map: &SourceMap, line: u32, column: u32) -> Option<Resolved> {
    let (line, column) = (line.checked_sub(1)?, column.saturating_sub(1));
    let token = map.lookup_token(line, column)?;
    if token.get_dst_line() != line {
        return None;
    }
    let source = token.get_source()?.to_owned();
    let (src_line, src_column) = (token.get_src_line(), token.get_src_col());
    let context = map
        .get_source_view(token.get_src_id())
        .and_then(|view| context(|i| view.get_line(i), src_line));
    Some(Resolved {
        source,
        line: src_line + 1,
        column: src_column + 1,
        name: token.get_name().map(str::to_owned),
        context,
    })
}

/// The 0-based line `at` and up to [`CONTEXT_LINES`] on each side.
fn context<'a>(line_at: impl Fn(u32) -> Option<&'a str>, at: u32) -> Option<Context> {
    // The empty "line" after a file's final newline is no line.
    let text = |i: u32| {
        let line = line_at(i)?;
        let phantom = line.is_empty() && line_at(i + 1).is_none();
        (!phantom).then(|| line.trim_end_matches('\r').to_owned())
    };
    let line = text(at)?;
    let pre = (at.saturating_sub(CONTEXT_LINES)..at)
        .filter_map(text)
        .collect();
    let post = (at + 1..=at + CONTEXT_LINES).map_while(text).collect();
    Some(Context { pre, line, post })
}

#[cfg(test)]
mod tests {
    use super::*;

    const BUILDS: [&str; 2] = ["esbuild", "webpack"];

    /// Where the throw in src/price.js resolves to: line 8, and `new` at
    /// column 11 with esbuild. webpack maps the modules it concatenates by
    /// whole lines, so through it every position is its line's first column.
    fn throw_column(bundler: &str) -> u32 {
        if bundler == "webpack" {
            1
        } else {
            11
        }
    }

    /// A fixture built by tests/fixtures/sourcemaps/build.mjs: the minified
    /// file and its map.
    fn fixture(bundler: &str, build: &str) -> (String, SourceMap) {
        let dir = format!(
            "{}/tests/fixtures/sourcemaps/out/{bundler}/{build}/assets",
            env!("CARGO_MANIFEST_DIR")
        );
        let code = std::fs::read_to_string(format!("{dir}/cart.js")).unwrap();
        let map = parse(&std::fs::read(format!("{dir}/cart.js.map")).unwrap()).unwrap();
        (code, map)
    }

    /// Where a browser says `needle` is: 1-based line and column.
    fn position(code: &str, needle: &str) -> (u32, u32) {
        code.lines()
            .enumerate()
            .find_map(|(i, line)| {
                let at = line.find(needle)?;
                Some((i as u32 + 1, line[..at].chars().count() as u32 + 1))
            })
            .unwrap()
    }

    /// The throw in src/price.js: line 8, `new` at column 11.
    fn the_throw(bundler: &str, build: &str) -> Resolved {
        let (code, map) = fixture(bundler, build);
        let (line, column) = position(&code, "new TypeError");
        resolve(&map, line, column).unwrap_or_else(|| panic!("{bundler} {build}: unresolved"))
    }

    #[test]
    fn frames_resolve_to_the_original_line_column_and_context() {
        for bundler in BUILDS {
            let resolved = the_throw(bundler, "first");
            assert!(
                resolved.source.ends_with("src/price.js"),
                "{bundler}: {resolved:?}"
            );
            let expected = (8, throw_column(bundler));
            assert_eq!(
                (resolved.line, resolved.column),
                expected,
                "{bundler}: {resolved:?}"
            );
            let context = resolved.context.expect("sourcesContent gives context");
            assert_eq!(context.line, "    throw new TypeError('Bad total');");
            assert_eq!(context.pre.len(), 5);
            assert_eq!(context.pre[0], "  let sum = 0;");
            assert_eq!(context.pre[4], "  if (!Number.isFinite(sum)) {");
            assert_eq!(
                context.post,
                ["  }", "  return sum;", "}"],
                "to the end, no more"
            );
        }
    }

    #[test]
    fn names_come_from_the_map() {
        // `let sum = 0`, minified to a one-letter name before `=0;`.
        for bundler in BUILDS {
            let (code, map) = fixture(bundler, "first");
            let (line, column) = position(&code, "=0;");
            let resolved = resolve(&map, line, column - 1).unwrap();
            assert_eq!(
                resolved.name.as_deref(),
                Some("sum"),
                "{bundler}: {resolved:?}"
            );
            assert_eq!(resolved.line, 3, "{bundler}");
        }
    }

    #[test]
    fn without_sources_content_positions_resolve_without_context() {
        for bundler in BUILDS {
            let resolved = the_throw(bundler, "first-nosources");
            assert_eq!(
                (resolved.line, resolved.column),
                (8, throw_column(bundler)),
                "{bundler}"
            );
            assert_eq!(resolved.context, None, "{bundler}");
        }
    }

    #[test]
    fn two_builds_of_the_same_code_resolve_alike_and_share_a_fingerprint() {
        for bundler in BUILDS {
            let (first_code, _) = fixture(bundler, "first");
            let (second_code, _) = fixture(bundler, "second");
            assert_ne!(
                position(&first_code, "new TypeError"),
                position(&second_code, "new TypeError"),
                "{bundler}: the second build moves the minified throw"
            );
            let (first, second) = (the_throw(bundler, "first"), the_throw(bundler, "second"));
            assert_eq!(first, second, "{bundler}");
            assert_eq!(
                super::super::resolved_fingerprint("Bad total", &first),
                super::super::resolved_fingerprint("Bad total", &second)
            );
            assert_ne!(
                super::super::resolved_fingerprint("Bad total", &first),
                super::super::resolved_fingerprint("Other", &first)
            );
        }
    }

    #[test]
    fn positions_off_the_map_resolve_to_nothing() {
        let (_, map) = fixture("esbuild", "first");
        assert_eq!(resolve(&map, 0, 1), None, "line 0 is no line");
        assert_eq!(resolve(&map, 99, 1), None, "past the file");
    }

    #[test]
    fn what_is_not_a_usable_map_is_named() {
        let problem = |text: &str| parse(text.as_bytes()).unwrap_err().to_string();
        assert!(problem("not json").starts_with("the map is not JSON"));
        assert_eq!(problem("{}"), "not a source map: \"version\" must be 3");
        assert_eq!(
            problem(r#"{"version":3,"sources":[]}"#),
            "not a source map: it has neither \"mappings\" nor \"sections\""
        );
        assert!(
            problem(r#"{"version":3,"sources":[],"names":[],"mappings":"!!"}"#)
                .starts_with("the source map cannot be read")
        );
        let with_urls =
            r#"{"version":3,"sections":[{"offset":{"line":0,"column":0},"url":"a.js.map"}]}"#;
        assert!(problem(with_urls).contains("\"url\""));
    }

    #[test]
    fn index_maps_with_inline_sections_are_flattened() {
        let (code, _) = fixture("esbuild", "first");
        let inner = std::fs::read_to_string(format!(
            "{}/tests/fixtures/sourcemaps/out/esbuild/first/assets/cart.js.map",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        // The bundle as the second line of a file: its section starts there.
        let index = format!(
            r#"{{"version":3,"sections":[{{"offset":{{"line":1,"column":0}},"map":{inner}}}]}}"#
        );
        let map = parse(index.as_bytes()).unwrap();
        let (line, column) = position(&code, "new TypeError");
        let resolved = resolve(&map, line + 1, column).unwrap();
        assert_eq!((resolved.line, resolved.column), (8, 11));
    }
}
