//! Recent long animation frames and their scripts: what names the scripts
//! behind a slow interaction (INP attribution) and orders a frame's scripts.
//! Pure logic, generic over the text type `T` (a JS handle in the wasm).

use canopy_wire::limits::MAX_SCRIPTS;

/// Long animation frames kept for INP attribution: the most recent.
const RECENT_FRAMES: usize = 32;

/// One script that ran in a long animation frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Script<T> {
    /// The script's URL, scrubbed.
    pub url: T,
    /// `sourceFunctionName` and `invoker`, where the browser names them.
    pub function: T,
    pub invoker: T,
    pub duration: f64,
}

/// The most recent long animation frames, with their scripts.
#[derive(Debug)]
pub struct RecentFrames<T> {
    frames: Vec<(f64, f64, Vec<Script<T>>)>,
}

impl<T> Default for RecentFrames<T> {
    fn default() -> Self {
        Self { frames: Vec::new() }
    }
}

impl<T: Clone> RecentFrames<T> {
    /// A frame from `start` to `end` (ms since the time origin).
    pub fn add(&mut self, start: f64, end: f64, scripts: Vec<Script<T>>) {
        if self.frames.len() == RECENT_FRAMES {
            self.frames.remove(0);
        }
        self.frames.push((start, end, scripts));
    }

    /// The scripts of the frames overlapping `start..end`, longest first.
    pub fn scripts_during(&self, start: f64, end: f64) -> Vec<Script<T>> {
        let mut scripts = Vec::new();
        for (frame_start, frame_end, frame_scripts) in &self.frames {
            if *frame_start <= end && *frame_end >= start {
                // Pushed one by one: `extend` would link a reservation.
                for script in frame_scripts {
                    scripts.push(script.clone());
                }
            }
        }
        longest_first(&mut scripts);
        scripts
    }
}

/// Sorts scripts longest first (stable) and keeps the [`MAX_SCRIPTS`] longest.
/// An insertion sort: the lists are short, and core's sort costs 4 KB of wasm.
pub fn longest_first<T>(scripts: &mut Vec<Script<T>>) {
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

    fn script(url: &'static str, duration: f64) -> Script<&'static str> {
        Script {
            url,
            function: "",
            invoker: "",
            duration,
        }
    }

    #[test]
    fn longest_first_is_a_stable_sort_kept_to_the_limit() {
        const NAMES: [&str; 20] = [
            "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15",
            "16", "17", "18", "19",
        ];
        let mut scripts: Vec<_> = (0..20).map(|i| script(NAMES[i], (i % 5) as f64)).collect();
        longest_first(&mut scripts);
        let order: Vec<&str> = scripts.iter().map(|s| s.url).collect();
        assert_eq!(order, ["4", "9", "14", "19", "3", "8", "13", "18"]);
    }

    #[test]
    fn scripts_during_takes_the_overlapping_frames_and_keeps_the_recent_ones() {
        let mut frames = RecentFrames::default();
        frames.add(0.0, 100.0, vec![script("first", 90.0)]);
        for i in 1..RECENT_FRAMES {
            frames.add(
                1_000.0 + i as f64,
                1_001.0 + i as f64,
                vec![script("filler", 1.0)],
            );
        }
        assert_eq!(frames.scripts_during(50.0, 60.0)[0].url, "first");
        // One more frame: the oldest is forgotten.
        frames.add(5_000.0, 5_100.0, vec![script("last", 60.0)]);
        assert!(frames.scripts_during(50.0, 60.0).is_empty());
        // A frame touching the interaction's ends counts.
        let touching: Vec<&str> = frames
            .scripts_during(5_100.0, 6_000.0)
            .iter()
            .map(|s| s.url)
            .collect();
        assert_eq!(touching, ["last"]);
    }
}
