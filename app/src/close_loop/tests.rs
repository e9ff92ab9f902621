//! Tests of release splitting, templates and the email and request checks.

use super::*;

#[test]
fn bullets_headings_and_paragraphs_become_items() {
    assert_eq!(
        split_release(
            "v4.2 — SSO",
            "Highlights:\n- SAML **single sign-on** with [Okta](https://okta.com)\n* SCIM provisioning\n1. Audit log"
        ),
        vec!["SAML single sign-on with Okta", "SCIM provisioning", "Audit log"]
    );
    assert_eq!(
        split_release("2.0", "## Slack alerts\nText\n## CSV export\nMore"),
        vec!["Slack alerts", "CSV export"]
    );
    assert_eq!(
        split_release("2.1", "Faster uploads.\n\nFewer timeouts."),
        vec!["Faster uploads.", "Fewer timeouts."]
    );
    assert_eq!(split_release("v5.0 — Middle-out video", "  "), vec!["Middle-out video"]);
    assert_eq!(
        split_release(
            "x",
            "<p>New:</p><ul><li>Dark &amp; light themes</li><li>EU data residency</li></ul>"
        ),
        vec!["Dark & light themes", "EU data residency"]
    );
}

#[test]
fn render_fills_fields_and_refuses_unknown_ones() {
    let fields = MergeFields {
        first_name: "Dana".into(),
        quote: "SSO please".into(),
        shipped_on: NaiveDate::from_ymd_opt(2026, 11, 3),
        ..Default::default()
    };
    assert_eq!(
        render("Hi {{first_name}}: “{{ quote }}” shipped {{shipped_on}}", &fields).unwrap(),
        "Hi Dana: “SSO please” shipped 3 November 2026"
    );
    assert_eq!(
        render("Hi {{frist_name}}", &fields),
        Err(TemplateError::UnknownField("frist_name".into()))
    );
    assert_eq!(render("Hi {{first_name", &fields), Err(TemplateError::Unclosed));
    assert!(render(DEFAULT_BODY, &fields).is_ok() && render(DEFAULT_SUBJECT, &fields).is_ok());
}

#[test]
fn an_edited_email_is_checked_after_its_fields_are_filled() {
    let fields = MergeFields {
        first_name: "Dana".into(),
        item: "SSO".into(),
        ..Default::default()
    };
    assert_eq!(
        check_email(" Shipped: {{item}} ", "Hi {{first_name}}", &fields).unwrap(),
        ("Shipped: SSO".to_string(), "Hi Dana".to_string())
    );
    let errors = check_email("Shipped: {{itme}}", "", &fields).unwrap_err();
    assert!(errors.get("subject").unwrap().contains("{{itme}} is not a merge field"));
    assert!(errors.get("body").is_some(), "an empty email is refused");
    let long = "x".repeat(201);
    assert!(check_email(&long, "Hi", &fields).unwrap_err().get("subject").is_some());
}

#[test]
fn html_part_is_escaped_with_live_links() {
    let html = text_to_html("Hi <b>Dana</b>,\n\nSee https://x.test/a?b=1&c=2\nBye");
    assert!(html.contains("<p>Hi &lt;b&gt;Dana&lt;/b&gt;,</p>"));
    assert!(html.contains("<a href=\"https://x.test/a?b=1&amp;c=2\">"));
    assert!(html.contains("<br>"));
}

#[test]
fn addresses_and_header_values() {
    for good in ["dana@hooli.com", "a.b+tag@mail.example.co.uk", "x_y@a-b.io"] {
        assert!(valid_email(good), "{good}");
    }
    for bad in [
        "",
        "dana",
        "dana@localhost",
        "Dana <dana@hooli.com>",
        "dana@hooli.com\r\nBcc: all@x.com",
        "a..b@x.com",
        "a@-x.com",
        "a b@x.com",
    ] {
        assert!(!valid_email(bad), "{bad:?}");
    }
    assert!(one_line("Shipped: SSO") && !one_line("Shipped\r\nBcc: x@y.z"));
}
