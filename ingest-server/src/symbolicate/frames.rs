//! Stack frames as the server holds them, and which uploaded file a frame's
//! script is.

use crate::store::sourcemaps::UploadedFile;

/// A frame of minified code: script URL, 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameAt<'a> {
    pub function: &'a str,
    pub file: &'a str,
    pub line: u32,
    pub column: u32,
}

impl<'a> FrameAt<'a> {
    /// A frame line as the rollups keep a group's top frame: Chrome's
    /// `at fn (url:line:column)` or `at url:line:column` (how the server
    /// writes parsed frames too), or Firefox's and Safari's `fn@url:line:column`.
    pub fn parse(text: &'a str) -> Option<Self> {
        let text = text.trim();
        let (function, location) = if let Some(chrome) = text.strip_prefix("at ") {
            match chrome.strip_suffix(')').and_then(|t| t.rsplit_once(" (")) {
                Some((function, location)) => (function, location),
                None => ("", chrome),
            }
        } else {
            text.split_once('@')?
        };
        let (rest, column) = location.rsplit_once(':')?;
        let (file, line) = rest.rsplit_once(':')?;
        Some(Self {
            function,
            file,
            line: line.parse().ok()?,
            column: column.parse().ok()?,
        })
    }
}

/// The uploaded file a script URL is: the longest uploaded path that is the
/// URL's path or ends it after a `/` (`assets/cart.js` is
/// `https://cdn.example/mfe/cart/assets/cart.js`, and not `…/xassets/cart.js`).
pub fn matching_file<'f>(url: &str, files: &'f [UploadedFile]) -> Option<&'f UploadedFile> {
    let path = url::Url::parse(url)
        .ok()
        .map_or_else(|| url.to_owned(), |parsed| parsed.path().to_owned());
    files
        .iter()
        .filter(|uploaded| {
            let file = uploaded.file.as_str();
            path == file
                || path
                    .strip_suffix(file)
                    .is_some_and(|head| head.ends_with('/'))
        })
        .max_by_key(|uploaded| uploaded.file.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uploaded(files: &[&str]) -> Vec<UploadedFile> {
        files
            .iter()
            .map(|file| UploadedFile {
                file: (*file).to_owned(),
                uploaded_at: 0,
            })
            .collect()
    }

    #[test]
    fn the_longest_uploaded_suffix_at_a_slash_wins() {
        let files = uploaded(&["cart.js", "assets/cart.js", "other/assets/cart.js"]);
        let file = |url| matching_file(url, &files).map(|f| f.file.as_str());
        assert_eq!(
            file("https://cdn.example/mfe/assets/cart.js"),
            Some("assets/cart.js")
        );
        assert_eq!(file("https://cdn.example/cart.js?v=2#x"), Some("cart.js"));
        assert_eq!(file("https://cdn.example/xassets/cart.js"), Some("cart.js"));
        assert_eq!(file("https://cdn.example/mycart.js"), None);
        assert_eq!(
            file("assets/cart.js"),
            Some("assets/cart.js"),
            "a bare path"
        );
        assert_eq!(matching_file("https://x/cart.js", &[]), None);
    }

    #[test]
    fn frame_lines_of_each_browser_parse() {
        let chrome = FrameAt::parse("at pay (http://shop.example/cart.js:1:2)").unwrap();
        assert_eq!(
            chrome,
            FrameAt {
                function: "pay",
                file: "http://shop.example/cart.js",
                line: 1,
                column: 2
            }
        );
        let anonymous = FrameAt::parse("at http://shop.example:8080/cart.js:10:20").unwrap();
        assert_eq!(
            (anonymous.function, anonymous.file),
            ("", "http://shop.example:8080/cart.js")
        );
        assert_eq!((anonymous.line, anonymous.column), (10, 20));
        let firefox = FrameAt::parse("fetchPrice@http://shop.example/cart.js:9:1").unwrap();
        assert_eq!(
            (firefox.function, firefox.line, firefox.column),
            ("fetchPrice", 9, 1)
        );
        assert_eq!(FrameAt::parse("Checkout failed"), None);
        assert_eq!(FrameAt::parse(""), None);
    }
}
