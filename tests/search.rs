//! Parametric search through the API against the demo catalogue: facets count disjunctively,
//! ranges take inches, and bad filters get a clear error.

mod support;

use serde_json::{json, Value};
use support::Server;

const SEARCH: &str = "query($s: ProductSearchInput!) { products(search: $s, first: 100) { totalCount edges { node { id attributes { key value number } } } facets { key values { value count } min max unit } pageInfo { hasNextPage } } }";

fn facet<'a>(data: &'a Value, key: &str) -> &'a Value {
    data["products"]["facets"]
        .as_array()
        .expect("facets")
        .iter()
        .find(|f| f["key"] == key)
        .expect("the facet")
}

fn count(facet: &Value, value: &str) -> u64 {
    facet["values"]
        .as_array()
        .expect("values")
        .iter()
        .find(|v| v["value"] == value)
        .and_then(|v| v["count"].as_u64())
        .unwrap_or(0)
}

#[test]
fn a_buyer_narrows_hex_bolts_by_thread_and_length() {
    let data = tempfile::tempdir().expect("tempdir");
    let server = Server::start(data.path(), true, &[]);
    let categories = server.ok(
        None,
        "{ categories { edges { node { id name } } } }",
        json!({}),
    );
    let bolts = categories["categories"]["edges"]
        .as_array()
        .expect("categories")
        .iter()
        .find(|e| {
            e["node"]["name"]
                .as_str()
                .is_some_and(|n| n.contains("Hex bolts"))
        })
        .expect("hex bolts")["node"]["id"]
        .clone();

    let all = server.ok(None, SEARCH, json!({ "s": { "categoryId": bolts } }));
    let total = all["products"]["totalCount"].as_u64().expect("total");
    assert!(total > 100);
    let threads = facet(&all, "thread");
    let per_thread: u64 = threads["values"]
        .as_array()
        .expect("values")
        .iter()
        .filter_map(|v| v["count"].as_u64())
        .sum();
    assert_eq!(per_thread, total, "every bolt has one thread");

    // Choosing M8 narrows the results but not the thread facet itself (disjunctive).
    let m8 = server.ok(
        None,
        SEARCH,
        json!({ "s": { "categoryId": bolts, "values": [{ "key": "thread", "values": ["M8"] }] } }),
    );
    assert_eq!(
        m8["products"]["totalCount"].as_u64(),
        Some(count(threads, "M8"))
    );
    assert_eq!(
        facet(&m8, "thread"),
        threads,
        "the thread facet still shows every thread"
    );
    let both = server.ok(None, SEARCH, json!({ "s": { "categoryId": bolts, "values": [{ "key": "thread", "values": ["M8", "M10"] }] } }));
    assert_eq!(
        both["products"]["totalCount"].as_u64(),
        Some(count(threads, "M8") + count(threads, "M10"))
    );

    // A range in inches finds the same bolts as the same range in millimetres.
    let inches = server.ok(None, SEARCH, json!({ "s": { "categoryId": bolts, "ranges": [{ "key": "length", "from": "3/4 in", "to": "1-1/4 in" }] } }));
    let mm = server.ok(None, SEARCH, json!({ "s": { "categoryId": bolts, "ranges": [{ "key": "length", "from": "19.05", "to": "31.75 mm" }] } }));
    assert_eq!(
        inches["products"]["totalCount"],
        mm["products"]["totalCount"]
    );
    for edge in inches["products"]["edges"].as_array().expect("edges") {
        let length = edge["node"]["attributes"]
            .as_array()
            .expect("attributes")
            .iter()
            .find(|a| a["key"] == "length")
            .and_then(|a| a["number"].as_f64())
            .expect("length");
        assert!((19.05..=31.75).contains(&length), "{length}");
    }

    let bad = server.gql(
        None,
        SEARCH,
        json!({ "s": { "categoryId": bolts, "ranges": [{ "key": "length", "from": "3 kg" }] } }),
    );
    assert_eq!(
        bad["errors"][0]["extensions"]["code"], "BAD_REQUEST",
        "{bad}"
    );
    let text = server.ok(None, SEARCH, json!({ "s": { "text": "六角螺栓 M8" } }));
    assert!(text["products"]["totalCount"]
        .as_u64()
        .is_some_and(|n| n > 0));

    // The demo's hex-bolt category says "hexagon" for hex: every bolt is found by it, sorted by
    // the supplier's rating, and every demo supplier is at least level 1.
    let hexagon = server.ok(
        None,
        SEARCH,
        json!({ "s": { "categoryId": bolts, "text": "Hexagon", "sort": "RATING", "minSupplierLevel": 1 } }),
    );
    assert_eq!(hexagon["products"]["totalCount"].as_u64(), Some(total));
    let bad_level = server.gql(
        None,
        SEARCH,
        json!({ "s": { "categoryId": bolts, "minSupplierLevel": 9 } }),
    );
    assert_eq!(
        bad_level["errors"][0]["extensions"]["code"], "BAD_REQUEST",
        "{bad_level}"
    );
}

