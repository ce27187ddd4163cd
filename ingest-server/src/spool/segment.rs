//! The on-disk format of the write-ahead log.
//!
//! The log is a directory of segment files named by the sequence number of
//! their first record (`00000000000000000001.wal`). A record is
//! `[len: u32 LE][crc32 of seq+payload: u32 LE][seq: u64 LE][payload]`.
//! A crash can leave a torn record at the end of the last segment: recovery
//! cuts the segment back to its last whole record.
//!
//! New segments are usually made from a spare: a file of zeros, written and
//! fsynced in the background before it is needed (see [`prepare_spare`]).
//! Appending into blocks that already exist changes no file size or block
//! map, so each fdatasync only writes data, not a filesystem journal commit;
//! on a disk shared with other writers that is both faster and far steadier
//! (docs/PERFORMANCE.md). A zero header (sequence numbers start at 1) marks
//! where the written records end.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, ErrorKind, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

const HEADER_BYTES: usize = 16;
/// A record larger than this is corruption, not data (bodies are capped far lower).
pub const MAX_PAYLOAD_BYTES: usize = 16 << 20;

pub fn segment_path(dir: &Path, first_seq: u64) -> PathBuf {
    dir.join(format!("{first_seq:020}.wal"))
}

/// The spare segment, ready to become the next one.
pub fn spare_path(dir: &Path) -> PathBuf {
    dir.join("spare.zeros")
}

/// Writes a spare segment of `bytes` zeros and makes it durable. It is
/// written under another name first, so a half-made spare is never used;
/// both names are removed by [`remove_spares`] at startup.
///
/// Each chunk is made durable before the next is written: a disk cache flush
/// (every group commit asks for one) writes out whatever is dirty ahead of
/// it, so one fsync of a whole segment would hold up the commits behind it
/// for as long as the disk takes to write it.
pub fn prepare_spare(dir: &Path, bytes: u64) -> io::Result<()> {
    const CHUNK_BYTES: usize = 256 << 10;
    let partial = dir.join("spare.partial");
    let mut file = File::create(&partial)?;
    let zeros = vec![0u8; CHUNK_BYTES];
    let mut left = bytes;
    while left > 0 {
        let n = left.min(zeros.len() as u64) as usize;
        file.write_all(&zeros[..n])?;
        file.sync_data()?;
        left -= n as u64;
    }
    file.sync_all()?;
    fs::rename(&partial, spare_path(dir))
}

/// Removes spares left by an earlier run (they are not counted as log data).
pub fn remove_spares(dir: &Path) -> io::Result<()> {
    for path in [spare_path(dir), dir.join("spare.partial")] {
        match fs::remove_file(&path) {
            Err(error) if error.kind() != ErrorKind::NotFound => return Err(error),
            _ => {}
        }
    }
    Ok(())
}

/// The segments in a directory, as (first sequence number, path), oldest first.
pub fn list_segments(dir: &Path) -> io::Result<Vec<(u64, PathBuf)>> {
    let mut segments = Vec::new();
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        let first_seq = path
            .file_name()
            .and_then(|name| name.to_str())
            .and_then(|name| name.strip_suffix(".wal"))
            .and_then(|stem| stem.parse::<u64>().ok());
        if let Some(first_seq) = first_seq {
            segments.push((first_seq, path));
        }
    }
    segments.sort();
    Ok(segments)
}

pub fn encode_record(seq: u64, payload: &[u8], out: &mut Vec<u8>) {
    let mut crc = crc32fast::Hasher::new();
    crc.update(&seq.to_le_bytes());
    crc.update(payload);
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc.finalize().to_le_bytes());
    out.extend_from_slice(&seq.to_le_bytes());
    out.extend_from_slice(payload);
}

/// Reads records one after another from a segment file.
pub struct RecordReader {
    reader: BufReader<File>,
    offset: u64,
}

pub enum Next {
    Record {
        seq: u64,
        payload: Vec<u8>,
    },
    /// End of file, or a record not (yet, or ever) complete: `offset` is where the good data ends.
    End {
        offset: u64,
    },
    /// Zeros where the next record would begin: preallocated space not written (yet).
    Unwritten {
        offset: u64,
    },
    /// A complete record whose checksum does not match.
    Corrupt {
        offset: u64,
    },
}

