// The graphql-http server audit (GraphQL over HTTP spec) against a running Zhuchao:
// `node tests/audit.mjs http://127.0.0.1:PORT/graphql`. Prints one line per audit and exits
// non-zero when any audit other than the named, deliberate ones is not "ok".
import { auditServer } from "graphql-http";

const url = process.argv[2];
// Zhuchao refuses GraphQL over GET (GET /graphql serves GraphiQL; queries are POSTed so that no
// link or image tag can run one): the audits of what a server MAY do with GETs are deliberate.
const DELIBERATE = {
  "5A70": "MAY accept application/x-www-form-urlencoded formatted GET requests",
  D6D5: "MAY allow URL-encoded JSON string {variables} parameter in GETs (graphql-response+json)",
  "6A70": "MAY allow URL-encoded JSON string {variables} parameter in GETs (application/json)",
};
const deliberate = (id) => id in DELIBERATE;

const results = await auditServer({ url });
let failed = 0;
for (const r of results) {
  const allowed = r.status !== "ok" && deliberate(r.id);
  if (r.status !== "ok" && !allowed) failed += 1;
  console.log(`${r.status === "ok" ? "ok" : allowed ? "deliberate" : r.status.toUpperCase()}\t${r.id}\t${r.name}${r.status === "ok" ? "" : `\t${r.reason}`}`);
}
console.log(`${results.length} audits, ${failed} not ok`);
process.exit(failed ? 1 : 0);
