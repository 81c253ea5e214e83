-- Boards and tasks (issue #17): per-project statuses that boards show as columns, tasks with a
-- per-project key, fractional order keys, relations, activity history, milestones, time
-- tracking and saved views.
--
-- A board is a view over its project's tasks: a filter plus ordered columns, each mapped to one
-- of the project's statuses; a task has one status however many boards show it, and one order
-- key within that status (shared by every board showing it).

-- The project's short key (ENG in ENG-42): set when the project is created or, for projects
-- older than boards, when its first task is; unique per org. task_seq hands out task numbers
-- (update … set task_seq = task_seq + 1 returning: never repeats, safe under concurrency).
alter table projects add column key text;
alter table projects add column task_seq bigint not null default 0;
create unique index projects_org_key on projects (org_id, key);

-- The task statuses of a project. category: backlog | todo | in_progress | done | cancelled.
create table task_statuses (
    id text primary key,
    project_id text not null references projects (id) on delete cascade,
    name text not null,
    -- lowercased name: unique per project (boards with a column of the same name share it)
    name_key text not null,
    category text not null,
    created_at bigint not null
);
create unique index task_statuses_name on task_statuses (project_id, name_key);

create table boards (
    id text primary key,
    org_id text not null references orgs (id) on delete cascade,
    project_id text not null references projects (id) on delete cascade,
    name text not null,
    -- JSON: which of the project's tasks the board shows ({labels?, assignees?, milestone?, …})
    filter text not null default '{}',
    -- null | assignee | priority | label
    swimlanes text,
    created_by text not null references users (id),
    created_at bigint not null,
    updated_at bigint not null
);
create index boards_project on boards (project_id);

-- A board's columns in order (position: a fractional key), each showing one status.
create table board_columns (
    id text primary key,
    board_id text not null references boards (id) on delete cascade,
    status_id text not null references task_statuses (id) on delete cascade,
    name text not null,
    position text collate "C" not null,
    wip_limit integer,
    created_at bigint not null
);
create unique index board_columns_position on board_columns (board_id, position);
create unique index board_columns_status on board_columns (board_id, status_id);

create table milestones (
    id text primary key,
    project_id text not null references projects (id) on delete cascade,
    name text not null,
    description text not null default '',
    -- YYYY-MM-DD or null
    due text,
    created_by text not null references users (id),
    created_at bigint not null,
    closed_at bigint
);
create index milestones_project on milestones (project_id);

create table tasks (
    id text primary key,
    org_id text not null references orgs (id) on delete cascade,
    project_id text not null references projects (id) on delete cascade,
    -- ENG-42's 42: from projects.task_seq, never reused
    number bigint not null,
    title text not null,
    status_id text not null references task_statuses (id),
    -- fractional order key within the status (byte order)
    rank text collate "C" not null,
    -- none | low | medium | high | urgent
    priority text not null default 'none',
    -- YYYY-MM-DD
    due text,
    -- minutes
    estimate bigint,
    milestone_id text references milestones (id) on delete set null,
    parent_id text references tasks (id) on delete set null,
    -- JSON array [{id, text, done}]
    checklist text not null default '[]',
    created_by text not null references users (id),
    created_at bigint not null,
    updated_at bigint not null,
    -- set while the task's status is of category done or cancelled
    closed_at bigint,
    -- when the due-soon notification went out (so it goes out once per due date)
    due_notified text
);
create unique index tasks_number on tasks (project_id, number);
create unique index tasks_rank on tasks (status_id, rank);
create index tasks_project on tasks (project_id, updated_at);
create index tasks_parent on tasks (parent_id);
create index tasks_milestone on tasks (milestone_id);
create index tasks_due on tasks (due) where closed_at is null;

create table task_assignees (
    task_id text not null references tasks (id) on delete cascade,
    user_id text not null references users (id) on delete cascade,
    primary key (task_id, user_id)
);
create index task_assignees_user on task_assignees (user_id);

create table task_labels (
    task_id text not null references tasks (id) on delete cascade,
    label text not null,
    primary key (task_id, label)
);
create index task_labels_label on task_labels (label);

create table task_watchers (
    task_id text not null references tasks (id) on delete cascade,
    user_id text not null references users (id) on delete cascade,
    primary key (task_id, user_id)
);

-- task_id is blocked by blocker_id (both in one project; the graph stays acyclic).
create table task_dependencies (
    task_id text not null references tasks (id) on delete cascade,
    blocker_id text not null references tasks (id) on delete cascade,
    primary key (task_id, blocker_id)
);
create index task_dependencies_blocker on task_dependencies (blocker_id);

create table task_attachments (
    task_id text not null references tasks (id) on delete cascade,
    file_id text not null references files (id) on delete cascade,
    created_by text not null references users (id),
    created_at bigint not null,
    primary key (task_id, file_id)
);

-- Field-level activity: one row per changed field (before/after are JSON).
create table task_history (
    seq bigint generated always as identity primary key,
    task_id text not null references tasks (id) on delete cascade,
    actor_id text references users (id),
    at bigint not null,
    field text not null,
    before text,
    after text
);
create index task_history_task on task_history (task_id, seq);

create table time_entries (
    id text primary key,
    org_id text not null references orgs (id) on delete cascade,
    project_id text not null references projects (id) on delete cascade,
    task_id text references tasks (id) on delete set null,
    user_id text not null references users (id),
    -- YYYY-MM-DD (the day the time was spent)
    date text not null,
    minutes bigint not null,
    note text not null default '',
    billable integer not null default 1,
    created_at bigint not null,
    updated_at bigint not null
);
create index time_entries_user on time_entries (org_id, user_id, date);
create index time_entries_project on time_entries (project_id, date);
create index time_entries_task on time_entries (task_id);

-- The running timer of a user: at most one (the primary key).
create table timers (
    user_id text primary key references users (id) on delete cascade,
    task_id text not null references tasks (id) on delete cascade,
    started_at bigint not null
);

create table saved_views (
    id text primary key,
    user_id text not null references users (id) on delete cascade,
    project_id text not null references projects (id) on delete cascade,
    name text not null,
    -- board | list
    layout text not null,
    -- JSON {assignee?, label?, priority?, due?, status?, text?}
    filters text not null default '{}',
    -- e.g. -due, priority, key
    sort text not null default '',
    created_at bigint not null,
    updated_at bigint not null
);
create index saved_views_user on saved_views (user_id, project_id);

-- A task's description is a collaborative document whose id is the task's id; it has a docs
-- row (so /collab/{doc} and its access work unchanged) that document lists and search skip.
-- kind: doc | task
alter table docs add column kind text not null default 'doc';
