// The API's contract, checked on its SDL: `node tests/contract.mjs SCHEMA RELEASED CHANGELOG`.
// 1. Names and enums: types are named as the domain names them (no `…Out`, `…In`, `…Result`),
//    every status, kind, role, action, code and party is an enum, ids are `ID`s, times are
//    `DateTime`s, and every mutation answers its own `…Payload` with `userErrors`.
// 2. Compatibility: against the last released SDL, no change breaks a client (graphql-js's
//    findBreakingChanges) unless the changelog's "Unreleased" section names it.
// Prints one line per problem and exits non-zero when there is any.
import { readFileSync } from "node:fs";
import {
  buildSchema,
  findBreakingChanges,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isScalarType,
} from "graphql";

const [schemaPath, releasedPath, changelogPath] = process.argv.slice(2);
const schema = buildSchema(readFileSync(schemaPath, "utf8"));
const problems = [];

// 1. Names and enums.
const ENUM_FIELDS = /^(status|kind|role|code|party|openedBy|review|reason|currency|sort|measure|availableActions)$/;
const TIME_FIELDS = /(At|Until|Deadline)$|^(at|deadline|respondBy|answerBy|expiresOn|bucket|now|asOf|from|to)$/;
for (const type of Object.values(schema.getTypeMap())) {
  if (type.name.startsWith("__")) continue;
  if (/(Out|In)$/.test(type.name) || type.name === "MutationResult" || type.name.endsWith("Result")) {
    problems.push(`type ${type.name}: named after the code, not the domain`);
  }
  if (isScalarType(type) && !["String", "Int", "Float", "Boolean", "ID", "DateTime"].includes(type.name)) {
    problems.push(`scalar ${type.name}: ids are ID, times DateTime`);
  }
  if (!(isObjectType(type) || isInputObjectType(type) || isInterfaceType(type))) continue;
  for (const field of Object.values(type.getFields())) {
    const named = getNamedType(field.type);
    const where = `${type.name}.${field.name}`;
    if (ENUM_FIELDS.test(field.name) && !isEnumType(named)) {
      // A reason given as text (a cancellation's) is prose, not a kind.
      const prose = field.name === "reason" && named.name === "String" && !type.name.startsWith("Dispute");
      if (!prose) problems.push(`${where}: ${named.name}, not an enum`);
    }
    if ((field.name === "id" || field.name.endsWith("Id") || field.name.endsWith("Ids")) && !["visitorId", "sessionId"].includes(field.name) && named.name !== "ID") {
      problems.push(`${where}: ${named.name}, not an ID`);
    }
    // A range's bounds and a change's old and new values are text of any kind.
    const rangeBound = type.name === "RangeFilter" || type.name === "Change";
    if (TIME_FIELDS.test(field.name) && named.name !== "DateTime" && !rangeBound) {
      problems.push(`${where}: ${named.name}, not a DateTime`);
    }
    for (const arg of field.args ?? []) {
      const argType = getNamedType(arg.type);
      const at = `${where}(${arg.name})`;
      if ((arg.name === "id" || arg.name.endsWith("Id") || arg.name.endsWith("Ids")) && argType.name !== "ID") {
        problems.push(`${at}: ${argType.name}, not an ID`);
      }
      if (TIME_FIELDS.test(arg.name) && argType.name !== "DateTime") {
        problems.push(`${at}: ${argType.name}, not a DateTime`);
      }
      if (/^(kind|role|measure|sort|granularity|dimension)$/.test(arg.name) && !isEnumType(argType)) {
        problems.push(`${at}: ${argType.name}, not an enum`);
      }
    }
  }
}
const UNTYPED = new Set(["trackPageView", "trackAddToCart", "startSession"]);
for (const mutation of Object.values(schema.getMutationType().getFields())) {
  if (UNTYPED.has(mutation.name)) continue;
  const payload = getNamedType(mutation.type);
  const expected = `${mutation.name.charAt(0).toUpperCase()}${mutation.name.slice(1)}Payload`;
  if (payload.name !== expected) problems.push(`mutation ${mutation.name}: answers ${payload.name}, not ${expected}`);
  else if (!("userErrors" in payload.getFields())) problems.push(`${payload.name}: no userErrors`);
}
for (const object of ["Order", "Rfq", "Quote", "Dispute", "Supplier"]) {
  const type = schema.getType(object);
  if (!type || !("availableActions" in type.getFields())) problems.push(`${object}: no availableActions`);
  if (!type?.getInterfaces().some((i) => i.name === "Node")) problems.push(`${object}: not a Node`);
}

// 2. Compatibility with the last release.
const released = buildSchema(readFileSync(releasedPath, "utf8"));
const changelog = readFileSync(changelogPath, "utf8");
const unreleased = (changelog.split(/^## /m).find((s) => s.startsWith("Unreleased")) ?? "").toLowerCase();
for (const change of findBreakingChanges(released, schema)) {
  const subject = change.description.split(" ")[0].replace(/\.$/, "");
  if (!unreleased.includes(subject.toLowerCase())) {
    problems.push(`breaking, and not in the changelog's Unreleased section: ${change.type}: ${change.description}`);
  }
}

for (const p of problems) console.log(p);
console.log(`${problems.length} problems`);
process.exit(problems.length ? 1 : 0);
