//! Property: whatever byte an append is cut at by a crash (the rest missing,
//! or NUL bytes that never reached the disk), the next writer to open the
//! data directory recovers every record that was complete, keeps the cut
//! bytes beside the file, and appends again.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::PortfolioId;
use domain::ports::TradeStore;
use proptest::prelude::*;
use storage_json::{JsonStore, JsonStoreOptions};

fn open(dir: &std::path::Path) -> JsonStore {
    JsonStore::open(dir, JsonStoreOptions::default()).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn a_torn_append_recovers_every_complete_record(
        n in 1u32..6,
        cut_per_mille in prop_oneof![0u32..1000, 990u32..1000],
        nul_fill in any::<bool>(),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let tmp = tempfile::tempdir().unwrap();
            let dir = tmp.path().join("data");
            let path = dir.join("trades/paper_trades.json");
            let trades: Vec<_> = (0..n).map(testkit::sample_trade).collect();
            let mut before_last = 0u64;
            {
                let store = open(&dir);
                for (i, t) in trades.iter().enumerate() {
                    if i + 1 == trades.len() {
                        before_last = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
                    }
                    store.append_trade(t).await.unwrap();
                }
            }
            // Tear the last append: from where it started writing (the old
            // closing bracket, 3 bytes from the end of the file before it)
            // to its end, keep a prefix.
            let full = std::fs::read(&path).unwrap();
            let start = before_last.saturating_sub(3) as usize;
            let span = full.len() - start;
            let cut = start + span * cut_per_mille as usize / 1000;
            let mut torn = full[..cut].to_vec();
            if nul_fill {
                torn.resize(full.len(), 0);
            }
            std::fs::write(&path, &torn).unwrap();

            let store = open(&dir);
            let loaded = store.load_trades(&PortfolioId::default()).await.unwrap();
            let complete = n as usize;
            prop_assert!(
                loaded.len() == complete || loaded.len() + 1 == complete,
                "{} of {complete} kept", loaded.len()
            );
            prop_assert_eq!(&loaded[..], &trades[..loaded.len()]);
            if let [r] = store.recovered_tails() {
                if let Some(kept) = &r.kept {
                    let cut_bytes = std::fs::read(kept).unwrap();
                    prop_assert!(torn.ends_with(&cut_bytes));
                }
            }
            // And the next append lands in a valid array.
            store.append_trade(&testkit::sample_trade(99)).await.unwrap();
            let again = store.load_trades(&PortfolioId::default()).await.unwrap();
            prop_assert_eq!(again.len(), loaded.len() + 1);
            Ok(())
        })?;
    }
}