#[test]
fn without_a_category_a_buyer_sees_where_the_results_are_and_what_they_share() {
    let data = tempfile::tempdir().expect("tempdir");
    let server = Server::start(data.path(), true, &[]);
    const WHERE: &str = "query($s: ProductSearchInput!) { products(search: $s, first: 100) { totalCount edges { node { categoryId attributes { key value number } } } categories { count category { id name } } facets { key values { value count } } } }";
    // Given / when: a listed value typed in the words of the category's Chinese translation.
    let chinese = server.ok(None, WHERE, json!({ "s": { "text": "碳钢 M8" } }));
    // Then: it selects the value itself (titles say "Carbon steel", not 碳钢).
    assert!(
        chinese["products"]["totalCount"].as_u64() > Some(0),
        "{chinese}"
    );
    for edge in chinese["products"]["edges"].as_array().expect("edges") {
        let attributes = edge["node"]["attributes"].as_array().expect("attributes");
        let material = attributes.iter().find(|a| a["key"] == "material");
        assert_eq!(
            material.expect("material")["value"],
            "Carbon steel",
            "{edge}"
        );
    }

    // Given / when: a thread and a length typed, without a category.
    let typed = server.ok(None, WHERE, json!({ "s": { "text": "M8 20mm" } }));
    let products = &typed["products"];
    let total = products["totalCount"].as_u64().expect("total");
    assert!(total > 0, "{typed}");
    // Then: they name the bolts' thread and length, whether or not the title says them.
    for edge in products["edges"].as_array().expect("edges") {
        let attributes = edge["node"]["attributes"].as_array().expect("attributes");
        let of = |key: &str| attributes.iter().find(|a| a["key"] == key).cloned();
        assert_eq!(of("thread").expect("thread")["value"], "M8", "{edge}");
        assert_eq!(of("length").expect("length")["number"], 20.0, "{edge}");
    }
    // Pasted from a spreadsheet (a tab between the cells), it is the same search.
    let pasted = server.ok(None, WHERE, json!({ "s": { "text": "M8\t20mm\n" } }));
    assert_eq!(pasted["products"]["totalCount"].as_u64(), Some(total));
    // And the results are counted by category, each named, adding up to the total.
    let categories = products["categories"].as_array().expect("categories");
    assert!(!categories.is_empty());
    let counted: u64 = categories.iter().filter_map(|c| c["count"].as_u64()).sum();
    assert_eq!(counted, total);
    assert!(categories.iter().all(|c| c["category"]["name"]
        .as_str()
        .is_some_and(|n| !n.is_empty())));
    // The facets are the attributes of the categories found: the thread among them.
    assert!(facet(&typed, "thread")["values"]
        .as_array()
        .is_some_and(|v| !v.is_empty()));

    // When: everything, without a category: every category with products is counted.
    let everything = server.ok(None, WHERE, json!({ "s": {} }));
    let everywhere = everything["products"]["categories"]
        .as_array()
        .expect("categories");
    assert!(everywhere.len() > 1, "{everything}");
    let counted: u64 = everywhere.iter().filter_map(|c| c["count"].as_u64()).sum();
    assert_eq!(Some(counted), everything["products"]["totalCount"].as_u64());
}
