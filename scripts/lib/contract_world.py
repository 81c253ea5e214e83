"""Sets up the world the contract test (scripts/contract) runs in, through the public API.

    python contract_world.py BASE_URL OUTBOX_DIR

A verified user with a logged-in session, an organisation, a project, and one of each thing a
route's path can name (board, task, channel, message, document and version, file, milestone,
saved view, record type and record, webhook, automation rule, e-mail template, time entry, two more members and an invitation),
so schemathesis reaches the handlers behind the permission checks instead of meeting 404s.
Prints `NAME=value` lines (the identifiers and the bearer token) for the config file's
`${NAME}` placeholders. Uses only the standard library: it runs with the venv's Python.
"""

import json
import os
import re
import sys
import time
import urllib.error
import urllib.request
import uuid

BASE, OUTBOX = sys.argv[1].rstrip("/"), sys.argv[2]


def call(method, path, token=None, body=None, expect=(200, 201, 202, 204), raw=None, ctype=None):
    """One request; fails the setup loudly on any status outside `expect`."""
    headers = {}
    data = None
    if token:
        headers["authorization"] = f"Bearer {token}"
    if body is not None:
        headers["content-type"] = "application/json"
        data = json.dumps(body).encode()
    if raw is not None:
        headers["content-type"] = ctype
        data = raw
    request = urllib.request.Request(BASE + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read().decode()
    if status not in expect:
        sys.exit(f"contract world: {method} {path} answered {status}: {text[:400]}")
    return json.loads(text) if text.strip().startswith(("{", "[")) else None


def mailed_token(to, link):
    """The token of the newest `{link}?token=…` e-mailed to `to` (the outbox holds .eml files)."""
    deadline = time.time() + 20
    while time.time() < deadline:
        found = []
        for name in sorted(os.listdir(OUTBOX)) if os.path.isdir(OUTBOX) else []:
            if not name.endswith(".eml"):
                continue
            with open(os.path.join(OUTBOX, name), encoding="utf-8", errors="replace") as f:
                text = f.read().replace("=\r\n", "").replace("=\n", "").replace("=3D", "=")
            if to in text:
                found += re.findall(re.escape(link) + r"\?token=([A-Za-z0-9_-]+)", text)
        if found:
            return found[-1]
        time.sleep(0.1)
    sys.exit(f"contract world: no {link} link mailed to {to} in {OUTBOX}")


def user(label):
    email = f"{label}-{uuid.uuid4().hex[:8]}@example.com"
    password = f"Quiet-harbour-{uuid.uuid4().hex[:6]}-lantern"
    call("POST", "/api/v1/auth/signup", body={"email": email, "password": password, "name": label.title()})
    login = call("POST", "/api/v1/auth/login", body={"email": email, "password": password})
    token = login["token"]
    call("POST", "/api/v1/auth/verify-email", token, {"token": mailed_token(email, "/verify-email")})
    return {"id": login["user"]["id"], "email": email, "token": token}


owner = user("owner")
t = owner["token"]
out = {"CONTRACT_TOKEN": t, "CONTRACT_USER": owner["id"]}

org = call("POST", "/api/v1/orgs", t, {"name": "Contract Org"})["id"]
project = call("POST", f"/api/v1/orgs/{org}/projects", t, {"name": "Contract Project"})["id"]
out.update(CONTRACT_ORG=org, CONTRACT_PROJECT=project)

# A second member of the org, the project and the channel: the `{user}` of the member routes.
member = user("member")
call("POST", f"/api/v1/orgs/{org}/members", t, {"email": member["email"], "role": "member"})
call("POST", "/api/v1/invitations/accept", member["token"], {"token": mailed_token(member["email"], "/invitations")})
call("POST", f"/api/v1/projects/{project}/members", t, {"user_id": member["id"], "role": "editor"})
out["CONTRACT_MEMBER"] = member["id"]
# Another member, for the one route that removes a member from the organisation (the first
# stays, so the routes that change a member's role keep someone to change).
leaver = user("leaver")
call("POST", f"/api/v1/orgs/{org}/members", t, {"email": leaver["email"], "role": "member"})
call("POST", "/api/v1/invitations/accept", leaver["token"], {"token": mailed_token(leaver["email"], "/invitations")})
out["CONTRACT_LEAVER"] = leaver["id"]
# A pending invitation: the `{invitation}` of its revocation route.
call("POST", f"/api/v1/orgs/{org}/members", t, {"email": f"invitee-{uuid.uuid4().hex[:8]}@example.com", "role": "member"})
invitations = call("GET", f"/api/v1/orgs/{org}/invitations", t)
invitations = invitations.get("items", invitations) if isinstance(invitations, dict) else invitations
out["CONTRACT_INVITATION"] = invitations[0]["id"]

doc = call("POST", f"/api/v1/projects/{project}/docs", t, {"title": "Contract notes"})["id"]
version = call("POST", f"/api/v1/docs/{doc}/versions", t, {"name": "First"})["id"]
out.update(CONTRACT_DOC=doc, CONTRACT_VERSION=version)

board = call("POST", f"/api/v1/projects/{project}/boards", t, {"name": "Contract board"})["id"]
task = call("POST", f"/api/v1/boards/{board}/tasks", t, {"title": "Contract task"})["id"]
# A second task for DELETE /tasks/{task}, so the routes on the first keep a task to work on.
doomed = call("POST", f"/api/v1/boards/{board}/tasks", t, {"title": "Contract task to delete"})["id"]
entry = call("POST", f"/api/v1/tasks/{task}/time", t, {"minutes": 30, "date": "2026-01-05"})["id"]
milestone = call("POST", f"/api/v1/projects/{project}/milestones", t, {"name": "Contract milestone"})["id"]
view = call("POST", f"/api/v1/projects/{project}/views", t, {"name": "Contract view", "layout": "list"})["id"]
out.update(CONTRACT_BOARD=board, CONTRACT_TASK=task, CONTRACT_DOOMED_TASK=doomed, CONTRACT_ENTRY=entry, CONTRACT_MILESTONE=milestone,
           CONTRACT_VIEW=view)

channel = call("POST", f"/api/v1/projects/{project}/channels", t, {"name": "contract"})["id"]
message = call("POST", f"/api/v1/channels/{channel}/messages", t, {"text": "Contract message"})["id"]
out.update(CONTRACT_CHANNEL=channel, CONTRACT_MESSAGE=message)

boundary = "contractboundary"
upload = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"notes.txt\"\r\n"
          f"Content-Type: text/plain\r\n\r\nContract file\r\n--{boundary}--\r\n").encode()
