namespace OriginGateway.Persistence;

/// <summary>
/// The control database's schema history. Append new steps; never edit an applied one.
/// </summary>
internal static class ControlDatabaseMigrations
{
    public static readonly IReadOnlyList<Migration> All =
    [
        new(1, "origin_configurations", """
            CREATE TABLE origin_configurations (
                bucket      TEXT NOT NULL PRIMARY KEY,
                document    TEXT NOT NULL,
                source      TEXT NOT NULL,
                updated_at  TEXT NOT NULL
            );
            """),
        new(2, "tasks", """
            CREATE TABLE tasks (
                seq                INTEGER PRIMARY KEY AUTOINCREMENT,
                id                 TEXT NOT NULL UNIQUE,
                kind               TEXT NOT NULL,
                bucket             TEXT NOT NULL,
                object_key         TEXT NOT NULL,
                host               TEXT NOT NULL,
                priority           INTEGER NOT NULL,
                state              TEXT NOT NULL,
                payload            TEXT NOT NULL,
                parent_id          TEXT NULL,
                dedup_key          TEXT NULL UNIQUE,
                attempts           INTEGER NOT NULL,
                max_attempts       INTEGER NOT NULL,
                not_before         INTEGER NOT NULL,
                created_at         INTEGER NOT NULL,
                started_at         INTEGER NULL,
                finished_at        INTEGER NULL,
                lease_owner        TEXT NULL,
                lease_until        INTEGER NULL,
                bytes_done         INTEGER NOT NULL DEFAULT 0,
                bytes_total        INTEGER NULL,
                result_code        TEXT NULL,
                result_message     TEXT NULL,
                size               INTEGER NULL,
                etag               TEXT NULL,
                callback_state     TEXT NULL,
                callback_attempts  INTEGER NOT NULL DEFAULT 0,
                callback_error     TEXT NULL
            );
            CREATE INDEX tasks_queue ON tasks (state, priority DESC, seq);
            CREATE INDEX tasks_finished ON tasks (finished_at);
            """),
        new(3, "bucket_policies", """
            CREATE TABLE bucket_policies (
                bucket      TEXT NOT NULL PRIMARY KEY,
                document    TEXT NOT NULL,
                updated_at  TEXT NOT NULL
            );
            """),
        new(4, "vod_sessions", """
            CREATE TABLE vod_sessions (
                session_id  TEXT NOT NULL PRIMARY KEY,
                created_at  INTEGER NOT NULL
            );
            """),
        new(5, "sync_tasks", """
            CREATE TABLE sync_tasks (
                id                  TEXT NOT NULL PRIMARY KEY,
                project_id          TEXT NOT NULL,
                source_type         TEXT NOT NULL,
                source_cloud_type   TEXT NOT NULL,
                source_endpoint     TEXT NOT NULL,
                source_region       TEXT NOT NULL,
                source_bucket       TEXT NOT NULL,
                source_prefix       TEXT NOT NULL,
                destination_bucket  TEXT NOT NULL,
                destination_prefix  TEXT NOT NULL,
                description         TEXT NOT NULL,
                metadata_migration  INTEGER NOT NULL,
                sync_interval       INTEGER NOT NULL,
                status              TEXT NOT NULL,
                create_time         INTEGER NOT NULL,
                last_start_time     INTEGER NULL,
                last_pass_time      INTEGER NULL,
                listed              INTEGER NOT NULL,
                copied              INTEGER NOT NULL,
                skipped             INTEGER NOT NULL,
                failed              INTEGER NOT NULL,
                bytes               INTEGER NOT NULL,
                last_error          TEXT NULL
            );
            CREATE INDEX sync_tasks_project ON sync_tasks (project_id);
            """),
        new(6, "bucket_cors", """
            CREATE TABLE bucket_cors (
                bucket      TEXT NOT NULL PRIMARY KEY,
                document    TEXT NOT NULL,
                updated_at  TEXT NOT NULL
            );
            """),
        // The replica holding a sync task's keys, and until when it last said it was alive: a replica's start or
        // loss stops only the tasks it owned (02-tasks.md §2.5), not those another live replica runs.
        new(7, "sync_task_owners", """
            ALTER TABLE sync_tasks ADD COLUMN owner TEXT NULL;
            ALTER TABLE sync_tasks ADD COLUMN owner_until INTEGER NULL;
            """),
    ];
}
