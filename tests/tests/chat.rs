//! Chat and the app event socket through HTTP and `/api/v1/events`, on both databases:
//! mentions, notifications and unread counts across tabs; threads; private channels and
//! removal; edits and deletes; resume after reconnecting; direct messages; presence and
//! typing; @channel rules; the offline e-mail digest; and bad input that changes nothing.

use std::time::{Duration, Instant};

use atrium_client::wire::{
    Channel, ChatSettings, EditMessageRequest, FollowedThreads, Message, MessageEdit, MessagePage,
    Notification, NotificationKind, OrgRole, Page, PostedMessage, Presence, PresenceStatus,
    ProjectRole, ReactionRequest, Reactions, Thread, Unread, UserIds, Visibility,
};
use atrium_tests::events::{EventSocket, Frame, any_mentions};
use atrium_tests::fixtures::{self, TestUser, call_json as call};
use atrium_tests::mail::{mails_to_containing, wait_for_mail_containing};
use atrium_tests::{Backend, TestServer, backend_tests};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Alice owns the org; Bob and Carol are editors of the private project "work"; Eve is an org
/// member outside it. Everyone sees the open project "lobby", whose channel carries sentinels.
struct Team {
    server: TestServer,
    org: String,
    work: String,
    alice: TestUser,
    bob: TestUser,
    carol: TestUser,
    eve: TestUser,
    /// A public channel of "work".
    general: Channel,
    /// A public channel of "lobby" (Eve sees it too).
    lobby: Channel,
}

async fn team(backend: Backend) -> Team {
    team_with(TestServer::builder(backend)).await
}

async fn team_with(builder: atrium_tests::TestServerBuilder) -> Team {
    let server = builder.start().await;
    let alice = fixtures::user(&server, "alice").await;
    let bob = fixtures::user(&server, "bob").await;
    let carol = fixtures::user(&server, "carol").await;
    let eve = fixtures::user(&server, "eve").await;
    let org = fixtures::create_org(&alice, "Acme").await.id;
    for member in [&bob, &carol, &eve] {
        fixtures::add_org_member(&alice, &org, member, OrgRole::Member).await;
    }
    let work = fixtures::create_project(&alice, &org, "work", Visibility::Private)
        .await
        .id;
    for member in [&bob, &carol] {
        fixtures::add_project_member(&alice, &work, member.id(), ProjectRole::Editor).await;
    }
    let lobby_project = fixtures::create_project(&alice, &org, "lobby", Visibility::Open)
        .await
        .id;
    let general = fixtures::create_channel(&alice, &work, "general", None).await;
    let lobby = fixtures::create_channel(&alice, &lobby_project, "lobby", None).await;
    Team {
        server,
        org,
        work,
        alice,
        bob,
        carol,
        eve,
        general,
        lobby,
    }
}

impl Team {
    async fn socket(&self, user: &TestUser) -> EventSocket {
        EventSocket::connect(&self.server, &user.token).await
    }
}

async fn unread(user: &TestUser, org: &str) -> Unread {
    user.client
        .get(&format!("/api/v1/orgs/{org}/unread"))
        .await
        .unwrap()
}

fn counts(unread: &Unread, channel: &str) -> Option<(i64, i64)> {
    unread
        .channels
        .iter()
        .find(|c| c.channel_id == channel)
        .map(|c| (c.unread, c.mentions))
}

async fn notifications(user: &TestUser, unread_only: bool) -> Vec<Notification> {
    let page: Page<Notification> = user
        .client
        .get(&format!("/api/v1/notifications?unread={unread_only}"))
        .await
        .unwrap();
    page.items
}

async fn history(user: &TestUser, channel: &str) -> MessagePage {
    user.client
        .get(&format!("/api/v1/channels/{channel}/messages?limit=200"))
        .await
        .unwrap()
}

async fn set_level(user: &TestUser, channel: &str, level: &str) {
    let path = format!("/api/v1/channels/{channel}/notify");
    let (status, answer) = call(user, Method::PUT, &path, Some(json!({ "level": level }))).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["notify"], level);
}