impl RecordReader {
    pub fn open(path: &Path) -> io::Result<Self> {
        Ok(Self {
            reader: BufReader::new(File::open(path)?),
            offset: 0,
        })
    }

    pub fn next_record(&mut self) -> io::Result<Next> {
        let start = self.offset;
        match self.parse_next()? {
            record @ Next::Record { .. } => Ok(record),
            _ => {
                // The buffer may have been filled before the latest writes
                // landed (zeros, or half a record, where whole records are
                // now): read again from the file before concluding.
                self.rewind_to(start)?;
                self.parse_next()
            }
        }
    }

    fn parse_next(&mut self) -> io::Result<Next> {
        let start = self.offset;
        let mut header = [0u8; HEADER_BYTES];
        if !read_full(&mut self.reader, &mut header)? {
            self.rewind_to(start)?;
            return Ok(Next::End { offset: start });
        }
        if header == [0u8; HEADER_BYTES] {
            self.rewind_to(start)?;
            return Ok(Next::Unwritten { offset: start });
        }
        let len = u32::from_le_bytes(header[0..4].try_into().unwrap_or_default()) as usize;
        let crc = u32::from_le_bytes(header[4..8].try_into().unwrap_or_default());
        let seq = u64::from_le_bytes(header[8..16].try_into().unwrap_or_default());
        if len > MAX_PAYLOAD_BYTES {
            return Ok(Next::Corrupt { offset: start });
        }
        let mut payload = vec![0u8; len];
        if !read_full(&mut self.reader, &mut payload)? {
            self.rewind_to(start)?;
            return Ok(Next::End { offset: start });
        }
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(&seq.to_le_bytes());
        hasher.update(&payload);
        if hasher.finalize() != crc {
            return Ok(Next::Corrupt { offset: start });
        }
        self.offset = start + (HEADER_BYTES + len) as u64;
        Ok(Next::Record { seq, payload })
    }

    /// Steps back so a record that was still being written is read again later.
    fn rewind_to(&mut self, offset: u64) -> io::Result<()> {
        self.reader.seek(SeekFrom::Start(offset))?;
        self.offset = offset;
        Ok(())
    }
}

/// `Ok(false)` when the file ended first.
fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<bool> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => return Ok(false),
            Ok(n) => filled += n,
            Err(error) if error.kind() == ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(true)
}

/// What recovery found in the last segment.
pub struct Recovered {
    pub last_seq: Option<u64>,
    pub len: u64,
    /// Bytes cut off after the last whole record (unwritten zeros included).
    pub cut_bytes: u64,
    /// Whether what was cut began with a torn or corrupt record rather than zeros or nothing.
    pub torn: bool,
}

/// Scans a segment, cuts off a torn or corrupt tail (and any unwritten
/// preallocated space), and reports its last record.
pub fn recover_segment(path: &Path) -> io::Result<Recovered> {
    let mut reader = RecordReader::open(path)?;
    let mut last_seq = None;
    let (end, stopped_at_zeros) = loop {
        match reader.next_record()? {
            Next::Record { seq, .. } => last_seq = Some(seq),
            Next::Unwritten { offset } => break (offset, true),
            Next::End { offset } | Next::Corrupt { offset } => break (offset, false),
        }
    };
    let file = OpenOptions::new().write(true).open(path)?;
    let len = file.metadata()?.len();
    if len > end {
        file.set_len(end)?;
        file.sync_all()?;
    }
    Ok(Recovered {
        last_seq,
        len: end,
        cut_bytes: len - end,
        torn: len > end && !stopped_at_zeros,
    })
}

/// Makes a directory entry (a new or removed file) durable.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Makes a new segment's name durable, or removes the segment: a segment
/// file that the writer does not use would claim sequence numbers that the
/// current one goes on holding.
fn durable_entry(dir: &Path, path: &Path) -> io::Result<()> {
    sync_dir(dir).inspect_err(|_| {
        let _ = fs::remove_file(path);
    })
}

