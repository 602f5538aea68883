import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The server's imports point down: `lib` (shared pieces) ← `db` (connection, schema, migrations) ← `modules` (the
 * domain) ← `plugins` ← `routes` ← the composition root (`app.ts` and its helpers, `main.ts`, the CLI). This test
 * reads every import of `src/` (static, `import type`, re-exports and dynamic `import()`) and fails on the first
 * that points up, and on any cycle between two module folders.
 */

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

/** One import: from a file to a file, both relative to `src/`, with the names it takes. */
interface Edge {
  from: string;
  to: string;
  names: string[];
}

/** The layer of a file under `src/`; a file may import its own layer and those below it. */
function layerOf(file: string): { name: string; rank: number } {
  const top = file.split('/')[0] ?? '';
  switch (top) {
    case 'lib':
      return { name: 'lib', rank: 0 };
    case 'config.ts':
      return { name: 'config', rank: 0 };
    case 'db':
      return { name: 'db', rank: 1 };
    case 'modules':
      return { name: 'modules', rank: 2 };
    case 'plugins':
      return { name: 'plugins', rank: 3 };
    case 'routes':
      return { name: 'routes', rank: 4 };
    default:
      return { name: 'the composition root', rank: 5 };
  }
}

/**
 * Imports that point up on purpose, by the names they take: none since the gate's route path (RESOURCES_URL) moved
 * into the contracts package. The mechanism stays, tested below on a made-up edge.
 */
const ALLOWED: { from: string; to: string; names: string[] }[] = [];

/** Every rule the edges break, as sentences that name the file to change. */
function violations(edges: readonly Edge[]): string[] {
  const out: string[] = [];
  for (const e of edges) {
    const from = layerOf(e.from);
    const to = layerOf(e.to);
    // lib shares the bottom rank with config.ts, but it must not know the configuration either.
    if (from.name === 'lib' && to.name !== 'lib') {
      out.push(`${e.from} imports ${e.to}: lib imports only lib`);
      continue;
    }
    if (to.rank <= from.rank) continue;
    const allowed = ALLOWED.some((a) => a.from === e.from && a.to === e.to && e.names.every((n) => a.names.includes(n)));
    if (!allowed) out.push(`${e.from} imports ${e.to}: ${from.name} must not import ${to.name}`);
  }
  out.push(...folderCycles(edges));
  return out;
}

/** Cycles between module folders (`modules/a` → `modules/b` → … → `modules/a`), each with one import per step. */
function folderCycles(edges: readonly Edge[]): string[] {
  const folder = (file: string) => (file.startsWith('modules/') ? file.split('/').slice(0, 2).join('/') : undefined);
  const graph = new Map<string, Map<string, Edge>>();
  for (const e of edges) {
    const a = folder(e.from);
    const b = folder(e.to);
    if (!a || !b || a === b) continue;
    if (!graph.has(a)) graph.set(a, new Map());
    graph.get(a)?.set(b, graph.get(a)?.get(b) ?? e);
  }
  const found = new Set<string>();
  const out: string[] = [];
  const visit = (node: string, trail: string[]) => {
    for (const next of graph.get(node)?.keys() ?? []) {
      const at = trail.indexOf(next);
      if (at >= 0) {
        const cycle = [...trail.slice(at), next];
        const key = [...cycle.slice(0, -1)].sort().join(' ');
        if (found.has(key)) continue;
        found.add(key);
        const steps = cycle.slice(0, -1).map((f, i) => {
          const e = graph.get(f)?.get(cycle[i + 1] as string) as Edge;
          return `${e.from} → ${e.to}`;
        });
        out.push(`module folders import each other: ${cycle.join(' → ')} (${steps.join('; ')})`);
      } else {
        visit(next, [...trail, next]);
      }
    }
  };
  for (const start of graph.keys()) visit(start, [start]);
  return out;
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) return sourceFiles(p);
    return d.name.endsWith('.ts') ? [p] : [];
  });
}