async fn read_up_to(user: &TestUser, channel: &str, message: &str) {
    let (status, body) = call(
        user,
        Method::POST,
        &format!("/api/v1/channels/{channel}/read"),
        Some(json!({ "message": message })),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
}

/// Posts a sentinel in the lobby and returns every frame `socket` got up to it.
async fn frames_until_sentinel(
    team: &Team,
    socket: &mut EventSocket,
    label: &str,
) -> Vec<atrium_tests::events::Frame> {
    let sentinel = fixtures::post_message(
        &team.alice,
        &team.lobby.id,
        &format!("sentinel {label}"),
        None,
    )
    .await;
    socket
        .until("message.created", |f| f.data_id() == sentinel.message.id)
        .await
}

backend_tests! {
    async fn a_mention_reaches_every_member_notifies_and_reading_clears_it_in_every_tab(backend) {
        let t = team(backend).await;
        let mut alice = t.socket(&t.alice).await;
        let mut bob_tab1 = t.socket(&t.bob).await;
        let mut bob_tab2 = t.socket(&t.bob).await;
        let mut carol = t.socket(&t.carol).await;
        let mut eve = t.socket(&t.eve).await;

        let posted = fixtures::post_message(&t.alice, &t.general.id, "ship it @bob", None).await;
        assert_eq!(posted.message.mentions, [t.bob.id().to_owned()]);
        assert!(posted.not_notified.is_empty());
        let id = posted.message.id.clone();
        for socket in [&mut alice, &mut bob_tab1, &mut bob_tab2, &mut carol] {
            let frame = socket.expect("message.created", |f| f.data_id() == id).await;
            assert_eq!(frame.data["text"], "ship it @bob");
            assert_eq!(frame.data["author"]["handle"], "alice");
        }
        for tab in [&mut bob_tab1, &mut bob_tab2] {
            let frame = tab.expect("notification.created", |_| true).await;
            assert_eq!(frame.data["kind"], "mention");
            assert_eq!(frame.data["message_id"], id.as_str());
        }
        // Eve is outside the project: nothing of it reaches her, before or after.
        let seen = frames_until_sentinel(&t, &mut eve, "1").await;
        assert!(!any_mentions(&seen, &id) && !any_mentions(&seen, "ship it"), "{seen:?}");
        // Carol got no notification before the sentinel either.
        let seen = frames_until_sentinel(&t, &mut carol, "2").await;
        assert!(seen.iter().all(|f| f.kind != "notification.created"), "{seen:?}");

        assert_eq!(counts(&unread(&t.bob, &t.org).await, &t.general.id), Some((1, 1)));
        assert_eq!(counts(&unread(&t.carol, &t.org).await, &t.general.id), Some((1, 0)));
        assert_eq!(counts(&unread(&t.alice, &t.org).await, &t.general.id), Some((0, 0)));
        assert_eq!(counts(&unread(&t.eve, &t.org).await, &t.general.id), None);
        let bobs = notifications(&t.bob, true).await;
        assert_eq!(bobs.len(), 1);
        assert_eq!(bobs[0].kind, NotificationKind::Mention);
        assert_eq!(bobs[0].actor.as_ref().unwrap().handle, "alice");
        assert_eq!(bobs[0].snippet, "ship it @bob");
        assert!(notifications(&t.carol, false).await.is_empty());
        assert!(notifications(&t.eve, false).await.is_empty());
        let (status, _) = call(&t.eve, Method::GET, &format!("/api/v1/channels/{}/messages", t.general.id), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // Bob reads in one tab: both tabs hear of it, and the counts clear.
        read_up_to(&t.bob, &t.general.id, &id).await;
        for tab in [&mut bob_tab1, &mut bob_tab2] {
            let frame = tab.expect("read.updated", |_| true).await;
            assert_eq!(frame.data["channel_id"], t.general.id.as_str());
            assert_eq!(frame.data["message_id"], id.as_str());
            let frame = tab.expect("notification.read", |_| true).await;
            assert_eq!(frame.data["ids"][0], bobs[0].id.as_str());
        }
        assert_eq!(counts(&unread(&t.bob, &t.org).await, &t.general.id), Some((0, 0)));
        assert!(notifications(&t.bob, true).await.is_empty());
        assert_eq!(notifications(&t.bob, false).await.len(), 1);
    }

    async fn threads_count_replies_notify_followers_and_list_in_the_threads_view(backend) {
        let t = team(backend).await;
        let mut bob_socket = t.socket(&t.bob).await;
        let root = fixtures::post_message(&t.alice, &t.general.id, "release plan?", None).await.message;
        let reply = fixtures::post_message(&t.bob, &t.general.id, "friday", Some(&root.id)).await.message;
        assert_eq!(reply.thread_id.as_deref(), Some(root.id.as_str()));
        let frame = bob_socket.expect("thread.updated", |f| f.data_id() == root.id).await;
        assert_eq!(frame.data["reply_count"], 1);

        let thread: Thread = t.alice.client.get(&format!("/api/v1/messages/{}/thread", root.id)).await.unwrap();
        assert_eq!(thread.root.reply_count, 1);
        assert_eq!(thread.root.participant_ids, [t.bob.id().to_owned()]);
        assert_eq!(thread.root.last_reply_at, Some(reply.created_at));
        assert_eq!(thread.items.iter().map(|m| m.text.as_str()).collect::<Vec<_>>(), ["friday"]);
        assert!(thread.following, "the root's author follows its thread");
        // Replies stay out of the channel's history.
        let page = history(&t.alice, &t.general.id).await;
        assert_eq!(page.items.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(), [root.id.as_str()]);

        // Alice (root author) is notified of the reply and sees it in her threads view.
        let alices = notifications(&t.alice, true).await;
        assert_eq!(alices.len(), 1);
        assert_eq!(alices[0].kind, NotificationKind::Reply);
        let view: FollowedThreads = t.alice.client.get(&format!("/api/v1/orgs/{}/threads", t.org)).await.unwrap();
        assert_eq!(view.items.len(), 1);
        assert_eq!(view.items[0].root.id, root.id);
        assert_eq!(view.items[0].unread, 1);
        assert_eq!(unread(&t.alice, &t.org).await.threads.unread, 1);

        // Carol follows explicitly: the next reply notifies her; after unfollowing, none does.
        let (status, _) = call(&t.carol, Method::POST, &format!("/api/v1/messages/{}/follow", root.id), None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        fixtures::post_message(&t.bob, &t.general.id, "or monday", Some(&root.id)).await;
        let carols = notifications(&t.carol, true).await;
        assert_eq!(carols.len(), 1);
        assert_eq!(carols[0].kind, NotificationKind::Reply);
        let (status, _) = call(&t.carol, Method::DELETE, &format!("/api/v1/messages/{}/follow", root.id), None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let last = fixtures::post_message(&t.bob, &t.general.id, "decided: monday", Some(&root.id)).await.message;
        assert_eq!(notifications(&t.carol, true).await.len(), 1);
        assert_eq!(notifications(&t.alice, true).await.len(), 3);

        // Reading the last reply clears the thread for Alice.
        read_up_to(&t.alice, &t.general.id, &last.id).await;
        let view: FollowedThreads = t.alice.client.get(&format!("/api/v1/orgs/{}/threads", t.org)).await.unwrap();
        assert_eq!(view.items[0].unread, 0);
        assert_eq!(view.items[0].root.reply_count, 3);
        assert_eq!(unread(&t.alice, &t.org).await.threads.unread, 0);
        assert!(notifications(&t.alice, true).await.is_empty());
        // A reply to a reply is refused.
        let (status, body) = call(&t.bob, Method::POST, &format!("/api/v1/channels/{}/messages", t.general.id), Some(json!({"text": "x", "thread": reply.id}))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(body["error"]["fields"]["thread"].is_string(), "{body}");
    }

    async fn a_private_channel_stays_private_and_removal_cuts_the_stream(backend) {
        let t = team(backend).await;
        let secret = fixtures::create_channel(&t.alice, &t.work, "secret", Some(&[t.bob.id()])).await;
        assert!(secret.private);
        assert_eq!(secret.member_ids.len(), 2);
        let mut bob = t.socket(&t.bob).await;
        let mut carol = t.socket(&t.carol).await;

        let posted = fixtures::post_message(&t.alice, &secret.id, "quokka plans for @bob and @carol", None).await;
        assert_eq!(posted.not_notified, ["carol"]);
        assert_eq!(posted.message.mentions, [t.bob.id().to_owned()]);
        bob.expect("message.created", |f| f.data_id() == posted.message.id).await;
        let seen = frames_until_sentinel(&t, &mut carol, "1").await;
        assert!(!any_mentions(&seen, "quokka") && !any_mentions(&seen, &secret.id), "{seen:?}");

        assert!(notifications(&t.carol, false).await.is_empty());
        assert_eq!(counts(&unread(&t.carol, &t.org).await, &secret.id), None);
        assert_eq!(counts(&unread(&t.bob, &t.org).await, &secret.id), Some((1, 1)));
        let listed: Page<Channel> = t.carol.client.get(&format!("/api/v1/projects/{}/channels", t.work)).await.unwrap();
        assert!(listed.items.iter().all(|c| c.id != secret.id));
        for path in [format!("/api/v1/channels/{}", secret.id), format!("/api/v1/channels/{}/messages", secret.id), format!("/api/v1/messages/{}", posted.message.id)] {
            let (status, _) = call(&t.carol, Method::GET, &path, None).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        }
        // Search: the public word is found, the private one only by members.
        fixtures::post_message(&t.alice, &t.general.id, "wombat roadmap", None).await;
        wait_for_hit(&t.carol, &t.org, "wombat").await;
        wait_for_hit(&t.bob, &t.org, "quokka").await;
        assert!(search(&t.carol, &t.org, "quokka").await.is_empty());

        // Bob is removed: he sees the removal, then nothing more of the channel.
        let (status, _) = call(&t.alice, Method::DELETE, &format!("/api/v1/channels/{}/members/{}", secret.id, t.bob.id()), None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        bob.expect("channel.member_removed", |f| f.data["user_id"] == t.bob.id()).await;
        let after = fixtures::post_message(&t.alice, &secret.id, "numbat after removal", None).await;
        let seen = frames_until_sentinel(&t, &mut bob, "2").await;
        assert!(!any_mentions(&seen, &after.message.id), "{seen:?}");
        let (status, _) = call(&t.bob, Method::GET, &format!("/api/v1/channels/{}/messages", secret.id), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(counts(&unread(&t.bob, &t.org).await, &secret.id), None);
        wait_for_hit(&t.alice, &t.org, "numbat").await;
        assert!(search(&t.bob, &t.org, "quokka").await.is_empty());

        // Adding him back reopens the stream on the same socket.
        let (status, body) = call(&t.alice, Method::POST, &format!("/api/v1/channels/{}/members", secret.id), Some(json!({"user_ids": [t.bob.id()]}))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let again = fixtures::post_message(&t.alice, &secret.id, "welcome back", None).await;
        bob.expect("message.created", |f| f.data_id() == again.message.id).await;
    }

    async fn removal_from_the_project_cuts_public_channels_too(backend) {
        let t = team(backend).await;
        let mut carol = t.socket(&t.carol).await;
        let first = fixtures::post_message(&t.alice, &t.general.id, "before", None).await;
        carol.expect("message.created", |f| f.data_id() == first.message.id).await;
        let (status, _) = call(&t.alice, Method::DELETE, &format!("/api/v1/projects/{}/members/{}", t.work, t.carol.id()), None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let second = fixtures::post_message(&t.alice, &t.general.id, "after", None).await;
        let seen = frames_until_sentinel(&t, &mut carol, "1").await;
        assert!(!any_mentions(&seen, &second.message.id), "{seen:?}");
        assert!(seen.iter().any(|f| f.kind == "access.changed"));
    }

    async fn edits_and_deletes_reach_every_socket_and_deleted_text_is_gone(backend) {
        let t = team(backend).await;
        let mut bob = t.socket(&t.bob).await;
        let posted = fixtures::post_message(&t.carol, &t.general.id, "the pangolin report", None).await.message;
        let edited: PostedMessage = t.carol.client.send(t.carol.client.request(Method::PATCH, &format!("/api/v1/messages/{}", posted.id)).json(&EditMessageRequest { text: "the armadillo report".into() })).await.unwrap();
        assert!(edited.message.edited_at.is_some());
        let frame = bob.expect("message.updated", |f| f.data_id() == posted.id).await;
        assert_eq!(frame.data["text"], "the armadillo report");
        let edits: Page<MessageEdit> = t.carol.client.get(&format!("/api/v1/messages/{}/history", posted.id)).await.unwrap();
        assert_eq!(edits.items.iter().map(|e| e.text.as_str()).collect::<Vec<_>>(), ["the pangolin report"]);
        let (status, _) = call(&t.bob, Method::GET, &format!("/api/v1/messages/{}/history", posted.id), None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = call(&t.bob, Method::PATCH, &format!("/api/v1/messages/{}", posted.id), Some(json!({"text": "mine now"}))).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        wait_for_hit(&t.bob, &t.org, "armadillo").await;
        let (status, body) = call(&t.alice, Method::PATCH, &format!("/api/v1/channels/{}", t.general.id), Some(json!({"name": "announcements", "topic": "news"}))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let frame = bob.expect("channel.updated", |f| f.data_id() == t.general.id).await;
        assert_eq!(frame.data["name"], "announcements");
        let (status, _) = call(&t.bob, Method::PATCH, &format!("/api/v1/channels/{}", t.general.id), Some(json!({"name": "mine"}))).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "only the creator and moderators rename");
        let reactions: Reactions = t.bob.client.post(&format!("/api/v1/messages/{}/reactions", posted.id), &ReactionRequest { emoji: "👍".into() }).await.unwrap();
        assert_eq!(reactions.reactions[0].count, 1);
        // Removing takes the emoji as a body (the contract) or as ?emoji=.
        let (status, body) = call(&t.bob, Method::DELETE, &format!("/api/v1/messages/{}/reactions", posted.id), Some(json!({"emoji": "👍"}))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["reactions"], json!([]));
        let (status, _) = call(&t.bob, Method::DELETE, &format!("/api/v1/messages/{}/reactions", posted.id), None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let reactions: Reactions = t.bob.client.post(&format!("/api/v1/messages/{}/reactions", posted.id), &ReactionRequest { emoji: "👍".into() }).await.unwrap();
        assert_eq!(reactions.reactions[0].count, 1);
        let (status, body) = call(&t.bob, Method::DELETE, &format!("/api/v1/messages/{}/reactions?emoji=%F0%9F%91%8D", posted.id), None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["reactions"], json!([]));
        let _: Reactions = t.bob.client.post(&format!("/api/v1/messages/{}/reactions", posted.id), &ReactionRequest { emoji: "👍".into() }).await.unwrap();

        // Bob (a member) may not delete Carol's message; Alice (owner) may, and it is audited.
        let (status, _) = call(&t.bob, Method::DELETE, &format!("/api/v1/messages/{}", posted.id), None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = call(&t.alice, Method::DELETE, &format!("/api/v1/messages/{}", posted.id), None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let frame = bob.expect("message.deleted", |f| f.data_id() == posted.id).await;
        assert_eq!(frame.data["deleted"], true);
        assert_eq!(frame.data["text"], "");
        let message: Message = t.bob.client.get(&format!("/api/v1/messages/{}", posted.id)).await.unwrap();
        assert!(message.deleted && message.text.is_empty() && message.reactions.is_empty());
        let page = history(&t.bob, &t.general.id).await;
        let tombstone = page.items.iter().find(|m| m.id == posted.id).unwrap();
        assert!(tombstone.deleted && tombstone.text.is_empty());
        let edits: Page<MessageEdit> = t.carol.client.get(&format!("/api/v1/messages/{}/history", posted.id)).await.unwrap();
        assert!(edits.items.is_empty());
        let page_text = serde_json::to_string(&page).unwrap();
        assert!(!page_text.contains("armadillo") && !page_text.contains("pangolin"));
        let audit: Value = t.alice.client.get(&format!("/api/v1/orgs/{}/audit", t.org)).await.unwrap();
        let audit_text = audit.to_string();
        assert!(audit_text.contains("message.deleted_by_moderator"), "{audit_text}");
        assert!(!audit_text.contains("armadillo"));
        wait_until_gone(&t.bob, &t.org, "armadillo").await;
        let (status, body) = call(&t.carol, Method::PATCH, &format!("/api/v1/messages/{}", posted.id), Some(json!({"text": "resurrect"}))).await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
    }

    async fn reconnecting_with_the_last_event_id_replays_what_was_missed_in_order(backend) {
        let t = team(backend).await;
        let mut bob = t.socket(&t.bob).await;
        let first = fixtures::post_message(&t.alice, &t.general.id, "one", None).await.message;
        bob.expect("message.created", |f| f.data_id() == first.id).await;
        let last_seen = bob.last_id;
        bob.close().await;

        let mut missed = Vec::new();
        for text in ["two", "three @bob", "four"] {
            missed.push(fixtures::post_message(&t.alice, &t.general.id, text, None).await.message.id);
        }
        let _: Reactions = t.carol.client.post(&format!("/api/v1/messages/{}/reactions", missed[0]), &ReactionRequest { emoji: "🎉".into() }).await.unwrap();

        let mut bob = EventSocket::connect_with(&t.server, &t.bob.token, Some(last_seen)).await;
        let frames = bob.until("reaction.updated", |_| true).await;
        let ids: Vec<i64> = frames.iter().filter_map(|f| f.id).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "in order, no duplicates: {ids:?}");
        assert!(ids[0] > last_seen);
        let created: Vec<&str> = frames.iter().filter(|f| f.kind == "message.created").map(|f| f.data_id()).collect();
        assert_eq!(created, missed.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(frames.iter().any(|f| f.kind == "notification.created"));
        assert!(!any_mentions(&frames, &first.id), "nothing seen before is sent again");
        // Then it is live.
        let live = fixtures::post_message(&t.alice, &t.general.id, "five", None).await.message;
        let frame = bob.expect("message.created", |f| f.data_id() == live.id).await;
        assert!(frame.id.unwrap() > *ids.last().unwrap());

        // A resume point the server cannot honour is answered with resync.
        let mut lost = EventSocket::connect_with(&t.server, &t.bob.token, Some(i64::MAX / 2)).await;
        let frame = lost.next().await;
        assert_eq!(frame.kind, "resync", "{frame:?}");
    }

    async fn direct_messages_are_one_channel_per_set_of_users(backend) {
        let t = team(backend).await;
        let (status, body) = call(&t.alice, Method::POST, &format!("/api/v1/orgs/{}/dms", t.org), Some(json!({"user_ids": [t.eve.id()]}))).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let dm: Channel = serde_json::from_value(body).unwrap();
        assert_eq!(dm.project_id, None);
        let again: Channel = t.eve.client.post(&format!("/api/v1/orgs/{}/dms", t.org), &UserIds { user_ids: vec![t.alice.id().to_owned(), t.eve.id().to_owned()] }).await.unwrap();
        assert_eq!(again.id, dm.id);
        let mut eve = t.socket(&t.eve).await;
        let posted = fixtures::post_message(&t.alice, &dm.id, "hi eve", None).await.message;
        eve.expect("message.created", |f| f.data_id() == posted.id).await;
        let frame = eve.expect("notification.created", |_| true).await;
        assert_eq!(frame.data["kind"], "dm");
        let (status, _) = call(&t.bob, Method::GET, &format!("/api/v1/channels/{}/messages", dm.id), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let listed: Page<Channel> = t.eve.client.get(&format!("/api/v1/orgs/{}/channels", t.org)).await.unwrap();
        assert!(listed.items.iter().any(|c| c.id == dm.id));
        // Someone outside the org cannot be in a DM.
        let stranger = fixtures::user(&t.server, "stranger").await;
        let (status, _) = call(&t.alice, Method::POST, &format!("/api/v1/orgs/{}/dms", t.org), Some(json!({"user_ids": [stranger.id()]}))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    }

    async fn presence_and_typing_reach_the_org_and_the_channel(backend) {
        let t = team(backend).await;
        let mut alice = t.socket(&t.alice).await;
        let mut bob = t.socket(&t.bob).await;
        let frame = alice.expect("presence", |f| f.data["user_id"] == t.bob.id()).await;
        assert_eq!(frame.data["status"], "online");
        let listed: Page<Presence> = t.alice.client.get(&format!("/api/v1/orgs/{}/presence", t.org)).await.unwrap();
        let of = |id: &str| listed.items.iter().find(|p| p.user_id == id).unwrap().status;
        assert_eq!(of(t.bob.id()), PresenceStatus::Online);
        assert_eq!(of(t.carol.id()), PresenceStatus::Offline);

        bob.send(json!({"type": "typing", "channel": t.general.id})).await;
        let frame = alice.expect("typing", |_| true).await;
        assert_eq!(frame.data["user_id"], t.bob.id());
        assert_eq!(frame.data["channel_id"], t.general.id.as_str());
        assert_eq!(frame.id, None, "typing is not kept");
        bob.send(json!({"type": "typing", "channel": "no-such-channel"})).await;
        let frame = bob.expect("error", |_| true).await;
        assert_eq!(frame.data["code"], "unknown_channel");
        bob.send(json!({"type": "ping"})).await;
        bob.expect("pong", |_| true).await;

        bob.send(json!({"type": "presence", "status": "away"})).await;
        let frame = alice.expect("presence", |f| f.data["user_id"] == t.bob.id()).await;
        assert_eq!(frame.data["status"], "away");
        bob.close().await;
        let frame = alice.expect("presence", |f| f.data["user_id"] == t.bob.id()).await;
        assert_eq!(frame.data["status"], "offline");
        assert!(frame.data["last_seen_at"].as_i64().is_some());
        let listed: Page<Presence> = t.alice.client.get(&format!("/api/v1/orgs/{}/presence", t.org)).await.unwrap();
        let bob_now = listed.items.iter().find(|p| p.user_id == t.bob.id()).unwrap();
        assert_eq!(bob_now.status, PresenceStatus::Offline);
        assert!(bob_now.last_seen_at.is_some());
    }

    async fn mentioning_everyone_follows_the_org_settings(backend) {
        let t = team(backend).await;
        let posted = fixtures::post_message(&t.bob, &t.general.id, "standup now @channel", None).await;
        assert!(posted.warnings.is_empty());
        assert_eq!(notifications(&t.alice, true).await.len(), 1);
        assert_eq!(notifications(&t.carol, true).await.len(), 1);
        assert!(notifications(&t.bob, true).await.is_empty());
        assert!(notifications(&t.eve, true).await.is_empty());
        assert_eq!(counts(&unread(&t.carol, &t.org).await, &t.general.id), Some((1, 1)));

        // Only admins now, with a warning above one member.
        let settings = ChatSettings { mention_all_roles: vec![OrgRole::Owner, OrgRole::Admin], mention_all_warn_above: 1 };
        let saved: ChatSettings = t.alice.client.send(t.alice.client.request(Method::PUT, &format!("/api/v1/orgs/{}/chat-settings", t.org)).json(&settings)).await.unwrap();
        assert_eq!(saved, settings);
        let (status, _) = call(&t.bob, Method::PUT, &format!("/api/v1/orgs/{}/chat-settings", t.org), Some(serde_json::to_value(&settings).unwrap())).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let before = history(&t.alice, &t.general.id).await.items.len();
        let (status, _) = call(&t.bob, Method::POST, &format!("/api/v1/channels/{}/messages", t.general.id), Some(json!({"text": "@all lunch"}))).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(history(&t.alice, &t.general.id).await.items.len(), before);
        let posted = fixtures::post_message(&t.alice, &t.general.id, "@all release", None).await;
        assert_eq!(posted.warnings.len(), 1);
        assert_eq!(posted.warnings[0].code, "large_audience");
        // @here reaches only who is online.
        let _carol_online = t.socket(&t.carol).await;
        fixtures::post_message(&t.alice, &t.general.id, "@here quick one", None).await;
        assert_eq!(notifications(&t.carol, true).await.len(), 3);
        assert_eq!(notifications(&t.bob, true).await.len(), 1);
    }

    async fn bad_input_gets_clear_errors_and_changes_nothing(backend) {
        let t = team(backend).await;
        let root = fixtures::post_message(&t.alice, &t.general.id, "root ocelot", None).await.message;
        let deleted = fixtures::post_message(&t.alice, &t.general.id, "doomed", None).await.message;
        let (status, _) = call(&t.alice, Method::DELETE, &format!("/api/v1/messages/{}", deleted.id), None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let before = history(&t.alice, &t.general.id).await;
        let notes_before = notifications(&t.bob, false).await.len();
        let messages = format!("/api/v1/channels/{}/messages", t.general.id);
        let long = "x".repeat(10_001);
        let cases: Vec<(Method, String, Value, StatusCode, &str)> = vec![
            (Method::POST, messages.clone(), json!({"text": ""}), StatusCode::UNPROCESSABLE_ENTITY, "text"),
            (Method::POST, messages.clone(), json!({"text": "   \n "}), StatusCode::UNPROCESSABLE_ENTITY, "text"),
            (Method::POST, messages.clone(), json!({"text": long}), StatusCode::UNPROCESSABLE_ENTITY, "text"),
            (Method::POST, messages.clone(), json!({"text": "hi @bob and @nobody"}), StatusCode::UNPROCESSABLE_ENTITY, "text"),
            (Method::POST, messages.clone(), json!({"text": "reply", "thread": "0190aaaa-0000-7000-8000-000000000000"}), StatusCode::UNPROCESSABLE_ENTITY, "thread"),
            (Method::POST, messages.clone(), json!({"text": "with file", "attachments": ["nope"]}), StatusCode::UNPROCESSABLE_ENTITY, "attachments"),
            (Method::POST, messages.clone(), json!({"words": "no text"}), StatusCode::BAD_REQUEST, ""),
            (Method::POST, "/api/v1/channels/nope/messages".into(), json!({"text": "hi"}), StatusCode::NOT_FOUND, ""),
            (Method::POST, format!("/api/v1/messages/{}/reactions", deleted.id), json!({"emoji": "👍"}), StatusCode::CONFLICT, ""),
            (Method::POST, format!("/api/v1/messages/{}/reactions", root.id), json!({"emoji": "<script>"}), StatusCode::UNPROCESSABLE_ENTITY, "emoji"),
            (Method::POST, format!("/api/v1/channels/{}/read", t.general.id), json!({"message": "nope"}), StatusCode::UNPROCESSABLE_ENTITY, "message"),
            (Method::POST, format!("/api/v1/projects/{}/channels", t.work), json!({"name": "  "}), StatusCode::UNPROCESSABLE_ENTITY, "name"),
            (Method::POST, format!("/api/v1/projects/{}/channels", t.work), json!({"name": "General"}), StatusCode::CONFLICT, ""),
            (Method::POST, "/api/v1/notifications/read".into(), json!({}), StatusCode::UNPROCESSABLE_ENTITY, "ids"),
        ];
        for (method, path, body, want, field) in cases {
            let (status, answer) = call(&t.alice, method.clone(), &path, Some(body.clone())).await;
            assert_eq!(status, want, "{method} {path} {body}: {answer}");
            assert!(answer["error"]["code"].is_string(), "{answer}");
            if !field.is_empty() {
                assert!(answer["error"]["fields"][field].is_string(), "{field}: {answer}");
            }
        }
        let (status, _) = call(&t.alice, Method::GET, &format!("{messages}?limit=0"), None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (status, _) = call(&t.alice, Method::GET, &format!("{messages}?before=x&after=y"), None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let after = history(&t.alice, &t.general.id).await;
        assert_eq!(after, before, "nothing changed");
        assert_eq!(notifications(&t.bob, false).await.len(), notes_before);

        // A viewer cannot post; nobody can post in an archived channel.
        fixtures::add_project_member(&t.alice, &t.work, t.eve.id(), ProjectRole::Viewer).await;
        let (status, _) = call(&t.eve, Method::POST, &messages, Some(json!({"text": "hello"}))).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = call(&t.alice, Method::PATCH, &format!("/api/v1/channels/{}", t.general.id), Some(json!({"archived": true}))).await;
        assert_eq!(status, StatusCode::OK);
        let (status, body) = call(&t.bob, Method::POST, &messages, Some(json!({"text": "late"}))).await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert_eq!(history(&t.alice, &t.general.id).await, before);
        // Archived channels stay readable and searchable.
        wait_for_hit(&t.bob, &t.org, "ocelot").await;
    }

    async fn files_of_the_channels_project_attach_to_messages(backend) {
        let t = team(backend).await;
        let mut bob = t.socket(&t.bob).await;
        let (status, file) = fixtures::upload_file(&t.alice, &t.work, "plan.txt", b"the plan").await;
        assert_eq!(status, StatusCode::CREATED, "{file}");
        let file_id = file["id"].as_str().unwrap();
        let (status, body) = call(&t.alice, Method::POST, &format!("/api/v1/channels/{}/messages", t.general.id), Some(json!({"text": "see attached", "attachments": [file_id]}))).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let message: Message = serde_json::from_value(body).unwrap();
        assert_eq!(message.attachments.len(), 1);
        assert_eq!(message.attachments[0].id, file_id);
        assert_eq!(message.attachments[0].name, "plan.txt");
        assert_eq!(message.attachments[0].size, 8);
        assert!(message.attachments[0].content_type.starts_with("text/plain"), "{:?}", message.attachments[0]);
        let frame = bob.expect("message.created", |f| f.data_id() == message.id).await;
        assert_eq!(frame.data["attachments"][0]["id"], file_id);
        let download = t.bob.client.request(Method::GET, &format!("/api/v1/files/{file_id}/content")).send().await.unwrap();
        assert_eq!(download.bytes().await.unwrap().as_ref(), b"the plan");

        // A file of another project, a trashed file, and files in DMs are refused.
        let lobby_project = t.lobby.project_id.clone().unwrap();
        let (_, other) = fixtures::upload_file(&t.alice, &lobby_project, "other.txt", b"elsewhere").await;
        let (status, body) = call(&t.alice, Method::POST, &format!("/api/v1/channels/{}/messages", t.general.id), Some(json!({"text": "wrong project", "attachments": [other["id"]]}))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let (status, _) = call(&t.alice, Method::DELETE, &format!("/api/v1/files/{file_id}"), None).await;
        assert!(status.is_success(), "{status}");
        let (status, body) = call(&t.alice, Method::POST, &format!("/api/v1/channels/{}/messages", t.general.id), Some(json!({"text": "trashed", "attachments": [file_id]}))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let dm: Channel = t.alice.client.post(&format!("/api/v1/orgs/{}/dms", t.org), &UserIds { user_ids: vec![t.bob.id().to_owned()] }).await.unwrap();
        let (status, body) = call(&t.alice, Method::POST, &format!("/api/v1/channels/{}/messages", dm.id), Some(json!({"text": "dm file", "attachments": [other["id"]]}))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(history(&t.alice, &t.general.id).await.items.len(), 1);
    }

    async fn notification_levels_choose_what_notifies(backend) {
        let t = team(backend).await;
        set_level(&t.bob, &t.general.id, "all").await;
        set_level(&t.carol, &t.general.id, "none").await;
        fixtures::post_message(&t.alice, &t.general.id, "plain news", None).await;
        fixtures::post_message(&t.alice, &t.general.id, "@carol muted?", None).await;
        let bobs = notifications(&t.bob, true).await;
        assert_eq!(bobs.len(), 2, "{bobs:?}");
        assert!(bobs.iter().all(|n| n.kind == NotificationKind::Message));
        assert!(notifications(&t.carol, true).await.is_empty(), "muted");
        // Leaving a public channel hides it from the sidebar and the unread list.
        let (status, _) = call(&t.bob, Method::DELETE, &format!("/api/v1/channels/{}/members/{}", t.general.id, t.bob.id()), None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let listed: Page<Channel> = t.bob.client.get(&format!("/api/v1/orgs/{}/channels", t.org)).await.unwrap();
        assert!(listed.items.iter().all(|c| c.id != t.general.id));
        assert_eq!(counts(&unread(&t.bob, &t.org).await, &t.general.id), None);
        // Posting there brings it back.
        fixtures::post_message(&t.bob, &t.general.id, "back", None).await;
        let listed: Page<Channel> = t.bob.client.get(&format!("/api/v1/orgs/{}/channels", t.org)).await.unwrap();
        assert!(listed.items.iter().any(|c| c.id == t.general.id));
    }

    async fn a_new_handle_is_what_mentions_match(backend) {
        let t = team(backend).await;
        let mut eve = t.socket(&t.eve).await;
        let (status, body) = call(&t.bob, Method::PATCH, "/api/v1/me", Some(json!({"name": "Robert", "handle": "@Rob"}))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["handle"], "rob");
        assert_eq!(body["name"], "Robert");
        // His very next request carries the new name: the node forgot the credential it had
        // just authenticated (and remembered) with the old one.
        let (status, me) = call(&t.bob, Method::GET, "/api/v1/me", None).await;
        assert_eq!(status, StatusCode::OK, "{me}");
        assert_eq!((me["user"]["handle"].as_str(), me["user"]["name"].as_str()), (Some("rob"), Some("Robert")), "{me}");
        let (status, _) = call(&t.carol, Method::PATCH, "/api/v1/me", Some(json!({"handle": "rob"}))).await;
        assert_eq!(status, StatusCode::CONFLICT);
        let (status, body) = call(&t.carol, Method::PATCH, "/api/v1/me", Some(json!({"name": " ", "handle": "a b"}))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(body["error"]["fields"]["name"].is_string() && body["error"]["fields"]["handle"].is_string(), "{body}");
        // Everyone in Bob's organisation hears of the new name at once (and nothing else: no
        // e-mail address, no event for the refused changes).
        let seen = frames_until_sentinel(&t, &mut eve, "renamed").await;
        let renamed: Vec<&Frame> = seen.iter().filter(|f| f.kind == "user.updated").collect();
        assert_eq!(renamed.len(), 1, "{seen:?}");
        assert_eq!(renamed[0].data, json!({"id": t.bob.id(), "handle": "rob", "name": "Robert"}));
        let posted = fixtures::post_message(&t.alice, &t.general.id, "thanks @rob", None).await;
        assert_eq!(posted.message.mentions, [t.bob.id().to_owned()]);
        let (status, _) = call(&t.alice, Method::POST, &format!("/api/v1/channels/{}/messages", t.general.id), Some(json!({"text": "hi @bob"}))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "the old handle is gone");
    }

    async fn history_pages_both_ways_and_permalinks_open_the_page_around(backend) {
        let t = team(backend).await;
        let mut ids = Vec::new();
        for i in 0..25 {
            ids.push(fixtures::post_message(&t.alice, &t.general.id, &format!("m{i}"), None).await.message.id);
        }
        let base = format!("/api/v1/channels/{}/messages", t.general.id);
        let latest: MessagePage = t.bob.client.get(&format!("{base}?limit=10")).await.unwrap();
        assert_eq!(latest.items.iter().map(|m| m.id.clone()).collect::<Vec<_>>(), ids[15..]);
        assert!(latest.has_more_before && !latest.has_more_after);
        let older: MessagePage = t.bob.client.get(&format!("{base}?limit=10&before={}", ids[15])).await.unwrap();
        assert_eq!(older.items.iter().map(|m| m.id.clone()).collect::<Vec<_>>(), ids[5..15]);
        assert!(older.has_more_before && older.has_more_after);
        let newer: MessagePage = t.bob.client.get(&format!("{base}?limit=10&after={}", ids[2])).await.unwrap();
        assert_eq!(newer.items.iter().map(|m| m.id.clone()).collect::<Vec<_>>(), ids[3..13]);
        assert!(newer.has_more_before && newer.has_more_after);
        let around: MessagePage = t.bob.client.get(&format!("{base}?limit=5&around={}", ids[10])).await.unwrap();
        assert_eq!(around.items.iter().map(|m| m.id.clone()).collect::<Vec<_>>(), ids[8..13]);
        let first: MessagePage = t.bob.client.get(&format!("{base}?limit=5&around={}", ids[0])).await.unwrap();
        assert_eq!(first.items[0].id, ids[0]);
        assert!(!first.has_more_before);
        let (status, _) = call(&t.bob, Method::GET, &format!("{base}?around={}", t.lobby.id), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}

backend_tests! {
    async fn a_socket_that_stops_reading_is_closed_and_resumes_without_a_gap(backend) {
        let t = team_with(
            TestServer::builder(backend)
                .env("ATRIUM_EVENTS_QUEUE", "16")
                .env("ATRIUM_API_RATE_PER_SECOND", "10000"),
        )
        .await;
        let mut bob = t.socket(&t.bob).await;
        let start = bob.last_id;
        // Bob's socket reads nothing while large messages pile up beyond the socket buffers
        // and the queue.
        let big = "x".repeat(9_000);
        let mut posters = Vec::new();
        for poster in 0..4 {
            let (alice, channel, big) = (t.alice.clone(), t.general.id.clone(), big.clone());
            posters.push(tokio::spawn(async move {
                let mut ids = Vec::new();
                for i in 0..400 {
                    let text = format!("{poster}/{i} {big}");
                    ids.push(fixtures::post_message(&alice, &channel, &text, None).await.message.id);
                }
                ids
            }));
        }
        let mut posted = Vec::new();
        for poster in posters {
            posted.extend(poster.await.unwrap());
        }
        // Message ids are made under the writers' lock: they sort in commit (and event) order.
        posted.sort();
        let (frames, code) = bob.until_closed().await;
        assert_eq!(code, Some(4508), "closed as too slow after {} frames", frames.len());
        let seen: Vec<&str> = frames.iter().filter(|f| f.kind == "message.created").map(|f| f.data_id()).collect();
        assert!(seen.len() < posted.len(), "the socket was cut before the end");
        let last = frames.iter().filter_map(|f| f.id).max().unwrap_or(start);
        // Resuming from the last id delivers exactly the rest, in order.
        let mut resumed = EventSocket::connect_with(&t.server, &t.bob.token, Some(last)).await;
        let rest = resumed.until("message.created", |f| f.data_id() == posted.last().unwrap()).await;
        let mut all: Vec<&str> = seen.clone();
        all.extend(rest.iter().filter(|f| f.kind == "message.created").map(|f| f.data_id()));
        assert_eq!(all, posted.iter().map(String::as_str).collect::<Vec<_>>(), "no gap, no duplicate");
    }

    async fn concurrent_posts_replies_and_mentions_are_each_written_once_and_counted(backend) {
        // Posts arriving together are committed together (the message writer's groups): every
        // counter, marker and notification must come out as if they had been written one by one.
        let t = team_with(TestServer::builder(backend).env("ATRIUM_API_RATE_PER_SECOND", "10000")).await;
        let root = fixtures::post_message(&t.carol, &t.general.id, "the thread", None).await.message.id;
        let mut bob = t.socket(&t.bob).await;
        let mut tasks = Vec::new();
        for round in 0..10 {
            for (who, user) in [("alice", &t.alice), ("carol", &t.carol)] {
                let (user, general, lobby, root) = (user.clone(), t.general.id.clone(), t.lobby.id.clone(), root.clone());
                tasks.push(tokio::spawn(async move {
                    let top = fixtures::post_message(&user, &general, &format!("{who} {round} for @bob"), None).await;
                    let reply = fixtures::post_message(&user, &general, &format!("{who} reply {round}"), Some(&root)).await;
                    let lobby = fixtures::post_message(&user, &lobby, &format!("{who} lobby {round}"), None).await;
                    [top.message, reply.message, lobby.message]
                }));
            }
        }
        let mut posted: Vec<Message> = Vec::new();
        for task in tasks {
            posted.extend(task.await.unwrap());
        }
        let mut ids: Vec<&str> = posted.iter().map(|m| m.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 60, "every post got its own id");

        // Bob's socket sees each message once, in id (commit) order per channel. (The root's
        // own frame may come too: it was committed just before the socket opened.)
        let last = posted.iter().map(|m| m.id.clone()).max().unwrap();
        let frames = bob.until("message.created", |f| f.data_id() == last).await;
        let seen: Vec<&Frame> = frames.iter().filter(|f| f.kind == "message.created" && f.data_id() != root).collect();
        let mut general_seen: Vec<&str> = seen.iter().filter(|f| f.data["channel_id"] == t.general.id.as_str()).map(|f| f.data_id()).collect();
        assert_eq!(general_seen.len(), 40, "{general_seen:?}");
        let in_order = general_seen.clone();
        general_seen.sort_unstable();
        assert_eq!(in_order, general_seen, "frames arrive in commit order");
        let bob_notes = frames.iter().filter(|f| f.kind == "notification.created").count();

        // The thread counted all 20 replies from both participants.
        let thread: Thread = t.bob.client.get(&format!("/api/v1/messages/{root}/thread")).await.unwrap();
        assert_eq!(thread.root.reply_count, 20);
        assert_eq!(thread.items.len(), 20);
        let mut participants = thread.root.participant_ids.clone();
        participants.sort();
        let mut expected = vec![t.alice.id().to_owned(), t.carol.id().to_owned()];
        expected.sort();
        assert_eq!(participants, expected);
        // Bob was mentioned 20 times: 20 notifications, a mention count of 20, 20 top-level
        // unread in general (replies count in the thread).
        let mentions: Vec<Notification> = notifications(&t.bob, true).await;
        assert_eq!(mentions.iter().filter(|n| n.kind == NotificationKind::Mention).count(), 20);
        assert!(bob_notes >= 20, "{bob_notes} notification frames before the last message");
        assert_eq!(counts(&unread(&t.bob, &t.org).await, &t.general.id), Some((21, 20)));
        // Each poster's own marker is at their latest top-level post in each channel: what
        // remains unread for them is only the other's later posts.
        for (user, name) in [(&t.alice, "alice"), (&t.carol, "carol")] {
            let page = history(user, &t.general.id).await;
            let top: Vec<&Message> = page.items.iter().filter(|m| m.thread_id.is_none()).collect();
            let own_last = top.iter().rposition(|m| m.author.id == user.id()).unwrap();
            let later = top.len() - 1 - own_last;
            let (unread_count, _) = counts(&unread(user, &t.org).await, &t.general.id).unwrap();
            assert_eq!(unread_count, later as i64, "{name}'s marker");
        }
        assert_eq!(history(&t.eve, &t.lobby.id).await.items.len(), 20);
    }

    async fn offline_users_get_one_digest_e_mail_of_what_they_missed(backend) {
        let t = team_with(TestServer::builder(backend).env("ATRIUM_NOTIFY_DIGEST_SECS", "1")).await;
        let _carol_online = t.socket(&t.carol).await;
        // Eve turned digests off: she gets none though offline.
        let (status, body) = call(&t.eve, Method::PUT, "/api/v1/me/notification-settings", Some(json!({"email_digest": false}))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let dm: Channel = t.alice.client.post(&format!("/api/v1/orgs/{}/dms", t.org), &UserIds { user_ids: vec![t.eve.id().to_owned()] }).await.unwrap();
        fixtures::post_message(&t.alice, &dm.id, "for eve only", None).await;
        fixtures::post_message(&t.alice, &t.general.id, "first for @bob and @carol", None).await;
        fixtures::post_message(&t.alice, &t.general.id, "second for @bob", None).await;
        let outbox = t.server.data_dir().join("outbox");
        // Everyone also got a verification and an invitation e-mail: count digests only.
        let digest = "new notification";
        let mail = wait_for_mail_containing(&outbox, &t.bob.user.email, digest).await;
        assert!(mail.contains("2 new notifications"), "{mail}");
        assert!(mail.contains("first for @bob") && mail.contains("second for @bob"), "{mail}");
        // Carol was online: no e-mail for her, and Bob gets no second copy.
        tokio::time::sleep(Duration::from_millis(2500)).await;
        let mails = mails_to_containing(&outbox, &t.carol.user.email, digest);
        assert!(mails.is_empty(), "{mails:?}");
        assert!(mails_to_containing(&outbox, &t.eve.user.email, digest).is_empty());
        assert_eq!(notifications(&t.eve, true).await.len(), 1, "still in her notification centre");
        assert_eq!(mails_to_containing(&outbox, &t.bob.user.email, digest).len(), 1);
    }
}

async fn search(user: &TestUser, org: &str, q: &str) -> Vec<Value> {
    let body: Value = user
        .client
        .get(&format!("/api/v1/orgs/{org}/search?q={q}&kind=message"))
        .await
        .unwrap();
    body["hits"].as_array().cloned().unwrap_or_default()
}

/// Waits until `q` finds a message for `user` (the index follows the change feed).
async fn wait_for_hit(user: &TestUser, org: &str, q: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while search(user, org, q).await.is_empty() {
        assert!(Instant::now() < deadline, "{q} never became searchable");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn wait_until_gone(user: &TestUser, org: &str, q: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !search(user, org, q).await.is_empty() {
        assert!(Instant::now() < deadline, "{q} is still found");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The team on node A, and a node B on the same PostgreSQL database, Redis and S3 (a node
/// with Redis refuses local files).
async fn two_nodes() -> (Team, TestServer) {
    let redis = atrium_tests::services::redis_url();
    let node = || {
        atrium_tests::services::s3_env().into_iter().fold(
            TestServer::builder(Backend::Postgres).env("ATRIUM_REDIS_URL", redis.clone()),
            |b, (k, v)| b.env(k, v),
        )
    };
    let t = team_with(node()).await;
    let node_b = node()
        .arg("--database-url")
        .arg(t.server.database_url())
        .start()
        .await;
    (t, node_b)
}

/// Two nodes on one PostgreSQL database and one Redis: a socket on either node gets what
/// happens on the other — logged events and ephemeral ones (typing), which only the Redis
/// relay carries.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_fan_out_through_redis() {
    let (t, node_b) = two_nodes().await;
    let mut alice_a = t.socket(&t.alice).await;
    let mut bob_b = EventSocket::connect(&node_b, &t.bob.token).await;
    // Bob's presence on node B reaches Alice on node A.
    alice_a
        .expect("presence", |f| f.data["user_id"] == t.bob.id())
        .await;

    let posted = fixtures::post_message(&t.alice, &t.general.id, "across nodes", None).await;
    let started = std::time::Instant::now();
    bob_b
        .expect("message.created", |f| f.data_id() == posted.message.id)
        .await;
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "relayed at once, not by polling: {:?}",
        started.elapsed()
    );

    alice_a
        .send(json!({"type": "typing", "channel": t.general.id}))
        .await;
    let frame = bob_b.expect("typing", |_| true).await;
    assert_eq!(frame.data["user_id"], t.alice.id());

    // Bob posts through node B; Alice's socket on node A gets it.
    let bob_on_b = node_b.client().with_token(&t.bob.token);
    let reply: PostedMessage = bob_on_b
        .post(
            &format!("/api/v1/channels/{}/messages", t.general.id),
            &json!({"text": "back from B"}),
        )
        .await
        .unwrap();
    alice_a
        .expect("message.created", |f| f.data_id() == reply.message.id)
        .await;
}

#[tokio::test]
async fn presence_spans_nodes_through_redis() {
    let (t, node_b) = two_nodes().await;
    let mut alice_a = t.socket(&t.alice).await;
    let bob_b = EventSocket::connect(&node_b, &t.bob.token).await;
    alice_a
        .expect("presence", |f| {
            f.data["user_id"] == t.bob.id() && f.data["status"] == "online"
        })
        .await;

    // Node A counts Bob, whose only socket is on node B, as online: in the presence list…
    let presence_of_bob = |list: &Page<Presence>| {
        list.items
            .iter()
            .find(|p| p.user_id == t.bob.id())
            .map(|p| p.status)
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let list: Page<Presence> = t
            .alice
            .client
            .get(&format!("/api/v1/orgs/{}/presence", t.org))
            .await
            .unwrap();
        if presence_of_bob(&list) == Some(PresenceStatus::Online) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "node A never saw Bob online: {list:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // …and for @here, posted through node A.
    let posted = fixtures::post_message(&t.alice, &t.general.id, "@here standup", None).await;
    assert!(posted.message.text.contains("@here"));
    let bobs = notifications(&t.bob, true).await;
    assert!(
        bobs.iter().any(|n| n.kind == NotificationKind::Mention
            && n.message_id.as_deref() == Some(posted.message.id.as_str())),
        "{bobs:?}"
    );
    assert!(
        !notifications(&t.eve, true)
            .await
            .iter()
            .any(|n| n.message_id.as_deref() == Some(posted.message.id.as_str())),
        "Eve is offline and outside the channel"
    );

    // Bob opens a tab on node A and closes the one on node B: still online, no offline frame.
    let bob_a = t.socket(&t.bob).await;
    bob_b.close().await;
    let seen = frames_until_sentinel(&t, &mut alice_a, "tab moved").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let seen_late = frames_until_sentinel(&t, &mut alice_a, "tab moved, later").await;
    assert!(
        !seen.iter().chain(&seen_late).any(|f| f.kind == "presence"
            && f.data["user_id"] == t.bob.id()
            && f.data["status"] == "offline"),
        "{seen:?} {seen_late:?}"
    );
    // Closing the last tab anywhere does report offline.
    bob_a.close().await;
    alice_a
        .expect("presence", |f| {
            f.data["user_id"] == t.bob.id() && f.data["status"] == "offline"
        })
        .await;
}
