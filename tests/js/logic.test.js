// Unit tests of the playground's logic (src/segql/ops/service/static/logic.js); run by tests/test_playground.py.
const test = require("node:test");
const assert = require("node:assert");
const L = require("../../src/segql/ops/service/static/logic.js");

const schema = { entities: {
  contacts: { properties: ["email", "country", "lifetime_value"], relationships: { organization: "organizations", events: "events" },
    calculated: ["average_order_value"] },
  organizations: { properties: ["name", "industry"], relationships: {}, calculated: [] },
  events: { properties: ["name", "amount"], relationships: {}, calculated: [], events: ["purchase", "email_opened"] },
} };

test("names after a relationship come from the related entity", () => {
  const text = 'country = "US" and organization.ind';
  const got = L.completions(schema, "contacts", text, text.length, []);
  assert.deepStrictEqual(got.list.map(c => c.text), ["industry"]);
  assert.strictEqual(got.from, text.length - 3);
});

test("top-level completion offers properties, relationships, calculated fields and keywords", () => {
  const got = L.completions(schema, "contacts", "ave", 3, []).list.map(c => c.text);
  assert.ok(got.includes("average_order_value"));
  const all = L.completions(schema, "contacts", "", 0, []).list;
  assert.ok(all.some(c => c.kind === "relationship" && c.text === "organization"));
  assert.ok(all.some(c => c.kind === "keyword" && c.text === "performed"));
});

test("segment slugs after `in segment`, event names after `performed \"`", () => {
  const text = "in segment hi";
  assert.deepStrictEqual(L.completions(schema, "contacts", text, text.length, ["high_value", "churned"]).list.map(c => c.text),
    ["high_value"]);
  const ev = 'performed "pur';
  assert.deepStrictEqual(L.completions(schema, "contacts", ev, ev.length, []).list.map(c => c.text), ["purchase"]);
});

test("diagnostics become 0-based marks over their span, with hints in the message", () => {
  const [m] = L.toMarks([{ code: "E0301", message: "no property", line: 2, column: 5, end_line: 2, end_column: 9,
    hints: ['did you mean "country"?'] }], "a = 1\nand cuntry = 2");
  assert.deepStrictEqual(m.from, { line: 1, ch: 4 });
  assert.deepStrictEqual(m.to, { line: 1, ch: 8 });
  assert.match(m.message, /E0301.*\nhint: did you mean "country"\?/s);
  const [whole] = L.toMarks([{ code: "E0150", message: "bad" }], "x");
  assert.deepStrictEqual([whole.from, whole.to], [{ line: 0, ch: 0 }, { line: 0, ch: 1 }]);
});

test("funnel rows carry depth and share of all records", () => {
  const rows = L.funnelRows({ records: 200, tree: { kind: "and", records: 50, children: [
    { kind: "condition", condition: "a", records: 100, children: [] }, { kind: "condition", condition: "b", records: 80 }] } });
  assert.deepStrictEqual(rows.map(r => [r.depth, r.label, r.share]), [[0, "and", 0.25], [1, "a", 0.5], [1, "b", 0.4]]);
});

test("history points run left to right in time and scale to the largest count", () => {
  const pts = L.historyPoints([{ refreshed_at: "2026-01-01T00:00:00Z", member_count: 10, entered: 10, left: 0 },
    { refreshed_at: "2026-01-03T00:00:00Z", member_count: 5, entered: 0, left: 5 }], 100, 50);
  assert.deepStrictEqual(pts.map(p => [p.x, p.y]), [[0, 0], [100, 25]]);
});

test("heat colours keep text readable", () => {
  assert.strictEqual(L.heat(0, 10).color, "#111");
  assert.strictEqual(L.heat(10, 10).color, "#fff");
  assert.strictEqual(L.heat(5, 0).background, "rgb(255,255,255)");
});

test("the syntax mode marks keywords, strings, numbers and comments", () => {
  const tokens = L.segqlMode.start.map(r => r.token);
  for (const t of ["keyword", "string", "number", "comment", "operator"]) assert.ok(tokens.includes(t), t);
  assert.ok(L.isJsonText('  {"a": 1}') && !L.isJsonText("a = 1"));
});
