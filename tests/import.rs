//! A supplier's catalogue imported in bulk through the API: good rows become searchable, bad rows
//! say why by their line, sending the file again changes nothing, and a changed row updates its
//! product instead of making another.

mod support;

use serde_json::{json, Value};
use support::{fastener_category, Server, PASSWORD};

const IMPORT: &str = "mutation($i: ImportProductsInput!) { importProducts(input: $i) { created updated unchanged failed position rows { row partNumber outcome productId error { code field message } } userErrors { code field message } } }";
const FIND: &str = "query($s: ProductSearchInput!, $p: String) { products(search: $s, first: 100, atLeast: $p) { totalCount edges { node { id partNumber title stock } } } }";

const HEADER: &str =
    "part_number,brand,keyword,name,moq,pack_size,stock,lead_time_days,tiers,shipping,thread,length,material\n";

fn import(server: &Server, token: &str, category: &Value, csv: &str) -> Value {
    let data = server.ok(
        Some(token),
        IMPORT,
        json!({ "i": { "categoryId": category, "csv": csv } }),
    );
    data["importProducts"].clone()
}

fn outcomes(payload: &Value) -> Vec<String> {
    payload["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["outcome"].as_str().expect("outcome").to_string())
        .collect()
}

fn found(server: &Server, category: &Value, text: &str, position: &Value) -> Value {
    server.ok(
        None,
        FIND,
        json!({ "s": { "categoryId": category, "text": text }, "p": position }),
    )["products"]
        .clone()
}

#[test]
fn a_supplier_imports_a_catalogue_resumes_it_and_updates_a_row() {
    let data = tempfile::tempdir().expect("tempdir");
    let server = Server::start(data.path(), true, &[]);
    let supplier = server.sign_in("supplier1@zhuchao.demo", PASSWORD);
    let bolts = fastener_category(&server)["id"].clone();

    // Given: a file of four rows, two of them wrong (a thread the category does not know, and a
    // price tier that is not quantity:price) and one part number written twice.
    let csv = format!(
        "{HEADER}\
         ZQ-IMP-001,固力,六角螺栓,Import bolt one,100,50,5000,3,100:1.20;1000:0.95,15,M8,30,A2\n\
         ZQ-IMP-002,固力,六角螺栓,Import bolt two,100,50,5000,3,100:1.20,,M7,30,A2\n\
         ZQ-IMP-003,固力,六角螺栓,Import bolt three,100,50,5000,3,100-1.20,,M8,30,A2\n\
         zq-imp-001,固力,六角螺栓,Import bolt one again,100,50,5000,3,100:1.20,,M8,30,A2\n\
         ZQ-IMP-004,固力,六角螺栓,\"Import bolt, four\",100,50,0,5,100:2.50,,M10,40,A4\n"
    );

    // When: the supplier imports it.
    let first = import(&server, &supplier, &bolts, &csv);

    // Then: each row answers for itself, numbered by its line in the file.
    assert_eq!(first["userErrors"], json!([]), "{first}");
    assert_eq!(
        outcomes(&first),
        ["CREATED", "FAILED", "FAILED", "FAILED", "CREATED"],
        "{first}"
    );
    assert_eq!(
        (first["created"].as_u64(), first["failed"].as_u64()),
        (Some(2), Some(3))
    );
    let rows = first["rows"].as_array().expect("rows");
    assert_eq!(rows[1]["row"], 3);
    assert!(
        rows[1]["error"]["message"]
            .as_str()
            .expect("why")
            .contains("M7"),
        "{}",
        rows[1]
    );
    assert!(
        rows[2]["error"]["message"]
            .as_str()
            .expect("why")
            .contains("tiers"),
        "{}",
        rows[2]
    );
    assert!(
        rows[3]["error"]["message"]
            .as_str()
            .expect("why")
            .contains("row 2"),
        "{}",
        rows[3]
    );

    // And the imported products are published and searchable by their words.
    let position = first["position"].clone();
    let hits = found(&server, &bolts, "Import bolt", &position);
    assert_eq!(hits["totalCount"], 2, "{hits}");
    let parts: Vec<&str> = hits["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["partNumber"].as_str().expect("part number"))
        .collect();
    assert!(
        parts.contains(&"ZQ-IMP-001") && parts.contains(&"ZQ-IMP-004"),
        "{parts:?}"
    );

    // When: the same file is sent again (an interrupted import resumed).
    let again = import(&server, &supplier, &bolts, &csv);

    // Then: nothing is written twice.
    assert_eq!(
        outcomes(&again),
        ["UNCHANGED", "FAILED", "FAILED", "FAILED", "UNCHANGED"],
        "{again}"
    );
    assert_eq!(again["rows"][0]["productId"], first["rows"][0]["productId"]);
    let hits = found(&server, &bolts, "Import bolt", &position);
    assert_eq!(hits["totalCount"], 2, "{hits}");

    // When: a corrected file changes one row's stock and fixes the bad thread.
    let corrected = format!(
        "{HEADER}\
         ZQ-IMP-001,固力,六角螺栓,Import bolt one,100,50,7000,3,100:1.20;1000:0.95,15,M8,30,A2\n\
         ZQ-IMP-002,固力,六角螺栓,Import bolt two,100,50,5000,3,100:1.20,,M6,30,A2\n"
    );
    let third = import(&server, &supplier, &bolts, &corrected);

    // Then: the first product is updated in place and the second is created.
    assert_eq!(outcomes(&third), ["UPDATED", "CREATED"], "{third}");
    let hits = found(&server, &bolts, "Import bolt", &third["position"]);
    assert_eq!(hits["totalCount"], 3, "{hits}");
    let one = hits["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .find(|e| e["node"]["partNumber"] == "ZQ-IMP-001")
        .expect("part one");
    assert_eq!(one["node"]["stock"], 7000);
}

#[test]
fn an_import_is_for_suppliers_and_a_bad_file_is_refused_whole() {
    let data = tempfile::tempdir().expect("tempdir");
    let server = Server::start(data.path(), true, &[]);
    let bolts = fastener_category(&server)["id"].clone();
    let csv = format!("{HEADER}ZQ-X,固力,六角螺栓,X,100,50,5000,3,100:1.20,,M8,30,A2\n");

    // Given: a buyer and an anonymous caller: neither may import.
    let buyer = server.sign_in("buyer@ningbo-machinery.demo", PASSWORD);
    let refused = server.gql(
        Some(&buyer),
        IMPORT,
        json!({ "i": { "categoryId": bolts, "csv": csv } }),
    );
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{refused}"
    );
    let anonymous = server.gql(
        None,
        IMPORT,
        json!({ "i": { "categoryId": bolts, "csv": csv } }),
    );
    assert_eq!(
        anonymous["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{anonymous}"
    );

    // When: a supplier sends a file with an unknown column, or without a needed one.
    let supplier = server.sign_in("supplier1@zhuchao.demo", PASSWORD);
    let unknown = import(
        &server,
        &supplier,
        &bolts,
        &HEADER.replace("material", "colour"),
    );
    let missing = import(&server, &supplier, &bolts, "part_number,brand\nA,B\n");

    // Then: the whole file is refused, saying which column, and nothing is written.
    for (payload, column) in [(&unknown, "colour"), (&missing, "name")] {
        let errors = payload["userErrors"].as_array().expect("user errors");
        assert_eq!(errors.len(), 1, "{payload}");
        assert!(
            errors[0]["message"]
                .as_str()
                .expect("message")
                .contains(column),
            "{payload}"
        );
        assert_eq!(payload["rows"], json!([]));
    }

    // And a category the supplier does not serve refuses the whole import.
    let categories = server.ok(
        None,
        "{ categories { edges { node { id name } } } }",
        json!({}),
    );
    let other = categories["categories"]["edges"]
        .as_array()
        .expect("categories")
        .iter()
        .map(|e| e["node"]["id"].clone())
        .find(|id| *id != bolts)
        .expect("another category");
    let elsewhere = import(&server, &supplier, &other, &csv);
    assert_eq!(
        elsewhere["userErrors"][0]["code"], "CATEGORY_NOT_SERVED",
        "{elsewhere}"
    );
}
