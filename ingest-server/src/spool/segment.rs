//! The on-disk format of the write-ahead log.
//!
//! The log is a directory of segment files named by the sequence number of
//! their first record (`00000000000000000001.wal`). A record is
//! `[len: u32 LE][crc32 of seq+payload: u32 LE][seq: u64 LE][payload]`.
//! A crash can leave a torn record at the end of the last segment: recovery
//! cuts the segment back to its last whole record.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, ErrorKind, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

const HEADER_BYTES: usize = 16;
/// A record larger than this is corruption, not data (bodies are capped far lower).
pub const MAX_PAYLOAD_BYTES: usize = 16 << 20;

pub fn segment_path(dir: &Path, first_seq: u64) -> PathBuf {
    dir.join(format!("{first_seq:020}.wal"))
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
        let mut header = [0u8; HEADER_BYTES];
        if !read_full(&mut self.reader, &mut header)? {
            self.rewind_to(start)?;
            return Ok(Next::End { offset: start });
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
    pub cut_bytes: u64,
}

/// Scans a segment, cuts off a torn or corrupt tail, and reports its last record.
pub fn recover_segment(path: &Path) -> io::Result<Recovered> {
    let mut reader = RecordReader::open(path)?;
    let mut last_seq = None;
    let end = loop {
        match reader.next_record()? {
            Next::Record { seq, .. } => last_seq = Some(seq),
            Next::End { offset } | Next::Corrupt { offset } => break offset,
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
    })
}

/// Makes a directory entry (a new or removed file) durable.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Appends whole buffers to the current segment file.
pub struct SegmentWriter {
    file: File,
    pub first_seq: u64,
    pub len: u64,
}

impl SegmentWriter {
    pub fn create(dir: &Path, first_seq: u64) -> io::Result<Self> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(segment_path(dir, first_seq))?;
        sync_dir(dir)?;
        Ok(Self {
            file,
            first_seq,
            len: 0,
        })
    }

    pub fn reopen(path: &Path, first_seq: u64, len: u64) -> io::Result<Self> {
        let file = OpenOptions::new().append(true).open(path)?;
        Ok(Self {
            file,
            first_seq,
            len,
        })
    }

    pub fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.file.write_all(bytes)?;
        self.len += bytes.len() as u64;
        Ok(())
    }

    pub fn sync(&mut self) -> io::Result<()> {
        self.file.sync_data()
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
