//! The write-ahead log record of an accepted beacon: its rows, encoded once.
//!
//! The endpoint parses and checks a beacon anyway; it turns it into rows and
//! encodes them as RowBinary right there, and that is what it logs. The drain
//! then only appends each record's bytes to its batch, table by table, and
//! sends them as they are: no second parse, no second encoding. A batch
//! replayed after a crash is made of the same bytes, so it is the same block.
//!
//! Layout: `[format: u8 = 3][received_at_ms: i64 LE]`, then per table in
//! [`TABLES`] order `[rows: u32 LE][bytes: u32 LE]`, then the tables' bytes
//! in that order.
//!
//! Format 1, written before migration 10, has the first ten tables only,
//! and error rows without `level` and `attrs`: those are inserted on their
//! own, naming only the columns they have (ClickHouse fills in the defaults).
//!
//! A beacon with an id is logged with the id first (format 2): `[format: u8
//! = 2][key bytes: u16 LE][ingest key][id bytes: u8][id]`, then the record
//! as above. The drain adds one row per id to the `beacon_ids` table, in the
//! same batch and with the same token as the beacon's rows, and a starting
//! server reads the ids back from the log ([`logged_beacon_id`]) and from
//! that table, so a retried beacon is stored once across restarts.
//!
//! Records of the first format, the JSON of [`Accepted`] (they start with
//! `{`), may still be in a log written by an older server; they are encoded
//! when read. A change to the row types needs a new format number, and the
//! old one must stay readable until no log can hold it.

mod beacon_ids;
mod row_binary;
mod rows;

use crate::clock::time_from_millis;
use crate::enrich::Accepted;
use beacon_ids::BeaconIdRow;
pub use beacon_ids::BEACON_IDS_TABLE;
use row_binary::{append_row, RowBinaryError};
/// A beacon of the given events, accepted (for tests elsewhere).
#[cfg(test)]
pub(crate) use rows::tests::accepted;
pub use rows::Rows;
use rows::{ErrorRow, TableSpan, ERRORS_TABLE, TABLES, TABLE_COUNT, TABLE_COUNT_BEFORE_API};

/// The record format before migration 10 (see the module's doc).
const ROW_BINARY_BEFORE_API: u8 = 1;
/// A record behind the beacon's ingest key and id.
const WITH_BEACON_ID: u8 = 2;
/// The current record format.
const ROW_BINARY: u8 = 3;
/// The first byte of a record in the first format (JSON).
const LEGACY_JSON: u8 = b'{';
const HEADER_BYTES: usize = header_bytes(TABLE_COUNT);

/// The header of a RowBinary record of `tables` tables.
const fn header_bytes(tables: usize) -> usize {
    1 + 8 + tables * 8
}

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
    #[error("{0} too long for a write-ahead log record")]
    TooLong(&'static str),
    #[error("the record would take {bytes} bytes, more than the {budget} allowed")]
    OverBudget { bytes: usize, budget: usize },
}

/// A beacon's id as logged: the ingest key it came with, and when it arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedBeaconId<'a> {
    pub key: &'a str,
    pub id: &'a str,
    pub received_at_ms: i64,
}

/// The id a record was logged with, if any, and the record without it.
fn split_beacon_id(record: &[u8]) -> Result<(Option<LoggedBeaconId<'_>>, &[u8]), RecordError> {
    if record.first() != Some(&WITH_BEACON_ID) {
        return Ok((None, record));
    }
    fn text(bytes: Option<&[u8]>) -> Result<&str, RecordError> {
        std::str::from_utf8(bytes.ok_or(RecordError::Truncated)?)
            .map_err(|_| RecordError::Truncated)
    }
    let key_len = record.get(1..3).ok_or(RecordError::Truncated)?;
    let key_end = 3 + usize::from(u16::from_le_bytes([key_len[0], key_len[1]]));
    let key = text(record.get(3..key_end))?;
    let id_len = usize::from(*record.get(key_end).ok_or(RecordError::Truncated)?);
    let id_end = key_end + 1 + id_len;
    let id = text(record.get(key_end + 1..id_end))?;
    let rest = &record[id_end..];
    let received_at = rest.get(1..9).ok_or(RecordError::Truncated)?;
    let received_at_ms = i64::from_le_bytes(received_at.try_into().expect("8 bytes"));
    let logged = LoggedBeaconId {
        key,
        id,
        received_at_ms,
    };
    Ok((Some(logged), rest))
}

