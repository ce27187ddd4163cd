//! The write-ahead log record of an accepted beacon: its rows, encoded once.
//!
//! The endpoint parses and checks a beacon anyway; it turns it into rows and
//! encodes them as RowBinary right there, and that is what it logs. The drain
//! then only appends each record's bytes to its batch, table by table, and
//! sends them as they are: no second parse, no second encoding. A batch
//! replayed after a crash is made of the same bytes, so it is the same block.
//!
//! Layout: `[format: u8 = 1][received_at_ms: i64 LE]`, then per table in
//! [`TABLES`] order `[rows: u32 LE][bytes: u32 LE]`, then the tables' bytes
//! in that order.
//!
//! Records of the first format, the JSON of [`Accepted`] (they start with
//! `{`), may still be in a log written by an older server; they are encoded
//! when read. A change to the row types needs a new format number, and the
//! old one must stay readable until no log can hold it.

mod row_binary;
mod rows;

use crate::enrich::Accepted;
use row_binary::RowBinaryError;
/// A beacon of the given events, accepted (for tests elsewhere).
#[cfg(test)]
pub(crate) use rows::tests::accepted;
pub use rows::Rows;
use rows::{TableSpan, TABLES, TABLE_COUNT};

/// The current record format.
const ROW_BINARY_V1: u8 = 1;
/// The first byte of a record in the first format (JSON).
const LEGACY_JSON: u8 = b'{';
const HEADER_BYTES: usize = 1 + 8 + TABLE_COUNT * 8;

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("unknown write-ahead log record format {0}")]
    UnknownFormat(u8),
    #[error("write-ahead log record shorter than its header says")]
    Truncated,
    #[error("write-ahead log record in the JSON format unreadable: {0}")]
    LegacyJson(#[from] serde_json::Error),
    #[error("rows not encodable: {0}")]
    RowBinary(#[from] RowBinaryError),
}

/// The record to log for an accepted beacon.
pub fn encode(accepted: &Accepted) -> Result<Vec<u8>, RecordError> {
    let rows = Rows::from_accepted(std::slice::from_ref(accepted));
    let mut record = Vec::with_capacity(HEADER_BYTES + 256 * rows.len());
    record.push(ROW_BINARY_V1);
    record.extend_from_slice(&accepted.received_at_ms.to_le_bytes());
    record.resize(HEADER_BYTES, 0);
    let spans = rows.append_row_binary(&mut record)?;
    for (index, span) in spans.iter().enumerate() {
        let at = 9 + index * 8;
        record[at..at + 4].copy_from_slice(&(span.rows as u32).to_le_bytes());
        record[at + 4..at + 8].copy_from_slice(&(span.bytes as u32).to_le_bytes());
    }
    Ok(record)
}

/// One table's share of a batch: RowBinary rows, back to back.
#[derive(Debug, Default)]
pub struct TableRows {
    pub rows: usize,
    pub bytes: Vec<u8>,
}

/// The rows of many records, per table, ready to insert.
#[derive(Debug, Default)]
pub struct TableBatch {
    pub tables: [TableRows; TABLE_COUNT],
}

/// What one record added to a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Added {
    pub rows: usize,
    pub received_at_ms: i64,
}

impl TableBatch {
    /// The batch of these beacons, as if each had been logged and read back.
    pub fn from_accepted(beacons: &[Accepted]) -> Result<Self, RecordError> {
        let mut batch = TableBatch::default();
        for accepted in beacons {
            batch.add(&encode(accepted)?)?;
        }
        Ok(batch)
    }

    /// Appends a logged record's rows; leaves the batch as it was if the
    /// record is unreadable.
    pub fn add(&mut self, record: &[u8]) -> Result<Added, RecordError> {
        match record.first() {
            Some(&ROW_BINARY_V1) => self.add_row_binary(record),
            Some(&LEGACY_JSON) => self.add(&encode(&serde_json::from_slice(record)?)?),
            Some(&other) => Err(RecordError::UnknownFormat(other)),
            None => Err(RecordError::Truncated),
        }
    }