file = call("POST", f"/api/v1/projects/{project}/files", t, raw=upload,
            ctype=f"multipart/form-data; boundary={boundary}")["id"]
out["CONTRACT_FILE"] = file

kind = "order"
call("POST", f"/api/v1/orgs/{org}/record-types", t, {
    "slug": kind, "name": "Order",
    "fields": [{"name": "code", "type": "text"}],
    "workflow": {"states": [{"name": "draft"}, {"name": "done", "final_state": True}],
                 "transitions": [{"action": "finish", "from": ["draft"], "to": "done"}]},
})
record = call("POST", f"/api/v1/orgs/{org}/records/{kind}", t, {"code": "A-1"})["id"]
out.update(CONTRACT_TYPE=kind, CONTRACT_RECORD=record)

hook = call("POST", f"/api/v1/orgs/{org}/webhooks", t, {"url": "http://127.0.0.1:9/hook", "events": ["task.*"]})["id"]
out["CONTRACT_HOOK"] = hook
rule = call("POST", f"/api/v1/orgs/{org}/automations", t, {
    "name": "Contract rule",
    "trigger": {"event": "task.created"},
    "actions": [{"type": "notify", "roles": ["owner"], "text": "New: {{title}}"}],
})["id"]
out["CONTRACT_RULE"] = rule
template = call("POST", f"/api/v1/orgs/{org}/email-templates", t, {"name": "contract", "subject": "Hi {{name}}", "body": "Hello {{name}}"})["id"]
out["CONTRACT_TEMPLATE"] = template

for name, value in out.items():
    print(f"{name}={value}")
