//! The set-up is proven from the first day: the ClickHouse that `scripts/test` started
//! takes a database, a table, an insert through the `clickhouse` crate, and reads back.

use clickhouse::Row;
use hush_tests::clickhouse::{query, shared_url};
use serde::{Deserialize, Serialize};

#[derive(Debug, Row, Serialize, Deserialize, PartialEq)]
struct Smoke {
    id: u32,
    name: String,
}

#[tokio::test]
async fn create_insert_read_back() -> anyhow::Result<()> {
    let url = shared_url();
    assert_eq!(
        reqwest::get(format!("{url}/ping")).await?.text().await?,
        "Ok.\n"
    );
    let db = format!("smoke_{}", std::process::id());
    let client = clickhouse::Client::default()
        .with_url(&url)
        .with_validation(false);
    client
        .query(&format!("CREATE DATABASE IF NOT EXISTS {db}"))
        .execute()
        .await?;
    client
        .query(&format!(
            "CREATE TABLE {db}.smoke (id UInt32, name String) ENGINE = MergeTree ORDER BY id"
        ))
        .execute()
        .await?;
    let mut insert = client
        .clone()
        .with_database(&db)
        .insert::<Smoke>("smoke")
        .await?;
    for (id, name) in [(1, "one"), (2, "two"), (3, "three")] {
        insert
            .write(&Smoke {
                id,
                name: name.into(),
            })
            .await?;
    }
    insert.end().await?;

    let rows: Vec<Smoke> = client
        .query(&format!(
            "SELECT id, name FROM {db}.smoke WHERE id >= ? ORDER BY id"
        ))
        .bind(2u32)
        .fetch_all()
        .await?;
    assert_eq!(
        rows,
        vec![
            Smoke {
                id: 2,
                name: "two".into()
            },
            Smoke {
                id: 3,
                name: "three".into()
            }
        ]
    );
    assert_eq!(
        query(&url, &format!("SELECT count() FROM {db}.smoke"))
            .await?
            .trim(),
        "3"
    );
    client
        .query(&format!("DROP DATABASE {db}"))
        .execute()
        .await?;
    Ok(())
}
