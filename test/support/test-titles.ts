// The full names of the tests in a test file, as jest reports them ("describe title › test title" joined with
// spaces), read from the source with the TypeScript parser so that a document can name a test and be checked
// against the test's title rather than against any text that happens to be in the file. `test.each` and
// `describe.each` tables of literal rows are expanded the way jest formats them (%s, %d, %i, %j, %p, %#).
import { readFileSync } from 'node:fs';
import ts from 'typescript';

const TEST_FUNCTIONS = new Set(['test', 'it', 'describe']);
const MODIFIERS = new Set(['only', 'skip', 'concurrent', 'failing', 'todo']);

/** `test`, `it.only`, `describe.skip`...: the base name when the callee is one of jest's, else undefined. */
function jestCallee(expr: ts.Expression): { base: string; each: boolean } | undefined {
  if (ts.isIdentifier(expr)) return TEST_FUNCTIONS.has(expr.text) ? { base: expr.text, each: false } : undefined;
  if (ts.isPropertyAccessExpression(expr)) {
    const inner = jestCallee(expr.expression);
    if (!inner) return undefined;
    if (expr.name.text === 'each') return { ...inner, each: true };
    return MODIFIERS.has(expr.name.text) ? inner : undefined;
  }
  return undefined;
}

/** A literal's value (strings, numbers, booleans, null, arrays and objects of those); undefined when not literal. */
function literal(node: ts.Expression): { value: unknown } | undefined {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return { value: node.text };
  if (ts.isNumericLiteral(node)) return { value: Number(node.text) };
  if (node.kind === ts.SyntaxKind.TrueKeyword) return { value: true };
  if (node.kind === ts.SyntaxKind.FalseKeyword) return { value: false };
  if (node.kind === ts.SyntaxKind.NullKeyword) return { value: null };
  if (ts.isIdentifier(node) && node.text === 'undefined') return { value: undefined };
  if (ts.isPrefixUnaryExpression(node) && node.operator === ts.SyntaxKind.MinusToken) {
    const inner = literal(node.operand);
    return typeof inner?.value === 'number' ? { value: -inner.value } : undefined;
  }
  if (ts.isArrayLiteralExpression(node)) {
    const items = node.elements.map((e) => literal(e));
    return items.every(Boolean) ? { value: items.map((i) => i?.value) } : undefined;
  }
  if (ts.isAsExpression(node) || ts.isParenthesizedExpression(node)) return literal(node.expression);
  if (ts.isObjectLiteralExpression(node)) {
    const out: Record<string, unknown> = {};
    for (const p of node.properties) {
      if (!ts.isPropertyAssignment(p)) return undefined;
      const key = ts.isIdentifier(p.name) || ts.isStringLiteral(p.name) ? p.name.text : undefined;
      const value = literal(p.initializer);
      if (key === undefined || !value) return undefined;
      out[key] = value.value;
    }
    return { value: out };
  }
  return undefined;
}

/** jest-each's formatting of one title for one row (util.format-like, as jest does it). */
function formatTitle(title: string, row: unknown[], index: number): string {
  let next = 0;
  return title.replace(/%([sdifjpo#%])/g, (whole, flag: string) => {
    if (flag === '%') return '%';
    if (flag === '#') return String(index);
    if (next >= row.length) return whole;
    const value = row[next++];
    switch (flag) {
      case 'd':
      case 'i':
        return String(Math.trunc(Number(value)));
      case 'f':
        return String(Number(value));
      case 'j':
        return JSON.stringify(value);
      case 's':
        return typeof value === 'string' ? value : JSON.stringify(value);
      default:
        return typeof value === 'string' ? `"${value}"` : JSON.stringify(value);
    }
  });
}

/** The titles a call gives: one, or one per row of an `.each` table (the template itself when rows are unknown). */
function titlesOf(call: ts.CallExpression, each: ts.CallExpression | undefined): string[] {
  const first = call.arguments[0];
  const title = first && literal(first);
  if (!title || typeof title.value !== 'string') return [];
  if (!each) return [title.value];
  const table = each.arguments[0];
  if (!table || !ts.isArrayLiteralExpression(table)) return [title.value];
  // A row's cells that are not literals (a function, a cast object) stand as their source text; titles seldom use them.
  const cell = (e: ts.Expression): unknown => {
    const found = literal(e);
    return found ? found.value : e.getText();
  };
  return table.elements.map((row, i) =>
    formatTitle(title.value as string, ts.isArrayLiteralExpression(row) ? row.elements.map(cell) : [cell(row)], i),
  );
}

/** Every test's full name in the file (describe titles first, joined with a space, as jest reports them). */
export function testTitles(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const names: string[] = [];
  const visit = (node: ts.Node, prefixes: string[]) => {
    if (ts.isCallExpression(node)) {
      // `test('t', fn)` or `test.each(table)('t', fn)`.
      const direct = jestCallee(node.expression);
      const eachCall = ts.isCallExpression(node.expression) ? node.expression : undefined;
      const viaEach = eachCall ? jestCallee(eachCall.expression) : undefined;
      const callee = direct && !direct.each ? direct : viaEach?.each ? viaEach : undefined;
      if (callee) {
        const titles = titlesOf(node, callee.each ? eachCall : undefined);
        const full = prefixes.flatMap((p) => titles.map((t) => (p ? `${p} ${t}` : t)));
        if (callee.base === 'describe') {
          for (const arg of node.arguments.slice(1)) visit(arg, full);
        } else {
          names.push(...full);
        }
        return;
      }
    }
    ts.forEachChild(node, (child) => visit(child, prefixes));
  };
  visit(source, ['']);
  return names;
}
