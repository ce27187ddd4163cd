//! The browser as the wasm sees it: the bottom of the agent.
//!
//! No text enters wasm memory. A JS value is a [`Js`] handle, a slot in the
//! table of the loader (`npm-package/agent/load.js`), released when the
//! handle drops; property, method and event names are [`Word`]s, whose text
//! stays in JS (`npm-package/agent/words.js`, the same list in the same
//! order). The imports below are the loader's; the text work (scrubbing,
//! attribution by URL or stack, selectors, JSON) is the text side's, reached
//! through [`crate::text`].
//!
//! Handles are not wasm-bindgen's: its glue (a heap, string passing, closure
//! tables) and its per-import shims cost more than the few kinds of call the
//! agent makes. Every import here is total: a property that cannot be read,
//! a method that throws, is `undefined` (or NaN), never an exception.

/// A JS value held by the wasm. Handles 0 to 3 are fixed (`undefined`,
/// `null`, `true`, `false`): the loader keeps and releases them as no-ops,
/// so neither side of the boundary tests for them twice.
#[repr(transparent)]
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Js(u32);

/// Declares imports of the loader's module `module`: the real ones in the
/// wasm, and stand-ins answering `undefined` (0) off the browser, where host
/// tests link the modules above them.
macro_rules! imports {
    ($module:literal { $($(#[$doc:meta])* fn $name:ident($($arg:ident: $ty:ty),*) $(-> $ret:ty)?;)* }) => {
        #[cfg(target_arch = "wasm32")]
        #[link(wasm_import_module = $module)]
        extern "C" {
            $($(#[$doc])* fn $name($($arg: $ty),*) $(-> $ret)?;)*
        }
        $(
            #[cfg(not(target_arch = "wasm32"))]
            #[allow(unused_variables, clippy::missing_safety_doc, clippy::too_many_arguments)]
            unsafe fn $name($($arg: $ty),*) $(-> $ret)? {
                Default::default()
            }
        )*
    };
}
pub(crate) use imports;

imports! { "c" {
    /// A second handle to the value of `handle`.
    fn keep(handle: u32) -> u32;
    fn release(handle: u32);
    /// `value[WORDS[key]]`.
    fn get(value: u32, key: u32) -> u32;
    /// `value[WORDS[key]]` if it is a number, else NaN.
    fn number(value: u32, key: u32) -> f64;
    /// `value[WORDS[key]]` if it is a number, else 0.
    fn num(value: u32, key: u32) -> f64;
    /// Whether `value[WORDS[key]] === WORDS[word]` (`true`: the word list's
    /// first entry is the boolean, see words.js).
    fn equals(value: u32, key: u32, word: u32) -> u32;
    /// `value[index]`.
    fn item(value: u32, index: u32) -> u32;
    /// `value[WORDS[method]](argument)`.
    fn call(value: u32, method: u32, argument: u32) -> u32;
    /// Whether the value is an object or a function (not null).
    fn is_object(value: u32) -> u32;
    /// `WORDS[word]` as a value.
    fn word(word: u32) -> u32;
    /// `globalThis[WORDS[name]]`.
    fn global(name: u32) -> u32;
    /// `performance.now()` and `Date.now()`.
    fn now() -> f64;
    fn epoch_now() -> f64;
    /// `target.addEventListener(WORDS[event], …, capture)`, reporting each
    /// event to the export `on` with `tag`.
    fn listen(target: u32, event: u32, tag: u32, capture: u32);
    /// A buffered PerformanceObserver of entry type `WORDS[kind]` on the
    /// timeline of `window` (0: the page's), reporting each list of entries
    /// with `tag`; its handle, or 0 when the browser lacks the type.
    fn observe(kind: u32, tag: u32, duration_threshold: f64, window: u32) -> u32;
    /// Reports `tag` after `ms` (every `ms` with `repeat`), or before the
    /// next frame (`ms` < 0).
    fn timer(tag: u32, ms: f64, repeat: u32);
} }

// SAFETY (every `unsafe` below): the imports take and return plain numbers;
// a handle the table does not hold reads as `undefined` on the JS side.

impl Js {
    pub const UNDEFINED: Js = Js(0);

    /// Takes ownership of a handle the loader made for the wasm.
    pub fn from_raw(handle: u32) -> Js {
        Js(handle)
    }

    /// The handle number, to pass to an import (the value stays held).
    pub fn raw(&self) -> u32 {
        self.0
    }

    /// Not `undefined` or `null`.
    pub fn is_some(&self) -> bool {
        self.0 > 1
    }

    /// The value `true` (the loader's fixed handle 2).
    pub fn is_true(&self) -> bool {
        self.0 == 2
    }

    pub fn is_object(&self) -> bool {
        unsafe { is_object(self.0) != 0 }
    }

    pub fn get(&self, key: Word) -> Js {
        Js(unsafe { get(self.0, key as u32) })
    }

    /// A numeric property, or None when it is not a number.
    pub fn number(&self, key: Word) -> Option<f64> {
        let value = unsafe { number(self.0, key as u32) };
        (!value.is_nan()).then_some(value)
    }

    /// A numeric property, 0 when it is not a number.
    pub fn num(&self, key: Word) -> f64 {
        unsafe { num(self.0, key as u32) }
    }

    /// Whether the property is exactly `word` (`Word::True` for `true`).
    pub fn is(&self, key: Word, word: Word) -> bool {
        unsafe { equals(self.0, key as u32, word as u32) != 0 }
    }

    pub fn call(&self, method: Word, argument: &Js) -> Js {
        Js(unsafe { call(self.0, method as u32, argument.0) })
    }

    /// `value[index]` (undefined past the end, or for a value that is not array-like).
    pub fn item(&self, index: u32) -> Js {
        Js(unsafe { item(self.0, index) })
    }

    /// The items of an array-like value (none for anything else).
    pub fn items(&self) -> impl Iterator<Item = Js> + '_ {
        let len = self.num(Word::length) as u32;
        (0..len).map(move |index| self.item(index))
    }

    pub fn word(word: Word) -> Js {
        Js(unsafe { self::word(word as u32) })
    }

    /// A global of the page: `window`, `document`, `performance`….
    pub fn global(global_name: Word) -> Js {
        Js(unsafe { global(global_name as u32) })
    }

    /// Listens to `event` on this target; events reach `crate::on` with `tag`.
    pub fn listen(&self, event_type: Word, tag: u32, capture: bool) {
        unsafe { listen(self.0, event_type as u32, tag, capture.into()) }
    }
}

impl Clone for Js {
    fn clone(&self) -> Self {
        // The loader hands fixed handles back as they are.
        Js(unsafe { keep(self.0) })
    }
}

impl Drop for Js {
    fn drop(&mut self) {
        // The loader never releases a fixed handle.
        unsafe { release(self.0) }
    }
}

/// Milliseconds since the time origin (`performance.now()`).
pub fn performance_now() -> f64 {
    unsafe { now() }
}

/// Milliseconds since the epoch (`Date.now()`).
pub fn date_now() -> f64 {
    unsafe { epoch_now() }
}

/// Observes one entry type (buffered) on `window`'s timeline (the page's
/// when `None`); `None` when the browser lacks it.
pub fn observe_entries(
    kind: Word,
    tag: u32,
    duration_threshold: f64,
    window: Option<&Js>,
) -> Option<Js> {
    let observer = unsafe {
        observe(
            kind as u32,
            tag,
            duration_threshold,
            window.map_or(0, Js::raw),
        )
    };
    // A branch, not `then_some`: its copy for `Js` costs more wasm.
    if observer != 0 {
        Some(Js(observer))
    } else {
        None
    }
}

/// Reports `tag` after `ms` (every `ms` if `repeat`).
pub fn after(tag: u32, ms: f64, repeat: bool) {
    unsafe { timer(tag, ms.max(0.0), repeat.into()) }
}

/// Reports `tag` before the next frame (`requestAnimationFrame`).
pub fn next_frame(tag: u32) {
    unsafe { timer(tag, -1.0, 0) }
}

macro_rules! words {
    ($($word:ident)*) => {
        /// Names the wasm uses, by number: npm-package/agent/words.js holds
        /// their text in this order (a host test compares the two lists).
        #[repr(u32)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[allow(non_camel_case_types)]
        pub enum Word { $($word),* }

        #[cfg(test)]
        pub const WORDS: &[&str] = &[$(stringify!($word)),*];
    };
}

#[cfg(test)]
mod tests {
    use super::WORDS;

    /// words.js: `[true, '', ...'window document …'.split(' ')]`.
    #[test]
    fn words_js_lists_the_same_words_in_the_same_order() {
        let js = include_str!("../../npm-package/agent/words.js");
        let list = js.split('\'').nth(3).expect("the split string");
        let expected: Vec<String> = WORDS[2..]
            .iter()
            .map(|word| word.trim_end_matches('_').replace('_', "-"))
            .collect();
        assert_eq!(&WORDS[..2], ["True", "empty"]);
        assert_eq!(list.split(' ').collect::<Vec<_>>(), expected);
    }
}

// Spelled as in JS (camelCase, hyphens as `_`: words.js writes the text).
words! {
    True empty window document performance navigator
    length startTime duration name value target element url id sources node
    hadRecentInput interactionId processingStart processingEnd renderTime
    loadEventEnd responseStart activationStart requestStart responseEnd
    domainLookupStart domainLookupEnd connectStart connectEnd secureConnectionStart
    domInteractive domContentLoadedEventEnd transferSize decodedBodySize
    initiatorType blockingDuration scripts sourceURL sourceFunctionName invoker
    timeOrigin interactionCount visibilityState hidden visible prerendering
    persisted timeStamp isTrusted status type_
    PerformanceObserver supportedEntryTypes includes nodeType reason message
    getEntries getEntriesByType takeRecords disconnect
    error unhandledrejection visibilitychange pagehide pageshow keydown click
    prerenderingchange first_contentful_paint started lastActive
    navigation paint largest_contentful_paint layout_shift event first_input
    resource long_animation_frame longtask visibility_state
}
