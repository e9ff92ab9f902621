//! Tests of the server function declarations' helpers.

use super::*;

fn ws(id: i64, demo: bool) -> WorkspaceInfo {
    WorkspaceInfo {
        id,
        name: format!("ws{id}"),
        is_demo: demo,
        currency: "USD".into(),
        connected_integrations: 0,
        holds_accounts: false,
        pipeline_source: "all".into(),
    }
}

fn member(role: Role, flag: bool) -> Option<(WorkspaceInfo, Member)> {
    Some((
        ws(1, false),
        Member {
            user_id: 7,
            name: "Ada".into(),
            email: "ada@acme.test".into(),
            role,
            has_success: flag,
        },
    ))
}

fn status(caller: Caller, need: Need) -> &'static str {
    match authorize(caller, need) {
        Ok(_) => "ok",
        Err(AppError::Unauthorized) => "401",
        Err(AppError::Forbidden(_)) => "403",
        Err(_) => "other",
    }
}

#[test]
fn authorization_follows_session_flag_role_and_demo() {
    let anon = Caller::default;
    let m = |role, flag| Caller {
        member: member(role, flag),
        demo: None,
    };
    let demo_only = || Caller {
        member: None,
        demo: Some(ws(9, true)),
    };
    let demo_admin = || Caller {
        member: member(Role::Admin, true),
        demo: Some(ws(9, true)),
    };
    let table = [
        (anon(), Need::SignedIn, "401"),
        (anon(), Need::Read, "401"),
        (anon(), Need::Manage, "401"),
        (m(Role::Viewer, false), Need::SignedIn, "ok"),
        (m(Role::Admin, false), Need::Read, "403"),
        (m(Role::Viewer, true), Need::Read, "ok"),
        (m(Role::Viewer, true), Need::Operate, "403"),
        (m(Role::Csm, true), Need::Operate, "ok"),
        (m(Role::Csm, true), Need::Manage, "403"),
        (m(Role::Admin, true), Need::Manage, "ok"),
        (m(Role::Owner, true), Need::Manage, "ok"),
        (demo_only(), Need::Read, "ok"),
        (demo_only(), Need::Operate, "401"),
        (demo_admin(), Need::Operate, "403"),
        (demo_admin(), Need::Manage, "403"),
    ];
    for (caller, need, want) in table {
        let desc = format!("{caller:?} {need:?}");
        assert_eq!(status(caller, need), want, "{desc}");
    }
    // The demo preview reads the demo workspace, never the member's.
    assert_eq!(authorize(demo_admin(), Need::Read).unwrap().workspace.id, 9);
    assert!(authorize(demo_only(), Need::Read).unwrap().member.is_none());
}
