//! Recent long animation frames and their scripts: what names the scripts
//! behind a slow interaction (INP attribution) and orders a frame's scripts.
//! Pure logic; `observe/frames.rs` feeds it.

use canopy_wire::limits::MAX_SCRIPTS;
use canopy_wire::ScriptTiming;

/// Long animation frames kept for INP attribution: the most recent.
const RECENT_FRAMES: usize = 32;

/// The most recent long animation frames, with their scripts.
#[derive(Debug, Default)]
pub struct RecentFrames {
    frames: Vec<(f64, f64, Vec<ScriptTiming>)>,
}

impl RecentFrames {
    /// A frame from `start` to `end` (ms since the time origin).
    pub fn add(&mut self, start: f64, end: f64, scripts: Vec<ScriptTiming>) {
        if self.frames.len() == RECENT_FRAMES {
            self.frames.remove(0);
        }
        self.frames.push((start, end, scripts));
    }

    /// The scripts of the frames overlapping `start..end`, longest first.
    pub fn scripts_during(&self, start: f64, end: f64) -> Vec<ScriptTiming> {
        let mut scripts: Vec<ScriptTiming> = Vec::new();
        for (frame_start, frame_end, frame_scripts) in &self.frames {
            if *frame_start <= end && *frame_end >= start {
                scripts.extend(frame_scripts.iter().cloned());
            }
        }
        longest_first(&mut scripts);
        scripts
    }
}

/// Sorts scripts longest first (stable) and keeps the [`MAX_SCRIPTS`] longest.
/// An insertion sort: the lists are short, and core's sort costs 4 KB of wasm.
pub fn longest_first(scripts: &mut Vec<ScriptTiming>) {
    for sorted in 1..scripts.len() {
        let mut index = sorted;
        while index > 0 && scripts[index - 1].duration < scripts[index].duration {
            scripts.swap(index - 1, index);
            index -= 1;
        }
    }
    scripts.truncate(MAX_SCRIPTS);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_first_is_a_stable_sort_kept_to_the_limit() {
        let script = |url: &str, duration: f64| ScriptTiming {
            url: url.into(),
            function: String::new(),
            invoker: String::new(),
            duration,
        };
        let mut scripts: Vec<ScriptTiming> = (0..20)
            .map(|i| script(&i.to_string(), f64::from(i % 5)))
            .collect();
        longest_first(&mut scripts);
        let order: Vec<&str> = scripts.iter().map(|s| s.url.as_str()).collect();
        assert_eq!(order, ["4", "9", "14", "19", "3", "8", "13", "18"]);
    }
}
