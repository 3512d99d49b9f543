// Generates TypeScript types for every type, input and enum of the gateway's schema
// (docs/schema.graphql, itself checked against the server by a test), so the UI's queries are
// typed against the API it talks to.
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { buildSchema, isObjectType, isInputObjectType, isEnumType, isScalarType,
  isNonNullType, isListType, getNamedType } from "graphql";

const sdl = readFileSync(new URL("../../docs/schema.graphql", import.meta.url), "utf8");
const schema = buildSchema(sdl);
const scalars = { String: "string", Int: "number", Float: "number", Boolean: "boolean", ID: "string", DateTime: "string" };

function ts(type, input) {
  if (isNonNullType(type)) return ts(type.ofType, input).replace(/ \| null$/, "");
  if (isListType(type)) return `Array<${ts(type.ofType, input).replace(/ \| null$/, "")}> | null`;
  const named = getNamedType(type);
  const base = isScalarType(named) ? (scalars[named.name] ?? "unknown") : named.name;
  return `${base} | null`;
}

const out = ["// Generated from docs/schema.graphql by scripts/codegen.mjs — do not edit.", ""];
for (const t of Object.values(schema.getTypeMap()).sort((a, b) => a.name.localeCompare(b.name))) {
  if (t.name.startsWith("__")) continue;
  if (isEnumType(t)) {
    out.push(`export type ${t.name} = ${t.getValues().map((v) => JSON.stringify(v.name)).join(" | ")};`, "");
  } else if (isObjectType(t) || isInputObjectType(t)) {
    const input = isInputObjectType(t);
    out.push(`export interface ${t.name} {`);
    for (const f of Object.values(t.getFields())) {
      const optional = input && (!isNonNullType(f.type) || f.defaultValue !== undefined);
      out.push(`  ${f.name}${optional ? "?" : ""}: ${ts(f.type, input)};`);
    }
    out.push("}", "");
  }
}
mkdirSync(new URL("../src/generated", import.meta.url), { recursive: true });
writeFileSync(new URL("../src/generated/schema.ts", import.meta.url), out.join("\n"));
console.log(`codegen: ${Object.keys(schema.getTypeMap()).length} types → src/generated/schema.ts`);
