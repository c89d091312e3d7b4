import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// A throwaway tree shaped like ours, checked with our own dependency-cruiser rules.
const root = mkdtempSync(join(tmpdir(), 'obscura-boundaries-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function tree(files: Record<string, string>) {
  const dir = mkdtempSync(join(root, 't-'));
  cpSync('.dependency-cruiser.cjs', join(dir, '.dependency-cruiser.cjs'));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        allowImportingTsExtensions: true,
        noEmit: true,
      },
    }),
  );
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const r = spawnSync(
    join(process.cwd(), 'node_modules/.bin/depcruise'),
    ['src', '--config', '.dependency-cruiser.cjs'],
    { cwd: dir, encoding: 'utf8' },
  );
  return { code: r.status, out: r.stdout + r.stderr };
}

describe('import boundaries', () => {
  it('accepts a module that uses another only through its index.ts', () => {
    const r = tree({
      'src/modules/a/index.ts': "export { x } from './internal.js';\n",
      'src/modules/a/internal.ts': 'export const x = 1;\n',
      'src/modules/b/index.ts': "import { x } from '../a/index.js';\nexport const y = x;\n",
    });
    expect(r.code, r.out).toBe(0);
  });

  it("fails when a module reaches into another module's internals", () => {
    const r = tree({
      'src/modules/a/index.ts': "export { x } from './internal.js';\n",
      'src/modules/a/internal.ts': 'export const x = 1;\n',
      'src/modules/b/index.ts': "import { x } from '../a/internal.js';\nexport const y = x;\n",
    });
    expect(r.code).not.toBe(0);
    expect(r.out).toContain('modules-only-through-index');
  });

  it('fails when infrastructure imports a module', () => {
    const r = tree({
      'src/modules/a/index.ts': 'export const x = 1;\n',
      'src/platform/db.ts': "import { x } from '../modules/a/index.js';\nexport const y = x;\n",
    });
    expect(r.code).not.toBe(0);
    expect(r.out).toContain('platform-never-imports-modules');
  });
});
