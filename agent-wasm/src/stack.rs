//! Stack traces, parsed into frames: function, file, line and column.
//!
//! Browsers write stacks in two families. V8 (Chrome, Edge, Node) writes
//! `    at fn (https://x/a.js:10:5)` or `    at https://x/a.js:10:5` after a
//! first line with the message; SpiderMonkey (Firefox) and JavaScriptCore
//! (Safari) write `fn@https://x/a.js:10:5`, Safari also a bare
//! `https://x/a.js:10:5` for top-level code. Lines that are neither (the
//! message, `[native code]`) are skipped. Frames inside `eval` point at the
//! script that called `eval`, as V8 and Firefox name it. Files are left as
//! written: the caller scrubs them like any other URL.

use canopy_wire::limits::{truncate, MAX_FRAMES, MAX_TEXT_BYTES};
use canopy_wire::Frame;

use crate::text::{before, digits, find, rsplit_once, split, split_once};

/// The frames of `stack`, top first, at most [`MAX_FRAMES`].
pub fn parse(stack: &str) -> Vec<Frame> {
    // A V8 stack starts with the message, which may contain anything
    // (an `@`, a URL): once a line is a V8 frame, only V8 frames count.
    let v8 = split(stack, b'\n').any(|line| line.trim_ascii_start().starts_with("at "));
    let mut frames = Vec::new();
    for line in split(stack, b'\n') {
        if frames.len() == MAX_FRAMES {
            break;
        }
        let line = line.trim_ascii();
        let frame = if v8 {
            line.strip_prefix("at ").map(v8_frame)
        } else {
            gecko_frame(line)
        };
        if let Some(mut frame) = frame.filter(|frame| !frame.file.is_empty()) {
            truncate(&mut frame.function, MAX_TEXT_BYTES);
            truncate(&mut frame.file, MAX_TEXT_BYTES);
            frames.push(frame);
        }
    }
    frames
}

/// `fn (location)` or `location`, after `at `.
fn v8_frame(rest: &str) -> Frame {
    let called = rest
        .strip_suffix(')')
        .and_then(|inner| Some((inner, find(inner, " (")?)));
    let (function, location) = match called {
        Some((inner, at)) => (
            inner.get(..at).unwrap_or_default(),
            inner.get(at + 2..).unwrap_or_default(),
        ),
        None => ("", rest),
    };
    // `eval at f (https://x/a.js:1:1), <anonymous>:1:1`: the calling script.
    let location = match rsplit_once(location, b'(') {
        Some((_, inner)) => before(inner, b')'),
        None => location,
    };
    located(function, location)
}

/// `fn@location`, `@location` or (Safari, top-level code) a bare URL.
fn gecko_frame(line: &str) -> Option<Frame> {
    let (function, location) = match split_once(line, b'@') {
        Some(parts) => parts,
        None if find(line, "://").is_some() => ("", line),
        None => return None,
    };
    // Firefox names eval'd code `https://x/a.js line 2 > eval:1:5`: the
    // calling script and the line of the call.
    if let Some(at) = find(location, " line ") {
        let file = location.get(..at).unwrap_or_default();
        let rest = location.get(at + " line ".len()..).unwrap_or_default();
        let line = number(before(rest, b' '));
        return Some(Frame {
            function: function.to_owned(),
            file: file.to_owned(),
            line,
            column: 0,
        });
    }
    Some(located(function, location))
}

/// A line or column number; 0 when it is not one (as a missing one is).
fn number(text: &str) -> u32 {
    digits(text)
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or(0)
}

/// A frame from `file:line:column` (either number may be missing).
fn located(function: &str, location: &str) -> Frame {
    let mut file = location;
    let mut numbers = [0u32; 2];
    let mut found = 0;
    while found < 2 {
        match rsplit_once(file, b':') {
            Some((head, tail)) if !tail.is_empty() && tail.bytes().all(|b| b.is_ascii_digit()) => {
                numbers[found] = number(tail);
                file = head;
                found += 1;
            }
            _ => break,
        }
    }
    // Found from the end: the last number is the column when there are two.
    let (line, column) = if found == 2 {
        (numbers[1], numbers[0])
    } else {
        (numbers[0], 0)
    };
    Frame {
        function: function.to_owned(),
        file: file.to_owned(),
        line,
        column,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(function: &str, file: &str, line: u32, column: u32) -> Frame {
        Frame {
            function: function.into(),
            file: file.into(),
            line,
            column,
        }
    }

    #[test]
    fn chrome() {
        let stack = "TypeError: Cannot read properties of undefined (reading 'x') at https://x/bad.js:1:1\n\
                     \x20   at render (https://cdn.example/cart/main.js:10:5)\n\
                     \x20   at new Widget (https://cdn.example/cart/main.js?v=3:20:7)\n\
                     \x20   at https://shop.example/app.js:1:99\n\
                     \x20   at async Promise.all (index 0)\n\
                     \x20   at eval (eval at load (https://cdn.example/cat/x.js:4:2), <anonymous>:1:1)";
        assert_eq!(
            parse(stack),
            [
                frame("render", "https://cdn.example/cart/main.js", 10, 5),
                frame("new Widget", "https://cdn.example/cart/main.js?v=3", 20, 7),
                frame("", "https://shop.example/app.js", 1, 99),
                frame("async Promise.all", "index 0", 0, 0),
                frame("eval", "https://cdn.example/cat/x.js", 4, 2),
            ]
        );
    }

    #[test]
    fn firefox() {
        let stack = "render@https://cdn.example/cart/main.js:10:5\n\
                     Widget/<@https://cdn.example/cart/main.js:20:7\n\
                     @https://shop.example/app.js:1:99\n\
                     load@https://cdn.example/cat/x.js line 4 > eval:1:1\n";
        assert_eq!(
            parse(stack),
            [
                frame("render", "https://cdn.example/cart/main.js", 10, 5),
                frame("Widget/<", "https://cdn.example/cart/main.js", 20, 7),
                frame("", "https://shop.example/app.js", 1, 99),
                frame("load", "https://cdn.example/cat/x.js", 4, 0),
            ]
        );
    }

    #[test]
    fn safari() {
        let stack = "render@https://cdn.example/cart/main.js:10:5\n\
                     forEach@[native code]\n\
                     global code@https://shop.example/app.js:1:99\n\
                     https://shop.example/vendor.js:3:12";
        assert_eq!(
            parse(stack),
            [
                frame("render", "https://cdn.example/cart/main.js", 10, 5),
                frame("forEach", "[native code]", 0, 0),
                frame("global code", "https://shop.example/app.js", 1, 99),
                frame("", "https://shop.example/vendor.js", 3, 12),
            ]
        );
    }

    #[test]
    fn ports_survive_and_odd_input_gives_no_frames() {
        let frames = parse("f@http://127.0.0.1:8080/a.js:7\r\ng@file:///c.js");
        assert_eq!(
            frames,
            [
                frame("f", "http://127.0.0.1:8080/a.js", 7, 0),
                frame("g", "file:///c.js", 0, 0)
            ]
        );
        assert!(parse("").is_empty());
        assert!(parse("just a message").is_empty());
        assert!(
            parse("Error: a@b.example is taken\n    at f (https://x/a.js:1:2)")[0].file
                == "https://x/a.js"
        );
        let deep: String = (0..100)
            .map(|i| ["f@https://x/", &i.to_string(), ".js:1:1\n"].concat())
            .collect();
        assert_eq!(parse(&deep).len(), MAX_FRAMES);
    }
}