/** The relative imports of one file, resolved to files under `src/` (`.js` specifiers name the `.ts` sources). */
function importsOf(file: string): Edge[] {
  const text = fs.readFileSync(file, 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const edges: Edge[] = [];
  const add = (specifier: string, names: string[]) => {
    if (!specifier.startsWith('.')) return; // a package
    const target = path.resolve(path.dirname(file), specifier).replace(/\.js$/, '.ts');
    edges.push({
      from: path.relative(SRC, file).split(path.sep).join('/'),
      to: path.relative(SRC, target).split(path.sep).join('/'),
      names,
    });
  };
  const visit = (node: ts.Node) => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      const names: string[] = [];
      const bindings = ts.isImportDeclaration(node) ? node.importClause?.namedBindings : node.exportClause;
      if (bindings && (ts.isNamedImports(bindings) || ts.isNamedExports(bindings))) {
        for (const el of bindings.elements) names.push((el.propertyName ?? el.name).text);
      } else {
        names.push('*'); // a namespace, default or side-effect import: not one named constant
      }
      add(node.moduleSpecifier.text, names);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments;
      if (arg && ts.isStringLiteral(arg)) add(arg.text, ['*']);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return edges;
}

describe('the server source tree', () => {
  const edges = sourceFiles(SRC).flatMap(importsOf);

  it('is read: the imports of every layer are found', () => {
    // Guards the test itself: a parser that found nothing would find nothing wrong.
    expect(edges.length).toBeGreaterThan(200);
    for (const layer of ['lib/', 'db/', 'modules/', 'plugins/', 'routes/']) expect(edges.some((e) => e.from.startsWith(layer))).toBe(true);
    expect(edges.some((e) => e.from === 'cli/commands/admin.ts' && e.to === 'modules/operations/master-key.ts')).toBe(true); // a dynamic import
    for (const e of edges) expect(fs.existsSync(path.join(SRC, e.to)), `${e.from} imports ${e.to}`).toBe(true);
  });

  it('has every import pointing down and no cycle between module folders', () => {
    expect(violations(edges)).toEqual([]);
  });
});

describe('the import rules', () => {
  const edge = (from: string, to: string, names = ['x']): Edge => ({ from, to, names });

  it('refuse lib importing a module, the database layer or the configuration', () => {
    expect(violations([edge('lib/a.ts', 'modules/x/y.ts'), edge('lib/a.ts', 'db/schema.ts'), edge('lib/a.ts', 'config.ts')])).toEqual([
      'lib/a.ts imports modules/x/y.ts: lib imports only lib',
      'lib/a.ts imports db/schema.ts: lib imports only lib',
      'lib/a.ts imports config.ts: lib imports only lib',
    ]);
  });

  it('refuse a plugin importing a route file, even for a constant (the contracts hold shared constants)', () => {
    expect(violations([edge('plugins/app/metrics.ts', 'routes/client/resources-fast-path.ts', ['RESOURCES_URL'])])).toHaveLength(1);
    ALLOWED.push({ from: 'plugins/app/x.ts', to: 'routes/client/y.ts', names: ['Y'] });
    try {
      expect(violations([edge('plugins/app/x.ts', 'routes/client/y.ts', ['Y'])])).toEqual([]);
      expect(violations([edge('plugins/app/x.ts', 'routes/client/y.ts', ['Y', 'other'])])).toHaveLength(1);
    } finally {
      ALLOWED.pop();
    }
    expect(violations([edge('plugins/app/auth.ts', 'routes/admin/users.ts')])).toEqual([
      'plugins/app/auth.ts imports routes/admin/users.ts: plugins must not import routes',
    ]);
  });

  it('refuse a module importing a plugin, a route or the composition root', () => {
    expect(violations([edge('modules/a/a.ts', 'plugins/app/auth.ts'), edge('modules/a/a.ts', 'app.ts')])).toHaveLength(2);
  });

  it('refuse two module folders importing each other, directly or round a longer cycle', () => {
    expect(violations([edge('modules/a/a.ts', 'modules/b/b.ts'), edge('modules/b/b.ts', 'modules/a/c.ts')])).toEqual([
      'module folders import each other: modules/a → modules/b → modules/a (modules/a/a.ts → modules/b/b.ts; modules/b/b.ts → modules/a/c.ts)',
    ]);
    expect(
      violations([
        edge('modules/a/a.ts', 'modules/b/b.ts'),
        edge('modules/b/b.ts', 'modules/c/c.ts'),
        edge('modules/c/c.ts', 'modules/a/a.ts'),
      ]),
    ).toHaveLength(1);
    expect(
      violations([
        edge('modules/a/a.ts', 'modules/b/b.ts'),
        edge('modules/a/a.ts', 'modules/c/c.ts'),
        edge('modules/b/b.ts', 'modules/c/c.ts'),
      ]),
    ).toEqual([]);
  });
});