/// Appends whole buffers to the current segment file.
pub struct SegmentWriter {
    file: File,
    pub first_seq: u64,
    /// Bytes of records written.
    pub len: u64,
    /// Size of the file: at least `len`, more while preallocated space is left.
    size: u64,
}

impl SegmentWriter {
    /// A new, empty segment file (no spare was ready).
    pub fn create(dir: &Path, first_seq: u64) -> io::Result<Self> {
        let path = segment_path(dir, first_seq);
        let file = OpenOptions::new()
            .create(true)
            .truncate(true)
            .write(true)
            .open(&path)?;
        durable_entry(dir, &path)?;
        Ok(Self {
            file,
            first_seq,
            len: 0,
            size: 0,
        })
    }

    /// The spare, renamed to be the segment starting at `first_seq`.
    pub fn from_spare(dir: &Path, first_seq: u64) -> io::Result<Self> {
        let path = segment_path(dir, first_seq);
        let file = OpenOptions::new().write(true).open(spare_path(dir))?;
        let size = file.metadata()?.len();
        fs::rename(spare_path(dir), &path)?;
        durable_entry(dir, &path)?;
        Ok(Self {
            file,
            first_seq,
            len: 0,
            size,
        })
    }

    pub fn reopen(path: &Path, first_seq: u64, len: u64) -> io::Result<Self> {
        let file = OpenOptions::new().write(true).open(path)?;
        let size = file.metadata()?.len().max(len);
        Ok(Self {
            file,
            first_seq,
            len,
            size,
        })
    }

    /// Writes `bytes` after the last record; how many bytes the file grew by.
    pub fn append(&mut self, bytes: &[u8]) -> io::Result<u64> {
        self.file.write_all_at(bytes, self.len)?;
        self.len += bytes.len() as u64;
        let grown = self.len.saturating_sub(self.size);
        self.size = self.size.max(self.len);
        Ok(grown)
    }

    pub fn sync(&mut self) -> io::Result<()> {
        self.file.sync_data()
    }

