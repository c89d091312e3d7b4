/** Import boundaries of the modular monolith (see docs/ARCHITECTURE.md). */
module.exports = {
  forbidden: [
    {
      name: 'core-is-pure',
      comment: 'core holds domain primitives only: no infrastructure, no modules, no apps.',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { path: '^src/(platform|modules|apps)/' },
    },
    {
      name: 'platform-never-imports-modules',
      comment: 'Shared infrastructure must not know about any module or app.',
      severity: 'error',
      from: { path: '^src/platform/' },
      to: { path: '^src/(modules|apps)/' },
    },
    {
      name: 'modules-only-through-index',
      comment: "A module may import another module only through that module's index.ts.",
      severity: 'error',
      from: { path: '^src/modules/([^/]+)/' },
      to: {
        path: '^src/modules/([^/]+)/.+',
        pathNot: ['^src/modules/$1/', '^src/modules/[^/]+/index\\.ts$'],
      },
    },
    {
      name: 'modules-never-import-apps',
      severity: 'error',
      from: { path: '^src/modules/' },
      to: { path: '^src/apps/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.test\\.ts$' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
