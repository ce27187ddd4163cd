use super::*;

fn rule(text: &str) -> Rule {
    toml::from_str(text).unwrap()
}

const ERROR_RATE: &str = r#"
    name = "errors"
    metric = "error_rate"
    operator = "gt"
    threshold = 0.05
    resolve_threshold = 0.03
    for = "2m"
    window = "10m"
    severity = "critical"
"#;

#[test]
fn parses_with_defaults_and_durations() {
    let rule = rule(ERROR_RATE);
    assert_eq!(rule.app, "all");
    assert_eq!(rule.for_duration, Duration::from_secs(120));
    assert_eq!(rule.window, Duration::from_secs(600));
    assert_eq!(rule.aggregation(), Aggregation::Ratio);
    assert_eq!(rule.repeat_interval, Duration::from_secs(3600));
    assert!(rule.check(&[]).is_ok());
}

#[test]
fn custom_metrics_take_their_own_aggregations() {
    let text = "name = \"slow-checkout\"\nmetric = \"custom\"\ncustom_metric = \"checkout_ms\"\n\
                aggregation = \"p95\"\noperator = \"gt\"\nthreshold = 2000\nseverity = \"warning\"";
    let custom = rule(text);
    assert!(custom.check(&[]).is_ok());
    assert_eq!(custom.aggregation(), Aggregation::P95);
    let ratio = Rule {
        aggregation: Some(Aggregation::Ratio),
        ..custom
    };
    assert!(ratio.check(&[]).unwrap_err().contains("aggregation"));
}

#[test]
fn hysteresis() {
    let rule = rule(ERROR_RATE);
    assert!(rule.is_breached(0.06) && !rule.is_breached(0.05));
    assert!(
        !rule.is_recovered(0.04),
        "between the lines: neither breached nor recovered"
    );
    assert!(rule.is_recovered(0.03));
    let lower = Rule {
        operator: Some(Operator::Lt),
        threshold: Some(0.99),
        resolve_threshold: Some(0.995),
        ..rule.clone()
    };
    assert!(lower.is_breached(0.98) && !lower.is_recovered(0.992) && lower.is_recovered(0.996));
}

#[test]
fn invalid_rules_name_the_rule_and_field() {
    let bad = |edit: &dyn Fn(&mut Rule), field: &str| {
        let mut rule = rule(ERROR_RATE);
        edit(&mut rule);
        let error = rule.check(&["ops".into()]).unwrap_err();
        assert!(
            error.starts_with(&format!("rule \"errors\": {field}")),
            "{error}"
        );
    };
    bad(&|r| r.aggregation = Some(Aggregation::P95), "aggregation");
    bad(&|r| r.resolve_threshold = Some(0.2), "resolve_threshold");
    bad(&|r| r.channels = vec!["pager".into()], "channels");
    bad(&|r| r.app = "not an app".into(), "app");
    bad(&|r| r.window = Duration::from_secs(5), "window");
    bad(
        &|r| r.labels = BTreeMap::from([("app".into(), "x".into())]),
        "labels",
    );
    bad(
        &|r| r.custom_metric = Some("checkout_ms".into()),
        "custom_metric",
    );
    bad(&|r| r.metric = Metric::Custom, "custom_metric");
    let unknown_field =
        toml::from_str::<Rule>(&format!("{ERROR_RATE}\nthreshhold = 1")).unwrap_err();
    assert!(unknown_field.to_string().contains("threshhold"));
}

#[test]
fn defaults_follow_the_product_brief() {
    let rules = default_rules(&[]);
    assert!(rules.iter().all(|r| r.check(&[]).is_ok()));
    assert!(rules[0].is_breached(0.051) && rules[0].severity == Severity::Critical);
    assert!(rules[1].is_breached(0.989) && rules[1].severity == Severity::Warning);
    assert!(rules[2].is_breached(3001.0) && rules[2].severity == Severity::Warning);
}
