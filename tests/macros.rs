//! The test macros: `raced!` (two instances on one database) and `both!` (one
//! instance), each run on SQLite and on PostgreSQL.

/// Runs a race test body on two instances sharing one database ([`pair`]), once on
/// SQLite and once on PostgreSQL, with the services' configuration `$config`.
#[macro_export]
macro_rules! raced {
    ($name:ident, $config:expr, |$apps:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run($apps: Vec<agentry_tests::TestApp>) $body
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run(agentry_tests::pair(agentry_tests::Backend::Sqlite, $config).await).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                run(agentry_tests::pair(agentry_tests::Backend::Postgres, $config).await).await
            }
        }
    };
}

/// Runs a test body once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! both {
    ($name:ident, |$app:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run($app: agentry_tests::TestApp) $body
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run(agentry_tests::spawn(agentry_tests::Backend::Sqlite).await).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                run(agentry_tests::spawn(agentry_tests::Backend::Postgres).await).await
            }
        }
    };
}
