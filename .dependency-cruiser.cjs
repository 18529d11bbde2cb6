/**
 * The direction of dependencies in src/ (see README "Architecture"), checked by `make lint`:
 * the Express adapter (src/http, src/app.ts) imports the features; features, cross-cutting
 * folders and infrastructure never import the adapter or Express; src/contract sits below all.
 */
const ADAPTER = '^src/(http/|app\\.ts$)';

module.exports = {
  forbidden: [
    {
      name: 'no-adapter-in-features',
      comment: 'Only the Express adapter (src/http, src/app.ts) and the process entry (src/server.ts) may import src/http.',
      severity: 'error',
      from: { path: '^src/', pathNot: `${ADAPTER}|^src/server\\.ts$` },
      to: { path: '^src/http/' },
    },
    {
      name: 'no-express-in-features',
      comment: 'Express (and its request validator) belongs to the adapter: features take plain values.',
      severity: 'error',
      from: { path: '^src/', pathNot: ADAPTER },
      to: { dependencyTypes: ['npm', 'npm-dev', 'npm-peer', 'npm-optional'], path: '^node_modules/(express|express-openapi-validator|helmet|cors|@types/express)/' },
    },
    {
      name: 'contract-below-everything',
      comment: 'src/contract (operation types, domain errors, entity tags) imports only generated/ and itself.',
      severity: 'error',
      from: { path: '^src/contract/' },
      to: { path: '^(src|generated)/', pathNot: '^(src/contract/|generated/api\\.ts$)' },
    },
    {
      name: 'infrastructure-below-features',
      comment: 'The database, the job engine and the process lifecycle know nothing of features or HTTP.',
      severity: 'error',
      from: { path: '^src/(db|lifecycle|jobs)/' },
      to: { path: '^src/', pathNot: '^src/(db/|lifecycle/|jobs/|config\\.ts$)' },
    },
    {
      name: 'entry-points-not-imported',
      comment: 'Nothing imports the composition root or the process entry, except the entry itself.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(server\\.ts|cluster/)' },
      to: { path: '^src/(app|server)\\.ts$' },
    },
    {
      name: 'no-circular',
      comment: 'Import cycles make a module impossible to understand, test or move on its own.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