/// The id a logged beacon came with (none for older records and agents).
pub fn logged_beacon_id(record: &[u8]) -> Option<LoggedBeaconId<'_>> {
    split_beacon_id(record).ok()?.0
}

/// The record to log for a beacon accepted with ingest key `key`.
pub fn encode(accepted: &Accepted, key: &str) -> Result<Vec<u8>, RecordError> {
    encode_within(accepted, key, usize::MAX)
}

/// The record to log for a beacon accepted with ingest key `key`, unless it
/// would take more than `budget` bytes. Its length is what the beacon costs
/// the log and ClickHouse: each event's row repeats the page URL and its
/// app's attributes, so a small body can make a large record. The size is
/// counted before anything is encoded: a refused beacon gets no record
/// buffer, an accepted one a buffer of exactly its size.
pub fn encode_within(
    accepted: &Accepted,
    key: &str,
    budget: usize,
) -> Result<Vec<u8>, RecordError> {
    let rows = Rows::from_accepted(std::slice::from_ref(accepted));
    let id_bytes = (accepted.beacon.id.as_ref()).map_or(0, |id| 1 + 2 + key.len() + 1 + id.len());
    let bytes = id_bytes + HEADER_BYTES + rows.row_binary_len()?;
    if bytes > budget {
        return Err(RecordError::OverBudget { bytes, budget });
    }
    let mut record = Vec::with_capacity(bytes);
    if let Some(id) = &accepted.beacon.id {
        let key_len = u16::try_from(key.len()).map_err(|_| RecordError::TooLong("ingest key"))?;
        let id_len = u8::try_from(id.len()).map_err(|_| RecordError::TooLong("beacon id"))?;
        record.push(WITH_BEACON_ID);
        record.extend_from_slice(&key_len.to_le_bytes());
        record.extend_from_slice(key.as_bytes());
        record.push(id_len);
        record.extend_from_slice(id.as_bytes());
    }
    let start = record.len();
    record.push(ROW_BINARY);
    record.extend_from_slice(&accepted.received_at_ms.to_le_bytes());
    record.resize(start + HEADER_BYTES, 0);
    let spans = rows.append_row_binary(&mut record)?;
    for (index, span) in spans.iter().enumerate() {
        let at = start + 9 + index * 8;
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
    /// Error rows of format 1 records (without `level` and `attrs`).
    pub errors_before_levels: TableRows,
    /// One row per beacon that came with an id; not counted as rows or bytes
    /// of the batch (they are the events').
    pub beacon_ids: TableRows,
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
            batch.add(&encode(accepted, "")?)?;
        }
        Ok(batch)
    }

    /// Appends a logged record's rows; leaves the batch as it was if the
    /// record is unreadable.
    pub fn add(&mut self, record: &[u8]) -> Result<Added, RecordError> {
        let (beacon_id, record) = split_beacon_id(record)?;
        let added = match record.first() {
            Some(&ROW_BINARY) => self.add_row_binary(record, TABLE_COUNT)?,
            Some(&ROW_BINARY_BEFORE_API) => self.add_row_binary(record, TABLE_COUNT_BEFORE_API)?,
            Some(&LEGACY_JSON) => self.add(&encode(&serde_json::from_slice(record)?, "")?)?,
            Some(&other) => return Err(RecordError::UnknownFormat(other)),
            None => return Err(RecordError::Truncated),
        };
        if let Some(logged) = beacon_id {
            let row = BeaconIdRow {
                received_at: time_from_millis(logged.received_at_ms),
                key: logged.key,
                id: logged.id,
            };
            append_row(&row, &mut self.beacon_ids.bytes)?;
            self.beacon_ids.rows += 1;
        }
        Ok(added)
    }

    /// Appends a RowBinary record of the first `tables` of [`TABLES`].
    fn add_row_binary(&mut self, record: &[u8], tables: usize) -> Result<Added, RecordError> {
        let header_bytes = header_bytes(tables);
        let header = record.get(..header_bytes).ok_or(RecordError::Truncated)?;
        let number = |at: usize| {
            u32::from_le_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]])
        };
        let spans: Vec<TableSpan> = (0..tables)
            .map(|index| TableSpan {
                rows: number(9 + index * 8) as usize,
                bytes: number(13 + index * 8) as usize,
            })
            .collect();
        let total: usize = spans.iter().map(|span| span.bytes).sum();
        if record.len() != header_bytes + total {
            return Err(RecordError::Truncated);
        }
        let mut at = header_bytes;
        let before_levels = tables == TABLE_COUNT_BEFORE_API;
        for (index, (table, span)) in self.tables.iter_mut().zip(&spans).enumerate() {
            let table = if before_levels && index == ERRORS_TABLE {
                &mut self.errors_before_levels
            } else {
                table
            };
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
        let size = |t: &TableRows| (t.rows, t.bytes.len());
        let before = self.tables.each_ref().map(size);
        let extra_before = [size(&self.errors_before_levels), size(&self.beacon_ids)];
        let was_empty = self.rows() == 0;
        let added = self.add(record)?;
        if was_empty || (self.rows() <= max_rows && self.bytes() <= max_bytes) {
            return Ok(Some(added));
        }
        let extra = [&mut self.errors_before_levels, &mut self.beacon_ids];
        let tables = self.tables.iter_mut().zip(before);
        for (table, (rows, bytes)) in tables.chain(extra.into_iter().zip(extra_before)) {
            table.rows = rows;
            table.bytes.truncate(bytes);
        }
        Ok(None)
    }

    /// The event tables' rows (not the beacon ids).
    fn event_tables(&self) -> impl Iterator<Item = &TableRows> {
        self.tables.iter().chain([&self.errors_before_levels])
    }

    pub fn rows(&self) -> usize {
        self.event_tables().map(|table| table.rows).sum()
    }

    /// RowBinary bytes, all tables together: what one insert sends.
    pub fn bytes(&self) -> usize {
        self.event_tables().map(|table| table.bytes.len()).sum()
    }

    /// Each table with rows in this batch: its name, columns, rows, and
    /// what to add to the batch's deduplication token. Error rows of format
    /// 1 records go to `errors` in an insert of their own, whose token must
    /// differ from the other insert's into `errors`, or ClickHouse would
    /// take it for a repeat and drop it.
    pub fn non_empty(
        &self,
    ) -> impl Iterator<
        Item = (
            &'static str,
            &'static [&'static str],
            &TableRows,
            &'static str,
        ),
    > {
        const ERRORS_BEFORE_LEVELS: (&str, &[&str]) = ("errors", ErrorRow::COLUMNS_BEFORE_LEVELS);
        TABLES
            .iter()
            .zip(&self.tables)
            .map(|(table, rows)| (table, rows, ""))
            .chain([
                (&BEACON_IDS_TABLE, &self.beacon_ids, ""),
                (
                    &ERRORS_BEFORE_LEVELS,
                    &self.errors_before_levels,
                    "-format1",
                ),
            ])
            .filter(|(_, table, _)| table.rows > 0)
            .map(|((name, columns), table, token)| (*name, *columns, table, token))
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
            let added = batch.add(&encode(beacon, "").unwrap()).unwrap();
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
        let record = encode(&accepted("s", 3), "").unwrap();
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

    /// A beacon with an event of every kind, the nested ones filled, and an
    /// app with attributes.
    fn every_kind() -> Accepted {
        let script = r#"{"url":"http://x/cart.js","function":"render","invoker":"DIV.onclick","duration":90}"#;
        let events = format!(
            r#"[
            {{"app":"cart","at":1,"kind":"vital","name":"inp","value":300,"target":"div>button",
              "parts":{{"input_delay":20,"processing":250}},"scripts":[{script}]}},
            {{"app":"shell","at":1,"kind":"navigation","nav_type":"navigate","dns":0,"tcp":1,"tls":0,
              "ttfb":12.5,"download":2,"dom_parse":30,"dom_ready":60,"load":90,"transfer_size":1200}},
            {{"app":"cart","at":1,"kind":"resource","url":"http://x/a.js","initiator":"script",
              "duration":14.2,"transfer_size":5300}},
            {{"app":"cart","at":1,"kind":"resource_summary","count":14,"transfer_size":120000,
              "cache_hits":9,"duration":812.5}},
            {{"app":"cart","at":1,"kind":"long_frame","duration":130,"blocking":80,"scripts":[{script},{script}]}},
            {{"app":"cart","at":1,"kind":"error","source":"error","error_type":"TypeError","message":"x",
              "stack":"at f (http://x/cart.js:1:2)","frames":[{{"function":"f","file":"http://x/cart.js","line":1,"column":2}}]}},
            {{"app":"cart","at":1,"kind":"app","phase":"registered","dependencies":["shell"]}},
            {{"app":"cart","at":1,"kind":"metric","name":"basket","value":3,"attrs":{{"tier":"gold"}}}},
            {{"app":"cart","at":1,"kind":"custom","name":"checkout","attrs":{{"step":"pay"}}}},
            {{"app":"cart","at":1,"kind":"api_summary","calls":3,"failed":1,"duration":40}},
            {{"app":"cart","at":1,"kind":"api_call","method":"GET","url":"http://x/api","status":503,
              "duration":12,"message":"","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"}},
            {{"app":"cart","at":1,"kind":"error","source":"message","error_type":"Message","message":"low",
              "level":"warning","attrs":{{"sku":"x1"}}}}
        ]"#
        );
        rows::tests::accepted(serde_json::from_str(&events).unwrap())
    }

    #[test]
    fn the_budget_counts_exactly_the_bytes_the_record_takes() {
        let mut beacon = every_kind();
        beacon.beacon.id = Some("beacon-1".into()); // logged before the rows
        let record = encode(&beacon, "public-key").unwrap();
        let mut batch = TableBatch::default();
        batch.add(&record).unwrap();
        assert_eq!(
            batch.non_empty().count(),
            TABLE_COUNT + 1,
            "a row in every table, and the beacon's id"
        );
        let size = record.len();
        assert_eq!(encode_within(&beacon, "public-key", size).unwrap(), record);
        assert!(matches!(
            encode_within(&beacon, "public-key", size - 1),
            Err(RecordError::OverBudget { bytes, budget }) if bytes == size && budget == size - 1
        ));
    }

    #[test]
    fn each_row_pays_for_its_apps_attributes() {
        let size = |attrs: usize| {
            let mut beacon = accepted("s", 10);
            beacon.beacon.apps[0].attrs.0 = (0..attrs)
                .map(|n| (format!("k{n:02}"), "v".repeat(200)))
                .collect();
            encode(&beacon, "").unwrap().len()
        };
        // Each of 16 attributes: a 3-byte key and a 200-byte value, each with
        // a one- or two-byte length; the attribute count itself is one byte
        // either way. Ten rows carry them all.
        let per_row = 16 * ((1 + 3) + (2 + 200));
        assert_eq!(size(16) - size(0), 10 * per_row);
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

    /// A record as a server before migration 10 wrote it, for a beacon of
    /// one vital and one error reported at the default level without
    /// attributes: error rows lose their last 7 bytes (`level` "error", an
    /// empty `attrs`) and the header its last two (empty) tables.
    fn record_of_format_1(beacon: &Accepted) -> Vec<u8> {
        let current = encode(beacon, "").unwrap();
        let span = |index: usize, at: usize| {
            let at = 9 + index * 8 + at;
            u32::from_le_bytes(current[at..at + 4].try_into().unwrap()) as usize
        };
        assert_eq!((span(TABLE_COUNT - 2, 0), span(TABLE_COUNT - 1, 0)), (0, 0));
        let mut old = vec![ROW_BINARY_BEFORE_API];
        old.extend_from_slice(&current[1..9]);
        let mut bodies = Vec::new();
        let mut at = HEADER_BYTES;
        for index in 0..TABLE_COUNT_BEFORE_API {
            let (rows, bytes) = (span(index, 0), span(index, 4));
            let mut body = current[at..at + bytes].to_vec();
            at += bytes;
            if index == ERRORS_TABLE {
                assert_eq!(rows, 1);
                assert_eq!(body.split_off(bytes - 7), b"\x05error\x00");
            }
            old.extend_from_slice(&(rows as u32).to_le_bytes());
            old.extend_from_slice(&(body.len() as u32).to_le_bytes());
            bodies.extend(body);
        }
        old.extend(bodies);
        old
    }

    #[test]
    fn records_of_format_1_insert_their_errors_without_levels() {
        let error = r#"{"app":"cart","at":1,"kind":"error","source":"error","error_type":"E","message":"x"}"#;
        let vital = r#"{"app":"cart","at":1,"kind":"vital","name":"lcp","value":1}"#;
        let mut beacon = rows::tests::accepted(vec![
            serde_json::from_str(error).unwrap(),
            serde_json::from_str(vital).unwrap(),
        ]);
        beacon.beacon.dropped = 0;
        let record = record_of_format_1(&beacon);
        let mut batch = TableBatch::default();
        let added = batch.add(&record).unwrap();
        assert_eq!((added.rows, batch.rows()), (2, 2));
        let current = TableBatch::from_accepted(&[beacon]).unwrap();
        assert_eq!(
            batch.tables[0].bytes, current.tables[0].bytes,
            "vitals as they were"
        );
        assert_eq!(batch.tables[ERRORS_TABLE].rows, 0);
        let inserts: Vec<_> = batch
            .non_empty()
            .map(|(name, columns, rows, token)| (name, columns.len(), rows.rows, token))
            .collect();
        let before_levels = ErrorRow::COLUMNS.len() - 2;
        assert_eq!(
            inserts,
            [
                ("vitals", TABLES[0].1.len(), 1, ""),
                ("errors", before_levels, 1, "-format1")
            ]
        );
        // Refused by a full batch: the old errors are taken back too.
        assert!(batch.add_within(&record, 1, usize::MAX).unwrap().is_none());
        assert_eq!((batch.rows(), batch.errors_before_levels.rows), (2, 1));
    }

    #[test]
    fn a_beacon_id_is_logged_and_becomes_a_row_of_its_own() {
        let mut beacon = accepted("s", 2);
        let without = encode(&beacon, "key").unwrap();
        beacon.beacon.id = Some("0123456789abcdef".into());
        let record = encode(&beacon, "public-key").unwrap();
        assert_eq!(logged_beacon_id(&without), None);
        assert_eq!(
            logged_beacon_id(&record),
            Some(LoggedBeaconId {
                key: "public-key",
                id: "0123456789abcdef",
                received_at_ms: 1_800_000_000_000
            })
        );
        let mut batch = TableBatch::default();
        batch.add(&record).unwrap();
        let plain = TableBatch::from_accepted(&[accepted("s", 2)]).unwrap();
        assert_eq!(batch.tables[0].bytes, plain.tables[0].bytes);
        assert_eq!((batch.rows(), batch.beacon_ids.rows), (2, 1));
        let names: Vec<_> = batch.non_empty().map(|(name, ..)| name).collect();
        assert_eq!(names, ["vitals", "beacon_ids"]);
        assert!(batch.add(&record[..20]).is_err());
        assert_eq!(batch.beacon_ids.rows, 1, "a damaged record adds no id");
    }

    #[test]
    fn damaged_records_are_refused_and_change_nothing() {
        let record = encode(&accepted("s", 1), "").unwrap();
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
