-- Profile pictures: one per user, re-encoded by the server (a square PNG) and kept in the
-- database, since they are small and belong to no organisation's file storage.
-- Times are integer milliseconds since the Unix epoch (UTC).

-- `version`: a digest of the stored bytes; it is part of the picture's URL, so browsers may
-- keep a picture for good and a new one is a new URL.
create table user_avatars (
    user_id text primary key references users (id) on delete cascade,
    version text not null,
    content_type text not null,
    bytes blob not null,
    updated_at bigint not null
);