    fn add_row_binary(&mut self, record: &[u8]) -> Result<Added, RecordError> {
        let header = record.get(..HEADER_BYTES).ok_or(RecordError::Truncated)?;
        let number = |at: usize| {
            u32::from_le_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]])
        };
        let spans: [TableSpan; TABLE_COUNT] = std::array::from_fn(|index| TableSpan {
            rows: number(9 + index * 8) as usize,
            bytes: number(13 + index * 8) as usize,
        });
        let total: usize = spans.iter().map(|span| span.bytes).sum();
        if record.len() != HEADER_BYTES + total {
            return Err(RecordError::Truncated);
        }
        let mut at = HEADER_BYTES;
        for (table, span) in self.tables.iter_mut().zip(&spans) {
            table.rows += span.rows;
            table.bytes.extend_from_slice(&record[at..at + span.bytes]);
            at += span.bytes;
        }
        let mut received_at = [0u8; 8];
        received_at.copy_from_slice(&header[1..9]);
        Ok(Added {
            rows: spans.iter().map(|span| span.rows).sum(),
            received_at_ms: i64::from_le_bytes(received_at),
        })
    }

    /// Appends a record's rows unless they would take a batch that holds
    /// rows already past `max_rows` or `max_bytes`: then the batch is left as
    /// it was and the answer is `None`. An empty batch takes any record, so a
    /// single large beacon still moves on.
    pub fn add_within(
        &mut self,
        record: &[u8],
        max_rows: usize,
        max_bytes: usize,
    ) -> Result<Option<Added>, RecordError> {
        let before = self.tables.each_ref().map(|t| (t.rows, t.bytes.len()));
        let was_empty = self.rows() == 0;
        let added = self.add(record)?;
        if was_empty || (self.rows() <= max_rows && self.bytes() <= max_bytes) {
            return Ok(Some(added));
        }
        for (table, (rows, bytes)) in self.tables.iter_mut().zip(before) {
            table.rows = rows;
            table.bytes.truncate(bytes);
        }
        Ok(None)
    }

    pub fn rows(&self) -> usize {
        self.tables.iter().map(|table| table.rows).sum()
    }

    /// RowBinary bytes, all tables together: what one insert sends.
    pub fn bytes(&self) -> usize {
        self.tables.iter().map(|table| table.bytes.len()).sum()
    }

    /// Each table with rows in this batch: its name, columns and rows.
    pub fn non_empty(
        &self,
    ) -> impl Iterator<Item = (&'static str, &'static [&'static str], &TableRows)> {
        TABLES
            .iter()
            .zip(&self.tables)
            .filter(|(_, table)| table.rows > 0)
            .map(|((name, columns), table)| (*name, *columns, table))
    }
}

#[cfg(test)]
mod tests {
    use canopy_wire::{Event, EventBody, Vital, VitalName};

    use super::*;

    fn accepted(session: &str, vitals: usize) -> Accepted {
        let event = Event {
            app: "cart".into(),
            at: 9_000.0,
            body: EventBody::Vital(Vital::new(VitalName::Lcp, 1200.0)),
        };
        let mut accepted = rows::tests::accepted(vec![event; vitals]);
        accepted.beacon.session_id = session.into();
        accepted.beacon.dropped = 0; // vitals only
        accepted
    }

    #[test]
    fn records_concatenate_into_the_rows_of_their_beacons() {
        let beacons = [accepted("s1", 2), accepted("s2", 3)];
        let mut batch = TableBatch::default();
        for beacon in &beacons {
            let added = batch.add(&encode(beacon).unwrap()).unwrap();
            assert_eq!(added.received_at_ms, 1_800_000_000_000);
        }
        let mut expected = Vec::new();
        let spans = Rows::from_accepted(&beacons)
            .append_row_binary(&mut expected)
            .unwrap();
        assert_eq!(batch.tables[0].bytes, expected[..spans[0].bytes]);
        assert_eq!((batch.tables[0].rows, batch.rows()), (5, 5));
        let names: Vec<_> = batch.non_empty().map(|(name, ..)| name).collect();
        assert_eq!(names, ["vitals"]);
    }

    #[test]
    fn a_batch_takes_records_only_within_its_caps() {
        let record = encode(&accepted("s", 3)).unwrap();
        let mut batch = TableBatch::default();
        // Alone, a record over the caps is taken: the drain must move on.
        assert!(batch.add_within(&record, 1, 1).unwrap().is_some());
        assert_eq!(batch.rows(), 3);
        let one = batch.bytes();
        assert!(batch.add_within(&record, 5, usize::MAX).unwrap().is_none());
        assert!(batch
            .add_within(&record, usize::MAX, 2 * one - 1)
            .unwrap()
            .is_none());
        assert_eq!(
            (batch.rows(), batch.bytes()),
            (3, one),
            "a refused record leaves nothing"
        );
        assert!(batch.add_within(&record, 6, 2 * one).unwrap().is_some());
        assert_eq!((batch.rows(), batch.bytes()), (6, 2 * one));
    }

    #[test]
    fn records_in_the_json_format_of_older_servers_are_still_read() {
        let beacon = accepted("s", 2);
        let mut from_json = TableBatch::default();
        from_json
            .add(&serde_json::to_vec(&beacon).unwrap())
            .unwrap();
        let current = TableBatch::from_accepted(&[beacon]).unwrap();
        assert_eq!(from_json.tables[0].bytes, current.tables[0].bytes);
        assert_eq!(from_json.rows(), 2);
    }

    #[test]
    fn damaged_records_are_refused_and_change_nothing() {
        let record = encode(&accepted("s", 1)).unwrap();
        let mut batch = TableBatch::default();
        assert!(matches!(
            batch.add(&record[..record.len() - 1]),
            Err(RecordError::Truncated)
        ));
        assert!(matches!(
            batch.add(&[7]),
            Err(RecordError::UnknownFormat(7))
        ));
        assert!(matches!(
            batch.add(br#"{"no":1}"#),
            Err(RecordError::LegacyJson(_))
        ));
        assert!(matches!(batch.add(&[]), Err(RecordError::Truncated)));
        assert_eq!(batch.rows(), 0);
    }
}
