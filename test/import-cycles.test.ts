import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * Fails on an import cycle between files. At runtime a cycle means one of its modules runs while
 * another is half-initialised (a `const` in the temporal dead zone, a class still undefined),
 * depending on which file happened to be imported first. Beyond runtime, a cycle says two files
 * cannot be understood one without the other, which is what the folders are meant to prevent.
 *
 * Counted: every static `import ... from` and `export ... from`, type-only ones included. They
 * vanish at runtime, but a type-only cycle is still a design cycle (the sinks used to import
 * their interface from the factory that imports them); there is none left, so the stricter rule
 * costs nothing, and an interface that both sides need goes in its own module. Dynamic `import()`
 * is lazy and not counted. Relative specifiers resolve to files; `@wrapup/*` resolves through the
 * package's `exports`, so a cycle across packages is caught too.
 */

const root = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');

const sourceRoots = (): string[] =>
  ['apps', 'packages']
    .flatMap((group) =>
      readdirSync(join(root, group)).map((name) => join(root, group, name, 'src')),
    )
    .concat(join(root, 'scripts'), join(root, 'bench'))
    .filter((dir) => existsSync(dir));

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (name === 'node_modules' || name.startsWith('.')) return [];
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tsFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** `@wrapup/shared/testing` -> the file its package.json `exports` names. */
function workspaceExports(): Map<string, string> {
  const map = new Map<string, string>();
  for (const group of ['apps', 'packages']) {
    for (const name of readdirSync(join(root, group))) {
      const dir = join(root, group, name);
      const manifest = join(dir, 'package.json');
      if (!existsSync(manifest)) continue;
      const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as {
        name?: string;
        exports?: unknown;
      };
      if (pkg.name === undefined || typeof pkg.exports !== 'object' || pkg.exports === null)
        continue;
      for (const [subpath, target] of Object.entries(pkg.exports)) {
        if (typeof target === 'string') map.set(join(pkg.name, subpath), resolve(dir, target));
      }
    }
  }
  return map;
}

function resolveSpecifier(
  from: string,
  spec: string,
  packages: Map<string, string>,
): string | undefined {
  if (!spec.startsWith('.')) return packages.get(spec);
  const base = resolve(dirname(from), spec).replace(/\.js$/, '');
  return [base, `${base}.ts`, join(base, 'index.ts')].find(
    (p) => p.endsWith('.ts') && existsSync(p),
  );
}

/** Specifiers of the file's static imports and re-exports. */
function importSpecifiers(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
  const specs: string[] = [];
  for (const statement of source.statements) {
    const specifier =
      ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)
        ? statement.moduleSpecifier
        : undefined;
    if (specifier !== undefined && ts.isStringLiteral(specifier)) specs.push(specifier.text);
  }
  return specs;
}

type Graph = Map<string, string[]>;

function importGraph(): Graph {
  const packages = workspaceExports();
  const graph: Graph = new Map();
  for (const file of sourceRoots().flatMap(tsFiles)) {
    const targets = importSpecifiers(file)
      .map((spec) => resolveSpecifier(file, spec, packages))
      .filter((target): target is string => target !== undefined);
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** Tarjan's strongly connected components; returns those that are cycles (size > 1, or a self-import). */
function cycles(graph: Graph): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];

  const visit = (node: string): void => {
    index.set(node, next);
    low.set(node, next);
    next += 1;
    stack.push(node);
    onStack.add(node);
    for (const target of graph.get(node) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(node, Math.min(low.get(node)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(node, Math.min(low.get(node)!, index.get(target)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || (graph.get(node) ?? []).includes(node))
      found.push(component.sort());
  };

  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found;
}

/** One line per import inside the cycle, e.g. `  a.ts -> b.ts`. */
function describeCycle(graph: Graph, component: string[]): string {
  const members = new Set(component);
  const edges = component.flatMap((file) =>
    (graph.get(file) ?? [])
      .filter((target) => members.has(target))
      .map((target) => `  ${relative(root, file)} -> ${relative(root, target)}`),
  );
  return `cycle of ${component.length} files:\n${edges.join('\n')}`;
}

describe('import graph', () => {
  const graph = importGraph();

  it('reads the sources (so an empty graph cannot pass by accident)', () => {
    expect(graph.size).toBeGreaterThan(100);
    const worker = graph.get(join(root, 'apps/worker/src/clients/sinks/factory.ts'));
    expect(worker).toContain(join(root, 'apps/worker/src/clients/sinks/postgres.ts'));
  });

  it('finds a cycle when there is one', () => {
    const toy: Graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a', 'd']],
      ['d', []],
      ['e', ['e']],
    ]);
    expect(cycles(toy)).toEqual([['a', 'b', 'c'], ['e']]);
  });

  it('has no cycle between files', () => {
    const found = cycles(graph).map((component) => describeCycle(graph, component));
    expect(found, found.join('\n\n')).toEqual([]);
  });
});