    /// Cuts the file back to `len` (after a failed write, so the next
    /// record starts on a boundary); how many bytes the file shrank by.
    pub fn truncate(&mut self, len: u64) -> io::Result<u64> {
        self.file.set_len(len)?;
        let freed = self.size.saturating_sub(len);
        self.len = len;
        self.size = len;
        Ok(freed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_records(path: &Path, records: &[(u64, &[u8])]) {
        let mut bytes = Vec::new();
        for (seq, payload) in records {
            encode_record(*seq, payload, &mut bytes);
        }
        fs::write(path, bytes).unwrap();
    }

    #[test]
    fn reads_back_what_was_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = segment_path(dir.path(), 1);
        write_records(&path, &[(1, b"one"), (2, b""), (3, b"three")]);
        let mut reader = RecordReader::open(&path).unwrap();
        let mut seen = Vec::new();
        while let Next::Record { seq, payload } = reader.next_record().unwrap() {
            seen.push((seq, payload));
        }
        assert_eq!(
            seen,
            vec![(1, b"one".to_vec()), (2, vec![]), (3, b"three".to_vec())]
        );
        assert_eq!(list_segments(dir.path()).unwrap(), vec![(1, path)]);
    }

    #[test]
    fn recovery_cuts_a_torn_tail() {
        let dir = tempfile::tempdir().unwrap();
        let path = segment_path(dir.path(), 7);
        write_records(&path, &[(7, b"whole"), (8, b"torn record")]);
        let full = fs::metadata(&path).unwrap().len();
        OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(full - 4)
            .unwrap();

        let recovered = recover_segment(&path).unwrap();
        assert_eq!(recovered.last_seq, Some(7));
        assert_eq!(recovered.len, (HEADER_BYTES + 5) as u64);
        assert_eq!(fs::metadata(&path).unwrap().len(), recovered.len);
    }

    #[test]
    fn recovery_cuts_at_a_bad_checksum() {
        let dir = tempfile::tempdir().unwrap();
        let path = segment_path(dir.path(), 1);
        write_records(&path, &[(1, b"good"), (2, b"flipped")]);
        let mut bytes = fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0xff;
        fs::write(&path, bytes).unwrap();
        let recovered = recover_segment(&path).unwrap();
        assert_eq!(
            (recovered.last_seq, recovered.cut_bytes),
            (Some(1), (HEADER_BYTES + 7) as u64)
        );
    }

    #[test]
    fn a_spare_holds_records_and_its_unwritten_rest_reads_as_such() {
        let dir = tempfile::tempdir().unwrap();
        prepare_spare(dir.path(), 4096).unwrap();
        let mut writer = SegmentWriter::from_spare(dir.path(), 5).unwrap();
        assert!(!spare_path(dir.path()).exists());
        let mut bytes = Vec::new();
        encode_record(5, b"five", &mut bytes);
        encode_record(6, b"six", &mut bytes);
        assert_eq!(
            writer.append(&bytes).unwrap(),
            0,
            "written inside the spare"
        );
        writer.sync().unwrap();
        let path = segment_path(dir.path(), 5);
        assert_eq!(fs::metadata(&path).unwrap().len(), 4096);

        let mut reader = RecordReader::open(&path).unwrap();
        assert!(matches!(
            reader.next_record().unwrap(),
            Next::Record { seq: 5, .. }
        ));
        assert!(matches!(
            reader.next_record().unwrap(),
            Next::Record { seq: 6, .. }
        ));
        let end = bytes.len() as u64;
        assert!(
            matches!(reader.next_record().unwrap(), Next::Unwritten { offset } if offset == end)
        );
        // A record written later is read from where the zeros began.
        let mut more = Vec::new();
        encode_record(7, b"seven", &mut more);
        writer.append(&more).unwrap();
        assert!(matches!(
            reader.next_record().unwrap(),
            Next::Record { seq: 7, .. }
        ));

        // Past the spare's end the file grows, and says by how much.
        let big = vec![1u8; 5000];
        let mut record = Vec::new();
        encode_record(8, &big, &mut record);
        let before = writer.len;
        assert_eq!(
            writer.append(&record).unwrap(),
            before + record.len() as u64 - 4096
        );

        // Recovery cuts unwritten zeros without calling them torn.
        let recovered = recover_segment(&path).unwrap();
        assert_eq!((recovered.last_seq, recovered.torn), (Some(8), false));
    }

    #[test]
    fn recovery_in_a_spare_cuts_a_torn_record_and_the_zeros_after_it() {
        let dir = tempfile::tempdir().unwrap();
        prepare_spare(dir.path(), 4096).unwrap();
        let mut writer = SegmentWriter::from_spare(dir.path(), 1).unwrap();
        let mut bytes = Vec::new();
        encode_record(1, b"whole", &mut bytes);
        let whole = bytes.len() as u64;
        encode_record(2, b"torn record", &mut bytes);
        bytes.truncate(bytes.len() - 3); // the rest of it never reached the disk
        writer.append(&bytes).unwrap();
        let recovered = recover_segment(&segment_path(dir.path(), 1)).unwrap();
        assert_eq!(
            (recovered.last_seq, recovered.len, recovered.torn),
            (Some(1), whole, true)
        );
        assert_eq!(recovered.cut_bytes, 4096 - whole);
    }

    #[test]
    fn leftover_spares_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        prepare_spare(dir.path(), 4096).unwrap();
        fs::write(dir.path().join("spare.partial"), b"half").unwrap();
        remove_spares(dir.path()).unwrap();
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
        remove_spares(dir.path()).unwrap();
    }

    #[test]
    fn a_partly_written_record_is_read_once_complete() {
        let dir = tempfile::tempdir().unwrap();
        let path = segment_path(dir.path(), 1);
        let mut record = Vec::new();
        encode_record(1, b"late", &mut record);
        fs::write(&path, &record[..10]).unwrap();
        let mut reader = RecordReader::open(&path).unwrap();
        assert!(matches!(
            reader.next_record().unwrap(),
            Next::End { offset: 0 }
        ));
        OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(&record[10..])
            .unwrap();
        assert!(matches!(
            reader.next_record().unwrap(),
            Next::Record { seq: 1, .. }
        ));
    }
}
