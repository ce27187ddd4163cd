use super::*;

const TREE: &str = r#"
receiver = "ops"
group_by = ["alertname"]
group_wait = "10s"
routes = [
    { matchers = ['severity="critical"'], receiver = "pager", group_wait = "0s", continue = true, routes = [
        { matchers = ['app=~"cart|checkout"'], receiver = "cart-team", group_by = ["app"] },
    ] },
    { matchers = ['team="payments"', 'severity!="info"'], receiver = "payments", repeat_interval = "1h" },
    { matchers = ['app!~"internal-.*"'], group_by = ["..."] },
]
"#;

fn tree() -> Route {
    toml::from_str(TREE).unwrap()
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    Labels::of_pairs(pairs)
}

fn receivers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    tree()
        .destinations(&labels(pairs))
        .into_iter()
        .map(|d| (d.path, d.grouping.receiver))
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

#[test]
fn first_match_wins_unless_it_continues() {
    // Critical cart: the nested route under the critical one, then (continue) on.
    assert_eq!(
        receivers(&[("severity", "critical"), ("app", "cart")]),
        pairs(&[("0.0", "cart-team"), ("2", "ops")])
    );
    // Critical elsewhere: the critical route itself (no child matched), then on.
    assert_eq!(
        receivers(&[
            ("severity", "critical"),
            ("app", "search"),
            ("team", "payments")
        ]),
        pairs(&[("0", "pager"), ("1", "payments")])
    );
    // Payments warnings stop at their route (no continue).
    assert_eq!(
        receivers(&[
            ("severity", "warning"),
            ("app", "pay"),
            ("team", "payments")
        ]),
        pairs(&[("1", "payments")])
    );
    // Nothing matches: the root's receiver.
    assert_eq!(
        receivers(&[("severity", "info"), ("app", "internal-admin")]),
        pairs(&[("", "ops")])
    );
}

#[test]
fn children_inherit_what_they_leave_out() {
    let critical_cart = tree().destinations(&labels(&[("severity", "critical"), ("app", "cart")]));
    let nested = &critical_cart[0].grouping;
    assert_eq!(nested.group_by, Some(vec!["app".to_owned()]));
    assert_eq!(nested.group_wait, Duration::ZERO, "from its parent");
    assert_eq!(nested.group_interval, GROUP_INTERVAL, "from the defaults");
    let everything = &critical_cart[1].grouping;
    assert_eq!(
        (everything.group_by.as_ref(), everything.group_wait),
        (None, Duration::from_secs(10))
    );
    let payments = tree().destinations(&labels(&[("team", "payments"), ("severity", "warning")]));
    assert_eq!(
        payments[0].grouping.group_by,
        Some(vec!["alertname".to_owned()])
    );
    assert_eq!(
        payments[0].grouping.repeat_interval,
        Duration::from_secs(3600)
    );
    assert_eq!(payments[0].grouping.group_wait, Duration::from_secs(10));
}

#[test]
fn group_labels_are_the_group_by_values() {
    let alert = labels(&[
        ("alertname", "error-rate"),
        ("app", "cart"),
        ("severity", "critical"),
    ]);
    let by_rule = tree().destinations(&labels(&[("app", "internal-x")]))[0]
        .grouping
        .clone();
    assert_eq!(
        by_rule.group_labels(&alert),
        pairs(&[("alertname", "error-rate")])
    );
    let every = Grouping {
        group_by: None,
        ..by_rule.clone()
    };
    assert_eq!(every.group_labels(&alert).len(), 3);
    let by_rule_alias = Grouping {
        group_by: Some(vec!["rule".into(), "team".into()]),
        ..by_rule
    };
    assert_eq!(
        by_rule_alias.group_labels(&alert),
        pairs(&[("rule", "error-rate"), ("team", "")])
    );
}

#[test]
fn checks_name_the_node_and_field() {
    let channels: Vec<String> = ["ops", "pager", "cart-team", "payments"]
        .map(String::from)
        .to_vec();
    assert_eq!(tree().check_root(&channels), Ok(()));
    let problem = |text: &str| {
        toml::from_str::<Route>(text)
            .unwrap()
            .check_root(&channels)
            .unwrap_err()
    };
    assert_eq!(
        problem("group_by = [\"app\"]"),
        (
            String::new(),
            "receiver: is required at the root (the default receiver)".to_owned()
        )
    );
    assert_eq!(
        problem("receiver = \"ops\"\nroutes = [{ routes = [{ receiver = \"nobody\" }] }]"),
        (
            "routes[0].routes[0]".to_owned(),
            "receiver: no channel named \"nobody\"".to_owned()
        )
    );
    assert_eq!(
        problem("receiver = \"ops\"\ngroup_by = [\"a-b\"]").1,
        "group_by: \"a-b\" is not a label name"
    );
    assert_eq!(
        problem("receiver = \"ops\"\ngroup_by = [\"...\", \"app\"]").0,
        ""
    );
    assert_eq!(
        problem("receiver = \"ops\"\nmatchers = ['app=\"x\"']").1,
        "matchers: the root route matches every alert and takes none"
    );
    assert_eq!(
        problem("receiver = \"ops\"\nroutes = [{ repeat_interval = \"10s\" }]").1,
        "repeat_interval: must be at least 1m"
    );
    let bad_regex =
        toml::from_str::<Route>("receiver = \"ops\"\nroutes = [{ matchers = ['app=~\"(\"'] }]")
            .unwrap_err()
            .to_string();
    assert!(
        bad_regex.contains("not a regular expression"),
        "{bad_regex}"
    );
    let bad_duration = toml::from_str::<Route>("receiver = \"ops\"\ngroup_wait = \"soon\"")
        .unwrap_err()
        .to_string();
    assert!(bad_duration.contains("group_wait"), "{bad_duration}");
}
