//! The SQL users run themselves: the cookbook (docs/QUERIES.md) and the
//! Grafana dashboard's panels (dashboards/grafana/canopy.json).

use serde_json::Value;

fn repo_file(path: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(path);
    std::fs::read_to_string(path).unwrap()
}

/// The ```sql blocks of docs/QUERIES.md.
pub fn cookbook() -> Vec<String> {
    repo_file("docs/QUERIES.md")
        .split("```sql\n")
        .skip(1)
        .map(|rest| rest.split("```").next().unwrap().trim().to_owned())
        .collect()
}

/// Every panel's query and the app variable's, with Grafana's macros.
pub fn grafana() -> Vec<String> {
    let dashboard: Value =
        serde_json::from_str(&repo_file("dashboards/grafana/canopy.json")).unwrap();
    let mut queries: Vec<String> = dashboard["panels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["targets"][0]["rawSql"].as_str().unwrap().to_owned())
        .collect();
    queries.push(
        dashboard["templating"]["list"][0]["query"]
            .as_str()
            .unwrap()
            .to_owned(),
    );
    queries
}

/// Grafana's macros as the ClickHouse plugin expands them (the `app`
/// variable set to cart), so the dashboard's queries run here too.
pub fn expand_grafana(sql: &str) -> String {
    sql.replace("$__fromTime", "toDateTime(0)")
        .replace("$__toTime", "(now() + INTERVAL 1 HOUR)")
        .replace(
            "$__timeInterval(minute)",
            "toStartOfInterval(minute, INTERVAL 60 second)",
        )
        .replace(
            "$__timeInterval(at)",
            "toStartOfInterval(at, INTERVAL 60 second)",
        )
        .replace("${app}", "cart")
}
